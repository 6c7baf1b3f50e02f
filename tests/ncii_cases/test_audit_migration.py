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
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


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


@pytest.mark.django_db(transaction=True)
def test_rows_from_before_the_keys_verify_after_the_migration():
    # Given a database before migration 0008 with a case, its history row and two events
    # chained the old way (unkeyed SHA-256)
    old = migrate([BEFORE])
    district = old.get_model("ncii_cases", "District").objects.create(
        name="Legacy District", slug="legacy", state="IL"
    )
    school = old.get_model("ncii_cases", "School").objects.create(
        district=district, name="Legacy School", code="legacy"
    )
    now = timezone.now()
    case_model = old.get_model("ncii_cases", "Case")
    case = case_model.objects.create(
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

    # When the migrations run to the end
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())

    # Then the old rows carry the legacy key id and verify, and a new row continues keyed
    from ncii_cases.models import Case, CaseEvent

    assert set(CaseEvent.objects.values_list("key_id", flat=True)) == {LEGACY_KEY_ID}
    assert Case.history.model.objects.get().ncii_key_id == LEGACY_KEY_ID
    case_event_record(case=Case.objects.get(), actor=None, event_type="note", reason="third")
    assert CaseEvent.objects.order_by("pk").last().key_id == "test"
    reports = audit_verify()
    assert [r.problems for r in reports if r.problems] == []
