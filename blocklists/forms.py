"""Forms for the blocklist pages; the rules (names, regex syntax, limits) live in actions."""

from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from .models import MAX_DESCRIPTION, MAX_ITEM_TEXT, MAX_NAME

MAX_UPLOAD_BYTES = 2 * 1024 * 1024


class BlocklistForm(forms.Form):
    name = forms.CharField(
        max_length=MAX_NAME,
        help_text="Letters, digits, '.', '_', '~' and '-'. Unique within the resource.",
    )
    description = forms.CharField(
        max_length=MAX_DESCRIPTION, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class DescriptionForm(forms.Form):
    """A list keeps its name; only its description changes."""

    description = forms.CharField(
        max_length=MAX_DESCRIPTION, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class ItemForm(forms.Form):
    text = forms.CharField(max_length=MAX_ITEM_TEXT, strip=False)
    is_regex = forms.BooleanField(label="Regular expression (RE2 syntax)", required=False)
    description = forms.CharField(max_length=MAX_DESCRIPTION, required=False)


class BulkImportForm(forms.Form):
    FORMATS = [
        ("auto", "Detect (CSV when the first line is the header)"),
        ("lines", "One term per line"),
        ("csv", "CSV: text,isRegex,description"),
    ]

    text = forms.CharField(
        label="Paste items",
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 12, "spellcheck": "false"}),
        help_text="One term per line, or CSV with the header text,isRegex,description.",
    )
    upload = forms.FileField(label="…or upload a .txt or .csv file", required=False)
    format = forms.ChoiceField(choices=FORMATS, initial="auto")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        upload = cleaned.get("upload")
        if upload is not None:
            if upload.size > MAX_UPLOAD_BYTES:
                raise ValidationError({"upload": "The file is larger than 2 MB."})
            try:
                cleaned["text"] = upload.read().decode("utf-8-sig")
            except UnicodeDecodeError as exc:
                raise ValidationError({"upload": "The file is not UTF-8 text."}) from exc
        if not cleaned.get("text", "").strip():
            raise ValidationError({"text": "Paste at least one item or upload a file."})
        return cleaned

    def csv_format(self) -> bool | None:
        return {"auto": None, "lines": False, "csv": True}[self.cleaned_data["format"]]
