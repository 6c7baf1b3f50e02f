"""The TAKE IT DOWN Act notice of a takedown request: prepare (preview, edit, save) and
download it as PDF or plain text.

Only users who may manage the case's takedowns (``Action.WORK``) reach these pages; for
anyone else, another district's staff included, the case and the notice do not exist (404).
Every request is access-logged; downloads are attachments no cache keeps and no browser
sniffs into another type.
"""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from ncii_cases.selectors import cases as selectors

from .access_log import access_case, access_logged
from .case_views import case_record_or_404, form_errors_add, form_save_once
from .errors import TransitionForbidden
from .forms_takedown_notice import TakedownNoticeForm
from .permissions import Action
from .services import takedown_notices as tn
from .services.corrections import StaleRecord
from .takedown_board import HASH_ROUTES

FORMATS = {"pdf", "txt"}


@access_logged("case_takedown_notice")
@login_required
@require_http_methods(["GET", "POST"])
def takedown_notice(request, pk, takedown_pk):
    """Prepares the platform's notice: the form filled from the case, a preview of the exact
    text, and the save (text and PDF stored, one event). A form sent twice saves once."""
    case, takedown = case_record_or_404(
        request,
        pk,
        action=Action.WORK,
        kind="takedown",
        record_pk=takedown_pk,
        missing="No such takedown request.",
    )
    target = case.get_absolute_url() + f"#takedown-{takedown.pk}"
    context = {
        "case": case,
        "takedown": takedown,
        "existing": tn.current_notice(takedown),
        "hash_service": takedown.route in HASH_ROUTES,
        "title": f"Notice to {takedown.platform} under the TAKE IT DOWN Act",
    }
    data = request.POST if request.method == "POST" else None
    form = TakedownNoticeForm(data, takedown=takedown, user=request.user)
    if data is not None and form.is_valid():
        inputs = form.inputs()
        if "preview" in data:
            try:
                tn.notice_inputs_check(inputs)
            except ValidationError as exc:
                form_errors_add(form, exc)
            else:
                context["preview"] = tn.notice_letter(
                    takedown=takedown,
                    data=inputs,
                    minor=tn.depicted_minor(takedown),
                    at=timezone.now(),
                ).text
        else:
            token = form.cleaned_data.get("submission_token")

            def save() -> str:
                tn.takedown_notice_create(
                    actor=request.user,
                    case=case,
                    takedown=takedown,
                    version=form.cleaned_data["version"],
                    **inputs,
                )
                return target

            success = _(
                "The notice to %(platform)s is saved. Send it through the "
                "platform's form, then record the request as submitted."
            ) % {"platform": takedown.platform}
            try:
                return form_save_once(request, token, back=target, save=save, success=success)
            except StaleRecord as exc:
                # Nothing saved: the form comes back on the request as it is now.
                takedown = selectors.case_record_for_user(
                    user=request.user, case=case, kind="takedown", pk=takedown.pk
                )
                context["takedown"] = takedown
                form = TakedownNoticeForm(None, takedown=takedown, user=request.user)
                context["problem"] = exc.messages[0]
            except ValidationError as exc:
                form_errors_add(form, exc)
            except TransitionForbidden as exc:
                form.add_error(None, str(exc))
    context["form"] = form
    return render(request, "ncii_cases/takedown_notice.html", context)


@access_logged("case_takedown_notice_download")
@login_required
@require_GET
def takedown_notice_download(request, pk, notice_pk, fmt):
    """Sends the notice as a PDF or as plain text, an attachment named by the case reference
    and the notice's number (never a person's name)."""
    if fmt not in FORMATS:
        raise Http404("No such format.")
    case = selectors.case_get_for_user(user=request.user, pk=pk, action=Action.WORK)
    notice = selectors.case_record_for_user(
        user=request.user, case=case, kind="takedown_notice", pk=notice_pk
    )
    if notice is None or (fmt == "pdf" and not notice.pdf):
        raise Http404("No such notice.")
    access_case(request, case)
    filename = f"{case.reference}-takedown-notice-{notice.pk}.{fmt}"
    if fmt == "pdf":
        response = FileResponse(
            notice.pdf.open("rb"),
            as_attachment=True,
            filename=filename,
            content_type="application/pdf",
        )
    else:
        response = HttpResponse(notice.text, content_type="text/plain; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store, private"
    response["X-Content-Type-Options"] = "nosniff"
    return response
