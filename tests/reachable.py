"""Which real services this test run can reach: PostgreSQL, Redis and Chromium.

Tests that need one carry the marker of the same name (``postgres``, ``redis``, ``browser``);
``tests/conftest.py`` skips them with the reason below when the service is missing, or fails
them when NCII_REQUIRE_SERVICES=1 (CI), so that a missing service can never pass as green.
Each check runs once per test run.
"""

import functools
import os
import shutil
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def services_required() -> bool:
    """Whether a missing service fails its tests instead of skipping them."""
    return os.environ.get("NCII_REQUIRE_SERVICES", "").strip().lower() in {"1", "true", "yes"}


def database_settings() -> dict:
    return settings.DATABASES["default"]


def database_vendor() -> str:
    """The engine's short name: postgresql, sqlite3, ..."""
    return database_settings()["ENGINE"].rsplit(".", 1)[-1]


def database_name_under_test() -> str:
    """The database the tests use, as pytest-django creates it (before it has been created)."""
    db = database_settings()
    name = db.get("TEST", {}).get("NAME")
    if name:
        return str(name)
    if database_vendor() == "sqlite3":
        return ":memory:"
    return f"test_{db['NAME']}"


@functools.cache
def postgres_available() -> bool:
    """True when the configured database is PostgreSQL and its server accepts a connection."""
    if database_vendor() != "postgresql":
        return False
    import psycopg2

    db = database_settings()
    try:
        # The maintenance database: the one named in DATABASE_URL need not exist yet.
        psycopg2.connect(
            dbname="postgres",
            user=db.get("USER") or None,
            password=db.get("PASSWORD") or None,
            host=db.get("HOST") or None,
            port=db.get("PORT") or None,
            connect_timeout=3,
        ).close()
    except psycopg2.Error:
        return False
    return True


def redis_url() -> str:
    return settings.REDIS_URL


def redact(url: str) -> str:
    """The URL without its password, for printing."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = f"{parts.username or ''}:***@{parts.hostname}"
    if parts.port:
        netloc += f":{parts.port}"
    return urlunsplit(parts._replace(netloc=netloc))


@functools.cache
def redis_available() -> bool:
    """True when the Redis at REDIS_URL answers a PING."""
    import redis

    try:
        client = redis.Redis.from_url(redis_url(), socket_connect_timeout=2, socket_timeout=2)
        try:
            return bool(client.ping())
        finally:
            client.close()
    except (redis.RedisError, OSError, ValueError):
        return False


@functools.cache
def chromium_path() -> str | None:
    """The Chromium (or Chrome) executable to drive: $CHROMIUM_PATH, else the first on PATH."""
    configured = os.environ.get("CHROMIUM_PATH")
    if configured:
        return configured if os.access(configured, os.X_OK) else None
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def missing_service(marker: str) -> str | None:
    """Why a test with this marker cannot run here, or None when it can."""
    if marker == "postgres" and not postgres_available():
        if database_vendor() != "postgresql":
            return "needs PostgreSQL: set DATABASE_URL=postgres://... (this run uses SQLite)"
        return f"needs PostgreSQL: the server of DATABASE_URL does not answer ({database_host()})"
    if marker == "redis" and not redis_available():
        return f"needs Redis: nothing answers at REDIS_URL={redact(redis_url())}"
    if marker == "browser" and not chromium_path():
        return "needs Chromium: install Debian's chromium or set CHROMIUM_PATH"
    return None


def database_host() -> str:
    db = database_settings()
    host = db.get("HOST") or "local socket"
    return f"{host}:{db['PORT']}" if db.get("PORT") else host


def report_lines() -> list[str]:
    """What this run talks to, for the header pytest prints."""
    vendor = database_vendor()
    where = f" at {database_host()}" if vendor != "sqlite3" else ""
    required = "fail" if services_required() else "skip"
    return [
        f"database: {vendor} ({database_name_under_test()}){where}",
        f"redis: {redact(redis_url())} ({'answers' if redis_available() else 'not answering'})",
        f"chromium: {chromium_path() or 'not found'}",
        f"tests whose service is missing: {required} (NCII_REQUIRE_SERVICES)",
    ]
