"""The two PostgreSQL roles of a deployment: the owner, which runs migrations and owns every
table, and the application role, which the web processes and workers connect as.

The application role may SELECT and INSERT on the audit tables (the case timeline, the access
log, the stored verification runs and every simple-history table) and nothing more: no UPDATE,
DELETE or TRUNCATE, and, not being their owner nor a superuser, it can neither disable their
triggers nor change their privileges. Elsewhere it has ordinary rights (SELECT, INSERT, UPDATE,
DELETE; sequences). ``app_role_grant`` is idempotent; run it (``manage.py db_app_role``) as the
owner after every ``migrate``, since a migration may add tables.
"""

import re

from django.apps import apps
from django.db import connection

ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def audit_tables() -> list[str]:
    """The tables the application role may only read and append to."""
    from simple_history.models import HistoricalChanges

    from .models import AccessEvent, AuditVerification, CaseEvent

    tables = {m._meta.db_table for m in (CaseEvent, AccessEvent, AuditVerification)}
    tables |= {m._meta.db_table for m in apps.get_models() if issubclass(m, HistoricalChanges)}
    return sorted(tables)


def _quote(name: str) -> str:
    return connection.ops.quote_name(name)


def app_role_grant(*, role: str, password: str | None = None, schema: str = "public") -> list[str]:
    """Creates the application role if it does not exist (LOGIN, no superuser, no CREATEDB, no
    CREATEROLE, no BYPASSRLS; with ``password`` if given, else the password is left as it is),
    grants its rights on the current database and returns the statements run.

    Run as the owner of the tables. Raises ValueError for a role name that is not a plain
    lower-case identifier, or for the current user itself, and RuntimeError off PostgreSQL."""
    if connection.vendor != "postgresql":
        raise RuntimeError("Database roles exist on PostgreSQL only; SQLite has none.")
    if not ROLE_NAME.match(role):
        raise ValueError(f"{role!r} is not a plain lower-case PostgreSQL role name.")
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user, current_database()")
        owner, database = cursor.fetchone()
        if owner == role:
            raise ValueError(
                "The application role must not be the owner that runs this command: give it "
                "another name."
            )
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
        exists = cursor.fetchone() is not None
    r, s = _quote(role), _quote(schema)
    options = "LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS NOREPLICATION INHERIT"
    statements = [f"{'ALTER' if exists else 'CREATE'} ROLE {r} {options}"]
    if password is not None:
        statements.append(f"ALTER ROLE {r} PASSWORD %s")
    statements += [
        f"GRANT CONNECT ON DATABASE {_quote(database)} TO {r}",
        f"GRANT USAGE ON SCHEMA {s} TO {r}",
        f"REVOKE CREATE ON SCHEMA {s} FROM {r}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {s} TO {r}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {s} TO {r}",
        # Tables created later by the owner get ordinary rights; audit tables among them are
        # narrowed when this runs again after the migration.
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {_quote(owner)} IN SCHEMA {s} "
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {r}",
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {_quote(owner)} IN SCHEMA {s} "
        f"GRANT USAGE, SELECT ON SEQUENCES TO {r}",
    ]
    for table in audit_tables():
        t = f"{s}.{_quote(table)}"
        statements.append(f"REVOKE ALL ON {t} FROM {r}")
        statements.append(f"GRANT SELECT, INSERT ON {t} TO {r}")
    with connection.cursor() as cursor:
        for sql in statements:
            # Names are checked identifiers, quoted; psycopg2 fills the password in itself.
            cursor.execute(sql, [password] if sql.endswith("%s") else None)
    return [sql.replace("%s", "'***'") for sql in statements]


def connected_role_audit() -> dict | None:
    """How the current connection stands towards the audit tables, or None off PostgreSQL:
    ``{"role", "superuser", "owns": [tables it owns], "can_change": [tables it may UPDATE,
    DELETE or TRUNCATE]}``. Raises the database's error when it cannot connect."""
    if connection.vendor != "postgresql":
        return None
    tables = audit_tables()
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user, rolsuper FROM pg_roles WHERE rolname = current_user")
        role, superuser = cursor.fetchone()
        cursor.execute(
            "SELECT tablename, tableowner = current_user, "
            "has_table_privilege(quote_ident(tablename), 'UPDATE, DELETE, TRUNCATE') "
            "FROM pg_tables WHERE schemaname = current_schema() AND tablename = ANY(%s)",
            [tables],
        )
        rows = cursor.fetchall()
    return {
        "role": role,
        "superuser": bool(superuser),
        "owns": sorted(t for t, owns, _ in rows if owns),
        "can_change": sorted(t for t, _, change in rows if change),
    }
