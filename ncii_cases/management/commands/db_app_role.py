"""Creates (or updates) the application's PostgreSQL role and grants its rights: SELECT and
INSERT only on the audit tables, ordinary rights elsewhere (``ncii_cases.db_roles``). Run it as
the owner of the tables (the role that runs ``migrate``), after every ``migrate``; it is
idempotent."""

import os

from django.core.management.base import BaseCommand, CommandError

from ncii_cases.db_roles import app_role_grant


class Command(BaseCommand):
    help = "Creates the restricted application role and grants its rights (PostgreSQL)."

    def add_arguments(self, parser):
        parser.add_argument("role", help="The application role's name, e.g. ncii_app.")
        parser.add_argument(
            "--password-env",
            default="",
            help="The environment variable holding the role's password (left unchanged if "
            "not given).",
        )

    def handle(self, *args, role, password_env, **options):
        password = None
        if password_env:
            password = os.environ.get(password_env)
            if not password:
                raise CommandError(f"The environment variable {password_env} is empty or unset.")
        try:
            statements = app_role_grant(role=role, password=password)
        except (ValueError, RuntimeError) as exc:
            raise CommandError(str(exc)) from exc
        for sql in statements:
            self.stdout.write(sql)
        self.stdout.write(f"Role {role} may only read and append to the audit tables.")
