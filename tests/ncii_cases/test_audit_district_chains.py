"""The case timeline and the access log are chained per district, so that requests of
different districts never wait on one head row; the rows written before the split stay in the
closed installation-wide chains and verify as before; a row moved from one district's chain to
another's is caught.

The load test (PostgreSQL) holds one district's head lock in an open transaction and shows
that another district's append completes while an append of the locked district waits, then
measures the throughput of two districts appending at once in two threads."""

import threading
import time

import pytest
from django.db import OperationalError, connection, transaction
from django.utils import timezone

from ncii_cases.audit import (
    ACCESS_EVENT_CHAIN,
    CASE_EVENT_CHAIN,
    ChainClosed,
    _chain_append,
    access_event_record,
    audit_verify,
    case_event_record,
    chain_names,
    chain_rows,
    district_chain_name,
    row_sign,
)
from ncii_cases.audit_checkpoints import checkpoint_write
from ncii_cases.models import AccessEvent, AuditChainHead, CaseEvent
from tests.audit_helpers import as_owner


def raw(sql, params=()):
    with as_owner(), connection.cursor() as cursor:
        cursor.execute(sql, params)


def reports_by_chain():
    return {r.chain: r for r in audit_verify()}


def test_each_districts_rows_go_to_its_own_chain(case, foreign_case, coordinator, outsider):
    case_event_record(case=case, actor=coordinator, event_type="note", reason="ours")
    case_event_record(case=foreign_case, actor=outsider, event_type="note", reason="theirs")
    access_event_record(user=coordinator, action="case_detail", path="/a", allowed=True)
    access_event_record(user=outsider, action="case_detail", path="/b", allowed=True)
    from django.contrib.auth.models import AnonymousUser

    access_event_record(user=AnonymousUser(), action="sign_in_failed", path="/", allowed=False)

    ours, theirs = case.district_id, foreign_case.district_id
    for family in (CASE_EVENT_CHAIN, ACCESS_EVENT_CHAIN):
        for district_id in (ours, theirs):
            name = district_chain_name(family, district_id)
            rows = list(chain_rows(name).order_by("pk"))
            head = AuditChainHead.objects.get(chain=name)
            assert rows and (head.count, head.last_hash) == (len(rows), rows[-1].row_hash)
            assert rows[0].prev_hash == ""
            for before, after in zip(rows, rows[1:], strict=False):
                assert after.prev_hash == before.row_hash
    assert {e.reason for e in chain_rows(district_chain_name(CASE_EVENT_CHAIN, theirs))} >= {
        "theirs"
    }
    nobody = chain_rows(district_chain_name(ACCESS_EVENT_CHAIN, None))
    assert [e.action for e in nobody] == ["sign_in_failed"]
    # The installation-wide chains (closed by the migration; gone with a flushed database)
    # took nothing.
    closed = AuditChainHead.objects.filter(chain__in=[CASE_EVENT_CHAIN, ACCESS_EVENT_CHAIN])
    assert [h.count for h in closed] == [0] * len(closed)
    assert set(chain_names()) >= {
        district_chain_name(ACCESS_EVENT_CHAIN, None),
        district_chain_name(CASE_EVENT_CHAIN, ours),
        district_chain_name(CASE_EVENT_CHAIN, theirs),
    }
    assert all(r.ok for r in audit_verify())


def test_an_access_entry_moved_to_another_district_is_caught_in_both_chains(coordinator, outsider):
    for i in range(3):
        access_event_record(user=coordinator, action="x", path=f"/{i}", allowed=True)
        access_event_record(user=outsider, action="x", path=f"/{i}", allowed=True)
    ours = district_chain_name(ACCESS_EVENT_CHAIN, coordinator.district_id)
    theirs = district_chain_name(ACCESS_EVENT_CHAIN, outsider.district_id)
    moved = list(chain_rows(ours).order_by("pk"))[-2]
    raw(
        "UPDATE ncii_cases_accessevent SET district_id = %s WHERE id = %s",
        [outsider.district_id, moved.pk],
    )
    reports = reports_by_chain()
    assert f"{theirs} {moved.pk}: altered (hash mismatch)" in reports[theirs].problems
    assert any(f"{theirs} {moved.pk}: inserted or removed" in p for p in reports[theirs].problems)
    assert any("inserted or removed" in p for p in reports[ours].problems)


def test_a_case_event_moved_to_another_districts_case_is_caught(
    case, foreign_case, coordinator, outsider
):
    for i in range(3):
        case_event_record(case=case, actor=coordinator, event_type="note", reason=f"n{i}")
        case_event_record(case=foreign_case, actor=outsider, event_type="note", reason=f"n{i}")
    ours = district_chain_name(CASE_EVENT_CHAIN, case.district_id)
    theirs = district_chain_name(CASE_EVENT_CHAIN, foreign_case.district_id)
    moved = list(chain_rows(ours).order_by("pk"))[-2]
    raw("UPDATE ncii_cases_caseevent SET case_id = %s WHERE id = %s", [foreign_case.pk, moved.pk])
    reports = reports_by_chain()
    assert not reports[ours].ok and not reports[theirs].ok
    assert f"{theirs} {moved.pk}: altered (hash mismatch)" in reports[theirs].problems


def legacy_rows(case, coordinator, n=3):
    """Rows as the installation-wide chains held them before the split (one chain for every
    district), then closed at their last id as migration 0022 does."""
    events, accesses = [], []
    prev_event = prev_access = ""
    for i in range(n):
        event = CaseEvent(
            case=case,
            actor=coordinator,
            event_type="note",
            reason=f"old {i}",
            detail={},
            created_at=timezone.now(),
        )
        prev_event = row_sign(CASE_EVENT_CHAIN, event, prev_event)
        event.save(force_insert=True)
        events.append(event)
        access = AccessEvent(
            user=coordinator,
            username=coordinator.username,
            district_id=coordinator.district_id if i % 2 else None,
            action="case_detail",
            path=f"/old/{i}",
            allowed=True,
            created_at=timezone.now(),
        )
        prev_access = row_sign(ACCESS_EVENT_CHAIN, access, prev_access)
        access.save(force_insert=True)
        accesses.append(access)
    for family, rows in ((CASE_EVENT_CHAIN, events), (ACCESS_EVENT_CHAIN, accesses)):
        model = type(rows[0])
        AuditChainHead.objects.update_or_create(
            chain=family,
            defaults={
                "last_hash": rows[-1].row_hash,
                "count": model.objects.filter(pk__lte=rows[-1].pk).count(),
                "closed_at_id": model.objects.order_by("pk").last().pk,
            },
        )
    return events, accesses


def test_rows_written_before_the_split_verify_as_a_closed_chain(case, coordinator):
    # The personas' own entries were written into the district chains; the installation-wide
    # chains hold only the rows written here before closing, so start from empty tables.
    with as_owner():
        AuditChainHead.objects.filter(chain__startswith=CASE_EVENT_CHAIN).delete()
        AuditChainHead.objects.filter(chain__startswith=ACCESS_EVENT_CHAIN).delete()
        AccessEvent.objects.all().delete()
        CaseEvent.objects.all().delete()
    events, accesses = legacy_rows(case, coordinator)
    case_event_record(case=case, actor=coordinator, event_type="note", reason="new")
    access_event_record(user=coordinator, action="case_detail", path="/new", allowed=True)

    reports = reports_by_chain()
    assert all(r.ok for r in reports.values()), {c: r.problems for c, r in reports.items()}
    assert reports[CASE_EVENT_CHAIN].rows == len(events)
    assert reports[ACCESS_EVENT_CHAIN].rows == len(accesses)
    new = district_chain_name(CASE_EVENT_CHAIN, case.district_id)
    assert reports[new].rows == 1
    # Nothing more is appended to a closed chain.
    with pytest.raises(ChainClosed), transaction.atomic():
        _chain_append(CASE_EVENT_CHAIN, CaseEvent(case=case, event_type="x", detail={}))
    # The closed chain is still tamper-evident, and the checkpoint covers it.
    checkpoint_write()
    raw("UPDATE ncii_cases_caseevent SET reason = 'rewritten' WHERE id = %s", [events[1].pk])
    problems = reports_by_chain()[CASE_EVENT_CHAIN].problems
    assert f"{CASE_EVENT_CHAIN} {events[1].pk}: altered (hash mismatch)" in problems


def test_the_district_verification_page_files_district_chain_problems_under_their_family(
    case, coordinator, auditor
):
    from ncii_cases.audit import audit_verification_run
    from ncii_cases.selectors.audit import audit_verification_for_user

    case_event_record(case=case, actor=coordinator, event_type="note", reason="n")
    target = list(chain_rows(district_chain_name(CASE_EVENT_CHAIN, case.district_id)))[-1]
    raw("UPDATE ncii_cases_caseevent SET reason = 'rewritten' WHERE id = %s", [target.pk])
    audit_verification_run(source="command")

    view = audit_verification_for_user(user=auditor)
    timeline = next(c for c in view.chains if c["chain"] == CASE_EVENT_CHAIN)
    assert not timeline["ok"]
    assert any(str(target.pk) in text for text in timeline["problems"])


# --- Two districts at once (PostgreSQL) ------------------------------------------------------


def _append_in_thread(user, results, key, *, lock_timeout_ms=None, n=1):
    def run():
        try:
            started = time.perf_counter()
            with transaction.atomic():
                if lock_timeout_ms is not None:
                    with connection.cursor() as cursor:
                        cursor.execute(f"SET LOCAL lock_timeout = {int(lock_timeout_ms)}")
                for i in range(n):
                    access_event_record(user=user, action="load", path=f"/{i}", allowed=True)
            results[key] = ("ok", time.perf_counter() - started)
        except OperationalError as error:
            results[key] = ("waited", str(error))
        finally:
            connection.close()

    return threading.Thread(target=run)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_districts_append_does_not_wait_on_another_districts_head(coordinator, outsider):
    # Both chains exist (their heads are created on the first append).
    access_event_record(user=coordinator, action="load", path="/", allowed=True)
    access_event_record(user=outsider, action="load", path="/", allowed=True)
    ours = district_chain_name(ACCESS_EVENT_CHAIN, coordinator.district_id)
    held = threading.Event()
    release = threading.Event()

    def hold_our_head():
        try:
            with transaction.atomic():
                AuditChainHead.objects.select_for_update().get(chain=ours)
                held.set()
                release.wait(30)
        finally:
            connection.close()

    holder = threading.Thread(target=hold_our_head)
    holder.start()
    try:
        assert held.wait(30)
        results = {}
        other = _append_in_thread(outsider, results, "other district", lock_timeout_ms=3000)
        same = _append_in_thread(coordinator, results, "same district", lock_timeout_ms=1000)
        other.start()
        same.start()
        other.join(30)
        same.join(30)
    finally:
        release.set()
        holder.join(30)
    assert results["other district"][0] == "ok", results
    # The lock was really held: the same district's append had to wait for it.
    assert results["same district"][0] == "waited", results
    assert all(r.ok for r in audit_verify())


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_districts_append_at_once_and_both_chains_verify(coordinator, outsider, capsys):
    per_thread = 200
    results = {}
    threads = [
        _append_in_thread(user, results, user.username, n=per_thread)
        for user in (coordinator, outsider)
    ]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(300)
    elapsed = time.perf_counter() - started
    assert {k: v[0] for k, v in results.items()} == {"coordinator": "ok", "outsider": "ok"}
    with capsys.disabled():
        print(
            f"\naccess log, two districts at once: {2 * per_thread} entries in {elapsed:.2f} s "
            f"({2 * per_thread / elapsed:.0f} entries/s)"
        )
    for user in (coordinator, outsider):
        name = district_chain_name(ACCESS_EVENT_CHAIN, user.district_id)
        assert chain_rows(name).filter(action="load").count() == per_thread
    assert all(r.ok for r in audit_verify())
