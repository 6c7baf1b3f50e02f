"""A bounded load run against gunicorn on PostgreSQL: simulated staff sign in through the real
two steps and then mix reads (the queue, case pages, the takedown board partial) with workflow
transitions (POST with the CSRF token), for NCII_LOAD_SECONDS (60 by default; shorten it
locally, e.g. NCII_LOAD_SECONDS=10).

Afterwards: no 5xx at all, every read answered 200, the number of transition events in the
database equals the number of transitions the server answered as done (its redirect to the
case page), no case moved twice, and every audit chain verifies. Throughput and latencies are
printed (never asserted: the machine is shared).

Each user mostly moves its own cases; some POSTs go to a small pool that every user contends
for, so that two people clicking at once is part of the run (the loser gets the form back).
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
from ncii_cases.audit import audit_verify
from ncii_cases.events import EventType
from ncii_cases.models import Case, CaseEvent
from tests.factories import CaseFactory, DistrictFactory, SchoolFactory, UserFactory
from tests.processes import WebSession, free_port, gunicorn, production_env, stop, tail

USERS = 20
OWN_CASES = 80  # per user: more than one user can move in the run
CONTESTED_CASES = 30
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


@pytest.mark.postgres
# transaction=True: the rows written here are committed, so gunicorn sees them.
@pytest.mark.django_db(transaction=True)
def test_twenty_users_mixing_reads_and_transitions(tmp_path, static_root):
    district = DistrictFactory(name="Load Test District", slug="load-test")
    school = SchoolFactory(district=district, name="Load High", code="load")
    # The production settings of gunicorn know PBKDF2, not the test settings' fast MD5 (few
    # iterations here: the server checks the count stored in the hash).
    hasher = PBKDF2PasswordHasher()
    password_hash = hasher.encode(PASSWORD, hasher.salt(), iterations=1000)
    users = []
    for n in range(USERS):
        user = UserFactory(username=f"load{n:02d}", district=district, role=c.Role.COORDINATOR)
        user.password = password_hash
        user.save(update_fields=["password"])
        device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)
        users.append((user, device.key, make_cases(school, OWN_CASES, f"LOAD-{n:02d}")))
    contested = make_cases(school, CONTESTED_CASES, "LOAD-SHARED")

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
    samples: list[tuple[str, int | str, float]] = []  # kind, status, seconds
    done: dict[int, int] = defaultdict(int)  # case id -> transitions answered as done
    lock = threading.Lock()
    problems: list[str] = []
    try:
        sessions = []
        for user, key, _ in users:
            session = WebSession(port)
            session.sign_in(user.username, PASSWORD, key)
            sessions.append(session)

        deadline = time.monotonic() + load_seconds()

        def simulate(index: int):
            rng = random.Random(index)
            session, own = sessions[index], list(users[index][2])
            try:
                while time.monotonic() < deadline:
                    roll = rng.random()
                    case_id = rng.choice(users[index][2])
                    if roll < 0.3:
                        kind, method, path = "queue", "GET", "/"
                    elif roll < 0.55:
                        kind, method, path = "case page", "GET", f"/cases/{case_id}/"
                    elif roll < 0.65:
                        kind, method, path = "takedown board", "GET", f"/cases/{case_id}/takedowns/"
                    else:
                        case_id = own.pop() if own and rng.random() < 0.8 else rng.choice(contested)
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
                        samples.append((kind, status, elapsed))
                        if kind == "transition" and status == 302:
                            if answer.location != f"/cases/{case_id}/":
                                problems.append(f"{path} redirected to {answer.location}")
                            done[case_id] += 1
                        elif kind == "transition" and status != 200:
                            problems.append(f"{path} answered {status}")
            except Exception as error:  # a crash of the simulation itself fails the test
                with lock:
                    problems.append(f"user {index}: {error!r}")

        threads = [threading.Thread(target=simulate, args=(i,)) for i in range(USERS)]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=load_seconds() + 120)
        wall = time.monotonic() - started
        assert not any(thread.is_alive() for thread in threads), "a simulated user hung"
    finally:
        stop(web)

    by_kind: dict[str, list[float]] = defaultdict(list)
    for kind, _, seconds in samples:
        by_kind[kind].append(seconds)
    everything = [s for _, _, s in samples]
    lines = [
        f"\nload run: {USERS} users, {wall:.1f} s, {len(samples)} requests, "
        f"{len(samples) / wall:.1f} requests/s, p50 {statistics.median(everything) * 1000:.0f} ms, "
        f"p95 {percentile(everything, 0.95) * 1000:.0f} ms"
    ]
    for kind, values in sorted(by_kind.items()):
        lines.append(
            f"  {kind:15} {len(values):6} requests  p50 {statistics.median(values) * 1000:6.0f} ms"
            f"  p95 {percentile(values, 0.95) * 1000:6.0f} ms"
        )
    successes = sum(done.values())
    lines.append(
        f"  transitions done: {successes}, form answered again: "
        f"{sum(1 for k, s, _ in samples if k == 'transition' and s == 200)}"
    )
    print("\n".join(lines))

    server_errors = [(k, s) for k, s, _ in samples if not isinstance(s, int) or s >= 500]
    assert server_errors == [], f"{server_errors[:20]}\n{tail(log)}"
    assert problems == [], problems[:20]
    reads = [s for k, s, _ in samples if k != "transition"]
    assert reads and set(reads) == {200}, sorted(set(reads))
    assert successes > 0, "no transition went through: the run tested nothing"
    assert max(done.values()) == 1, "a case was moved twice"

    events = CaseEvent.objects.filter(event_type=EventType.TRANSITION, detail__action=ACTION)
    assert events.count() == successes
    assert set(events.values_list("case_id", flat=True)) == set(done)
    moved = Case.objects.filter(district=district, stage=c.Stage.INITIAL_ASSESSMENT)
    assert moved.count() == successes
    reports = audit_verify()
    assert all(report.ok for report in reports), [(r.chain, r.problems[:5]) for r in reports]
    assert sum(report.rows for report in reports) >= successes
