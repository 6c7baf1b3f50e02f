"""A bounded load run against gunicorn on PostgreSQL, two districts at once: simulated
coordinators of each district sign in through the real two steps and then mix reads (the
queue, case pages, the takedown board partial) with workflow transitions (POST with the CSRF
token), for NCII_LOAD_SECONDS (60 by default; shorten it locally, e.g. NCII_LOAD_SECONDS=10).

Afterwards, per district: no 5xx at all, every read answered 200, the number of transition
events of the district's cases equals the number of transitions the server answered as done
(its redirect to the case page), and no case moved twice. Every audit chain verifies, and each
district's case-timeline and access-log chains, followed link by link from their heads, hold
exactly that district's rows and nothing of the other's: requests of one district never
advanced the other's heads. Throughput and latencies are printed per district and overall
(never asserted: the machine is shared).

Each user mostly moves its own cases; some POSTs go to a small pool of its district that every
user of the district contends for, so that two people clicking at once is part of the run (the
loser gets the form back).
"""

import os
import random
import statistics
import threading
import time
from collections import defaultdict

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from ncii_cases import choices as c
from ncii_cases.audit import (
    ACCESS_EVENT_CHAIN,
    CASE_EVENT_CHAIN,
    audit_verify,
    district_chain_name,
)
from ncii_cases.events import EventType
from ncii_cases.models import AccessEvent, AuditChainHead, Case, CaseEvent
from tests.factories import CaseFactory, DistrictFactory, SchoolFactory, UserFactory
from tests.processes import WebSession, free_port, gunicorn, production_env, stop, tail

DISTRICTS = 2
USERS_PER_DISTRICT = 10
OWN_CASES = 80  # per user: more than one user can move in the run
CONTESTED_CASES = 30  # per district
PASSWORD = "load-run-password-1"
ACTION = "begin_assessment"  # intake -> initial assessment, for the coordinators


def load_seconds() -> float:
    return float(os.environ.get("NCII_LOAD_SECONDS", "60"))


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] if ordered else 0.0


def make_cases(school, count: int, prefix: str) -> list[int]:
    now = timezone.now()
    cases = [
        CaseFactory.build(
            school=school,
            district=school.district,
            reference=f"{prefix}-{n:04d}",
            title=f"Load case {prefix} {n}",
            stage=c.Stage.INTAKE,
            stage_entered_at=now,
        )
        for n in range(count)
    ]
    # Saved one by one, so that each case has its history row as the application writes it:
    # the audit check at the end compares every case with its latest history row.
    for case in cases:
        case.save()
    return [case.pk for case in cases]


def chain_walked(model, chain: str) -> list[int]:
    """The ids of the rows of ``model`` reached from the chain's head by following each row's
    previous hash back to the chain's start, among every row of the table (every district's).
    Fails the test when a link leads nowhere or the walk does not match the head's count."""
    head = AuditChainHead.objects.get(chain=chain)
    rows = model.objects.values_list("pk", "row_hash", "prev_hash")
    by_hash = {row_hash: (pk, prev_hash) for pk, row_hash, prev_hash in rows}
    walked, link = [], head.last_hash
    while link:
        assert link in by_hash, f"{chain}: the link {link[:12]} leads to no row"
        pk, link = by_hash[link]
        walked.append(pk)
        assert len(walked) <= head.count, f"{chain}: longer than its head's count"
    assert len(walked) == head.count, (chain, len(walked), head.count)
    return walked


def latency_line(label: str, values: list[float], wall: float) -> str:
    return (
        f"  {label:24} {len(values):6} requests  {len(values) / wall:6.1f} requests/s"
        f"  p50 {statistics.median(values) * 1000:6.0f} ms"
        f"  p95 {percentile(values, 0.95) * 1000:6.0f} ms"
    )


@pytest.mark.postgres
# transaction=True: the rows written here are committed, so gunicorn sees them.
@pytest.mark.django_db(transaction=True)
def test_two_districts_at_once_mixing_reads_and_transitions(tmp_path, static_root):
    # The production settings of gunicorn know PBKDF2, not the test settings' fast MD5 (few
    # iterations here: the server checks the count stored in the hash).
    hasher = PBKDF2PasswordHasher()
    password_hash = hasher.encode(PASSWORD, hasher.salt(), iterations=1000)
    districts, users, contested = [], [], []
    for d in range(DISTRICTS):
        district = DistrictFactory(name=f"Load Test District {d}", slug=f"load-test-{d}")
        school = SchoolFactory(district=district, name=f"Load High {d}", code=f"load{d}")
        districts.append(district)
        for n in range(USERS_PER_DISTRICT):
            user = UserFactory(
                username=f"load{d}-{n:02d}", district=district, role=c.Role.COORDINATOR
            )
            user.password = password_hash
            user.save(update_fields=["password"])
            device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)
            users.append((d, user, device.key, make_cases(school, OWN_CASES, f"LOAD{d}-{n:02d}")))
        contested.append(make_cases(school, CONTESTED_CASES, f"LOAD{d}-SHARED"))

    env = {
        **production_env(tmp_path),
        "CONN_MAX_AGE": "60",
        "CELERY_TASK_ALWAYS_EAGER": "true",
        "EMAIL_URL": "dummymail://",
        "STATIC_ROOT": static_root,
    }
    port = free_port()
    log = tmp_path / "gunicorn.log"
    web = gunicorn(port, env, log, workers=3, threads=2)
    samples: list[tuple[int, str, int | str, float]] = []  # district, kind, status, seconds
    done: dict[int, int] = defaultdict(int)  # case id -> transitions answered as done
    lock = threading.Lock()
    problems: list[str] = []
    try:
        sessions = []
        for _, user, key, _ in users:
            session = WebSession(port)
            session.sign_in(user.username, PASSWORD, key)
            sessions.append(session)

        deadline = time.monotonic() + load_seconds()

        def simulate(index: int):
            rng = random.Random(index)
            d, _, _, cases = users[index]
            session, own = sessions[index], list(cases)
            try:
                while time.monotonic() < deadline:
                    roll = rng.random()
                    case_id = rng.choice(cases)
                    if roll < 0.3:
                        kind, method, path = "queue", "GET", "/"
                    elif roll < 0.55:
                        kind, method, path = "case page", "GET", f"/cases/{case_id}/"
                    elif roll < 0.65:
                        kind, method, path = "takedown board", "GET", f"/cases/{case_id}/takedowns/"
                    else:
                        if own and rng.random() < 0.8:
                            case_id = own.pop()
                        else:
                            case_id = rng.choice(contested[d])
                        kind, method = "transition", "POST"
                        path = f"/cases/{case_id}/transition/{ACTION}/"
                    started = time.monotonic()
                    try:
                        if method == "GET":
                            answer = session.get(path)
                        else:
                            answer = session.post(path, {"reason": ""})
                        status: int | str = answer.status
                    except OSError as error:
                        status = f"{type(error).__name__}: {error}"
                        answer = None
                    elapsed = time.monotonic() - started
                    with lock:
                        samples.append((d, kind, status, elapsed))
                        if kind == "transition" and status == 302:
                            if answer.location != f"/cases/{case_id}/":
                                problems.append(f"{path} redirected to {answer.location}")
                            done[case_id] += 1
                        elif kind == "transition" and status != 200:
                            problems.append(f"{path} answered {status}")
            except Exception as error:  # a crash of the simulation itself fails the test
                with lock:
                    problems.append(f"user {index}: {error!r}")

        threads = [threading.Thread(target=simulate, args=(i,)) for i in range(len(users))]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=load_seconds() + 120)
        wall = time.monotonic() - started
        assert not any(thread.is_alive() for thread in threads), "a simulated user hung"
    finally:
        stop(web)

    case_district = dict(Case.objects.values_list("pk", "district_id"))
    index_of = {district.pk: d for d, district in enumerate(districts)}
    done_in: list[dict[int, int]] = [{} for _ in districts]
    for case_id, count in done.items():
        done_in[index_of[case_district[case_id]]][case_id] = count
    everything = [s for _, _, _, s in samples]
    lines = [
        f"\nload run: {DISTRICTS} districts at once, {USERS_PER_DISTRICT} users each, {wall:.1f} s",
        latency_line("overall", everything, wall),
    ]
    for d, district in enumerate(districts):
        mine = [s for i, _, _, s in samples if i == d]
        lines.append(latency_line(f"district {d} ({district.slug})", mine, wall))
    by_kind: dict[str, list[float]] = defaultdict(list)
    for _, kind, _, seconds in samples:
        by_kind[kind].append(seconds)
    for kind, values in sorted(by_kind.items()):
        lines.append(latency_line(kind, values, wall))
    for d in range(DISTRICTS):
        lost = sum(1 for i, k, s, _ in samples if i == d and k == "transition" and s == 200)
        lines.append(
            f"  district {d}: transitions done {sum(done_in[d].values())}, "
            f"form answered again {lost}"
        )
    print("\n".join(lines))

    server_errors = [(k, s) for _, k, s, _ in samples if not isinstance(s, int) or s >= 500]
    assert server_errors == [], f"{server_errors[:20]}\n{tail(log)}"
    assert problems == [], problems[:20]
    for d, district in enumerate(districts):
        reads = [s for i, k, s, _ in samples if i == d and k != "transition"]
        assert reads and set(reads) == {200}, (district.slug, sorted(set(reads)))
        successes = sum(done_in[d].values())
        assert successes > 0, f"no transition went through in {district.slug}: it tested nothing"
        assert max(done_in[d].values()) == 1, f"a case of {district.slug} was moved twice"
        events = CaseEvent.objects.filter(
            case__district=district, event_type=EventType.TRANSITION, detail__action=ACTION
        )
        assert events.count() == successes, district.slug
        assert set(events.values_list("case_id", flat=True)) == set(done_in[d])
        moved = Case.objects.filter(district=district, stage=c.Stage.INITIAL_ASSESSMENT)
        assert moved.count() == successes, district.slug

    reports = {report.chain: report for report in audit_verify()}
    assert all(r.ok for r in reports.values()), [
        (r.chain, r.problems[:5]) for r in reports.values() if not r.ok
    ]
    # Each district's chains, followed from their heads through every row of both districts,
    # reach exactly that district's rows: the other district's requests never moved them.
    event_district = {
        pk: case_district[case_id] for pk, case_id in CaseEvent.objects.values_list("pk", "case_id")
    }
    access_district = dict(AccessEvent.objects.values_list("pk", "district_id"))
    for district in districts:
        for family, model, district_of in (
            (CASE_EVENT_CHAIN, CaseEvent, event_district),
            (ACCESS_EVENT_CHAIN, AccessEvent, access_district),
        ):
            chain = district_chain_name(family, district.pk)
            walked = chain_walked(model, chain)
            assert {district_of[pk] for pk in walked} == {district.pk}, chain
            assert sorted(walked) == sorted(
                pk for pk, owner in district_of.items() if owner == district.pk
            ), chain
            assert reports[chain].ok and reports[chain].rows == len(walked), chain
    # Every signed-in user's entries went to its own district's log.
    user_district = {user.pk: user.district_id for _, user, _, _ in users}
    filed = AccessEvent.objects.filter(user_id__in=user_district).values_list(
        "user_id", "district_id"
    )
    assert filed and all(user_district[user] == owner for user, owner in filed)
