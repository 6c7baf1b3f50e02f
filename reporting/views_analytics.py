"""Analytics: the page, its CSV export and the board report (PDF). All three read the raw
figures through ``ncii_cases.selectors.analytics`` (404 for a user without the ANALYTICS
right) and show them through ``analytics_report``: exact on the page of a user who may read
every case counted (the coordinator), small-cell suppressed on every other page and on
everything that leaves the office (the CSV, the board report)."""

import hashlib
import logging

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from ncii_cases.access_log import access_logged
from ncii_cases.analytics_facts import case_facts_refresh_stale, facts_generation
from ncii_cases.pdf_render import PREFIX, html_pdf_build
from ncii_cases.selectors.analytics import (
    AnalyticsFilters,
    analytics_schools_for_user,
    analytics_scope_for_user,
    district_analytics_for_user,
    district_analytics_from_facts,
)

from .analytics import analytics_csv_lines, analytics_report
from .forms_analytics import AnalyticsFilterForm
from .suppression import THRESHOLD

logger = logging.getLogger(__name__)


def _figures(user, filters):
    """The raw figures of the cases the user may count, and when they were worked out.

    The permission check (the scope, 404) runs first on every request, before any cache is
    read. The kept facts' stale rows are then worked out again (one query when none is
    stale), and the aggregates are kept in the shared cache (Redis in production) under a
    key holding the scope, the filters and the district's facts generation, which moves on
    whenever a refresh wrote a row: a cached figure is never older than the last committed
    change, except the takedown clocks that ran out since (at most ANALYTICS_CACHE_SECONDS).
    """
    district_analytics_for_user(user=user, filters=filters, check_only=True)
    scope = analytics_scope_for_user(user=user)
    case_facts_refresh_stale(district_id=scope.district_id)

    def compute():
        data = district_analytics_from_facts(scope=scope, filters=filters)
        _labels_translated(data)
        return data, timezone.now()

    seconds = settings.ANALYTICS_CACHE_SECONDS
    if seconds <= 0:
        return compute()
    school = filters.school.pk if filters.school is not None else ""
    generation = facts_generation(scope.district_id)
    # The labels are kept translated (see ``_labels_translated``), so the language is part
    # of the key.
    wanted = (
        f"{scope.cache_part}|{generation}|{filters.date_from}|{filters.date_to}|{school}"
        f"|{get_language()}"
    )
    key = "reporting:analytics:" + hashlib.sha256(wanted.encode()).hexdigest()
    try:
        return cache.get_or_set(key, compute, timeout=seconds)
    except Exception:  # the shared cache (Redis) is unreachable: figures afresh, page works
        logger.warning("Analytics: the cache is unavailable; figures worked out afresh")
        return compute()


def _labels_translated(data) -> None:
    """Turns the figures' lazily translated labels (breakdown rows, takedown outcomes) into
    text in the active language, in place: kept figures then load without building a lazy
    proxy per label on every read (their key holds the language)."""

    def text(label):
        return label if label is None or isinstance(label, str) else str(label)

    for name, rows in data.breakdowns.items():
        data.breakdowns[name] = [(text(label), n) for label, n in rows]
    data.takedown_outcomes = [(text(label), n) for label, n in data.takedown_outcomes]


def _filters(request):
    """Binds the filter form; returns it and the filters (None when the input is invalid)."""
    schools = analytics_schools_for_user(user=request.user)
    form = AnalyticsFilterForm(request.GET or None, schools=schools)
    if not request.GET:
        return form, AnalyticsFilters()
    if not form.is_valid():
        return form, None
    return form, AnalyticsFilters(
        date_from=form.cleaned_data["date_from"],
        date_to=form.cleaned_data["date_to"],
        school=form.cleaned_data["school"],
    )


def _invalid(form) -> HttpResponse:
    # Each message without its closing full stop: the sentence around them has its own.
    errors = "; ".join(str(e).rstrip(".") for errs in form.errors.values() for e in errs)
    return HttpResponse(
        _("The filters are not valid: %(errors)s. Correct them on the analytics page.")
        % {"errors": errors},
        status=400,
        content_type="text/plain; charset=utf-8",
    )


@access_logged("analytics")
@login_required
@require_GET
def analytics(request):
    form, filters = _filters(request)
    report = computed_at = None
    scope = analytics_scope_for_user(user=request.user)
    if filters is not None:
        data, computed_at = _figures(request.user, filters)
        report = analytics_report(data, exact=scope.exact)
    context = {
        "computed_at": computed_at,
        "form": form,
        "report": report,
        "exact": scope.exact,
        "threshold": THRESHOLD,
        "querystring": request.GET.urlencode(),
    }
    return render(request, "reporting/analytics.html", context, status=200)


@access_logged("analytics_csv")
@login_required
@require_GET
def analytics_csv(request):
    """The figures as CSV, always small-cell suppressed (it leaves the office), streamed."""
    form, filters = _filters(request)
    if filters is None:
        return _invalid(form)
    data, _computed_at = _figures(request.user, filters)
    report = analytics_report(data, exact=False)
    response = StreamingHttpResponse(
        analytics_csv_lines(report), content_type="text/csv; charset=utf-8"
    )
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="district-analytics-{stamp}.csv"'
    response["Cache-Control"] = "no-store"
    return response


def board_report_html(
    *, data, filters, computed_at, district, stylesheet: str = f"{PREFIX}css/board_report.css"
) -> str:
    """The board report's HTML (what the PDF is made of): the raw figures ``data`` always
    small-cell suppressed. ``stylesheet``: its address for the PDF fetcher (a browser preview
    passes its own). No query."""
    return render_to_string(
        "reporting/analytics_board_report.html",
        {
            "report": analytics_report(data, exact=False),
            "filters": filters,
            "computed_at": computed_at,
            "district": district,
            "threshold": THRESHOLD,
            "stylesheet": stylesheet,
            "pdf": True,
        },
        request=None,
    )


@access_logged("analytics_board_report")
@login_required
@require_GET
def analytics_board_report(request):
    """The board report: the suppressed figures, charts and trends as a tagged PDF, rendered
    while the user waits (a few pages of aggregates, no case content: about a second)."""
    form, filters = _filters(request)
    if filters is None:
        return _invalid(form)
    data, computed_at = _figures(request.user, filters)
    html = board_report_html(
        data=data, filters=filters, computed_at=computed_at, district=request.user.district
    )
    pdf = html_pdf_build(html)
    response = HttpResponse(pdf.content, content_type="application/pdf")
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="board-report-{stamp}.pdf"'
    response["Cache-Control"] = "no-store"
    return response
