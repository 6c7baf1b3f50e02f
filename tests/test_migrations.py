"""Migrations build the whole schema, with the policy catalogs, on an empty PostgreSQL."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.recorder import MigrationRecorder

from policies.models import Platform


@pytest.mark.postgres
@pytest.mark.django_db
def test_migrations_apply_on_an_empty_postgresql_database(request):
    """The test database is one ``migrate`` built on an empty PostgreSQL database:
    pytest-django creates it so unless told ``--no-migrations``, which this suite never is.
    Every migration of the graph is recorded as applied, none is left to run, and the policy
    catalogs are seeded. (A second empty database migrated in a subprocess here took two minutes
    of the suite to show the same; CI also migrates its own empty database before the tests.)"""
    assert not request.config.getoption("nomigrations"), "run without --no-migrations"
    executor = MigrationExecutor(connection)
    graph = executor.loader.graph
    applied = set(MigrationRecorder(connection).applied_migrations())
    assert set(graph.nodes) <= applied, sorted(set(graph.nodes) - applied)
    assert not executor.migration_plan(graph.leaf_nodes())
    assert ("policies", "0002_seed_policy_catalogs") in applied
    assert Platform.objects.filter(district=None).count() >= 10


def test_the_post_migrate_work_waits_after_a_step_back(monkeypatch):
    """``migrate ncii_cases 0011`` leaves tables older than today's models: the roles sync and
    the case triggers' check read and write with those models, so they wait for the next
    migrate forward (they failed the step back on a missing column before)."""
    from django.apps import apps
    from django.db.migrations.loader import MigrationLoader

    from ncii_cases import apps as ncii_apps

    calls = []
    monkeypatch.setattr("ncii_cases.roles.roles_sync", lambda: calls.append("roles"))
    monkeypatch.setattr(
        "ncii_cases.case_triggers.post_migrate_ensure",
        lambda sender, **kwargs: calls.append(("triggers", kwargs["using"])),
    )
    config = apps.get_app_config("ncii_cases")
    migration = MigrationLoader(None).get_migration("ncii_cases", "0032_analytics_month_tallies")
    for back in (True, False):
        for receiver in (ncii_apps._sync_roles, ncii_apps._case_triggers_ensure):
            receiver(config, app_config=config, using="default", plan=[(migration, back)])
    assert calls == ["roles", ("triggers", "default")]
    # flush sends post_migrate without a plan: the work runs
    ncii_apps._sync_roles(config, using="default", plan=None)
    assert calls[-1] == "roles"
