"""Reads of the reporting app's own rows, scoped like every case read."""

import hashlib

from django.db.models import QuerySet
from django.http import Http404

from ncii_cases.permissions import Action, actions_for
from ncii_cases.selectors.cases import case_get_for_user

from .models import PdfJob


def case_pdf_page_for_user(*, user, pk) -> tuple:
    """Returns the case and the user's own PDF jobs of it (newest first) for a user who may
    read the case's content; Http404 for everyone else (the auditor included)."""
    case = case_get_for_user(user=user, pk=pk, action=Action.VIEW)
    # The files of released redacted summaries are listed with their release, not here.
    jobs: QuerySet[PdfJob] = PdfJob.objects.filter(
        case=case, requested_by=user, release__isnull=True
    ).order_by("-created_at", "-pk")[:10]
    return case, list(jobs)


def rights_fingerprint(allowed: set[str]) -> str:
    """A short stable digest of what a user may do on a case: a summary made for other rights
    is another summary."""
    return hashlib.sha256(",".join(sorted(allowed)).encode()).hexdigest()[:16]


def pdf_job_for_user(*, user, case_pk, job_id) -> PdfJob:
    """Returns the user's own job of the case while they may still read the case with the
    rights the summary was made for; Http404 otherwise (another user's job, a job of another
    case, a forged id)."""
    case = case_get_for_user(user=user, pk=case_pk, action=Action.VIEW)
    try:
        job = PdfJob.objects.select_related("case").get(pk=job_id, case=case, requested_by=user)
    except (PdfJob.DoesNotExist, ValueError, TypeError):
        raise Http404("No such PDF.") from None
    if not job.idempotency_key.endswith(":" + rights_fingerprint(actions_for(user, case))):
        # The user's rights on the case changed since: that summary is no longer theirs.
        raise Http404("No such PDF.")
    return job
