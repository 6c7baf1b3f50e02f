"""PDF case summaries: request one, watch it being prepared, download it.

Every view takes the case's pk, fetches through a selector or service (404 for a case the
user may not read, for another user's job and for a job of another case) and is logged by
``access_logged``. The file is never reachable by URL: the download view re-checks the
permission at download time, reads the file from the ``generated_pdfs`` storage (a private
folder or bucket), checks it against the recorded SHA-256 and sends it.
"""

import io

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ncii_cases.access_log import access_case, access_logged

from . import selectors, services
from .files import pdf_job_content_verified
from .models import PdfJob


@access_logged("case_pdf")
@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def case_pdf(request, pk):
    """The PDF summary page of a case: the two profiles to choose from (POST requests one)
    and the user's recent summaries."""
    case, jobs = selectors.case_pdf_page_for_user(user=request.user, pk=pk)
    access_case(request, case)
    if request.method == "POST":
        try:
            job, _ = services.pdf_job_request(
                user=request.user, case_pk=case.pk, profile=request.POST.get("profile", "")
            )
        except ValueError as error:
            context = {"case": case, "jobs": jobs, "error": str(error)}
            return render(request, "reporting/case_pdf.html", context, status=400)
        return redirect("reporting:pdf_job", pk=case.pk, job_id=job.pk)
    return render(request, "reporting/case_pdf.html", {"case": case, "jobs": jobs})


@access_logged("pdf_job")
@login_required
@never_cache
@require_GET
def pdf_job(request, pk, job_id):
    job = selectors.pdf_job_for_user(user=request.user, case_pk=pk, job_id=job_id)
    access_case(request, job.case)
    return render(request, "reporting/pdf_job.html", {"job": job, "case": job.case})


@access_logged("pdf_job_status", poll=True)
@login_required
@never_cache
@require_GET
def pdf_job_status(request, pk, job_id):
    """The job's status alone, which htmx polls every 2 seconds while it is in progress."""
    job = selectors.pdf_job_for_user(user=request.user, case_pk=pk, job_id=job_id)
    access_case(request, job.case)
    return render(request, "reporting/partials/pdf_job_status.html", {"job": job, "case": job.case})


@access_logged("pdf_job_retry")
@login_required
@require_POST
def pdf_job_retry(request, pk, job_id):
    job = services.pdf_job_retry(user=request.user, case_pk=pk, job_id=job_id)
    access_case(request, job.case)
    messages.info(request, _("The summary is queued again."))
    return redirect("reporting:pdf_job", pk=job.case_id, job_id=job.pk)


@access_logged("pdf_download")
@login_required
@require_GET
def pdf_job_download(request, pk, job_id):
    """Sends the finished PDF to its requester, as an attachment that no cache keeps: read
    once from its storage and checked against the recorded SHA-256 (a file altered or lost in
    the storage is not served; the page offers a new summary)."""
    job = selectors.pdf_job_for_user(user=request.user, case_pk=pk, job_id=job_id)
    content = pdf_job_content_verified(job) if job.status == PdfJob.Status.READY else None
    if content is None:
        raise Http404("This summary is not ready.")
    access_case(request, job.case)
    return pdf_attachment(content, f"{job.case.reference}-{job.profile}-summary.pdf")


def pdf_attachment(content: bytes, filename: str) -> FileResponse:
    """A PDF sent as an attachment that no cache keeps and no browser sniffs into another
    type (``filename``: a reference and a number, never a person's name)."""
    response = FileResponse(
        io.BytesIO(content), as_attachment=True, filename=filename, content_type="application/pdf"
    )
    response["Cache-Control"] = "no-store, private"
    response["X-Content-Type-Options"] = "nosniff"
    return response
