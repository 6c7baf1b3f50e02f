"""Template helpers of the case pages: a clock's due time in words, labels of values."""

from html import escape as html_escape

from django import template
from django.conf import settings
from django.utils import formats, timezone
from django.utils.formats import localize
from django.utils.html import conditional_escape, escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext

from .. import clocks

register = template.Library()


@register.simple_tag
def due(clock_or_moment, started_at=None):
    """Renders a clock (``clocks.Clock``), a due instant or a due text worked out already
    (``clocks.DueText``, a list's rows) as everywhere else: the absolute
    local time with the zone beside the time left ("Sun Nov 1, 4:00 PM CST — 3 h left") in a
    ``<time>`` element, and the daylight-saving note when a change falls inside the window. A
    clock that is not running shows its state in words ("Removed (Mon Nov 2, 9:00 AM CST)")."""
    if clock_or_moment is None:
        return "No deadline"
    if isinstance(clock_or_moment, clocks.DueText):
        return due_html(clock_or_moment)
    if isinstance(clock_or_moment, clocks.Clock):
        clock = clock_or_moment
        if not clock.open:
            return clocks.clock_text(clock)
        moment, started_at = clock.due_at, clock.started_at
    else:
        moment = clock_or_moment
    return due_html(clocks.due_text(moment, started_at=started_at))


def due_html(text: clocks.DueText) -> str:
    """A due text (``clocks.DueText``) as the ``due`` tag shows it: a ``<time>`` element,
    marked overdue from the due instant on, and the daylight-saving note beside it. Every
    text escaped (html.escape, what format_html does, without its lazy-string checks: a
    queue page shows up to a hundred)."""
    note = f' <span class="hint dst-note">{html_escape(text.note)}</span>' if text.note else ""
    css = "clock overdue" if text.overdue else "clock"
    return mark_safe(  # noqa: S308  # nosec B308, B703 (every text escaped)
        f'<time class="{css}" datetime="{html_escape(text.iso)}">{html_escape(str(text))}</time>'
        f"{note}"
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


# The templates ``field_group`` stands in for: Django's defaults.
_FIELD_TEMPLATE = "django/forms/field.html"
_LABEL_TEMPLATE = "django/forms/label.html"


@register.filter
def field_group(field):
    """A bound form field as ``{{ field.as_field_group }}`` renders it with Django's default
    templates (label with its suffix, help text, errors, widget), the same HTML, written in
    Python: two templates per field were a fifth of the queue page, whose filter form has
    nine fields. A field in a fieldset, without a label, or with another field or label
    template is left to ``as_field_group``."""
    form = field.form
    if (
        field.use_fieldset
        or not field.label
        or field.template_name != _FIELD_TEMPLATE
        or form.template_name_label != _LABEL_TEMPLATE
    ):
        return field.as_field_group()
    widget = field.field.widget
    id_ = widget.attrs.get("id") or field.auto_id
    if not id_:
        return field.as_field_group()
    label = field.label
    suffix = field.field.label_suffix if field.field.label_suffix is not None else form.label_suffix
    # BoundField.label_tag: the suffix unless the label already ends in punctuation.
    if suffix and str(label)[-1] not in gettext(":?.!"):
        contents = f"{conditional_escape(label)}{conditional_escape(suffix)}"
    else:
        contents = conditional_escape(label)
    attrs = ""
    id_for_label = widget.id_for_label(id_)
    if id_for_label:
        attrs = f' for="{escape(id_for_label)}"'
    if field.field.required and hasattr(form, "required_css_class"):
        attrs += f' class="{escape(form.required_css_class)}"'
    help_text = ""
    if field.help_text:
        help_id = f' id="{escape(field.auto_id)}_helptext"' if field.auto_id else ""
        help_text = f'<div class="helptext"{help_id}>{field.help_text}</div>'
    errors = str(field.errors) if field.errors else ""
    # field.html's lines, stripped as the form renderer strips them.
    html = f"<label{attrs}>{contents}</label>\n\n{help_text}\n{errors}\n{field}".strip()
    return mark_safe(html)  # noqa: S308  # nosec B308, B703 (label, attributes escaped; help text is safe in field.html too)


def _cell_text(value, shown: dict) -> str:
    """``{{ value }}`` as the template shows it (localized, escaped), once per value."""
    text = shown.get(value)
    if text is None:
        # An int shows as its digits unless thousands are grouped: numberformat.format's
        # own shortcut, without asking the locale's formats for each cell.
        if type(value) is int and not settings.USE_THOUSAND_SEPARATOR:
            text = shown[value] = str(value)
        else:
            text = shown[value] = conditional_escape(localize(value))
    return text


@register.filter
def td_cells(values):
    """Values as table cells, ``<td>{{ value }}</td>`` each (localized and escaped as the
    template shows a value), in one filter call instead of a loop of template nodes: the
    queue's table of counts per school and stage has hundreds of cells."""
    shown: dict = {}
    cells = "".join(f"<td>{_cell_text(value, shown)}</td>" for value in values)
    return mark_safe(cells)  # noqa: S308  # nosec B308, B703 (every value escaped)


@register.simple_tag
def school_stage_rows(rows):
    """The rows of the queue's table of counts per school and stage
    (``selectors.home.SchoolStageCounts``): the school, linking to the queue filtered by it,
    its count per stage and its total, as the loop of template nodes this replaces wrote
    them (a district has dozens of schools)."""
    shown: dict = {}
    parts = []
    for row in rows:
        cells = "".join(f"<td>{_cell_text(n, shown)}</td>" for n in row.cells)
        parts.append(
            f'<tr><th scope="row"><a href="?school={_cell_text(row.school.pk, shown)}">'
            f"{conditional_escape(row.school)}</a></th>{cells}"
            f"<td>{_cell_text(row.total, shown)}</td></tr>"
        )
    return mark_safe("".join(parts))  # noqa: S308  # nosec B308, B703 (every text escaped)


# The date a queue row was reported, as ``{{ reported_at|date:"M j, Y" }}`` showed it.
REPORTED_FORMAT = "M j, Y"


@register.simple_tag
def queue_rows(rows, reads_content):
    """The ``<tr>`` rows of the queue's table, one per ``selectors.queue.QueueRow``: link and
    reference (and the title for who reads content), school, stage, harm level (for who reads
    content), next due (the ``due`` tag's ``<time>``, or a dash) and the local date reported;
    a row whose case is overdue is marked ``row-overdue``. Every text escaped. Written in
    Python, with the whitespace of the loop it replaces: a page of rows rendered node by node
    was a third of the page's rendering."""
    zone = timezone.get_current_timezone()
    # Rows share harm levels and report dates: each label and date is worked out once.
    harms: dict = {}
    dates: dict = {}
    parts = []
    for row in rows:
        row_class = ' class="row-overdue"' if row.is_overdue else ""
        title = harm = ""
        if reads_content:
            title = f'<br><span class="hint">{html_escape(row.title)}</span>'
            label = harms.get(row.harm_level)
            if label is None:
                label = harms[row.harm_level] = conditional_escape(level_label(row.harm_level))
            harm = f"<td>{label}</td>"
        due_cell = due_html(row.due) if row.has_due else "—"
        local = row.reported_at.astimezone(zone)
        reported = dates.get(local.date())
        if reported is None:
            reported = dates[local.date()] = html_escape(
                formats.date_format(local, REPORTED_FORMAT)
            )
        parts.append(
            f"\n    <tr{row_class}>\n"
            f'      <td><a href="{html_escape(row.url)}">{html_escape(row.reference)}</a>'
            f"{title}</td>\n"
            f"      <td>{html_escape(row.school)}</td>\n"
            f"      <td>{html_escape(row.stage)}</td>\n"
            f"      {harm}\n"
            f"      <td>{due_cell}</td>\n"
            f"      <td>{reported}</td>\n"
            "    </tr>\n  "
        )
    return mark_safe("".join(parts))  # noqa: S308  # nosec B308, B703 (every text escaped)


@register.simple_tag
def due_items(rows, second):
    """The ``<li>`` items of a needs-action list of the queue, one per
    ``selectors.queue.QueueRow``: the case's link and reference, then its stage (``second``
    "stage") or its school ("school"), then its next due as the ``due`` tag shows it. Every
    text escaped; written in Python for the same reason as ``queue_rows``."""
    return mark_safe(  # noqa: S308  # nosec B308, B703 (every text escaped)
        "".join(
            f'<li><a href="{html_escape(row.url)}">{html_escape(row.reference)}</a> — '
            f"{html_escape(getattr(row, second))}, {conditional_escape(due(row.due))}</li>"
            for row in rows
        )
    )


@register.simple_tag
def caseload_rows(rows):
    """The ``<tr>`` rows of the caseload's table, one per ``selectors.home.CaseloadRow``: the
    case's link, reference and title, its stage, and its open tasks, each as its label and
    its due time as the ``due`` tag shows it ("Nothing due" when there is none); a row with
    a task overdue is marked ``row-overdue``. Every text escaped. Written in Python, with the
    whitespace of the loop it replaces, for the same reason as ``queue_rows``: a caseload
    holds up to fifty cases."""
    from ..models import Case

    url = Case.absolute_url_maker()
    nothing_due = None
    parts = []
    for row in rows:
        case = row.case
        if row.tasks:
            items = "".join(
                f"<li>{conditional_escape(task.label)}: {conditional_escape(due(task))}</li>"
                for task in row.tasks
            )
            tasks = f'<ul class="tasks">{items}</ul>'
        else:
            if nothing_due is None:
                nothing_due = conditional_escape(gettext("Nothing due"))
            tasks = nothing_due
        row_class = ' class="row-overdue"' if row.overdue else ""
        parts.append(
            f"<tr{row_class}>\n"
            f'      <td><a href="{html_escape(url(case.pk))}">{conditional_escape(case.reference)}'
            f'</a><br><span class="hint">{conditional_escape(case.title)}</span></td>\n'
            f"      <td>{conditional_escape(case.get_stage_display())}</td>\n"
            f"      <td>{tasks}</td>\n"
            "    </tr>"
        )
    return mark_safe("".join(parts))  # noqa: S308  # nosec B308, B703 (every text escaped)
