"""The roster lookup's search (htmx): the people found for what was typed, as the radio
options of the form's ``person`` field. Whoever opens cases may search; they find only the
people ``selectors_roster.people_search_for_user`` gives them, and a search that finds
nobody (someone of another district, another school) answers exactly like any other."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.views.decorators.http import require_GET

from ncii_cases.selectors import roster as selectors_roster

from .access_log import access_logged
from .forms_people import PREFIX_RE, PersonResults, person_label


@access_logged("people_search")
@login_required
@require_GET
def people_search(request):
    if not selectors_roster.people_lookup_open_for(user=request.user):
        raise Http404("No such page.")
    prefix = request.GET.get("prefix", "")
    if not PREFIX_RE.match(prefix):
        prefix = ""
    query = request.GET.get(f"{prefix}roster_query", "")
    found = selectors_roster.people_search_for_user(user=request.user, query=query)
    widget = PersonResults(choices=[(p.pk, person_label(p)) for p in found])
    if query.strip():
        widget.attrs["data-searched"] = "1"
    html = widget.render(f"{prefix}person", None, attrs={"id": f"id_{prefix}person"})
    return HttpResponse(html)
