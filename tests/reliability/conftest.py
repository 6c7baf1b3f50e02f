import pytest

from tests.processes import manage, private_redis_or_skip, production_env


@pytest.fixture(scope="session")
def static_root(tmp_path_factory):
    """collectstatic once for every live server of the reliability suite (production settings
    serve static files through the manifest, which must exist)."""
    folder = tmp_path_factory.mktemp("reliability-static")
    env = production_env(folder, database_url="postgres://unused@127.0.0.1:1/unused")
    env["STATIC_ROOT"] = str(folder / "static")
    manage(env, "collectstatic", "--noinput", "--verbosity", "0")
    return env["STATIC_ROOT"]


@pytest.fixture
def private_redis(tmp_path):
    """A redis-server of this test alone (tests/processes.py), which it may stop and start
    again; the machine's shared Redis is never touched."""
    server = private_redis_or_skip(tmp_path)
    yield server
    server.stop()


@pytest.fixture
def rich_case(case, coordinator):
    """``case`` with a record of every kind a form can point at: a depicted minor student, an
    identified student respondent, a supportive measure, a takedown request, pending external
    reports and assignments (from ``case``), at the investigation stage."""
    return furnish(case, coordinator)


@pytest.fixture
def rich_foreign_case(foreign_case, outsider):
    """The same records in another district's case: the ids a forged form would point at."""
    from ncii_cases import choices as c
    from ncii_cases.services.cases import case_assign
    from tests.factories import UserFactory

    worker = UserFactory(district=foreign_case.district, role=c.Role.INVESTIGATOR)
    case_assign(actor=outsider, case=foreign_case, user=worker, role=c.AssignmentRole.INVESTIGATOR)
    return furnish(foreign_case, outsider)


def furnish(case, actor):
    from ncii_cases import choices as c
    from ncii_cases.models import CaseMeasure
    from ncii_cases.services import measures, reports, takedowns
    from tests.factories import CasePartyFactory, PersonFactory
    from tests.factories_workflow import all_obligations, measure, platform

    all_obligations()
    case.jurisdiction = c.Jurisdiction.IN_SCOPE
    case.jurisdiction_reasoning = "Students of the district; school was disrupted."
    case.is_intimate_imagery = True
    case.respondent_track = c.RespondentTrack.STUDENT
    case.stage = c.Stage.INVESTIGATION
    case.save()
    depicted = CasePartyFactory(
        case=case, role=c.PartyRole.DEPICTED, affiliation=c.Affiliation.STUDENT, is_minor=True
    )
    CasePartyFactory(
        case=case,
        role=c.PartyRole.RESPONDENT,
        person=PersonFactory(district=case.district),
        affiliation=c.Affiliation.STUDENT,
        is_minor=True,
    )
    measures.measure_add(
        actor=actor,
        case=case,
        party=depicted,
        kind=CaseMeasure.Kind.SUPPORTIVE,
        measure=measure("counseling"),
        owner=actor,
    )
    takedowns.takedown_request_create(
        actor=actor, case=case, platform=platform("snapchat"), location="@account", owner=actor
    )
    reports.external_reports_sync(actor=actor, case=case)
    case.refresh_from_db()
    return case
