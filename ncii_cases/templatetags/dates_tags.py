"""The one way a template shows an instant: ``{{ value|moment }}`` ("Nov 30, 2026, 4:11 PM
CST", in the district's time zone; ``dates.MOMENT_FORMAT``)."""

from django import template

from ..dates import moment_text

register = template.Library()


@register.filter
def moment(value, detail=""):
    """An aware datetime as ``dates.moment_text`` writes it (``|moment:"seconds"`` with the
    seconds); "" for None or an empty value."""
    if not value:
        return ""
    return moment_text(value, seconds=detail == "seconds")
