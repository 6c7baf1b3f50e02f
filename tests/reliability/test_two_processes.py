"""One system on several processes: two gunicorn processes on two ports (the client goes round
robin between them) and two Celery workers, on the same PostgreSQL (the test database), the
same Redis (a private redis-server of this test) and the same object store (moto's S3-compatible
server on loopback, tests/object_store.py), with the production settings (FILE_STORAGE=s3,
Redis caches).

- A PDF summary requested through web process A is rendered by a worker into the bucket and
  downloads, with its recorded hash, from web process B; nothing is written to local disk.
- The district analytics figures agree between A and B: one computation, kept in the Redis
  cache that both read.
- deadlines_remind handed to both workers at once (a queue of each) sends each reminder once.

Every process is stopped at the end, whatever happened.
"""

import datetime as dt
import hashlib
import re
import time
from pathlib import Path

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from ncii_cases import choices as c
from ncii_cases.events import EventType
from ncii_cases.models import Case, CaseEvent
from reporting.models import PdfJob
from tests.object_store import new_bucket, storage_env
from tests.processes import (
    WebSession,
    celery_call,
    celery_worker,
    free_port,
    gunicorn,
    production_env,
    stop,
    tail,
    with_redis,
)

PASSWORD = "two-process-password-1"


def wait_for(condition, seconds: float, what: str, logs: list[Path]) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.5)
    pytest.fail(f"{what} not within {seconds} s:\n" + "\n---\n".join(tail(log) for log in logs))


class RoundRobin:
    """The client side of a tiny load balancer: each request goes to the next web process,
    with the same cookies (one person's browser)."""

    def __init__(self, ports: list[int]):
        self.sessions = [WebSession(port) for port in ports]
        self.turn = 0

    def on(self, index: int) -> WebSession:
        session = self.sessions[index]
        # One browser: the cookies follow the person to whichever process answers.
        for other in self.sessions:
            if other is not session:
                session.cookies.update(other.cookies)
        return session

    def next(self) -> WebSession:
        self.turn = (self.turn + 1) % len(self.sessions)
        return self.on(self.turn)


def figures_of(csv_text: str) -> list[str]:
    return [line for line in csv_text.splitlines() if line.strip()]


@pytest.mark.postgres
@pytest.mark.redis
# transaction=True: the rows written here are committed, so the processes see them.
@pytest.mark.django_db(transaction=True)
def test_two_web_processes_and_two_workers_are_one_system(
    tmp_path, static_root, private_redis, moto_server, case, coordinator
):
    import redis

    hasher = PBKDF2PasswordHasher()
    coordinator.password = hasher.encode(PASSWORD, hasher.salt(), iterations=1000)
    coordinator.save(update_fields=["password"])
    key = TOTPDevice.objects.create(user=coordinator, name="Authenticator app", confirmed=True).key
    bucket = new_bucket(moto_server)
    mail = tmp_path / "mail"
    mail.mkdir()
    env = {
        **with_redis(production_env(tmp_path), private_redis),
        **storage_env(bucket),
        "STATIC_ROOT": static_root,
        # Four slashes: an absolute path (django-environ drops the first slash of the path).
        "EMAIL_URL": f"filemail:///{mail}",
        "ANALYTICS_CACHE_SECONDS": "600",
    }
    env.pop("CACHE_URL", None)
    env.pop("RATELIMIT_CACHE_URL", None)
    ports = [free_port(), free_port()]
    logs = [tmp_path / "web-a.log", tmp_path / "web-b.log"]
    worker_logs = [tmp_path / "worker-1.log", tmp_path / "worker-2.log"]
    processes = []
    try:
        for port, log in zip(ports, logs, strict=True):
            processes.append(gunicorn(port, env, log, workers=1, threads=2))
        # Each worker also takes a queue of its own, so that the test can hand each one a run
        # of the reminders at the same moment.
        for n, log in enumerate(worker_logs, start=1):
            processes.append(
                celery_worker(env, log, queues=f"celery,worker-{n}", name=f"worker{n}@%h")
            )
        person = RoundRobin(ports)
        person.on(0).sign_in(coordinator.username, PASSWORD, key)

        # A PDF requested on A, rendered by a worker into the bucket, downloaded from B.
        answer = person.on(0).post(
            reverse("reporting:case_pdf", args=[case.pk]), {"profile": "internal"}
        )
        assert answer.status == 302, (answer.status, answer.body[:2000])
        job = PdfJob.objects.get(case=case)

        def ready():
            job.refresh_from_db()
            return job.status in (PdfJob.Status.READY, PdfJob.Status.FAILED)

        wait_for(ready, 180, "the PDF rendered by a worker", worker_logs)
        assert job.status == PdfJob.Status.READY, job.error
        download = person.on(1).get(reverse("reporting:pdf_job_download", args=[case.pk, job.pk]))
        assert download.status == 200, download.body[:2000]
        assert download.content.startswith(b"%PDF")
        assert hashlib.sha256(download.content).hexdigest() == job.sha256
        assert bucket.keys() == [job.file_path]
        assert bucket.unsigned_get(job.file_path) == 403
        private = tmp_path / "private"
        assert not private.exists() or [p for p in private.rglob("*") if p.is_file()] == []
        for answer in (
            download,
            person.on(0).get(reverse("reporting:pdf_job", args=[case.pk, job.pk])),
        ):
            assert bucket.endpoint.encode() not in answer.content + str(answer.headers).encode()

        # Analytics: computed once, kept in the shared Redis cache, the same on A and B.
        csv_url = reverse("reporting:analytics_csv")
        first = person.on(0).get(csv_url)
        assert first.status == 200, first.body[:2000]
        shared = redis.Redis.from_url(private_redis.url)
        assert list(shared.scan_iter("ncii:*reporting:analytics:*")), "not in Redis"
        second = person.on(1).get(csv_url)
        assert second.status == 200
        assert figures_of(second.body) == figures_of(first.body)

        # A reminder published twice at once, for both workers, is sent once.
        Case.objects.filter(pk=case.pk).update(
            stage=c.Stage.HARM_ASSESSMENT,
            stage_due_at=timezone.now() - dt.timedelta(hours=1),
        )
        for n in (1, 2):
            celery_call(env, "ncii_cases.tasks.deadlines_remind", queue=f"worker-{n}")

        finished = re.compile(r"ncii_cases\.tasks\.deadlines_remind\[[^\]]+\] succeeded")

        def both_runs_done():
            text = "".join(log.read_text(errors="replace") for log in worker_logs)
            return len(finished.findall(text)) >= 2

        wait_for(both_runs_done, 120, "both reminder runs", worker_logs)
        reminders = CaseEvent.objects.filter(case=case, event_type=EventType.REMINDER_SENT)
        stage_reminders = [e for e in reminders if e.detail.get("clock") == "stage"]
        assert len(stage_reminders) == 1, [e.detail for e in reminders]
        sent = "".join(p.read_text(errors="replace") for p in mail.iterdir())
        assert sent.count("Subject:") == reminders.count()
        runs = [len(finished.findall(log.read_text(errors="replace"))) for log in worker_logs]
        assert runs == [1, 1], runs
        print(f"\nreminder runs finished per worker: {runs}")
    finally:
        for process in processes:
            stop(process)
    assert all(p.poll() is not None for p in processes)
