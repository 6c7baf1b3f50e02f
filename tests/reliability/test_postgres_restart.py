"""PostgreSQL restarts while requests flow: the app recovers by itself, without a gunicorn
restart.

The test runs its own throwaway PostgreSQL server (tests/processes.py), never the machine's
shared cluster: migrations, the demo district, gunicorn on it, a coordinator signed in through
the real two steps, then a few threads reading case pages (each one also writes an access-log
row) while the server is restarted with ``pg_ctl restart -m fast``. While it is down the app
may answer 503 (ncii_cases/error_views.py), never a 500 or a dropped connection; within a
bounded time after it is back, every request succeeds again, persistent connections included
(CONN_MAX_AGE with CONN_HEALTH_CHECKS).
"""

import threading
import time

import psycopg2
import pytest

from tests.processes import (
    WebSession,
    free_port,
    gunicorn,
    manage,
    production_env,
    stop,
    tail,
    throwaway_postgres_or_skip,
)

THREADS = 4
BASELINE_SECONDS = 3
RECOVERY_SECONDS = 20  # after pg_ctl says the server is back
STEADY_SECONDS = 3  # all green for this long after recovery


@pytest.fixture
def server():
    pg = throwaway_postgres_or_skip()
    yield pg
    pg.stop()


def demo_login(dsn: str) -> tuple[str, int]:
    """The coordinator's authenticator key and one of the demo cases, read from the server."""
    from django.contrib.auth import get_user_model
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from ncii_cases.models import Case

    users = get_user_model()._meta.db_table
    with psycopg2.connect(dsn) as conn, conn.cursor() as cursor:
        cursor.execute(
            f"SELECT d.key FROM {TOTPDevice._meta.db_table} d JOIN {users} u ON u.id = d.user_id"  # noqa: S608
            " WHERE u.username = 'coordinator'"
        )
        (key,) = cursor.fetchone()
        cursor.execute(f"SELECT MIN(id) FROM {Case._meta.db_table}")  # noqa: S608
        (case_id,) = cursor.fetchone()
    conn.close()
    return key, case_id


def test_requests_recover_after_postgres_restarts_without_restarting_gunicorn(
    tmp_path, server, static_root
):
    from ncii_cases.management.commands.seed_demo import demo_password

    server.create_database("ncii")
    url = server.url("ncii")
    env = {
        **production_env(tmp_path, database_url=url),
        # Persistent connections: the ones open during the restart are dead afterwards.
        "CONN_MAX_AGE": "60",
        "CELERY_TASK_ALWAYS_EAGER": "true",
        "EMAIL_URL": "dummymail://",
        "STATIC_ROOT": static_root,
    }
    manage(env, "migrate", "--noinput", "--verbosity", "0")
    manage(env, "seed_demo", "--allow-production", "--size", "0")
    key, case_id = demo_login(url)
    port = free_port()
    log = tmp_path / "gunicorn.log"
    web = gunicorn(port, env, log, workers=2, threads=2)
    try:
        person = WebSession(port)
        person.sign_in("coordinator", demo_password("coordinator"), key)
        page = f"/cases/{case_id}/"
        assert person.get(page).status == 200

        results: list[tuple[float, int | str]] = []
        lock = threading.Lock()
        finish = threading.Event()

        def reader():
            while not finish.is_set():
                try:
                    status: int | str = person.get(page).status
                except OSError as error:  # a refused or dropped connection to gunicorn
                    status = f"{type(error).__name__}: {error}"
                with lock:
                    results.append((time.monotonic(), status))
                time.sleep(0.02)

        threads = [threading.Thread(target=reader) for _ in range(THREADS)]
        for thread in threads:
            thread.start()
        try:
            time.sleep(BASELINE_SECONDS)
            restart_began = time.monotonic()
            server.restart()
            back = time.monotonic()
            recovered = None
            while time.monotonic() < back + RECOVERY_SECONDS:
                with lock:
                    since = [s for t, s in results if t > back + 0.5]
                if since[-THREADS * 3 :] and all(s == 200 for s in since[-THREADS * 3 :]):
                    recovered = time.monotonic()
                    break
                time.sleep(0.2)
            assert recovered is not None, (
                f"no recovery within {RECOVERY_SECONDS} s of the restart: "
                f"{[s for t, s in results if t > back][-20:]}\n{tail(log)}"
            )
            time.sleep(STEADY_SECONDS)
        finally:
            finish.set()
            for thread in threads:
                thread.join(timeout=60)

        before = [s for t, s in results if t < restart_began]
        during = [s for t, s in results if restart_began <= t < recovered]
        steady = [s for t, s in results if t >= recovered]
        print(
            f"\nrestart: {back - restart_began:.1f} s; recovered {recovered - back:.1f} s later; "
            f"requests before/during/after: {len(before)}/{len(during)}/{len(steady)}; "
            f"statuses during: {sorted(set(map(str, during)))}"
        )
        assert before and set(before) == {200}, set(before)
        # While the server is down: a clean 503, never a 500 or a dropped connection.
        assert set(during) <= {200, 503}, f"{sorted(set(map(str, during)))}\n{tail(log)}"
        assert steady and set(steady) == {200}, set(map(str, steady))

        # The same gunicorn, not a restarted one, serves reads and writes again.
        assert web.poll() is None
        assert person.get("/healthz").status == 200
        with psycopg2.connect(url) as conn, conn.cursor() as cursor:
            cursor.execute(
                "SELECT COUNT(*) FROM ncii_cases_accessevent WHERE action = 'case_detail'"
            )
            (logged,) = cursor.fetchone()
        conn.close()
        assert logged >= len(before) + len(steady)
    finally:
        stop(web)
