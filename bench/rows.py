"""The benchmark's rows that are not one page request (see ``benchmark.run``): the audit CSV
export, ``verify_audit``, the reminder backlog, two web processes served round robin, and the
worker-process rows (the case summary PDF, the roster import)."""

import datetime as dt
import gc
import http.client
import logging
import multiprocessing
import os
import queue
import shutil
import signal
import socket
import subprocess  # nosec B404: starts this project's own gunicorn on loopback
import sys
import threading
import time
import tracemalloc
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.db import connection, transaction
from django.test.utils import override_settings
from django.urls import reverse
from django.utils import timezone

from bench import pdf_worker, roster_worker

logger = logging.getLogger(__name__)

NOT_AVAILABLE = pdf_worker.NOT_AVAILABLE

# The audit CSV export: the timed pass stops after this many seconds (reported as partial);
# the traced pass (tracemalloc, which slows Python) reads at most this many lines.
EXPORT_SECONDS_CAP = 600.0
EXPORT_TRACE_LINES = 100_000
EXPORT_ROWS_PER_SECOND_MIN = 20_000
# "Flat memory": the traced peak at the largest size is at most this times the smallest's
# plus this slack (a export that held its rows would grow with them, ~100x from 1k to 100k).
EXPORT_MEMORY_GROWTH_MAX = 1.5
EXPORT_MEMORY_SLACK_MB = 4.0

# verify_audit on the whole database: seconds, and "linear" as microseconds per row at the
# largest size within this factor of the smallest's.
VERIFY_SECONDS_MAX = 600.0
VERIFY_LINEAR_MAX = 1.2

# The reminder backlog: clocks made due (in a transaction rolled back afterwards) and the
# worker time to drain them, as seconds per REMINDER_BACKLOG reminders.
REMINDER_BACKLOG = 50_000
REMINDER_SECONDS_MAX = 60.0
REMINDER_RUNS_MAX = 1000

# Two gunicorn processes on loopback ports, requests sent round robin.
TWO_PROCESS_REQUESTS = 60
TWO_PROCESS_START_SECONDS = 90

PDF_SECONDS_MAX = 3.0
PDF_MEGABYTES_MAX = 300.0
PDF_PROFILE = pdf_worker.PDF_PROFILE
PDF_RENDERS_MAX = 5
PDF_PAGES_MIN = 8
PDF_WORKER_TIMEOUT = 600

ROSTER_STUDENTS = 50_000
ROSTER_SECONDS_MAX = 600.0
ROSTER_MEGABYTES_MAX = 400.0
ROSTER_WORKER_TIMEOUT = 3600


def _settings_module() -> str:
    return os.environ.get("DJANGO_SETTINGS_MODULE", "config.settings.local")


# --- The audit CSV export --------------------------------------------------------------------


def _export_read(client, url: str, *, lines_max: int | None, seconds_cap: float | None):
    """Requests the export and reads it; returns (lines after the header, seconds, complete)."""
    started = time.perf_counter()
    response = client.get(url)
    if response.status_code != 200:
        raise RuntimeError(f"the export answered {response.status_code}")
    newlines, complete = 0, True
    chunks = response.streaming_content if response.streaming else [response.content]
    try:
        for chunk in chunks:
            newlines += chunk.count(b"\n")
            if lines_max is not None and newlines > lines_max:
                complete = False
                break
            if seconds_cap is not None and time.perf_counter() - started > seconds_cap:
                complete = False
                break
    finally:
        response.close()
    return max(0, newlines - 1), time.perf_counter() - started, complete


def export_measure(requester, sites, *, seconds_cap: float = EXPORT_SECONDS_CAP, log=print):
    """The district-wide audit CSV export (``reporting:audit_export``, the coordinator) at
    every site, read to its end: lines per second of a timed pass (stopped after
    ``seconds_cap``, then marked partial) and the peak memory traced by ``tracemalloc``
    while a second pass reads up to ``EXPORT_TRACE_LINES`` lines (Python allocations of the
    whole request: view, queries, CSV writer). Lines are CSV records unless a cell holds a
    line break (the audit export's cells are single-line). One dict per site."""
    try:
        url = reverse("reporting:audit_export")
    except Exception:
        return [{"available": False, "reason": NOT_AVAILABLE} for _ in sites]
    results = []
    for site in sites:
        requester.sites.use(site)
        client = requester.client(site, "coordinator")
        try:
            rows, seconds, complete = _export_read(
                client, url, lines_max=None, seconds_cap=seconds_cap
            )
        except Exception as exc:
            results.append({"available": False, "reason": f"failed: {type(exc).__name__}: {exc}"})
            continue
        results.append(
            {
                "available": True,
                "rows": rows,
                "seconds": round(seconds, 2),
                "rows_per_second": round(rows / seconds) if seconds else None,
                "complete": complete,
            }
        )
    for site, result in zip(sites, results, strict=True):
        if not result["available"]:
            continue
        requester.sites.use(site)
        client = requester.client(site, "coordinator")
        gc.collect()
        tracemalloc.start()
        try:
            traced_rows, _, _ = _export_read(
                client, url, lines_max=EXPORT_TRACE_LINES, seconds_cap=seconds_cap
            )
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        result["traced_rows"] = traced_rows
        result["peak_traced_mb"] = round(peak / 2**20, 2)
        log(f"  {site.size:>7} audit CSV export: {export_cell(result)}")
    return results


def export_cell(result: dict) -> str:
    if not result.get("available"):
        return result.get("reason", NOT_AVAILABLE)
    partial = "" if result["complete"] else f", stopped after {result['seconds']} s"
    return (
        f"{result['rows']} rows in {result['seconds']} s ({result['rows_per_second']} rows/s"
        f"{partial}), peak {result.get('peak_traced_mb')} MB traced over "
        f"{result.get('traced_rows')} rows"
    )


# --- verify_audit ----------------------------------------------------------------------------


def verify_measure() -> dict:
    """Times one full ``audit_verify`` (every chain, the checkpoint comparison and the
    current-row checks), as ``verify_audit`` runs it: seconds, rows walked, microseconds per
    row, and whether it verified."""
    from ncii_cases.audit import audit_verify

    started = time.perf_counter()
    reports = audit_verify()
    seconds = time.perf_counter() - started
    rows = sum(r.rows for r in reports)
    return {
        "seconds": round(seconds, 2),
        "rows": rows,
        "us_per_row": round(seconds * 1e6 / rows, 1) if rows else None,
        "ok": all(r.ok for r in reports),
        "problems": sum(len(r.problems) for r in reports),
    }


def verify_cell(result: dict) -> str:
    state = "verified" if result["ok"] else f"{result['problems']} problems"
    return (
        f"{result['seconds']} s for {result['rows']} rows ({result['us_per_row']} µs/row), {state}"
    )


# --- The reminder backlog --------------------------------------------------------------------


def dead_rows_vacuum(db) -> None:
    """Vacuums the database of the connection ``db`` (``VACUUM (ANALYZE)``, untimed: a few
    seconds at 100,000 cases) after a measurement whose writes were rolled back (the roster
    import, the reminder backlog), as autovacuum would in production: rolled-back rows stay
    in their tables and indexes as dead entries (tens of thousands of people, clocks and
    reminder marks), which every page measured afterwards would read through, so that the
    pages of the largest size measured slower run after run. Does nothing on SQLite nor
    inside a transaction (a test's), where VACUUM cannot run."""
    if db.vendor != "postgresql" or db.in_atomic_block:
        return
    with db.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE)")


def reminders_measure(*, backlog: int = REMINDER_BACKLOG, log=print) -> dict:
    """Drains a reminder backlog on the current database, in a transaction that is rolled
    back (the kept database is left as it was): up to ``backlog`` cases whose stage clock runs
    are made due an hour ago (one UPDATE), then ``tasks.deadlines_remind`` runs (as the beat
    would, each run capped by ``DEADLINE_REMINDER_BATCH``) until a run sends nothing. Returns
    the reminders sent (those clocks and whatever else was due), the runs, the worker seconds
    (the runs' time summed; e-mails to the local-memory backend) and the seconds per
    ``REMINDER_BACKLOG`` reminders (linear: each batch is a fixed number of queries). The
    batches commit as savepoints here, not as transactions of their own."""
    from django.core import mail

    from ncii_cases.models import Case
    from ncii_cases.tasks import deadlines_remind

    now = timezone.now()
    result = {"available": True, "clocks_made_due": 0, "runs": 0, "sent": 0, "emails": 0}
    locmem = "django.core.mail.backends.locmem.EmailBackend"
    with override_settings(EMAIL_BACKEND=locmem), transaction.atomic():
        running = Case.objects.running(now).order_by("pk").values("pk")[:backlog]
        result["clocks_made_due"] = Case.objects.filter(pk__in=running).update(
            stage_due_at=now - dt.timedelta(hours=1)
        )
        seconds = 0.0
        try:
            for _ in range(REMINDER_RUNS_MAX):
                mail.outbox = []
                started = time.perf_counter()
                sent = deadlines_remind()
                seconds += time.perf_counter() - started
                result["runs"] += 1
                result["emails"] += len(mail.outbox)
                n = sum(sent.values())
                result["sent"] += n
                if n == 0:
                    break
        except Exception as exc:
            result = {"available": False, "reason": f"failed: {type(exc).__name__}: {exc}"}
        finally:
            transaction.set_rollback(True)
            mail.outbox = []
    # The rolled-back clocks and reminder marks leave dead rows that later pages would read.
    dead_rows_vacuum(connection)
    if result["available"]:
        result["worker_seconds"] = round(seconds, 2)
        result["seconds_per_backlog"] = (
            round(seconds * REMINDER_BACKLOG / result["sent"], 2) if result["sent"] else None
        )
        result["backlog"] = REMINDER_BACKLOG
    log(f"  reminder backlog: {reminders_cell(result)}")
    return result


def reminders_cell(result: dict) -> str:
    if not result.get("available"):
        return result.get("reason", NOT_AVAILABLE)
    return (
        f"{result['sent']} reminders ({result['clocks_made_due']} stage clocks made due) in "
        f"{result['runs']} runs, {result['worker_seconds']} s of worker time: "
        f"{result['seconds_per_backlog']} s per {result['backlog']:,}"
    )


# --- Two web processes -----------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def database_url(settings_dict: dict, name: str) -> str:
    """The ``DATABASE_URL`` (django-environ form) of database ``name`` with the connection's
    other settings."""
    if connection.vendor == "sqlite":
        return f"sqlite:///{Path(name).resolve()}"
    user = quote(settings_dict.get("USER") or "", safe="")
    password = quote(settings_dict.get("PASSWORD") or "", safe="")
    auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = settings_dict.get("PORT") or "5432"
    return f"postgres://{auth}{host}:{port}/{quote(name, safe='')}"


def _get(port: int, path: str, cookie: str, timeout: float = 60) -> tuple[int, float]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    started = time.perf_counter()
    try:
        conn.request("GET", path, headers={"Cookie": cookie, "Host": "127.0.0.1"})
        response = conn.getresponse()
        response.read()
        return response.status, time.perf_counter() - started
    finally:
        conn.close()


def two_process_measure(*, database: str, user, path: str, requests: int, log=print) -> dict:
    """Starts two gunicorn processes (one sync worker each, on two free loopback ports) on
    database ``database``, signs ``user`` in (a session with a verified second factor in the
    shared database), then requests ``path`` round robin: ``requests`` one at a time (p50,
    p95 of the whole HTTP round trip) and ``requests`` again from two client threads at once
    (throughput, requests per second of wall time). Every answer must be 200 from both."""
    from bench.run import client_for, percentile

    gunicorn = shutil.which("gunicorn") or str(Path(sys.executable).parent / "gunicorn")
    if not Path(gunicorn).exists():
        return {"available": False, "reason": "gunicorn is not installed"}
    client = client_for(user)
    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": _settings_module(),
        "DATABASE_URL": database_url(connection.settings_dict, database),
        "DEBUG": "False",
    }
    ports = [_free_port(), _free_port()]
    processes = [
        subprocess.Popen(  # noqa: S603  # nosec B603: fixed arguments, loopback only
            [
                gunicorn,
                "config.wsgi:application",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "1",
                "--timeout",
                "120",
                "--log-level",
                "warning",
            ],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        for port in ports
    ]
    try:
        deadline = time.monotonic() + TWO_PROCESS_START_SECONDS
        for port, process in zip(ports, processes, strict=True):
            while True:
                if process.poll() is not None:
                    err = process.stderr.read().decode(errors="replace")[-500:]
                    return {"available": False, "reason": f"gunicorn ended: {err}"}
                try:
                    status, _ = _get(port, reverse("ncii_cases:healthz"), "", timeout=5)
                    if status == 200:
                        break
                except OSError:
                    pass
                if time.monotonic() > deadline:
                    return {"available": False, "reason": "gunicorn did not start in time"}
                time.sleep(0.3)
        for port in ports:  # warm-up: each process's first request loads the templates
            _get(port, path, cookie)
        statuses: dict[int, set] = {port: set() for port in ports}
        times = []
        for i in range(requests):
            port = ports[i % 2]
            status, seconds = _get(port, path, cookie)
            statuses[port].add(status)
            times.append(seconds)
        lock = threading.Lock()
        counter = iter(range(requests))

        def worker():
            while True:
                with lock:
                    i = next(counter, None)
                if i is None:
                    return
                port = ports[i % 2]
                status, _ = _get(port, path, cookie)
                with lock:
                    statuses[port].add(status)

        started = time.perf_counter()
        threads = [threading.Thread(target=worker) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.perf_counter() - started
    finally:
        for process in processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
    result = {
        "available": True,
        "processes": 2,
        "requests": requests,
        "p50_ms": round(percentile(times, 0.5) * 1000, 2),
        "p95_ms": round(percentile(times, 0.95) * 1000, 2),
        "throughput_rps": round(requests / wall, 2) if wall else None,
        "statuses": {str(port): sorted(s) for port, s in statuses.items()},
        "all_ok": all(s == {200} for s in statuses.values()),
    }
    log(f"  two processes: {two_process_cell(result)}")
    return result


def two_process_cell(result: dict) -> str:
    if not result.get("available"):
        return result.get("reason", NOT_AVAILABLE)
    answers = "every answer 200" if result["all_ok"] else f"answers {result['statuses']}"
    return (
        f"queue p50 {result['p50_ms']} ms, p95 {result['p95_ms']} ms one at a time; "
        f"{result['throughput_rps']} requests/s from two clients; {answers}"
    )


# --- Worker processes: the PDF and the roster import -----------------------------------------


def _worker_run(target, args, timeout: float) -> dict:
    spawn = multiprocessing.get_context("spawn")
    results = spawn.Queue()
    worker = spawn.Process(target=target, args=(*args, results))
    worker.start()
    outcome = None
    deadline = time.monotonic() + timeout
    while outcome is None and time.monotonic() < deadline:
        try:
            outcome = results.get(timeout=1)
        except queue.Empty:
            if not worker.is_alive():
                break
    worker.join(timeout=30)
    if worker.is_alive():
        worker.terminate()
        worker.join()
    if outcome is None:
        return {
            "available": False,
            "reason": f"failed: the worker process ended without a result (exit code "
            f"{worker.exitcode})",
        }
    return outcome


def pdf_measure(*, user, case_id: int, database: str, repeat: int) -> dict:
    """The case summary PDF rendered in a spawned worker (``pdf_worker``): p50/p95 of the
    renders, pages, bytes and the worker's peak memory."""
    from bench.run import percentile

    try:
        from reporting.pdf import summary_pdf_render  # noqa: F401
        from reporting.summary import case_summary_for_user  # noqa: F401
    except ImportError:
        return {"available": False, "reason": NOT_AVAILABLE}
    renders = max(1, min(repeat, PDF_RENDERS_MAX))
    outcome = _worker_run(
        pdf_worker.render_measure,
        (_settings_module(), database, user.username, case_id, renders),
        PDF_WORKER_TIMEOUT,
    )
    if not outcome.get("available"):
        return outcome
    times = outcome.pop("times")
    return {
        **outcome,
        "samples": len(times),
        "p50_ms": round(percentile(times, 0.5) * 1000, 2),
        "p95_ms": round(percentile(times, 0.95) * 1000, 2),
    }


def pdf_cell(result: dict) -> str:
    if not result.get("available"):
        return result.get("reason", NOT_AVAILABLE)
    return (
        f"p50 {result['p50_ms']} ms, p95 {result['p95_ms']} ms, {result['pages']} pages, peak "
        f"{result['peak_rss_mb']} MB"
    )


def roster_measure(*, database: str, students: int) -> dict:
    """Times the OneRoster import of ``students`` students (and one staff member per 15, in
    one school per 600 students) and its re-import, in a spawned worker (``roster_worker``),
    with the worker's peak memory."""
    return _worker_run(
        roster_worker.import_measure,
        (
            _settings_module(),
            database,
            students,
            max(1, students // 15),
            max(2, students // 600),
        ),
        ROSTER_WORKER_TIMEOUT,
    )


def roster_cell(result: dict) -> str:
    if not result.get("available"):
        return result.get("reason", NOT_AVAILABLE)
    return (
        f"{result['students']} students + {result['staff']} staff ({result['zip_mb']} MB zip): "
        f"{result['seconds']} s, again unchanged {result['again_seconds']} s; peak "
        f"{result['peak_rss_mb']} MB ({result['growth_mb']} MB over the "
        f"{result['baseline_rss_mb']} MB before the import)"
    )
