"""Reads of the reporting app's own rows, scoped like every case read."""

from django.db.models import QuerySet

from ncii_cases.permissions import Action
from ncii_cases.selectors import case_get_for_user

from .models import PdfJob


def case_pdf_page_for_user(*, user, pk) -> tuple:
    """Returns the case and the user's own PDF jobs of it (newest first) for a user who may
    read the case's content; Http404 for everyone else (the auditor included)."""
    case = case_get_for_user(user=user, pk=pk, action=Action.VIEW)
    jobs: QuerySet[PdfJob] = PdfJob.objects.filter(case=case, requested_by=user).order_by(
        "-created_at", "-pk"
    )[:10]
    return case, list(jobs)
