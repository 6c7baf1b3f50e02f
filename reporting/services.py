"""Writes of the reporting app: requesting a PDF case summary, retrying a failed one, and
handing jobs to the background worker. Case data is only read (through selectors), never
written; the rows written here are reporting's own ``PdfJob`` rows.

A job is handed to Celery after its transaction commits. When the broker (Redis) cannot be
reached, the request still succeeds: the job stays queued without ``enqueued_at`` and the page
says so; ``tasks.pdf_jobs_requeue`` hands it over once the broker is back. Publishing is
``tasks.pdf_job_enqueue``; the tasks import nothing from here.
"""

from django.db import IntegrityError, transaction

from ncii_cases.permissions import Action, actions_for
from ncii_cases.selectors.cases import case_get_for_user
from reporting.summary import PROFILES, REDACTED, case_summary_latest_event_id

from .files import pdf_job_file_ok
from .models import PdfJob
from .selectors import pdf_job_for_user, rights_fingerprint
from .tasks import pdf_job_enqueue


def pdf_job_enqueue_on_commit(job_id: int) -> None:
    """Hands the job to the worker once the current transaction commits."""
    transaction.on_commit(lambda: pdf_job_enqueue(job_id=job_id))


def pdf_job_request(*, user, case_pk, profile: str) -> tuple[PdfJob, bool]:
    """Returns the internal PDF job of this user and case for the case as it stands now,
    creating and enqueuing it when there is none yet (so double clicks and repeated requests
    of an unchanged case return the same job), and whether it was created. Http404 if the
    user may not read the case; ValueError for an unknown profile and for the redacted one,
    which only the approval of a redaction review makes (``services_redaction``)."""
    if profile not in PROFILES:
        raise ValueError("Choose the internal or the redacted summary.")
    if profile == REDACTED:
        # Only an approved review makes a redacted file (services_redaction).
        raise ValueError(
            "A redacted summary is released after its review: open the review from the PDF page."
        )
    case = case_get_for_user(user=user, pk=case_pk, action=Action.VIEW)
    allowed = actions_for(user, case)
    key = ":".join(
        str(part)
        for part in (
            case.pk,
            profile,
            user.pk,
            case_summary_latest_event_id(case=case),
            rights_fingerprint(allowed),
        )
    )
    try:
        with transaction.atomic():
            job, created = PdfJob.objects.get_or_create(
                idempotency_key=key,
                defaults={"case": case, "requested_by": user, "profile": profile},
            )
            if created:
                pdf_job_enqueue_on_commit(job.pk)
    except IntegrityError:
        # Two clicks at once: the other request created it first.
        job, created = PdfJob.objects.get(idempotency_key=key), False
    if not created and job.status == PdfJob.Status.READY:
        job = _requeue_if_file_lost(job.pk)
    return job, created


def _requeue_if_file_lost(job_id: int) -> PdfJob:
    """Puts a ready job back in the queue when its file is missing or no longer has the
    recorded hash (a restore or a clean-up of the private folder), so that requesting the
    summary again makes it again instead of offering a download that is never found."""
    with transaction.atomic():
        job = PdfJob.objects.select_for_update().get(pk=job_id)
        if job.status == PdfJob.Status.READY and not pdf_job_file_ok(job):
            job.status = PdfJob.Status.QUEUED
            job.enqueued_at = None
            job.started_at = None
            job.finished_at = None
            job.save(update_fields=["status", "enqueued_at", "started_at", "finished_at"])
            pdf_job_enqueue_on_commit(job.pk)
    return job


def pdf_job_retry(*, user, case_pk, job_id) -> PdfJob:
    """Puts a failed job of the user back in the queue; a job in any other state is returned
    unchanged (a retry clicked twice starts one rendering)."""
    pdf_job_for_user(user=user, case_pk=case_pk, job_id=job_id)
    with transaction.atomic():
        job = PdfJob.objects.select_for_update().get(pk=job_id)
        if job.status == PdfJob.Status.FAILED:
            job.status = PdfJob.Status.QUEUED
            job.error = ""
            job.enqueued_at = None
            job.started_at = None
            job.finished_at = None
            job.save(update_fields=["status", "error", "enqueued_at", "started_at", "finished_at"])
            pdf_job_enqueue_on_commit(job.pk)
    return job
