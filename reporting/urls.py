"""Reporting: PDF case summaries, audit-trail review and district analytics."""

from django.urls import path

from . import views, views_analytics, views_pdf, views_redaction

app_name = "reporting"

urlpatterns = [
    # Audit-trail review (the district's auditor and coordinator).
    path("audit/", views.audit_review, name="audit_review"),
    path("audit/export.csv", views.audit_export, name="audit_export"),
    path("audit/verify/", views.audit_verify_now, name="audit_verify_now"),
    path("cases/<int:pk>/audit/", views.case_audit, name="case_audit"),
    path("cases/<int:pk>/audit/export.csv", views.case_audit_export, name="case_audit_export"),
    # Analytics (the coordinator: exact; school administrators: their schools, suppressed).
    path("analytics/", views_analytics.analytics, name="analytics"),
    path("analytics/export.csv", views_analytics.analytics_csv, name="analytics_csv"),
    path(
        "analytics/board-report.pdf",
        views_analytics.analytics_board_report,
        name="analytics_board_report",
    ),
    # PDF case summaries (whoever reads the case; each job downloadable by its requester).
    path("cases/<int:pk>/pdf/", views_pdf.case_pdf, name="case_pdf"),
    path("cases/<int:pk>/pdf/<int:job_id>/", views_pdf.pdf_job, name="pdf_job"),
    path(
        "cases/<int:pk>/pdf/<int:job_id>/status/", views_pdf.pdf_job_status, name="pdf_job_status"
    ),
    path("cases/<int:pk>/pdf/<int:job_id>/retry/", views_pdf.pdf_job_retry, name="pdf_job_retry"),
    path(
        "cases/<int:pk>/pdf/<int:job_id>/download/",
        views_pdf.pdf_job_download,
        name="pdf_job_download",
    ),
    # Redacted summaries for release: prepared by case workers, released by the coordinator.
    path("cases/<int:pk>/redaction/", views_redaction.redaction_request, name="redaction_request"),
    path(
        "cases/<int:pk>/redaction/<int:review_id>/",
        views_redaction.redaction_review,
        name="redaction_review",
    ),
    path(
        "cases/<int:pk>/redaction/<int:review_id>/decide/",
        views_redaction.redaction_decide,
        name="redaction_decide",
    ),
    path(
        "cases/<int:pk>/redaction/<int:review_id>/release/",
        views_redaction.redaction_release,
        name="redaction_release",
    ),
    path(
        "cases/<int:pk>/redaction/<int:review_id>/download/",
        views_redaction.redacted_release_download,
        name="redacted_release_download",
    ),
]
