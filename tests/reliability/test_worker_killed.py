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
"""

import hashlib
import os
import signal
import time

import pytest
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


def wait_for(condition, seconds: float, worker, log, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert worker.poll() is None, f"the worker exited:\n{tail(log)}"
        if condition():
            return
        time.sleep(0.2)
    pytest.fail(f"{what} not within {seconds} s:\n{tail(log)}")


@pytest.mark.postgres
@pytest.mark.redis
# transaction=True: the rows this test writes are committed, so the worker sees them.
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_pdf_is_redelivered_and_leaves_one_file(
    case, coordinator, tmp_path, private_redis, monkeypatch
):
    marker = tmp_path / "first-rendering-stalled"
    env = {
        **with_redis(production_env(tmp_path), private_redis),
        "NCII_SLOW_PDF_MARKER": str(marker),
        "NCII_SLOW_PDF_SECONDS": "300",
    }
    # The job is made by the real service; its task is published below, on the private Redis
    # (the test settings would otherwise render it here, eagerly).
    monkeypatch.setattr(services, "pdf_job_enqueue", lambda *, job_id: False)
    job, created = services.pdf_job_request(user=coordinator, case_pk=case.pk, profile="internal")
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
        # Killed after its temporary file was written, before the file was moved into place.
        assert [p.name for p in folder.iterdir()] == [os.path.basename(temp_name)]
        assert pool_pid in child_pids(worker.pid), "the stalled rendering is not a pool process"

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
    # Exactly one file, at the job's path, no temporary file left; its hash is the recorded one.
    assert sorted(p.name for p in folder.iterdir()) == [f"{job.pk}.pdf"]
    assert job.file_path == f"pdf/{case.district_id}/{job.pk}.pdf"
    content = (folder / f"{job.pk}.pdf").read_bytes()
    assert hashlib.sha256(content).hexdigest() == job.sha256
    assert len(content) == job.size
    assert len(PdfReader(folder / f"{job.pk}.pdf").pages) == job.page_count >= 1
