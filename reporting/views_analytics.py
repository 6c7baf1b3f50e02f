"""District analytics for the Title IX coordinator: the page and its CSV export. Both read the
raw figures through ``ncii_cases.selectors_analytics`` (404 for anyone but the coordinator)
and show them only after ``reporting.suppression``."""

import io

from django.contrib.auth.decorators import login_required
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
        data = district_analytics_for_user(user=request.user, filters=filters)
        report = analytics_report(data)
    context = {
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
    report = analytics_report(district_analytics_for_user(user=request.user, filters=filters))
    out = io.StringIO()
    analytics_csv_write(report, out)
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="district-analytics-{stamp}.csv"'
    response["Cache-Control"] = "no-store"
    return response
