"""District analytics for the Title IX coordinator: the page and its CSV export. Both read the
raw figures through ``ncii_cases.selectors_analytics`` (404 for anyone but the coordinator)
and show them only after ``reporting.suppression``."""

import hashlib
import io
import logging

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from ncii_cases.access_log import access_logged
from ncii_cases.selectors_analytics import (
    AnalyticsFilters,
    analytics_schools_for_user,
    district_analytics_for_user,
)

from .analytics import analytics_csv_write, analytics_report
from .forms_analytics import AnalyticsFilterForm
from .suppression import THRESHOLD

logger = logging.getLogger(__name__)


def _figures(user, filters):
    """The district's raw figures and when they were computed. Aggregating every case of a
        large district takes seconds, so they are kept in the shared cache (Redis in production) for
    ANALYTICS_CACHE_SECONDS;
        the key holds the district and the filters, and the selector's permission check runs on
        every request before any cached figures are given out."""
    district_analytics_for_user(user=user, filters=filters, check_only=True)
    seconds = settings.ANALYTICS_CACHE_SECONDS

    def compute():
        return district_analytics_for_user(user=user, filters=filters), timezone.now()

    if seconds <= 0:
        return compute()
    school = filters.school.pk if filters.school is not None else ""
    wanted = f"{user.district_id}|{filters.date_from}|{filters.date_to}|{school}"
    key = "reporting:analytics:" + hashlib.sha256(wanted.encode()).hexdigest()
    try:
        return cache.get_or_set(key, compute, timeout=seconds)
    except Exception:  # the shared cache (Redis) is unreachable: figures afresh, page works
        logger.warning("Analytics: the cache is unavailable; figures worked out afresh")
        return compute()


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


@access_logged("analytics")
@login_required
@require_GET
def analytics(request):
    form, filters = _filters(request)
    report = None
    if filters is not None:
        data, computed_at = _figures(request.user, filters)
        report = analytics_report(data)
    context = {
        "computed_at": computed_at if filters is not None else None,
        "cache_minutes": settings.ANALYTICS_CACHE_SECONDS // 60,
        "form": form,
        "report": report,
        "threshold": THRESHOLD,
        "querystring": request.GET.urlencode(),
    }
    return render(request, "reporting/analytics.html", context, status=200)


@access_logged("analytics_csv")
@login_required
@require_GET
def analytics_csv(request):
    form, filters = _filters(request)
    if filters is None:
        errors = "; ".join(e for errs in form.errors.values() for e in errs)
        return HttpResponse(
            f"The filters are not valid: {errors}",
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    data, _computed_at = _figures(request.user, filters)
    report = analytics_report(data)
    out = io.StringIO()
    analytics_csv_write(report, out)
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="district-analytics-{stamp}.csv"'
    response["Cache-Control"] = "no-store"
    return response
