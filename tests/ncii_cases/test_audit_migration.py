"""Rows written before the keyed chains existed (migration 0012_audit_keys_history_chain) keep
verifying afterwards: event rows with their unkeyed SHA-256 under the legacy key id, history and
verification rows chained by the migration the same way; new rows continue the chains keyed."""

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from ncii_cases.audit import CASE_EVENT_CHAIN, audit_verify, case_event_record, row_hash_compute
from ncii_cases.audit_keys import LEGACY_KEY_ID

BEFORE = ("ncii_cases", "0011_reminders_as_case_events")


def migrate(targets):
    """Migrates the database to ``targets`` and returns the historical apps of that state."""
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def state_before(app, name):
    """The targets of the state just before migration ``(app, name)``: every migration of the
    app that is not it or a later one (the sibling branches merged beside it stay applied, so the
    state must hold their columns too, e.g. ``Case.harm_rank`` NOT NULL)."""
    from django.db.migrations.loader import MigrationLoader

    graph = MigrationLoader(None, ignore_no_migrations=True).graph
    later = set(graph.backwards_plan((app, name)))
    kept = {n for n in graph.nodes if n[0] == app and n not in later}
    return sorted(n for n in kept if not any(c.key in kept for c in graph.node_map[n].children))


@pytest.fixture
def migrated_forward_after():
    """Leaves the database migrated to the end whatever the test does, so the tests that
    follow find today's schema even when a test fails while the database is at an old state."""
    yield
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())


# The rows below are written with the migration state's historical models
# (``old.get_model``), as the migration under test sees them: the factories build today's
# models, whose fields and saves (history, events) the old schema does not have.


def history_created(old, instance, now):
    """The "+" history row simple-history would have written for the instance."""
    model = type(instance)
    history = old.get_model("ncii_cases", f"Historical{model.__name__}")
    names = {f.attname for f in history._meta.concrete_fields}
    values = {
        f.attname: getattr(instance, f.attname)
        for f in model._meta.concrete_fields
        if f.attname in names
    }
    history.objects.create(**values, history_date=now, history_type="+")


# The migration that first chained the history tables: rows written before a later column was
# added were hashed without it.
CHAINED_SINCE = ("ncii_cases", "0012_audit_keys_history_chain")


def test_every_column_added_to_a_chained_table_since_has_a_fill_value():
    """A column added to a chained table after its rows were hashed must have a value older
    rows are filled with that the verifier knows (a default, NULL, "" for text): the second
    reading of a row leaves such columns out (``audit.row_hash_matches``). A column without
    one would make every older row fail verification after the upgrade."""
    from django.db.migrations.loader import MigrationLoader

    from ncii_cases.audit import _NO_DEFAULT, _field_fill, history_models

    state = MigrationLoader(None, ignore_no_migrations=True).project_state([CHAINED_SINCE])
    wrong, added = [], []
    for model in history_models():
        key = ("ncii_cases", model._meta.model_name)
        if key not in state.models:
            continue  # a table created later: it has no older rows
        before = set(state.models[key].fields)
        for field in model._meta.concrete_fields:
            if field.name not in before:
                added.append(field.name)
                if _field_fill(field) is _NO_DEFAULT:
                    wrong.append(f"{model.__name__}.{field.name}")
    assert "withdrawn_reason" in added  # the check sees the columns added since
    assert wrong == [], "give these a fixed default: " + ", ".join(wrong)


CORRECTIONS = ("ncii_cases", "0015_case_record_corrections")
SPLIT = ("ncii_cases", "0022_audit_chains_per_district")


def history_chained(old, instance, now):
    """The "+" history row as the application wrote it since 0012: chained by its own save."""
    from ncii_cases.audit import history_chain_name, history_row_append

    model = type(instance)
    history = old.get_model("ncii_cases", f"Historical{model.__name__}")
    # The head as the schema of then holds it (today's model has a later column).
    old.get_model("ncii_cases", "AuditChainHead").objects.get_or_create(
        chain=history_chain_name(history)
    )
    names = {f.attname for f in history._meta.concrete_fields}
    row = history(
        **{
            f.attname: getattr(instance, f.attname)
            for f in model._meta.concrete_fields
            if f.attname in names
        },
        history_date=now,
        history_type="+",
    )
    history_row_append(row, lambda: row.save_base(raw=True, force_insert=True))


@pytest.mark.django_db(transaction=True)
def test_rows_written_under_each_older_schema_verify_after_the_upgrade(migrated_forward_after):
    """One upgrade from before migration 0012 to today, with rows written on the way as the
    application of each older schema wrote them: before the keyed chains (0012), before the
    record corrections' columns (0015) and before the chains per district (0022). One trip back
    and forward for the three (each trip takes minutes), each stage's rows its own district's."""
    # Given rows written before 0012, before 0015 and before 0022, in that order
    legacy = _written_before_the_keys(migrate([BEFORE]))
    _written_before_the_record_corrections(migrate(state_before(*CORRECTIONS)))
    split = _written_before_the_split_by_district(migrate(state_before(*SPLIT)))

    # When the migrations run to the end
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())

    # Then each stage's rows verify, and new rows continue as today's application writes them
    _legacy_rows_keep_the_legacy_key_and_new_rows_are_keyed(legacy)
    _closed_chains_end_where_they_ended_and_districts_chain_their_own(split)
    reports = audit_verify()
    assert [r.problems for r in reports if r.problems] == []
    # And a value written into a column added by 0015 is still caught on the older rows
    from ncii_cases.models import CaseParty

    CaseParty.history.model.objects.update(withdrawn_reason="Rewritten later")
    problems = [p for r in audit_verify() for p in r.problems]
    assert any("historicalcaseparty" in p and "altered" in p for p in problems), problems


def _written_before_the_keys(old) -> str:
    """Before 0012: a case, its history rows (unchained then) and two events chained the old
    way (unkeyed SHA-256). Returns the case's reference."""
    district = old.get_model("ncii_cases", "District").objects.create(
        name="Legacy District", slug="legacy", state="IL"
    )
    school = old.get_model("ncii_cases", "School").objects.create(
        district=district, name="Legacy School", code="legacy"
    )
    now = timezone.now()
    case = old.get_model("ncii_cases", "Case").objects.create(
        district=district,
        school=school,
        reference="NCII-2025-0001",
        title="Legacy case",
        narrative="Recorded before the keyed chains.",
        reported_at=now - dt.timedelta(days=30),
        stage_entered_at=now - dt.timedelta(days=30),
    )
    for instance in (district, school, case):
        history_created(old, instance, now)
    event_model = old.get_model("ncii_cases", "CaseEvent")
    previous = ""
    for reason in ("first", "second"):
        event = event_model(case_id=case.pk, event_type="note", reason=reason, detail={})
        event.created_at, event.prev_hash = now, previous
        event.row_hash = previous = row_hash_compute(CASE_EVENT_CHAIN, event)
        event.save()
    # (migration 0003 left an empty head for the chain)
    old.get_model("ncii_cases", "AuditChainHead").objects.update_or_create(
        chain=CASE_EVENT_CHAIN, defaults={"last_hash": previous, "count": 2}
    )
    return case.reference


def _legacy_rows_keep_the_legacy_key_and_new_rows_are_keyed(reference: str) -> None:
    from ncii_cases.models import Case, CaseEvent

    case = Case.objects.get(reference=reference)
    assert set(case.events.values_list("key_id", flat=True)) == {LEGACY_KEY_ID}
    assert Case.history.model.objects.get(reference=reference).ncii_key_id == LEGACY_KEY_ID
    case_event_record(case=case, actor=None, event_type="note", reason="third")
    assert CaseEvent.objects.order_by("pk").last().key_id == "test"


def _written_before_the_record_corrections(old) -> None:
    """Before 0015 (which added correctable columns, a withdrawal's reason, several
    affiliations, to parties, measures and other records): a case with a party, their history
    rows chained by the application's own save."""
    district = old.get_model("ncii_cases", "District").objects.create(
        name="Legacy District B", slug="legacy-b", state="IL"
    )
    school = old.get_model("ncii_cases", "School").objects.create(
        district=district, name="Legacy School B", code="legacy-b"
    )
    now = timezone.now()
    case = old.get_model("ncii_cases", "Case").objects.create(
        district=district,
        school=school,
        reference="NCII-2025-0002",
        title="Case with a party",
        narrative="Recorded before corrections existed.",
        reported_at=now - dt.timedelta(days=3),
        stage_entered_at=now - dt.timedelta(days=3),
    )
    person = old.get_model("ncii_cases", "Person").objects.create(
        district=district, first_name="Legacy", last_name="Person", affiliation="student"
    )
    party = old.get_model("ncii_cases", "CaseParty").objects.create(
        case=case, person=person, role="depicted", affiliation="student"
    )
    for instance in (district, school, case, person, party):
        history_chained(old, instance, now)


def _written_before_the_split_by_district(old) -> dict:
    """Before 0022: two districts' timeline events and access entries interleaved in the one
    installation-wide chain of each (after the rows already there). Returns each chain's last
    hash, count and last id, and the two cases' references."""
    from ncii_cases.audit import ACCESS_EVENT_CHAIN, row_sign

    now = timezone.now()
    cases = []
    for code in ("north", "south"):
        district = old.get_model("ncii_cases", "District").objects.create(
            name=f"District {code}", slug=code, state="IL"
        )
        school = old.get_model("ncii_cases", "School").objects.create(
            district=district, name=f"School {code}", code=code
        )
        case = old.get_model("ncii_cases", "Case").objects.create(
            district=district,
            school=school,
            reference=f"NCII-2026-{code}",
            title="Case before the split",
            narrative="Recorded before the per-district chains.",
            reported_at=now,
            stage_entered_at=now,
        )
        for instance in (district, school, case):
            history_chained(old, instance, now)
        cases.append(case)
    event_model = old.get_model("ncii_cases", "CaseEvent")
    access_model = old.get_model("ncii_cases", "AccessEvent")
    heads = old.get_model("ncii_cases", "AuditChainHead").objects
    chains = (CASE_EVENT_CHAIN, ACCESS_EVENT_CHAIN)
    last, count = {}, {}
    for chain in chains:
        head = heads.filter(chain=chain).first()
        last[chain], count[chain] = (head.last_hash, head.count) if head else ("", 0)
    for i in range(4):
        case = cases[i % 2]
        event = event_model(
            case_id=case.pk, event_type="note", reason=f"n{i}", detail={}, created_at=now
        )
        last[CASE_EVENT_CHAIN] = row_sign(CASE_EVENT_CHAIN, event, last[CASE_EVENT_CHAIN])
        event.save()
        access = access_model(
            district_id=case.district_id, action="case_detail", path=f"/{i}", allowed=True
        )
        access.created_at, access.method = now, "GET"
        last[ACCESS_EVENT_CHAIN] = row_sign(ACCESS_EVENT_CHAIN, access, last[ACCESS_EVENT_CHAIN])
        access.save()
    for chain in chains:
        count[chain] += 4
        heads.update_or_create(
            chain=chain, defaults={"last_hash": last[chain], "count": count[chain]}
        )
    last_ids = {
        CASE_EVENT_CHAIN: event_model.objects.order_by("pk").last().pk,
        ACCESS_EVENT_CHAIN: access_model.objects.order_by("pk").last().pk,
    }
    return {
        "last": last,
        "count": count,
        "last_ids": last_ids,
        "cases": [c.reference for c in cases],
    }


def _closed_chains_end_where_they_ended_and_districts_chain_their_own(split: dict) -> None:
    """After 0022 each district appends to its own chains: no old row was rewritten, the
    closed installation-wide chains end where they ended and verify unchanged."""
    from django.contrib.auth.models import AnonymousUser

    from ncii_cases.audit import (
        ACCESS_EVENT_CHAIN,
        DISTRICT_CHAINED,
        access_event_record,
        chain_family,
        chain_rows,
        district_chain_name,
    )
    from ncii_cases.models import AccessEvent, AuditChainHead, Case, CaseEvent

    cases = list(Case.objects.filter(reference__in=split["cases"]).order_by("pk"))
    for case in cases:
        case_event_record(case=case, actor=None, event_type="note", reason="after")
    access_event_record(user=AnonymousUser(), action="x", path="/after", allowed=False)

    last, count, last_ids = split["last"], split["count"], split["last_ids"]
    for chain, model in ((CASE_EVENT_CHAIN, CaseEvent), (ACCESS_EVENT_CHAIN, AccessEvent)):
        head = AuditChainHead.objects.get(chain=chain)
        assert (head.count, head.last_hash, head.closed_at_id) == (
            count[chain],
            last[chain],
            last_ids[chain],
        )
        assert [r.row_hash for r in chain_rows(chain).order_by("pk")][-1] == last[chain]
        assert model.objects.filter(pk__gt=last_ids[chain]).exists()
    for case in cases:
        rows = list(chain_rows(district_chain_name(CASE_EVENT_CHAIN, case.district_id)))
        assert [r.reason for r in rows] == ["after"]
    reports = {r.chain: r for r in audit_verify() if chain_family(r.chain) in DISTRICT_CHAINED}
    assert [r.problems for r in reports.values() if r.problems] == []
    # (the two legacy events before the split's four)
    assert (reports[CASE_EVENT_CHAIN].rows, reports[ACCESS_EVENT_CHAIN].rows) == (2 + 4, 4)
