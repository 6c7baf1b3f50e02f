"""Reporting pages. The audit-trail review: for the district's auditor and coordinator, the
change history of the case data (field by field), the case timeline and the access log,
filtered, paginated, exportable as CSV, with the latest verification of the hash chains.
Data comes from ``ncii_cases.selectors.audit``; nothing here writes case data."""

import contextlib
import csv
import io
import logging
from datetime import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from ncii_cases.access_log import access_case, access_logged
from ncii_cases.selectors import audit as selectors_audit
from ncii_cases.tasks import audit_verify_run

from .audit_rows import AuditRowsHtml
from .forms import AuditFilterForm

logger = logging.getLogger(__name__)
VERIFY_NOW_INTERVAL = 300  # seconds between two checks asked for with "Verify now"

PAGE_PARAMS = {"changes": "changes_page", "events": "events_page", "accesses": "access_page"}


def _querystring(params, *drop: str) -> str:
    kept = params.copy()
    for name in drop:
        kept.pop(name, None)
    return kept.urlencode()


def _review(request, *, case):
    form = AuditFilterForm(request.GET, user=request.user, case=case)
    review = rows = None
    if form.is_valid():
        review = selectors_audit.audit_review_for_user(
            user=request.user,
            flt=form.audit_filter(),
            case=case,
            pages={name: request.GET.get(param) for name, param in PAGE_PARAMS.items()},
        )
        # The tables' rows as HTML, written in Python (``audit_rows``).
        html = AuditRowsHtml(case=case)
        rows = {
            "changes": html.changes(review.changes),
            "events": html.events(review.events),
            "accesses": html.accesses(review.accesses),
        }
    context = {
        "case": case,
        "form": form,
        "review": review,
        "rows": rows,
        "verification": selectors_audit.audit_verification_for_user(user=request.user),
        "filter_qs": _querystring(request.GET, *PAGE_PARAMS.values()),
        "qs": {name: _querystring(request.GET, param) for name, param in PAGE_PARAMS.items()},
    }
    return render(request, "reporting/audit_review.html", context)


@access_logged("audit_review")
@login_required
@require_GET
def audit_review(request):
    selectors_audit.audit_district_check(user=request.user)
    return _review(request, case=None)


@access_logged("case_audit")
@login_required
@require_GET
def case_audit(request, pk):
    case = selectors_audit.audit_case_get(user=request.user, pk=pk)
    access_case(request, case)
    return _review(request, case=case)


# Lines of the audit CSV export sent together as one chunk of the streamed response.
EXPORT_LINES_PER_CHUNK = 500


# Cells a spreadsheet would read as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value) -> str:
    """A CSV cell that a spreadsheet shows as text: a leading ' before formula characters."""
    if hasattr(value, "isoformat"):
        value = value.isoformat()
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_row(row) -> list[str]:
    """The cells of one exported row, each as ``csv_cell`` writes it, with its two common cases
    first: a plain text that starts with no formula character, and an instant (its ISO text
    starts with its year's digits, never a formula). The export writes millions of cells."""
    return [
        v
        if v.__class__ is str and not v.startswith(FORMULA_STARTS)
        else v.isoformat()
        if v.__class__ is datetime
        else csv_cell(v)
        for v in row
    ]


def _export(request, *, case):
    form = AuditFilterForm(request.GET, user=request.user, case=case)
    if not form.is_valid():
        errors = "; ".join(
            f"{form.fields[name].label if name in form.fields else 'Filter'}: {' '.join(e)}"
            for name, e in form.errors.items()
        )
        return HttpResponse(
            f"The filter is not valid: {errors}", status=400, content_type="text/plain"
        )
    rows = selectors_audit.audit_export_rows(user=request.user, flt=form.audit_filter(), case=case)
    header = ("section", "when", "who", "case", "what", "detail")

    def lines():
        # Rows are sent EXPORT_LINES_PER_CHUNK at a time: one chunk per row cost as much as
        # the row itself (the response and the server handle each chunk on its own). Each
        # chunk's rows are written by one writerows call (cells by ``csv_row``).
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(header)
        batch = []
        append = batch.append
        size = EXPORT_LINES_PER_CHUNK
        for row in rows:
            append(csv_row(row))
            if len(batch) == size:
                writer.writerows(batch)
                batch.clear()
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
        writer.writerows(batch)
        yield buffer.getvalue()

    scope = case.reference if case is not None else "district"
    name = f"audit-{scope}-{timezone.localdate():%Y-%m-%d}.csv".replace('"', "")
    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


# The export is logged like any page; its path keeps the filter's query string.
@access_logged("audit_export")
@login_required
@require_GET
def audit_export(request):
    selectors_audit.audit_district_check(user=request.user)
    return _export(request, case=None)


@access_logged("audit_export")
@login_required
@require_GET
def case_audit_export(request, pk):
    case = selectors_audit.audit_case_get(user=request.user, pk=pk)
    access_case(request, case)
    return _export(request, case=case)


@access_logged("audit_verify_now")
@login_required
@require_POST
def audit_verify_now(request):
    """Queues a verification of the audit chains once the request commits."""
    selectors_audit.audit_district_check(user=request.user)
    # A check re-hashes every row of both chains: at most one every VERIFY_NOW_INTERVAL
    # seconds for the whole installation (the cache is shared by every web process), however
    # often the button is pressed.
    try:
        allowed = cache.add("reporting:audit-verify-now", request.user.pk, VERIFY_NOW_INTERVAL)
    except Exception:  # Redis (cache and broker) unreachable: no check can be queued
        logger.warning("Verify now: the cache is unavailable")
        messages.error(
            request,
            _(
                "The background service is unavailable right now, so the check could not start. "
                "The nightly check still runs; try again later."
            ),
        )
        return redirect(_verify_next(request))
    if not allowed:
        messages.info(
            request,
            _(
                "A check was asked for a moment ago; its result shows below when it is done. "
                "You can ask again in a few minutes."
            ),
        )
    else:
        user_id = request.user.pk

        def enqueue():
            try:
                audit_verify_run.delay(requested_by_id=user_id)
            except Exception:  # the broker is down: say so instead of failing the page
                # The same Redis may be down too; its key expires by itself anyway.
                with contextlib.suppress(Exception):
                    cache.delete("reporting:audit-verify-now")
                logger.warning("Verify now: the background service is unavailable")
                messages.error(
                    request,
                    _(
                        "The background service is unavailable right now, so the check could not "
                        "start. The nightly check still runs; try again later."
                    ),
                )
            else:
                messages.success(
                    request, _("The audit record check has started; its result shows below.")
                )

        # Nothing is written here that the check would need to see: publish at once, so the
        # page can say whether the background service took it.
        enqueue()
    return redirect(_verify_next(request))


def _verify_next(request) -> str:
    """Back to the review page the button was on; anything else goes to the district review."""
    target = request.POST.get("next", "")
    if not (
        target.startswith("/reporting/")
        and url_has_allowed_host_and_scheme(target, allowed_hosts=None)
        and not any(ch in target for ch in "\\\r\n")
    ):
        target = "reporting:audit_review"
    return target
