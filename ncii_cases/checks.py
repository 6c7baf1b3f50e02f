"""Deployment checks (``manage.py check --deploy``) of the audit record: a key to sign it with,
and a database role that cannot rewrite it."""

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register
from django.db import DatabaseError

from .audit_keys import MIN_KEY_BYTES, audit_keys


@register(Tags.security, deploy=True)
def audit_key_check(app_configs=None, **kwargs):
    """ncii.E001 without a current audit key; ncii.E002 for a key shorter than 32 bytes."""
    key_id = getattr(settings, "AUDIT_HMAC_KEY_ID", "")
    key = audit_keys().get(key_id)
    if not key:
        return [
            Error(
                "No audit key is configured: the audit chains cannot be signed.",
                hint="Set AUDIT_HMAC_KEY (or AUDIT_HMAC_KEY_FILE) to a random secret of at "
                "least 32 characters, kept outside the database and its backups.",
                id="ncii.E001",
            )
        ]
    if len(key) < MIN_KEY_BYTES:
        return [
            Error(
                f"The audit key {key_id!r} is shorter than {MIN_KEY_BYTES} bytes.",
                hint="Generate one with: python -c 'import secrets; print(secrets.token_hex(32))'",
                id="ncii.E002",
            )
        ]
    return []


@register(Tags.security, deploy=True)
def audit_tables_role_check(app_configs=None, **kwargs):
    """ncii.W001 when the application connects to PostgreSQL as a superuser, as the owner of
    the audit tables, or as a role that may UPDATE, DELETE or TRUNCATE them. Skipped on SQLite
    and when the database cannot be reached (the check then has nothing to look at)."""
    from django.db import connection

    from .db_roles import connected_role_audit

    if connection.vendor != "postgresql":
        return []
    try:
        state = connected_role_audit()
    except DatabaseError:
        return []
    if state is None:
        return []
    reasons = []
    if state["superuser"]:
        reasons.append("is a superuser")
    if state["owns"]:
        reasons.append(f"owns {len(state['owns'])} audit tables (e.g. {state['owns'][0]})")
    if state["can_change"] and not state["superuser"]:
        reasons.append(
            f"may UPDATE, DELETE or TRUNCATE {len(state['can_change'])} audit tables "
            f"(e.g. {state['can_change'][0]})"
        )
    if not reasons:
        return []
    return [
        Warning(
            f"The application connects to the database as {state['role']!r}, which "
            + " and ".join(reasons)
            + ": whoever controls the application could rewrite the audit record.",
            hint="Run migrations as the owner, create the application role with "
            "'manage.py db_app_role ncii_app' (as the owner, after every migrate) and point "
            "DATABASE_URL at that role (README, 'Database roles').",
            id="ncii.W001",
        )
    ]


PROCESS_LOCAL_CACHES = (
    "django.core.cache.backends.locmem.LocMemCache",
    "django.core.cache.backends.dummy.DummyCache",
    "django.core.cache.backends.filebased.FileBasedCache",
)


@register(Tags.caches, deploy=True)
def shared_cache_check(app_configs=None, **kwargs):
    """ncii.W002 when the default cache or the rate limits' cache (RATELIMIT_USE_CACHE) lives
    in each process (memory, a local file or none) or is missing: the analytics figures, the
    "Verify now" interval and the rate limits must be shared by every web process and
    machine."""
    found = []
    for alias, variable in (
        ("default", "CACHE_URL"),
        (getattr(settings, "RATELIMIT_USE_CACHE", "default"), "RATELIMIT_CACHE_URL"),
    ):
        backend = settings.CACHES.get(alias, {}).get("BACKEND", "")
        if backend and backend not in PROCESS_LOCAL_CACHES:
            continue
        what = backend.rsplit(".", 1)[-1] if backend else "not configured"
        found.append(
            Warning(
                f"The {alias} cache ({what}) is not shared between processes: each web process "
                "would keep its own analytics figures, run its own chain checks and count its "
                "own rate limits.",
                hint=f"Set {variable} to Redis (redis://host:6379/1), or leave it unset to use "
                "REDIS_URL.",
                id="ncii.W002",
            )
        )
    return found
