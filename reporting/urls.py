"""Reporting: PDF case summaries, audit-trail review and district analytics."""

from django.urls import path

from . import views_analytics

app_name = "reporting"

urlpatterns: list = [
    # District analytics (coordinator only).
    path("analytics/", views_analytics.analytics, name="analytics"),
    path("analytics/export.csv", views_analytics.analytics_csv, name="analytics_csv"),
]
