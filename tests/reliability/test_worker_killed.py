"""A Celery worker killed mid-PDF: the task is delivered again and leaves exactly one file.

A real prefork worker (concurrency 1) runs against a private Redis (tests/processes.py). Its
first rendering stalls right after writing its temporary file (tests/slow_pdf_worker.py, a
test-only wrapper: the application has no such hook); the test waits until the job is running
and that file exists, then SIGKILLs the pool process doing the work. With acks_late and
reject_on_worker_lost (config/settings/base.py, reporting.tasks.pdf_render) the message was
never acknowledged, so the worker's main process hands it back to Redis and a new pool process
runs it again at once, without waiting for Redis' visibility timeout (that only matters when
the whole worker dies; pdf_jobs_requeue covers a job left running then). The second delivery
renders again and moves its file onto the job's one path under the row lock, removing the
temporary file of the killed delivery.

When the whole worker is killed (main process and pool together), nothing is left to hand the
message back: it stays unacknowledged in Redis until the visibility timeout has passed, then a
worker takes it again (kombu restores such messages when a worker starts, then periodically).
That timeout is an hour in production (pdf_jobs_requeue hands the job over after 15 minutes);
the second test's new worker runs with CELERY_BROKER_VISIBILITY_TIMEOUT=5 and starts once
those seconds have passed. A duplicate delivery after the job is ready (the requeue task's
message, say) changes nothing.
"""

import hashlib
import os
import signal
import time

import pytest
from django.utils import timezone
from pypdf import PdfReader

from reporting import services
from reporting.models import PdfJob
from tests.processes import (
    celery_call,
    celery_worker,
    child_pids,
    production_env,
    stop,
    tail,
    with_redis,
)

VISIBILITY_TIMEOUT = 5  # seconds, for the worker started after the whole worker was killed


def wait_for(condition, seconds: float, worker, log, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert worker.poll() is None, f"the worker exited:\n{tail(log)}"
        if condition():
            return
        time.sleep(0.2)
    pytest.fail(f"{what} not within {seconds} s:\n{tail(log)}")


def stalled_rendering(case, user, tmp_path, redis, monkeypatch):
    """A job whose first rendering stalls in a prefork worker right after writing its
    temporary file: returns the job, the worker's environment, the worker, its log, the id of
    the pool process rendering and the job's folder."""
    marker = tmp_path / "first-rendering-stalled"
    env = {
        **with_redis(production_env(tmp_path), redis),
        "NCII_SLOW_PDF_MARKER": str(marker),
        "NCII_SLOW_PDF_SECONDS": "300",
    }
    # The job is made by the real service; its task is published below, on the private Redis
    # (the test settings would otherwise render it here, eagerly).
    monkeypatch.setattr(services, "pdf_job_enqueue", lambda *, job_id: False)
    job, created = services.pdf_job_request(user=user, case_pk=case.pk, profile="internal")
    assert created and job.status == PdfJob.Status.QUEUED
    folder = tmp_path / "private" / "pdf" / str(case.district_id)

    log = tmp_path / "worker.log"
    worker = celery_worker(env, log, pool="prefork", concurrency=1, module="tests.slow_pdf_worker")
    try:
        celery_call(env, "reporting.tasks.pdf_render", job.pk)
        wait_for(marker.exists, 90, worker, log, "the first rendering")
        pid_text, temp_name = marker.read_text().split()
        pool_pid = int(pid_text)
        job.refresh_from_db()
        assert (job.status, job.attempts) == (PdfJob.Status.RUNNING, 1)
        # Stalled after its temporary file was written, before the file was moved into place.
        assert [p.name for p in folder.iterdir()] == [os.path.basename(temp_name)]
        assert pool_pid in child_pids(worker.pid), "the stalled rendering is not a pool process"
    except BaseException:
        stop(worker)
        raise
    return job, env, worker, log, pool_pid, folder


def assert_one_file(job, folder) -> None:
    """The job is ready with exactly one file, at its path, no temporary file left; the
    file's hash is the recorded one and pypdf reads it."""
    assert job.status == PdfJob.Status.READY, (job.status, job.error)
    assert sorted(p.name for p in folder.iterdir()) == [f"{job.pk}.pdf"]
    assert job.file_path == f"pdf/{job.case.district_id}/{job.pk}.pdf"
    content = (folder / f"{job.pk}.pdf").read_bytes()
    assert hashlib.sha256(content).hexdigest() == job.sha256
    assert len(content) == job.size
    assert len(PdfReader(folder / f"{job.pk}.pdf").pages) == job.page_count >= 1


@pytest.mark.postgres
@pytest.mark.redis
# transaction=True: the rows this test writes are committed, so the worker sees them.
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_pdf_is_redelivered_and_leaves_one_file(
    case, coordinator, tmp_path, private_redis, monkeypatch
):
    job, env, worker, log, pool_pid, folder = stalled_rendering(
        case, coordinator, tmp_path, private_redis, monkeypatch
    )
    try:
        os.kill(pool_pid, signal.SIGKILL)
        killed = time.monotonic()

        def ready():
            job.refresh_from_db()
            return job.status != PdfJob.Status.RUNNING

        wait_for(ready, 120, worker, log, "the job done again")
        print(f"\nredelivered and rendered {time.monotonic() - killed:.1f} s after the kill")
    finally:
        stop(worker)

    assert job.status == PdfJob.Status.READY, (job.status, job.error, tail(log))
    assert job.attempts == 2
    assert "WorkerLostError" in log.read_text(errors="replace")
    assert_one_file(job, folder)


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_whole_worker_killed_mid_pdf_leaves_the_task_to_the_next_worker_and_one_file(
    case, coordinator, tmp_path, private_redis, monkeypatch
):
    job, env, worker, log, pool_pid, folder = stalled_rendering(
        case, coordinator, tmp_path, private_redis, monkeypatch
    )
    # The main process and its pool process at once: nothing hands the message back.
    os.killpg(worker.pid, signal.SIGKILL)
    worker.wait(timeout=10)
    killed = time.monotonic()

    # A starting worker restores the messages unacknowledged for longer than the visibility
    # timeout (later it sweeps only every 100 s or so): it starts once that time has passed.
    job.refresh_from_db()
    taken = (timezone.now() - job.started_at).total_seconds()
    time.sleep(max(0, VISIBILITY_TIMEOUT + 1 - taken))
    next_log = tmp_path / "next-worker.log"
    next_env = {**env, "CELERY_BROKER_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT)}
    del next_env["NCII_SLOW_PDF_MARKER"]
    next_worker = celery_worker(next_env, next_log)
    try:

        def done():
            job.refresh_from_db()
            return job.status != PdfJob.Status.RUNNING

        wait_for(done, 90, next_worker, next_log, "the job done by the next worker")
        print(f"\ntaken again and rendered {time.monotonic() - killed:.1f} s after the kill")
        assert job.status == PdfJob.Status.READY, (job.status, job.error, tail(next_log))
        assert job.attempts == 2
        assert_one_file(job, folder)
        recorded = (job.sha256, job.finished_at)

        # A duplicate delivery once the job is ready (the requeue task's, or a late restore).
        celery_call(next_env, "reporting.tasks.pdf_render", job.pk)
        wait_for(
            lambda: "'noop'" in next_log.read_text(errors="replace"),
            60,
            next_worker,
            next_log,
            "the duplicate delivery",
        )
    finally:
        stop(next_worker)
    job.refresh_from_db()
    assert (job.sha256, job.finished_at, job.attempts) == (*recorded, 2)
    assert_one_file(job, folder)
