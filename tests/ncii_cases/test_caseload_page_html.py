"""The caseload (the home of investigators and support staff), pinned against what it showed
when each case's open clocks were read with the case page's own rules, one case at a time:
the same rows, the same tasks in the same order, the same HTML, for the investigator (every
clock) and for the counselor (no evidence log, no discipline); and the reads it takes."""

import datetime as dt

import pytest
from django.db import connection
from django.template import Context, Template
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from ncii_cases import choices as c
from ncii_cases import clocks
from ncii_cases.models import Case, CaseMeasure, ExternalReport, TakedownRequest
from ncii_cases.permissions import Action, actions_for, cases_visible_to
from ncii_cases.selectors.cases import case_measures_for_user
from ncii_cases.selectors.home import CaseloadRow, caseload_for_user
from ncii_cases.services.cases import case_assign
from tests.access.helpers import login_verified
from tests.factories import CaseFactory, CasePartyFactory
from tests.factories_records import CaseMeasureFactory
from tests.ncii_cases.test_queue_and_case_page_queries import fill_case

pytestmark = pytest.mark.django_db

HOME = reverse("ncii_cases:home")

# The caseload's table as ``ncii_cases/home/caseload.html`` wrote it, node by node, when the
# pin was taken.
CASELOAD_TEMPLATE = """{% load i18n case_tags %}<table class="data-table" id="caseload">
    <caption>{% translate "Open cases assigned to you, soonest due first" %}</caption>
    <thead><tr><th scope="col">{% translate "Case" %}</th><th scope="col">{% translate "Stage" %}</th><th scope="col">{% translate "Open tasks" %}</th></tr></thead>
    <tbody>
    {% for row in caseload %}<tr{% if row.overdue %} class="row-overdue"{% endif %}>
      <td><a href="{{ row.case.get_absolute_url }}">{{ row.case.reference }}</a><br><span class="hint">{{ row.case.title }}</span></td>
      <td>{{ row.case.get_stage_display }}</td>
      <td>{% if row.tasks %}<ul class="tasks">{% for task in row.tasks %}<li>{{ task.label }}: {% due task %}</li>{% endfor %}</ul>{% else %}{% translate "Nothing due" %}{% endif %}</td>
    </tr>{% endfor %}
    </tbody>
  </table>"""  # noqa: E501


@pytest.fixture
def caseload(school, case, coordinator, investigator, counselor):
    """The fixture's case with every kind of clock (its stage's, a running takedown, a
    pending external report, a supportive measure's review for the depicted student and an
    interim measure's review for the respondent), a second case overdue whose title needs
    escaping, one with nothing due, and, left out of every caseload, a closed case and an
    unassigned one."""
    fill_case(case, coordinator, size=1)
    TakedownRequest.objects.filter(case=case).update(
        covered_by_48h_rule=True,
        status="submitted",
        due_at=timezone.now() + dt.timedelta(hours=30),
    )
    respondent = CasePartyFactory(case=case, role=c.PartyRole.RESPONDENT, is_minor=True)
    CaseMeasureFactory(
        case=case,
        party=respondent,
        kind=CaseMeasure.Kind.INTERIM,
        description="No contact with the student shown",
        review_on=timezone.localdate() + dt.timedelta(days=3),
    )
    Case.objects.filter(pk=case.pk).update(stage_due_at=timezone.now() + dt.timedelta(days=2))
    overdue = CaseFactory(school=school, title='Shared "photo" <b>&</b>')
    Case.objects.filter(pk=overdue.pk).update(
        stage=c.Stage.INVESTIGATION, stage_due_at=timezone.now() - dt.timedelta(hours=5)
    )
    quiet = CaseFactory(school=school, stage=c.Stage.PROCESS_A)
    closed = CaseFactory(school=school)
    for extra in (overdue, quiet, closed):
        case_assign(actor=coordinator, case=extra, user=investigator, role="investigator")
        case_assign(actor=coordinator, case=extra, user=counselor, role="support")
    Case.objects.filter(pk=closed.pk).update(stage=c.Stage.CLOSED)
    CaseFactory(school=school, title="Nobody's case here")
    return [case, overdue, quiet]


def _rows_one_case_at_a_time(user) -> list[CaseloadRow]:
    """The caseload read as the case page reads each case: the rights on the case
    (``actions_for``), the evidence log's clocks where the user may see it, the measures of
    ``case_measures_for_user``."""
    rows = []
    open_cases = cases_visible_to(user, Action.VIEW).exclude(stage=c.Stage.CLOSED)
    for case in open_cases.filter(assignments__user=user, assignments__ended_at__isnull=True):
        allowed = actions_for(user, case)
        tasks = [clock for clock in [clocks.stage_clock(case)] if clock.open]
        if Action.VIEW_EVIDENCE in allowed:
            takedowns = TakedownRequest.objects.filter(clocks.takedown_open_q(), case=case)
            tasks += [clocks.takedown_clock(r) for r in takedowns.order_by("pk")]
            reports = ExternalReport.objects.filter(clocks.report_open_q(), case=case)
            tasks += [clocks.report_clock(r) for r in reports]
        measures = case_measures_for_user(user=user, case=case, allowed=allowed)
        tasks += [
            clocks.measure_review_clock(m) for m in measures.filter(clocks.measure_review_open_q())
        ]
        tasks.sort(key=lambda task: task.due_at)
        rows.append(CaseloadRow(case=case, tasks=tasks))
    far = dt.datetime.max.replace(tzinfo=dt.UTC)
    rows.sort(key=lambda row: (row.case.next_due_at or far, -row.case.reported_at.timestamp()))
    return rows


def _caseload_table(body: str) -> str:
    start = body.index('<table class="data-table" id="caseload">')
    return body[start : body.index("</table>", start) + len("</table>")]


@pytest.mark.parametrize(
    ("persona", "kinds"),
    [
        # Every clock of the first case (both measures' reviews), the overdue stage of the
        # second, none of the third.
        (
            "investigator",
            [["stage", "takedown", "report", "measure_review", "measure_review"], ["stage"], []],
        ),
        # The depicted student's measure only: no evidence log, no respondent's measure.
        ("counselor", [["stage", "measure_review"], ["stage"], []]),
    ],
)
def test_the_caseload_shows_what_the_case_pages_rules_give_each_case(
    request, client, caseload, persona, kinds
):
    user = request.getfixturevalue(persona)
    expected_rows = _rows_one_case_at_a_time(user)
    assert {row.case.pk for row in expected_rows} == {case.pk for case in caseload}

    login_verified(client, user)
    body = client.get(HOME).content.decode()

    expected = Template(CASELOAD_TEMPLATE).render(Context({"caseload": expected_rows}))
    assert _caseload_table(body) == expected
    rows = caseload_for_user(user=user)
    assert [row.case.pk for row in rows] == [row.case.pk for row in expected_rows]
    by_case = {row.case.pk: sorted(task.kind for task in row.tasks) for row in rows}
    assert [by_case[case.pk] for case in caseload] == [sorted(k) for k in kinds]
    assert 'class="row-overdue"' in expected and "&lt;b&gt;&amp;&lt;/b&gt;" in expected


@pytest.mark.parametrize(("persona", "reads"), [("investigator", 4), ("counselor", 2)])
def test_the_caseload_reads_no_record_its_reader_may_not_see(request, caseload, persona, reads):
    # The cases, then the takedown requests and external reports (the evidence log: not for
    # support staff, so not read for them) and the measures.
    user = request.getfixturevalue(persona)
    with CaptureQueriesContext(connection) as ctx:
        caseload_for_user(user=user)
    assert len(ctx.captured_queries) == reads
