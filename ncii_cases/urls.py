from django.urls import path

from . import (
    appeals_views,
    case_views,
    letters_views,
    people_views,
    report_views,
    roster_views,
    takedown_notice_views,
    views,
)

app_name = "ncii_cases"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("cases/new/", case_views.intake, name="intake"),
    path("cases/<int:pk>/", views.case_detail, name="case_detail"),
    path(
        "cases/<int:pk>/transition/<slug:action>/",
        case_views.transition,
        name="case_transition",
    ),
    path("cases/<int:pk>/facts/", case_views.facts, name="case_facts"),
    path("cases/<int:pk>/harm/", case_views.harm, name="case_harm"),
    path("cases/<int:pk>/measures/new/", case_views.measure_add, name="case_measure_add"),
    path("cases/<int:pk>/measures/update/", case_views.measure_update, name="case_measure_update"),
    path("cases/<int:pk>/measures/review/", case_views.measure_review, name="case_measure_review"),
    path("cases/<int:pk>/takedowns/", case_views.takedown_board, name="case_takedowns"),
    path("cases/<int:pk>/takedowns/new/", case_views.takedown_add, name="case_takedown_add"),
    path(
        "cases/<int:pk>/takedowns/update/",
        case_views.takedown_update,
        name="case_takedown_update",
    ),
    path("cases/<int:pk>/reports/", case_views.report_update, name="case_report_update"),
    path("cases/<int:pk>/evidence/new/", case_views.evidence_add, name="case_evidence_add"),
    path("cases/<int:pk>/notices/new/", case_views.notice_add, name="case_notice_add"),
    path("cases/<int:pk>/determination/", case_views.determination, name="case_determination"),
    path(
        "cases/<int:pk>/deadlines/extend/",
        case_views.deadline_extend,
        name="case_deadline_extend",
    ),
    path("cases/<int:pk>/sanctions/new/", case_views.sanction_add, name="case_sanction_add"),
    path("cases/<int:pk>/offers/new/", case_views.offer, name="case_offer"),
    path("cases/<int:pk>/parties/new/", case_views.party_add, name="case_party_add"),
    path("cases/<int:pk>/assign/", case_views.assign, name="case_assign"),
    path("cases/<int:pk>/unassign/", case_views.unassign, name="case_unassign"),
    path("cases/<int:pk>/lead/", case_views.lead_change, name="case_lead_change"),
    path(
        "cases/<int:pk>/correct/<slug:kind>/",
        case_views.record_correct,
        name="case_record_correct",
    ),
    path(
        "cases/<int:pk>/withdraw/<slug:kind>/",
        case_views.record_withdraw,
        name="case_record_withdraw",
    ),
    path(
        "cases/<int:pk>/sanctions/status/", case_views.sanction_status, name="case_sanction_status"
    ),
    path("cases/<int:pk>/track/", case_views.track, name="case_track"),
    path("cases/<int:pk>/school/", case_views.move_school, name="case_move_school"),
    path(
        "cases/<int:pk>/documents/<int:document_pk>/",
        case_views.document_download,
        name="case_document_download",
    ),
    # Reports from anyone (docs/reports.md): staff reports, the incoming queue, public pages.
    path("reports/new/", report_views.staff_report_new, name="staff_report_new"),
    path("reports/mine/", report_views.my_reports, name="my_reports"),
    path("reports/mine/<int:report_pk>/", report_views.my_report, name="my_report"),
    path("reports/incoming/", report_views.report_queue, name="report_queue"),
    path("reports/incoming/<int:report_pk>/", report_views.report_review, name="report_review"),
    path("reports/incoming/<int:report_pk>/reply/", report_views.report_reply, name="report_reply"),
    path(
        "reports/incoming/<int:report_pk>/promote/",
        report_views.report_promote,
        name="report_promote",
    ),
    path("reports/incoming/<int:report_pk>/merge/", report_views.report_merge, name="report_merge"),
    path("reports/incoming/<int:report_pk>/close/", report_views.report_close, name="report_close"),
    # Public, without signing in. "follow" comes first: it is not a district's slug.
    path("report/follow/", report_views.public_follow, name="public_follow"),
    path("report/follow/status/", report_views.public_follow_status, name="public_follow_status"),
    path("report/follow/leave/", report_views.public_follow_leave, name="public_follow_leave"),
    path("report/<slug:district_slug>/", report_views.public_report, name="public_report"),
    path(
        "report/<slug:district_slug>/sent/",
        report_views.public_report_sent,
        name="public_report_sent",
    ),
    path(
        "cases/<int:pk>/takedowns/<int:takedown_pk>/notice/",
        takedown_notice_views.takedown_notice,
        name="case_takedown_notice",
    ),
    path(
        "cases/<int:pk>/takedown-notices/<int:notice_pk>/<slug:fmt>/",
        takedown_notice_views.takedown_notice_download,
        name="case_takedown_notice_download",
    ),
    path("cases/<int:pk>/appeals/new/", appeals_views.appeal_file, name="case_appeal_file"),
    path(
        "cases/<int:pk>/appeals/decision-maker/",
        appeals_views.appeal_decision_maker,
        name="case_appeal_decision_maker",
    ),
    path(
        "cases/<int:pk>/appeals/response/",
        appeals_views.appeal_response,
        name="case_appeal_response",
    ),
    path("cases/<int:pk>/appeals/decide/", appeals_views.appeal_decide, name="case_appeal_decide"),
    path(
        "cases/<int:pk>/process-a/steps/new/",
        appeals_views.process_a_milestone,
        name="case_process_a_milestone",
    ),
    path("roster/", roster_views.roster_import_page, name="roster_import"),
    path("people/search/", people_views.people_search, name="people_search"),
    path(
        "cases/<int:pk>/parent-decisions/new/",
        case_views.parent_decision_add,
        name="case_parent_decision_add",
    ),
    path(
        "cases/<int:pk>/support/not-offered/",
        case_views.support_not_offered,
        name="case_support_not_offered",
    ),
    # Letters from templates (ncii_cases/letters.py).
    path("cases/<int:pk>/letters/", letters_views.case_letters, name="case_letters"),
    path(
        "cases/<int:pk>/letters/new/<slug:kind>/<slug:recipient>/",
        letters_views.letter_compose,
        name="case_letter_compose",
    ),
    path(
        "cases/<int:pk>/letters/<int:letter_pk>/",
        letters_views.case_letter,
        name="case_letter",
    ),
    path(
        "cases/<int:pk>/letters/<int:letter_pk>/pdf/",
        letters_views.case_letter_download,
        name="case_letter_download",
    ),
    path("letters/templates/", letters_views.letter_templates, name="letter_templates"),
    path(
        "letters/templates/<slug:kind>/<slug:language>/",
        letters_views.letter_template_edit,
        name="letter_template_edit",
    ),
    path(
        "letters/template-versions/<int:version_pk>/",
        letters_views.letter_template_version,
        name="letter_template_version",
    ),
]
