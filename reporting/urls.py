"""Reporting: PDF case summaries, audit-trail review and district analytics."""

from django.urls import path  # noqa: F401  (patterns are added by each reporting feature)

app_name = "reporting"

urlpatterns: list = []
