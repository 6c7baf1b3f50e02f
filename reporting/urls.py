"""Reporting: PDF case summaries, audit-trail review and district analytics."""

from django.urls import path

from . import views

app_name = "reporting"

urlpatterns = [
    path("cases/<int:pk>/pdf/", views.case_pdf, name="case_pdf"),
    path("cases/<int:pk>/pdf/<int:job_id>/", views.pdf_job, name="pdf_job"),
    path("cases/<int:pk>/pdf/<int:job_id>/status/", views.pdf_job_status, name="pdf_job_status"),
    path("cases/<int:pk>/pdf/<int:job_id>/retry/", views.pdf_job_retry, name="pdf_job_retry"),
    path(
        "cases/<int:pk>/pdf/<int:job_id>/download/",
        views.pdf_job_download,
        name="pdf_job_download",
    ),
]
