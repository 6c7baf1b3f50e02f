"""The benchmark's databases: each size is a database of its own, seeded once and kept (reused
by name when it already holds the same size, seed value and seeder), and switched between in
one process without reconnecting, so that samples of the two sizes can alternate request by
request (``benchmark.run``).

A database's seed is recorded where the database keeps it: on PostgreSQL as the database's
comment (``COMMENT ON DATABASE``), on SQLite in a file beside it (``<name>.bench``). The mark
names the case count, the seed value and a digest of the seeder's source, so a changed seeder
seeds again."""

import hashlib
import time
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.cache import caches
from django.core.management import call_command
from django.db import connections
from django.db.utils import load_backend
from django.utils.module_loading import import_string

from bench import seed as seed_module

MARK_PREFIX = "ncii-bench"


def seed_mark(*, cases: int, seed_value: int) -> str:
    """The mark a seeded database carries: ``ncii-bench cases=N seed=S seeder=<12 hex>``."""
    digest = hashlib.sha256(Path(seed_module.__file__).read_bytes()).hexdigest()[:12]
    return f"{MARK_PREFIX} cases={cases} seed={seed_value} seeder={digest}"


@dataclass
class Site:
    """One size's database, with its own connection and cache, and what its requests need
    (``context``, the signed-in clients per user) once built."""

    index: int
    size: int
    name: str
    connection: object = None
    cache: object = None
    context: object = None
    clients: dict = field(default_factory=dict)
    seeded_now: bool = False
    seed_seconds: float | None = None


def _wrapper(name: str):
    """A new connection object (not yet connected) to database ``name``, with the default
    database's other settings."""
    base = connections["default"].settings_dict
    settings_dict = {**base, "NAME": name}
    backend = load_backend(settings_dict["ENGINE"])
    return backend.DatabaseWrapper(settings_dict, "default")


def _cache(index: int):
    """A cache of its own for one site (the kept analytics figures of one database must not
    answer for the other): the default cache's backend under another key prefix (and another
    location for the local-memory backend)."""
    params = dict(settings.CACHES["default"])
    backend = params.pop("BACKEND")
    location = params.pop("LOCATION", "")
    if backend.endswith("LocMemCache"):
        location = f"ncii-bench-{index}"
    params["KEY_PREFIX"] = f"{params.get('KEY_PREFIX', '')}bench{index}"
    return import_string(backend)(location, params)


class Sites:
    """Switches ``connections['default']`` and ``caches['default']`` between the sites; the
    original ones come back with ``restore``. ``switches`` counts switches (for the tests of
    the interleaving)."""

    def __init__(self, sites: list[Site]):
        self.sites = sites
        self.original_connection = connections["default"]
        self.original_cache = caches["default"]
        self.current: Site | None = None
        self.same_content_types = True
        self.switches = 0

    def use(self, site: Site) -> None:
        if self.current is site:
            return
        if site.connection is None:
            site.connection = _wrapper(site.name)
            site.cache = _cache(site.index)
        connections["default"] = site.connection
        caches["default"] = site.cache
        if not self.same_content_types:
            ContentType.objects.clear_cache()
        self.current = site
        self.switches += 1

    def content_types_compare(self) -> bool:
        """Whether every site has the same content type and permission ids (then the cached
        content types stay valid across switches; otherwise they are cleared at each)."""
        seen = set()
        for site in self.sites:
            self.use(site)
            with site.connection.cursor() as cursor:
                cursor.execute("SELECT id, app_label, model FROM django_content_type ORDER BY id")
                types = tuple(cursor.fetchall())
                cursor.execute("SELECT id, content_type_id, codename FROM auth_permission")
                perms = tuple(sorted(cursor.fetchall()))
            seen.add((types, perms))
        self.same_content_types = len(seen) == 1
        ContentType.objects.clear_cache()
        return self.same_content_types

    def restore(self) -> None:
        for site in self.sites:
            if site.connection is not None:
                site.connection.close()
        connections["default"] = self.original_connection
        caches["default"] = self.original_cache
        ContentType.objects.clear_cache()
        self.current = None


# --- Preparing a database: created, migrated, seeded once ------------------------------------


def mark_read(conn) -> str:
    """The seed mark of the database ``conn`` is connected to ("" when none)."""
    name = str(conn.settings_dict["NAME"])
    if conn.vendor == "postgresql":
        with conn.cursor() as cursor:
            cursor.execute(
                "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s",
                [name],
            )
            row = cursor.fetchone()
        return (row and row[0]) or ""
    if conn.is_in_memory_db():
        return ""
    sidecar = Path(f"{name}.bench")
    return sidecar.read_text().strip() if sidecar.exists() else ""


def mark_write(conn, mark: str) -> None:
    """Records ``mark`` ("" to clear it) on the database ``conn`` is connected to."""
    name = str(conn.settings_dict["NAME"])
    if conn.vendor == "postgresql":
        with conn.cursor() as cursor:
            cursor.execute(f"COMMENT ON DATABASE {conn.ops.quote_name(name)} IS %s", [mark])
        return
    if not conn.is_in_memory_db():
        Path(f"{name}.bench").write_text(mark + "\n")


def database_create(name: str) -> bool:
    """Creates PostgreSQL database ``name`` when missing (from the configured connection);
    returns whether it was created. SQLite creates its file on first connection."""
    conn = connections["default"]
    if conn.vendor != "postgresql":
        return False
    with conn.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cursor.fetchone():
            return False
    conn.ensure_connection()
    autocommit = conn.get_autocommit()
    conn.set_autocommit(True)
    try:
        with conn.cursor() as cursor:
            cursor.execute(f"CREATE DATABASE {conn.ops.quote_name(name)}")
    finally:
        conn.set_autocommit(autocommit)
    return True


def site_prepare(sites: Sites, site: Site, *, seed_value: int, reseed: bool, log=print) -> None:
    """Makes ``site``'s database ready: created when missing, migrated, and seeded with
    ``site.size`` cases unless it already carries the mark of that very seed (and ``reseed``
    is false). A database holding something else is emptied (flush) before seeding."""
    connections["default"] = sites.original_connection
    sites.current = None
    if database_create(site.name):
        log(f"Created database {site.name}")
    sites.use(site)
    ContentType.objects.clear_cache()
    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    log(f"Migrated {site.name} ({time.perf_counter() - started:.1f} s)")
    mark = seed_mark(cases=site.size, seed_value=seed_value)
    if not reseed and mark_read(site.connection) == mark:
        log(f"Reusing {site.name}: already seeded with {site.size} cases (seed {seed_value})")
        return
    if not seed_module.database_is_empty():
        call_command("flush", interactive=False, verbosity=0)
    mark_write(site.connection, "")
    report = seed_module.seed(cases=site.size, seed_value=seed_value, log=log)
    mark_write(site.connection, mark)
    ContentType.objects.clear_cache()
    site.seeded_now = True
    site.seed_seconds = round(report.seconds, 1)
    log(f"Seeded {site.size} cases into {site.name} in {report.seconds:.1f} s")


__all__ = [
    "Site",
    "Sites",
    "database_create",
    "mark_read",
    "mark_write",
    "seed_mark",
    "site_prepare",
]
