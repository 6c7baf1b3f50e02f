"""Migrations build the whole schema, with the policy catalogs, on an empty PostgreSQL."""

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_migrations_apply_on_an_empty_postgresql_database():
    settings_dict = connection.settings_dict
    name = f"ncii_fromzero_{uuid.uuid4().hex[:8]}"
    base = (
        f"postgres://{settings_dict['USER'] or 'postgres'}@{settings_dict['HOST'] or '127.0.0.1'}"
        f":{settings_dict['PORT'] or 5432}"
    )
    env = {
        **os.environ,
        "DATABASE_URL": f"{base}/{name}",
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "CELERY_TASK_ALWAYS_EAGER": "true",
    }
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    try:
        migrate = subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert migrate.returncode == 0, migrate.stderr[-2000:]
        plan = subprocess.run(
            [sys.executable, "manage.py", "showmigrations", "--plan"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert plan.returncode == 0, plan.stderr[-2000:]
        lines = [line for line in plan.stdout.splitlines() if line.strip()]
        assert lines and all(line.startswith("[X]") for line in lines), plan.stdout
        assert any("policies.0002_seed_policy_catalogs" in line for line in lines)
        count = subprocess.run(
            [
                sys.executable,
                "manage.py",
                "shell",
                "-c",
                "from policies.models import Platform; print(Platform.objects.count())",
            ],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert int(count.stdout.strip().splitlines()[-1]) >= 10
    finally:
        connection.close()
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
