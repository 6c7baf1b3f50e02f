"""The home page of each role with the queue, and the case page (the audit review is in
``reporting``). Each view fetches through a selector (404 when the user may not see it) and
is logged by ``access_logged``."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from ncii_cases.selectors import cases as selectors
from ncii_cases.selectors import home as selectors_home
from ncii_cases.selectors import reports as sr
from ncii_cases.selectors import roster as selectors_roster
from ncii_cases.selectors.home import HomeKind
from ncii_cases.selectors.queue import QueueRowMaker, case_queue
from policies.models import Resource
from policies.selectors import resources_for_district

from .access_log import access_case, access_logged, access_record
from .case_views import TIMELINE_NEWEST, case_todo
from .dates import MomentTexts

QUEUE_PAGE_SIZE = 25
REPORTS_SHOWN = 10  # a staff reporter's newest reports on their home


@login_required
@require_GET
def home(request):
    """The home page of each role (``selectors_home.HomeKind``): the queue for who may open
    cases, the caseload for assigned staff, the audit overview for the auditor, the console for
    IT, their own reports for every other employee. Roles that may see cases also get the
    case list, filtered, sorted and paged ids first (``queue.IdsFirstList``)."""
    kind = selectors_home.home_kind_for_user(request.user)
    context = {"kind": kind, "kinds": HomeKind, "home_title": selectors_home.HOME_TITLES[kind]}
    if kind in (HomeKind.QUEUE, HomeKind.CASELOAD, HomeKind.AUDIT):
        queue = case_queue(
            user=request.user,
            params=request.GET,
            with_lists=kind == HomeKind.QUEUE and not request.htmx,
        )
        paginator = Paginator(queue.rows, QUEUE_PAGE_SIZE)
        page = paginator.get_page(request.GET.get("page"))
        # The rows' URLs and due texts are worked out once for the page, in the district's
        # zone (activated by DistrictTimeZoneMiddleware).
        rows = QueueRowMaker(now=queue.rows.now, zone=timezone.get_current_timezone())
        context |= {
            "queue": queue,
            "page": page,
            "rows": rows.rows(page.object_list),
            "querystring": _without_page(request.GET),
            "sort_links": queue_sort_links(request.GET, queue.filterset.sort_given()),
            # Filters asked for (even ones ignored for this user): the count then says
            # "match these filters".
            "filters_asked": any(
                value for name, value in request.GET.items() if name not in ("page", "sort")
            ),
        }
        if request.GET.get("q", "").strip():
            # A search reads across cases (references and party names): logged like a case
            # page.
            access_record(request, action="case_search", allowed=True)
        if request.htmx:
            return render(request, "ncii_cases/partials/queue_table.html", context)
    if kind == HomeKind.QUEUE:
        queue = context["queue"]
        context["stage_table"] = selectors_home.stage_counts_by_school(
            user=request.user, counts=queue.school_stage_counts, schools=queue.schools
        )
        # The district's zone, activated for the request (DistrictTimeZoneMiddleware).
        due_today = selectors_home.cases_due_today(user=request.user, zone=rows.zone)
        context["now_lists"] = {
            "due_today": rows.rows(due_today),
            "new_reports": rows.rows(queue.new_reports),
            "overdue": rows.rows(queue.overdue),
            "due_soon": rows.rows(queue.due_soon),
        }
    elif kind == HomeKind.CASELOAD:
        context["caseload"] = selectors_home.caseload_for_user(user=request.user)
    elif kind == HomeKind.AUDIT:
        context["overview"] = selectors_home.audit_overview_for_user(user=request.user)
    elif kind == HomeKind.CONSOLE:
        context["console"] = selectors_home.console_for_user(user=request.user)
    elif kind == HomeKind.REPORTS:
        context["reports"] = [
            (report, sr.reporter_status_label(report))
            for report in sr.own_reports_for_user(user=request.user)[:REPORTS_SHOWN]
        ]
    return render(request, "ncii_cases/home.html", context)


def _without_page(params) -> str:
    kept = params.copy()
    kept.pop("page", None)
    return kept.urlencode()


# The sortable columns of the queue's table and the sort a first click on each asks for
# (``filters.SORT_ORDER``): the highest harm level and the newest report first.
QUEUE_SORT_COLUMNS = {
    "reference": "reference",
    "stage": "stage",
    "harm": "-harm",
    "due": "due",
    "reported": "-reported",
}


def queue_sort_links(params, sorted_by: list[str]) -> dict[str, dict[str, str]]:
    """For each column of ``QUEUE_SORT_COLUMNS``, its header's link and state, as
    ``{"query": "...", "aria": "ascending" | "descending" | ""}``: the query string keeps the
    filters, drops the page and replaces the sort with one parameter (the column's first-click
    sort, or its reverse when the list is already sorted that way), so clicks never pile up
    sort parameters. ``sorted_by``: the valid sort parameters given
    (``CaseQueueFilter.sort_given``); none is the queue's default order, soonest due first."""
    current = sorted_by[0] if sorted_by else "due"
    kept = params.copy()
    kept.pop("page", None)
    kept.pop("sort", None)
    links = {}
    for column, first in QUEUE_SORT_COLUMNS.items():
        plain = first.lstrip("-")
        aria = ""
        target = first
        if current.lstrip("-") == plain:
            aria = "descending" if current.startswith("-") else "ascending"
            target = plain if current.startswith("-") else f"-{plain}"
        query = kept.copy()
        query["sort"] = target
        links[column] = {"query": query.urlencode(), "aria": aria}
    return links


@access_logged("case_detail")
@login_required
@require_GET
def case_detail(request, pk):
    detail = selectors.case_detail_for_user(user=request.user, pk=pk, newest_events=TIMELINE_NEWEST)
    access_case(request, detail.case)
    selectors_roster.parties_earlier_cases_mark(
        user=request.user, case=detail.case, parties=detail.parties
    )
    moments = MomentTexts()
    audience = Resource.Audience.MINORS if detail.minors_depicted else Resource.Audience.ADULTS
    resources = resources_for_district(
        district=detail.case.district, audience=audience, reachable=True
    )
    context = {
        "d": detail,
        "resources": list(resources),
        "todo": case_todo(detail.case, detail.transitions, **detail.read_for_guards),
        "timeline_newest": TIMELINE_NEWEST,
        # Each entry's moment as the ``moment`` filter writes it, the date and time parts
        # formatted once each.
        "timeline": [(e, sentence, moments(e.created_at)) for e, sentence in detail.sentences],
    }
    return render(request, "ncii_cases/case_detail.html", context)


@require_GET
def favicon(request):
    """``/favicon.ico``, asked by browsers and tools that ignore the page's icon link: a
    permanent redirect to the static icon, so that no page's visit logs a 404."""
    return redirect(static("favicon.svg"), permanent=True)


@require_GET
@never_cache
def healthz(request):
    """Liveness for load balancers and compose: says whether the database answers."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return JsonResponse({"status": "ok"})
    except Exception:
        return JsonResponse({"status": "database unavailable"}, status=503)


def admin_login(request):
    """The admin signs in through the one sign-in of the site (password, then a code)."""
    target = reverse("login")
    next_url = request.GET.get("next")
    if next_url:
        target += "?" + urlencode({"next": next_url})
    return redirect(target)


@access_logged("admin_view_on_site")
@login_required
def admin_view_on_site(request, content_type_id, object_id):
    """Replaces the admin's "view on site" redirect, which answers anyone and would tell a
    stranger which case ids exist. Logged like a case page: it confirms the case exists."""
    case = selectors.case_for_admin_link(
        user=request.user, content_type_id=content_type_id, object_id=object_id
    )
    access_case(request, case)
    return redirect(case.get_absolute_url())
