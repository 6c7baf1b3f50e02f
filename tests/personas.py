"""The people every test uses, each with its real role and assignments.

Two districts: ``district`` (with ``school`` and ``other_school``) and ``other_district``.
``case`` belongs to ``school``; ``other_school_case`` to ``other_school``; ``foreign_case`` to
the other district. Assigned personas are assigned to ``case`` through the real service.
"""

import pytest

from ncii_cases import choices as c
from ncii_cases.services.cases import case_assign
from tests.factories import CaseFactory, DistrictFactory, SchoolFactory, UserFactory


@pytest.fixture
def district(db):
    return DistrictFactory(name="Riverbend Test District", slug="riverbend-test")


@pytest.fixture
def other_district(db):
    return DistrictFactory(name="Elsewhere Test District", slug="elsewhere-test")


@pytest.fixture
def school(district):
    return SchoolFactory(district=district, name="North High", code="north")


@pytest.fixture
def other_school(district):
    return SchoolFactory(district=district, name="South Middle", code="south")


@pytest.fixture
def coordinator(district):
    return UserFactory(username="coordinator", district=district, role=c.Role.COORDINATOR)


@pytest.fixture
def school_admin(school):
    user = UserFactory(username="schooladmin", district=school.district, role=c.Role.SCHOOL_ADMIN)
    user.schools.add(school)
    return user


@pytest.fixture
def other_school_admin(other_school):
    user = UserFactory(
        username="otheradmin", district=other_school.district, role=c.Role.SCHOOL_ADMIN
    )
    user.schools.add(other_school)
    return user


@pytest.fixture
def investigator(district):
    return UserFactory(username="investigator", district=district, role=c.Role.INVESTIGATOR)


@pytest.fixture
def unassigned_investigator(district):
    return UserFactory(username="investigator2", district=district, role=c.Role.INVESTIGATOR)


@pytest.fixture
def counselor(district):
    return UserFactory(username="counselor", district=district, role=c.Role.SUPPORT_STAFF)


@pytest.fixture
def auditor(district):
    return UserFactory(username="auditor", district=district, role=c.Role.AUDITOR)


@pytest.fixture
def it_admin(district):
    """The district's IT administrator: staff, not a superuser; its role's group gives it
    exactly the admin rights it needs, over its own district only."""
    return UserFactory(username="itadmin", district=district, role=c.Role.IT_ADMIN, is_staff=True)


@pytest.fixture
def staff_reporter(district):
    """An employee with no other role (a teacher): files reports and sees their own reports'
    status, nothing else."""
    return UserFactory(username="staffreporter", district=district, role=c.Role.STAFF_REPORTER)


@pytest.fixture
def operator(db):
    """The deployment operator: a superuser of no district, who reads no case content."""
    return UserFactory(username="operator", district=None, is_staff=True, is_superuser=True)


@pytest.fixture
def outsider(other_district):
    return UserFactory(username="outsider", district=other_district, role=c.Role.COORDINATOR)


@pytest.fixture
def case(school, coordinator, investigator, counselor):
    case = CaseFactory(school=school, title="Shared images in a group chat")
    case_assign(actor=coordinator, case=case, user=investigator, role=c.AssignmentRole.INVESTIGATOR)
    case_assign(actor=coordinator, case=case, user=counselor, role=c.AssignmentRole.SUPPORT)
    return case


@pytest.fixture
def other_school_case(other_school):
    return CaseFactory(school=other_school, title="Other school's case")


@pytest.fixture
def foreign_case(other_district):
    return CaseFactory(
        school=SchoolFactory(district=other_district, code="far"), title="Another district's case"
    )


@pytest.fixture
def closed_case(school):
    return CaseFactory(school=school, stage=c.Stage.CLOSED, title="Closed case")
