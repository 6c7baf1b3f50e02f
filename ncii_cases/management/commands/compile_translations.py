"""``manage.py compile_translations``: compiles every ``locale/<lang>/LC_MESSAGES/*.po`` of
``LOCALE_PATHS`` into its ``.mo`` with polib (pure Python), so that a fresh machine without
GNU gettext's ``msgfmt`` (which Django's ``compilemessages`` needs) gets working translations.
``scripts/setup.sh`` runs it; the ``.mo`` files are build products and are not committed.

A catalog whose ``.mo`` is newer than its ``.po`` is left alone unless ``--force``. Fuzzy and
untranslated entries are left out of the ``.mo`` (as msgfmt does): their English shows.
``--check`` fails, naming them, when an entry is fuzzy or when an entry used by a
reporter-facing page (``REPORTER_FACING_SOURCES``) is untranslated. Staff screens are marked
for translation but may stay English: their entries may have an empty ``msgstr``.
"""

import fnmatch
import os
import tempfile
from pathlib import Path

import polib
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

# What students, parents and reporting employees read, which must be complete in every
# language (issue 17): the public report and follow-up pages, the staff report form and its
# receipts, the messages, the policy page and the family handout, and the error pages any of
# them can end on. Paths as makemessages writes them in the catalog's "#:" references,
# relative to the project folder (fnmatch patterns).
REPORTER_FACING_SOURCES = (
    "templates/base.html",
    "templates/partials/language_switch.html",
    "templates/413.html",
    "templates/500.html",
    "templates/503.html",
    "templates/ncii_cases/reports/public_*.html",
    "templates/ncii_cases/reports/partials/*.html",
    "templates/ncii_cases/reports/staff_report.html",
    "templates/ncii_cases/reports/my_report.html",
    "templates/ncii_cases/reports/my_reports.html",
    "templates/ncii_cases/reports/refused.html",
    "templates/ncii_cases/reports/too_many.html",
    "templates/reporting/public_policy.html",
    "templates/reporting/family_handout_pdf.html",
    "ncii_cases/forms_reports.py",
    "ncii_cases/models_intake.py",
    "ncii_cases/report_views.py",
    "ncii_cases/services/intake_reports.py",
    "policies/public_text.py",
)


def is_reporter_facing(entry: polib.POEntry) -> bool:
    """Whether one of the entry's source references (``#:`` lines) is a reporter-facing file
    (``REPORTER_FACING_SOURCES``)."""
    return any(
        fnmatch.fnmatchcase(path, pattern)
        for path, _line in entry.occurrences
        for pattern in REPORTER_FACING_SOURCES
    )


def catalogs() -> list[Path]:
    """Every ``.po`` file under the ``LOCALE_PATHS`` folders, sorted."""
    found = []
    for root in settings.LOCALE_PATHS:
        found.extend(Path(root).glob("*/LC_MESSAGES/*.po"))
    return sorted(found)


def incomplete_entries(po_path: Path) -> list[str]:
    """The msgids of ``po_path`` that are marked fuzzy, or untranslated and used by a
    reporter-facing page (``is_reporter_facing``). Obsolete entries are ignored (they are not
    compiled); an untranslated staff-screen entry is not incomplete: its English shows."""
    po = polib.pofile(str(po_path))
    return [
        e.msgid
        for e in po
        if not e.obsolete and (e.fuzzy or (not e.translated() and is_reporter_facing(e)))
    ]


def compile_catalog(po_path: Path, *, force: bool = False) -> bool:
    """Writes ``po_path``'s ``.mo`` next to it, atomically (a reader never sees half a file).
    Returns whether it was written (False when the ``.mo`` was already newer). Raises
    CommandError when the ``.po`` cannot be parsed."""
    mo_path = po_path.with_suffix(".mo")
    if not force and mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
        return False
    try:
        po = polib.pofile(str(po_path))
    except (OSError, ValueError) as exc:
        raise CommandError(f"{po_path}: cannot read this catalog ({exc}).") from exc
    handle, tmp = tempfile.mkstemp(dir=mo_path.parent, prefix=".", suffix=".mo.tmp")
    os.close(handle)
    try:
        po.save_as_mofile(tmp)
        # mkstemp makes the file private (0600); the web process may run as another user
        # than the one who compiled (the image is built as root and runs as ncii).
        os.chmod(tmp, 0o644)
        os.replace(tmp, mo_path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return True


class Command(BaseCommand):
    help = "Compiles the project's translation catalogs (.po to .mo) without GNU gettext."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="Compile every catalog.")
        parser.add_argument(
            "--check",
            action="store_true",
            help="Fail when an entry is fuzzy, or untranslated and used by a reporter-facing page.",
        )

    def handle(self, *args, force=False, check=False, **options):
        found = catalogs()
        if not found:
            raise CommandError(
                "No translation catalogs found under LOCALE_PATHS "
                f"({', '.join(str(p) for p in settings.LOCALE_PATHS)})."
            )
        problems = []
        for po_path in found:
            if check and (missing := incomplete_entries(po_path)):
                problems.append(f"{po_path}: {len(missing)} untranslated or fuzzy: {missing[:5]}")
            written = compile_catalog(po_path, force=force)
            if options["verbosity"] > 1 or (written and options["verbosity"] > 0):
                state = "compiled" if written else "up to date"
                self.stdout.write(f"{po_path.relative_to(settings.BASE_DIR)}: {state}")
        if problems:
            raise CommandError("Incomplete translations:\n" + "\n".join(problems))
