"""The OneRoster 1.2 CSV import (``services.roster``, ``manage.py roster_import``) on a made-up
export of three schools generated in the test: a folder and a zip, re-run idempotent, a
changed export producing updates and deactivations, a dry run, and malformed exports refused
with file, line and column and nothing written."""

import csv
import datetime as dt
import hashlib
import io

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command

from bench.roster_sample import roster_write, roster_zip, staff_id, student_id
from ncii_cases import choices as c
from ncii_cases.audit import audit_verify
from ncii_cases.models import AccessEvent, AccountSession, Person, RosterImport, School, User
from ncii_cases.services import roster as roster_service
from ncii_cases.services.roster import roster_import
from ncii_cases.session_store import SessionStore
from tests.factories import UserFactory
from tests.factories_records import BareCasePartyFactory

STUDENTS, STAFF, SCHOOLS = 30, 6, 3
GUARDIANS = STUDENTS // 10


@pytest.fixture
def export(tmp_path):
    return roster_write(tmp_path / "export", schools=SCHOOLS, students=STUDENTS, staff=STAFF)


def _rewrite(folder, name, change):
    """Rewrites one CSV file of the export through ``change(rows) -> rows`` (header first)."""
    path = folder / name
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    rows = change(rows)
    with open(path, "w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(rows)


def _audit_ok():
    reports = audit_verify()
    assert reports
    for report in reports:
        assert report.ok, report.problems


def test_import_of_a_folder_creates_schools_people_and_disabled_staff_accounts(
    district, export, it_admin
):
    result = roster_import(district=district, origin=export, actor=it_admin)

    assert result.status == RosterImport.Status.APPLIED, result.problems
    assert result.counts["schools_created"] == SCHOOLS
    assert result.counts["people_created"] == STUDENTS + STAFF
    assert result.counts["accounts_created"] == STAFF
    assert result.counts["rows_skipped_family"] == GUARDIANS
    student = Person.objects.get(district=district, roster_sourced_id=student_id(7))
    assert student.affiliation == c.Affiliation.STUDENT
    assert student.school.roster_sourced_id == "org-school-2"  # 7 % 3 + 1
    assert student.grade == "06"  # 6 + 7 % 7
    assert student.birth_date == dt.date(2011, 8, 8)
    assert student.external_id == "S000007"
    assert student.is_active
    teacher = Person.objects.get(roster_sourced_id=staff_id(1))
    assert teacher.affiliation == c.Affiliation.EMPLOYEE
    account = User.objects.get(roster_sourced_id=staff_id(1))
    assert account.username == "staff.1"
    assert account.district == district
    assert not account.is_active and account.role == "" and not account.has_usable_password()
    # Every row has its history, credited to the importer, and the chains still verify.
    assert Person.history.filter(history_type="+", history_user=it_admin).count() == 36
    _audit_ok()
    record = result.record
    assert record.started_by == it_admin and record.status == RosterImport.Status.APPLIED
    users_csv = (export / "users.csv").read_bytes()
    assert record.file_hashes["users.csv"] == hashlib.sha256(users_csv).hexdigest()
    assert record.counts["people_created"] == STUDENTS + STAFF


def test_the_zip_of_the_same_export_imported_again_changes_nothing(district, export, tmp_path):
    archive = roster_zip(export, tmp_path / "oneroster.zip")
    first = roster_import(district=district, origin=archive)
    history_rows = Person.history.count(), User.history.count(), School.history.count()

    again = roster_import(district=district, origin=archive)

    assert first.status == again.status == RosterImport.Status.APPLIED
    assert again.counts["people_unchanged"] == STUDENTS + STAFF
    for kind in ("people_created", "people_changed", "people_deactivated", "accounts_created"):
        assert again.counts[kind] == 0
    assert (Person.history.count(), User.history.count(), School.history.count()) == history_rows
    assert Person.objects.filter(district=district).count() == STUDENTS + STAFF
    assert RosterImport.objects.filter(district=district).count() == 2


def test_a_changed_export_updates_people_and_deactivates_leavers(
    district, tmp_path, case, it_admin
):
    roster_import(
        district=district,
        origin=roster_write(tmp_path / "a", schools=SCHOOLS, students=STUDENTS, staff=STAFF),
    )
    leaver = Person.objects.get(roster_sourced_id=student_id(5))
    party = BareCasePartyFactory(case=case, person=leaver, role=c.PartyRole.DEPICTED)
    account = User.objects.get(roster_sourced_id=staff_id(2))
    account.is_active, account.role = True, c.Role.INVESTIGATOR
    account.save()
    session = SessionStore()
    session["_auth_user_id"] = str(account.pk)
    session.create()

    result = roster_import(
        district=district,
        actor=it_admin,
        origin=roster_write(
            tmp_path / "b",
            schools=SCHOOLS,
            students=STUDENTS,
            staff=STAFF,
            grade_shift=1,
            leave_students=frozenset({5}),
            leave_staff=frozenset({2}),
            school_names={1: "Example School One"},
        ),
    )

    assert result.status == RosterImport.Status.APPLIED, result.problems
    assert result.counts["schools_changed"] == 1
    # Every student but the two already in grade 12 and the leaver moves up a grade.
    moved = sum(1 for n in range(1, STUDENTS + 1) if n != 5 and 6 + n % 7 < 12)
    assert result.counts["people_changed"] == moved
    assert result.counts["people_deactivated"] == 2  # the student and the staff member
    assert result.counts["accounts_deactivated"] == 1
    leaver.refresh_from_db()
    assert not leaver.is_active and leaver.left_roster_at is not None
    party.refresh_from_db()
    assert party.person_id == leaver.pk  # never deleted: the case keeps them
    assert Person.objects.get(roster_sourced_id=student_id(7)).grade == "07"
    account.refresh_from_db()
    assert not account.is_active
    assert not AccountSession.objects.filter(session_key=session.session_key).exists()
    assert School.objects.get(roster_sourced_id="org-school-1").name == "Example School One"
    _audit_ok()

    back = roster_import(
        district=district,
        origin=roster_write(tmp_path / "c", schools=SCHOOLS, students=STUDENTS, staff=STAFF),
    )
    leaver.refresh_from_db()
    assert leaver.is_active and leaver.left_roster_at is None
    account.refresh_from_db()
    assert not account.is_active  # back on the roster, but IT enables the account
    assert back.counts["accounts_deactivated"] == 0


def test_a_dry_run_reports_what_would_change_and_writes_nothing(district, export, it_admin):
    result = roster_import(district=district, origin=export, actor=it_admin, dry_run=True)

    assert result.status == RosterImport.Status.DRY_RUN
    assert result.counts["people_created"] == STUDENTS + STAFF
    assert result.counts["accounts_created"] == STAFF
    assert len(result.samples["created"]) == 25
    assert not Person.objects.filter(district=district).exists()
    assert not School.objects.filter(district=district).exists()
    assert not User.objects.exclude(roster_sourced_id="").exists()
    assert not Person.history.exists()
    record = RosterImport.objects.get()
    assert record.status == RosterImport.Status.DRY_RUN and record.started_by == it_admin
    _audit_ok()


def test_a_malformed_export_is_refused_with_file_line_and_column(district, export):
    def users(rows):
        header = rows[0]
        rows[4][header.index("givenName")] = ""
        rows[6][header.index("enabledUser")] = "yes"
        return rows

    _rewrite(export, "users.csv", users)
    _rewrite(export, "orgs.csv", lambda rows: [r[:4] + r[5:] for r in rows])

    result = roster_import(district=district, origin=export)

    assert result.status == RosterImport.Status.REFUSED
    messages = [str(p) for p in result.problems]
    assert "orgs.csv, line 1, column type: this required column is missing from the header." in (
        messages
    )
    assert "users.csv, line 5, column givenName: a value is required here." in messages
    assert any(
        m.startswith("users.csv, line 7, column enabledUser: 'yes' is not one of") for m in messages
    )
    assert not Person.objects.exists() and not School.objects.filter(district=district).exists()
    assert RosterImport.objects.get().status == RosterImport.Status.REFUSED


def test_a_problem_late_in_a_large_file_leaves_nothing_half_written(district, export, monkeypatch):
    # Small batches: the first rows are written before the bad last row is read.
    monkeypatch.setattr(roster_service, "BATCH", 4)

    def last_row_bad(rows):
        rows[-1][rows[0].index("familyName")] = ""
        return rows

    _rewrite(export, "users.csv", last_row_bad)

    result = roster_import(district=district, origin=export)

    assert result.status == RosterImport.Status.REFUSED
    assert str(result.problems[0]).startswith(f"users.csv, line {STUDENTS + GUARDIANS + STAFF + 1}")
    assert not Person.objects.exists()
    assert not Person.history.exists()
    assert not User.objects.exclude(roster_sourced_id="").exists()
    _audit_ok()


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            lambda rows: [r if r[0] != "oneroster.version" else [r[0], "1.0"] for r in rows],
            "manifest.csv, line 3, column value: oneroster.version is '1.0'",
        ),
        (
            lambda rows: [r if r[0] != "file.users" else [r[0], "absent"] for r in rows],
            "column value: file.users must be bulk or delta",
        ),
        (
            lambda rows: [r if r[0] != "file.roles" else [r[0], "sometimes"] for r in rows],
            "column value: file.roles is 'sometimes'; use bulk, delta or absent.",
        ),
    ],
)
def test_a_manifest_that_breaks_the_specification_is_refused(district, export, change, expected):
    _rewrite(export, "manifest.csv", change)

    result = roster_import(district=district, origin=export)

    assert result.status == RosterImport.Status.REFUSED
    assert any(expected in str(p) for p in result.problems), result.problems
    assert not Person.objects.exists()


def test_a_file_the_manifest_names_must_be_in_the_export(district, export):
    (export / "demographics.csv").unlink()

    result = roster_import(district=district, origin=export)

    assert result.status == RosterImport.Status.REFUSED
    assert "file.demographics is bulk but demographics.csv is not in the export" in str(
        result.problems[0]
    )


def test_a_reference_to_an_unknown_org_is_refused(district, export):
    def roles(rows):
        rows[3][rows[0].index("orgSourcedId")] = "org-nowhere"
        return rows

    _rewrite(export, "roles.csv", roles)

    result = roster_import(district=district, origin=export)

    assert result.status == RosterImport.Status.REFUSED
    assert "roles.csv, line 4, column orgSourcedId: no org has the sourcedId 'org-nowhere'" in (
        str(result.problems[0])
    )


def test_a_delta_file_deactivates_the_rows_marked_tobedeleted(district, export, tmp_path):
    roster_import(district=district, origin=export)
    delta = tmp_path / "delta"
    delta.mkdir()
    manifest = "propertyName,value\nmanifest.version,1.0\noneroster.version,1.2\nfile.users,delta\n"
    (delta / "manifest.csv").write_text(manifest + "file.orgs,absent\n")
    with open(export / "users.csv", newline="") as handle:
        rows = list(csv.reader(handle))
    header = rows[0]
    moved = next(r for r in rows if r[0] == staff_id(3))
    gone = next(r for r in rows if r[0] == student_id(4))
    stamp = "2026-09-01T08:00:00Z"
    moved = [*moved[:1], "active", stamp, *moved[3:]]
    moved[header.index("givenName")] = "Renamed"
    gone = [*gone[:1], "tobedeleted", stamp, *gone[3:]]
    buffer = io.StringIO()
    csv.writer(buffer).writerows([header, moved, gone])
    (delta / "users.csv").write_text(buffer.getvalue())

    result = roster_import(district=district, origin=delta)

    assert result.status == RosterImport.Status.APPLIED, result.problems
    assert result.counts["people_changed"] == 1 and result.counts["people_deactivated"] == 1
    assert not Person.objects.get(roster_sourced_id=student_id(4)).is_active
    assert Person.objects.get(roster_sourced_id=staff_id(3)).first_name == "Renamed"
    # A delta lists changes only: everyone else stays on the roster.
    assert Person.objects.filter(district=district, is_active=True).count() == STUDENTS + STAFF - 1


def test_a_username_used_in_another_district_gets_no_account(district, other_district, export):
    UserFactory(username="staff.1", district=other_district)

    result = roster_import(district=district, origin=export)

    assert result.status == RosterImport.Status.APPLIED
    assert result.counts["accounts_created"] == STAFF - 1
    assert any("'staff.1' is already in use" in n for n in result.notices)
    assert Person.objects.filter(roster_sourced_id=staff_id(1), district=district).exists()
    assert User.objects.get(username="staff.1").district == other_district


def test_an_account_entered_by_hand_is_linked_and_keeps_its_state(district, export):
    account = UserFactory(username="staff.2", district=district, role=c.Role.INVESTIGATOR)

    result = roster_import(district=district, origin=export)

    assert result.counts["accounts_linked"] == 1
    account.refresh_from_db()
    assert account.roster_sourced_id == staff_id(2)
    assert account.is_active and account.role == c.Role.INVESTIGATOR


def test_only_the_districts_it_administrator_or_the_operator_may_import(
    district, other_district, export, coordinator, it_admin
):
    with pytest.raises(PermissionDenied):
        roster_import(district=district, origin=export, actor=coordinator)
    with pytest.raises(PermissionDenied):
        roster_import(district=other_district, origin=export, actor=it_admin)
    assert not RosterImport.objects.exists()


def test_the_command_imports_and_logs_the_run(district, export, capsys):
    call_command("roster_import", str(export), "--district", district.slug, "--dry-run")
    assert "Dry run: nothing was written" in capsys.readouterr().out
    assert not Person.objects.exists()

    call_command("roster_import", str(export), "--district", district.slug)

    out = capsys.readouterr().out
    assert f"{STUDENTS + STAFF:>7}  people created" in out
    assert Person.objects.filter(district=district).count() == STUDENTS + STAFF
    logged = AccessEvent.objects.filter(action="roster_import", district=district)
    assert logged.count() == 2 and all(e.method == "CLI" for e in logged)
    assert RosterImport.objects.filter(started_by_label__contains="roster_import").count() == 2


def test_the_command_refuses_a_malformed_export_and_says_where(district, export, capsys):
    _rewrite(export, "users.csv", lambda rows: [rows[0][:-3], *rows[1:]])

    with pytest.raises(CommandError, match="nothing was written"):
        call_command("roster_import", str(export), "--district", district.slug)

    assert (
        "users.csv, line 2: the row has 23 values but the header has 20" in capsys.readouterr().err
    )
    assert not Person.objects.exists()


def test_an_import_keeps_the_address_of_an_account_that_reads_cases(
    district, export, it_admin, tmp_path, django_capture_on_commit_callbacks, mailoutbox
):
    """District IT runs the import: it must not choose where the authenticator set-up link of
    an account that reads case content goes (it could set itself up as that investigator),
    so a changed address of such an account is kept and the result says so; the address of
    an account without a case role follows the roster."""
    roster_import(district=district, origin=export, actor=it_admin)
    investigator = User.objects.get(roster_sourced_id=staff_id(1))
    investigator.role = "investigator"
    investigator.save()
    plain = User.objects.get(roster_sourced_id=staff_id(2))

    def emails(rows):
        header = rows[0]
        for row in rows[1:]:
            if row[header.index("sourcedId")] in (staff_id(1), staff_id(2)):
                row[header.index("email")] = "it.controlled@attacker.example"
        return rows

    _rewrite(export, "users.csv", emails)
    former = plain.email
    with django_capture_on_commit_callbacks(execute=True):
        result = roster_import(district=district, origin=export, actor=it_admin)

    assert result.status == RosterImport.Status.APPLIED, result.problems
    investigator.refresh_from_db()
    plain.refresh_from_db()
    assert investigator.email == "staff.1@example.org"
    assert plain.email == "it.controlled@attacker.example"
    assert result.counts["account_emails_kept"] == 1
    assert any("e-mail address kept" in line for line in result.samples["accounts"])
    # The former address of the account whose address changed is told, by whom (a bulk
    # update sends no model signal: the import tells it); the kept one hears nothing.
    assert [m.to for m in mailoutbox] == [[former]]
    assert "it.controlled@attacker.example" in mailoutbox[0].body
    assert it_admin.username in mailoutbox[0].body
    # The same address in capitals is the same mailbox: written as the roster has it, told
    # to no one (as a save of the account counts it)
    mailoutbox.clear()
    _rewrite(
        export,
        "users.csv",
        lambda rows: [[v.upper() if "@" in v else v for v in row] for row in rows],
    )
    with django_capture_on_commit_callbacks(execute=True):
        result = roster_import(district=district, origin=export, actor=it_admin)
    assert result.status == RosterImport.Status.APPLIED, result.problems
    plain.refresh_from_db()
    assert plain.email == "IT.CONTROLLED@ATTACKER.EXAMPLE"
    assert mailoutbox == []


def test_linking_an_account_made_by_hand_keeps_the_address_of_one_that_reads_cases(
    district, export, it_admin
):
    """The other way in: a roster row whose username names an account IT made by hand links
    it and copies the roster's details onto it; the address of an account that reads case
    content is kept there too."""
    investigator = UserFactory(
        username="staff.1", district=district, role="investigator", email="own@district.example"
    )

    def claim(rows):
        header = rows[0]
        for row in rows[1:]:
            if row[header.index("sourcedId")] == staff_id(1):
                row[header.index("username")] = "staff.1"
                row[header.index("email")] = "it.controlled@attacker.example"
        return rows

    _rewrite(export, "users.csv", claim)
    result = roster_import(district=district, origin=export, actor=it_admin)

    assert result.status == RosterImport.Status.APPLIED, result.problems
    investigator.refresh_from_db()
    assert investigator.roster_sourced_id == staff_id(1)  # linked
    assert investigator.email == "own@district.example"
    assert result.counts["account_emails_kept"] == 1
    assert investigator.email_confirmed_at is not None  # kept, with its confirmation
    # Imported from the command line (the server's operator), the address follows the roster,
    # but it is the school system's, not a coordinator's: no longer confirmed, so no set-up
    # link goes there until a coordinator confirms it (tests/access/
    # test_address_confirmation.py)
    roster_import(district=district, origin=export)
    investigator.refresh_from_db()
    assert investigator.email == "it.controlled@attacker.example"
    assert investigator.email_confirmed_at is None
    assert investigator.email_confirmed_by is None


def test_the_former_addresses_are_told_over_one_mail_connection(
    district, export, tmp_path, django_capture_on_commit_callbacks, mailoutbox, monkeypatch
):
    """An import that moves many accounts' addresses tells every former address after the
    commit, over one connection to the mail server (it opened one per e-mail)."""
    from django.core import mail

    from ncii_cases.services import two_factor

    roster_import(district=district, origin=export, actor=None)
    moved = [staff_id(n) for n in (1, 2, 3)]
    formers = {a.email for a in User.objects.filter(roster_sourced_id__in=moved) if a.email}
    assert len(formers) == 3

    def emails(rows):
        header = rows[0]
        for row in rows[1:]:
            if row[header.index("sourcedId")] in moved:
                row[header.index("email")] = "moved." + row[header.index("email")]
        return rows

    _rewrite(export, "users.csv", emails)
    opened = []

    def connection(*args, **kwargs):
        opened.append(1)
        return mail.get_connection(*args, **kwargs)

    monkeypatch.setattr(two_factor, "get_connection", connection)
    with django_capture_on_commit_callbacks(execute=True):
        result = roster_import(district=district, origin=export, actor=None)
    assert result.status == RosterImport.Status.APPLIED, result.problems
    assert sorted(m.to[0] for m in mailoutbox) == sorted(formers)
    assert all("was changed from this address to moved." in m.body for m in mailoutbox)
    assert opened == [1]


def test_an_import_that_moves_an_address_revokes_the_set_up_links_sent_to_the_former(
    district, export, it_admin
):
    """As the account's save signal does in the admin: the unused set-up links went to the
    former address, so whoever reads that mailbox cannot use them after the move (the
    import moves addresses in bulk, without signals); a kept address keeps its links, and a
    dry run revokes nothing."""
    from ncii_cases.models import EnrollmentLink
    from ncii_cases.services.two_factor import enrollment_link_create

    roster_import(district=district, origin=export, actor=it_admin)
    moved, kept = (User.objects.get(roster_sourced_id=staff_id(n)) for n in (2, 3))
    links = {
        account.pk: enrollment_link_create(
            user=account, actor=it_admin, base_url="https://cases.example.org/"
        )
        for account in (moved, kept)
    }

    def emails(rows):
        header = rows[0]
        for row in rows[1:]:
            if row[header.index("sourcedId")] == staff_id(2):
                row[header.index("email")] = "new.mailbox@district.example"
        return rows

    _rewrite(export, "users.csv", emails)
    roster_import(district=district, origin=export, actor=it_admin, dry_run=True)
    assert not EnrollmentLink.objects.filter(revoked_at__isnull=False).exists()

    result = roster_import(district=district, origin=export, actor=it_admin)

    assert result.status == RosterImport.Status.APPLIED, result.problems
    moved.refresh_from_db()
    assert moved.email == "new.mailbox@district.example"
    revoked = EnrollmentLink.objects.get(pk=links[moved.pk].pk)
    assert revoked.revoked_at == RosterImport.objects.latest("pk").started_at
    assert EnrollmentLink.objects.get(pk=links[kept.pk].pk).revoked_at is None
