"""Redis stops: a workflow step still answers at once with a redirect and says notifications
are delayed; once Redis is back, the notification is delivered by the beat relay.

As deployed (tests/processes.py): gunicorn and a Celery worker with the production settings,
on a private redis-server that the test stops and starts again, empty. E-mails are written to
files (Django's file-based backend) so that the test can see the worker deliver them.
Before the outbox, this step answered 500 after about 20 seconds although the change was saved,
and the notification was lost.
"""

import time

import pytest

from ncii_cases import choices as c
from ncii_cases.models import Case, NotificationOutbox
from tests.processes import (
    celery_call,
    celery_worker,
    free_port,
    gunicorn,
    production_env,
    stop,
    tail,
    with_redis,
)
from tests.reliability.test_redis_outage import signed_in

DELAYED = "Notifications delayed"


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_step_with_redis_down_answers_at_once_and_is_notified_once_redis_is_back(
    case, coordinator, tmp_path, private_redis, static_root
):
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    env = {
        **with_redis(production_env(tmp_path), private_redis),
        "STATIC_ROOT": static_root,
        "EMAIL_URL": f"filemail:///{mail_dir}",
    }
    web_log, worker_log = tmp_path / "gunicorn.log", tmp_path / "worker.log"
    port = free_port()
    web = gunicorn(port, env, web_log, workers=1, threads=2)
    worker = None
    try:
        person = signed_in(port, coordinator)
        assert person.get(f"/cases/{case.pk}/").status == 200

        private_redis.stop()
        assert not private_redis.ping()
        began = time.monotonic()
        answer = person.post(f"/cases/{case.pk}/transition/begin_assessment/", {})
        took = time.monotonic() - began
        print(f"\nworkflow step with Redis down answered in {took:.2f} s")
        assert answer.status == 302, (answer.status, tail(web_log))
        assert answer.location == f"/cases/{case.pk}/"
        assert took < 10  # it answers at once; it must not wait on the broker
        page = person.get(answer.location)
        assert page.status == 200 and DELAYED in page.body
        assert Case.objects.get(pk=case.pk).stage == c.Stage.INITIAL_ASSESSMENT
        row = NotificationOutbox.objects.get()
        assert row.relayed_at is None and row.attempts == 1
        assert list(mail_dir.iterdir()) == []

        private_redis.start()  # empty: nothing was published while it was down
        worker = celery_worker(env, worker_log)
        celery_call(env, "ncii_cases.tasks.notifications_relay")  # what beat sends every minute
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not list(mail_dir.iterdir()):
            assert worker.poll() is None, tail(worker_log)
            time.sleep(0.3)
        messages = [p.read_text() for p in mail_dir.iterdir()]
        assert len(messages) == 1, tail(worker_log)
        assert case.reference in messages[0]
        assert NotificationOutbox.objects.get().relayed_at is not None
        assert web.poll() is None
    finally:
        if worker is not None:
            stop(worker)
        stop(web)
