"""Measures the application at two (or more) database sizes in one run (``manage.py bench``),
so that a change of the machine's load cannot flip a verdict.

Every size is a database of its own, seeded once and kept (``benchmark.sites``). Both stay
open in the one process and the run switches between them sample by sample: for each page,
round ``r`` takes one sample of every size (the sizes' order rotates each round), and each
size's sample is a pair, the page and the floor page of the same database next to each other
(floor first in even rounds, page first in odd ones). So:

- the ratio to the floor is the median of the pairs' ratios (page / floor, measured one after
  the other on the same database);
- the ratio between the sizes is the median, over the rounds, of the last size's sample over
  the first size's sample of the same round;

and a load that comes and goes moves both sides of every ratio. p50 and p95 are reported as
well (nearest rank).

Every page is one row of ``PAGES`` (URL name, kwargs, query string, user, method, targets);
a page whose URL name does not resolve in this build is "not available in this build" and
fails its targets. Requests go in-process through ``django.test.Client`` against the real
URLconf plus the floor (``benchmark.urls``), signed in with a verified second factor; time is
``time.perf_counter`` around the client call (middleware, view, queries, template; a streamed
answer is read to its end). One more request per size runs under ``CaptureQueriesContext``
for the query count.

The rows that are not pages (``benchmark.rows``): the district-wide audit CSV export (rows/s
and peak traced memory), ``verify_audit`` over the whole database, the reminder backlog, the
case summary PDF and the roster import in worker processes, and two gunicorn processes served
round robin. Targets are evaluated from the numbers by ``benchmark.report``.
"""

import datetime as dt
import logging
import math
import os
import platform as platform_module
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from bench import rows
from bench.seed import AUDIT_CASE_TITLE, BENCH_COORDINATOR, BENCH_INVESTIGATOR, SUMMARY_CASE_TITLE
from bench.sites import Site, Sites, site_prepare
from ncii_cases import choices as c
from ncii_cases.models import Case, CaseParty, School, User

logger = logging.getLogger(__name__)

NOT_AVAILABLE = rows.NOT_AVAILABLE
BENCH_URLCONF = "bench.urls"
FLOOR = "floor"
QUEUE_PAGE, ADMIN_PAGE = "coordinator queue", "admin change list"
ANALYTICS_FRESH = "analytics, worked out afresh"
# Targets (issue "Fast at a state's scale"; README, "Benchmark").
GROWTH_MAX = 1.2  # p50 at the largest size / p50 at the smallest, interleaved
FLOOR_RATIO_MAX = 3.0  # page / floor of the same database, measured alternately
LONG_AUDIT_FLOOR_RATIO_MAX = 5.0  # the audit review of the case with 5,000 events
SEARCH_SECONDS_MAX = 0.1  # p50 at the largest size
ANALYTICS_FRESH_SECONDS_MAX = 0.5  # p50 at the largest size
QUEUE_DEEP_PAGE = 50


@dataclass
class Context:
    """What the requests of one size need: the users, the cases they read and what a search
    looks for (a party's last name and a reference of the coordinator's district)."""

    coordinator: User
    investigator: User
    typical_case_id: int
    typical_reference: str
    party_last_name: str
    party_full_name: str
    audit_case_id: int
    summary_case_id: int
    fresh_intake_ids: list[int] = field(default_factory=list)

    def fresh_intake_case(self) -> dict:
        return {"pk": self.fresh_intake_ids.pop(), "action": "begin_assessment"}


@dataclass(frozen=True)
class Page:
    """One measured page. ``reference`` pages (the floor, the admin) are shown without
    targets; ``floor_max`` is the page's "times the floor" target (None: none), and
    ``seconds_max`` a p50 target at the largest size."""

    name: str
    url_name: str
    user: str = "coordinator"  # an attribute of Context
    kwargs: Callable[[Context], dict] = lambda ctx: {}
    query: Callable[[Context], dict] = lambda ctx: {}
    method: str = "get"
    data: dict | None = None
    expect: int = 200
    reference: bool = False
    fresh_case: bool = False  # each request needs its own new case (kwargs from it)
    cold: bool = False  # the cache is emptied before each request (figures worked out afresh)
    floor_max: float | None = FLOOR_RATIO_MAX
    seconds_max: float | None = None


# The queue's sort parameters when its filters do not list them (``filters.SORT_FIELDS``).
QUEUE_SORTS = ("reference", "reported", "stage", "due", "harm")


def _sort_pages() -> list[Page]:
    """One page per sort the queue offers (its ``sort=`` values, as the sort links send)."""
    try:
        from ncii_cases.filters import SORT_FIELDS

        params = [param for _, param in SORT_FIELDS]
    except ImportError:
        params = list(QUEUE_SORTS)
    return [
        Page(f"queue sorted by {param}", "ncii_cases:home", query=lambda ctx, p=param: {"sort": p})
        for param in params
    ]


PAGES: list[Page] = [
    Page(FLOOR, "bench_floor", reference=True, floor_max=None),
    Page(QUEUE_PAGE, "ncii_cases:home"),
    Page("investigator queue", "ncii_cases:home", user="investigator"),
    Page(
        "queue search by name",
        "ncii_cases:home",
        query=lambda ctx: {"q": ctx.party_last_name},
        seconds_max=SEARCH_SECONDS_MAX,
    ),
    # A student's whole name, as a coordinator types it: few matches at any size, where a
    # last name alone matches a share of every party (hundreds of cases at 100,000).
    Page(
        "queue search by full name",
        "ncii_cases:home",
        query=lambda ctx: {"q": ctx.party_full_name},
        seconds_max=SEARCH_SECONDS_MAX,
    ),
    Page(
        "queue search by reference",
        "ncii_cases:home",
        query=lambda ctx: {"q": ctx.typical_reference},
        seconds_max=SEARCH_SECONDS_MAX,
    ),
    *_sort_pages(),
    Page(
        f"queue page {QUEUE_DEEP_PAGE}",
        "ncii_cases:home",
        query=lambda ctx: {"page": QUEUE_DEEP_PAGE},
    ),
    Page("case page", "ncii_cases:case_detail", kwargs=lambda ctx: {"pk": ctx.typical_case_id}),
    Page(
        "transition POST",
        "ncii_cases:case_transition",
        method="post",
        data={},
        expect=302,
        fresh_case=True,
    ),
    Page("audit review, district-wide", "reporting:audit_review"),
    Page(
        "audit review of the case with 5,000 events",
        "reporting:case_audit",
        kwargs=lambda ctx: {"pk": ctx.audit_case_id},
        floor_max=LONG_AUDIT_FLOOR_RATIO_MAX,
    ),
    Page("analytics", "reporting:analytics"),
    # The kept figures thrown away before each request: the page worked out afresh.
    Page(
        ANALYTICS_FRESH,
        "reporting:analytics",
        cold=True,
        floor_max=None,
        seconds_max=ANALYTICS_FRESH_SECONDS_MAX,
    ),
    Page(ADMIN_PAGE, "admin:ncii_cases_case_changelist", reference=True, floor_max=None),
]


class UnknownPage(ValueError):
    """A name given to ``pages_select`` that names no page of ``PAGES``."""


def pages_select(names: list[str] | None) -> list[Page]:
    """The pages a run measures, in ``PAGES`` order: all of them for ``None`` or ``[]``;
    otherwise the floor (always measured, beside every page) and each page whose name
    contains one of ``names`` (case-insensitive: ``"search"`` selects both searches).
    Raises ``UnknownPage`` for a name that selects nothing."""
    if not names:
        return list(PAGES)
    wanted = [n.strip().lower() for n in names if n.strip()]
    unknown = [n for n in wanted if not any(n in p.name.lower() for p in PAGES[1:])]
    if unknown:
        known = ", ".join(p.name for p in PAGES[1:])
        raise UnknownPage(f"No page is named {', '.join(map(repr, unknown))} (pages: {known}).")
    return [PAGES[0]] + [p for p in PAGES[1:] if any(n in p.name.lower() for n in wanted)]


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..1) of a non-empty list."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def median(values: list[float]) -> float:
    """The middle value (the mean of the two middle ones for an even count)."""
    ordered = sorted(values)
    n = len(ordered)
    mid = n // 2
    return ordered[mid] if n % 2 else (ordered[mid - 1] + ordered[mid]) / 2


# --- The interleaving ------------------------------------------------------------------------


def schedule(n_sites: int, rounds: int, start: int = 0) -> Iterator[tuple[int, int, str]]:
    """The order of the samples: ``(round, site index, "floor" | "page")`` for rounds
    ``start`` to ``start + rounds - 1``. Each round takes every site once, in an order rotated
    by one each round; within a site, the floor and the page are next to each other, floor
    first in even rounds and page first in odd ones. With two sites, each odd round is the
    mirror of the even one before it (A B B A), so a load that rises or falls steadily weighs
    the same on both sizes and on a page and its floor."""
    for r in range(start, start + rounds):
        for k in range(n_sites):
            site = (k + r) % n_sites
            kinds = (FLOOR, "page") if r % 2 == 0 else ("page", FLOOR)
            for kind in kinds:
                yield r, site, kind


def interleaved_measure(
    n_sites: int, *, repeat: int, warmup: int, take: Callable[[int, str], float]
) -> list[dict[str, list[float]]]:
    """Calls ``take(site, kind)`` in ``schedule`` order for ``warmup`` untimed rounds, then
    ``repeat`` rounds; returns, per site, the seconds of the page's and the floor's samples in
    round order (``{"page": [...], "floor": [...]}``)."""
    for _, site, kind in schedule(n_sites, warmup):
        take(site, kind)
    samples = [{"page": [], FLOOR: []} for _ in range(n_sites)]
    for _, site, kind in schedule(n_sites, repeat, start=warmup):
        samples[site][kind].append(take(site, kind))
    return samples


def samples_summary(samples: list[dict[str, list[float]]]) -> tuple[list[dict], float | None]:
    """Per site: samples, p50/p95 of the page and the floor in ms, and the ratio to the floor
    (median of the rounds' page/floor pairs); and the growth, the median over the rounds of
    the last site's page sample over the first site's (None with one site)."""
    summaries = []
    for s in samples:
        page, floor = s["page"], s[FLOOR]
        summaries.append(
            {
                "samples": len(page),
                "p50_ms": round(percentile(page, 0.5) * 1000, 2),
                "p95_ms": round(percentile(page, 0.95) * 1000, 2),
                "floor_p50_ms": round(percentile(floor, 0.5) * 1000, 2),
                "floor_ratio": round(
                    median([p / f for p, f in zip(page, floor, strict=True) if f > 0]), 3
                ),
            }
        )
    growth = None
    if len(samples) > 1:
        first, last = samples[0]["page"], samples[-1]["page"]
        growth = round(median([b / a for a, b in zip(first, last, strict=True) if a > 0]), 3)
    return summaries, growth


# --- Requests --------------------------------------------------------------------------------


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
    """The users and cases of the current database, and ``fresh_cases`` new intake cases
    (opened through the intake service) for the transition POST."""
    from ncii_cases.services.cases import case_create

    coordinator = User.objects.get(username=BENCH_COORDINATOR)
    investigator = User.objects.get(username=BENCH_INVESTIGATOR)
    typical = (
        Case.objects.filter(district_id=coordinator.district_id, stage=c.Stage.INVESTIGATION)
        .exclude(title__in=[AUDIT_CASE_TITLE, SUMMARY_CASE_TITLE])
        .order_by("pk")
        .first()
    )
    party = CaseParty.objects.filter(case=typical).select_related("person").order_by("pk").first()
    ctx = Context(
        coordinator=coordinator,
        investigator=investigator,
        typical_case_id=typical.pk,
        typical_reference=typical.reference,
        party_last_name=party.person.last_name if party and party.person else "Stone",
        party_full_name=(
            f"{party.person.first_name} {party.person.last_name}"
            if party and party.person
            else "Ada Stone"
        ),
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


def page_url(page: Page, ctx: Context, kwargs: dict | None = None) -> str:
    from django.utils.http import urlencode

    url = reverse(page.url_name, kwargs=(page.kwargs(ctx) if kwargs is None else kwargs) or None)
    query = page.query(ctx)
    return f"{url}?{urlencode(query)}" if query else url


def page_available(page: Page, ctx: Context) -> str | None:
    """None when the page's URL resolves, else why not."""
    try:
        kwargs = {"pk": 1, "action": "begin_assessment"} if page.fresh_case else page.kwargs(ctx)
        reverse(page.url_name, kwargs=kwargs or None)
    except NoReverseMatch:
        return NOT_AVAILABLE
    return None


class Requester:
    """Sends one request of a page (or of its floor) on one site, signed in as the page's
    user; remembers the statuses answered."""

    def __init__(self, sites: Sites):
        self.sites = sites
        self.statuses: dict[tuple[int, str], set] = {}

    def client(self, site: Site, user_attr: str) -> Client:
        if user_attr not in site.clients:
            site.clients[user_attr] = client_for(getattr(site.context, user_attr))
        return site.clients[user_attr]

    def one(self, site: Site, page: Page, *, floor: bool = False):
        self.sites.use(site)
        ctx = site.context
        client = self.client(site, page.user)
        if floor:
            url, method = reverse("bench_floor"), "get"
        else:
            kwargs = ctx.fresh_intake_case() if page.fresh_case else None
            url, method = page_url(page, ctx, kwargs), page.method
            if page.cold:
                cache.clear()
        started = time.perf_counter()
        response = client.post(url, page.data) if method == "post" else client.get(url)
        if getattr(response, "streaming", False):
            for _ in response.streaming_content:
                pass
        elapsed = time.perf_counter() - started
        key = (site.index, FLOOR if floor else page.name)
        self.statuses.setdefault(key, set()).add(response.status_code)
        return elapsed


def page_measure(
    requester: Requester, page: Page, *, repeat: int, warmup: int, order: list | None = None
) -> list[dict]:
    """One page at every site, interleaved (``interleaved_measure``); returns per site its
    summary, query count and statuses, or why it is not available. ``order`` collects the
    samples' ``(site index, "floor" | page name)`` in the order taken."""
    sites = requester.sites.sites
    reasons = [page_available(page, site.context) for site in sites]
    if any(reasons):
        return [{"available": False, "reason": next(r for r in reasons if r)} for _ in sites]

    def take(index: int, kind: str) -> float:
        if order is not None:
            order.append((index, FLOOR if kind == FLOOR else page.name))
        return requester.one(sites[index], page, floor=kind == FLOOR)

    try:
        samples = interleaved_measure(len(sites), repeat=repeat, warmup=warmup, take=take)
        results, growth = samples_summary(samples)
        for site, result in zip(sites, results, strict=True):
            requester.sites.use(site)
            with CaptureQueriesContext(connection) as queries:
                requester.one(site, page)
            result["queries"] = len(queries.captured_queries)
    except Exception as exc:  # reported as a failure, with the reason
        logger.exception("Benchmark page %s failed", page.name)
        return [
            {"available": False, "reason": f"failed: {type(exc).__name__}: {exc}"} for _ in sites
        ]
    for site, result in zip(sites, results, strict=True):
        statuses = requester.statuses.get((site.index, page.name), set())
        result["available"] = True
        result["statuses"] = sorted(statuses)
        result["growth"] = growth
        if statuses != {page.expect}:
            result["available"] = False
            result["reason"] = f"answered {sorted(statuses)}, expected {page.expect}"
    return results


# --- The run ---------------------------------------------------------------------------------


def bench(
    *,
    sizes: list[int],
    databases: list[str],
    repeat: int,
    warmup: int,
    seed_value: int = 2026,
    reseed: bool = False,
    log=print,
    roster_students: int = rows.ROSTER_STUDENTS,
    reminder_backlog: int = rows.REMINDER_BACKLOG,
    export_seconds: float = rows.EXPORT_SECONDS_CAP,
    two_process_requests: int = rows.TWO_PROCESS_REQUESTS,
    pdf: bool = True,
    pages: bool = True,
    page_names: list[str] | None = None,
) -> dict:
    """Prepares every size's database (``sites.site_prepare``: seeded once, then reused),
    measures every page interleaved across the sizes and the rows that are not pages, and
    returns the whole result (JSON-ready) with its targets (``report.targets_evaluate``).
    ``roster_students``, ``reminder_backlog`` and ``two_process_requests`` at 0 skip those
    rows; ``pages`` false measures only the roster import on the configured database.
    ``page_names`` (``pages_select``) measures only the pages named, beside the floor, and
    none of the rows that are not pages; the result then lists them in ``pages_selected``
    and has targets for those pages only. Raises ``UnknownPage`` before measuring anything
    for a name that selects no page."""
    from bench.report import targets_evaluate

    selected = pages_select(page_names)
    cpu_before = cpu_times()
    result = {
        "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
            "python_loop_ms": python_loop_ms(),
            "python": platform_module.python_version(),
            "platform": platform_module.platform(),
            "database": connection.vendor,
        },
        "repeat": repeat,
        "warmup": warmup,
        "seed": seed_value,
        "celery_task_always_eager": bool(getattr(settings, "CELERY_TASK_ALWAYS_EAGER", False)),
        "sizes": sizes,
        "databases": databases,
        "runs": [],
        "rows": {},
    }
    if page_names:
        # Only some pages: the rows that are not pages are left out of this run.
        result["pages_selected"] = [p.name for p in selected]
        roster_students = reminder_backlog = two_process_requests = 0
        pdf = False
    if roster_students:
        where = databases[-1] if pages else connection.settings_dict["NAME"]
        result["rows"]["roster import"] = rows.roster_measure(
            database=where, students=roster_students
        )
        log(f"  roster import: {rows.roster_cell(result['rows']['roster import'])}")
    if pages:
        _sizes_measure(
            result,
            sizes=sizes,
            databases=databases,
            repeat=repeat,
            warmup=warmup,
            seed_value=seed_value,
            reseed=reseed,
            log=log,
            reminder_backlog=reminder_backlog,
            export_seconds=export_seconds,
            two_process_requests=two_process_requests,
            pdf=pdf,
            selected=selected,
            rows_measured=not page_names,
        )
    result["machine"]["load_average_after"] = (
        list(os.getloadavg()) if hasattr(os, "getloadavg") else None
    )
    result["machine"]["cpu_steal_percent"] = cpu_steal_percent(cpu_before, cpu_times())
    result["targets"] = targets_evaluate(result)
    result["failures"] = sum(1 for t in result["targets"] if t["status"] != "PASS")
    return result


def python_loop_ms(rounds: int = 5) -> float:
    """The median milliseconds, over ``rounds``, of a fixed pure-Python loop (the sum of the
    squares of 0..999,999): a yardstick of the machine's speed for one Python thread, so that
    runs on different machines can be compared (the pages' absolute times scale with it;
    their ratios to the floor do not)."""
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        total = 0
        for i in range(1_000_000):
            total += i * i
        times.append((time.perf_counter() - started) * 1000)
    return round(median(times), 1)


def cpu_times(path: str = "/proc/stat") -> tuple[int, int] | None:
    """(stolen, total) CPU time of the machine since boot, in clock ticks, from the first
    ("cpu") line of Linux's ``/proc/stat``: total sums user, nice, system, idle, iowait, irq,
    softirq and steal (guest time is already counted in user); stolen is the time a virtual
    machine's host gave its CPUs to others. None where there is no such file or line, or the
    line is not made of numbers."""
    try:
        with open(path) as stat:
            first = stat.readline().split()
    except OSError:
        return None
    if len(first) < 9 or first[0] != "cpu":
        return None
    try:
        ticks = [int(value) for value in first[1:9]]
    except ValueError:
        return None
    return ticks[7], sum(ticks)


def cpu_steal_percent(
    before: tuple[int, int] | None, after: tuple[int, int] | None
) -> float | None:
    """The share of the machine's CPU time stolen by its host between two ``cpu_times``
    readings, in percent with one decimal (None when either is missing or no time passed).
    A virtual machine whose host is busy runs everything slower; the ratios to the floor
    measured beside each page hold, absolute times do not."""
    if before is None or after is None or after[1] <= before[1]:
        return None
    return round(100 * (after[0] - before[0]) / (after[1] - before[1]), 1)


def _sizes_measure(
    result: dict,
    *,
    sizes,
    databases,
    repeat,
    warmup,
    seed_value,
    reseed,
    log,
    reminder_backlog,
    export_seconds,
    two_process_requests,
    pdf,
    selected: list[Page],
    rows_measured: bool,
) -> None:
    sites = Sites(
        [
            Site(index=i, size=size, name=name)
            for i, (size, name) in enumerate(zip(sizes, databases, strict=True))
        ]
    )
    try:
        for site in sites.sites:
            site_prepare(sites, site, seed_value=seed_value, reseed=reseed, log=log)
        if not sites.content_types_compare():
            log("  content type ids differ between the databases: cleared at every switch")
        pages_with_fresh_cases = sum(1 for p in selected if p.fresh_case)
        for site in sites.sites:
            sites.use(site)
            site.context = context_build(pages_with_fresh_cases * (warmup + repeat + 1))
            result["runs"].append(
                {
                    "size": site.size,
                    "database": site.name,
                    "seeded_now": site.seeded_now,
                    "seed_seconds": site.seed_seconds,
                    "cases_in_database": Case.objects.count(),
                    "pages": {},
                }
            )
        requester = Requester(sites)
        with override_settings(
            ROOT_URLCONF=BENCH_URLCONF,
            DEBUG=False,
            ALLOWED_HOSTS=[*settings.ALLOWED_HOSTS, "testserver"],
            EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        ):
            order: list = []
            first_page = selected[1]
            for page in selected[1:]:  # the floor is measured beside every page
                taken = [] if page is first_page else None
                cells = page_measure(requester, page, repeat=repeat, warmup=warmup, order=taken)
                if taken is not None:
                    order = taken
                for run, cell in zip(result["runs"], cells, strict=True):
                    run["pages"][page.name] = cell
                log(f"  {page.name}: " + "; ".join(_cell(cell) for cell in cells))
            # The floor's own row: its samples beside the first page.
            for run, site in zip(result["runs"], sites.sites, strict=True):
                first = run["pages"].get(first_page.name, {})
                run["pages"][FLOOR] = {
                    "available": "floor_p50_ms" in first,
                    "p50_ms": first.get("floor_p50_ms"),
                    "floor_ratio": 1.0,
                    "queries": _floor_queries(requester, site, first_page),
                }
                if "floor_p50_ms" not in first:
                    run["pages"][FLOOR]["reason"] = first.get("reason", NOT_AVAILABLE)
            # The first page's samples in the order taken (warm-up rounds included).
            result["interleaving"] = [list(step) for step in order[: 4 * len(sites.sites) * 2]]
            if not rows_measured:
                return
            export = rows.export_measure(
                requester, sites.sites, seconds_cap=export_seconds, log=log
            )
            for run, cell in zip(result["runs"], export, strict=True):
                run["audit export"] = cell
        for run, site in zip(result["runs"], sites.sites, strict=True):
            sites.use(site)
            run["verify_audit"] = rows.verify_measure()
            log(f"  {site.size:>7} verify_audit: {rows.verify_cell(run['verify_audit'])}")
        largest = sites.sites[-1]
        if reminder_backlog:
            sites.use(largest)
            result["rows"]["reminder backlog"] = rows.reminders_measure(
                backlog=reminder_backlog, log=log
            )
        if two_process_requests:
            sites.use(largest)
            result["rows"]["two processes"] = rows.two_process_measure(
                database=largest.name,
                user=largest.context.coordinator,
                path=reverse("ncii_cases:home"),
                requests=two_process_requests,
                log=log,
            )
        if pdf:
            for run, site in zip(result["runs"], sites.sites, strict=True):
                sites.use(site)
                run["pdf"] = rows.pdf_measure(
                    user=site.context.coordinator,
                    case_id=site.context.summary_case_id,
                    database=site.name,
                    repeat=repeat,
                )
                log(f"  {site.size:>7} case summary PDF: {rows.pdf_cell(run['pdf'])}")
    finally:
        sites.restore()


def _floor_queries(requester: Requester, site: Site, page: Page) -> int:
    requester.sites.use(site)
    with CaptureQueriesContext(connection) as queries:
        requester.one(site, page, floor=True)
    return len(queries.captured_queries)


def _cell(result: dict) -> str:
    if not result.get("available"):
        return result.get("reason", NOT_AVAILABLE)
    return (
        f"p50 {result['p50_ms']} ms (x{result['floor_ratio']} floor), p95 {result['p95_ms']} "
        f"ms, {result['queries']} q"
    )


__all__ = [
    "PAGES",
    "Page",
    "UnknownPage",
    "bench",
    "interleaved_measure",
    "pages_select",
    "samples_summary",
    "schedule",
]
