"""A made-up OneRoster 1.2 CSV export (every name invented), for the tests and the benchmark:
one district org, ``schools`` schools, ``students`` students spread over them, ``staff``
staff members and one guardian per ten students. Rows are written as they are made, so a
50,000-student export is written with flat memory.

``roster_write`` writes the files into a folder; ``roster_zip`` packs a folder as the zip a
student information system hands out.
"""

import csv
import datetime as dt
import zipfile
from pathlib import Path

FIRST = ["Avery", "Blair", "Casey", "Devon", "Emery", "Finley", "Harper", "Jordan", "Kai",
         "Logan", "Morgan", "Noel", "Parker", "Quinn", "Reese", "Rowan", "Sage",
         "Tatum"]  # fmt: skip
LAST_A = ["Ash", "Birch", "Cedar", "Elm", "Fern", "Hazel", "Juniper", "Larch", "Maple", "Oak"]
LAST_B = ["brook", "field", "ford", "gate", "hill", "more", "ridge", "stone", "wood", "worth"]

USERS_HEADER = ["sourcedId", "status", "dateLastModified", "enabledUser", "username", "userIds",
                "givenName", "familyName", "middleName", "identifier", "email", "sms", "phone",
                "agentSourcedIds", "grades", "password", "userMasterIdentifier",
                "resourceSourcedIds", "preferredGivenName", "preferredMiddleName",
                "preferredFamilyName", "primaryOrgSourcedId", "pronouns"]  # fmt: skip
ORGS_HEADER = ["sourcedId", "status", "dateLastModified", "name", "type", "identifier",
               "parentSourcedId"]  # fmt: skip
ROLES_HEADER = ["sourcedId", "status", "dateLastModified", "userSourcedId", "roleType", "role",
                "beginDate", "endDate", "orgSourcedId", "userProfileSourcedId"]  # fmt: skip
ENROLLMENTS_HEADER = ["sourcedId", "status", "dateLastModified", "classSourcedId",
                      "schoolSourcedId", "userSourcedId", "role", "primary", "beginDate",
                      "endDate"]  # fmt: skip
DEMOGRAPHICS_HEADER = ["sourcedId", "status", "dateLastModified", "birthDate", "sex"]
MANIFEST_FILES = ["academicSessions", "categories", "classes", "classResources", "courses",
                  "courseResources", "demographics", "enrollments",
                  "lineItemLearningObjectiveIds", "lineItems", "lineItemScoreScales", "orgs",
                  "resources", "resultLearningObjectiveIds", "results", "resultScoreScales",
                  "roles", "scoreScales", "userProfiles", "users"]  # fmt: skip
WRITTEN = {"demographics", "enrollments", "orgs", "roles", "users"}


def _name(n: int, salt: int) -> tuple[str, str]:
    # Derived from the number, so a person keeps their name whoever else leaves the export.
    k = n * 7 + salt
    return FIRST[k % len(FIRST)], LAST_A[(k // 3) % len(LAST_A)] + LAST_B[(k // 11) % len(LAST_B)]


def school_id(n: int) -> str:
    return f"org-school-{n}"


def student_id(n: int) -> str:
    return f"stu-{n:06d}"


def staff_id(n: int) -> str:
    return f"stf-{n:05d}"


def _writer(folder: Path, name: str, header: list[str]):
    handle = open(folder / name, "w", newline="", encoding="utf-8")  # noqa: SIM115
    writer = csv.writer(handle)
    writer.writerow(header)
    return handle, writer


def _write_person(
    w: dict,
    sourced_id: str,
    role: str,
    org: str,
    given: str,
    family: str,
    *,
    username: str = "",
    identifier: str = "",
    email: str = "",
    agents: str = "",
    grades: str = "",
) -> None:
    """Writes one enabled person: their ``users.csv`` row (``USERS_HEADER`` order, the columns
    not named empty; ``org`` is the primary org, left empty for a guardian) and their primary
    ``roles.csv`` row (``role`` at ``org``). ``w``: the CSV writers by file name; ``agents``:
    the related users' sourcedIds (a student's guardian, a guardian's student)."""
    primary_org = "" if role == "guardian" else org
    w["users"].writerow([sourced_id, "", "", "true", username, "", given, family, "", identifier,
                         email, "", "", agents, grades, "", "", "", "", "", "", primary_org,
                         ""])  # fmt: skip
    w["roles"].writerow([f"rol-{sourced_id}", "", "", sourced_id, "primary", role, "", "", org,
                         ""])  # fmt: skip


def roster_write(
    folder,
    *,
    schools: int = 3,
    students: int = 30,
    staff: int = 6,
    seed: int = 0,
    leave_students: frozenset = frozenset(),
    leave_staff: frozenset = frozenset(),
    grade_shift: int = 0,
    school_names: dict | None = None,
) -> Path:
    """Writes a OneRoster 1.2 bulk export into ``folder`` and returns it. Student ``n`` is
    ``stu-00000n`` at school ``n % schools + 1``, grade ``6 + n % 7 (+ grade_shift)``, born
    in 2010 + n % 6; staff member ``n`` is ``stf-0000n`` (username ``staff.n``) at school
    ``n % schools + 1``. Names come from the number and ``seed``. ``leave_*``: numbers
    left out (they left the district); ``school_names``: names by school number, to rename one."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    names = school_names or {}
    with open(folder / "manifest.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["propertyName", "value"])
        writer.writerow(["manifest.version", "1.0"])
        writer.writerow(["oneroster.version", "1.2"])
        for name in MANIFEST_FILES:
            writer.writerow([f"file.{name}", "bulk" if name in WRITTEN else "absent"])
        writer.writerow(["source.systemName", "Example SIS"])
        writer.writerow(["source.systemCode", "example"])
    files = {
        "orgs": _writer(folder, "orgs.csv", ORGS_HEADER),
        "users": _writer(folder, "users.csv", USERS_HEADER),
        "roles": _writer(folder, "roles.csv", ROLES_HEADER),
        "enrollments": _writer(folder, "enrollments.csv", ENROLLMENTS_HEADER),
        "demographics": _writer(folder, "demographics.csv", DEMOGRAPHICS_HEADER),
    }
    w = {key: writer for key, (_handle, writer) in files.items()}
    try:
        w["orgs"].writerow(["org-district", "", "", "Example Unified", "district", "EXU", ""])
        for s in range(1, schools + 1):
            name = names.get(s, f"Example School {s}")
            w["orgs"].writerow([school_id(s), "", "", name, "school", f"EXS{s}", "org-district"])
        for n in range(1, students + 1):
            first, last = _name(n, seed)
            if n in leave_students:
                continue
            sid, school = student_id(n), school_id(n % schools + 1)
            grade = f"{min(12, 6 + n % 7 + grade_shift):02d}"
            _write_person(w, sid, "student", school, first, last, username=f"student.{n}",
                          identifier=f"S{n:06d}", email=f"student.{n}@students.example.org",
                          agents=f"grd-{n:06d}", grades=grade)  # fmt: skip
            w["enrollments"].writerow([f"enr-{sid}", "", "", f"cls-{n % 40}", school, sid,
                                       "student", "", "", ""])  # fmt: skip
            born = dt.date(2010 + n % 6, 1 + n % 12, 1 + n % 28)
            w["demographics"].writerow([sid, "", "", born.isoformat(), ""])
            if n % 10 == 0:
                gid = f"grd-{n:06d}"
                _write_person(w, gid, "guardian", "org-district", _name(n, seed + 1)[0], last,
                              agents=sid)  # fmt: skip
        for n in range(1, staff + 1):
            first, last = _name(n, seed + 5)
            if n in leave_staff:
                continue
            sid, school = staff_id(n), school_id(n % schools + 1)
            _write_person(w, sid, "teacher", school, first, last, username=f"staff.{n}",
                          identifier=f"E{n:05d}", email=f"staff.{n}@example.org")  # fmt: skip
    finally:
        for handle, _ in files.values():
            handle.close()
    return folder


def roster_zip(folder, path) -> Path:
    """Packs the export's CSV files into the zip at ``path`` and returns it."""
    path = Path(path)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for member in sorted(Path(folder).glob("*.csv")):
            archive.write(member, member.name)
    return path
