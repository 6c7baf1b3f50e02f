"""Background rendering of PDF case summaries, and handing jobs to the worker
(``pdf_job_enqueue``). Tasks carry job ids, never personal data. The services of
``reporting.services`` publish through this module; it imports nothing from them. The stored
files are read and checked in ``reporting.files``.

``pdf_render`` is idempotent: a job already ready, whose stored file has the recorded SHA-256,
is left alone; otherwise it renders and finishes under the job's row lock, storing the file
whole under the job's one name (``files.pdf_job_file_name`` in the ``generated_pdfs``
storage: a private folder or bucket). A task
delivered twice, or redelivered after a worker died (acks_late), so leaves exactly one file
whose hash is the one recorded. The rendering itself runs outside any transaction.
"""

import hashlib
import logging
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.http import Http404
from django.utils import timezone

from .files import pdf_job_file_ok, pdf_job_file_store
from .models import PdfJob

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
ERROR_GONE = "You may no longer read this case, so the summary was not made."
ERROR_FAILED = "The summary could not be prepared. Try again; if it fails again, tell IT."
ERROR_CHANGED = (
    "The case changed after this redacted summary was approved, so it was not made. Open a "
    "new review of the redacted summary and approve it again."
)
ERROR_GAVE_UP = "The summary failed several times and was stopped. Try again later."


def _claim(job_id: int) -> bool:
    """Marks the job running (one more attempt) unless it is done; False when there is
    nothing to do."""
    with transaction.atomic():
        job = PdfJob.objects.select_for_update().filter(pk=job_id).first()
        if job is None:
            return False
        if job.status == PdfJob.Status.READY and pdf_job_file_ok(job):
            return False
        if job.status == PdfJob.Status.FAILED:
            return False  # only "Try again" puts a failed job back in the queue
        job.status = PdfJob.Status.RUNNING
        job.attempts += 1
        job.started_at = timezone.now()
        job.error = ""
        job.save(update_fields=["status", "attempts", "started_at", "error"])
        return True


def _fail(job_id: int, message: str) -> None:
    PdfJob.objects.filter(pk=job_id).exclude(status=PdfJob.Status.READY).update(
        status=PdfJob.Status.FAILED, error=message[:300], finished_at=timezone.now()
    )


def _finish(job_id: int, content: bytes, pages: int) -> None:
    """Stores the file and records it, under the row lock, so that the stored file and the
    recorded hash always belong together (a second delivery waits, then finds it done)."""
    with transaction.atomic():
        job = PdfJob.objects.select_for_update().select_related("case").get(pk=job_id)
        if job.status == PdfJob.Status.READY and pdf_job_file_ok(job):
            return  # another delivery finished first
        job.file_path = pdf_job_file_store(job, content)
        job.sha256 = hashlib.sha256(content).hexdigest()
        job.size = len(content)
        job.page_count = pages
        job.status = PdfJob.Status.READY
        job.error = ""
        job.finished_at = timezone.now()
        job.save(
            update_fields=[
                "file_path",
                "sha256",
                "size",
                "page_count",
                "status",
                "error",
                "finished_at",
            ]
        )


def _job_summary(job: PdfJob):
    """The summary a job renders, for its requester with the rights they have now: for the
    job of a released redaction review, the redacted summary with the review's decisions, or
    None when the case changed after the approval (what was approved is no longer what would
    be printed). Http404 when the requester may no longer read the case."""
    from reporting.summary import (
        case_summary_for_user,
        case_summary_latest_event_id,
        case_summary_redacted,
    )

    from .models import RedactionReview

    review = RedactionReview.objects.filter(job=job).first()
    if review is None:
        return case_summary_for_user(user=job.requested_by, pk=job.case_id, profile=job.profile)
    if case_summary_latest_event_id(case=job.case) != review.event_id:
        return None
    return case_summary_redacted(
        user=job.requested_by,
        pk=job.case_id,
        terms=tuple(review.terms),
        kept=frozenset(review.kept),
    ).summary


@shared_task(ignore_result=True, acks_late=True, reject_on_worker_lost=True)
def pdf_render(job_id: int) -> str:
    """Renders the job's summary for its requester, with the rights they have now; returns
    what happened ("ready", "noop", "failed")."""
    from ncii_cases.school_calendar import district_zone

    from .pdf import summary_pdf_build

    if not _claim(job_id):
        return "noop"
    job = PdfJob.objects.select_related("case__district", "requested_by").get(pk=job_id)
    try:
        # Every time in the document in the case's district's zone, as on the case page.
        with timezone.override(district_zone(job.case.district)):
            summary = _job_summary(job)
            if summary is None:
                _fail(job_id, ERROR_CHANGED)
                return "failed"
            rendered = summary_pdf_build(
                summary, generated_by=job.requested_by, generated_at=timezone.now()
            )
        _finish(job_id, rendered.content, rendered.pages)
    except Http404:
        _fail(job_id, ERROR_GONE)
        return "failed"
    except Exception:
        # The message shown on the page stays generic; the log has the details (no content).
        logger.exception("PDF job %s failed", job_id)
        _fail(job_id, ERROR_FAILED)
        return "failed"
    return "ready"


def pdf_job_enqueue(*, job_id: int) -> bool:
    """Publishes the rendering task of the job; returns False (and leaves the job queued)
    when the broker cannot be reached."""
    from kombu.exceptions import OperationalError

    try:
        import redis.exceptions as redis_errors

        broker_errors = (OperationalError, redis_errors.RedisError, OSError)
    except ImportError:  # pragma: no cover (redis is a dependency of the broker)
        broker_errors = (OperationalError, OSError)
    try:
        # CELERY_TASK_PUBLISH_RETRY_POLICY gives up quickly when the broker is down.
        pdf_render.apply_async(args=[job_id], retry=True)
    except broker_errors as error:
        logger.warning("PDF job %s stays queued: broker unavailable (%s)", job_id, type(error))
        return False
    PdfJob.objects.filter(pk=job_id).update(enqueued_at=timezone.now())
    return True


@shared_task(ignore_result=True)
def pdf_jobs_requeue() -> int:
    """Hands the worker again the jobs it never got (queued for over
    PDF_REQUEUE_QUEUED_AFTER_SECONDS, 2 minutes by default, or never published because the
    broker was down) and those stuck running for over PDF_REQUEUE_RUNNING_AFTER_SECONDS, 15
    minutes by default (a worker that died); a job tried MAX_ATTEMPTS times is marked failed
    instead. Returns the number of jobs enqueued."""
    from django.db.models import Q

    now = timezone.now()
    queued_stale_after = timedelta(seconds=settings.PDF_REQUEUE_QUEUED_AFTER_SECONDS)
    running_stale_after = timedelta(seconds=settings.PDF_REQUEUE_RUNNING_AFTER_SECONDS)
    stale = PdfJob.objects.filter(
        Q(status=PdfJob.Status.QUEUED)
        # Never published (the broker was down) or published long ago; a job just requested
        # is left to its own publish, which may still be on its way.
        & (
            Q(enqueued_at__isnull=True, created_at__lt=now - queued_stale_after)
            | Q(enqueued_at__lt=now - queued_stale_after)
        )
        | Q(status=PdfJob.Status.RUNNING, started_at__lt=now - running_stale_after)
    )
    stale.filter(attempts__gte=MAX_ATTEMPTS).update(
        status=PdfJob.Status.FAILED, error=ERROR_GAVE_UP, finished_at=now
    )
    sent = 0
    for job_id in stale.filter(attempts__lt=MAX_ATTEMPTS).values_list("pk", flat=True):
        if not pdf_job_enqueue(job_id=job_id):
            break  # the broker is still down; the next run tries again
        sent += 1
    return sent
