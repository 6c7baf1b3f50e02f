"""Requesting, rendering, retrying and downloading PDF summaries: one job per unchanged
request, one file per job, a retry after a failure, a queue that survives a broker outage, and
the permission checked again at download time."""

import datetime as dt
import hashlib

import pytest
from django.urls import reverse
from django.utils import timezone

from ncii_cases import choices as c
from ncii_cases.models import AccessEvent
from ncii_cases.services.cases import case_assign
from reporting import files, tasks
from reporting.models import PdfJob
from reporting.services import pdf_job_request
from tests.access.helpers import login_verified
from tests.factories_records import PdfJobFactory
from tests.recorded import records
from tests.reporting.pdftext import pdf_pages_text


def request_pdf(client, case, profile="internal", capture=None):
    url = reverse("reporting:case_pdf", args=[case.pk])
    if capture is None:
        return client.post(url, {"profile": profile})
    with capture(execute=True):
        return client.post(url, {"profile": profile})


def files_under(root):
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def test_two_requests_of_an_unchanged_case_make_one_job_and_one_file(
    client, case, coordinator, private_root, django_capture_on_commit_callbacks
):
    login_verified(client, coordinator)
    first = request_pdf(client, case, capture=django_capture_on_commit_callbacks)
    second = request_pdf(client, case, capture=django_capture_on_commit_callbacks)

    job = PdfJob.objects.get()
    assert first.status_code == second.status_code == 302
    assert (
        first["Location"]
        == second["Location"]
        == reverse("reporting:pdf_job", args=[case.pk, job.pk])
    )
    assert (job.status, job.attempts, job.requested_by, job.profile) == (
        "ready",
        1,
        coordinator,
        "internal",
    )
    assert files_under(private_root) == [f"pdf/{case.district_id}/{job.pk}.pdf"]
    content = (private_root / job.file_path).read_bytes()
    assert hashlib.sha256(content).hexdigest() == job.sha256 and len(content) == job.size
    assert job.page_count == len(pdf_pages_text(content))


def test_a_new_event_on_the_case_or_another_requester_makes_a_new_job(
    case, coordinator, investigator, private_root
):
    job, created = pdf_job_request(user=coordinator, case_pk=case.pk, profile="internal")
    again, created_again = pdf_job_request(user=coordinator, case_pk=case.pk, profile="internal")
    other, _ = pdf_job_request(user=investigator, case_pk=case.pk, profile="internal")
    case_assign(actor=coordinator, case=case, user=coordinator, role=c.AssignmentRole.LEAD)
    changed, _ = pdf_job_request(user=coordinator, case_pk=case.pk, profile="internal")

    assert created and not created_again and again.pk == job.pk
    assert len({job.pk, other.pk, changed.pk}) == 3


def test_a_redacted_summary_is_not_made_on_request_alone(client, case, coordinator, private_root):
    # Only the approval of a redaction review makes a redacted file (services_redaction).
    with pytest.raises(ValueError, match="released after its review"):
        pdf_job_request(user=coordinator, case_pk=case.pk, profile="redacted")
    login_verified(client, coordinator)
    response = request_pdf(client, case, profile="redacted")
    assert response.status_code == 400 and PdfJob.objects.count() == 0


def test_a_task_delivered_twice_or_redelivered_leaves_exactly_one_file(
    case, coordinator, private_root
):
    job, _ = pdf_job_request(user=coordinator, case_pk=case.pk, profile="internal")
    assert tasks.pdf_render(job.pk) == "ready"
    job.refresh_from_db()
    first_sha = job.sha256

    # Delivered again: nothing to do, the file and its hash stay.
    assert tasks.pdf_render(job.pk) == "noop"
    job.refresh_from_db()
    assert (job.sha256, job.attempts) == (first_sha, 1)

    # Redelivered after a worker died mid-rendering (leaving its temporary file behind):
    # rendered again onto the same path, and the leftover is removed.
    PdfJob.objects.filter(pk=job.pk).update(status=PdfJob.Status.RUNNING)
    (private_root / job.file_path).with_name(f".tmp-{job.pk}-dead.pdf").write_bytes(b"%PDF-")
    assert tasks.pdf_render(job.pk) == "ready"
    job.refresh_from_db()
    assert job.attempts == 2
    assert files_under(private_root) == [job.file_path]
    assert hashlib.sha256((private_root / job.file_path).read_bytes()).hexdigest() == job.sha256

    # A file lost or altered on disk is made again.
    (private_root / job.file_path).write_bytes(b"tampered")
    assert tasks.pdf_render(job.pk) == "ready"
    job.refresh_from_db()
    assert files.pdf_job_file_ok(job) and files_under(private_root) == [job.file_path]


def test_a_failed_summary_says_so_and_can_be_tried_again_from_the_page(
    client,
    case,
    coordinator,
    private_root,
    monkeypatch,
    django_capture_on_commit_callbacks,
):
    import reporting.pdf

    def broken(*args, **kwargs):
        raise RuntimeError("font exploded: Secret Narrative Text")

    monkeypatch.setattr(reporting.pdf, "summary_pdf_build", broken)
    login_verified(client, coordinator)
    request_pdf(client, case, capture=django_capture_on_commit_callbacks)
    job = PdfJob.objects.get()
    assert (job.status, job.attempts) == ("failed", 1)
    assert "Secret" not in job.error and "Try again" in job.error

    page = client.get(reverse("reporting:pdf_job_status", args=[case.pk, job.pk]))
    body = page.content.decode()
    assert "could not be made" in body and "Try again</button>" in body
    assert "hx-trigger" not in body  # polling stops once it failed
    assert files_under(private_root) == []

    monkeypatch.undo()
    with django_capture_on_commit_callbacks(execute=True), records(queries=16):
        retry = client.post(reverse("reporting:pdf_job_retry", args=[case.pk, job.pk]))
    assert retry.status_code == 302
    job.refresh_from_db()
    assert (job.status, job.attempts, job.error) == ("ready", 2, "")
    assert PdfJob.objects.count() == 1


def test_the_status_partial_polls_while_in_progress_and_then_offers_the_download(
    client, case, coordinator, private_root
):
    login_verified(client, coordinator)
    response = request_pdf(client, case)  # not committed yet: the job waits in the queue
    job = PdfJob.objects.get()
    assert response.status_code == 302
    url = reverse("reporting:pdf_job_status", args=[case.pk, job.pk])
    queued = client.get(url).content.decode()
    assert 'hx-trigger="every 2s"' in queued and f'hx-get="{url}"' in queued

    tasks.pdf_render(job.pk)
    ready = client.get(url).content.decode()
    assert "hx-trigger" not in ready
    assert reverse("reporting:pdf_job_download", args=[case.pk, job.pk]) in ready
    page = client.get(reverse("reporting:pdf_job", args=[case.pk, job.pk])).content.decode()
    assert 'id="pdf-job-status"' in page and "js/htmx.min.js" in page


def test_download_is_an_uncached_attachment_and_is_logged(client, case, coordinator, private_root):
    job, _ = pdf_job_request(user=coordinator, case_pk=case.pk, profile="internal")
    tasks.pdf_render(job.pk)
    login_verified(client, coordinator)
    url = reverse("reporting:pdf_job_download", args=[case.pk, job.pk])

    response = client.get(url)
    content = b"".join(response.streaming_content)

    assert response.status_code == 200 and content.startswith(b"%PDF")
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "no-store" in response["Cache-Control"]
    assert response["X-Content-Type-Options"] == "nosniff"
    entry = AccessEvent.objects.order_by("pk").last()
    assert (entry.user, entry.action, entry.case_id, entry.allowed, entry.path) == (
        coordinator,
        "pdf_download",
        case.pk,
        True,
        url,
    )


def test_the_auditor_and_other_districts_cannot_request_a_summary(
    client, case, auditor, outsider, private_root
):
    for user in (auditor, outsider):
        login_verified(client, user)
        assert request_pdf(client, case).status_code == 404
        assert client.get(reverse("reporting:case_pdf", args=[case.pk])).status_code == 404
    assert PdfJob.objects.count() == 0
    refusal = AccessEvent.objects.order_by("pk").last()
    assert (refusal.user, refusal.allowed, refusal.case) == (outsider, False, None)


def test_another_users_job_and_a_job_of_another_case_are_not_found(
    client, case, closed_case, coordinator, school_admin, private_root
):
    job, _ = pdf_job_request(user=coordinator, case_pk=case.pk, profile="internal")
    tasks.pdf_render(job.pk)
    login_verified(client, school_admin)  # may read the case, but did not ask for this PDF
    for name in ("pdf_job", "pdf_job_status", "pdf_job_download"):
        assert client.get(reverse(f"reporting:{name}", args=[case.pk, job.pk])).status_code == 404
    login_verified(client, coordinator)
    forged = reverse("reporting:pdf_job_download", args=[closed_case.pk, job.pk])
    assert client.get(forged).status_code == 404


def test_a_summary_is_no_longer_served_once_its_requester_lost_the_case(
    client, case, coordinator, counselor, private_root
):
    from ncii_cases.services.cases import case_unassign

    job, _ = pdf_job_request(user=counselor, case_pk=case.pk, profile="internal")
    tasks.pdf_render(job.pk)
    login_verified(client, counselor)
    url = reverse("reporting:pdf_job_download", args=[case.pk, job.pk])
    assert client.get(url).status_code == 200
    assignment = case.assignments.get(user=counselor, ended_at__isnull=True)
    case_unassign(actor=coordinator, assignment=assignment)
    assert client.get(url).status_code == 404


def test_an_unknown_profile_is_refused_with_a_message(client, case, coordinator, private_root):
    login_verified(client, coordinator)
    response = request_pdf(client, case, profile="everything")
    assert response.status_code == 400
    assert "Choose the internal or the redacted summary." in response.content.decode()
    assert PdfJob.objects.count() == 0


def test_with_the_broker_down_a_request_is_queued_and_the_page_says_so(
    client, case, coordinator, private_root, broker_down, django_capture_on_commit_callbacks
):
    login_verified(client, coordinator)
    response = request_pdf(client, case, capture=django_capture_on_commit_callbacks)
    assert response.status_code == 302
    job = PdfJob.objects.get()
    assert (job.status, job.enqueued_at) == ("queued", None)
    page = client.get(response["Location"]).content.decode()
    assert "background service is unavailable" in page and 'hx-trigger="every 2s"' in page

    # The beat task finds the job again; while the broker is still down it stays queued.
    assert tasks.pdf_jobs_requeue() == 0
    job.refresh_from_db()
    assert job.status == "queued"


def test_requeue_hands_over_waiting_and_stuck_jobs_and_gives_up_after_five_attempts(
    case, coordinator, investigator, private_root
):
    now = timezone.now()
    waiting, _ = pdf_job_request(user=coordinator, case_pk=case.pk, profile="internal")
    stuck, _ = pdf_job_request(user=investigator, case_pk=case.pk, profile="internal")
    # Requested three minutes ago and never published (the broker was down then).
    PdfJob.objects.filter(pk=waiting.pk).update(created_at=now - dt.timedelta(minutes=3))
    PdfJob.objects.filter(pk=stuck.pk).update(
        status="running", attempts=1, started_at=now - dt.timedelta(minutes=20)
    )
    just_requested = PdfJobFactory(
        case=case,
        requested_by=coordinator,
        profile="internal",
        idempotency_key="just-now-key",
    )
    hopeless = PdfJobFactory(
        case=case,
        requested_by=coordinator,
        profile="internal",
        idempotency_key="old-key",
        status="running",
        attempts=5,
        started_at=now - dt.timedelta(hours=1),
    )
    fresh_running = PdfJobFactory(
        case=case,
        requested_by=coordinator,
        profile="redacted",
        idempotency_key="fresh-key",
        status="running",
        attempts=1,
        started_at=now,
    )

    assert tasks.pdf_jobs_requeue() == 2  # eager in tests: rendered right away

    statuses = dict(PdfJob.objects.values_list("pk", "status"))
    assert statuses[waiting.pk] == statuses[stuck.pk] == "ready"
    assert statuses[hopeless.pk] == "failed" and statuses[fresh_running.pk] == "running"
    # A job requested a moment ago is left to its own publish, still on its way.
    assert statuses[just_requested.pk] == "queued"


def test_the_polled_status_partial_stays_cheap(
    client, case, coordinator, private_root, django_assert_max_num_queries
):
    job, _ = pdf_job_request(user=coordinator, case_pk=case.pk, profile="internal")
    login_verified(client, coordinator)
    url = reverse("reporting:pdf_job_status", args=[case.pk, job.pk])
    client.get(url)
    before = AccessEvent.objects.count()
    with django_assert_max_num_queries(14):
        assert client.get(url).status_code == 200
    assert AccessEvent.objects.count() == before + 1


def test_requeue_waits_the_configured_times_before_handing_a_job_over_again(
    case, coordinator, investigator, private_root, settings
):
    waiting, _ = pdf_job_request(user=coordinator, case_pk=case.pk, profile="internal")
    stuck, _ = pdf_job_request(user=investigator, case_pk=case.pk, profile="internal")
    half_a_minute_ago = timezone.now() - dt.timedelta(seconds=30)
    PdfJob.objects.filter(pk=waiting.pk).update(status="queued", enqueued_at=half_a_minute_ago)
    PdfJob.objects.filter(pk=stuck.pk).update(
        status="running", attempts=1, started_at=half_a_minute_ago
    )

    # The defaults: 2 minutes queued, 15 minutes running; neither job is due yet.
    assert (
        settings.PDF_REQUEUE_QUEUED_AFTER_SECONDS,
        settings.PDF_REQUEUE_RUNNING_AFTER_SECONDS,
    ) == (
        120,
        900,
    )
    assert tasks.pdf_jobs_requeue() == 0
    assert dict(PdfJob.objects.values_list("pk", "status")) == {
        waiting.pk: "queued",
        stuck.pk: "running",
    }

    settings.PDF_REQUEUE_QUEUED_AFTER_SECONDS = 20
    assert tasks.pdf_jobs_requeue() == 1  # eager in tests: rendered right away
    settings.PDF_REQUEUE_RUNNING_AFTER_SECONDS = 20
    assert tasks.pdf_jobs_requeue() == 1
    assert set(PdfJob.objects.values_list("status", flat=True)) == {"ready"}


def test_a_ready_summary_whose_file_is_gone_is_made_again_when_requested_again(
    client, case, coordinator, private_root, django_capture_on_commit_callbacks
):
    """A file lost from the private folder (a restore, a clean-up) must not leave the job
    stuck at "ready" with a download that is never found."""
    login_verified(client, coordinator)
    request_pdf(client, case, capture=django_capture_on_commit_callbacks)
    job = PdfJob.objects.get()
    (private_root / job.file_path).unlink()
    download = reverse("reporting:pdf_job_download", args=[case.pk, job.pk])
    assert client.get(download).status_code == 404

    again = request_pdf(client, case, capture=django_capture_on_commit_callbacks)
    assert again["Location"] == reverse("reporting:pdf_job", args=[case.pk, job.pk])
    job.refresh_from_db()
    assert job.status == "ready" and job.attempts == 2 and files.pdf_job_file_ok(job)
    response = client.get(download)
    assert response.status_code == 200
    assert hashlib.sha256(b"".join(response.streaming_content)).hexdigest() == job.sha256
