"""``manage.py compile_translations``: compiles every ``locale/<lang>/LC_MESSAGES/*.po`` of
``LOCALE_PATHS`` into its ``.mo`` with polib (pure Python), so that a fresh machine without
GNU gettext's ``msgfmt`` (which Django's ``compilemessages`` needs) gets working translations.
``scripts/setup.sh`` runs it; the ``.mo`` files are build products and are not committed.

A catalog whose ``.mo`` is newer than its ``.po`` is left alone unless ``--force``. Fuzzy
entries are left out of the ``.mo`` (as msgfmt does); ``--check`` fails when any entry is
untranslated or fuzzy, naming them.
"""

import os
import tempfile
from pathlib import Path

import polib
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


def catalogs() -> list[Path]:
    """Every ``.po`` file under the ``LOCALE_PATHS`` folders, sorted."""
    found = []
    for root in settings.LOCALE_PATHS:
        found.extend(Path(root).glob("*/LC_MESSAGES/*.po"))
    return sorted(found)


def incomplete_entries(po_path: Path) -> list[str]:
    """The msgids of ``po_path`` that are untranslated or marked fuzzy (obsolete entries are
    ignored: they are not compiled)."""
    po = polib.pofile(str(po_path))
    return [e.msgid for e in po if not e.obsolete and (not e.translated() or e.fuzzy)]


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
            help="Fail when an entry is untranslated or fuzzy.",
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
