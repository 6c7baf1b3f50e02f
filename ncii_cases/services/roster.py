"""The OneRoster import: a district's schools, people and staff accounts from its student
information system's OneRoster CSV export (``ncii_cases.roster`` reads and checks the files).

What it writes, all in one transaction (a problem anywhere and nothing is written):

- schools from orgs.csv (type ``school``), matched on ``sourcedId`` (or, once, on a school
  entered by hand whose code is the org's ``identifier``);
- people from users.csv: students and staff (family members are not imported), with name,
  affiliation (from roles.csv, enrollments.csv, or v1.1's ``role``), school, grade, date of
  birth (demographics.csv), e-mail and student or employee number, matched on ``sourcedId``;
  running the same export again changes nothing;
- a staff account per staff member with a username, created disabled and without a role: IT
  enables it in the admin, and a coordinator of the district (or the operator) gives it a
  role, confirming its e-mail address when the role reads case records. An account entered
  by hand with the same username in the district is linked instead; a username used
  elsewhere is left alone (a notice);
- leavers: a person missing from a bulk users.csv, or marked ``tobedeleted`` in a delta, is
  marked as no longer on the roster (never deleted: cases keep them); their staff account, and
  an account whose ``enabledUser`` is false, is deactivated with ``user_deactivate`` (sessions
  and case assignments end).

People and accounts are written in batches (``bulk_create``/``bulk_update``) with their
history rows chained in bulk (``history_bulk``); memory holds the roster's small per-person
maps (role, school, birth date, ids seen), never a file. Every run, a dry run and a refused one
too, leaves a ``RosterImport`` row: who, when, the files' SHA-256, the counts, the problems.
"""

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field

from django.contrib.auth.hashers import make_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from .. import choices as c
from ..history_bulk import history_rows_bulk_append
from ..models import EMAIL_CONFIRMATION_FIELDS, District, Person, RosterImport, School, User
from ..permissions import account_email_may_change, districts_for_roster_import
from ..roster import (
    FAMILY_ROLES,
    STAFF_ROLES,
    STUDENT_ROLES,
    Manifest,
    Problem,
    Problems,
    RosterSource,
    RosterUnreadable,
    date_parse,
    grades_first,
    manifest_read,
    records,
)
from .accounts import email_address_moved, user_deactivate
from .common import stamp
from .two_factor import account_email_changes_notify, enrollment_links_revoke_many

BATCH = 2000
SAMPLES_MAX = 25
STUDENT, STAFF, FAMILY = 1, 2, 4
PERSON_FIELDS = [
    "first_name",
    "last_name",
    "affiliation",
    "affiliations",
    "school_id",
    "grade",
    "birth_date",
    "email",
    "external_id",
]
ACCOUNT_FIELDS = ["first_name", "last_name", "email"]
# What each count of a result means, in the order the command and the screen show them.
COUNT_LABELS = [
    ("schools_created", "schools created"),
    ("schools_linked", "schools linked to a school entered by hand"),
    ("schools_changed", "schools changed"),
    ("people_created", "people created"),
    ("people_changed", "people changed"),
    ("people_unchanged", "people unchanged"),
    ("people_deactivated", "people who left the roster (marked inactive)"),
    ("accounts_created", "staff accounts created, disabled"),
    ("accounts_linked", "staff accounts linked to an account entered by hand"),
    ("accounts_changed", "staff accounts changed"),
    (
        "account_emails_kept",
        "e-mail addresses of accounts that read cases kept (a coordinator changes them)",
    ),
    ("accounts_deactivated", "staff accounts deactivated, sessions ended"),
    ("rows_skipped_family", "family members skipped (not imported)"),
    ("rows_skipped_no_role", "users without a role skipped"),
]


@dataclass
class RosterResult:
    """What one import did (or, for a dry run, would do): ``status`` (a
    ``RosterImport.Status``), ``counts`` by kind, ``samples`` (up to 25 lines per kind:
    "created", "changed", "deactivated", "accounts"), the ``problems`` that refused it (file,
    line, column), ``notices`` that did not, and the stored ``record``."""

    status: str = ""
    counts: Counter = field(default_factory=Counter)
    samples: dict[str, list[str]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    problems_total: int = 0
    notices: list[str] = field(default_factory=list)
    file_hashes: dict[str, str] = field(default_factory=dict)
    modes: dict[str, str] = field(default_factory=dict)
    record: RosterImport | None = None

    @property
    def is_refused(self) -> bool:
        """Whether the import was refused (nothing written; ``problems`` say why)."""
        return self.status == RosterImport.Status.REFUSED

    @property
    def is_dry_run(self) -> bool:
        """Whether the import only showed what it would do (nothing written)."""
        return self.status == RosterImport.Status.DRY_RUN

    def sample(self, kind: str, line: str) -> None:
        lines = self.samples.setdefault(kind, [])
        if len(lines) < SAMPLES_MAX:
            lines.append(line)

    def notice(self, text: str) -> None:
        self.counts["notices"] += 1
        if len(self.notices) < SAMPLES_MAX * 4:
            self.notices.append(text)


class _Undo(Exception):
    """Rolls the import's transaction back (a dry run, or problems found)."""


@dataclass
class _Run:
    district: District
    source: RosterSource
    manifest: Manifest
    actor: User | None
    problems: Problems
    result: RosterResult
    now: dt.datetime
    org_school: dict[str, int | None] = field(default_factory=dict)
    school_names: dict[int, str] = field(default_factory=dict)
    # user sourcedId -> [flags, school id, school came from a primary role]
    info: dict[str, list] = field(default_factory=dict)
    births: dict[str, dt.date | None] = field(default_factory=dict)
    seen: set[str] = field(default_factory=set)
    seen_staff: set[str] = field(default_factory=set)
    usernames: set[str] = field(default_factory=set)
    # (account, former address) of each account whose e-mail address the import changes
    emails_changed: list[tuple[User, str]] = field(default_factory=list)


def roster_import(
    *,
    district: District,
    origin,
    actor: User | None = None,
    actor_label: str = "",
    dry_run: bool = False,
    source: str = RosterImport.Source.COMMAND,
    file_name: str = "",
) -> RosterResult:
    """Imports the OneRoster export at ``origin`` (a folder, a zip file's path, or a binary
    file object of a zip) into the district and returns what it did; see the module's
    docstring. ``dry_run``: everything is worked out and rolled back, so the result says what
    would be created, changed and deactivated. ``actor``: the account importing (it must be
    allowed by ``permissions.districts_for_roster_import``; None from the command line, then
    ``actor_label`` says who).

    Raises ``PermissionDenied`` for an actor who may not import the district's roster. A
    malformed export is not an exception: the result's status is ``refused``, with its
    problems, and nothing of the roster is written."""
    if actor is not None and not districts_for_roster_import(actor).filter(pk=district.pk).exists():
        raise PermissionDenied("You may not import this district's roster.")
    started = timezone.now()
    result = RosterResult()
    problems = Problems()
    try:
        roster = RosterSource(origin)
    except RosterUnreadable as error:
        problems.add(file_name or "the upload", None, None, str(error))
        return _record(district, result, problems, actor, actor_label, source, file_name, started)
    try:
        manifest = manifest_read(roster, problems)
        result.modes = dict(manifest.modes)
        for name in ("manifest.csv", *manifest.modes):
            if roster.has(name) and (name == "manifest.csv" or manifest.mode(name) != "absent"):
                result.file_hashes[name] = roster.sha256(name)
        if problems:
            return _record(
                district, result, problems, actor, actor_label, source, file_name, started
            )
        run = _Run(district, roster, manifest, actor, problems, result, started)
        try:
            with transaction.atomic():
                _apply(run)
                if problems:
                    raise _Undo
                if dry_run:
                    result.status = RosterImport.Status.DRY_RUN
                    raise _Undo
                result.status = RosterImport.Status.APPLIED
                return _record(
                    district, result, problems, actor, actor_label, source, file_name, started
                )
        except _Undo:
            pass
        return _record(district, result, problems, actor, actor_label, source, file_name, started)
    finally:
        roster.close()


def _record(district, result, problems, actor, actor_label, source, file_name, started):
    if problems:
        result.status = RosterImport.Status.REFUSED
        result.problems = list(problems)
        result.problems_total = problems.total
    record = RosterImport(
        district=district,
        started_by=actor if getattr(actor, "pk", None) else None,
        started_by_label=actor_label[:200],
        source=source,
        status=result.status,
        file_name=file_name[:300],
        file_hashes=result.file_hashes,
        modes=result.modes,
        counts=dict(result.counts),
        problems=[str(p) for p in result.problems],
        started_at=started,
        finished_at=timezone.now(),
    )
    stamp(record, actor)
    record.save()
    result.record = record
    return result


def _apply(run: _Run) -> None:
    _schools_sync(run)
    _roles_read(run)
    _births_read(run)
    _users_import(run)
    if run.manifest.mode("users.csv") == "bulk":
        _leavers_deactivate(run)


# --- Schools ---------------------------------------------------------------------------------


def _school_code(identifier: str, sourced_id: str, taken: set[str]) -> str:
    base = (slugify(identifier) or slugify(sourced_id) or "school")[:20]
    code, n = base, 1
    while code in taken:
        n += 1
        code = f"{base[: 20 - len(str(n)) - 1]}-{n}"
    taken.add(code)
    return code


def _schools_sync(run: _Run) -> None:
    district, result = run.district, run.result
    schools = list(School.objects.filter(district=district))
    by_id = {s.roster_sourced_id: s for s in schools if s.roster_sourced_id}
    by_code = {s.code: s for s in schools if not s.roster_sourced_id}
    taken = {s.code for s in schools}
    run.org_school = {sid: s.pk for sid, s in by_id.items()}
    for line, row in records(run.source, run.manifest, "orgs.csv", run.problems):
        sid = row["sourcedId"]
        if row["type"] != "school":
            run.org_school.setdefault(sid, None)
            continue
        if row.get("status") == "tobedeleted":
            # A school is never removed: its cases keep it. Noted for IT.
            result.notice(f"orgs.csv, line {line}: {row['name']} is marked tobedeleted; kept.")
            continue
        name = row["name"][:200]
        school = by_id.get(sid)
        if school is None:
            school = by_code.pop(slugify(row.get("identifier", ""))[:20], None)
            if school is not None:
                result.counts["schools_linked"] += 1
            else:
                school = School(
                    district=district, code=_school_code(row.get("identifier", ""), sid, taken)
                )
                result.counts["schools_created"] += 1
                result.sample("created", f"School: {name}")
            school.roster_sourced_id = sid
            school.name = name
            stamp(school, run.actor).save()
            by_id[sid] = school
        elif school.name != name:
            school.name = name
            stamp(school, run.actor).save(update_fields=["name"])
            result.counts["schools_changed"] += 1
            result.sample("changed", f"School: {name} (name)")
        run.org_school[sid] = school.pk
    run.school_names = {s.pk: s.name for s in by_id.values()}
    run.school_names.update({s.pk: s.name for s in schools})


def _org_school(run: _Run, name: str, line: int, column: str, org: str) -> int | None:
    """The school id of an org reference (None for a district or other org); a reference to
    no org at all is a problem."""
    if org not in run.org_school:
        run.problems.add(name, line, column, f"no org has the sourcedId {org!r} (orgs.csv).")
        return None
    return run.org_school[org]


# --- Roles, schools and birth dates by person -------------------------------------------------


def _flag(role: str) -> int:
    if role in STUDENT_ROLES:
        return STUDENT
    if role in STAFF_ROLES:
        return STAFF
    return FAMILY if role in FAMILY_ROLES else 0


def _note_role(run: _Run, user: str, role: str, school: int | None, primary: bool) -> None:
    entry = run.info.get(user)
    if entry is None:
        entry = run.info[user] = [0, None, False]
    entry[0] |= _flag(role)
    if school is not None and (entry[1] is None or (primary and not entry[2])):
        entry[1], entry[2] = school, primary


def _roles_read(run: _Run) -> None:
    for line, row in records(run.source, run.manifest, "roles.csv", run.problems):
        if row.get("status") == "tobedeleted":
            continue
        school = _org_school(run, "roles.csv", line, "orgSourcedId", row["orgSourcedId"])
        _note_role(run, row["userSourcedId"], row["role"], school, row["roleType"] == "primary")
    for line, row in records(run.source, run.manifest, "enrollments.csv", run.problems):
        if row.get("status") == "tobedeleted":
            continue
        school = _org_school(
            run, "enrollments.csv", line, "schoolSourcedId", row["schoolSourcedId"]
        )
        _note_role(run, row["userSourcedId"], row["role"], school, False)


def _births_read(run: _Run) -> None:
    for _line, row in records(run.source, run.manifest, "demographics.csv", run.problems):
        if row.get("status") != "tobedeleted":
            run.births[row["sourcedId"]] = date_parse(row.get("birthDate", ""))


# --- People and staff accounts ----------------------------------------------------------------


@dataclass
class _Row:
    line: int
    sid: str
    person: dict
    staff: bool
    role_known: bool
    username: str
    enabled: bool
    leaving: bool


def _person_wanted(run: _Run, line: int, row: dict) -> _Row | None:
    sid = row["sourcedId"]
    entry = run.info.get(sid, [0, None, False])
    flags, school = entry[0], entry[1]
    # v1.1 carries the role and the orgs on the user row itself.
    if row.get("role"):
        flags |= _flag(row["role"])
    primary = row.get("primaryOrgSourcedId", "")
    if primary:
        primary_school = _org_school(run, "users.csv", line, "primaryOrgSourcedId", primary)
        school = primary_school if primary_school is not None else school
    for org in filter(None, (o.strip() for o in row.get("orgSourcedIds", "").split(","))):
        if school is None:
            school = _org_school(run, "users.csv", line, "orgSourcedIds", org)
    if flags & FAMILY and not flags & (STUDENT | STAFF):
        run.result.counts["rows_skipped_family"] += 1
        return None
    email = row.get("email", "")
    if email:
        try:
            validate_email(email)
        except ValidationError:
            run.problems.add("users.csv", line, "email", f"{email!r} is not an e-mail address.")
            return None
    person = {
        "first_name": row["givenName"][:100],
        "last_name": row["familyName"][:100],
        "grade": grades_first(row.get("grades", "")),
        "email": email[:254],
        "external_id": row.get("identifier", "")[:64],
    }
    # Without a role anywhere in this export (a delta of users.csv alone), the person's
    # affiliation and school stay as the last full export gave them.
    if flags:
        affiliations = []
        if flags & STUDENT:
            affiliations.append(c.Affiliation.STUDENT)
        if flags & STAFF:
            affiliations.append(c.Affiliation.EMPLOYEE)
        person.update(affiliation=affiliations[0], affiliations=affiliations[1:])
        person["school_id"] = school
    elif school is not None:
        person["school_id"] = school
    if run.manifest.mode("demographics.csv") != "absent" and sid in run.births:
        person["birth_date"] = run.births[sid]
    return _Row(
        line=line,
        sid=sid,
        person=person,
        staff=bool(flags & STAFF),
        role_known=bool(flags),
        username=row.get("username", "")[:150],
        enabled=row["enabledUser"] == "true",
        leaving=row.get("status") == "tobedeleted",
    )


def _describe(run: _Run, person: Person) -> str:
    parts = [person.get_affiliation_display().lower()]
    if person.grade:
        parts.append(f"grade {person.grade}")
    if person.school_id:
        parts.append(run.school_names.get(person.school_id, ""))
    return f"{person.first_name} {person.last_name} ({', '.join(p for p in parts if p)})"


def _users_import(run: _Run) -> None:
    batch: list[_Row] = []
    for line, row in records(run.source, run.manifest, "users.csv", run.problems):
        wanted = _person_wanted(run, line, row)
        if wanted is not None:
            batch.append(wanted)
        if len(batch) >= BATCH:
            _people_flush(run, batch)
            batch = []
    if batch:
        _people_flush(run, batch)
    skipped = run.result.counts["rows_skipped_no_role"]
    if skipped:
        run.result.notice(
            f"{skipped} users have no role in this export (roles.csv or enrollments.csv) and "
            "were not imported; include roles.csv (OneRoster 1.2) or enrollments.csv."
        )


def _people_flush(run: _Run, batch: list[_Row]) -> None:
    if run.problems:
        return  # the import is refused anyway: only keep reading for further problems
    result, now = run.result, run.now
    existing = {
        p.roster_sourced_id: p
        for p in Person.objects.filter(
            district=run.district, roster_sourced_id__in=[r.sid for r in batch]
        )
    }
    created, changed = [], []
    for r in batch:
        person = existing.get(r.sid)
        if not r.role_known and person is not None:
            r.staff = c.Affiliation.EMPLOYEE in person.affiliation_values
        if r.leaving:
            if person is not None and person.is_active:
                person.is_active, person.left_roster_at = False, now
                changed.append(person)
                result.counts["people_deactivated"] += 1
                result.sample("deactivated", _describe(run, person))
            continue
        if not r.role_known and person is None:
            # A new person needs a role (student or staff) from roles.csv or enrollments.
            result.counts["rows_skipped_no_role"] += 1
            continue
        run.seen.add(r.sid)
        if person is None:
            person = Person(district=run.district, roster_sourced_id=r.sid, **r.person)
            created.append(person)
            result.counts["people_created"] += 1
            result.sample("created", _describe(run, person))
        else:
            fields = [k for k, v in r.person.items() if getattr(person, k) != v]
            for name in fields:
                setattr(person, name, r.person[name])
            if not person.is_active:
                person.is_active, person.left_roster_at = True, None
                fields.append("back on the roster")
            if fields:
                changed.append(person)
                result.counts["people_changed"] += 1
                labels = ", ".join(f.removesuffix("_id").replace("_", " ") for f in fields)
                result.sample("changed", f"{_describe(run, person)}: {labels}")
            else:
                result.counts["people_unchanged"] += 1
    if created:
        Person.objects.bulk_create(created, batch_size=1000)
        history_rows_bulk_append(
            model=Person, instances=created, history_type="+", when=now, user=run.actor
        )
    if changed:
        Person.objects.bulk_update(
            changed, [*PERSON_FIELDS, "is_active", "left_roster_at"], batch_size=500
        )
        history_rows_bulk_append(
            model=Person, instances=changed, history_type="~", when=now, user=run.actor
        )
    staff = [r for r in batch if r.staff]
    if staff:
        _accounts_sync(run, staff)


def _accounts_sync(run: _Run, staff: list[_Row]) -> None:
    result, district = run.result, run.district
    by_sid = {
        u.roster_sourced_id: u
        for u in User.objects.filter(
            district=district, roster_sourced_id__in=[r.sid for r in staff]
        )
    }
    wanted_names = [r.username for r in staff if r.sid not in by_sid and r.username]
    by_name = {u.username: u for u in User.objects.filter(username__in=wanted_names)}
    created, changed, ending = [], [], []
    for r in staff:
        account = by_sid.get(r.sid)
        if r.leaving:
            if account is not None and account.is_active:
                ending.append(account)
            continue
        run.seen_staff.add(r.sid)
        details = {
            "first_name": r.person["first_name"][:150],
            "last_name": r.person["last_name"][:150],
            "email": r.person["email"],
        }
        if account is None:
            if not r.username:
                result.notice(
                    f"users.csv, line {r.line}: no username, so no account was created "
                    "(the person is imported)."
                )
                continue
            other = by_name.get(r.username)
            if r.username in run.usernames or (
                other is not None
                and (
                    other.district_id != district.pk
                    or other.roster_sourced_id
                    or other.is_superuser
                )
            ):
                result.notice(
                    f"users.csv, line {r.line}, column username: {r.username!r} is already in "
                    "use on this installation, so no account was created (the person is "
                    "imported)."
                )
                continue
            run.usernames.add(r.username)
            if other is not None:
                # An account IT made by hand before the roster: linked, its state kept.
                other.roster_sourced_id = r.sid
                fields = [k for k, v in details.items() if getattr(other, k) != v]
                _email_keep(run, other, fields)
                _email_change_note(run, other, fields, details)
                for name in fields:
                    setattr(other, name, details[name])
                changed.append(other)
                result.counts["accounts_linked"] += 1
                account = other
            else:
                account = User(
                    username=r.username,
                    district=district,
                    role="",
                    is_active=False,
                    roster_sourced_id=r.sid,
                    password=make_password(None),
                    **details,
                )
                created.append(account)
                result.counts["accounts_created"] += 1
                result.sample("accounts", f"{r.username}: created, disabled until IT enables it")
        else:
            fields = [k for k, v in details.items() if getattr(account, k) != v]
            _email_keep(run, account, fields)
            _email_change_note(run, account, fields, details)
            for name in fields:
                setattr(account, name, details[name])
            if fields:
                changed.append(account)
                result.counts["accounts_changed"] += 1
        if not r.enabled and account.is_active and account.pk:
            ending.append(account)
    if created:
        User.objects.bulk_create(created, batch_size=1000)
        history_rows_bulk_append(
            model=User, instances=created, history_type="+", when=run.now, user=run.actor
        )
    if changed:
        User.objects.bulk_update(
            changed,
            [*ACCOUNT_FIELDS, "roster_sourced_id", *EMAIL_CONFIRMATION_FIELDS],
            batch_size=500,
        )
        history_rows_bulk_append(
            model=User, instances=changed, history_type="~", when=run.now, user=run.actor
        )
    # (a bulk update sends no model signal: as the account's save signal does, the unused
    # set-up links, which went to the former address, are revoked, and the former addresses
    # are told, after commit, over one connection to the mail server)
    enrollment_links_revoke_many(
        user_ids=[account.pk for account, _former in run.emails_changed], now=run.now
    )
    account_email_changes_notify(changes=run.emails_changed, actor=run.actor)
    for account in ending:
        _account_end(run, account)


def _email_keep(run: _Run, account: User, fields: list[str]) -> None:
    """Takes "email" out of ``fields`` (the account's fields the roster changes) when the
    import's actor may not change the account's address (``permissions.
    account_email_may_change``: district IT, for an account that reads case content, whose
    set-up links must reach its holder alone), and says so in the result."""
    if "email" not in fields or run.actor is None:
        return
    if account_email_may_change(run.actor, account):
        return
    fields.remove("email")
    run.result.counts["account_emails_kept"] += 1
    run.result.sample(
        "accounts",
        f"{account.username}: e-mail address kept (the account reads cases: a coordinator "
        "changes it)",
    )


def _email_change_note(run: _Run, account: User, fields: list[str], details: dict) -> None:
    """Notes the account's former address when the import changes it (after ``_email_keep``)
    to another mailbox (``details["email"]``, ``accounts.email_address_moved``, the rule of
    the account's save signal): it is told once the import commits
    (``two_factor.account_email_changes_notify``). The account's address confirmation is
    emptied on the instance then (the bulk update writes it): the roster's address is the
    school system's, never a coordinator's."""
    if "email" in fields and email_address_moved(account.email, details.get("email")):
        run.emails_changed.append((account, account.email))
        # The roster's address is the school system's, not a coordinator's: a confirmation of
        # the former address does not hold for it (``User.email_confirmed_at``).
        account.email_confirmed_at = None
        account.email_confirmed_by = None


def _account_end(run: _Run, account: User) -> None:
    user_deactivate(actor=run.actor, user=account)
    run.result.counts["accounts_deactivated"] += 1
    run.result.sample("accounts", f"{account.username}: deactivated, its sessions ended")


def _leavers_deactivate(run: _Run) -> None:
    """After a bulk users.csv: everyone of the district's roster not in it has left."""
    if run.problems:
        return
    result, now = run.result, run.now
    on_roster = (
        Person.objects.filter(district=run.district, is_active=True)
        .exclude(roster_sourced_id="")
        .values_list("pk", "roster_sourced_id")
    )
    leaving = [pk for pk, sid in on_roster.iterator(chunk_size=5000) if sid not in run.seen]
    for start in range(0, len(leaving), BATCH):
        people = list(Person.objects.filter(pk__in=leaving[start : start + BATCH]))
        for person in people:
            person.is_active, person.left_roster_at = False, now
            result.counts["people_deactivated"] += 1
            result.sample("deactivated", _describe(run, person))
        Person.objects.bulk_update(people, ["is_active", "left_roster_at"], batch_size=500)
        history_rows_bulk_append(
            model=Person, instances=people, history_type="~", when=now, user=run.actor
        )
    accounts = (
        User.objects.filter(district=run.district, is_active=True)
        .exclude(roster_sourced_id="")
        .order_by("pk")
    )
    for account in accounts:
        if account.roster_sourced_id not in run.seen_staff:
            _account_end(run, account)
