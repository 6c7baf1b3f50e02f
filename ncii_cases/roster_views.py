"""The roster import screen of the district's IT administrator (and the deployment operator):
upload a OneRoster zip, check it (a dry run: what would be created, changed and deactivated),
then import it. 404 for everyone else. The import is ``services.roster``; this view only
binds the form, calls it and shows the result."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from ncii_cases.selectors import roster as selectors_roster

from .access_log import access_logged
from .forms_roster import RosterOp, RosterUploadForm
from .models import RosterImport
from .services.roster import COUNT_LABELS, roster_import

TEMPLATE = "ncii_cases/roster/import.html"


@access_logged("roster_import")
@login_required
@require_http_methods(["GET", "POST"])
def roster_import_page(request):
    districts = selectors_roster.roster_districts_for_user(user=request.user)
    if not districts.exists():
        raise Http404("No such page.")
    data = request.POST if request.method == "POST" else None
    files = request.FILES if request.method == "POST" else None
    form = RosterUploadForm(data, files, districts=districts)
    result = None
    if request.method == "POST" and form.is_valid():
        apply = request.POST.get(RosterOp.FIELD) == RosterOp.APPLY
        upload = form.cleaned_data["export"]
        result = roster_import(
            district=form.cleaned_data["district"],
            origin=upload,
            actor=request.user,
            dry_run=not apply,
            source=RosterImport.Source.UPLOAD,
            file_name=upload.name,
        )
        if apply and result.status == RosterImport.Status.APPLIED:
            messages.success(request, _("The roster is imported."))
            return redirect("ncii_cases:roster_import")
    context = {
        "form": form,
        "ops": RosterOp,
        "result": result,
        "counts": [(label, result.counts.get(key, 0)) for key, label in COUNT_LABELS]
        if result
        else [],
        "imports": selectors_roster.roster_imports_for_user(user=request.user),
    }
    return render(request, TEMPLATE, context)
