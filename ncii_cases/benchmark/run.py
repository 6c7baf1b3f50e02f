"""Measures the main pages at two (or more) database sizes in one run (``manage.py bench``).

Every page is one row of ``PAGES``: its name, how to build the request (URL name, kwargs, the
user, method and data) and whether the targets apply to it. A page whose URL name does not
resolve in this build is reported as "not available in this build" and counts as a miss of its
targets; adding a page later is one line.

Requests go in-process through ``django.test.Client`` against the real URLconf (plus the floor,
see ``benchmark.urls``), signed in with a verified second factor. For each page: warm-up
requests, then ``repeat`` timed requests (``time.perf_counter`` around the client call, which
is the server's work: middleware, view, queries, template), then one more request under
``CaptureQueriesContext`` for its query count. The case summary PDF is rendered in a separate
worker process (multiprocessing, spawn), which reports its render times and its peak resident
memory (``ru_maxrss``).

Sizes switch inside the one process: the connection is closed and pointed at the next
database.
"""

import datetime as dt
import json
import math
import multiprocessing
import os
import platform as platform_module
import queue
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection, connections
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from .. import choices as c
from ..models import Case, School, User
from . import pdf_worker, roster_worker
from .seed import (
    AUDIT_CASE_TITLE,
    BENCH_COORDINATOR,
    BENCH_INVESTIGATOR,
    SUMMARY_CASE_TITLE,
    seed,
)

NOT_AVAILABLE = pdf_worker.NOT_AVAILABLE
BENCH_URLCONF = "ncii_cases.benchmark.urls"
QUEUE_PAGE, ADMIN_PAGE = "coordinator queue", "admin change list"
PDF_PAGE = "case summary PDF"
# Targets (README, "Benchmark").
P50_RATIO_MAX = 1.5
PDF_SECONDS_MAX = 3.0
PDF_MEGABYTES_MAX = 300.0
PDF_PROFILE = pdf_worker.PDF_PROFILE
PDF_RENDERS_MAX = 5
PDF_PAGES_MIN = 8
PDF_WORKER_TIMEOUT = 600
# verify_audit on the nightly benchmark database (README, "Benchmark"): seconds.
VERIFY_SECONDS_MAX = 600.0
# The OneRoster import of a 50,000-student district (docs/roster.md): minutes, not hours, and
# memory that does not follow the file (the worker's peak, Django itself included).
ROSTER_STUDENTS = 50_000
ROSTER_SECONDS_MAX = 600.0
ROSTER_MEGABYTES_MAX = 400.0
ROSTER_WORKER_TIMEOUT = 3600


@dataclass
class Context:
    """What the requests of one size need: the users and the cases they read."""

    coordinator: User
    investigator: User
    typical_case_id: int
    audit_case_id: int
    summary_case_id: int
    fresh_intake_ids: list[int] = field(default_factory=list)

    def fresh_intake_case(self) -> dict:
        return {"pk": self.fresh_intake_ids.pop(), "action": "begin_assessment"}


@dataclass(frozen=True)
class Page:
    name: str
    url_name: str
    user: str = "coordinator"  # an attribute of Context
    kwargs: Callable[[Context], dict] = lambda ctx: {}
    method: str = "get"
    data: dict | None = None
    expect: int = 200
    targets: bool = True  # the floor and the admin are references, not targets
    fresh_case: bool = False  # each request needs its own new case (kwargs from it)
    cold: bool = False  # the cache is emptied before each request (figures worked out afresh)


PAGES: list[Page] = [
    Page("floor", "bench_floor", targets=False),
    Page(QUEUE_PAGE, "ncii_cases:home"),
    Page("investigator queue", "ncii_cases:home", user="investigator"),
    Page("case page", "ncii_cases:case_detail", kwargs=lambda ctx: {"pk": ctx.typical_case_id}),
    Page(
        "transition POST",
        "ncii_cases:case_transition",
        method="post",
        data={},
        expect=302,
        fresh_case=True,
    ),
    Page(
        "audit-trail review (5,000 events)",
        "reporting:case_audit",
        kwargs=lambda ctx: {"pk": ctx.audit_case_id},
    ),
    Page("analytics", "reporting:analytics"),
    # The same page with its kept figures thrown away before each request: what the first
    # load after ANALYTICS_CACHE_SECONDS costs. Shown for reference, beside the kept figures.
    Page("analytics, worked out afresh", "reporting:analytics", targets=False, cold=True),
    Page(ADMIN_PAGE, "admin:ncii_cases_case_changelist", targets=False),
]


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..1)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


# --- Switching databases -------------------------------------------------------------------


def database_use(name: str) -> None:
    connections.close_all()
    connections["default"].settings_dict["NAME"] = name
    ContentType.objects.clear_cache()


def database_create(name: str) -> bool:
    """Creates the PostgreSQL database when missing; returns whether it was created."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cursor.fetchone():
            return False
    connection.ensure_connection()
    autocommit = connection.get_autocommit()
    connection.set_autocommit(True)
    try:
        with connection.cursor() as cursor:
            cursor.execute(f"CREATE DATABASE {connection.ops.quote_name(name)}")
    finally:
        connection.set_autocommit(autocommit)
    return True


# --- Requests ------------------------------------------------------------------------------


def client_for(user) -> Client:
    """A client signed in as the user after both steps (password and authenticator code)."""
    device, _ = TOTPDevice.objects.get_or_create(
        user=user, name="Authenticator app", defaults={"confirmed": True}
    )
    # A page that fails answers 500 and is reported, instead of ending the whole run.
    client = Client(raise_request_exception=False)
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def context_build(fresh_cases: int) -> Context:
    from ..services.cases import case_create

    coordinator = User.objects.get(username=BENCH_COORDINATOR)
    investigator = User.objects.get(username=BENCH_INVESTIGATOR)
    ctx = Context(
        coordinator=coordinator,
        investigator=investigator,
        typical_case_id=Case.objects.filter(
            district_id=coordinator.district_id, stage=c.Stage.INVESTIGATION
        )
        .exclude(title__in=[AUDIT_CASE_TITLE, SUMMARY_CASE_TITLE])
        .order_by("pk")
        .values_list("pk", flat=True)
        .first(),
        audit_case_id=Case.objects.get(title=AUDIT_CASE_TITLE).pk,
        summary_case_id=Case.objects.get(title=SUMMARY_CASE_TITLE).pk,
    )
    school = School.objects.filter(district_id=coordinator.district_id).order_by("pk").first()
    for i in range(fresh_cases):
        case = case_create(
            actor=coordinator,
            school=school,
            title=f"Benchmark transition case {i + 1}",
            narrative="Created by the benchmark to take one workflow step.",
            reported_at=timezone.now(),
        )
        ctx.fresh_intake_ids.append(case.pk)
    return ctx


def _url(page: Page, kwargs: dict) -> str:
    return reverse(page.url_name, kwargs=kwargs or None)


def page_available(page: Page, ctx: Context) -> str | None:
    """None when the page's URL resolves, else why not."""
    try:
        kwargs = {"pk": 1, "action": "begin_assessment"} if page.fresh_case else page.kwargs(ctx)
        _url(page, kwargs)
    except NoReverseMatch:
        return NOT_AVAILABLE
    return None


def page_measure(page: Page, ctx: Context, *, repeat: int, warmup: int) -> dict:
    reason = page_available(page, ctx)
    if reason:
        return {"available": False, "reason": reason}
    client = client_for(getattr(ctx, page.user))
    times, statuses = [], set()

    def one():
        url = _url(page, ctx.fresh_intake_case() if page.fresh_case else page.kwargs(ctx))
        call = getattr(client, page.method)
        if page.cold:
            cache.clear()
        started = time.perf_counter()
        response = call(url, page.data) if page.method == "post" else call(url)
        elapsed = time.perf_counter() - started
        statuses.add(response.status_code)
        return elapsed, response

    try:
        for _ in range(warmup):
            one()
        for _ in range(repeat):
            times.append(one()[0])
        with CaptureQueriesContext(connection) as queries:
            one()
    except Exception as exc:  # reported as a miss, with the reason
        return {"available": False, "reason": f"failed: {type(exc).__name__}: {exc}"}
    result = {
        "available": True,
        "samples": len(times),
        "p50_ms": round(percentile(times, 0.5) * 1000, 2),
        "p95_ms": round(percentile(times, 0.95) * 1000, 2),
        "queries": len(queries.captured_queries),
        "statuses": sorted(statuses),
    }
    if statuses != {page.expect}:
        result["available"] = False
        result["reason"] = f"answered {sorted(statuses)}, expected {page.expect}"
    return result


# --- The PDF in a worker process -------------------------------------------------------------


def pdf_helpers_missing() -> str | None:
    try:
        from ncii_cases.selectors_summary import case_summary_for_user  # noqa: F401
        from reporting.pdf import summary_pdf_render  # noqa: F401
    except ImportError:
        return NOT_AVAILABLE
    return None


def pdf_measure(ctx: Context, *, database: str, repeat: int) -> dict:
    reason = pdf_helpers_missing()
    if reason:
        return {"available": False, "reason": reason}
    spawn = multiprocessing.get_context("spawn")
    results = spawn.Queue()
    renders = max(1, min(repeat, PDF_RENDERS_MAX))
    worker = spawn.Process(
        target=pdf_worker.render_measure,
        args=(
            os.environ.get("DJANGO_SETTINGS_MODULE", "config.settings.local"),
            database,
            ctx.coordinator.username,
            ctx.summary_case_id,
            renders,
            results,
        ),
    )
    worker.start()
    outcome = None
    deadline = time.monotonic() + PDF_WORKER_TIMEOUT
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
    if not outcome.get("available"):
        return outcome
    times = outcome.pop("times")
    return {
        **outcome,
        "samples": len(times),
        "p50_ms": round(percentile(times, 0.5) * 1000, 2),
        "p95_ms": round(percentile(times, 0.95) * 1000, 2),
        "queries": None,
    }


# --- The roster import in a worker process ------------------------------------------------------


def roster_measure(*, database: str, students: int) -> dict:
    """Times the OneRoster import of ``students`` students (and one staff member per 15, in
    one school per 600 students) and its re-import, in a spawned worker (``roster_worker``),
    with the worker's peak memory."""
    spawn = multiprocessing.get_context("spawn")
    results = spawn.Queue()
    worker = spawn.Process(
        target=roster_worker.import_measure,
        args=(
            os.environ.get("DJANGO_SETTINGS_MODULE", "config.settings.local"),
            database,
            students,
            max(1, students // 15),
            max(2, students // 600),
            results,
        ),
    )
    worker.start()
    outcome = None
    deadline = time.monotonic() + ROSTER_WORKER_TIMEOUT
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


def roster_cell(result: dict) -> str:
    if not result.get("available"):
        return result.get("reason", NOT_AVAILABLE)
    return (
        f"{result['students']} students + {result['staff']} staff ({result['zip_mb']} MB zip): "
        f"{result['seconds']} s, again unchanged {result['again_seconds']} s; peak "
        f"{result['peak_rss_mb']} MB ({result['growth_mb']} MB over the "
        f"{result['baseline_rss_mb']} MB before the import)"
    )


def roster_targets(result: dict) -> list[dict]:
    """The import's targets: under ``ROSTER_SECONDS_MAX`` and its worker under
    ``ROSTER_MEGABYTES_MAX`` at its peak."""
    where = f"roster import ({result.get('students', '?')} students)"
    ok = bool(result.get("available"))
    detail = roster_cell(result)
    return [
        {
            "target": f"roster import under {ROSTER_SECONDS_MAX:g} s",
            "page": where,
            "status": "PASS" if ok and result["seconds"] < ROSTER_SECONDS_MAX else "MISS",
            "detail": detail,
        },
        {
            "target": f"roster import worker under {ROSTER_MEGABYTES_MAX:g} MB",
            "page": where,
            "status": "PASS" if ok and result["peak_rss_mb"] < ROSTER_MEGABYTES_MAX else "MISS",
            "detail": detail,
        },
    ]


# --- One size, then all sizes ------------------------------------------------------------------


def size_run(
    *, size: int, database: str, do_seed: bool, repeat: int, warmup: int, log=print
) -> dict:
    if do_seed and connection.vendor == "postgresql" and database_create(database):
        log(f"Created database {database}")
    database_use(database)
    outcome = {"size": size, "database": database}
    if do_seed:
        call_command("migrate", verbosity=0)
        call_command("flush", interactive=False, verbosity=0)
        report = seed(cases=size, log=log)
        outcome["seed_seconds"] = round(report.seconds, 1)
        log(f"Seeded {size} cases into {database} in {report.seconds:.1f} s")
    outcome["cases_in_database"] = Case.objects.count()
    ctx = context_build(warmup + repeat + 1)
    pages = {}
    with override_settings(
        ROOT_URLCONF=BENCH_URLCONF,
        DEBUG=False,
        ALLOWED_HOSTS=[*settings.ALLOWED_HOSTS, "testserver"],
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
    ):
        for page in PAGES:
            pages[page.name] = page_measure(page, ctx, repeat=repeat, warmup=warmup)
            log(f"  {size:>7} {page.name}: {_cell(pages[page.name])}")
    connections.close_all()
    pages[PDF_PAGE] = pdf_measure(ctx, database=database, repeat=repeat)
    log(f"  {size:>7} {PDF_PAGE}: {_cell(pages[PDF_PAGE])}")
    outcome["pages"] = pages
    outcome["verify_audit"] = verify_measure()
    log(f"  {size:>7} verify_audit: {_verify_cell(outcome['verify_audit'])}")
    return outcome


def verify_measure() -> dict:
    """Times one full ``audit_verify`` (every chain, the checkpoint comparison and the
    current-row checks), as ``verify_audit`` runs it: seconds, rows walked, microseconds per
    row, and whether it verified."""
    from ..audit import audit_verify

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


def _verify_cell(result: dict) -> str:
    state = "verified" if result["ok"] else f"{result['problems']} problems"
    return (
        f"{result['seconds']} s for {result['rows']} rows ({result['us_per_row']} µs/row), {state}"
    )


def _cell(result: dict) -> str:
    if not result.get("available"):
        return result.get("reason", NOT_AVAILABLE)
    queries = "-" if result.get("queries") is None else result["queries"]
    return f"p50 {result['p50_ms']} ms, p95 {result['p95_ms']} ms, {queries} queries"


def targets_evaluate(runs: list[dict]) -> list[dict]:
    """Every target, PASS or MISS (a page not available misses its targets)."""
    small, large = runs[0], runs[-1]
    targets = []

    def add(name, page, ok, detail):
        targets.append(
            {"target": name, "page": page, "status": "PASS" if ok else "MISS", "detail": detail}
        )

    names = [p.name for p in PAGES if p.targets] + [PDF_PAGE]
    for name in names:
        a, b = small["pages"][name], large["pages"][name]
        if not (a.get("available") and b.get("available")):
            reason = (a if not a.get("available") else b).get("reason", NOT_AVAILABLE)
            if name != PDF_PAGE:
                add("queries do not grow with N", name, False, reason)
            add(f"p50 ratio <= {P50_RATIO_MAX}", name, False, reason)
            continue
        if name != PDF_PAGE:
            add(
                "queries do not grow with N",
                name,
                b["queries"] <= a["queries"],
                f"{a['queries']} queries at {small['size']}, {b['queries']} at {large['size']}",
            )
        ratio = b["p50_ms"] / a["p50_ms"] if a["p50_ms"] else math.inf
        add(
            f"p50 ratio <= {P50_RATIO_MAX}",
            name,
            ratio <= P50_RATIO_MAX,
            f"p50 {a['p50_ms']} ms at {small['size']}, {b['p50_ms']} ms at {large['size']}: "
            f"x{ratio:.2f}",
        )
    for run in runs:
        queue, admin = run["pages"][QUEUE_PAGE], run["pages"][ADMIN_PAGE]
        if queue.get("available") and admin.get("available"):
            add(
                "queue faster than the admin change list",
                f"{QUEUE_PAGE} at {run['size']}",
                queue["p50_ms"] < admin["p50_ms"],
                f"queue p50 {queue['p50_ms']} ms, admin p50 {admin['p50_ms']} ms",
            )
        else:
            add(
                "queue faster than the admin change list",
                f"{QUEUE_PAGE} at {run['size']}",
                False,
                queue.get("reason") or admin.get("reason"),
            )
        pdf = run["pages"][PDF_PAGE]
        where = f"{PDF_PAGE} at {run['size']}"
        if pdf.get("available"):
            add(
                f"PDF under {PDF_SECONDS_MAX:g} s",
                where,
                pdf["p95_ms"] < PDF_SECONDS_MAX * 1000,
                f"p95 {pdf['p95_ms']} ms, {pdf['pages']} pages",
            )
            add(
                f"PDF has about {PDF_PAGES_MIN + 2} pages ({PDF_PAGES_MIN} or more)",
                where,
                pdf["pages"] >= PDF_PAGES_MIN,
                f"{pdf['pages']} pages, {pdf['bytes']} bytes (when short, the seed's summary "
                "case must grow for the time and memory targets to mean a 10-page PDF)",
            )
            add(
                f"PDF worker under {PDF_MEGABYTES_MAX:g} MB",
                where,
                pdf["peak_rss_mb"] < PDF_MEGABYTES_MAX,
                f"peak RSS {pdf['peak_rss_mb']} MB",
            )
        else:
            for target in (
                f"PDF under {PDF_SECONDS_MAX:g} s",
                f"PDF has about {PDF_PAGES_MIN + 2} pages ({PDF_PAGES_MIN} or more)",
                f"PDF worker under {PDF_MEGABYTES_MAX:g} MB",
            ):
                add(target, where, False, pdf.get("reason", NOT_AVAILABLE))
        verify = run["verify_audit"]
        add(
            f"verify_audit under {VERIFY_SECONDS_MAX:g} s and verified",
            f"verify_audit at {run['size']}",
            verify["seconds"] < VERIFY_SECONDS_MAX and verify["ok"],
            _verify_cell(verify),
        )
    return targets


def bench(
    *,
    sizes: list[int],
    databases: list[str],
    do_seed: bool,
    repeat: int,
    warmup: int,
    log=print,
    roster_students: int = ROSTER_STUDENTS,
    pages: bool = True,
) -> dict:
    """Measures every size's pages (unless ``pages`` is false) and, with ``roster_students``,
    the roster import on the last size's database (on the configured one without the pages);
    returns the result with its targets."""
    original = connections["default"].settings_dict["NAME"]
    runs = []
    roster = None
    try:
        if roster_students:
            database_use(original)
            # Without the pages, the configured database (the import is rolled back).
            where = databases[-1] if pages else original
            roster = roster_measure(database=where, students=roster_students)
            log(f"  roster import: {roster_cell(roster)}")
        for size, database in zip(sizes, databases, strict=True):
            if not pages:
                break
            database_use(original)
            runs.append(
                size_run(
                    size=size,
                    database=database,
                    do_seed=do_seed,
                    repeat=repeat,
                    warmup=warmup,
                    log=log,
                )
            )
    finally:
        database_use(original)
    targets = targets_evaluate(runs) if runs else []
    if roster is not None:
        targets += roster_targets(roster)
    return {
        "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform_module.python_version(),
            "platform": platform_module.platform(),
        },
        "repeat": repeat,
        "warmup": warmup,
        "celery_task_always_eager": bool(getattr(settings, "CELERY_TASK_ALWAYS_EAGER", False)),
        "sizes": sizes,
        "runs": runs,
        "roster_import": roster,
        "targets": targets,
        "misses": sum(1 for t in targets if t["status"] != "PASS"),
    }


def table_lines(result: dict) -> list[str]:
    runs = result["runs"]
    names = [p.name for p in PAGES] + [PDF_PAGE] if runs else []
    header = f"{'page':<28}" + "".join(f"| {'N=' + str(r['size']):>10} p50   p95  q " for r in runs)
    if len(runs) > 1:
        header += "| ratio"
    lines = [header, "-" * len(header)]
    for name in names:
        line = f"{name:<28}"
        for run in runs:
            cell = run["pages"][name]
            if cell.get("available"):
                q = "-" if cell.get("queries") is None else cell["queries"]
                line += f"| {cell['p50_ms']:>10.1f} {cell['p95_ms']:>6.1f} {q:>3} "
            else:
                line += f"| {'n/a: ' + cell.get('reason', NOT_AVAILABLE)[:22]:<26} "
        if len(runs) > 1:
            a, b = runs[0]["pages"][name], runs[-1]["pages"][name]
            if a.get("available") and b.get("available") and a["p50_ms"]:
                line += f"| x{b['p50_ms'] / a['p50_ms']:.2f}"
            else:
                line += "| -"
        lines.append(line)
    for run in runs:
        lines.append(f"{'verify_audit':<28}| N={run['size']}: {_verify_cell(run['verify_audit'])}")
    if result.get("roster_import") is not None:
        lines.append(f"{'roster import':<28}| {roster_cell(result['roster_import'])}")
    lines.append("")
    lines.append("Targets:")
    for t in result["targets"]:
        lines.append(f"  {t['status']:<4}  {t['target']} — {t['page']}: {t['detail']}")
    lines.append(
        f"{result['misses']} target(s) missed." if result["misses"] else "Every target met."
    )
    return lines


def json_write(result: dict, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2, default=str))
    return path


__all__ = ["PAGES", "Page", "bench", "json_write", "table_lines"]
