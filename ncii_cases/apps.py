from django.apps import AppConfig


class NciiCasesConfig(AppConfig):
    name = "ncii_cases"
    verbose_name = "NCII cases"
