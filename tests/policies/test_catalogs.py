"""The policy catalogs seeded by policies.0002 and the selectors that read them."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.loader import MigrationLoader

from ncii_cases.models import District
from policies import selectors
from policies.models import (
    Definition,
    EmployeeCorrectiveAction,
    Intervention,
    Measure,
    Platform,
    PolicyVersion,
    ReportingObligation,
    ReportingProfile,
    Resource,
    StudentIntervention,
)
from tests.audit_helpers import as_owner

DEFINITION_SLUGS = {
    "ncii",
    "authentic-ncii",
    "synthetic-ncii",
    "distribution",
    "depicted-person",
    "complainant",
    "respondent",
    "consent",
    "intimate-imagery",
    "sextortion",
    "process-a",
    "process-b",
    "supportive-measures",
    "interim-measures",
    "jurisdiction",
    "take-it-down-act",
}
PLATFORM_SLUGS = {
    "snapchat",
    "instagram",
    "tiktok",
    "facebook",
    "x",
    "discord",
    "reddit",
    "youtube",
    "telegram",
    "whatsapp",
    "imessage",
    "airdrop",
    "google-drive",
    "other-website",
}
COVERED_PLATFORMS = {
    "snapchat",
    "instagram",
    "tiktok",
    "facebook",
    "x",
    "discord",
    "reddit",
    "youtube",
    "telegram",
    "google-drive",
    "other-website",
}
NOT_COVERED_PLATFORMS = {"imessage", "airdrop", "whatsapp"}
RESOURCE_SLUGS = {
    "ncmec-hotline",
    "cybertipline",
    "take-it-down",
    "stopncii",
    "district-counseling",
    "employee-assistance",
    "crisis-line",
}
SUPPORTIVE_SLUGS = {
    "counseling",
    "no-contact-directive",
    "schedule-change",
    "academic-support",
    "safety-plan",
    "escort-or-check-in",
    "take-it-down-guidance",
    "employee-assistance",
    "communication-plan",
    "leave-or-work-adjustment",
    # Supportive measures for respondents and witnesses (issue 16).
    "respondent-counseling-and-education",
    "respondent-schedule-change",
    "witness-check-in",
}
INTERIM_SLUGS = {
    "class-removal",
    "no-contact-directive-respondent",
    "device-restriction",
    "administrative-leave",
    "emergency-removal",
}
STUDENT_INTERVENTIONS = {
    "student-counseling",
    "restorative-justice",
    "ncii-education",
    "detention",
    "student-suspension",
    "expulsion",
    "law-enforcement-referral",
}
EMPLOYEE_ACTIONS = {
    "training",
    "written-warning",
    "employee-suspension",
    "termination",
    "licensing-report",
}
OBLIGATION_SLUGS = {
    "child-protection-report",
    "cybertipline-report",
    "law-enforcement-authentic-minor",
    "law-enforcement-sextortion",
    "licensing-body-report",
    "law-enforcement-synthetic-minor",
    "law-enforcement-adult-respondent-minor",
}

SEEDED = [
    (Platform, PLATFORM_SLUGS),
    (Resource, RESOURCE_SLUGS),
    (Measure, SUPPORTIVE_SLUGS | INTERIM_SLUGS),
    (Intervention, STUDENT_INTERVENTIONS | EMPLOYEE_ACTIONS),
    (ReportingObligation, OBLIGATION_SLUGS),
]


def _default_slugs(model):
    return set(model.objects.filter(district__isnull=True).values_list("slug", flat=True))


@pytest.fixture
def districts():
    return (
        District.objects.create(name="Lincoln Unified", slug="lincoln", state="IL"),
        District.objects.create(name="Prairie Valley", slug="prairie", state="IL"),
    )


# --- seeded after migrate ------------------------------------------------------------------


@pytest.mark.django_db
def test_policy_version_is_seeded():
    policy = PolicyVersion.objects.get(
        title="Model NCII Policy for K-12 Schools (CDT and ATIXA)", version="2025"
    )
    assert policy.source == "Center for Democracy & Technology and ATIXA"
    assert policy.effective_date.isoformat() == "2025-01-01"
    assert "adoption" in policy.notes or "adopted" in policy.notes


@pytest.mark.django_db
def test_every_definition_is_seeded_with_text():
    definitions = {d.slug: d for d in Definition.objects.select_related("policy")}
    assert set(definitions) >= DEFINITION_SLUGS
    for slug in DEFINITION_SLUGS:
        assert definitions[slug].text.strip(), slug
        assert definitions[slug].policy.version == "2025"


@pytest.mark.django_db
def test_definitions_carry_the_policy_facts():
    ncii = selectors.definition(slug="ncii").text
    assert "AI" in ncii
    assert "never to blame" in ncii
    assert "focus" in selectors.definition(slug="distribution").text
    jurisdiction = selectors.definition(slug="jurisdiction").text.lower()
    assert "off campus" in jurisdiction
    assert "outside school hours" in jurisdiction
    act = selectors.definition(slug="take-it-down-act").text
    assert "19 May 2025" in act
    assert "19 May 2026" in act
    assert "48 hours" in act
    assert selectors.definition(slug="no-such-term") is None


@pytest.mark.django_db
@pytest.mark.parametrize(("model", "slugs"), SEEDED, ids=lambda v: getattr(v, "__name__", ""))
def test_catalog_defaults_are_seeded(model, slugs):
    present = _default_slugs(model)
    assert slugs <= present, slugs - present
    assert model.objects.filter(district__isnull=True, active=True).count() >= len(slugs)


@pytest.mark.django_db
def test_platforms_have_reporting_routes():
    platforms = list(Platform.objects.filter(district__isnull=True))
    assert platforms  # the migrations seed them: an empty catalog must not pass
    for platform in platforms:
        assert platform.reporting_route.strip(), platform.slug
        assert platform.category in Platform.Category.values
        assert not platform.reporting_url or platform.reporting_url.startswith("https://")


@pytest.mark.django_db
def test_take_it_down_act_flag():
    platforms = {p.slug: p for p in Platform.objects.filter(district__isnull=True)}
    for slug in COVERED_PLATFORMS:
        assert platforms[slug].take_it_down_act_covered, slug
    for slug in NOT_COVERED_PLATFORMS:
        assert not platforms[slug].take_it_down_act_covered, slug
        assert "review" in platforms[slug].description
    # The 48-hour clock is explained on the field itself.
    help_text = Platform._meta.get_field("take_it_down_act_covered").help_text
    assert "48 hours" in help_text


@pytest.mark.django_db
def test_hash_programs_where_known():
    known = set(
        Platform.objects.filter(
            district__isnull=True, participates_in_hash_programs=True
        ).values_list("slug", flat=True)
    )
    assert {"facebook", "instagram", "tiktok", "snapchat", "reddit"} <= known
    assert not known & NOT_COVERED_PLATFORMS


@pytest.mark.django_db
def test_take_it_down_is_for_minors_and_stopncii_for_adults():
    take_it_down = Resource.objects.get(district__isnull=True, slug="take-it-down")
    stopncii = Resource.objects.get(district__isnull=True, slug="stopncii")
    assert take_it_down.audience == Resource.Audience.MINORS
    assert take_it_down.kind == Resource.Kind.TAKEDOWN
    assert take_it_down.url == "https://takeitdown.ncmec.org"
    assert "never leaves" in take_it_down.description
    assert stopncii.audience == Resource.Audience.ADULTS
    assert stopncii.kind == Resource.Kind.TAKEDOWN
    assert stopncii.url == "https://stopncii.org"


@pytest.mark.django_db
def test_hotlines_and_placeholders():
    resources = {r.slug: r for r in Resource.objects.filter(district__isnull=True)}
    assert "1-800-843-5678" in resources["ncmec-hotline"].phone
    assert "1-800-THE-LOST" in resources["ncmec-hotline"].phone
    assert resources["cybertipline"].url == "https://report.cybertip.org"
    assert resources["cybertipline"].audience == Resource.Audience.MINORS
    assert resources["crisis-line"].phone == "988"
    for slug in ("district-counseling", "employee-assistance"):
        assert resources[slug].is_placeholder, slug
        assert resources[slug].phone == ""
        assert resources[slug].kind == Resource.Kind.COUNSELING
    assert resources["employee-assistance"].audience == Resource.Audience.ADULTS
    assert "fill in" in resources["district-counseling"].description


@pytest.mark.django_db
def test_measures_have_their_kind():
    kinds = dict(Measure.objects.filter(district__isnull=True).values_list("slug", "kind"))
    for slug in SUPPORTIVE_SLUGS:
        assert kinds[slug] == Measure.Kind.SUPPORTIVE, slug
    for slug in INTERIM_SLUGS:
        assert kinds[slug] == Measure.Kind.INTERIM, slug


@pytest.mark.django_db
def test_student_interventions_named_by_the_guidance():
    student = {i.slug: i for i in StudentIntervention.objects.filter(district__isnull=True)}
    assert set(student) >= STUDENT_INTERVENTIONS
    for slug in STUDENT_INTERVENTIONS:
        assert student[slug].track == Intervention.Track.STUDENT, slug
    assert student["student-suspension"].exclusionary
    assert student["expulsion"].exclusionary
    assert not student["restorative-justice"].exclusionary
    via_selector = set(
        selectors.interventions_for_track(district=None, track="student").values_list(
            "slug", flat=True
        )
    )
    assert via_selector == STUDENT_INTERVENTIONS


@pytest.mark.django_db
def test_employee_corrective_actions_named_by_the_guidance():
    employee = {i.slug: i for i in EmployeeCorrectiveAction.objects.filter(district__isnull=True)}
    assert set(employee) >= EMPLOYEE_ACTIONS
    for slug in EMPLOYEE_ACTIONS:
        assert employee[slug].track == Intervention.Track.EMPLOYEE, slug
    assert employee["employee-suspension"].exclusionary
    assert employee["termination"].exclusionary
    assert employee["termination"].requires_licensing_report
    assert employee["licensing-report"].requires_licensing_report
    via_selector = set(
        selectors.interventions_for_track(district=None, track="employee").values_list(
            "slug", flat=True
        )
    )
    assert via_selector == EMPLOYEE_ACTIONS


@pytest.mark.django_db
def test_obligations_for_a_minor_depicted_have_deadlines():
    minor = ReportingObligation.objects.filter(
        district__isnull=True, trigger=ReportingObligation.Trigger.MINOR_DEPICTED
    )
    kinds = set(minor.values_list("agency_kind", flat=True))
    assert {"child_protection", "cybertipline"} <= kinds
    # The deadlines are the generic reporting profile's, one line per shared obligation
    lines = {
        line.obligation.slug: line
        for line in ReportingProfile.objects.get(district__isnull=True).lines.all()
    }
    for obligation in minor:
        assert lines[obligation.slug].deadline_hours > 0
    obligations = {o.slug: o for o in ReportingObligation.objects.filter(district__isnull=True)}
    assert set(lines) == set(obligations)
    assert obligations["cybertipline-report"].url == "https://report.cybertip.org"
    assert "2258A" in obligations["cybertipline-report"].legal_basis
    assert obligations["law-enforcement-authentic-minor"].trigger == "authentic_minor"
    assert obligations["law-enforcement-synthetic-minor"].trigger == "synthetic_minor"
    assert "1466A" in obligations["law-enforcement-synthetic-minor"].legal_basis
    assert obligations["law-enforcement-adult-respondent-minor"].trigger == (
        "adult_respondent_minor"
    )
    assert obligations["law-enforcement-sextortion"].trigger == "sextortion"
    assert obligations["licensing-body-report"].trigger == "employee_respondent"
    assert lines["licensing-body-report"].deadline_hours == 720
    assert "vary by state" in obligations["child-protection-report"].legal_basis


@pytest.mark.django_db
def test_seeding_is_recorded_in_history():
    platform = Platform.objects.get(district__isnull=True, slug="snapchat")
    assert platform.history.filter(history_type="+").exists()


# --- selectors -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_selectors_return_own_rows_with_defaults_and_not_other_districts(districts):
    mine, other = districts
    rows = [
        (
            selectors.platforms_for_district,
            Platform,
            {"category": "social", "reporting_route": "In-app report."},
        ),
        (selectors.resources_for_district, Resource, {"kind": "counseling"}),
        (selectors.measures_for_district, Measure, {"kind": "supportive"}),
        (
            lambda district: ReportingObligation.objects.for_district(district),
            ReportingObligation,
            {
                "agency": "County sheriff",
                "agency_kind": "law_enforcement",
                "trigger": "sextortion",
            },
        ),
    ]
    for select, model, extra in rows:
        model.objects.create(district=mine, name="Ours", slug="ours", **extra)
        model.objects.create(district=other, name="Theirs", slug="theirs", **extra)
        slugs = set(select(district=mine).values_list("slug", flat=True))
        assert "ours" in slugs, model.__name__
        assert "theirs" not in slugs, model.__name__
        assert _default_slugs(model) <= slugs, model.__name__
        defaults_only = set(select(district=None).values_list("slug", flat=True))
        assert "ours" not in defaults_only
        assert "theirs" not in defaults_only

    Intervention.objects.create(district=mine, name="Ours", slug="ours", track="student")
    Intervention.objects.create(district=other, name="Theirs", slug="theirs", track="student")
    Intervention.objects.create(district=mine, name="Staff", slug="staff", track="employee")
    student = set(
        selectors.interventions_for_track(district=mine, track="student").values_list(
            "slug", flat=True
        )
    )
    assert student == STUDENT_INTERVENTIONS | {"ours"}


@pytest.mark.django_db
def test_a_district_row_with_a_default_slug_replaces_it_for_that_district(districts):
    mine, theirs = districts
    Platform.objects.create(
        district=mine,
        name="Snapchat (district contact)",
        slug="snapchat",
        category="social",
        reporting_route="Call the district's Snap liaison.",
    )
    names = set(
        selectors.platforms_for_district(district=mine)
        .filter(slug="snapchat")
        .values_list("name", flat=True)
    )
    assert names == {"Snapchat (district contact)"}
    # ... and only for that district
    others = selectors.platforms_for_district(district=theirs).filter(slug="snapchat")
    assert set(others.values_list("name", flat=True)) == {"Snapchat"}


@pytest.mark.django_db
def test_deactivated_rows_are_excluded(districts):
    mine, _ = districts
    Platform.objects.filter(district__isnull=True, slug="telegram").update(active=False)
    Resource.objects.create(
        district=mine, name="Old line", slug="old-line", kind="hotline", active=False
    )
    Measure.objects.filter(district__isnull=True, slug="device-restriction").update(active=False)
    Intervention.objects.filter(district__isnull=True, slug="detention").update(active=False)
    ReportingObligation.objects.filter(
        district__isnull=True, slug="law-enforcement-sextortion"
    ).update(active=False)

    assert "telegram" not in set(
        selectors.platforms_for_district(district=mine).values_list("slug", flat=True)
    )
    assert "old-line" not in set(
        selectors.resources_for_district(district=mine).values_list("slug", flat=True)
    )
    assert "device-restriction" not in set(
        selectors.measures_for_district(district=mine).values_list("slug", flat=True)
    )
    assert "detention" not in set(
        selectors.interventions_for_track(district=mine, track="student").values_list(
            "slug", flat=True
        )
    )
    assert "law-enforcement-sextortion" not in set(
        ReportingObligation.objects.for_district(mine).values_list("slug", flat=True)
    )


@pytest.mark.django_db
def test_resources_by_audience():
    minors = set(
        selectors.resources_for_district(district=None, audience="minors").values_list(
            "slug", flat=True
        )
    )
    adults = set(
        selectors.resources_for_district(district=None, audience="adults").values_list(
            "slug", flat=True
        )
    )
    everyone = set(
        selectors.resources_for_district(district=None, audience="all").values_list(
            "slug", flat=True
        )
    )
    assert {"take-it-down", "cybertipline", "ncmec-hotline", "crisis-line"} <= minors
    assert "stopncii" not in minors
    assert "employee-assistance" not in minors
    assert {"stopncii", "employee-assistance", "ncmec-hotline", "crisis-line"} <= adults
    assert "take-it-down" not in adults
    assert everyone <= minors & adults
    assert "take-it-down" not in everyone and "stopncii" not in everyone
    with pytest.raises(ValueError):
        selectors.resources_for_district(district=None, audience="teachers")


@pytest.mark.django_db
def test_measures_by_kind():
    supportive = set(
        selectors.measures_for_district(district=None, kind="supportive").values_list(
            "slug", flat=True
        )
    )
    interim = set(
        selectors.measures_for_district(district=None, kind="interim").values_list(
            "slug", flat=True
        )
    )
    assert supportive == SUPPORTIVE_SLUGS
    assert interim == INTERIM_SLUGS
    with pytest.raises(ValueError):
        selectors.measures_for_district(district=None, kind="punitive")


@pytest.mark.django_db
def test_each_supportive_measure_names_the_parties_it_is_for():
    audience = dict(
        Measure.objects.filter(district__isnull=True, kind="supportive").values_list(
            "slug", "audience"
        )
    )
    assert audience["counseling"] == audience["no-contact-directive"] == "any"
    assert audience["safety-plan"] == "complainant"
    assert audience["respondent-counseling-and-education"] == "respondent"
    assert audience["witness-check-in"] == "witness"


@pytest.mark.django_db
def test_unknown_track_is_refused():
    with pytest.raises(ValueError):
        selectors.interventions_for_track(district=None, track="volunteer")


# --- the migration's reverse ---------------------------------------------------------------


def _seeded_default_count():
    total = sum(
        model.objects.filter(district__isnull=True, slug__in=slugs).count()
        for model, slugs in SEEDED
    )
    return total + Definition.objects.filter(slug__in=DEFINITION_SLUGS).count()


def _policies_migrations_back_to_initial():
    """The policies migrations ``migrate policies 0001_initial`` unapplies, in its order."""
    plan = MigrationExecutor(connection).migration_plan([("policies", "0001_initial")])
    return [m for m, backwards in plan if backwards and m.app_label == "policies"]


@pytest.mark.postgres
@pytest.mark.django_db
def test_reverse_migration_removes_only_the_seeded_rows():
    """Unapplies the policies migrations back to 0001 and applies them again, each against the
    project state it was written for, as ``migrate`` does, inside the test's transaction:
    PostgreSQL rolls the schema changes back with it. The other apps' later migrations stay
    applied (unapplying them as well, as ``migrate policies 0001_initial`` would, took ten
    minutes of the suite and tests nothing of the catalogs); their foreign keys to dropped
    catalog tables go with the tables (``DROP TABLE ... CASCADE``) until the rollback."""
    # Given the catalogs as the migrations seed them, and a district's own rows beside them
    district = District.objects.create(name="Lincoln Unified", slug="lincoln-rev", state="IL")
    Platform.objects.create(
        district=district,
        name="Snapchat (ours)",
        slug="snapchat",
        category="social",
        reporting_route="Call our liaison.",
    )
    Resource.objects.create(district=district, name="Our counselor", slug="ours", kind="counseling")
    expected = sum(len(slugs) for _, slugs in SEEDED) + len(DEFINITION_SLUGS)
    assert _seeded_default_count() == expected
    loader = MigrationLoader(connection)
    migrations = _policies_migrations_back_to_initial()
    assert [m.name for m in migrations][-1] == "0002_seed_policy_catalogs"

    with as_owner(triggers_off=False), connection.schema_editor(atomic=False) as editor:
        # (the foreign keys checked at once: PostgreSQL alters no table with checks pending)
        editor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        # When they are unapplied, newest first
        for migration in migrations:
            # (both take the state before the migration, as the executor passes them)
            state = loader.project_state((migration.app_label, migration.name), at_end=False)
            migration.unapply(state, editor)
        # Then every seeded row is gone and a district's own rows stay, even one that reuses
        # a default slug
        assert _seeded_default_count() == 0
        assert not PolicyVersion.objects.filter(version="2025").exists()
        assert Platform.objects.filter(district=district, slug="snapchat").exists()
        assert Resource.objects.filter(district=district, slug="ours").exists()

        # And applied again, oldest first, they seed each row once more
        for migration in reversed(migrations):
            state = loader.project_state((migration.app_label, migration.name), at_end=False)
            migration.apply(state, editor)
    assert _seeded_default_count() == expected
    assert PolicyVersion.objects.filter(version="2025").count() == 1
