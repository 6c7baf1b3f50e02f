"""Template helpers of the case pages: the remaining time of a clock, in plain words."""

from django import template
from django.utils import timezone
from django.utils.html import format_html

register = template.Library()


def _hours_words(seconds: float) -> str:
    hours = int(abs(seconds) // 3600)
    if hours >= 72:
        return f"{hours // 24} days"
    if hours >= 1:
        return f"{hours} h"
    return f"{max(int(abs(seconds) // 60), 1)} min"


@register.simple_tag
def clock(due_at, now=None):
    """Renders how long is left until ``due_at`` ("31 h left", "Overdue by 3 h") in a
    ``<time>`` element carrying the exact due time."""
    if due_at is None:
        return "No deadline"
    now = now or timezone.now()
    seconds = (due_at - now).total_seconds()
    text = (
        f"{_hours_words(seconds)} left" if seconds >= 0 else f"Overdue by {_hours_words(seconds)}"
    )
    css = "clock" if seconds >= 0 else "clock overdue"
    local = timezone.localtime(due_at)
    return format_html(
        '<time class="{}" datetime="{}" title="Due {}">{}</time>',
        css,
        due_at.isoformat(),
        local.strftime("%b %-d, %Y, %-I:%M %p"),
        text,
    )


@register.filter
def level_label(value):
    """The label of a harm level or priority value ("high" -> "High")."""
    from ..choices import Level

    return Level(value).label if value in Level.values else "Not assessed"


@register.filter
def stage_label(value):
    """The label of a stage value ("harm_assessment" -> "Harm assessment")."""
    from ..choices import Stage

    return Stage(value).label if value in Stage.values else value


@register.filter
def event_label(value):
    """A timeline entry's type in words ("measure_added" -> "Measure added")."""
    return str(value).replace("_", " ").capitalize()
