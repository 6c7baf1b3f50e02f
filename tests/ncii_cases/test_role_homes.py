"""The home of each role: the coordinator's queue with counts per school and stage and what
is due today, the caseload of assigned staff with their open tasks, the auditor's overview, the
IT console and a staff reporter's own reports; each a constant number of queries, each scoped
by the permission policy."""

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from ncii_cases import choices as c
from ncii_cases import clocks
from ncii_cases.models import (
    Case,
    CaseMeasure,
    EnrollmentLink,
    SecondFactorReset,
    TakedownRequest,
)
from ncii_cases.selectors.home import (
    HomeKind,
    caseload_for_user,
    cases_due_today,
    console_for_user,
    home_kind_for_user,
    local_day_bounds,
    stage_counts_by_school,
)
from ncii_cases.services.cases import case_assign
from ncii_cases.services.intake_reports import ReportInput, staff_report_file
from tests.access.helpers import login_verified
from tests.factories import CaseFactory, CasePartyFactory, UserFactory
from tests.factories_records import CaseMeasureFactory, HarmAssessmentFactory
from tests.ncii_cases.test_queue_and_case_page_queries import fill_case

pytestmark = pytest.mark.django_db

HOME = reverse("ncii_cases:home")


@pytest.fixture
def frozen(monkeypatch):
    def freeze(moment):
        monkeypatch.setattr(clocks, "now", lambda: moment)

    return freeze


def _body(client, user, **params) -> str:
    login_verified(client, user)
    response = client.get(HOME, params)
    assert response.status_code == 200
    return response.content.decode()


def _count(client, url=HOME) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


# --- Which home ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "kind"),
    [
        ("coordinator", HomeKind.QUEUE),
        ("school_admin", HomeKind.QUEUE),
        ("investigator", HomeKind.CASELOAD),
        ("counselor", HomeKind.CASELOAD),
        ("auditor", HomeKind.AUDIT),
        ("it_admin", HomeKind.CONSOLE),
        ("operator", HomeKind.CONSOLE),
        ("staff_reporter", HomeKind.REPORTS),
    ],
)
def test_each_role_gets_its_own_home(request, persona, kind):
    assert home_kind_for_user(request.getfixturevalue(persona)) == kind


def test_an_account_without_a_role_is_told_what_to_do(client, district):
    nobody = UserFactory(username="norole", district=district, role="")
    body = _body(client, nobody)
    assert "has no role yet" in body
    assert 'id="queue-table"' not in body


# --- Counts per school and stage -------------------------------------------------------------


def test_counts_per_school_and_stage_follow_moves_and_closure(
    school, other_school, coordinator, foreign_case
):
    a = CaseFactory(school=school)
    b = CaseFactory(school=school)
    CaseFactory(school=other_school, stage=c.Stage.INVESTIGATION)
    CaseFactory(school=school, stage=c.Stage.CLOSED)
    # A case moved from intake to harm assessment counts at its new stage only.
    b.stage = c.Stage.HARM_ASSESSMENT
    b.save()
    table = stage_counts_by_school(user=coordinator)
    stages = [value for value, _ in table.stages]
    assert stages == ["intake", "harm_assessment", "investigation", "closed"]
    rows = {row.school.pk: row.cells for row in table.rows}
    assert rows == {school.pk: [1, 1, 0, 1], other_school.pk: [0, 0, 1, 0]}
    assert table.totals == [1, 1, 1, 1] and table.total == 4
    # A case moved to another school counts there.
    Case.objects.filter(pk=a.pk).update(school=other_school)
    rows = {r.school.pk: r.cells for r in stage_counts_by_school(user=coordinator).rows}
    assert rows == {school.pk: [0, 1, 0, 1], other_school.pk: [1, 0, 1, 0]}


def test_a_school_administrator_counts_only_their_schools_cases(
    school, other_school, school_admin, foreign_case
):
    CaseFactory(school=school)
    CaseFactory(school=other_school)
    table = stage_counts_by_school(user=school_admin)
    assert [row.school for row in table.rows] == [school]
    assert table.total == 1


def test_the_coordinators_home_shows_the_table_of_schools_and_stages(client, school, coordinator):
    CaseFactory(school=school)
    body = _body(client, coordinator)
    assert 'id="stage-table"' in body and "North High" in body
    assert "1 case in all." in body


# --- Due today -------------------------------------------------------------------------------


def test_due_today_is_the_districts_local_day(frozen, district, school, coordinator):
    district.time_zone = "America/Los_Angeles"
    district.save()
    # 07:30 UTC on Nov 30 is 23:30 on Nov 29 in Los Angeles (UTC-8).
    now = dt.datetime(2026, 11, 30, 7, 30, tzinfo=dt.UTC)
    frozen(now)

    def due(at, **kwargs):
        case = CaseFactory(school=school, **kwargs)
        Case.objects.filter(pk=case.pk).update(next_due_at=at)
        return case

    later_today = due(dt.datetime(2026, 11, 30, 7, 45, tzinfo=dt.UTC))  # 23:45 local
    due(dt.datetime(2026, 11, 30, 8, 30, tzinfo=dt.UTC))  # 00:30 tomorrow, local
    earlier_today = due(dt.datetime(2026, 11, 29, 9, 0, tzinfo=dt.UTC))  # 01:00 local, past
    due(dt.datetime(2026, 11, 29, 7, 30, tzinfo=dt.UTC))  # 23:30 yesterday, local
    due(dt.datetime(2026, 11, 29, 20, 0, tzinfo=dt.UTC), stage=c.Stage.CLOSED)
    coordinator.refresh_from_db()
    assert cases_due_today(user=coordinator, now=now) == [earlier_today, later_today]


def test_due_today_in_a_zone_given_reads_no_district(frozen, district, school, coordinator):
    # Given the request's zone (the district's, activated by the middleware)
    import zoneinfo

    now = dt.datetime(2026, 11, 30, 7, 30, tzinfo=dt.UTC)
    frozen(now)
    case = CaseFactory(school=school)
    at = dt.datetime(2026, 11, 30, 7, 45, tzinfo=dt.UTC)  # 23:45 in Los Angeles
    Case.objects.filter(pk=case.pk).update(next_due_at=at)
    Case.objects.filter(pk=CaseFactory(school=school).pk).update(
        next_due_at=dt.datetime(2026, 11, 30, 8, 30, tzinfo=dt.UTC)
    )  # 00:30 tomorrow in Los Angeles
    coordinator = type(coordinator).objects.get(pk=coordinator.pk)  # no district read yet
    zone = zoneinfo.ZoneInfo("America/Los_Angeles")

    # When today's due cases are read in it
    with CaptureQueriesContext(connection) as queries:
        due = cases_due_today(user=coordinator, now=now, zone=zone)

    # Then the day is that zone's, in one query (the district is not read)
    assert due == [case]
    assert len(queries.captured_queries) == 1


def test_a_day_with_a_clock_change_is_25_hours_long(district):
    district.time_zone = "America/Chicago"
    start, end = local_day_bounds(
        district=district, now=dt.datetime(2026, 11, 1, 18, 0, tzinfo=dt.UTC)
    )
    assert end - start == dt.timedelta(hours=25)


def test_the_home_lists_what_is_due_today(client, school, coordinator):
    case = CaseFactory(school=school)
    Case.objects.filter(pk=case.pk).update(next_due_at=timezone.now() + dt.timedelta(minutes=1))
    today = _body(client, coordinator).split("Due today")[1].split("</div>")[0]
    # A minute from now may fall on tomorrow's local date only just before midnight.
    start, end = local_day_bounds(district=school.district, now=timezone.now())
    if start <= timezone.now() + dt.timedelta(minutes=1) < end:
        assert case.reference in today


# --- The caseload ----------------------------------------------------------------------------


def _takedown_and_report(case, coordinator):
    """A supportive measure with a review date, a takedown request whose 48-hour clock runs
    (a covered platform's own notice) and a pending external report with a deadline."""
    fill_case(case, coordinator, size=1)
    TakedownRequest.objects.filter(case=case).update(
        covered_by_48h_rule=True,
        status="submitted",
        due_at=timezone.now() + dt.timedelta(hours=30),
    )


def test_the_investigators_caseload_lists_their_cases_with_every_open_clock(
    case, other_school_case, coordinator, investigator
):
    _takedown_and_report(case, coordinator)
    Case.objects.filter(pk=case.pk).update(stage_due_at=timezone.now() + dt.timedelta(days=2))
    rows = caseload_for_user(user=investigator)
    assert [row.case for row in rows] == [case]
    kinds = sorted(task.kind for task in rows[0].tasks)
    assert kinds == ["measure_review", "report", "stage", "takedown"]
    dues = [task.due_at for task in rows[0].tasks]
    assert dues == sorted(dues)


def test_the_counselors_caseload_shows_no_evidence_nor_discipline_clock(
    case, coordinator, counselor
):
    _takedown_and_report(case, coordinator)
    respondent = CasePartyFactory(case=case, role=c.PartyRole.RESPONDENT, is_minor=True)
    CaseMeasureFactory(
        case=case,
        party=respondent,
        kind=CaseMeasure.Kind.INTERIM,
        description="No contact with the student shown",
        review_on=timezone.localdate() + dt.timedelta(days=3),
    )
    rows = caseload_for_user(user=counselor)
    assert [row.case for row in rows] == [case]
    kinds = sorted(task.kind for task in rows[0].tasks)
    # The supportive measure of the depicted student only: no takedown nor external report
    # (the evidence log), no interim measure of the respondent (discipline).
    assert kinds == ["measure_review"]


def test_a_caseload_leaves_out_closed_and_unassigned_cases(
    school, case, coordinator, investigator, unassigned_investigator
):
    closed = CaseFactory(school=school)
    case_assign(actor=coordinator, case=closed, user=investigator, role="investigator")
    Case.objects.filter(pk=closed.pk).update(stage=c.Stage.CLOSED)
    assert [row.case for row in caseload_for_user(user=investigator)] == [case]
    assert caseload_for_user(user=unassigned_investigator) == []


def test_the_caseload_home_shows_the_tasks(client, case, coordinator, investigator):
    _takedown_and_report(case, coordinator)
    body = _body(client, investigator)
    assert 'id="caseload"' in body and case.reference in body
    assert "takedown" in body.split('id="caseload"')[1].split("</table>")[0]


# --- The auditor, IT, the staff reporter -----------------------------------------------------


def test_the_auditors_home_shows_the_latest_audit_activity_in_words(
    client, case, auditor, foreign_case
):
    body = _body(client, auditor)
    overview = body.split('id="list-h"')[0]
    assert "Latest recorded actions" in overview and "Staff assigned" in overview
    assert ">assigned<" not in overview
    assert case.title not in body  # metadata only
    assert foreign_case.reference not in body
    assert reverse("reporting:audit_review") in overview


def test_the_it_console_lists_accounts_waiting_for_a_second_factor_and_resets(
    client, district, it_admin, coordinator, outsider
):
    waiting = UserFactory(username="newteacher", district=district, role=c.Role.STAFF_REPORTER)
    now = timezone.now()
    for account in (waiting, outsider):
        EnrollmentLink.objects.create(
            user=account,
            token_hash=f"{account.pk:064d}",
            created_at=now,
            expires_at=now + dt.timedelta(days=1),
        )
    SecondFactorReset.objects.create(user=coordinator, requested_by=it_admin, requested_at=now)
    console = console_for_user(user=it_admin)
    assert console.pending_enrollments == [waiting]  # not another district's account
    assert [r.user for r in console.pending_resets] == [coordinator]
    body = _body(client, it_admin)
    assert "newteacher" in body and "outsider" not in body
    assert reverse("ncii_cases:roster_import") in body
    assert 'id="queue-table"' not in body


def test_a_staff_reporter_lands_on_their_own_reports(client, school, staff_reporter):
    report = staff_report_file(
        actor=staff_reporter,
        data=ReportInput(
            what_happened="A student said pictures were passed around.",
            school=school,
            learned_at=timezone.now(),
        ),
    )
    body = _body(client, staff_reporter)
    assert report.code_display in body
    assert reverse("ncii_cases:staff_report_new") in body
    assert 'id="queue-table"' not in body


# --- Queries constant in N -------------------------------------------------------------------


def _grow_cases(school, coordinator, investigator, counselor, n):
    for _ in range(n):
        case = CaseFactory(school=school)
        fill_case(case, coordinator, size=1)
        case_assign(actor=coordinator, case=case, user=investigator, role="investigator")
        case_assign(actor=coordinator, case=case, user=counselor, role="support")


@pytest.mark.parametrize(
    "persona", ["coordinator", "school_admin", "investigator", "counselor", "auditor"]
)
def test_each_case_home_reads_the_same_number_of_queries_for_2_or_6_cases(
    client, request, persona, school, coordinator, investigator, counselor
):
    user = request.getfixturevalue(persona)
    login_verified(client, user)
    _grow_cases(school, coordinator, investigator, counselor, 2)
    few = _count(client)
    _grow_cases(school, coordinator, investigator, counselor, 4)
    assert _count(client) == few


def test_the_console_reads_the_same_number_of_queries_for_2_or_6_accounts(
    client, district, it_admin
):
    login_verified(client, it_admin)

    def grow(n):
        now = timezone.now()
        for _ in range(n):
            account = UserFactory(district=district, role=c.Role.STAFF_REPORTER)
            EnrollmentLink.objects.create(
                user=account,
                token_hash=f"{account.pk:064d}",
                created_at=now,
                expires_at=now + dt.timedelta(days=1),
            )
            SecondFactorReset.objects.create(user=account, requested_by=it_admin, requested_at=now)

    grow(2)
    few = _count(client)
    grow(4)
    assert _count(client) == few


def test_the_reporters_home_reads_the_same_number_of_queries_for_2_or_6_reports(
    client, school, staff_reporter
):
    login_verified(client, staff_reporter)

    def grow(n):
        for _ in range(n):
            staff_report_file(
                actor=staff_reporter,
                data=ReportInput(what_happened="Pictures shared.", learned_at=timezone.now()),
            )

    grow(2)
    few = _count(client)
    grow(4)
    assert _count(client) == few


# --- Sorting and ids-first paging ------------------------------------------------------------


def test_the_harm_rank_follows_the_assessment(school, coordinator):
    case = CaseFactory(school=school)
    assessment = HarmAssessmentFactory(case=case, level=c.Level.HIGH)
    case.refresh_from_db()
    assert case.harm_rank == 3
    assessment.level = c.Level.CRITICAL
    assessment.save()
    case.refresh_from_db()
    assert case.harm_rank == 4
    assessment.delete()
    case.refresh_from_db()
    assert case.harm_rank == 0


@pytest.mark.parametrize(
    "sort", ["reference", "-reference", "reported", "-reported", "stage", "due", "-harm", ""]
)
def test_a_deep_page_lists_the_same_rows_as_the_sorted_list_and_reads_as_page_1(
    client, school, coordinator, sort
):
    for i in range(7):
        case = CaseFactory(
            school=school,
            reported_at=timezone.now() - dt.timedelta(days=i % 3),
            stage=[c.Stage.INTAKE, c.Stage.INVESTIGATION][i % 2],
        )
        Case.objects.filter(pk=case.pk).update(
            next_due_at=timezone.now() + dt.timedelta(hours=i % 4) if i % 3 else None
        )
        if i % 2:
            HarmAssessmentFactory(case=case, level=c.Level.HIGH)
    login_verified(client, coordinator)
    from ncii_cases import views

    views.QUEUE_PAGE_SIZE, size = 3, views.QUEUE_PAGE_SIZE
    try:
        pages = []
        counts = []
        for number in (1, 2, 3):
            with CaptureQueriesContext(connection) as ctx:
                response = client.get(
                    HOME, {"sort": sort, "page": number} if sort else {"page": number}
                )
            counts.append(len(ctx.captured_queries))
            pages.append([case.pk for case in response.context["page"].object_list])
    finally:
        views.QUEUE_PAGE_SIZE = size
    from ncii_cases.selectors.queue import case_queue

    expected = [
        c_.pk for c_ in case_queue(user=coordinator, params={"sort": sort} if sort else {}).cases
    ]
    assert pages[0] + pages[1] + pages[2] == expected
    assert counts[0] == counts[1] == counts[2]


# --- Words, not codes --------------------------------------------------------------------------


def test_the_count_of_cases_is_pluralised(client, school, coordinator):
    CaseFactory(school=school, title="Alpha")
    body = _body(client, coordinator)
    assert "1 case listed." in body and "1 case in all." in body
    assert "1 case matches these filters." in _body(client, coordinator, q="Alpha")
    CaseFactory(school=school, title="Alpha two")
    body = _body(client, coordinator)
    assert "2 cases listed." in body and "2 cases in all." in body
    assert "2 cases match these filters." in _body(client, coordinator, q="Alpha")


def test_no_time_on_the_home_is_followed_by_a_second_period(client, case, coordinator):
    _takedown_and_report(case, coordinator)
    for user in (coordinator,):
        assert not re.search(r"[ap]\.m\.\.", _body(client, user))


def test_the_filter_selects_name_schools_and_staff_as_everywhere(district, school, coordinator):
    # The options are read as values, without the models: their labels are still the
    # models' own names (User.__str__, School.__str__)
    from ncii_cases.selectors.queue import case_queue

    UserFactory(
        district=district, first_name="", last_name="", username="no-name", role="investigator"
    )
    UserFactory(
        district=district, first_name="Ada", last_name="Quill", username="aq", role="investigator"
    )
    queue = case_queue(user=coordinator)
    form = queue.filterset.form
    staff = type(coordinator).objects.filter(
        district=district, is_active=True, role__in=["coordinator", "investigator"]
    )
    assert {label for pk, label in form.fields["assignee"].choices if pk} == {str(u) for u in staff}
    assert "no-name" in {label for _, label in form.fields["assignee"].choices}
    assert [label for pk, label in form.fields["school"].choices if pk] == [str(school)]
    assert str(form["assignee"]).count("<option") == staff.count() + 1


def test_the_assignee_filter_offers_only_staff_who_can_hold_an_assignment(
    client, district, school, coordinator
):
    """IT, the auditor and role-less accounts can never be assigned to a case: the "Assigned
    to" filter does not offer them (nor accepts one, forged), but it still offers someone whose
    role changed while they hold an assignment, so that their cases can be found."""
    from ncii_cases.selectors.queue import case_queue

    investigator = UserFactory(district=district, last_name="Able", role="investigator")
    it_admin = UserFactory(district=district, last_name="Byte", role="it_admin")
    auditor = UserFactory(district=district, last_name="Ledger", role="auditor")
    roleless = UserFactory(district=district, last_name="Nobody")
    moved = UserFactory(district=district, last_name="Moved", role="investigator")
    case = CaseFactory(school=school, title="Held by a moved investigator")
    case_assign(actor=coordinator, case=case, user=moved, role="investigator")
    moved.role = "it_admin"
    moved.save()
    other_district = UserFactory(last_name="Elsewhere", role="investigator")
    choices = dict(case_queue(user=coordinator).filterset.form.fields["assignee"].choices)
    offered = {pk.value if hasattr(pk, "value") else pk for pk in choices if pk}
    assert investigator.pk in offered and coordinator.pk in offered and moved.pk in offered
    assert not offered & {it_admin.pk, auditor.pk, roleless.pk, other_district.pk}
    # A forged choice of an account that cannot be assigned is refused, not applied.
    body = _body(client, coordinator, assignee=str(it_admin.pk))
    assert "Select a valid choice" in body
    assert "Held by a moved investigator" in _body(client, coordinator, assignee=str(moved.pk))


def test_staff_who_share_a_name_are_listed_in_one_order(district, coordinator):
    """The assignee filter lists staff by name, then by id: two people with the same name
    come in the same order on every page (the database alone may return them either way)."""
    from ncii_cases.selectors.queue import queue_staff_for_user

    same = [
        UserFactory(
            username=f"alex{n}",
            district=district,
            first_name="Alex",
            last_name="Reyes",
            role="investigator",
        )
        for n in range(3)
    ]
    listed = [u.pk for u in queue_staff_for_user(user=coordinator) if u.last_name == "Reyes"]
    assert listed == sorted(u.pk for u in same)
    assert "ORDER BY" in str(queue_staff_for_user(user=coordinator).query)
    assert queue_staff_for_user(user=coordinator).query.order_by[-1] == "pk"


def test_a_school_administrator_is_offered_only_their_own_schools(
    client, school, other_school, school_admin, coordinator
):
    """The school filter and the table of counts of a school administrator name their own
    schools, not every school of the district (whose cases they never see); a forged id of
    another school is refused with the field's error, not answered with an empty list."""
    from ncii_cases.selectors.queue import case_queue

    CaseFactory(school=school, title="At the own school")
    CaseFactory(school=other_school, title="At the other school")
    choices = case_queue(user=school_admin).filterset.form.fields["school"].choices
    assert [label for pk, label in choices if pk] == [str(school)]
    body = _body(client, school_admin)
    assert other_school.name not in body
    body = _body(client, school_admin, school=str(other_school.pk))
    assert "Select a valid choice" in body and "At the other school" not in body
    # The coordinator is offered every school of the district.
    choices = case_queue(user=coordinator).filterset.form.fields["school"].choices
    assert {label for pk, label in choices if pk} == {str(school), str(other_school)}
