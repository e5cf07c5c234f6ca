"""Admin for review and abuse monitoring: read-only, and never a content field.

Content (prompts, completions, documents, and analyses, whose blocklist matches quote the text)
is excluded from every admin class: staff read content only through a grant, like everyone else.
Reviewer profiles are the one thing staff edit here (EEA location, break-glass designation).
"""

from django.contrib import admin

from guardsite.admin_base import ReadOnlyAdmin

from .models import (
    AbuseCase,
    AccessRequest,
    Appeal,
    AuditLogEntry,
    ClassificationEvent,
    EnforcementAction,
    EventOutbox,
    FilterFeedback,
    FlaggedItem,
    ItemHistory,
    ItemNote,
    OwnerReply,
    ReviewerProfile,
)

CONTENT_FIELDS = ("content", "documents", "analysis")


@admin.register(ClassificationEvent)
class ClassificationEventAdmin(ReadOnlyAdmin):
    exclude = CONTENT_FIELDS
    list_display = ["created_at", "resource", "direction", "status", "filtered"]
    list_filter = ["status", "direction", "filtered"]
    search_fields = ["id"]


@admin.register(ReviewerProfile)
class ReviewerProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "located_in_eea", "can_break_glass"]
    list_filter = ["located_in_eea", "can_break_glass"]
    search_fields = ["user__username"]
    autocomplete_fields = ["user"]


@admin.register(FlaggedItem)
class FlaggedItemAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "resource", "category", "severity", "priority", "status", "stage"]
    list_filter = ["status", "stage", "category"]
    search_fields = ["id", "resource__name"]


@admin.register(ItemHistory)
class ItemHistoryAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "item", "actor", "action", "old_status", "new_status"]
    list_filter = ["action"]


@admin.register(ItemNote)
class ItemNoteAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "item", "author"]


@admin.register(AbuseCase)
class AbuseCaseAdmin(ReadOnlyAdmin):
    list_display = ["opened_at", "resource", "score", "status"]
    list_filter = ["status"]


@admin.register(AccessRequest)
class AccessRequestAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "requester", "resource", "scope", "status", "break_glass"]
    list_filter = ["status", "scope", "break_glass"]


@admin.register(AuditLogEntry)
class AuditLogEntryAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "actor_repr", "action", "resource", "target_type", "client_ip"]
    list_filter = ["action"]
    search_fields = ["actor_repr", "target_id"]


@admin.register(EnforcementAction)
class EnforcementActionAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "resource", "kind", "status", "remediation_deadline"]
    list_filter = ["kind", "status"]


@admin.register(OwnerReply)
class OwnerReplyAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "action", "author"]


@admin.register(Appeal)
class AppealAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "action", "appellant", "status"]
    list_filter = ["status"]


@admin.register(EventOutbox)
class EventOutboxAdmin(ReadOnlyAdmin):
    # The payload carries the event's content: only its size and age are shown.
    exclude = ["payload"]
    list_display = ["id", "created_at"]


@admin.register(FilterFeedback)
class FilterFeedbackAdmin(ReadOnlyAdmin):
    # Feedback text was typed into the playground by the resource's own members to be labelled,
    # unlike monitored traffic; it is shown to staff who curate retraining data.
    list_display = ["created_at", "resource", "kind", "direction", "filter_name", "reported_by"]
    list_filter = ["kind", "direction"]
    search_fields = ["resource__name", "filter_name", "comment"]
