"""Keys, checkpoints, the deployment checks and the notifications of the audit record."""

import io
import json

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command

from ncii_cases.audit import (
    CASE_EVENT_CHAIN,
    audit_verify,
    case_event_record,
    chain_specs,
    district_chain_name,
    row_hash_compute,
)
from ncii_cases.audit_checkpoints import checkpoint_latest, checkpoint_names, checkpoint_write
from ncii_cases.audit_keys import LEGACY_KEY_ID
from ncii_cases.checks import audit_key_check, audit_tables_role_check
from ncii_cases.events import EventType
from ncii_cases.models import Case, CaseEvent

OLD_KEY = "an-older-audit-key-kept-for-verification-0123456789"


def chain_report(chain):
    return {r.chain: r for r in audit_verify()}[chain]


def test_a_key_rotated_out_still_verifies_the_rows_it_signed(settings, case, coordinator):
    # Given rows signed with an older key (and the fixture's rows with the test key)
    test_keys = dict(settings.AUDIT_HMAC_KEYS)
    settings.AUDIT_HMAC_KEYS = {**test_keys, "old": OLD_KEY}
    settings.AUDIT_HMAC_KEY_ID = "old"
    first = case_event_record(case=case, actor=coordinator, event_type="note")
    # When a new key becomes current and the old one is kept for verification
    settings.AUDIT_HMAC_KEYS = {
        **test_keys,
        "old": OLD_KEY,
        "new": "a-new-audit-key-0123456789abcdef-0123456789",
    }
    settings.AUDIT_HMAC_KEY_ID = "new"
    second = case_event_record(case=case, actor=coordinator, event_type="note")
    # Then each row names its own key and the chain verifies across the rotation
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.key_id, second.key_id) == ("old", "new")
    assert chain_report(district_chain_name(CASE_EVENT_CHAIN, case.district_id)).ok


def test_a_key_that_is_no_longer_configured_is_named(settings, case, coordinator):
    test_keys = dict(settings.AUDIT_HMAC_KEYS)
    settings.AUDIT_HMAC_KEYS = {**test_keys, "old": OLD_KEY}
    settings.AUDIT_HMAC_KEY_ID = "old"
    event = case_event_record(case=case, actor=coordinator, event_type="note")
    # The old key is dropped from the settings
    settings.AUDIT_HMAC_KEYS = test_keys
    settings.AUDIT_HMAC_KEY_ID = "test"
    chain = district_chain_name(CASE_EVENT_CHAIN, case.district_id)
    report = chain_report(chain)
    assert f"{chain} {event.pk}: signed with an unknown key (old)" in report.problems


def test_the_hash_is_keyed_so_the_same_row_under_another_key_differs(settings, case):
    event = case_event_record(case=case, actor=None, event_type="note")
    settings.AUDIT_HMAC_KEYS = {"test": "another-key-entirely-0123456789abcdef-0123456789"}
    assert row_hash_compute(CASE_EVENT_CHAIN, event) != event.row_hash


def test_nothing_is_written_unsigned_without_a_key(settings, case):
    before = CaseEvent.objects.count()
    settings.AUDIT_HMAC_KEYS = {}
    with pytest.raises(ImproperlyConfigured, match="AUDIT_HMAC_KEY"):
        case_event_record(case=case, actor=None, event_type="note")
    assert CaseEvent.objects.count() == before


def test_legacy_rows_before_the_keyed_rows_verify(school):
    """Rows chained before keys existed keep their unkeyed SHA-256 (migration 0008), in the
    installation-wide chain closed when each district got its own (migration 0022)."""
    from tests.factories import CaseFactory

    case = CaseFactory(school=school)
    legacy = CaseEvent(case=case, event_type="note", detail={}, created_at=case.reported_at)
    legacy.prev_hash, legacy.key_id = "", LEGACY_KEY_ID
    legacy.row_hash = row_hash_compute(CASE_EVENT_CHAIN, legacy)
    legacy.save(force_insert=True)
    from ncii_cases.models import AuditChainHead

    assert CaseEvent.objects.count() == 1
    AuditChainHead.objects.update_or_create(
        chain=CASE_EVENT_CHAIN,
        defaults={"last_hash": legacy.row_hash, "count": 1, "closed_at_id": legacy.pk},
    )
    case_event_record(case=case, actor=None, event_type="note")
    assert chain_report(CASE_EVENT_CHAIN).ok
    assert chain_report(district_chain_name(CASE_EVENT_CHAIN, case.district_id)).ok


def test_an_unkeyed_row_in_a_districts_chain_is_forged(foreign_case):
    """A district's chain began after the keys: an unkeyed row there is a forgery, even as
    the only row of a district's chain with a head made to match."""
    from ncii_cases.models import AuditChainHead

    case = foreign_case
    chain = district_chain_name(CASE_EVENT_CHAIN, case.district_id)
    assert not CaseEvent.objects.filter(case__district=case.district).exists()
    forged = CaseEvent(case=case, event_type="note", detail={}, created_at=case.reported_at)
    forged.prev_hash, forged.key_id = "", LEGACY_KEY_ID
    forged.row_hash = row_hash_compute(chain, forged)
    forged.save(force_insert=True)
    AuditChainHead.objects.update_or_create(
        chain=chain, defaults={"last_hash": forged.row_hash, "count": 1}
    )
    report = chain_report(chain)
    assert f"{chain} {forged.pk}: forged (an unkeyed row after keyed rows)" in report.problems


def test_a_history_column_added_later_does_not_change_older_hashes(case):
    """A field holding its default is left out of a history row's hash, as a column added by a
    later migration holds its default in older rows."""
    row = Case.history.model.objects.order_by("pk").last()
    chain = "history.historicalcase"
    before = row_hash_compute(chain, row)
    spec = chain_specs()[chain]
    from dataclasses import replace

    widened = replace(
        spec,
        fields=(*spec.fields, "later_flag"),
        defaults=(*spec.defaults, False),
        fills=(*spec.fills, False),
    )
    row.later_flag = False
    chain_specs()[chain] = widened
    try:
        assert row_hash_compute(chain, row) == before
        row.later_flag = True
        assert row_hash_compute(chain, row) != before
    finally:
        chain_specs()[chain] = spec


# --- Checkpoints ------------------------------------------------------------------------------


def test_the_checkpoint_command_writes_one_and_verify_uses_it(case):
    out = io.StringIO()
    call_command("audit_checkpoint", stdout=out)
    name = checkpoint_names()[-1]
    assert f"Checkpoint {name} written" in out.getvalue()
    verify = io.StringIO()
    call_command("verify_audit", stdout=verify)
    assert f"Compared with checkpoint {name}" in verify.getvalue()


def test_without_a_checkpoint_verify_says_so(case):
    out = io.StringIO()
    call_command("verify_audit", stdout=out)
    assert "No checkpoint yet" in out.getvalue()


def test_checkpoints_can_go_to_any_django_storage(settings, tmp_path, case):
    settings.STORAGES = {
        **settings.STORAGES,
        "audit_archive": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "archive")},
        },
    }
    settings.AUDIT_CHECKPOINT_STORAGE = "audit_archive"
    checkpoint = checkpoint_write()
    stored = tmp_path / "archive" / "audit-checkpoints" / checkpoint.name
    assert json.loads(stored.read_text())["chains"]["history.historicalcase"]["count"] >= 1
    assert checkpoint_latest()[0].name == checkpoint.name


def test_the_checkpoint_task_is_scheduled_hourly_and_writes_one(case):
    from ncii_cases.tasks import audit_checkpoint_write

    entry = settings.CELERY_BEAT_SCHEDULE["audit-checkpoint"]
    assert entry["task"] == audit_checkpoint_write.name
    result = audit_checkpoint_write.delay().get()
    assert result == {"checkpoint": checkpoint_names()[-1], "problems": 0}


# --- Deployment checks ------------------------------------------------------------------------


def test_the_deploy_check_fails_without_an_audit_key(settings):
    settings.AUDIT_HMAC_KEYS = {}
    assert [e.id for e in audit_key_check()] == ["ncii.E001"]


def test_the_deploy_check_fails_with_a_short_audit_key(settings):
    settings.AUDIT_HMAC_KEYS = {settings.AUDIT_HMAC_KEY_ID: "short"}
    assert [e.id for e in audit_key_check()] == ["ncii.E002"]


def test_the_deploy_check_passes_with_a_key(settings):
    assert audit_key_check() == []


def test_the_role_check_skips_sqlite(db):
    from django.db import connection

    if connection.vendor != "sqlite":
        pytest.skip("the PostgreSQL side is tested in test_audit_tamper.py")
    assert audit_tables_role_check() == []


# --- Notifications ----------------------------------------------------------------------------


def test_a_stage_change_notice_is_a_case_event_naming_who_was_told(case, coordinator, investigator):
    from ncii_cases.tasks import transition_notify
    from ncii_cases.workflow import case_transition

    case.created_by = coordinator
    case_transition(actor=coordinator, case=case, action="begin_assessment")
    transition = CaseEvent.objects.filter(case=case, event_type=EventType.TRANSITION).last()
    sent = transition_notify(transition.pk)
    assert sent == 1
    notice = CaseEvent.objects.get(case=case, event_type=EventType.NOTIFICATION_SENT)
    assert notice.detail["about_event_id"] == transition.pk
    assert {r["username"] for r in notice.detail["recipients"]} >= {investigator.username}
    assert notice.to_stage == transition.to_stage
