"""The pages of the reports from anyone (docs/reports.md).

- Staff: file a report (every employee account), a receipt, and one's own reports' status.
- The incoming queue (coordinator; school administrators for their schools): read a report,
  reply to its reporter, promote it to a new case, merge it into a case, or close it.
- Public, without signing in: the district's report page, the tracking code shown once, and
  following the report with the code and the passphrase (status and two-way messages).

Public pages work without JavaScript, carry CSRF tokens, are never stored by a browser or a
proxy (``NoStoreMiddleware``), and are rate limited per address (``network.client_ip_address``,
which believes ``X-Forwarded-For`` only from ``TRUSTED_PROXIES``) and per tracking code.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_ratelimit.core import is_ratelimited

from ncii_cases.selectors import reports as sr

from . import forms_reports as fr
from .access_log import access_logged
from .case_views import ALREADY_SENT, form_errors_add
from .errors import TransitionForbidden
from .models import District
from .network import client_ip_address
from .permissions import Action, user_can_anywhere
from .services import intake_reports as svc
from .services import submissions

GET_POST = require_http_methods(["GET", "POST"])
FOLLOW_SESSION_KEY = "ncii_followed_report"
SENT_SESSION_KEY = "ncii_report_sent_code"
SENT_TOKENS_KEY = "ncii_report_sent_tokens"
# A follow-up session ends after 30 minutes without a page (seconds).
FOLLOW_SESSION_SECONDS = 30 * 60


# --- Staff reports ---------------------------------------------------------------------------


def _require_filer(user) -> None:
    if not user_can_anywhere(user, Action.FILE_REPORT):
        raise Http404("No such page.")


@access_logged("staff_report_new")
@login_required
@GET_POST
def staff_report_new(request):
    _require_filer(request.user)
    schools = sr.public_schools(district=request.user.district)
    data = request.POST if request.method == "POST" else None
    form = fr.StaffReportForm(data, schools=schools)
    if data is not None and form.is_valid():
        token = form.cleaned_data.get("submission_token")
        earlier = submissions.form_submission_find(user=request.user, token=token)
        if earlier is not None and earlier.result_url:
            messages.info(request, ALREADY_SENT)
            return redirect(earlier.result_url)
        try:
            with transaction.atomic():
                claim = submissions.form_submission_claim(
                    user=request.user, token=token, form="staff_report"
                )
                if claim is None:
                    messages.info(request, ALREADY_SENT)
                    return redirect("ncii_cases:my_reports")
                report = svc.staff_report_file(
                    actor=request.user, data=svc.ReportInput(**form.report_data())
                )
                target = reverse("ncii_cases:my_report", kwargs={"report_pk": report.pk})
                submissions.form_submission_complete(submission=claim, result_url=target)
        except ValidationError as exc:
            form_errors_add(form, exc)
        else:
            messages.success(request, _("Thank you. Your report is received."))
            return redirect(target)
    return render(request, "ncii_cases/reports/staff_report.html", {"form": form})


@access_logged("my_reports")
@login_required
@require_GET
def my_reports(request):
    _require_filer(request.user)
    reports = [(r, sr.reporter_status_label(r)) for r in sr.own_reports_for_user(user=request.user)]
    return render(request, "ncii_cases/reports/my_reports.html", {"reports": reports})


@access_logged("my_report")
@login_required
@require_GET
def my_report(request, report_pk):
    report = sr.own_report_get(user=request.user, pk=report_pk)
    context = {"report": report, "status": sr.reporter_status_label(report)}
    return render(request, "ncii_cases/reports/my_report.html", context)


# --- The incoming queue ----------------------------------------------------------------------


@access_logged("report_queue")
@login_required
@require_GET
def report_queue(request):
    if not user_can_anywhere(request.user, Action.REVIEW_REPORTS):
        raise Http404("No such page.")
    context = {
        "pending": list(sr.reports_queue_for_user(user=request.user)),
        "handled": list(sr.reports_queue_for_user(user=request.user, pending=False)[:25]),
    }
    return render(request, "ncii_cases/reports/queue.html", context)


def _review_forms(request, report, **bound):
    forms = {
        "reply_form": fr.MessageForm(),
        "promote_form": fr.PromoteForm(
            schools=sr.schools_to_promote_at(user=request.user),
            initial={"school": report.school_id},
        ),
        "merge_form": fr.MergeForm(cases=sr.cases_to_merge_into(user=request.user, report=report)),
        "close_form": fr.CloseForm(),
    }
    forms.update(bound)
    return forms


def _review_page(request, report, status=200, problem="", **bound):
    context = {"report": report, "status": sr.reporter_status_label(report), "problem": problem}
    context.update(_review_forms(request, report, **bound))
    return render(request, "ncii_cases/reports/review.html", context, status=status)


@access_logged("report_review")
@login_required
@require_GET
def report_review(request, report_pk):
    report = sr.report_get_for_user(user=request.user, pk=report_pk)
    return _review_page(request, report)


def _decide(request, report_pk, *, form_name, form, act, success):
    """The POST of one decision form: the report through the selector (404 when not the
    user's), the form, one service call, then back to the report page (or the case)."""
    report = sr.report_get_for_user(user=request.user, pk=report_pk)
    target = reverse("ncii_cases:report_review", kwargs={"report_pk": report.pk})
    form = form(report)
    if form.is_valid():
        token = form.cleaned_data.get("submission_token")
        if token is not None and submissions.form_submission_find(user=request.user, token=token):
            messages.info(request, ALREADY_SENT)
            return redirect(target)
        try:
            with transaction.atomic():
                if token is not None:
                    claim = submissions.form_submission_claim(
                        user=request.user, token=token, form=form_name
                    )
                    if claim is None:
                        messages.info(request, ALREADY_SENT)
                        return redirect(target)
                result = act(report, form.cleaned_data)
        except ValidationError as exc:
            form_errors_add(form, exc)
        except TransitionForbidden as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, success)
            return redirect(result or target)
    report = sr.report_get_for_user(user=request.user, pk=report_pk)
    # The form's own errors stand next to it; a refusal of the whole decision (the report was
    # handled meanwhile) also stands at the top, where it is seen when the forms are gone.
    problem = " ".join(form.non_field_errors())
    return _review_page(request, report, status=400, problem=problem, **{form_name: form})


@access_logged("report_reply")
@login_required
@require_POST
def report_reply(request, report_pk):
    return _decide(
        request,
        report_pk,
        form_name="reply_form",
        form=lambda report: fr.MessageForm(request.POST),
        act=lambda report, data: (
            svc.report_message_from_district(actor=request.user, report=report, body=data["body"])
            and None
        ),
        success=_("Your message is sent. The reporter reads it with their tracking code."),
    )


@access_logged("report_promote")
@login_required
@require_POST
def report_promote(request, report_pk):
    return _decide(
        request,
        report_pk,
        form_name="promote_form",
        form=lambda report: fr.PromoteForm(
            request.POST, schools=sr.schools_to_promote_at(user=request.user)
        ),
        act=lambda report, data: svc.report_promote(
            actor=request.user, report=report, school=data["school"], title=data["title"]
        ).get_absolute_url(),
        success=_("The report is opened as a new case."),
    )


@access_logged("report_merge")
@login_required
@require_POST
def report_merge(request, report_pk):
    return _decide(
        request,
        report_pk,
        form_name="merge_form",
        form=lambda report: fr.MergeForm(
            request.POST, cases=sr.cases_to_merge_into(user=request.user, report=report)
        ),
        act=lambda report, data: svc.report_merge(
            actor=request.user, report=report, case=data["case"]
        ).case.get_absolute_url(),
        success=_("The report is added to the case."),
    )


@access_logged("report_close")
@login_required
@require_POST
def report_close(request, report_pk):
    return _decide(
        request,
        report_pk,
        form_name="close_form",
        form=lambda report: fr.CloseForm(request.POST),
        act=lambda report, data: (
            svc.report_close(actor=request.user, report=report, reason=data["reason"]) and None
        ),
        success=_("The report is closed. The reason is kept with it."),
    )


# --- Public pages ----------------------------------------------------------------------------


def _address_key(group, request) -> str:
    return client_ip_address(request) or "unknown"


def _limited(request, *, group: str, rate: str, key=_address_key) -> bool:
    """Counts this POST against ``rate`` for ``group`` and says whether it is over."""
    return is_ratelimited(request, group=group, key=key, rate=rate, method="POST", increment=True)


def _too_many(request, district=None):
    return render(request, "ncii_cases/reports/too_many.html", {"district": district}, status=429)


# What a reporter reads when their report or message is held back by a rate limit: the form
# comes back with what they wrote (the passphrase aside, typed again as on any sent-back form)
# and says plainly that it was not sent. Lazy: in the language of the request.
REPORT_HELD_BACK = gettext_lazy(
    "Many reports were sent from your connection in the last hour, so this one has not been "
    "sent yet. What you wrote is still below: please send it again in an hour. If someone is "
    "in danger now, call 911."
)
MESSAGE_HELD_BACK = gettext_lazy(
    "Many messages were sent on this report in the last hour, so this one has not been sent "
    "yet. What you wrote is still below: please send it again in an hour. If someone is in "
    "danger now, call 911."
)


@GET_POST
def public_report(request, district_slug):
    district = get_object_or_404(District, slug=district_slug)
    schools = sr.public_schools(district=district)
    data = request.POST if request.method == "POST" else None
    form = fr.PublicReportForm(data, schools=schools)
    status = 200
    if data is not None:
        if _limited(request, group="public_report_try", rate=settings.PUBLIC_REPORT_TRY_RATE):
            # Every attempt counts here (a program trying its way through the form): the page
            # comes back with what was typed, unsent.
            form.add_error(None, REPORT_HELD_BACK)
            return render(
                request,
                "ncii_cases/reports/public_report.html",
                {"district": district, "form": form},
                status=429,
            )
        if form.is_honeypot_filled:
            # A program filled the hidden field: nothing is stored, and the answer says how to
            # reach someone in case a person did.
            return render(
                request, "ncii_cases/reports/refused.html", {"district": district}, status=400
            )
        if form.is_valid():
            token = str(form.cleaned_data.get("submission_token") or "")
            if token and token in request.session.get(SENT_TOKENS_KEY, []):
                # The same page sent twice (a double click): one report, already filed.
                return redirect("ncii_cases:public_follow_status")
            # Only a report about to be filed counts against the limit of reports: a school's
            # students share one address, and a page sent back for a missing answer is no
            # report.
            if _limited(request, group="public_report", rate=settings.PUBLIC_REPORT_RATE):
                form.add_error(None, REPORT_HELD_BACK)
                status = 429
            else:
                try:
                    report = svc.public_report_file(
                        district=district,
                        data=svc.ReportInput(**form.report_data()),
                        passphrase=form.cleaned_data["passphrase"],
                    )
                except ValidationError as exc:
                    form_errors_add(form, exc)
                else:
                    _follow_start(request, report)
                    request.session[SENT_SESSION_KEY] = report.code_display
                    request.session[SENT_TOKENS_KEY] = [token]
                    return redirect("ncii_cases:public_report_sent", district_slug=district.slug)
    context = {"district": district, "form": form}
    return render(request, "ncii_cases/reports/public_report.html", context, status=status)


@require_GET
def public_report_sent(request, district_slug):
    """Shows the tracking code once, right after the report is sent."""
    district = get_object_or_404(District, slug=district_slug)
    code = request.session.pop(SENT_SESSION_KEY, None)
    if code is None:
        return redirect("ncii_cases:public_follow")
    return render(
        request, "ncii_cases/reports/public_sent.html", {"district": district, "code": code}
    )


def _follow_start(request, report) -> None:
    request.session.cycle_key()
    request.session[FOLLOW_SESSION_KEY] = report.pk
    request.session.set_expiry(FOLLOW_SESSION_SECONDS)


def _followed_report(request):
    pk = request.session.get(FOLLOW_SESSION_KEY)
    if pk is None:
        return None
    return (
        svc.IncomingReport.objects.filter(pk=pk, source="public")
        .select_related("district", "case")
        .first()
    )


FOLLOW_REFUSED = gettext_lazy(
    "We could not open a report with this tracking code and passphrase. Check both and try again."
)


@GET_POST
def public_follow(request):
    data = request.POST if request.method == "POST" else None
    form = fr.FollowForm(data)
    refused = False
    if data is not None:
        code = svc.tracking_code_normalise(data.get("code", "")) or "invalid"
        if _limited(
            request, group="public_follow", rate=settings.PUBLIC_FOLLOW_RATE_PER_ADDRESS
        ) or _limited(
            request,
            group="public_follow_code",
            rate=settings.PUBLIC_FOLLOW_RATE_PER_CODE,
            key=lambda group, request: code,
        ):
            return _too_many(request)
        if form.is_valid():
            report = svc.public_report_open(
                code=form.cleaned_data["code"], passphrase=form.cleaned_data["passphrase"]
            )
            if report is not None:
                _follow_start(request, report)
                return redirect("ncii_cases:public_follow_status")
            # One answer for an unknown code and a wrong passphrase: the same empty form.
            form, refused = fr.FollowForm(), True
    context = {"form": form, "refused": FOLLOW_REFUSED if refused else ""}
    return render(request, "ncii_cases/reports/public_follow.html", context)


@GET_POST
def public_follow_status(request):
    report = _followed_report(request)
    if report is None:
        return redirect("ncii_cases:public_follow")
    form = fr.MessageForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if _limited(
            request,
            group="public_message",
            rate=settings.PUBLIC_MESSAGE_RATE,
            key=lambda group, request: str(report.pk),
        ):
            # The page comes back with the message as typed, unsent.
            form.add_error(None, MESSAGE_HELD_BACK)
            status = 429
        elif form.is_valid():
            token = str(form.cleaned_data.get("submission_token") or "")
            sent = request.session.get(SENT_TOKENS_KEY, [])
            if token and token in sent:
                # The same message sent twice (a double click, a resent page): kept once.
                return redirect("ncii_cases:public_follow_status")
            try:
                svc.report_message_from_reporter(report=report, body=form.cleaned_data["body"])
            except ValidationError as exc:
                form_errors_add(form, exc)
            else:
                request.session[SENT_TOKENS_KEY] = [*sent[-19:], token]
                messages.success(request, _("Your message is sent."))
                return redirect("ncii_cases:public_follow_status")
    context = {
        "report": report,
        "district": report.district,
        "status": sr.reporter_status_label(report),
        "thread": list(report.messages.all()),
        "form": form,
        "closed": sr.reporter_status(report) == svc.ReportStatus.CLOSED,
    }
    return render(request, "ncii_cases/reports/public_status.html", context, status=status)


@require_POST
def public_follow_leave(request):
    request.session.pop(FOLLOW_SESSION_KEY, None)
    request.session.cycle_key()
    messages.info(request, _("You have left your report. Your tracking code still works."))
    return redirect("ncii_cases:public_follow")
