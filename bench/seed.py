"""Builds a realistic volume of fictional cases fast, for the benchmark (``manage.py seed_bench``).

The rows are what the services would leave, written in bulk instead of one service call at a
time: cases spread over schools, stages, kinds and months, four parties each, assignments with
the per-case rights they imply (``permissions.ASSIGNMENT_GRANTS``), takedowns with their
clocks, harm assessments, a timeline of ``CaseEvent`` rows and an access log of
``AccessEvent`` rows, a simple-history row for every row written, and the reference counters.

The audit rows are linked exactly as ``audit._chain_append`` links them: ids are given here in
chain order, each row's previous hash is the previous row's hash, its key id the current audit
key's and its hash ``audit.row_hash_compute`` of its own content (the same keyed HMAC as the
app), computed before the insert (the application role may not UPDATE those tables). The same
goes for every simple-history row, chained per history table. The chain heads are set last.
``verify_audit`` passes afterwards.

On PostgreSQL rows go in with COPY; elsewhere (SQLite, small sizes only) with executemany.
Every name is invented. Everything runs in one transaction.
"""

import datetime as dt
import io
import json
import random
import time
from collections import Counter
from dataclasses import dataclass, field

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.core.management.color import no_style
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from ncii_cases import choices as c
from ncii_cases.analytics_facts import case_facts_refresh_all
from ncii_cases.audit import (
    ACCESS_EVENT_CHAIN,
    CASE_EVENT_CHAIN,
    chain_spec,
    district_chain_name,
    history_chain_name,
    row_hash_compute,
)
from ncii_cases.audit_keys import audit_key_current
from ncii_cases.clocks import TAKEDOWN_RUNNING_STATUSES
from ncii_cases.events import EventType
from ncii_cases.harm_rank import harm_rank_expression
from ncii_cases.management.demo_generated import (
    CLOSED_PATHS,
    STAGE_PATHS,
    STAGE_WEIGHTS,
)
from ncii_cases.management.demo_generated import FIRST_NAMES as FIRST
from ncii_cases.management.demo_generated import LAST_NAME_ENDS as LAST_B
from ncii_cases.management.demo_generated import LAST_NAME_STARTS as LAST_A
from ncii_cases.models import (
    AccessEvent,
    AuditChainHead,
    Case,
    CaseAssignment,
    CaseEvent,
    CaseFacts,
    CaseParty,
    CaseUserObjectPermission,
    District,
    HarmAssessment,
    Person,
    ReferenceCounter,
    School,
    TakedownRequest,
    User,
)
from ncii_cases.permissions import ASSIGNMENT_GRANTS, GRANT_CODENAMES
from ncii_cases.roles import roles_sync
from ncii_cases.workflow import BY_ACTION, stage_due_at
from policies.models import Platform

S = c.Stage
# The users the benchmark signs in as.
BENCH_COORDINATOR = "bench-a-coordinator-01"
BENCH_INVESTIGATOR = "bench-a-investigator-001"
# The two cases the benchmark reads by title.
AUDIT_CASE_TITLE = "Benchmark: long audit trail"
SUMMARY_CASE_TITLE = "Benchmark: long case summary"
AUDIT_CASE_EVENTS = 5000
# The long summary case, sized so that its internal-profile PDF is about 10 pages (measured with
# the summary PDF of the reporting app: 6 groups of 4 parties, 18 takedowns, 300 more events and
# a 60-fold narrative made 17-18 pages).
SUMMARY_PARTY_GROUPS = 3
SUMMARY_CASE_TAKEDOWNS = 8
SUMMARY_EXTRA_EVENTS = 150
SUMMARY_NARRATIVE_REPEAT = 30
# The bench investigator's caseload: the same at every size (a person's caseload does not grow
# with the district), or a fifth of the cases when there are fewer.
INVESTIGATOR_CASELOAD = 200
# Without PostgreSQL (COPY) only small seeds are allowed.
SQLITE_MAX_CASES = 2000
CHUNK_CASES = 5000

# Users of the main district by role (480) and of the second, small district (20).
USERS_A = {
    c.Role.COORDINATOR: 4,
    c.Role.SCHOOL_ADMIN: 36,
    c.Role.INVESTIGATOR: 300,
    c.Role.SUPPORT_STAFF: 125,
    c.Role.AUDITOR: 10,
    c.Role.IT_ADMIN: 5,
}
USERS_B = {
    c.Role.COORDINATOR: 1,
    c.Role.SCHOOL_ADMIN: 3,
    c.Role.INVESTIGATOR: 12,
    c.Role.SUPPORT_STAFF: 3,
    c.Role.AUDITOR: 1,
}
# The roles whose accounts get staff status (the admin screens their role's rights open);
# district IT is a staff account of its district, never a superuser.
ADMIN_ROLES = (c.Role.COORDINATOR, c.Role.IT_ADMIN)
# How many schools the accounts of a role serve (school administrators: two each).
SCHOOLS_PER_ACCOUNT = {c.Role.SCHOOL_ADMIN: 2}
SCHOOLS_A = 30
SCHOOLS_B = 3
SHARE_B = 0.05

NARRATIVE = (
    "A staff member was told that an image of a student was shared in a group chat. Nobody "
    "viewed or kept the image; the report was taken down in the reporter's words. "
)


class SeedRefused(Exception):
    """The database is not one seed_bench may write to (not empty, or too big for SQLite)."""


@dataclass
class SeedReport:
    cases: int = 0
    seconds: float = 0.0
    rows: Counter = field(default_factory=Counter)
    audit_case_id: int | None = None
    summary_case_id: int | None = None


# --- Bulk writing -------------------------------------------------------------------------


def _copy_text(value) -> str:
    if value is None:
        return r"\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, dt.datetime | dt.date):
        text = value.isoformat()
    elif isinstance(value, dict | list):
        text = json.dumps(value)
    else:
        text = str(value)
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


class Writer:
    """Gives ids and writes rows of any model (a dict of attribute names per row); fields left
    out take their default. Counts the rows it wrote per table."""

    def __init__(self):
        self.postgres = connection.vendor == "postgresql"
        self.next_ids: dict[type, int] = {}
        self.rows: Counter = Counter()
        self.models: set[type] = set()
        # The history chains, by history model, continued from their heads.
        self.history_chains: dict[type, Chain] = {}

    def ids(self, model, n: int) -> range:
        if model not in self.next_ids:
            largest = model._base_manager.aggregate(largest=Max("pk"))["largest"]
            self.next_ids[model] = (largest or 0) + 1
        start = self.next_ids[model]
        self.next_ids[model] = start + n
        return range(start, start + n)

    def write(self, model, rows: list[dict]) -> None:
        if not rows:
            return
        # A generated column (``Case.stage_rank``) is worked out by the database.
        fields = [f for f in model._meta.concrete_fields if not f.generated]
        defaults = {f.attname: f.get_default() for f in fields}
        table = model._meta.db_table
        columns = ", ".join(f'"{f.column}"' for f in fields)
        if self.postgres:
            buffer = io.StringIO()
            for row in rows:
                buffer.write(
                    "\t".join(_copy_text(row.get(f.attname, defaults[f.attname])) for f in fields)
                )
                buffer.write("\n")
            buffer.seek(0)
            with connection.cursor() as cursor:
                cursor.copy_expert(f'COPY "{table}" ({columns}) FROM STDIN', buffer)
        else:
            values = [
                [
                    f.get_db_prep_save(row.get(f.attname, defaults[f.attname]), connection)
                    for f in fields
                ]
                for row in rows
            ]
            marks = ", ".join(["%s"] * len(fields))
            with connection.cursor() as cursor:
                # Table and column names come from the models, never from input.
                sql = f'INSERT INTO "{table}" ({columns}) VALUES ({marks})'  # noqa: S608  # nosec B608: names from the models
                cursor.executemany(sql, values)
        self.rows[model._meta.label] += len(rows)
        self.models.add(model)

    def write_with_history(self, model, rows: list[dict], *, when: str, user: str | None) -> None:
        """Writes the rows and one "created" simple-history row for each, dated by the row's
        ``when`` attribute and credited to its ``user`` attribute."""
        self.write(model, rows)
        history = model.history.model
        ids = self.ids(history, len(rows))
        self.write_history(
            history,
            [
                {
                    **row,
                    "history_id": hid,
                    "history_date": row[when],
                    "history_type": "+",
                    "history_user_id": row.get(user) if user else None,
                    "history_change_reason": None,
                }
                for hid, row in zip(ids, rows, strict=True)
            ],
        )

    def write_history(self, history, rows: list[dict]) -> None:
        """Writes simple-history rows (ids given, in increasing order) as links of their
        table's keyed chain."""
        if history not in self.history_chains:
            self.history_chains[history] = Chain(self, history_chain_name(history), history)
        self.history_chains[history].sign(rows)
        self.write(history, rows)

    def complete(self, model, row: dict) -> dict:
        """The row with every field the database will hold (defaults filled in)."""
        for f in model._meta.concrete_fields:
            if f.attname not in row and not f.generated:
                row[f.attname] = f.get_default()
        return row

    def heads_save(self) -> None:
        for chain in self.history_chains.values():
            chain.head_save()

    def analyze(self) -> None:
        """Refreshes the planner's statistics of the tables written (after a bulk load they
        are empty, and the planner would choose plans for empty tables) and, outside a
        transaction, vacuums them too: a database that has run for a while has its visibility
        map set by autovacuum, which lets counts read an index alone; a bulk load has none, and
        autovacuum may be off (it is on the development machine) or not have come round yet."""
        if not self.postgres:
            return
        command = "ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)"
        with connection.cursor() as cursor:
            for model in sorted(self.models, key=str):
                table = connection.ops.quote_name(model._meta.db_table)
                cursor.execute(f"{command} {table}")

    def sequences_reset(self) -> None:
        sql = connection.ops.sequence_reset_sql(no_style(), sorted(self.models, key=str))
        with connection.cursor() as cursor:
            for statement in sql:
                cursor.execute(statement)


class Chain:
    """One audit chain, continued from its head: rows get hashes in the order given."""

    def __init__(self, writer: Writer, chain: str, model):
        self.writer, self.chain, self.model = writer, chain, model
        self.spec = chain_spec(chain)
        self.key_id, _ = audit_key_current()
        head = AuditChainHead.objects.filter(chain=chain).first()
        self.last_hash = head.last_hash if head else ""
        self.count = head.count if head else 0

    def sign(self, rows: list[dict]) -> None:
        """Links the rows (ids already given, in chain order) after the chain's last row."""
        spec = self.spec
        for row in rows:
            self.writer.complete(self.model, row)
            row[spec.prev] = self.last_hash
            row[spec.key] = self.key_id
            row[spec.hash] = row_hash_compute(self.chain, _Row(row))
            self.last_hash = row[spec.hash]
        self.count += len(rows)

    def write(self, rows: list[dict]) -> None:
        """Gives the event rows ids in time order, links them and writes them."""
        rows.sort(key=lambda r: r["created_at"])
        for pk, row in zip(self.writer.ids(self.model, len(rows)), rows, strict=True):
            row["id"] = pk
        self.sign(rows)
        self.writer.write(self.model, rows)

    def head_save(self) -> None:
        AuditChainHead.objects.update_or_create(
            chain=self.chain, defaults={"last_hash": self.last_hash, "count": self.count}
        )


class DistrictChains:
    """The per-district chains of one family (``audit.district_chain_name``): rows get ids in
    time order, then each district's rows are linked in its own chain, in id order."""

    def __init__(self, writer: Writer, family: str, model, district_of):
        self.writer, self.family, self.model = writer, family, model
        self.district_of = district_of
        self.chains: dict[int | None, Chain] = {}

    def write(self, rows: list[dict]) -> None:
        rows.sort(key=lambda r: r["created_at"])
        for pk, row in zip(self.writer.ids(self.model, len(rows)), rows, strict=True):
            row["id"] = pk
        by_district: dict[int | None, list[dict]] = {}
        for row in rows:
            by_district.setdefault(self.district_of(row), []).append(row)
        for district_id, group in by_district.items():
            chain = self.chains.get(district_id)
            if chain is None:
                name = district_chain_name(self.family, district_id)
                chain = self.chains[district_id] = Chain(self.writer, name, self.model)
            chain.sign(group)
        self.writer.write(self.model, rows)

    def head_save(self) -> None:
        for chain in self.chains.values():
            chain.head_save()


class _Row:
    """Attribute access to a row dict, as ``row_hash_compute`` reads a model instance."""

    def __init__(self, row):
        self.__dict__.update(row)


# --- The district, its schools and staff -----------------------------------------------------


def _name(rng) -> tuple[str, str]:
    return rng.choice(FIRST), rng.choice(LAST_A) + rng.choice(LAST_B)


@dataclass
class Staff:
    district: District
    schools: list[int]
    by_role: dict[str, list[int]]


def _district_and_staff(writer: Writer, rng, now, code: str, n_schools: int, users: dict) -> Staff:
    district = District.objects.create(
        name=f"Benchmark District {code.upper()}",
        slug=f"bench-{code}",
        state="IL",
        reference_prefix=f"B{code.upper()}",
    )
    school_rows = [
        {
            "id": pk,
            "district_id": district.pk,
            "name": f"Benchmark {code.upper()} School {i + 1:02d}",
            "code": f"s{i + 1:02d}",
            "grades": rng.choice(["6-8", "9-12", "K-5"]),
            "when": now,
        }
        for i, pk in enumerate(writer.ids(School, n_schools))
    ]
    writer.write_with_history(School, school_rows, when="when", user=None)
    schools = [r["id"] for r in school_rows]
    groups = roles_sync()  # the group mirror of each role's admin rights (rows written below)
    password = make_password("bench-accounts-sign-in-only-through-force-login")  # noqa: S106
    user_rows, group_rows, school_links, by_role = [], [], [], {}
    for role, count in users.items():
        ids = writer.ids(User, count)
        by_role[role.value] = list(ids)
        for i, pk in enumerate(ids):
            first, last = _name(rng)
            width = 3 if count >= 100 else 2
            username = f"bench-{code}-{role.value.replace('_', '-')}-{i + 1:0{width}d}"
            user_rows.append(
                {
                    "id": pk,
                    "password": password,
                    "is_superuser": False,
                    "role": role.value,
                    "username": username,
                    "first_name": first,
                    "last_name": last,
                    "email": f"{username}@bench.example",
                    "is_staff": role in ADMIN_ROLES,
                    "is_active": True,
                    "date_joined": now,
                    "district_id": district.pk,
                    "title": role.label,
                }
            )
            group_rows.append({"user_id": pk, "group_id": groups[role.value].pk})
            for school in rng.sample(schools, min(SCHOOLS_PER_ACCOUNT.get(role, 0), len(schools))):
                school_links.append({"user_id": pk, "school_id": school})
    writer.write_with_history(User, user_rows, when="date_joined", user=None)
    for through, rows in ((User.groups.through, group_rows), (User.schools.through, school_links)):
        for pk, row in zip(writer.ids(through, len(rows)), rows, strict=True):
            row["id"] = pk
        writer.write(through, rows)
    return Staff(district=district, schools=schools, by_role=by_role)


def _platforms() -> list[Platform]:
    platforms = list(Platform.objects.filter(district__isnull=True, active=True))
    if platforms:
        return platforms
    # A flushed database has lost the catalog rows of the migrations: add a few for everyone.
    return [
        Platform.objects.create(
            slug=slug,
            name=name,
            category=Platform.Category.SOCIAL,
            reporting_route="Use the platform's report form.",
            take_it_down_act_covered=covered,
        )
        for slug, name, covered in [
            ("bench-social", "Benchmark social network", True),
            ("bench-messaging", "Benchmark messaging app", True),
            ("bench-video", "Benchmark video site", False),
        ]
    ]


# --- Cases ---------------------------------------------------------------------------------


@dataclass
class CaseSpec:
    staff: Staff
    reported_at: dt.datetime
    stage: str
    path: list[str]
    special: str = ""  # "audit" or "summary"
    reference: str = ""


class Builder:
    """Writes the cases of one chunk and everything recorded about them."""

    def __init__(self, writer, rng, now, platforms, grant_ids, bench_investigator):
        self.writer, self.rng, self.now = writer, rng, now
        self.platforms = platforms
        self.grant_ids = grant_ids
        self.bench_investigator = bench_investigator
        self.bench_investigator_left = 0
        # Each event's chain is its case's district's: the cases' districts, by case id.
        self.case_district: dict[int, int] = {}
        self.events = DistrictChains(
            writer, CASE_EVENT_CHAIN, CaseEvent, lambda row: self.case_district[row["case_id"]]
        )
        self.accesses = DistrictChains(
            writer, ACCESS_EVENT_CHAIN, AccessEvent, lambda row: row["district_id"]
        )
        self.special_ids: dict[str, int] = {}

    def _times(self, start: dt.datetime, n: int, *, closed: bool) -> list[dt.datetime]:
        """n sorted moments after ``start``: spread to now for open cases, over up to 120 days
        for closed ones."""
        end = self.now - dt.timedelta(minutes=5)
        if closed:
            end = min(end, start + dt.timedelta(days=self.rng.randint(20, 120)))
        span = max((end - start).total_seconds(), 60.0)
        return sorted(
            start + dt.timedelta(seconds=self.rng.uniform(0.05, 1.0) * span) for _ in range(n)
        )

    def build(self, specs: list[CaseSpec]) -> None:
        rng, w = self.rng, self.writer
        cases, persons, parties, assignments, grants = [], [], [], [], []
        harms, takedowns, events, accesses, case_history = [], [], [], [], []
        case_ids = w.ids(Case, len(specs))
        for pk, spec in zip(case_ids, specs, strict=True):
            staff = spec.staff
            first_takedown = len(takedowns)
            district_id = staff.district.pk
            self.case_district[pk] = district_id
            school_id = rng.choice(staff.schools)
            lead = rng.choice(staff.by_role[c.Role.COORDINATOR])
            reported = spec.reported_at
            closed = spec.stage == S.CLOSED
            moments = self._times(reported, len(spec.path) + 2, closed=closed)
            created = reported + dt.timedelta(minutes=10)
            priority = rng.choice(c.Level.values)
            respondent_affiliation = rng.choices(
                [c.Affiliation.STUDENT, c.Affiliation.EMPLOYEE, c.Affiliation.UNKNOWN], [7, 1, 2]
            )[0]
            track = {
                c.Affiliation.STUDENT: c.RespondentTrack.STUDENT,
                c.Affiliation.EMPLOYEE: c.RespondentTrack.EMPLOYEE,
            }.get(respondent_affiliation, c.RespondentTrack.UNDETERMINED)
            case = {
                "id": pk,
                "district_id": district_id,
                "school_id": school_id,
                "reference": spec.reference,
                "title": spec.special
                and {"audit": AUDIT_CASE_TITLE, "summary": SUMMARY_CASE_TITLE}[spec.special]
                or f"Image shared in a {rng.choice(['group chat', 'class chat', 'team chat'])}",
                "narrative": NARRATIVE
                * (SUMMARY_NARRATIVE_REPEAT if spec.special == "summary" else 1),
                "reported_at": reported,
                "reported_by_name": "A teacher",
                "reported_via": rng.choice(["Email", "In person", "Phone"]),
                "occurred_at": reported - dt.timedelta(days=rng.randint(0, 6)),
                "ncii_kind": rng.choice(c.NciiKind.values),
                "conduct": rng.choices(c.Conduct.values, [7, 1, 1, 1])[0],
                "location": rng.choice(c.Location.values),
                "timing": rng.choice(c.Timing.values),
                "reach": rng.choice(c.Reach.values),
                "stage": spec.stage,
                "priority": priority,
                "created_at": created,
                "created_by_id": lead,
            }
            # Parties: the depicted student, a respondent (unknown at times), the reporting
            # teacher and the depicted student's parent.
            n_groups = SUMMARY_PARTY_GROUPS if spec.special == "summary" else 1
            depicted_ids = []
            party_ids = iter(w.ids(CaseParty, 4 * n_groups))
            person_ids = iter(w.ids(Person, 2 * n_groups))
            respondent_known = False
            for _ in range(n_groups):
                depicted_person = next(person_ids)
                first, last = _name(rng)
                persons.append(
                    {
                        "id": depicted_person,
                        "district_id": district_id,
                        "first_name": first,
                        "last_name": last,
                        "affiliation": c.Affiliation.STUDENT,
                        "school_id": school_id,
                        "grade": str(rng.randint(6, 12)),
                        "when": created,
                        "by": lead,
                    }
                )
                depicted = next(party_ids)
                depicted_ids.append(depicted)
                respondent_person = next(person_ids)
                known = respondent_affiliation != c.Affiliation.UNKNOWN
                respondent_known |= known
                if known:
                    first, last = _name(rng)
                    persons.append(
                        {
                            "id": respondent_person,
                            "district_id": district_id,
                            "first_name": first,
                            "last_name": last,
                            "affiliation": respondent_affiliation,
                            "school_id": school_id,
                            "when": created,
                            "by": lead,
                        }
                    )
                base = {"case_id": pk, "added_at": created, "when": created, "by": lead}
                parties += [
                    {
                        **base,
                        "id": depicted,
                        "person_id": depicted_person,
                        "role": c.PartyRole.DEPICTED,
                        "affiliation": c.Affiliation.STUDENT,
                        "is_minor": True,
                    },
                    {
                        **base,
                        "id": next(party_ids),
                        "person_id": respondent_person if known else None,
                        "role": c.PartyRole.RESPONDENT,
                        "affiliation": respondent_affiliation,
                        "is_minor": respondent_affiliation == c.Affiliation.STUDENT or None,
                        "description": "" if known else "Unknown sender of the image",
                    },
                    {
                        **base,
                        "id": next(party_ids),
                        "role": c.PartyRole.REPORTER,
                        "affiliation": c.Affiliation.EMPLOYEE,
                        "is_minor": False,
                        "description": "Teacher who received the report",
                    },
                    {
                        **base,
                        "id": next(party_ids),
                        "role": c.PartyRole.PARENT,
                        "affiliation": c.Affiliation.NON_AFFILIATED,
                        "is_minor": False,
                        "description": "Parent of the depicted student",
                        "related_to_id": depicted,
                    },
                ]
            case_events = [
                self._event(pk, lead, EventType.CASE_CREATED, created, detail={"parties": 4})
            ]
            # Assignments: the lead coordinator always; an investigator and often a counselor
            # once the case is past intake.
            assigned = [(lead, c.AssignmentRole.LEAD)]
            if spec.stage != S.INTAKE:
                investigator = rng.choice(staff.by_role[c.Role.INVESTIGATOR])
                if self.bench_investigator in staff.by_role[c.Role.INVESTIGATOR]:
                    if spec.special or self.bench_investigator_left > 0:
                        investigator = self.bench_investigator
                        self.bench_investigator_left -= 0 if spec.special else 1
                    elif investigator == self.bench_investigator:
                        investigator = staff.by_role[c.Role.INVESTIGATOR][1]
                assigned.append((investigator, c.AssignmentRole.INVESTIGATOR))
                if rng.random() < 0.5:
                    assigned.append(
                        (rng.choice(staff.by_role[c.Role.SUPPORT_STAFF]), c.AssignmentRole.SUPPORT)
                    )
            at = created + dt.timedelta(minutes=20)
            for (user_id, role), aid in zip(
                assigned, w.ids(CaseAssignment, len(assigned)), strict=True
            ):
                assignments.append(
                    {
                        "id": aid,
                        "case_id": pk,
                        "user_id": user_id,
                        "role": role,
                        "assigned_at": at,
                        "assigned_by_id": lead,
                    }
                )
                for codename in sorted(ASSIGNMENT_GRANTS[role]):
                    grants.append(
                        {
                            "permission_id": self.grant_ids[codename],
                            "user_id": user_id,
                            "content_object_id": pk,
                        }
                    )
                case_events.append(
                    self._event(
                        pk, lead, EventType.ASSIGNED, at, detail={"user": user_id, "role": role}
                    )
                )
            investigator_id = assigned[1][0] if len(assigned) > 1 else lead
            # The workflow, step by step, with what each step sets on the case.
            stage_entered, case_stage = created, S.INTAKE
            for action, moment in zip(spec.path, moments, strict=False):
                t = BY_ACTION[action]
                reason = "Recorded for the benchmark." if t.needs_reason else ""
                detail = {"action": action}
                if action in ("route_process_b", "route_process_a"):
                    detail["respondent_track"] = track
                if action == "begin_assessment":
                    case["jurisdiction"] = c.Jurisdiction.IN_SCOPE
                    case["jurisdiction_facts"] = "Students of the school; school day disrupted."
                    case["jurisdiction_reasoning"] = "It involves students and disrupted classes."
                    case["is_intimate_imagery"] = True
                    case["disrupts_school"] = True
                if action == "refer":
                    detail["referred_to"] = "County youth services"
                # What the step sets on the case, as ``case_transition`` sets it.
                if t.sets is not None:
                    case.update(t.sets(reason, detail, moment))
                if action == "complete_harm_assessment":
                    harms.append(
                        {
                            "case_id": pk,
                            "reach": case["reach"],
                            "platform_count": 1,
                            "minors_depicted": True,
                            "level": priority,
                            "factors": ["The depicted student is a minor."],
                            "completed_at": moment - dt.timedelta(minutes=5),
                            "completed_by_id": investigator_id,
                        }
                    )
                    case_events.append(
                        self._event(
                            pk,
                            investigator_id,
                            EventType.HARM_ASSESSED,
                            moment - dt.timedelta(minutes=5),
                            detail={"level": priority},
                        )
                    )
                    if spec.special == "summary":
                        chosen = [
                            self.platforms[i % len(self.platforms)]
                            for i in range(SUMMARY_CASE_TAKEDOWNS)
                        ]
                    else:
                        chosen = rng.sample(
                            self.platforms, min(len(self.platforms), rng.randint(1, 2))
                        )
                    for platform in chosen:
                        takedowns.append(
                            self._takedown(pk, platform, depicted_ids[0], moment, spec.stage)
                        )
                        case_events.append(
                            self._event(pk, investigator_id, EventType.TAKEDOWN_CREATED, moment)
                        )
                actor = lead if t.permission in ("triage", "decide") else investigator_id
                case_events.append(
                    self._event(
                        pk,
                        actor,
                        EventType.TRANSITION,
                        moment,
                        from_stage=t.sources[0] if len(t.sources) == 1 else case_stage,
                        to_stage=t.target,
                        reason=reason,
                        detail=detail,
                    )
                )
                case_stage = t.target
                stage_entered = moment
            case["stage_entered_at"] = stage_entered
            case["stage_due_at"] = stage_due_at(spec.stage, priority, stage_entered)
            case["next_due_at"] = _next_due(case, takedowns[first_takedown:])
            case["updated_at"] = stage_entered
            if spec.special:
                self.special_ids[spec.special] = pk
                extra = SUMMARY_EXTRA_EVENTS
                if spec.special == "audit":
                    extra = AUDIT_CASE_EVENTS - len(case_events)
                for i, moment in enumerate(self._times(created, extra, closed=False)):
                    event_type = [
                        EventType.FACTS_UPDATED,
                        EventType.EVIDENCE_RECORDED,
                        EventType.NOTICE_LOGGED,
                        EventType.MEASURE_REVIEWED,
                    ][i % 4]
                    case_events.append(
                        self._event(
                            pk,
                            investigator_id,
                            event_type,
                            moment,
                            reason=f"Benchmark record {i + 1}.",
                        )
                    )
                    if event_type == EventType.FACTS_UPDATED:
                        case_history.append({**case, "history_date": moment, "by": investigator_id})
            events += case_events
            # The access log: the lead and the investigator opened the case page.
            for user_id in {lead, investigator_id}:
                moment = self._times(created, 1, closed=closed)[0]
                accesses.append(
                    {
                        "user_id": user_id,
                        "username": "",
                        "district_id": district_id,
                        "case_id": pk,
                        "action": "case_detail",
                        "path": f"/cases/{pk}/",
                        "method": "GET",
                        "allowed": True,
                        "ip_address": f"10.20.{rng.randint(0, 255)}.{rng.randint(1, 254)}",
                        "user_agent": "Mozilla/5.0 (benchmark)",
                        "created_at": moment,
                    }
                )
            case["when"], case["by"] = created, lead
            cases.append(case)

        usernames = dict(User.objects.values_list("pk", "username"))
        for row in accesses:
            row["username"] = usernames[row["user_id"]]
        w.write_with_history(Case, cases, when="when", user="by")
        if case_history:
            history = Case.history.model
            w.write_history(
                history,
                [
                    {**row, "history_id": hid, "history_type": "~", "history_user_id": row["by"]}
                    for hid, row in zip(
                        w.ids(history, len(case_history)), case_history, strict=True
                    )
                ],
            )
        w.write_with_history(Person, persons, when="when", user="by")
        w.write_with_history(CaseParty, parties, when="when", user="by")
        w.write_with_history(CaseAssignment, assignments, when="assigned_at", user="assigned_by_id")
        for row, pk in zip(grants, w.ids(CaseUserObjectPermission, len(grants)), strict=True):
            row["id"] = pk
        w.write(CaseUserObjectPermission, grants)
        for row, pk in zip(harms, w.ids(HarmAssessment, len(harms)), strict=True):
            row["id"] = pk
        w.write_with_history(HarmAssessment, harms, when="completed_at", user="completed_by_id")
        for row, pk in zip(takedowns, w.ids(TakedownRequest, len(takedowns)), strict=True):
            row["id"] = pk
        w.write_with_history(TakedownRequest, takedowns, when="when", user=None)
        self.events.write(events)
        self.accesses.write(accesses)

    def _event(
        self,
        case_id,
        actor_id,
        event_type,
        at,
        *,
        from_stage="",
        to_stage="",
        reason="",
        detail=None,
    ):
        return {
            "case_id": case_id,
            "actor_id": actor_id,
            "event_type": event_type,
            "from_stage": from_stage,
            "to_stage": to_stage,
            "reason": reason,
            "detail": detail or {},
            "created_at": at,
        }

    def _takedown(self, case_id, platform, depicted_id, at, stage):
        rng = self.rng
        status = (
            rng.choice([TakedownRequest.Status.REMOVED, TakedownRequest.Status.WAIVED])
            if stage == S.CLOSED
            else rng.choice(
                [
                    TakedownRequest.Status.TO_DO,
                    TakedownRequest.Status.SUBMITTED,
                    TakedownRequest.Status.SUBMITTED,
                    TakedownRequest.Status.REMOVED,
                ]
            )
        )
        row = {
            "case_id": case_id,
            "platform_id": platform.pk,
            "location": f"https://social.example/posts/{rng.randint(10_000, 99_999)}",
            "depicted_party_id": depicted_id,
            "route": TakedownRequest.Route.TAKE_IT_DOWN,
            "status": status,
            "covered_by_48h_rule": platform.take_it_down_act_covered,
            "when": at,
        }
        if status != TakedownRequest.Status.TO_DO:
            submitted = at + dt.timedelta(hours=rng.randint(1, 30))
            row.update(
                submitted_at=submitted,
                has_signature=True,
                identifies_content=True,
                good_faith_statement=True,
                has_contact_information=True,
            )
            if platform.take_it_down_act_covered:
                row["due_at"] = submitted + dt.timedelta(hours=48)
        if status == TakedownRequest.Status.REMOVED:
            row["resolved_at"] = row["submitted_at"] + dt.timedelta(hours=rng.randint(2, 40))
        if status == TakedownRequest.Status.WAIVED:
            row["waiver_reason"] = "The post was already gone when checked."
        return row


def _next_due(case: dict, takedowns: list[dict]) -> dt.datetime | None:
    """The case's ``next_due_at`` as ``next_due.case_next_due_refresh`` computes it: the
    earliest of the stage's due time (none once closed) and the clocks of its open takedown
    requests (the seed writes no external reports)."""
    dues = [
        row["due_at"]
        for row in takedowns
        if row["status"] in TAKEDOWN_RUNNING_STATUSES
        and row.get("covered_by_48h_rule")
        and row.get("due_at") is not None
    ]
    if case["stage"] != S.CLOSED and case["stage_due_at"] is not None:
        dues.append(case["stage_due_at"])
    return min(dues, default=None)


# --- The command's entry point ---------------------------------------------------------------


def database_is_empty() -> bool:
    return not (
        District.objects.exists()
        or User.objects.exists()
        or Case.objects.exists()
        or CaseEvent.objects.exists()
        or AccessEvent.objects.exists()
    )


def seed(*, cases: int, seed_value: int = 2026, log=print) -> SeedReport:
    """Writes ``cases`` cases (at least 2: the long audit trail and the long summary) with
    everything around them into an empty database, in one transaction."""
    if cases < 2:
        raise SeedRefused("Seed at least 2 cases (the two benchmark cases).")
    if connection.vendor != "postgresql" and cases > SQLITE_MAX_CASES:
        raise SeedRefused(
            f"seed_bench writes large volumes with PostgreSQL's COPY; on {connection.vendor} it "
            f"allows at most {SQLITE_MAX_CASES} cases. Set DATABASE_URL to a PostgreSQL database."
        )
    if not database_is_empty():
        raise SeedRefused(
            "The database already holds districts, users, cases or audit rows. seed_bench "
            "writes only into an empty database; pass --reset to empty it first (everything "
            "in it is deleted)."
        )
    started = time.perf_counter()
    rng = random.Random(seed_value)  # nosec B311: fictional data, nothing secret
    now = timezone.now().replace(microsecond=0)
    writer = Writer()
    report = SeedReport(cases=cases)
    with transaction.atomic():
        staff_a = _district_and_staff(writer, rng, now, "a", SCHOOLS_A, USERS_A)
        staff_b = _district_and_staff(writer, rng, now, "b", SCHOOLS_B, USERS_B)
        log(f"  districts, schools and {sum(USERS_A.values()) + sum(USERS_B.values())} users")
        platforms = _platforms()
        case_type = ContentType.objects.get_for_model(Case)
        grant_ids = dict(
            Permission.objects.filter(
                content_type=case_type, codename__in=GRANT_CODENAMES
            ).values_list("codename", "pk")
        )
        bench_investigator = User.objects.get(username=BENCH_INVESTIGATOR).pk
        specs = _case_specs(rng, now, cases, staff_a, staff_b)
        builder = Builder(writer, rng, now, platforms, grant_ids, bench_investigator)
        builder.bench_investigator_left = min(INVESTIGATOR_CASELOAD, cases // 5)
        done = 0
        for start in range(0, len(specs), CHUNK_CASES):
            chunk = specs[start : start + CHUNK_CASES]
            builder.build(chunk)
            done += len(chunk)
            log(f"  {done}/{cases} cases ({time.perf_counter() - started:.1f} s)")
        builder.events.head_save()
        builder.accesses.head_save()
        writer.heads_save()
        _counters_save(specs)
        writer.sequences_reset()
        # The queue's harm sort reads the stored rank the harm assessment's signal keeps;
        # the bulk writes above send no signals, so it is filled here in one UPDATE.
        Case.objects.update(harm_rank=harm_rank_expression(HarmAssessment))
    # The analytics page reads kept per-case facts (``analytics_facts``), worked out here as
    # the hourly refresh would, in batches of their own transactions.
    case_facts_refresh_all()
    log(f"  harm ranks and analytics facts ({time.perf_counter() - started:.1f} s)")
    # The kept facts are written by the refresh, not by the writer: their statistics too.
    writer.models.add(CaseFacts)
    writer.analyze()
    log(f"  committed, vacuumed and analyzed ({time.perf_counter() - started:.1f} s)")
    report.seconds = time.perf_counter() - started
    report.rows = writer.rows
    report.audit_case_id = builder.special_ids.get("audit")
    report.summary_case_id = builder.special_ids.get("summary")
    return report


def _case_specs(rng, now, n, staff_a, staff_b) -> list[CaseSpec]:
    stages, weights = zip(*STAGE_WEIGHTS.items(), strict=True)
    specs = []
    for _ in range(n - 2):
        stage = rng.choices(stages, weights)[0]
        staff = staff_b if rng.random() < SHARE_B else staff_a
        if stage == S.CLOSED:
            path = rng.choices(CLOSED_PATHS, [8, 1, 1])[0]
            reported = now - dt.timedelta(days=rng.uniform(120, 730))
        else:
            path = STAGE_PATHS[stage]
            reported = now - dt.timedelta(days=rng.uniform(0.5, 120))
        specs.append(CaseSpec(staff=staff, reported_at=reported, stage=stage, path=path))
    for special, stage in (("audit", S.INVESTIGATION), ("summary", S.MONITORING)):
        reported = now - dt.timedelta(days=rng.uniform(60, 90))
        specs.append(CaseSpec(staff_a, reported, stage, STAGE_PATHS[stage], special=special))
    specs.sort(key=lambda s: s.reported_at)
    numbers: Counter = Counter()
    for spec in specs:
        district = spec.staff.district
        year = timezone.localtime(spec.reported_at).year
        numbers[(district.pk, year)] += 1
        spec.reference = f"{district.reference_prefix}-{year}-{numbers[(district.pk, year)]:04d}"
    return specs


def _counters_save(specs) -> None:
    last: dict[tuple[int, int], int] = {}
    for spec in specs:
        district_id = spec.staff.district.pk
        year = int(spec.reference.split("-")[1])
        number = int(spec.reference.split("-")[2])
        last[(district_id, year)] = max(last.get((district_id, year), 0), number)
    ReferenceCounter.objects.bulk_create(
        [
            ReferenceCounter(district_id=d, year=y, last_number=n)
            for (d, y), n in sorted(last.items())
        ]
    )
