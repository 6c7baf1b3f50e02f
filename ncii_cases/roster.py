"""Reading a OneRoster CSV export: the files of a folder or a zip, streamed row by row, checked
against the specification's required columns and formats. Nothing here writes; the import
itself is ``services.roster``.

Source: 1EdTech (IMS Global) OneRoster v1.2 CSV binding ("OneRoster 1.2 CSV Tables"), with
the v1.1 CSV binding accepted too (its users.csv still carries ``role`` and
``orgSourcedIds``; v1.2 moved them to roles.csv). What is checked, per file read:

- ``manifest.csv``: columns ``propertyName,value``; ``manifest.version`` and
  ``oneroster.version`` (1.2 or 1.1) present; each ``file.<name>`` is ``bulk``, ``delta`` or
  ``absent``, and a file said to be there is in the export.
- every file: the header row holds the columns the specification requires; each row has a
  value in the columns whose value is required; enumerations and dates are well formed. In a
  ``bulk`` file a row's ``status`` is empty (or ``active``): the file is the whole roster. In a
  ``delta`` file ``status`` is ``active`` or ``tobedeleted`` and ``dateLastModified`` is an
  ISO 8601 date-time.

Every problem names the file, the line (the physical line of the file, header = 1) and the
column. Reading goes on after a problem, up to ``PROBLEMS_MAX``, so that one run lists what to
fix.
"""

import csv
import datetime as dt
import hashlib
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

PROBLEMS_MAX = 100
VERSIONS = ("1.2", "1.1")
MODES = ("bulk", "delta", "absent")
MANIFEST = "manifest.csv"
FILES = ("orgs.csv", "users.csv", "roles.csv", "enrollments.csv", "demographics.csv")
# The files the import needs: without users there is nothing to import.
NEEDED = ("users.csv",)

ORG_TYPES = {"department", "school", "district", "local", "state", "national"}
# OneRoster role vocabulary (v1.2 roles.csv and enrollments.csv; v1.1 users.csv), and what each
# makes the person for the district: a student, an employee, or neither (family members).
STUDENT_ROLES = {"student"}
STAFF_ROLES = {
    "administrator",
    "aide",
    "counselor",
    "districtAdministrator",
    "principal",
    "proctor",
    "siteAdministrator",
    "systemAdministrator",
    "teacher",
}
FAMILY_ROLES = {"guardian", "parent", "relative"}
ROLES = STUDENT_ROLES | STAFF_ROLES | FAMILY_ROLES


@dataclass(frozen=True)
class Columns:
    """One file's columns: those the header must hold, those whose value each row must give,
    and the enumerated ones with their allowed values."""

    header: tuple[str, ...]
    values: tuple[str, ...]
    choices: dict = field(default_factory=dict)
    dates: tuple[str, ...] = ()


_COMMON = ("sourcedId", "status", "dateLastModified")
SPEC: dict[str, dict[str, Columns]] = {
    "1.2": {
        "orgs.csv": Columns(
            (*_COMMON, "name", "type"), ("sourcedId", "name", "type"), {"type": ORG_TYPES}
        ),
        "users.csv": Columns(
            (*_COMMON, "enabledUser", "givenName", "familyName"),
            ("sourcedId", "enabledUser", "givenName", "familyName"),
            {"enabledUser": {"true", "false"}},
        ),
        "roles.csv": Columns(
            (*_COMMON, "userSourcedId", "roleType", "role", "orgSourcedId"),
            ("sourcedId", "userSourcedId", "roleType", "role", "orgSourcedId"),
            {"roleType": {"primary", "secondary"}, "role": ROLES},
        ),
        "enrollments.csv": Columns(
            (*_COMMON, "classSourcedId", "schoolSourcedId", "userSourcedId", "role"),
            ("sourcedId", "classSourcedId", "schoolSourcedId", "userSourcedId", "role"),
            {"role": {"administrator", "proctor", "student", "teacher"}},
        ),
        "demographics.csv": Columns(
            (*_COMMON, "birthDate"), ("sourcedId",), {}, dates=("birthDate",)
        ),
    },
}
SPEC["1.1"] = {
    **SPEC["1.2"],
    "users.csv": Columns(
        (*_COMMON, "enabledUser", "orgSourcedIds", "role", "username", "givenName", "familyName"),
        (
            "sourcedId",
            "enabledUser",
            "orgSourcedIds",
            "role",
            "username",
            "givenName",
            "familyName",
        ),
        {"enabledUser": {"true", "false"}, "role": ROLES},
    ),
    "enrollments.csv": Columns(
        (*_COMMON, "classSourcedId", "schoolSourcedId", "userSourcedId", "role"),
        ("sourcedId", "classSourcedId", "schoolSourcedId", "userSourcedId", "role"),
        {"role": {"administrator", "student", "teacher"}},
    ),
}


@dataclass(frozen=True)
class Problem:
    """Why the export cannot be imported, at one place of one file."""

    file: str
    line: int | None
    column: str | None
    message: str

    def __str__(self):
        where = [self.file]
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.column:
            where.append(f"column {self.column}")
        return f"{', '.join(where)}: {self.message}"


class Problems(list):
    """The problems found so far (at most ``PROBLEMS_MAX`` kept; ``total`` counts all)."""

    total = 0

    def add(self, file: str, line: int | None, column: str | None, message: str) -> None:
        self.total += 1
        if len(self) < PROBLEMS_MAX:
            self.append(Problem(file, line, column, message))


class RosterUnreadable(Exception):
    """The upload is not a OneRoster export at all (not a zip, no manifest)."""


class RosterSource:
    """The files of one export: a folder, a zip file on disk, or a zip in memory (an
    upload). Members are opened one at a time and read as a stream."""

    def __init__(self, origin):
        self.zip = None
        self.folder = None
        if isinstance(origin, str | Path) and Path(origin).is_dir():
            self.folder = Path(origin)
            self.name = self.folder.name
            return
        try:
            self.zip = zipfile.ZipFile(origin)  # a path, or a binary file object
        except (zipfile.BadZipFile, OSError) as error:
            raise RosterUnreadable(
                "This is neither a folder nor a zip file of a OneRoster export. Export the "
                "roster from the student information system as OneRoster CSV (a zip file)."
            ) from error
        self.name = Path(str(getattr(origin, "name", origin))).name
        # Members by their file name, wherever the export put them inside the zip.
        self.members = {}
        for info in self.zip.infolist():
            base = Path(info.filename).name
            if not info.is_dir() and base in (MANIFEST, *FILES):
                self.members.setdefault(base, info)

    def has(self, name: str) -> bool:
        if self.folder is not None:
            return (self.folder / name).is_file()
        return name in self.members

    def open_binary(self, name: str):
        if self.folder is not None:
            return open(self.folder / name, "rb")  # noqa: SIM115  # closed by the caller
        return self.zip.open(self.members[name])

    def sha256(self, name: str) -> str:
        digest = hashlib.sha256()
        with self.open_binary(name) as stream:
            while chunk := stream.read(1 << 16):
                digest.update(chunk)
        return digest.hexdigest()

    def close(self):
        if self.zip is not None:
            self.zip.close()


def _text(stream):
    # utf-8-sig: exports from Windows tools often start with a byte-order mark.
    return io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")


def rows_read(source: RosterSource, name: str, problems: Problems) -> Iterator[tuple[int, dict]]:
    """Yields (line, row) for each data row of the file, the row a dict by column name, with
    no check of its values; a header row missing, a line that is not valid UTF-8 or CSV is a
    problem (and ends the file)."""
    with source.open_binary(name) as binary:
        text = _text(binary)
        reader = csv.reader(text)
        try:
            header = next(reader, None)
            if header is None:
                problems.add(name, 1, None, "the file is empty; it needs at least its header row.")
                return
            header = [h.strip() for h in header]
            width = len(header)
            for row in reader:
                if not any(cell.strip() for cell in row):
                    continue
                if len(row) != width:
                    problems.add(
                        name,
                        reader.line_num,
                        None,
                        f"the row has {len(row)} values but the header has {width} columns "
                        "(a value with a comma must be in double quotes).",
                    )
                    continue
                yield (
                    reader.line_num,
                    dict(zip(header, (cell.strip() for cell in row), strict=True)),
                )
        except UnicodeDecodeError:
            problems.add(
                name, reader.line_num + 1, None, "the file is not UTF-8 text; export it as UTF-8."
            )
        except csv.Error as error:
            problems.add(name, reader.line_num, None, f"the line is not valid CSV ({error}).")


def header_read(source: RosterSource, name: str) -> list[str]:
    with source.open_binary(name) as binary:
        row = next(csv.reader(_text(binary)), None)
    return [h.strip() for h in row or []]


@dataclass
class Manifest:
    version: str = ""
    modes: dict[str, str] = field(default_factory=dict)

    def mode(self, name: str) -> str:
        return self.modes.get(name, "absent")


def manifest_read(source: RosterSource, problems: Problems) -> Manifest:
    """Reads and checks manifest.csv; returns what it says (problems added for what is
    wrong)."""
    manifest = Manifest()
    if not source.has(MANIFEST):
        problems.add(
            MANIFEST, None, None, "the export has no manifest.csv; export the whole OneRoster set."
        )
        return manifest
    properties: dict[str, tuple[int, str]] = {}
    header = header_read(source, MANIFEST)
    missing = [c for c in ("propertyName", "value") if c not in header]
    for column in missing:
        problems.add(MANIFEST, 1, column, "this required column is missing from the header.")
    if missing:
        return manifest
    for line, row in rows_read(source, MANIFEST, problems):
        properties[row["propertyName"]] = (line, row["value"])
    for name in ("manifest.version", "oneroster.version"):
        if name not in properties:
            problems.add(MANIFEST, None, "propertyName", f"the property {name} is missing.")
    line, version = properties.get("oneroster.version", (None, ""))
    if line is not None and version not in VERSIONS:
        problems.add(
            MANIFEST,
            line,
            "value",
            f"oneroster.version is {version!r}; this import reads OneRoster 1.2 (or 1.1).",
        )
    manifest.version = version if version in VERSIONS else "1.2"
    for name in FILES:
        line, mode = properties.get(f"file.{name.removesuffix('.csv')}", (None, "absent"))
        if mode not in MODES:
            problems.add(
                MANIFEST, line, "value", f"file.{name[:-4]} is {mode!r}; use bulk, delta or absent."
            )
            continue
        if mode != "absent" and not source.has(name):
            problems.add(
                MANIFEST,
                line,
                "value",
                f"file.{name[:-4]} is {mode} but {name} is not in the export.",
            )
            mode = "absent"
        manifest.modes[name] = mode
    for name in NEEDED:
        if manifest.modes.get(name, "absent") == "absent" and source.has(MANIFEST):
            problems.add(
                MANIFEST,
                properties.get(f"file.{name[:-4]}", (None,))[0],
                "value",
                f"file.{name[:-4]} must be bulk or delta: the import needs {name}.",
            )
    return manifest


def _is_datetime(value: str) -> bool:
    try:
        dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def date_parse(value: str) -> dt.date | None:
    """A OneRoster date (YYYY-MM-DD) or None; ValueError when malformed."""
    if not value:
        return None
    if len(value) != 10:
        raise ValueError(value)
    return dt.date.fromisoformat(value)


def records(
    source: RosterSource, manifest: Manifest, name: str, problems: Problems
) -> Iterator[tuple[int, dict]]:
    """Yields (line, row) for each row of the file that passes the specification's checks
    (see the module's docstring); nothing when the file is absent or its header lacks a
    required column (a problem each)."""
    mode = manifest.mode(name)
    if mode == "absent":
        return
    columns = SPEC[manifest.version][name]
    header = header_read(source, name)
    missing = [c for c in columns.header if c not in header]
    for column in missing:
        problems.add(name, 1, column, "this required column is missing from the header.")
    if missing:
        return
    seen: set[str] = set()
    for line, row in rows_read(source, name, problems):
        ok = True

        def bad(column, message, line=line):
            nonlocal ok
            ok = False
            problems.add(name, line, column, message)

        for column in columns.values:
            if not row.get(column):
                bad(column, "a value is required here.")
        for column, allowed in columns.choices.items():
            value = row.get(column, "")
            if value and value not in allowed:
                bad(column, f"{value!r} is not one of: {', '.join(sorted(allowed))}.")
        for column in columns.dates:
            try:
                date_parse(row.get(column, ""))
            except ValueError:
                bad(column, f"{row[column]!r} is not a date written YYYY-MM-DD.")
        status = row.get("status", "")
        if mode == "bulk" and status not in ("", "active"):
            bad(
                "status",
                f"{status!r} in a bulk file; a bulk file lists the whole roster (leave "
                "status empty), or mark the file delta in manifest.csv.",
            )
        if mode == "delta":
            if status not in ("active", "tobedeleted"):
                bad("status", "a delta file needs active or tobedeleted here.")
            if not _is_datetime(row.get("dateLastModified", "")):
                bad("dateLastModified", "a delta file needs an ISO 8601 date-time here.")
        key = row.get("sourcedId", "")
        # Duplicates are checked where rows are few per person (enrollments run to one per
        # class, and the set would grow with them).
        if key and name in ("orgs.csv", "users.csv"):
            if key in seen:
                bad("sourcedId", f"{key!r} appears twice in the file.")
            seen.add(key)
        if ok:
            yield line, row


def grades_first(value: str) -> str:
    """The first grade of a OneRoster ``grades`` list (CEDS codes such as 09 or KG)."""
    return value.split(",")[0].strip()[:10] if value else ""
