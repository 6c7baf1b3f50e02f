"""Redis stops: pages still serve, a PDF request says it is queued rather than erroring, and
nothing requested is lost once Redis is back.

Everything runs as deployed (tests/processes.py): gunicorn and a Celery worker with the
production settings, on a private redis-server that the test stops and starts again, empty,
on the same port (never the machine's shared Redis). Three requests:

- before the outage, the investigator's: published, but its message is lost with Redis' data
  (no worker had taken it yet; the private Redis keeps nothing on disk, as when a server's
  volume is lost);
- during the outage, the coordinator's: the queue, a case page and the PDF page answer 200,
  and the request answers at once with the job page, which says the background service is
  unavailable; the job stays queued without ``enqueued_at``. A worker (re)started meanwhile
  keeps trying to connect;
- after it, the coordinator's other profile: the same gunicorn publishes it again, and the
  worker renders it directly.

The first two are handed over by ``reporting.tasks.pdf_jobs_requeue``, published as beat does
every minute: a job never published at once, a job published but still queued after
PDF_REQUEUE_QUEUED_AFTER_SECONDS (2 minutes in production, 3 seconds for this test's worker).
All three end ready and download as PDFs.
"""

import io
import re
import time

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from pypdf import PdfReader

from ncii_cases.choices import AssignmentRole
from ncii_cases.services.cases import case_assign
from reporting.models import PdfJob
from tests.processes import (
    WebSession,
    celery_call,
    celery_worker,
    celery_worker_wait,
    free_port,
    gunicorn,
    production_env,
    stop,
    tail,
    with_redis,
)

UNAVAILABLE = "The background service is unavailable right now."
PASSWORD = "correct-horse-battery-staple"  # noqa: S105 (a test account's)
QUEUED_AFTER_SECONDS = 3


def signed_in(port: int, user) -> WebSession:
    """``user`` signed in through both real steps (the test settings hash passwords with MD5,
    which the production settings do not accept: the password is hashed again here)."""
    hasher = PBKDF2PasswordHasher()
    user.password = hasher.encode(PASSWORD, hasher.salt())
    user.save(update_fields=["password"])
    device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)
    person = WebSession(port)
    person.sign_in(user.username, PASSWORD, device.key)
    return person


def request_pdf(person: WebSession, case_pk: int, profile: str) -> tuple[int, str, float]:
    """POSTs a PDF request; returns the job id, the job page and how long the POST took."""
    began = time.monotonic()
    answer = person.post(f"/reporting/cases/{case_pk}/pdf/", {"profile": profile})
    took = time.monotonic() - began
    assert answer.status == 302, (answer.status, answer.body[:2000])
    job_id = int(re.fullmatch(rf"/reporting/cases/{case_pk}/pdf/(\d+)/", answer.location)[1])
    page = person.get(answer.location)
    assert page.status == 200, page.status
    return job_id, page.body, took


def wait_until_done(jobs, worker, log, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert worker.poll() is None, f"the worker exited:\n{tail(log)}"
        if not jobs.filter(status__in=[PdfJob.Status.QUEUED, PdfJob.Status.RUNNING]).exists():
            return
        time.sleep(0.3)


@pytest.mark.postgres
@pytest.mark.redis
# transaction=True: the rows this test writes are committed, so the processes see them.
@pytest.mark.django_db(transaction=True)
def test_pdf_requests_survive_a_redis_outage(
    case, coordinator, investigator, tmp_path, private_redis, static_root
):
    env = {
        **with_redis(production_env(tmp_path), private_redis),
        "STATIC_ROOT": static_root,
        "EMAIL_URL": "dummymail://",
        "PDF_REQUEUE_QUEUED_AFTER_SECONDS": str(QUEUED_AFTER_SECONDS),
    }
    web_log, worker_log = tmp_path / "gunicorn.log", tmp_path / "worker.log"
    port = free_port()
    web = gunicorn(port, env, web_log, workers=1, threads=2)
    worker = None
    try:
        coordinator_web = signed_in(port, coordinator)
        investigator_web = signed_in(port, investigator)
        pages = ["/", f"/cases/{case.pk}/", f"/reporting/cases/{case.pk}/pdf/"]
        assert [coordinator_web.get(page).status for page in pages] == [200, 200, 200]

        lost_job, body, _ = request_pdf(investigator_web, case.pk, "internal")
        assert PdfJob.objects.get(pk=lost_job).enqueued_at is not None
        assert UNAVAILABLE not in body

        private_redis.stop()
        assert not private_redis.ping()
        assert [coordinator_web.get(page).status for page in pages] == [200, 200, 200]
        outage_job, body, took = request_pdf(coordinator_web, case.pk, "internal")
        print(f"\nPDF request with Redis down answered in {took:.2f} s")
        assert took < 30  # it returns; the page must not hang on the broker
        assert 'data-status="queued"' in body and UNAVAILABLE in body
        job = PdfJob.objects.get(pk=outage_job)
        assert (job.status, job.enqueued_at, job.attempts) == (PdfJob.Status.QUEUED, None, 0)
        # Asked again while down: the same job, still saved in the queue.
        assert request_pdf(coordinator_web, case.pk, "internal")[0] == outage_job
        worker = celery_worker(env, worker_log, wait=False)
        time.sleep(1)

        private_redis.start()  # empty: the investigator's message is gone
        back = time.monotonic()
        celery_worker_wait(worker, worker_log)
        # The case changes (an assignment): asked again, the summary is a new one.
        case_assign(actor=coordinator, case=case, user=coordinator, role=AssignmentRole.LEAD)
        later_job, body, took = request_pdf(coordinator_web, case.pk, "internal")
        print(f"PDF request with Redis back answered in {took:.2f} s")
        assert UNAVAILABLE not in body
        assert PdfJob.objects.get(pk=later_job).enqueued_at is not None, tail(web_log)
        wait_until_done(PdfJob.objects.filter(pk=later_job), worker, worker_log)
        # Nothing else reached the worker: only the requeue task can hand those two over.
        assert dict(PdfJob.objects.values_list("pk", "status")) == {
            lost_job: "queued",
            outage_job: "queued",
            later_job: "ready",
        }, tail(worker_log)

        published = PdfJob.objects.get(pk=lost_job).enqueued_at
        time.sleep(
            max(0, QUEUED_AFTER_SECONDS + 0.5 - (timezone.now() - published).total_seconds())
        )
        celery_call(env, "reporting.tasks.pdf_jobs_requeue")  # what beat sends every minute
        jobs = PdfJob.objects.filter(pk__in=[lost_job, outage_job, later_job])
        wait_until_done(jobs, worker, worker_log)
        print(f"all three jobs done {time.monotonic() - back:.1f} s after Redis came back")
        statuses = dict(jobs.values_list("pk", "status"))
        assert set(statuses.values()) == {"ready"}, f"{statuses}\n{tail(worker_log)}"
        assert PdfJob.objects.count() == 3

        for person, job_id in (
            (investigator_web, lost_job),
            (coordinator_web, outage_job),
            (coordinator_web, later_job),
        ):
            url = f"/reporting/cases/{case.pk}/pdf/{job_id}/download/"
            status_page = person.get(f"/reporting/cases/{case.pk}/pdf/{job_id}/status/")
            assert 'data-status="ready"' in status_page.body and url in status_page.body
            download = person.get(url)
            assert download.status == 200 and download.content.startswith(b"%PDF")
            assert download.headers["content-type"] == "application/pdf"
            reader = PdfReader(io.BytesIO(download.content))
            assert len(reader.pages) == PdfJob.objects.get(pk=job_id).page_count >= 1
        assert web.poll() is None  # the same gunicorn throughout
    finally:
        if worker is not None:
            stop(worker)
        stop(web)
