from django.apps import AppConfig


class ReportingConfig(AppConfig):
    name = "reporting"
    verbose_name = "Reporting"

    def ready(self):
        from ncii_cases.selectors.cases import case_section_register

        from .models import RedactionReview
        from .selectors_redaction import RELEASED_SUMMARIES

        # The case page's released summaries: read only for a case that has one.
        case_section_register(
            RELEASED_SUMMARIES,
            RedactionReview,
            field="status",
            values=[RedactionReview.Status.RELEASED],
        )
