from django.urls import path

from . import views

app_name = "ncii_cases"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("cases/<int:pk>/", views.case_detail, name="case_detail"),
    path("cases/<int:pk>/audit/", views.case_audit, name="case_audit"),
    path("audit/", views.audit_log, name="audit_log"),
    path("audit/verify/", views.audit_verify_page, name="audit_verify"),
]
