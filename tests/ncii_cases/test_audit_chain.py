"""The audit record is a hash chain: raw-SQL tampering (alter, insert, delete) makes
verify_audit fail and name the row; on PostgreSQL the database refuses UPDATE and DELETE (the
trigger to the owner, the privileges to the application role)."""

import threading

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from ncii_cases.audit import (
    ACCESS_EVENT_CHAIN,
    CASE_EVENT_CHAIN,
    access_event_record,
    audit_verify,
    case_event_record,
    chain_rows,
    district_chain_name,
)
from ncii_cases.models import AccessEvent, AuditChainHead, CaseEvent
from tests.audit_helpers import as_owner

TABLES = {CASE_EVENT_CHAIN: "ncii_cases_caseevent", ACCESS_EVENT_CHAIN: "ncii_cases_accessevent"}


def triggers_off():
    """Raw tampering as a database owner would do it: on PostgreSQL, with triggers disabled."""
    return as_owner()


def raw(sql, params=()):
    with triggers_off(), connection.cursor() as cursor:
        cursor.execute(sql, params)


def verify_output():
    from io import StringIO

    out = StringIO()
    try:
        call_command("verify_audit", stdout=out)
    except CommandError:
        return False, out.getvalue()
    return True, out.getvalue()


@pytest.fixture
def chains(case, coordinator):
    """Five case events and five access events, all through the recording functions: the ids
    of the case district's case-event and access-log chains, by family, and (under "names")
    each family's chain name for that district."""
    for i in range(3):
        case_event_record(case=case, actor=coordinator, event_type="note", reason=f"n{i}")
    for i in range(5):
        access_event_record(
            user=coordinator,
            action="case_detail",
            path=f"/cases/{case.pk}/?{i}",
            allowed=True,
            case=case,
            ip_address="::ffff:10.0.0.1" if i == 0 else "10.0.0.2",
            user_agent="pytest",
        )
    names = {f: district_chain_name(f, case.district_id) for f in TABLES}
    return {
        "names": names,
        **{
            f: list(chain_rows(n).order_by("pk").values_list("pk", flat=True))
            for f, n in names.items()
        },
    }


def test_an_untouched_chain_verifies(chains):
    ok, out = verify_output()
    assert ok, out
    names = chains["names"]
    assert f"{names[CASE_EVENT_CHAIN]}: {len(chains[CASE_EVENT_CHAIN])} rows, chain intact" in out
    assert (
        f"{names[ACCESS_EVENT_CHAIN]}: {len(chains[ACCESS_EVENT_CHAIN])} rows, chain intact" in out
    )


def test_each_row_links_to_the_previous_rows_hash(chains):
    rows = list(CaseEvent.objects.order_by("pk"))
    assert rows[0].prev_hash == ""
    for before, after in zip(rows, rows[1:], strict=False):
        assert after.prev_hash == before.row_hash and len(after.row_hash) == 64
    head = AuditChainHead.objects.get(chain=chains["names"][CASE_EVENT_CHAIN])
    assert (head.last_hash, head.count) == (rows[-1].row_hash, len(rows))


@pytest.mark.parametrize("chain", [CASE_EVENT_CHAIN, ACCESS_EVENT_CHAIN])
def test_altering_a_row_names_it(chains, chain):
    target = chains[chain][2]
    column = "reason" if chain == CASE_EVENT_CHAIN else "path"
    raw(f"UPDATE {TABLES[chain]} SET {column} = 'rewritten' WHERE id = %s", [target])
    ok, out = verify_output()
    assert not ok
    assert f"{chains['names'][chain]} {target}: altered (hash mismatch)" in out


def test_altering_a_timestamp_or_the_allowed_flag_names_the_row(chains):
    target = chains[ACCESS_EVENT_CHAIN][1]
    raw(f"UPDATE {TABLES[ACCESS_EVENT_CHAIN]} SET allowed = %s WHERE id = %s", [False, target])
    name = chains["names"][ACCESS_EVENT_CHAIN]
    report = {r.chain: r for r in audit_verify()}[name]
    assert report.problems[0] == f"{name} {target}: altered (hash mismatch)"


@pytest.mark.parametrize("chain", [CASE_EVENT_CHAIN, ACCESS_EVENT_CHAIN])
def test_deleting_a_row_in_the_middle_names_the_row_after_the_gap(chains, chain):
    ids = chains[chain]
    raw(f"DELETE FROM {TABLES[chain]} WHERE id = %s", [ids[1]])
    ok, out = verify_output()
    assert not ok
    assert (
        f"{chains['names'][chain]} {ids[2]}: inserted or removed (prev_hash does not match "
        f"previous row: row {ids[0]})" in out
    )


@pytest.mark.parametrize("chain", [CASE_EVENT_CHAIN, ACCESS_EVENT_CHAIN])
def test_deleting_the_last_row_is_noticed_through_the_chain_head(chains, chain):
    ids = chains[chain]
    raw(f"DELETE FROM {TABLES[chain]} WHERE id = %s", [ids[-1]])
    ok, out = verify_output()
    assert not ok
    assert f"{chains['names'][chain]}: removed at the end" in out
    assert f"the chain ends at row {ids[-2]}" in out


def test_inserting_a_forged_row_names_it_even_with_a_correct_looking_link(chains, case):
    # A forger who holds the key, copies the last hash into prev_hash and computes a valid
    # row hash still cannot move the head without being noticed.
    from ncii_cases.audit import row_hash_compute

    last = CaseEvent.objects.order_by("pk").last()
    forged = CaseEvent(
        case=case,
        event_type="note",
        reason="forged",
        detail={},
        created_at=last.created_at,
        prev_hash=last.row_hash,
        key_id=last.key_id,
    )
    forged.row_hash = row_hash_compute(chains["names"][CASE_EVENT_CHAIN], forged)
    raw(
        "INSERT INTO ncii_cases_caseevent (case_id, actor_id, event_type, from_stage, to_stage,"
        " reason, detail, created_at, prev_hash, row_hash, key_id) VALUES (%s, NULL, 'note', '',"
        " '', 'forged', '{}', %s, %s, %s, %s)",
        [case.pk, last.created_at, forged.prev_hash, forged.row_hash, forged.key_id],
    )
    new_id = CaseEvent.objects.order_by("pk").last().pk
    ok, out = verify_output()
    assert not ok
    name = chains["names"][CASE_EVENT_CHAIN]
    assert f"{name} {new_id}: inserted (after the chain head's last row)" in out


def test_inserting_a_row_in_the_middle_names_it(chains, case):
    ids = chains[CASE_EVENT_CHAIN]
    raw(f"DELETE FROM ncii_cases_caseevent WHERE id = {ids[-1]}")
    # Re-insert the removed row's id with a different, unlinked content.
    raw(
        "INSERT INTO ncii_cases_caseevent (id, case_id, actor_id, event_type, from_stage,"
        " to_stage, reason, detail, created_at, prev_hash, row_hash, key_id) VALUES (%s, %s,"
        " NULL, 'note', '', '', 'slipped in', '{}', CURRENT_TIMESTAMP, %s, %s, 'test')",
        [ids[-1], case.pk, "0" * 64, "1" * 64],
    )
    name = chains["names"][CASE_EVENT_CHAIN]
    report = {r.chain: r for r in audit_verify()}[name]
    assert report.problems[0].startswith(f"{name} {ids[-1]}: inserted or removed")
    assert f"{name} {ids[-1]}: altered (hash mismatch)" in report.problems


def test_the_access_log_hashes_the_address_as_stored(chains):
    # ::ffff:10.0.0.1 is normalized before hashing, so the stored row still verifies.
    assert all(r.ok for r in audit_verify())


@pytest.mark.postgres
@pytest.mark.parametrize("table", sorted(TABLES.values()))
def test_postgres_refuses_update_of_audit_rows(chains, table):
    column = "path" if "access" in table else "reason"
    with (
        pytest.raises(DatabaseError, match="append-only|permission denied"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(f"UPDATE {table} SET {column} = 'x'")


@pytest.mark.postgres
@pytest.mark.parametrize("table", sorted(TABLES.values()))
def test_postgres_refuses_delete_of_audit_rows(chains, table):
    with (
        pytest.raises(DatabaseError, match="append-only|permission denied"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(f"DELETE FROM {table}")
    assert all(r.ok for r in audit_verify())


@pytest.mark.postgres
def test_the_orm_cannot_delete_an_event_on_postgres(chains):
    with pytest.raises(DatabaseError), transaction.atomic():
        CaseEvent.objects.all().delete()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_appends_never_fork_the_chain(case, coordinator):
    errors = []
    # The personas' own role_change entries were written when they were set up.
    before = AccessEvent.objects.count()

    def append(i):
        try:
            for j in range(5):
                case_event_record(case=case, actor=coordinator, event_type="note", reason=f"{i}{j}")
                access_event_record(user=coordinator, action="x", path="/", allowed=True)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=append, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    reports = audit_verify()
    assert all(r.ok for r in reports), [r.problems for r in reports]
    assert (
        sum(
            AuditChainHead.objects.filter(chain__startswith=f"{ACCESS_EVENT_CHAIN}.").values_list(
                "count", flat=True
            )
        )
        == before + 30
    )
