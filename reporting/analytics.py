"""Analytics as they may be shown: the selector's raw counts either exact (for a user who may
read every case counted: the coordinator on her own page) or passed through ``suppression``
(everyone else, and everything that leaves the office: the CSV and the board report), with
an accessible chart beside a table for every breakdown and trend. The page, the CSV and the
board report are all built from ``analytics_report``, so they never disagree on what is
hidden.
"""

import csv
import datetime as dt
from dataclasses import dataclass, field

from django.utils import formats
from django.utils.html import conditional_escape as escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _t
from django.utils.translation import gettext_lazy as _

from ncii_cases.selectors.analytics import DistrictAnalytics, Duration, TrendMonth

from .suppression import (
    HIDDEN_TEXT,
    SUPPRESSED_TEXT,
    THRESHOLD,
    Cell,
    exact_breakdown,
    rate,
    suppress_breakdown,
    suppress_table,
)

SECTIONS = [
    ("ncii_kind", _("Cases by NCII kind"), _("Each case once, by its recorded kind of imagery.")),
    ("school", _("Cases by school"), _("Each case once, by the school it belongs to.")),
    (
        "respondent_affiliation",
        _("Cases by respondent affiliation"),
        _(
            "A case with several respondents counts once for each affiliation among them, so "
            "the rows can add up to more than the cases in view."
        ),
    ),
    (
        "platform",
        _("Cases by platform"),
        _(
            "A case seen on several platforms counts once for each, so the rows can add up to "
            "more than the cases in view."
        ),
    ),
    ("conduct", _("Cases by conduct"), _("Each case once, by its recorded conduct.")),
    ("stage", _("Cases by stage"), _("Each case once, by its current stage.")),
    (
        "month",
        _("Cases by month reported"),
        _("Each case once, by the month a district employee first learned of it."),
    ),
]
CASES_IN_VIEW = _("Cases in view")

# Geometry of the bar charts (SVG user units).
CHART_WIDTH = 640
LABEL_WIDTH = 240
BAR_MAX = 320
ROW_HEIGHT = 28
BAR_HEIGHT = 18
MARKER_WIDTH = 28
LABEL_CHARS = 34
# Geometry of the column charts of the trends.
COLUMN_WIDTH = 14
COLUMN_GAP = 22
PLOT_HEIGHT = 150
PLOT_TOP = 44
AXIS_LEFT = 8
MARKER_HEIGHT = 14


@dataclass
class Bar:
    label: str
    text: str
    y: int
    text_y: int
    width: int
    suppressed: bool
    value_x: int


@dataclass
class Chart:
    key: str
    height: int
    bars: list[Bar]
    desc: str
    label_x: int = LABEL_WIDTH - 8
    bar_x: int = LABEL_WIDTH
    width: int = CHART_WIDTH
    # The bars' SVG markup, written once here (see ``_bars_svg``).
    bars_svg: SafeString = SafeString("")


@dataclass
class Column:
    x: int
    y: int
    height: int
    series: int
    text: str
    text_x: int
    text_y: int
    suppressed: bool


@dataclass
class ColumnChart:
    key: str
    width: int
    height: int
    columns: list[Column]
    months: list[tuple[int, str, str]]
    legend: list[tuple[int, int, str]]
    desc: str
    baseline: int = PLOT_TOP + PLOT_HEIGHT
    # The columns' and the months' SVG markup, written once here (the same markup the
    # template's loops wrote, a few thousand number cells a page): see ``_columns_svg``.
    columns_svg: SafeString = SafeString("")
    months_svg: SafeString = SafeString("")


@dataclass
class Section:
    key: str
    title: str
    description: str
    cells: list[Cell]
    total: Cell
    total_label: str
    chart: Chart = None


@dataclass
class TrendRow:
    month: str
    total: Cell | None
    cells: list[Cell]


@dataclass
class Trend:
    key: str
    title: str
    description: str
    total_label: str | None
    columns: list[str]
    rows: list[TrendRow]
    chart: ColumnChart = None


@dataclass
class Measure:
    key: str
    label: str
    text: str
    csv_value: str
    note: str = ""


@dataclass
class AnalyticsReport:
    total: Cell
    exact: bool = False
    sections: list[Section] = field(default_factory=list)
    measures: list[Measure] = field(default_factory=list)
    trends: list[Trend] = field(default_factory=list)


def _short(label: str) -> str:
    label = str(label)
    return label if len(label) <= LABEL_CHARS else label[: LABEL_CHARS - 1] + "…"


def _spoken(cell: Cell) -> str:
    if not cell.suppressed:
        return str(cell.value)
    return _t("fewer than 5") if cell.small else _t("hidden to protect a small count")


def chart_build(*, key: str, title: str, cells: list[Cell]) -> Chart:
    """Lays out a horizontal bar chart. Bar lengths are scaled to the largest shown count only,
    and a suppressed count is drawn as a fixed hatched marker: its geometry carries nothing of
    its value."""
    top = max((cell.value for cell in cells if cell.value is not None), default=0)
    bars = []
    for i, cell in enumerate(cells):
        y = 6 + i * ROW_HEIGHT
        if cell.suppressed:
            width = MARKER_WIDTH
        else:
            width = round(cell.value / top * BAR_MAX) if top else 0
            width = max(width, 2) if cell.value else 0
        bars.append(
            Bar(
                label=_short(cell.label),
                text=cell.text,
                y=y,
                text_y=y + BAR_HEIGHT - 4,
                width=width,
                suppressed=cell.suppressed,
                value_x=LABEL_WIDTH + width + 6,
            )
        )
    parts = "; ".join(f"{cell.label}: {_spoken(cell)}" for cell in cells)
    desc = _t("Bar chart, %(title)s. %(parts)s.") % {
        "title": str(title).lower(),
        "parts": parts or _t("No cases"),
    }
    chart = Chart(key=key, height=12 + max(len(cells), 1) * ROW_HEIGHT, bars=bars, desc=desc)
    chart.bars_svg = _bars_svg(chart)
    return chart


def _bars_svg(chart: Chart) -> SafeString:
    """The bars of a bar chart as SVG markup (escaped; geometry in SVG user units, as
    integers): the markup ``_bar_chart.html`` writes between its bars' loop tags."""
    hatch = f"url(#hatch-{escape(chart.key)})"
    parts = []
    for b in chart.bars:
        if b.suppressed:
            rect = (
                f'<rect x="{chart.bar_x}" y="{b.y}" width="{b.width}" height="18" fill="{hatch}"'
                f' stroke="#4a5560" class="bar-suppressed"/>'
            )
        elif b.width:
            rect = (
                f'<rect x="{chart.bar_x}" y="{b.y}" width="{b.width}" height="18" '
                f'fill="#1f5f8b" class="bar"/>'
            )
        else:
            rect = ""
        parts.append(
            "\n      <g>\n        "
            f'<text x="{chart.label_x}" y="{b.text_y}" text-anchor="end" class="chart-label" '
            f'font-size="13" fill="#1b2630">{escape(b.label)}</text>\n        {rect}\n        '
            f'<text x="{b.value_x}" y="{b.text_y}" class="chart-value" font-size="13" '
            f'font-weight="bold" fill="#1b2630">{escape(b.text)}</text>\n      </g>\n      '
        )
    return mark_safe("".join(parts))  # noqa: S308  # nosec B308, B703 - every value above is escaped or an int


def column_chart_build(*, key: str, title: str, trend: "Trend") -> ColumnChart:
    """Lays out a column chart of a trend: per month, one column per series. Heights are
    scaled to the largest shown count; a suppressed count is a fixed hatched marker."""
    series = len(trend.columns)
    group = series * COLUMN_WIDTH + COLUMN_GAP
    shown = [cell.value for row in trend.rows for cell in row.cells if cell.value is not None]
    top = max(shown, default=0)
    baseline = PLOT_TOP + PLOT_HEIGHT
    columns, months, spoken = [], [], []
    for m, row in enumerate(trend.rows):
        left = AXIS_LEFT + m * group
        name, _space, year = row.month.partition(" ")
        months.append((left + (series * COLUMN_WIDTH) // 2, name, year))
        for s, cell in enumerate(row.cells):
            if cell.suppressed:
                height = MARKER_HEIGHT
            else:
                height = round(cell.value / top * PLOT_HEIGHT) if top else 0
                height = max(height, 2) if cell.value else 0
            x = left + s * COLUMN_WIDTH
            columns.append(
                Column(
                    x=x,
                    y=baseline - height,
                    height=height,
                    series=s,
                    text=cell.text,
                    text_x=x + COLUMN_WIDTH // 2 + 3,
                    text_y=baseline - height - 3,
                    suppressed=cell.suppressed,
                )
            )
        spoken.append(
            f"{row.month}: "
            + ", ".join(
                f"{label} {_spoken(cell)}"
                for label, cell in zip(trend.columns, row.cells, strict=True)
            )
        )
    width = max(AXIS_LEFT * 2 + len(trend.rows) * group, CHART_WIDTH)
    legend = [(i, 40 + (i // 2) * 18, label) for i, label in enumerate(trend.columns)]
    desc = _t("Column chart, %(title)s, by month. %(parts)s.") % {
        "title": str(title).lower(),
        "parts": "; ".join(spoken) or _t("No cases"),
    }
    height = baseline + 38 + ((series + 1) // 2) * 18
    chart = ColumnChart(key, width, height, columns, months, legend, desc)
    chart.columns_svg = _columns_svg(key, columns)
    chart.months_svg = _months_svg(baseline, months)
    return chart


SERIES_FILL = {0: "#1f5f8b", 1: "#a14d00"}


def _columns_svg(key: str, columns: list[Column]) -> SafeString:
    """The columns of a column chart as SVG markup (escaped; geometry in SVG user units, as
    integers): the markup ``_column_chart.html`` writes between its columns' loop tags."""
    hatch = f"url(#hatch-{escape(key)})"
    parts = []
    for c in columns:
        if c.suppressed:
            rect = (
                f'<rect x="{c.x}" y="{c.y}" width="12" height="{c.height}" fill="{hatch}" '
                f'stroke="#4a5560"/>'
            )
        elif c.height:
            fill = SERIES_FILL.get(c.series, "#5b2a86")
            rect = (
                f'<rect x="{c.x}" y="{c.y}" width="12" height="{c.height}" '
                f'class="series-{c.series}" fill="{fill}"/>'
            )
        else:
            rect = ""
        parts.append(
            f"\n      {rect}\n      "
            f'<text x="{c.text_x}" y="{c.text_y}" transform="rotate(-90 {c.text_x} {c.text_y})"'
            f' font-size="10" fill="#1b2630">{escape(c.text)}</text>\n      '
        )
    return mark_safe("".join(parts))  # noqa: S308  # nosec B308, B703 - every value above is escaped or an int


def _months_svg(baseline: int, months: list[tuple[int, str, str]]) -> SafeString:
    """The month labels under a column chart as SVG markup (escaped)."""
    return mark_safe(  # noqa: S308  # nosec B308, B703 - every value is escaped or an int
        "".join(
            f'<text x="{x}" y="{baseline + 14}" text-anchor="middle" font-size="10" '
            f'fill="#1b2630">{escape(name)}</text><text x="{x}" y="{baseline + 26}" '
            f'text-anchor="middle" font-size="10" fill="#1b2630">{escape(year)}</text>'
            for x, name, year in months
        )
    )


def _hours(value: dt.timedelta) -> float:
    return round(value.total_seconds() / 3600, 1)


def _duration_text(value: dt.timedelta) -> str:
    hours = value.total_seconds() / 3600
    if hours < 48:
        return _t("%(n).1f hours") % {"n": hours}
    return _t("%(n).1f days") % {"n": hours / 24}


def _duration_measure(key: str, label: str, duration: Duration, note: str, exact: bool) -> Measure:
    if duration.median is None:
        return Measure(key, label, _t("None measured yet"), "", note)
    if not exact and duration.measured < THRESHOLD:
        return Measure(key, label, _t("Not shown (fewer than 5 cases)"), SUPPRESSED_TEXT, note)
    text = _duration_text(duration.median)
    if exact:
        text += " " + _t("(from %(n)s)") % {"n": duration.measured}
    return Measure(key, label, text, _t("%(n)s hours") % {"n": _hours(duration.median)}, note)


def _share_measure(
    key: str,
    label: str,
    numerator: int,
    denominator: int,
    cells: list[Cell],
    note: str,
    exact: bool,
) -> Measure:
    """A share; suppressed, it is shown only when it is computed from at least 5 cases and
    from counts that are all shown: a share of hidden counts would let them be worked out.
    A share of nothing is "No cases" either way (a zero reveals no one)."""
    if not denominator:
        return Measure(key, label, _t("No cases"), "", note)
    if exact:
        share = numerator / denominator
        text = _t("%(share)s (%(n)s of %(d)s)") % {
            "share": f"{share:.0%}",
            "n": numerator,
            "d": denominator,
        }
        return Measure(key, label, text, f"{share:.1%}", note)
    share = rate(numerator, denominator)
    if denominator < THRESHOLD:
        return Measure(key, label, _t("Not shown (fewer than 5 cases)"), SUPPRESSED_TEXT, note)
    if share is None or any(cell.suppressed for cell in cells):
        return Measure(
            key, label, _t("Not shown (it would reveal a small count)"), str(HIDDEN_TEXT), note
        )
    text = _t("%(share)s (%(n)s of %(d)s)") % {
        "share": f"{share:.0%}",
        "n": numerator,
        "d": denominator,
    }
    return Measure(key, label, text, f"{share:.1%}", note)


def _month(day: dt.date) -> str:
    return formats.date_format(day, "M Y")


def _trends(data: DistrictAnalytics, month_cells: list[Cell], exact: bool) -> list[Trend]:
    """The three monthly trend tables: cases and where they stand now, time to first action,
    and takedown requests against the 48-hour duty."""
    # Every month of the period is listed (the selector fills the months without a case).
    months: list[TrendMonth] = data.trends
    by_label = {cell.label: cell for cell in month_cells}
    case_months = months
    totals = [by_label.get(trend.month.strftime("%Y-%m")) for trend in case_months]
    # Each month's label formatted once (three tables list the same months).
    labels = {t.month: _month(t.month) for t in months}

    def table(key, title, description, total_label, columns, rows, row_totals):
        counts = [list(row) for _label, row in rows]
        if exact:
            cells = [
                [Cell(str(col), n) for col, n in zip(columns, row, strict=True)] for row in counts
            ]
        else:
            shown = [total is not None and not total.suppressed for total in row_totals]
            cells = suppress_table(counts, shown, [str(col) for col in columns])
        trend = Trend(
            key,
            title,
            description,
            total_label,
            [str(col) for col in columns],
            [
                TrendRow(label, total, row_cells)
                for (label, _counts), total, row_cells in zip(rows, row_totals, cells, strict=True)
            ],
        )
        trend.chart = column_chart_build(key=key, title=title, trend=trend)
        return trend

    cases_total = [Cell(str(CASES_IN_VIEW), t.reported) for t in case_months] if exact else totals
    # Every month of the period once any request counts; none at all: "None in these dates."
    any_takedown = any(t.removed_in_time or t.removed_late or t.overdue for t in months)
    takedown_months = months if any_takedown else []
    return [
        table(
            "trend_stage",
            _("Cases reported each month, and where they stand now"),
            _(
                "Each case once, by the month it was reported: closed by now, or still open "
                "at any stage."
            ),
            _("Reported"),
            [_("Closed"), _("Still open")],
            [(labels[t.month], [t.closed, t.reported - t.closed]) for t in case_months],
            cases_total,
        ),
        table(
            "trend_first_action",
            _("Time to first action, by month reported"),
            _(
                "Each case once, by the month it was reported: a first staff action within 24 "
                "hours of the report, later, or none yet."
            ),
            _("Reported"),
            [_("Within 24 hours"), _("After 24 hours"), _("No action yet")],
            [
                (
                    labels[t.month],
                    [
                        t.prompt_first_action,
                        t.reported - t.prompt_first_action - t.no_first_action,
                        t.no_first_action,
                    ],
                )
                for t in case_months
            ],
            cases_total,
        ),
        table(
            "trend_takedown",
            _("Takedown outcomes, by month the 48-hour clock started"),
            _(
                "Requests to a covered platform through its own route, by the month of the "
                "valid request: removed in time, removed late, or overdue now."
            ),
            None,
            [_("Removed within 48 hours"), _("Removed after 48 hours"), _("Overdue")],
            [
                (labels[t.month], [t.removed_in_time, t.removed_late, t.overdue])
                for t in takedown_months
            ],
            [None] * len(takedown_months),
        ),
    ]


def analytics_report(data: DistrictAnalytics, *, exact: bool = False) -> AnalyticsReport:
    """Returns the figures of the analytics page, CSV and board report: exact, or with
    small-cell suppression (``suppression``) when ``exact`` is False."""
    breakdown = exact_breakdown if exact else suppress_breakdown
    _, total = breakdown([], data.total, str(CASES_IN_VIEW))
    report = AnalyticsReport(total=total, exact=exact)
    for key, title, description in SECTIONS:
        cells, section_total = breakdown(data.breakdowns[key], data.total, str(CASES_IN_VIEW))
        report.sections.append(
            Section(key, str(title), str(description), cells, section_total, str(CASES_IN_VIEW))
        )
    outcomes = data.takedown_outcomes
    requests = sum(n for _, n in outcomes)
    cells, requests_total = breakdown(outcomes, requests, _t("Requests"))
    report.sections.append(
        Section(
            "takedown",
            _t("Takedown requests against the 48-hour duty"),
            _t(
                "Requests to a platform covered by the TAKE IT DOWN Act, through its own "
                "route, counted from the valid request (when the 48-hour clock started)."
            ),
            cells,
            requests_total,
            _t("Requests"),
        )
    )
    for section in report.sections:
        section.chart = chart_build(key=section.key, title=section.title, cells=section.cells)
    month_cells = next(s.cells for s in report.sections if s.key == "month")
    report.trends = _trends(data, month_cells, exact)

    acted = data.total - data.no_first_action
    with_support, _ = breakdown(
        [
            (_t("Offered"), data.supportive_offered),
            (_t("Not offered"), data.total - data.supportive_offered),
        ],
        data.total,
    )
    with_resources, _ = breakdown(
        [
            (_t("Given"), data.takedown_resources),
            (_t("Not given"), data.total - data.takedown_resources),
        ],
        data.total,
    )
    acted_cells, _ = breakdown(
        [(_t("With a first action"), acted), (_t("No action yet"), data.no_first_action)],
        data.total,
    )
    in_time, late, overdue = (n for _, n in outcomes[:3])
    report.measures = [
        _share_measure(
            "supportive_offered",
            _t("Cases where supportive measures were offered"),
            data.supportive_offered,
            data.total,
            with_support,
            _t("Cases offered: %(yes)s; not offered: %(no)s.")
            % {"yes": with_support[0].text, "no": with_support[1].text},
            exact,
        ),
        _share_measure(
            "takedown_resources",
            _t("Cases where takedown resources were given"),
            data.takedown_resources,
            data.total,
            with_resources,
            _t("Cases given: %(yes)s; not given: %(no)s.")
            % {"yes": with_resources[0].text, "no": with_resources[1].text},
            exact,
        ),
        _duration_measure(
            "first_action",
            _t("Median time from report to first action"),
            data.first_action,
            _t("Cases with a first action: %(yes)s; no action yet: %(no)s.")
            % {"yes": acted_cells[0].text, "no": acted_cells[1].text},
            exact,
        ),
        _duration_measure(
            "closure",
            _t("Median time from report to closure"),
            data.closure,
            _t("Closed cases only."),
            exact,
        ),
        _share_measure(
            "takedown_within_48h",
            _t("Takedown requests removed within 48 hours"),
            in_time,
            in_time + late + overdue,
            report.sections[-1].cells[:3],
            _t("Of the requests removed, or not removed after their 48 hours ran out."),
            exact,
        ),
        _duration_measure(
            "takedown_removal",
            _t("Median time from valid request to removal"),
            data.takedown_removal,
            _t("Removed requests only."),
            exact,
        ),
    ]
    return report


# A spreadsheet runs a cell starting with one of these as a formula.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value) -> str:
    """Returns the value as text that a spreadsheet will not run as a formula."""
    text = str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def analytics_csv_rows(report: AnalyticsReport):
    """Yields every breakdown, trend and measure of the report as CSV rows: section, label,
    value (trends: section, "month — column", value)."""
    yield [_t("section"), _t("label"), _t("value")]
    yield [_t("Summary"), str(CASES_IN_VIEW), report.total.text]
    for section in report.sections:
        for cell in section.cells:
            yield [csv_safe(section.title), csv_safe(cell.label), cell.text]
        yield [csv_safe(section.title), section.total_label, section.total.text]
    for trend in report.trends:
        for row in trend.rows:
            if trend.total_label and row.total is not None:
                yield [csv_safe(trend.title), f"{row.month} — {trend.total_label}", row.total.text]
            for column, cell in zip(trend.columns, row.cells, strict=True):
                yield [csv_safe(trend.title), f"{row.month} — {column}", cell.text]
    for measure in report.measures:
        yield [_t("Measures"), csv_safe(measure.label), csv_safe(measure.csv_value)]


class _Echo:
    def write(self, value):
        return value


def analytics_csv_lines(report: AnalyticsReport):
    """Yields the report's CSV, line by line (for a streaming response)."""
    writer = csv.writer(_Echo())
    for row in analytics_csv_rows(report):
        yield writer.writerow(row)
