import pytest
from django.core.management import call_command
from django.test import override_settings

from ncii_cases import choices as c
from ncii_cases.models import (
    AccessEvent,
    Case,
    CaseEvent,
    CaseParty,
    District,
    Person,
    School,
    User,
)
from ncii_cases.permissions import user_role


@pytest.fixture
def seeded(db):
    with override_settings(DEBUG=True):
        call_command("seed_demo", "--size", "0", stdout=open("/dev/null", "w"))  # noqa: SIM115


def counts():
    return {
        model.__name__: model.objects.count()
        for model in (District, School, User, Person, Case, CaseParty, CaseEvent)
    }


def test_seed_demo_builds_a_district_with_three_schools_and_one_user_per_role(seeded):
    district = District.objects.get(slug="riverbend")
    assert district.schools.count() == 3
    roles = {user_role(u) for u in User.objects.all()}
    assert roles == set(c.Role.values)  # the operator included


def test_seed_demo_itadmin_is_district_it_and_the_operator_a_superuser_of_no_district(seeded):
    itadmin = User.objects.get(username="itadmin")
    assert (itadmin.is_staff, itadmin.is_superuser, itadmin.role) == (True, False, "it_admin")
    assert itadmin.district.slug == "riverbend"
    assert list(itadmin.groups.values_list("name", flat=True)) == ["it_admin"]
    operator = User.objects.get(username="operator")
    assert (operator.is_superuser, operator.district, operator.role) == (True, None, "")


def test_seed_demo_places_every_scenario_at_a_different_stage(seeded):
    stages = list(Case.objects.values_list("stage", flat=True))
    assert len(stages) >= 6
    assert len(set(stages)) == len(stages)


def test_seed_demo_records_the_scenario_facts(seeded):
    s1 = Case.objects.get(title__contains="nudify")
    assert s1.ncii_kind == c.NciiKind.SYNTHETIC
    assert s1.process == c.Process.PROCESS_B
    assert s1.respondent_track == c.RespondentTrack.STUDENT
    depicted = s1.parties.filter(role=c.PartyRole.DEPICTED)
    assert depicted.count() == 4 and all(p.is_minor for p in depicted)
    s6 = Case.objects.get(title__contains="swimsuit")
    assert s6.stage == c.Stage.CLOSED and s6.is_intimate_imagery is False
    assert "bullying" in s6.referred_to.lower()


def test_running_seed_demo_twice_creates_nothing_twice(seeded):
    before = counts()
    with override_settings(DEBUG=True):
        call_command("seed_demo", "--size", "0", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert counts() == before


def test_seed_demo_refuses_to_run_without_debug(db):
    from django.core.management.base import CommandError

    with override_settings(DEBUG=False), pytest.raises(CommandError, match="DEBUG"):
        call_command("seed_demo", "--size", "0")
    assert District.objects.count() == 0


def test_seed_demo_prints_every_demo_login(db, capsys):
    with override_settings(DEBUG=True):
        call_command("seed_demo", "--size", "0")
    out = capsys.readouterr().out
    for username in ("coordinator", "schooladmin", "investigator", "counselor", "auditor"):
        assert username in out


def test_seed_demo_walks_scenarios_through_the_workflow(seeded):
    from ncii_cases.events import EventType

    s1 = Case.objects.get(title__contains="nudify")
    assert s1.stage == c.Stage.INTERIM_ACTIONS
    assert s1.harm_assessment.level == c.Level.HIGH
    assert s1.takedowns.filter(route="take_it_down").count() == 4
    assert s1.takedowns.get(route="platform").due_at is not None
    assert set(s1.external_reports.values_list("status", flat=True)) == {"made"}
    assert s1.events.filter(event_type=EventType.TRANSITION).count() >= 3
    s2 = Case.objects.get(title__contains="principal")
    assert s2.parties.filter(role=c.PartyRole.RESPONDENT, person__isnull=False).count() == 2
    assert not s2.takedowns.filter(route="take_it_down").exists()
    assert not s2.external_reports.filter(agency_kind="child_protection").exists()


def test_a_rerun_makes_an_earlier_demos_superuser_itadmin_district_it_again(seeded):
    # Given a demo database of an earlier version, whose IT account was a superuser
    itadmin = User.objects.get(username="itadmin")
    itadmin.is_superuser = True
    itadmin.save()
    # When the demo is seeded again
    with override_settings(DEBUG=True):
        call_command("seed_demo", "--size", "0", stdout=open("/dev/null", "w"))  # noqa: SIM115
    # Then it is district IT, not a superuser, and the change is in the access log
    itadmin.refresh_from_db()
    assert (itadmin.is_superuser, itadmin.role) == (False, c.Role.IT_ADMIN)
    assert user_role(itadmin) == c.Role.IT_ADMIN
    assert AccessEvent.objects.filter(
        action="role_change", path__contains="is_superuser: True -> False"
    ).exists()
