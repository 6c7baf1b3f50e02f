"""Reporting: PDF case summaries, audit-trail review and district analytics."""

from django.urls import path

from . import views, views_analytics

app_name = "reporting"

urlpatterns = [
    # Audit-trail review (the district's auditor and coordinator).
    path("audit/", views.audit_review, name="audit_review"),
    path("audit/export.csv", views.audit_export, name="audit_export"),
    path("audit/verify/", views.audit_verify_now, name="audit_verify_now"),
    path("cases/<int:pk>/audit/", views.case_audit, name="case_audit"),
    path("cases/<int:pk>/audit/export.csv", views.case_audit_export, name="case_audit_export"),
    # District analytics (coordinator only).
    path("analytics/", views_analytics.analytics, name="analytics"),
    path("analytics/export.csv", views_analytics.analytics_csv, name="analytics_csv"),
]
