"""The redaction review: request a redacted summary, preview it with every redaction and
flagged candidate marked, decide on each candidate with one click, add terms, and (the
coordinator) release it; the released file is downloaded here, access-logged.

Views are thin: a selector or a service, a message, a redirect. Every form works without
JavaScript.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from ncii_cases.access_log import access_case, access_logged
from ncii_cases.errors import TransitionForbidden
from reporting.redaction import Kind

from . import selectors_redaction as selectors
from . import services_redaction as services
from .files import pdf_job_content_verified
from .views_pdf import pdf_attachment


def _preview_url(pk, review_id, anchor=""):
    from django.urls import reverse

    return reverse("reporting:redaction_review", args=[pk, review_id]) + anchor


@access_logged("redaction_request")
@login_required
@require_POST
def redaction_request(request, pk):
    """Opens (or returns to) the case's redaction review."""
    try:
        review, _created = services.redaction_review_request(actor=request.user, case_pk=pk)
    except TransitionForbidden as error:
        messages.error(request, str(error))
        return redirect("reporting:case_pdf", pk=pk)
    access_case(request, review.case)
    return redirect(_preview_url(pk, review.pk))


@access_logged("redaction_review")
@login_required
@never_cache
@require_GET
def redaction_review(request, pk, review_id):
    """The preview of the redacted summary with its marks, decisions and release button."""
    preview = selectors.redaction_preview_for_user(
        user=request.user, case_pk=pk, review_id=review_id
    )
    access_case(request, preview.case)
    context = {"p": preview, "case": preview.case, "review": preview.review, "kinds": Kind}
    return render(request, "reporting/redaction_review.html", context)


@access_logged("redaction_decide")
@login_required
@require_POST
def redaction_decide(request, pk, review_id):
    """Records one decision: a flagged candidate redacted or kept, or a term added."""
    review = selectors.redaction_review_for_user(user=request.user, case_pk=pk, review_id=review_id)
    access_case(request, review.case)
    added = request.POST.get("added") == "1"
    try:
        services.redaction_term_decide(
            actor=request.user,
            case_pk=pk,
            text=request.POST.get("text", ""),
            kind=Kind.TERM if added else request.POST.get("kind", ""),
            decision=request.POST.get("decision", ""),
            added=added,
        )
    except (ValidationError, TransitionForbidden) as error:
        messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
        return redirect(_preview_url(pk, review.pk, "#decisions-h"))
    return redirect(_preview_url(pk, review.pk, "#decisions-h"))


@access_logged("redaction_release")
@login_required
@require_POST
def redaction_release(request, pk, review_id):
    """Approves the review for release (the coordinator) and queues its PDF."""
    try:
        seen = int(request.POST.get("seen_event_id", ""))
    except ValueError:
        seen = -1
    try:
        review = services.redacted_summary_release(
            actor=request.user, case_pk=pk, review_id=review_id, seen_event_id=seen
        )
    except (ValidationError, TransitionForbidden) as error:
        messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
        return redirect(_preview_url(pk, review_id, "#release-h"))
    access_case(request, review.case)
    messages.success(
        request, _("The redacted summary is approved for release. Its PDF is being prepared.")
    )
    return redirect(_preview_url(pk, review.pk, "#release-h"))


@access_logged("redacted_download")
@login_required
@require_GET
def redacted_release_download(request, pk, review_id):
    """Sends a released redacted summary (checked against its recorded SHA-256), as an
    attachment that no cache keeps."""
    review = selectors.redacted_release_for_user(user=request.user, case_pk=pk, review_id=review_id)
    content = pdf_job_content_verified(review.job)
    if content is None:
        raise Http404("This summary is not ready.")
    access_case(request, review.case)
    return pdf_attachment(content, f"{review.case.reference}-redacted-summary-{review.pk}.pdf")
