"""Template helpers of the case pages: a clock's due time in words, labels of values."""

from django import template
from django.utils.html import format_html

from .. import clocks

register = template.Library()


@register.simple_tag
def due(clock_or_moment, started_at=None):
    """Renders a clock (``clocks.Clock``) or a due instant as everywhere else: the absolute
    local time with the zone beside the time left ("Sun Nov 1, 4:00 PM CST — 3 h left") in a
    ``<time>`` element, and the daylight-saving note when a change falls inside the window. A
    clock that is not running shows its state in words ("Removed (Mon Nov 2, 9:00 AM CST)")."""
    if clock_or_moment is None:
        return "No deadline"
    if isinstance(clock_or_moment, clocks.Clock):
        clock = clock_or_moment
        if not clock.open:
            return clocks.clock_text(clock)
        moment, started_at = clock.due_at, clock.started_at
    else:
        moment = clock_or_moment
    text = clocks.due_text(moment, started_at=started_at)
    note = format_html(' <span class="hint dst-note">{}</span>', text.note) if text.note else ""
    return format_html(
        '<time class="{}" datetime="{}">{}</time>{}',
        "clock overdue" if text.overdue else "clock",
        text.iso,
        str(text),
        note,
    )


@register.filter
def level_label(value):
    """The label of a harm level or priority value ("high" -> "High")."""
    from ..choices import Level

    return Level(value).label if value in Level.values else "Not assessed"


@register.filter
def stage_label(value):
    """The label of a stage value ("harm_assessment" -> "Harm assessment")."""
    from ..choices import stage_label as label

    return label(value)


@register.filter
def event_label(value):
    """A timeline entry's type in words ("measure_added" -> "Measure added")."""
    return str(value).replace("_", " ").capitalize()
