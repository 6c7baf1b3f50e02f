"""Template tags of the reporting app for pages of other apps (the case page)."""

from django import template

from reporting.selectors_redaction import redacted_releases_for_user

register = template.Library()


@register.inclusion_tag("reporting/partials/redacted_releases.html", takes_context=True)
def redacted_releases(context, case, sections=None):
    """The released redacted summaries of the case, for a user who may read its content.
    ``sections``: what the case holds (``CaseDetail.sections``), which spares the read of a
    case without any."""
    user = context["request"].user
    releases = redacted_releases_for_user(user=user, case=case, sections=sections)
    return {"case": case, "releases": releases}
