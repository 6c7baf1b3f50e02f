"""District analytics as they may be shown: every figure of the selector's raw counts passed
through ``suppression``, with an accessible bar chart per breakdown. The page and the CSV
export are both built from ``analytics_report``, so they can never disagree on what is hidden.
"""

import csv
import datetime as dt
from dataclasses import dataclass, field

from ncii_cases.selectors_analytics import DistrictAnalytics, Duration

from .suppression import (
    HIDDEN_TEXT,
    SUPPRESSED_TEXT,
    THRESHOLD,
    Cell,
    rate,
    suppress_breakdown,
)

SECTIONS = [
    ("ncii_kind", "Cases by NCII kind", "Each case once, by its recorded kind of imagery."),
    ("school", "Cases by school", "Each case once, by the school it belongs to."),
    (
        "respondent_affiliation",
        "Cases by respondent affiliation",
        "A case with several respondents counts once for each affiliation among them, so the "
        "rows can add up to more than the cases in view.",
    ),
    (
        "platform",
        "Cases by platform",
        "A case seen on several platforms counts once for each, so the rows can add up to more "
        "than the cases in view.",
    ),
    ("conduct", "Cases by conduct", "Each case once, by its recorded conduct."),
    ("stage", "Cases by stage", "Each case once, by its current stage."),
    (
        "month",
        "Cases by month reported",
        "Each case once, by the month a district employee first learned of it.",
    ),
]

# Geometry of the bar charts (SVG user units).
CHART_WIDTH = 640
LABEL_WIDTH = 240
BAR_MAX = 320
ROW_HEIGHT = 28
BAR_HEIGHT = 18
MARKER_WIDTH = 28
LABEL_CHARS = 34


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
class Measure:
    key: str
    label: str
    text: str
    csv_value: str
    note: str = ""


@dataclass
class AnalyticsReport:
    total: Cell
    sections: list[Section] = field(default_factory=list)
    measures: list[Measure] = field(default_factory=list)


def _short(label: str) -> str:
    return label if len(label) <= LABEL_CHARS else label[: LABEL_CHARS - 1] + "…"


def _spoken(cell: Cell) -> str:
    if not cell.suppressed:
        return str(cell.value)
    return "fewer than 5" if cell.small else "hidden to protect a small count"


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
    desc = f"Bar chart, {title.lower()}. {parts or 'No cases'}."
    return Chart(key=key, height=12 + max(len(cells), 1) * ROW_HEIGHT, bars=bars, desc=desc)


def _hours(value: dt.timedelta) -> float:
    return round(value.total_seconds() / 3600, 1)


def _duration_text(value: dt.timedelta) -> str:
    hours = value.total_seconds() / 3600
    if hours < 48:
        return f"{hours:.1f} hours"
    return f"{hours / 24:.1f} days"


def _duration_measure(key: str, label: str, duration: Duration, note: str) -> Measure:
    if duration.median is None:
        return Measure(key, label, "Not shown (fewer than 5 cases)", SUPPRESSED_TEXT, note)
    return Measure(
        key,
        label,
        _duration_text(duration.median),
        f"{_hours(duration.median)} hours",
        note,
    )


def _share_measure(
    key: str, label: str, numerator: int, denominator: int, cells: list[Cell], note: str
) -> Measure:
    """A share, shown only when it is computed from at least 5 cases and from counts that are
    all shown: a share of hidden counts would let them be worked out."""
    share = rate(numerator, denominator)
    if denominator < THRESHOLD:
        return Measure(key, label, "Not shown (fewer than 5 cases)", SUPPRESSED_TEXT, note)
    if share is None or any(cell.suppressed for cell in cells):
        return Measure(key, label, "Not shown (it would reveal a small count)", HIDDEN_TEXT, note)
    text = f"{share:.0%} ({numerator} of {denominator})"
    return Measure(key, label, text, f"{share:.1%}", note)


def analytics_report(data: DistrictAnalytics) -> AnalyticsReport:
    """Returns the figures of the analytics page and CSV, suppressed."""
    _, total = suppress_breakdown([], data.total, "Cases in view")
    report = AnalyticsReport(total=total)
    for key, title, description in SECTIONS:
        cells, section_total = suppress_breakdown(data.breakdowns[key], data.total, "Cases in view")
        report.sections.append(
            Section(key, title, description, cells, section_total, "Cases in view")
        )
    outcomes = data.takedown_outcomes
    requests = sum(n for _, n in outcomes)
    cells, requests_total = suppress_breakdown(outcomes, requests, "Requests")
    report.sections.append(
        Section(
            "takedown",
            "Takedown requests against the 48-hour duty",
            "Requests to a platform covered by the TAKE IT DOWN Act, through its own route, "
            "counted from the valid request (when the 48-hour clock started).",
            cells,
            requests_total,
            "Requests",
        )
    )
    for section in report.sections:
        section.chart = chart_build(key=section.key, title=section.title, cells=section.cells)

    acted = data.total - data.no_first_action
    with_support, _ = suppress_breakdown(
        [
            ("Offered", data.supportive_offered),
            ("Not offered", data.total - data.supportive_offered),
        ],
        data.total,
    )
    with_resources, _ = suppress_breakdown(
        [
            ("Given", data.takedown_resources),
            ("Not given", data.total - data.takedown_resources),
        ],
        data.total,
    )
    acted_cells, _ = suppress_breakdown(
        [("With a first action", acted), ("No action yet", data.no_first_action)], data.total
    )
    in_time, late, overdue = (n for _, n in outcomes[:3])
    report.measures = [
        _share_measure(
            "supportive_offered",
            "Cases where supportive measures were offered",
            data.supportive_offered,
            data.total,
            with_support,
            f"Cases offered: {with_support[0].text}; not offered: {with_support[1].text}.",
        ),
        _share_measure(
            "takedown_resources",
            "Cases where takedown resources were given",
            data.takedown_resources,
            data.total,
            with_resources,
            f"Cases given: {with_resources[0].text}; not given: {with_resources[1].text}.",
        ),
        _duration_measure(
            "first_action",
            "Median time from report to first action",
            data.first_action,
            f"Cases with a first action: {acted_cells[0].text}; "
            f"no action yet: {acted_cells[1].text}.",
        ),
        _duration_measure(
            "closure",
            "Median time from report to closure",
            data.closure,
            "Closed cases only.",
        ),
        _share_measure(
            "takedown_within_48h",
            "Takedown requests removed within 48 hours",
            in_time,
            in_time + late + overdue,
            report.sections[-1].cells[:3],
            "Of the requests removed, or not removed after their 48 hours ran out.",
        ),
        _duration_measure(
            "takedown_removal",
            "Median time from valid request to removal",
            data.takedown_removal,
            "Removed requests only.",
        ),
    ]
    return report


# A spreadsheet runs a cell starting with one of these as a formula.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value) -> str:
    """Returns the value as text that a spreadsheet will not run as a formula."""
    text = str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def analytics_csv_write(report: AnalyticsReport, out) -> None:
    """Writes every breakdown and measure of the report to ``out``: section, label, value."""
    writer = csv.writer(out)
    writer.writerow(["section", "label", "value"])
    writer.writerow(["Summary", "Cases in view", report.total.text])
    for section in report.sections:
        for cell in section.cells:
            writer.writerow([csv_safe(section.title), csv_safe(cell.label), cell.text])
        writer.writerow([csv_safe(section.title), section.total_label, section.total.text])
    for measure in report.measures:
        writer.writerow(["Measures", csv_safe(measure.label), csv_safe(measure.csv_value)])
