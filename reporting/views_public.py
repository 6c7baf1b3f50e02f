"""Public pages of a district, for students, families and staff alike: no sign-in, and no
case data. The district's policy page and its family handout (PDF)."""

from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import get_language
from django.views.decorators.http import require_safe

from policies.selectors_public import public_policy_for_district

from .handout import family_handout_pdf, public_report_path


@require_safe
def policy_page(request, district):
    """The district's policy on NCII in plain words, how to report, the coordinator's
    contact and the resources, in the request's language. 404 for an unknown district."""
    policy = public_policy_for_district(district_slug=district)
    return render(
        request,
        "reporting/public_policy.html",
        {
            "p": policy,
            "report_url": public_report_path(district_slug=policy.district_slug),
            "handout_url": reverse("public_policy_handout", kwargs={"district": district}),
        },
    )


@require_safe
def policy_handout(request, district):
    """The one-page family handout as a PDF, in the request's language."""
    policy = public_policy_for_district(district_slug=district)
    language = get_language()
    content = family_handout_pdf(
        policy=policy,
        language=language,
        report_url=request.build_absolute_uri(
            public_report_path(district_slug=policy.district_slug)
        ),
        policy_url=request.build_absolute_uri(
            reverse("public_policy", kwargs={"district": policy.district_slug})
        ),
    )
    response = HttpResponse(content, content_type="application/pdf")
    filename = f"{policy.district_slug}-family-handout-{language}.pdf"
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response
