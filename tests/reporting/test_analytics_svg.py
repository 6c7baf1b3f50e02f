"""The charts' SVG markup written in Python (``reporting.analytics``) is the markup the
templates' loops wrote before: the same elements, geometry and escaped texts."""

from django.template import Context, Template

from reporting.analytics import Trend, TrendRow, chart_build, column_chart_build
from reporting.suppression import Cell

# The loops as the templates had them, rendered by the template engine for comparison.
BARS_LOOP = Template(
    """{% for b in s.chart.bars %}
      <g>
        <text x="{{ s.chart.label_x }}" y="{{ b.text_y }}" text-anchor="end" class="chart-label" font-size="13" fill="#1b2630">{{ b.label }}</text>
        {% if b.suppressed %}<rect x="{{ s.chart.bar_x }}" y="{{ b.y }}" width="{{ b.width }}" height="18" fill="url(#hatch-{{ s.key }})" stroke="#4a5560" class="bar-suppressed"/>{% elif b.width %}<rect x="{{ s.chart.bar_x }}" y="{{ b.y }}" width="{{ b.width }}" height="18" fill="#1f5f8b" class="bar"/>{% endif %}
        <text x="{{ b.value_x }}" y="{{ b.text_y }}" class="chart-value" font-size="13" font-weight="bold" fill="#1b2630">{{ b.text }}</text>
      </g>
      {% endfor %}"""  # noqa: E501
)
COLUMNS_LOOP = Template(
    """{% for c in t.chart.columns %}
      {% if c.suppressed %}<rect x="{{ c.x }}" y="{{ c.y }}" width="12" height="{{ c.height }}" fill="url(#hatch-{{ t.key }})" stroke="#4a5560"/>{% elif c.height %}<rect x="{{ c.x }}" y="{{ c.y }}" width="12" height="{{ c.height }}" class="series-{{ c.series }}" fill="{% if c.series == 0 %}#1f5f8b{% elif c.series == 1 %}#a14d00{% else %}#5b2a86{% endif %}"/>{% endif %}
      <text x="{{ c.text_x }}" y="{{ c.text_y }}" transform="rotate(-90 {{ c.text_x }} {{ c.text_y }})" font-size="10" fill="#1b2630">{{ c.text }}</text>
      {% endfor %}"""  # noqa: E501
)
MONTHS_LOOP = Template(
    """{% for x, name, year in t.chart.months %}<text x="{{ x }}" y="{{ t.chart.baseline|add:14 }}" text-anchor="middle" font-size="10" fill="#1b2630">{{ name }}</text><text x="{{ x }}" y="{{ t.chart.baseline|add:26 }}" text-anchor="middle" font-size="10" fill="#1b2630">{{ year }}</text>{% endfor %}"""  # noqa: E501
)
CELLS = [
    Cell("A <school> & more", 1234),
    Cell("Small", None, small=True),
    Cell("Hidden", None),
    Cell("None", 0),
    Cell("One", 1),
]


class _Section:
    key = "school"

    def __init__(self, chart):
        self.chart = chart


def test_bars_markup_is_the_template_loops():
    chart = chart_build(key="school", title="Cases by school", cells=CELLS)
    expected = BARS_LOOP.render(Context({"s": _Section(chart)}))
    assert chart.bars_svg == expected
    assert "A &lt;school&gt; &amp; more" in chart.bars_svg
    assert "&lt;5" in chart.bars_svg and "bar-suppressed" in chart.bars_svg


def test_columns_and_months_markup_is_the_template_loops():
    rows = [
        TrendRow("Jan 2026", None, [Cell("a", 10), Cell("b", None, small=True), Cell("c", 0)]),
        TrendRow("Feb 2026", None, [Cell("a", None), Cell("b", 3), Cell("c", 150)]),
        TrendRow("<M> 2026", None, [Cell("a", 0), Cell("b", 0), Cell("c", 1)]),
    ]
    trend = Trend("first", "First action", "", None, ["a", "b", "c"], rows)
    chart = column_chart_build(key="first", title="First action", trend=trend)
    trend.chart = chart
    context = Context({"t": trend})
    assert chart.columns_svg == COLUMNS_LOOP.render(context)
    assert chart.months_svg == MONTHS_LOOP.render(context)
    assert "&lt;M&gt;" in chart.months_svg and "series-2" in chart.columns_svg
