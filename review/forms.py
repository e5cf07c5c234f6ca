"""Forms of the review pages. They check shapes only; the rules (caps, who may approve, claims,
one appeal) live in review.access and review.actions, whose ValidationErrors the views put back
on these forms so a page and the REST API refuse the same things with the same messages."""

from typing import Any

from django import forms
from django.core.validators import MaxValueValidator

from guardsite.engine.types import MAX_SEVERITY
from guardsite.models import Resource

from .actions import REVIEW_CATEGORIES
from .models import AbuseCase, AccessRequest, EnforcementAction

CATEGORY_CHOICES = [(name, name.replace("_", " ")) for name in REVIEW_CATEGORIES]
SEVERITY_CHOICES = [(level, str(level)) for level in range(MAX_SEVERITY + 1)]
SCOPE_CHOICES = AccessRequest.Scope.choices


class DecisionForm(forms.Form):
    """Confirm: the reason is optional. The version detects a page left open too long (409)."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)
    reason = forms.CharField(max_length=500, required=False)


class CorrectForm(DecisionForm):
    category = forms.ChoiceField(choices=CATEGORY_CHOICES)
    severity = forms.TypedChoiceField(choices=SEVERITY_CHOICES, coerce=int)


class DismissForm(DecisionForm):
    reason = forms.CharField(
        max_length=500, label="Why is it not abusive?", widget=forms.TextInput()
    )


class NoteForm(forms.Form):
    text = forms.CharField(max_length=4000, label="Note", widget=forms.Textarea(attrs={"rows": 2}))


BULK_CHOICES = [
    ("confirm", "Confirm"),
    ("dismiss", "Dismiss (reason required)"),
    ("release", "Reassign: release the claim back to the queue"),
]


class BulkForm(forms.Form):
    items = forms.TypedMultipleChoiceField(choices=[], coerce=str)
    decision = forms.ChoiceField(choices=BULK_CHOICES)
    reason = forms.CharField(max_length=500, required=False)

    def __init__(self, *args: Any, item_ids: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["items"].choices = [(pk, pk) for pk in item_ids]  # type: ignore[attr-defined]


class AccessRequestForm(forms.Form):
    scope = forms.ChoiceField(choices=SCOPE_CHOICES, initial=AccessRequest.Scope.QUEUE)
    case = forms.ModelChoiceField(
        queryset=AbuseCase.objects.none(), required=False, help_text="Only for the case scope."
    )
    justification = forms.CharField(
        max_length=1000, widget=forms.Textarea(attrs={"rows": 3}), help_text="Why you need it."
    )
    duration_minutes = forms.IntegerField(label="Duration (minutes)", min_value=1)

    def __init__(self, *args: Any, resource: Resource, cap: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.cap = cap
        self.fields["case"].queryset = AbuseCase.objects.filter(  # type: ignore[attr-defined]
            resource=resource
        ).order_by("-opened_at")
        duration = self.fields["duration_minutes"]
        duration.widget.attrs.update({"max": cap, "min": 1})
        duration.help_text = f"At most {cap} minutes for your role."
        duration.validators.append(MaxValueValidator(cap))
        duration.initial = min(60, cap)


class BreakGlassForm(forms.Form):
    resource = forms.ModelChoiceField(queryset=Resource.objects.none())
    scope = forms.ChoiceField(choices=SCOPE_CHOICES, initial=AccessRequest.Scope.RESOURCE)
    justification = forms.CharField(
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="What emergency this is. Review managers are alerted at once.",
    )
    acknowledge = forms.BooleanField(
        label="I understand this use is alerted, audited and reviewed afterwards."
    )

    def __init__(self, *args: Any, resources: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["resource"].queryset = resources  # type: ignore[attr-defined]


class ApproveForm(forms.Form):
    duration_minutes = forms.IntegerField(
        label="Grant (minutes)", min_value=1, required=False, help_text="Shorten if you like."
    )
    reason = forms.CharField(max_length=500, required=False)


class ReasonForm(forms.Form):
    reason = forms.CharField(max_length=500, required=False)


class RequiredReasonForm(forms.Form):
    reason = forms.CharField(max_length=500)


class AuditFilterForm(forms.Form):
    resource = forms.ModelChoiceField(queryset=Resource.objects.none(), required=False)
    action = forms.CharField(max_length=64, required=False)
    actor = forms.CharField(max_length=150, required=False)
    target_id = forms.CharField(max_length=64, required=False, label="Target id")
    since = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, resources: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["resource"].queryset = resources  # type: ignore[attr-defined]


class SanctionForm(forms.Form):
    kind = forms.ChoiceField(
        choices=[
            (EnforcementAction.Kind.SUSPENSION, "Suspend"),
            (EnforcementAction.Kind.TERMINATION, "Terminate"),
        ]
    )
    reason = forms.CharField(max_length=500)


class TextForm(forms.Form):
    text = forms.CharField(max_length=10000, widget=forms.Textarea(attrs={"rows": 3}))


class AppealDecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", "Approve"), ("reject", "Reject")])
    reason = forms.CharField(max_length=500, required=False)


class DashboardForm(forms.Form):
    days = forms.TypedChoiceField(
        choices=[(7, "7 days"), (30, "30 days"), (90, "90 days")],
        coerce=int,
        required=False,
        empty_value=None,
    )
