"""The permission policy's "anywhere" and "where" faces, and their agreement with the faces
for one row (both go through the one scope switch, ``permissions.Scope``)."""

import pytest

from ncii_cases.permissions import (
    CASE_ACTIONS,
    Action,
    accounts_where,
    actions_for,
    actions_on_every_case_where,
    cases_visible_to,
    districts_where,
    schools_where,
    user_can_anywhere,
    user_can_everywhere,
    user_can_open_case_at,
)
from tests.factories import SchoolFactory

PERSONAS = [
    "operator",
    "coordinator",
    "school_admin",
    "investigator",
    "counselor",
    "auditor",
    "it_admin",
    "outsider",
]


@pytest.fixture
def people(request, school, other_school, other_district):
    SchoolFactory(district=other_district, code="far")
    return {p: request.getfixturevalue(p) for p in PERSONAS}


def test_schools_where_agrees_with_the_one_school_face(people):
    from ncii_cases.models import School

    for name, user in people.items():
        where = set(schools_where(user, Action.TRIAGE))
        for school in School.objects.all():
            assert (school in where) == user_can_open_case_at(user, school), (name, school)


@pytest.mark.parametrize(
    "action,expected",
    [
        (Action.ANALYTICS, {"coordinator", "school_admin", "outsider"}),
        (Action.AUDIT, {"coordinator", "auditor", "outsider"}),
        (Action.MANAGE_ROLES, {"coordinator", "outsider", "operator"}),
        (Action.MANAGE_ACCOUNTS, {"it_admin", "operator"}),
        (Action.MANAGE_SETTINGS, {"it_admin", "operator"}),
        (Action.VIEW, {"coordinator", "school_admin", "investigator", "counselor", "outsider"}),
    ],
)
def test_who_may_do_what_anywhere(people, action, expected):
    assert {n for n, u in people.items() if user_can_anywhere(u, action)} == expected


def test_only_the_operator_acts_everywhere(people):
    for action in (Action.MANAGE_ACCOUNTS, Action.MANAGE_SETTINGS, Action.MANAGE_CATALOG):
        assert {n for n, u in people.items() if user_can_everywhere(u, action)} == {"operator"}


def test_accounts_and_districts_where_stay_in_the_district(people, district, other_district):
    from ncii_cases.models import District, User

    it_admin, operator = people["it_admin"], people["operator"]
    assert set(accounts_where(it_admin, Action.MANAGE_ACCOUNTS)) == set(
        User.objects.filter(district=district, is_superuser=False)
    )
    assert set(districts_where(it_admin, Action.MANAGE_SETTINGS)) == {district}
    assert set(districts_where(operator, Action.MANAGE_SETTINGS)) == set(District.objects.all())
    assert set(accounts_where(operator, Action.MANAGE_ACCOUNTS)) == set(User.objects.all())
    # The coordinator sets roles in its district, and manages no account otherwise
    coordinator = people["coordinator"]
    assert not accounts_where(coordinator, Action.MANAGE_ACCOUNTS).exists()
    assert set(accounts_where(coordinator, Action.MANAGE_ROLES)) == set(
        User.objects.filter(district=district, is_superuser=False)
    )
    assert other_district not in districts_where(it_admin, Action.MANAGE_SETTINGS)


@pytest.mark.parametrize(
    "persona,expected",
    [
        ("coordinator", set(CASE_ACTIONS)),
        (
            "school_admin",
            set(CASE_ACTIONS) - {Action.DECIDE, Action.AUDIT, Action.RELEASE_REDACTED},
        ),
        # WORK and SUPPORT need grants of their own (a support assignment gives no WORK).
        (
            "investigator",
            {Action.VIEW, Action.VIEW_METADATA, Action.VIEW_EVIDENCE, Action.VIEW_DISCIPLINE},
        ),
        ("counselor", {Action.VIEW, Action.VIEW_METADATA}),
        ("auditor", set()),
        ("it_admin", set()),
        ("operator", set()),
    ],
)
def test_the_actions_on_every_case_the_user_may_read(people, persona, expected):
    assert actions_on_every_case_where(people[persona], Action.VIEW) == expected


def test_the_actions_on_every_case_where_hold_on_each_such_case(
    people, case, other_school_case, coordinator, investigator
):
    from ncii_cases.models import School
    from ncii_cases.services.cases import case_assign
    from tests.factories import CaseFactory

    CaseFactory(school=School.objects.get(code="far"), title="Another district's case")
    # The investigator leads one case (WORK and SUPPORT) and investigates another (WORK).
    case_assign(actor=coordinator, case=other_school_case, user=investigator, role="lead")
    for name, user in people.items():
        for where in CASE_ACTIONS:
            every = actions_on_every_case_where(user, where)
            cases = list(cases_visible_to(user, where))
            if cases:
                assert where in every, (name, where)
            for visible in cases:
                assert every <= actions_for(user, visible), (name, where, visible)
