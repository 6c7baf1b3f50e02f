"""Template helpers of the reports from anyone."""

from django import template

from ..events import reports_linked

register = template.Library()


@register.simple_tag
def linked_reports(sentences):
    """The incoming reports linked to the case, from the page's timeline entries
    (``(event, sentence)`` pairs): ``[{"report_id", "code"}]``, no query."""
    return reports_linked(event for event, _sentence in sentences)
