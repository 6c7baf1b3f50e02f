from django.urls import path

from . import case_views, views

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
]
