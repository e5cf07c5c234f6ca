"""The review pages, mounted at /review/ (see review/views.py)."""

from django.urls import path

from . import views

app_name = "review"
urlpatterns = [
    # The human queue and items
    path("", views.queue, name="queue"),
    path("claim-next/", views.claim_next, name="claim_next"),
    path("r/<uuid:resource_id>/", views.resource_queue, name="resource_queue"),
    path("r/<uuid:resource_id>/claim-next/", views.claim_next, name="resource_claim_next"),
    path("r/<uuid:resource_id>/bulk/", views.bulk, name="bulk"),
    path("items/<uuid:item_id>/", views.item_detail, name="item"),
    path("items/<uuid:item_id>/reveal/", views.reveal, name="reveal"),
    path("items/<uuid:item_id>/claim/", views.claim, name="claim"),
    path("items/<uuid:item_id>/release/", views.release, name="release"),
    path("items/<uuid:item_id>/confirm/", views.confirm, name="confirm"),
    path("items/<uuid:item_id>/correct/", views.correct, name="correct"),
    path("items/<uuid:item_id>/dismiss/", views.dismiss, name="dismiss"),
    path("items/<uuid:item_id>/notes/", views.add_note, name="add_note"),
    # Just-in-time access
    path("access/", views.my_access, name="my_access"),
    path("r/<uuid:resource_id>/access/request/", views.request_access, name="request_access"),
    path("access/approvals/", views.approvals, name="approvals"),
    path("access/break-glass/", views.break_glass, name="break_glass"),
    path("access/<uuid:request_id>/approve/", views.approve, name="approve"),
    path("access/<uuid:request_id>/deny/", views.deny, name="deny"),
    path("access/<uuid:request_id>/cancel/", views.cancel, name="cancel"),
    path("access/<uuid:request_id>/revoke/", views.revoke, name="revoke"),
    path("access/<uuid:request_id>/extend/", views.extend, name="extend"),
    path("access/<uuid:request_id>/reviewed/", views.mark_reviewed, name="mark_reviewed"),
    path("audit/", views.audit_log, name="audit_log"),
    path("audit/export.csv", views.audit_export, name="audit_export"),
    # Cases, notices and appeals
    path("cases/", views.case_list, name="cases"),
    path("cases/<uuid:case_id>/", views.case_detail, name="case"),
    path("cases/<uuid:case_id>/confirm/", views.case_confirm, name="case_confirm"),
    path("cases/<uuid:case_id>/dismiss/", views.case_dismiss, name="case_dismiss"),
    path("cases/<uuid:case_id>/sanction/", views.case_sanction, name="case_sanction"),
    path("notices/", views.notice_list, name="notices"),
    path("notices/<uuid:action_id>/", views.notice_detail, name="notice"),
    path("notices/<uuid:action_id>/reply/", views.notice_reply, name="notice_reply"),
    path("notices/<uuid:action_id>/appeal/", views.notice_appeal, name="notice_appeal"),
    path("notices/<uuid:action_id>/resolve/", views.notice_resolve, name="notice_resolve"),
    path("notices/<uuid:action_id>/appeal/decide/", views.appeal_decide, name="appeal_decide"),
    # Dashboards
    path("dashboard/", views.dashboard, name="dashboard"),
    path("r/<uuid:resource_id>/dashboard/", views.resource_dashboard, name="resource_dashboard"),
]
