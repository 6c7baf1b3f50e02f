"""The tamper suite: each attack on the audit record, played as the attacker would (raw SQL,
without the audit key), is detected by ``verify_audit`` with the chain and the row named.

Attacks that need rights the application role lacks (UPDATE, DELETE, TRUNCATE) are played as
the tables' owner (on PostgreSQL with the append-only triggers switched off, as an owner can);
the tests marked ``postgres`` show that the application role is refused all of them. The same
attacks run on SQLite in a first run, where there are no roles.
"""

import hashlib
import io
import json
from contextlib import contextmanager

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from ncii_cases import audit
from ncii_cases.audit import (
    VERIFICATION_CHAIN,
    access_event_record,
    audit_verification_run,
    case_event_record,
    chain_rows,
    chain_spec,
    district_chain_name,
)
from ncii_cases.audit_checkpoints import (
    CheckpointRefused,
    checkpoint_latest,
    checkpoint_names,
    checkpoint_storage,
    checkpoint_write,
)
from ncii_cases.audit_keys import LEGACY_KEY_ID
from ncii_cases.models import AuditChainHead, AuditVerification, Case, CaseEvent
from ncii_cases.selectors.audit import audit_verification_for_user
from ncii_cases.services.cases import case_facts_update
from tests.audit_helpers import as_owner as owner

HISTORY_CASE = "history.historicalcase"
# The case timeline and access log chains of the personas' district (each district has its
# own), set for each test by ``_district_chains``.
CASE_EVENT_CHAIN = ACCESS_EVENT_CHAIN = ""


@pytest.fixture(autouse=True)
def _district_chains(district):
    global CASE_EVENT_CHAIN, ACCESS_EVENT_CHAIN
    CASE_EVENT_CHAIN = district_chain_name(audit.CASE_EVENT_CHAIN, district.pk)
    ACCESS_EVENT_CHAIN = district_chain_name(audit.ACCESS_EVENT_CHAIN, district.pk)
    yield


def raw(sql, params=()):
    with owner(), connection.cursor() as cursor:
        cursor.execute(sql, params)


def verify():
    """Runs verify_audit; returns (passed, its output)."""
    out = io.StringIO()
    try:
        call_command("verify_audit", stdout=out)
    except CommandError:
        return False, out.getvalue()
    return True, out.getvalue()


def unkeyed_hash(chain: str, row: dict, prev_hash: str) -> str:
    """What an attacker without the key computes: SHA-256 of the row's content."""
    content = {name: row.get(name) for name in chain_spec(chain).fields}
    content["prev_hash"] = prev_hash
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def head_move(chain: str, last_hash: str, count: int):
    raw(
        "UPDATE ncii_cases_auditchainhead SET last_hash = %s, count = %s WHERE chain = %s",
        [last_hash, count, chain],
    )


@pytest.fixture
def record(case, coordinator, investigator):
    """A case with a timeline, an access log and a change history, all through the app, and
    a checkpoint of it all."""
    case.created_by = coordinator
    case.save()
    for i in range(4):
        case_event_record(case=case, actor=investigator, event_type="note", reason=f"n{i}")
        access_event_record(
            user=coordinator, action="case_detail", path=f"/cases/{case.pk}/?{i}", allowed=True
        )
    case_facts_update(actor=coordinator, case=case, title="Images shared in a chat")
    case_facts_update(actor=coordinator, case=case, title="Images shared in a group chat")
    checkpoint_write()
    return {
        CASE_EVENT_CHAIN: list(
            chain_rows(CASE_EVENT_CHAIN).order_by("pk").values_list("pk", flat=True)
        ),
        ACCESS_EVENT_CHAIN: list(
            chain_rows(ACCESS_EVENT_CHAIN).order_by("pk").values_list("pk", flat=True)
        ),
        HISTORY_CASE: list(Case.history.model.objects.order_by("pk").values_list("pk", flat=True)),
    }


def test_an_untouched_record_verifies_against_its_checkpoint(record):
    ok, out = verify()
    assert ok, out
    assert f"Compared with checkpoint {checkpoint_names()[-1]}" in out
    assert f"{HISTORY_CASE}: {len(record[HISTORY_CASE])} rows, chain intact" in out


def test_every_row_carries_the_current_key_id_and_an_hmac(record):
    row = CaseEvent.objects.order_by("pk").last()
    assert row.key_id == "test" and len(row.row_hash) == 64
    history = Case.history.model.objects.order_by("pk").last()
    assert history.ncii_key_id == "test" and len(history.ncii_hash) == 64


def test_a_checkpoint_is_a_signed_file_outside_the_database(record):
    storage, folder = checkpoint_storage()
    name = checkpoint_names()[-1]
    body = json.loads(storage.open(name).read())
    assert body["key_id"] == "test" and len(body["signature"]) == 64
    entry = body["chains"][CASE_EVENT_CHAIN]
    assert entry["last_id"] == record[CASE_EVENT_CHAIN][-1]
    assert entry["count"] == len(record[CASE_EVENT_CHAIN])
    assert entry["head_hash"] == CaseEvent.objects.get(pk=entry["last_id"]).row_hash


def test_a_second_checkpoint_is_a_new_file_and_the_first_is_kept(record, case, coordinator):
    first = checkpoint_names()
    case_event_record(case=case, actor=coordinator, event_type="note")
    call_command("audit_checkpoint", stdout=io.StringIO())
    assert checkpoint_names()[: len(first)] == first and len(checkpoint_names()) == 2
    latest, problems = checkpoint_latest()
    assert problems == []
    assert latest.chains[CASE_EVENT_CHAIN]["count"] == len(record[CASE_EVENT_CHAIN]) + 1


# --- The case timeline and the access log ----------------------------------------------------


@pytest.mark.parametrize(
    "chain,table,column",
    [
        (audit.CASE_EVENT_CHAIN, "ncii_cases_caseevent", "reason"),
        (audit.ACCESS_EVENT_CHAIN, "ncii_cases_accessevent", "path"),
    ],
)
def test_an_in_place_edit_is_named(record, district, chain, table, column):
    chain = district_chain_name(chain, district.pk)
    target = record[chain][1]
    raw(f"UPDATE {table} SET {column} = 'rewritten' WHERE id = %s", [target])
    ok, out = verify()
    assert not ok and f"{chain} {target}: altered (hash mismatch)" in out


def test_deleting_a_row_in_the_middle_names_the_row_after_the_gap(record):
    ids = record[CASE_EVENT_CHAIN]
    raw("DELETE FROM ncii_cases_caseevent WHERE id = %s", [ids[2]])
    ok, out = verify()
    assert not ok
    assert f"{CASE_EVENT_CHAIN} {ids[3]}: inserted or removed" in out
    assert f"row {ids[1]}" in out


def test_reordering_two_rows_is_named(record):
    a, b = record[ACCESS_EVENT_CHAIN][1:3]
    columns = "path, prev_hash, row_hash, created_at"
    rows = {}
    with connection.cursor() as cursor:
        for pk in (a, b):
            cursor.execute(f"SELECT {columns} FROM ncii_cases_accessevent WHERE id = %s", [pk])
            rows[pk] = cursor.fetchone()
    for pk, other in ((a, b), (b, a)):
        raw(
            "UPDATE ncii_cases_accessevent SET path = %s, prev_hash = %s, row_hash = %s, "
            "created_at = %s WHERE id = %s",
            [*rows[other], pk],
        )
    ok, out = verify()
    assert not ok and f"{ACCESS_EVENT_CHAIN} {a}: inserted or removed" in out


def test_cutting_the_tail_and_moving_the_head_is_caught_by_the_checkpoint(record):
    ids = record[CASE_EVENT_CHAIN]
    raw("DELETE FROM ncii_cases_caseevent WHERE id >= %s", [ids[-2]])
    survivor = CaseEvent.objects.get(pk=ids[-3])
    head_move(CASE_EVENT_CHAIN, survivor.row_hash, len(ids) - 2)
    ok, out = verify()
    assert not ok
    assert f"{CASE_EVENT_CHAIN} {ids[-1]}: removed (cut short: the checkpoint" in out
    assert f"recorded {len(ids)} rows up to row {ids[-1]}" in out


def test_truncating_a_whole_chain_is_caught_by_the_checkpoint(record):
    ids = record[ACCESS_EVENT_CHAIN]
    raw("DELETE FROM ncii_cases_accessevent")
    head_move(ACCESS_EVENT_CHAIN, "", 0)
    ok, out = verify()
    assert not ok
    assert f"{ACCESS_EVENT_CHAIN} {ids[-1]}: removed (cut short" in out
    assert "the chain has 0, ending at no rows left" in out


def test_rewriting_a_case_timeline_with_recomputed_hashes_is_named(record, case):
    """The attacker deletes the timeline and re-inserts it, each row re-hashed (SHA-256 under
    the legacy key id, or anything else: they lack the key) and the head moved."""
    ids = record[CASE_EVENT_CHAIN]
    originals = list(CaseEvent.objects.order_by("pk").values())
    raw("DELETE FROM ncii_cases_caseevent")
    prev = ""
    for row in originals:
        row["reason"] = "nothing happened" if row["event_type"] == "note" else row["reason"]
        row["prev_hash"] = prev
        row["row_hash"] = prev = unkeyed_hash(CASE_EVENT_CHAIN, row, prev)
        raw(
            "INSERT INTO ncii_cases_caseevent (id, case_id, actor_id, event_type, from_stage, "
            "to_stage, reason, detail, created_at, prev_hash, row_hash, key_id) VALUES "
            "(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            [
                row["id"],
                row["case_id"],
                row["actor_id"],
                row["event_type"],
                row["from_stage"],
                row["to_stage"],
                row["reason"],
                json.dumps(row["detail"]),
                row["created_at"],
                row["prev_hash"],
                row["row_hash"],
                LEGACY_KEY_ID,
            ],
        )
    head_move(CASE_EVENT_CHAIN, prev, len(originals))
    ok, out = verify()
    assert not ok
    assert f"{CASE_EVENT_CHAIN} {ids[0]}: altered (hash mismatch)" in out
    assert f"{CASE_EVENT_CHAIN} {ids[-1]}: does not match the checkpoint" in out


def test_a_forged_append_blaming_another_user_is_named(record, case, auditor):
    last = CaseEvent.objects.order_by("pk").last()
    forged = {
        "case_id": case.pk,
        "actor_id": auditor.pk,
        "event_type": "note",
        "from_stage": "",
        "to_stage": "",
        "reason": "Deleted the evidence.",
        "detail": {},
        "created_at": last.created_at.isoformat(),
    }
    forged_hash = unkeyed_hash(CASE_EVENT_CHAIN, forged, last.row_hash)
    raw(
        "INSERT INTO ncii_cases_caseevent (case_id, actor_id, event_type, from_stage, to_stage, "
        "reason, detail, created_at, prev_hash, row_hash, key_id) VALUES "
        "(%s, %s, 'note', '', '', %s, '{}', %s, %s, %s, %s)",
        [case.pk, auditor.pk, forged["reason"], last.created_at, last.row_hash, forged_hash, "k1"],
    )
    new_id = CaseEvent.objects.order_by("pk").last().pk
    head_move(CASE_EVENT_CHAIN, forged_hash, len(record[CASE_EVENT_CHAIN]) + 1)
    ok, out = verify()
    assert not ok and f"{CASE_EVENT_CHAIN} {new_id}: signed with an unknown key (k1)" in out


def test_an_unkeyed_row_after_keyed_rows_is_named_as_forged(record, case):
    last = CaseEvent.objects.order_by("pk").last()
    row = {
        "case_id": case.pk,
        "actor_id": None,
        "event_type": "note",
        "from_stage": "",
        "to_stage": "",
        "reason": "",
        "detail": {},
        "created_at": last.created_at,
    }
    # Exactly as the legacy SHA-256 hashes a row: the attacker knows the algorithm.
    forged = CaseEvent(**row, prev_hash=last.row_hash, key_id=LEGACY_KEY_ID)
    from ncii_cases.audit import row_hash_compute

    forged.row_hash = row_hash_compute(CASE_EVENT_CHAIN, forged)
    with owner():
        forged.save(force_insert=True)
    head_move(CASE_EVENT_CHAIN, forged.row_hash, len(record[CASE_EVENT_CHAIN]) + 1)
    ok, out = verify()
    assert not ok
    assert f"{CASE_EVENT_CHAIN} {forged.pk}: forged (an unkeyed row after keyed rows)" in out


def test_a_checkpoint_is_refused_over_a_chain_that_does_not_verify(record, case):
    raw("UPDATE ncii_cases_caseevent SET reason = 'x' WHERE id = %s", [record[CASE_EVENT_CHAIN][0]])
    case_event_record(case=case, actor=None, event_type="note")
    new_id = CaseEvent.objects.order_by("pk").last().pk
    raw("UPDATE ncii_cases_caseevent SET reason = 'y' WHERE id = %s", [new_id])
    with pytest.raises(CheckpointRefused) as refused:
        checkpoint_write()
    assert f"{CASE_EVENT_CHAIN} {new_id}: altered (hash mismatch)" in refused.value.problems
    assert len(checkpoint_names()) == 1


def test_a_checkpoint_file_changed_by_hand_is_named_and_not_trusted(record):
    storage, _ = checkpoint_storage()
    name = checkpoint_names()[-1]
    path = storage.path(name)
    with open(path) as handle:
        body = json.load(handle)
    body["chains"][CASE_EVENT_CHAIN]["count"] = 1
    with open(path, "w") as handle:
        json.dump(body, handle)
    ok, out = verify()
    assert not ok
    assert f"checkpoint {name}: signature does not verify" in out


# --- The change history -------------------------------------------------------------------


def test_a_history_row_rewritten_is_named(record, investigator):
    target = record[HISTORY_CASE][1]
    raw(
        "UPDATE ncii_cases_historicalcase SET narrative = 'another story', history_user_id = %s "
        "WHERE history_id = %s",
        [investigator.pk, target],
    )
    ok, out = verify()
    assert not ok and f"{HISTORY_CASE} {target}: altered (hash mismatch)" in out


def test_a_history_row_deleted_is_named(record):
    ids = record[HISTORY_CASE]
    raw("DELETE FROM ncii_cases_historicalcase WHERE history_id = %s", [ids[1]])
    ok, out = verify()
    assert not ok and f"{HISTORY_CASE} {ids[2]}: inserted or removed" in out


def test_the_latest_history_row_deleted_is_named_by_the_checkpoint(record, case):
    ids = record[HISTORY_CASE]
    raw("DELETE FROM ncii_cases_historicalcase WHERE history_id = %s", [ids[-1]])
    ok, out = verify()
    assert not ok
    assert f"{HISTORY_CASE} {ids[-1]}: removed (cut short" in out
    assert f"case {case.pk} differs from its latest history row (title" in out


def test_a_current_row_edited_behind_the_apps_back_is_named(record, case):
    raw("UPDATE ncii_cases_case SET narrative = 'rewritten' WHERE id = %s", [case.pk])
    ok, out = verify()
    assert not ok
    assert (
        f"{HISTORY_CASE} {record[HISTORY_CASE][-1]}: case {case.pk} differs from its latest "
        "history row (narrative): changed outside the application"
    ) in out


def test_a_row_inserted_behind_the_apps_back_is_named(record, case):
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO ncii_cases_caseassignment (case_id, user_id, role, assigned_at) "
            "SELECT case_id, user_id, 'lead', assigned_at FROM ncii_cases_caseassignment "
            "WHERE case_id = %s LIMIT 1",
            [case.pk],
        )
    ok, out = verify()
    assert not ok
    assert "history.historicalcaseassignment: caseassignment" in out
    assert "has no history row (written outside the application)" in out


# --- The verification runs ------------------------------------------------------------------


def test_a_forged_ok_verification_is_never_the_latest_run_and_is_named(record, auditor):
    genuine = audit_verification_run(source=AuditVerification.Source.COMMAND)
    raw(
        "INSERT INTO ncii_cases_auditverification (started_at, finished_at, source, ok, rows, "
        "problem_count, problems, prev_hash, row_hash, key_id) VALUES (%s, %s, 'schedule', %s, "
        "'{}', 0, '[]', %s, %s, 'test')",
        [genuine.started_at, genuine.finished_at, True, genuine.row_hash, "0" * 64],
    )
    forged = AuditVerification.objects.order_by("pk").last()
    shown = audit_verification_for_user(user=auditor)
    assert shown.run.pk == genuine.pk and shown.not_genuine == 1
    ok, out = verify()
    assert not ok and f"{VERIFICATION_CHAIN} {forged.pk}: altered (hash mismatch)" in out


def test_the_review_page_never_shows_a_failed_run_turned_into_ok(client, record, auditor):
    from django.urls import reverse

    from tests.access.helpers import login_verified

    # Given a run that found a rewritten row
    raw("UPDATE ncii_cases_caseevent SET reason = 'x' WHERE id = %s", [record[CASE_EVENT_CHAIN][0]])
    assert not audit_verification_run(source=AuditVerification.Source.COMMAND).ok
    # When someone turns its result into "ok" in the database
    raw(
        "UPDATE ncii_cases_auditverification SET ok = %s, problem_count = 0, problems = '[]'",
        [True],
    )
    # Then the review does not show it as the latest check, and says why
    login_verified(client, auditor)
    body = client.get(reverse("reporting:audit_review")).content.decode()
    assert "1 newer stored check result does not carry a valid fingerprint" in body
    assert "The audit record has not been checked yet." in body
    assert "Intact: every fingerprint matches." not in body


# --- The application role on PostgreSQL --------------------------------------------------


@pytest.fixture
def as_app_role(app_db_role):
    """Runs the block as the restricted application role (SET ROLE), then back."""

    @contextmanager
    def role():
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_user")
            before = cursor.fetchone()[0]
            cursor.execute(f'SET ROLE "{app_db_role}"')
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                cursor.execute(f'SET ROLE "{before}"')

    return role


AUDIT_TABLE_SAMPLE = [
    ("ncii_cases_caseevent", "reason"),
    ("ncii_cases_accessevent", "path"),
    ("ncii_cases_auditverification", "source"),
    ("ncii_cases_historicalcase", "narrative"),
    ("ncii_cases_historicalcaseparty", "notes"),
]


@pytest.mark.postgres
@pytest.mark.parametrize("table,column", AUDIT_TABLE_SAMPLE)
@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE {table} SET {column} = 'x'",
        "DELETE FROM {table}",
        "TRUNCATE {table} CASCADE",
        "ALTER TABLE {table} DISABLE TRIGGER ALL",
        "ALTER TABLE {table} OWNER TO CURRENT_USER",
    ],
)
def test_the_app_role_is_refused_every_rewrite(record, as_app_role, table, column, statement):
    sql = statement.format(table=table, column=column)
    with (
        as_app_role(),
        pytest.raises(DatabaseError),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql)
    assert verify()[0]


@pytest.mark.postgres
def test_the_app_role_cannot_switch_the_triggers_off(record, as_app_role):
    with (
        as_app_role(),
        pytest.raises(DatabaseError),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("SET session_replication_role = replica")


@pytest.mark.postgres
def test_the_app_works_as_the_restricted_role(record, as_app_role, app_db_role, case, coordinator):
    """Everything the application does to the audit record goes through as the app role:
    events, access entries, history rows, chain heads, verification runs and checkpoints."""
    with as_app_role():
        case_facts_update(actor=coordinator, case=case, narrative="Corrected wording.")
        access_event_record(user=coordinator, action="case_detail", path="/", allowed=True)
        checkpoint_write()
        run = audit_verification_run(source=AuditVerification.Source.COMMAND)
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_user")
            assert cursor.fetchone()[0] == app_db_role
    assert run.ok, run.problems
    assert AuditChainHead.objects.get(chain=HISTORY_CASE).count == len(record[HISTORY_CASE]) + 1


@pytest.mark.postgres
def test_the_deploy_check_warns_when_connected_as_the_owner(record, as_app_role):
    from ncii_cases.checks import audit_tables_role_check
    from ncii_cases.db_roles import connected_role_audit

    with owner():
        assert connected_role_audit()["superuser"] or connected_role_audit()["owns"]
        warnings = audit_tables_role_check()
    assert [w.id for w in warnings] == ["ncii.W001"]
    with as_app_role():
        state = connected_role_audit()
        assert state == {"role": state["role"], "superuser": False, "owns": [], "can_change": []}
        assert audit_tables_role_check() == []


@pytest.mark.postgres
def test_granting_the_app_role_again_changes_nothing(db, app_db_role):
    from ncii_cases.db_roles import app_role_grant

    with owner():
        first = app_role_grant(role=app_db_role)
        assert first == app_role_grant(role=app_db_role)
    assert any("GRANT SELECT, INSERT ON" in s for s in first)
