"""Playing the attacker in tests: raw SQL as the audit tables' owner.

On PostgreSQL, ``as_owner`` leaves the application role if the test runs as it
(``NCII_TEST_AS_APP_ROLE``, tests/conftest.py) and switches the append-only triggers off, as an
owner can; on SQLite it does nothing (there are no roles).
"""

from contextlib import contextmanager

from django.db import connection


@contextmanager
def as_owner(*, triggers_off: bool = True):
    """Runs the block as the owner of the tables; with ``triggers_off`` (the attacker's
    default) the tables' triggers are switched off too, otherwise they fire as usual (as
    ``migrate`` runs)."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user, session_user")
        current, session = cursor.fetchone()
        if current != session:
            cursor.execute("RESET ROLE")
        if triggers_off:
            cursor.execute("SET session_replication_role = replica")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            if triggers_off:
                cursor.execute("SET session_replication_role = DEFAULT")
            if current != session:
                cursor.execute(f'SET ROLE "{current}"')
