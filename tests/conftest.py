# --- Test-run plumbing: real services and the run header (tests/reachable.py) ---------------
# A test marked postgres, redis or browser is skipped, with the reason, when that service is
# missing; with NCII_REQUIRE_SERVICES=1 (CI) it fails instead, so CI can never go green by
# skipping. Personas and shared fixtures go below this block.
import pytest

from tests import reachable

# Fixtures from other modules (pytest_plugins belongs in this rootdir conftest only):
# the personas (a coordinator, school administrators, investigators, a counselor, an auditor,
# an IT admin, an outsider) and their cases, used by every test (tests/personas.py); moto's
# S3-compatible server and a private bucket per test (tests/object_store.py).
pytest_plugins = ["tests.personas", "tests.object_store"]

SERVICE_MARKERS = ("postgres", "redis", "browser")


def pytest_report_header(config):
    return reachable.report_lines()


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    for marker in SERVICE_MARKERS:
        if item.get_closest_marker(marker) is None:
            continue
        reason = reachable.missing_service(marker)
        if reason is None:
            continue
        if reachable.services_required():
            pytest.fail(f"{reason} [NCII_REQUIRE_SERVICES=1: required here]", pytrace=False)
        pytest.skip(reason)


# --- End of test-run plumbing ------------------------------------------------------------


@pytest.fixture(autouse=True)
def _cache_cleared():
    """Each test starts with an empty cache (kept analytics, "Verify now" spacing)."""
    from django.core.cache import cache, caches

    cache.clear()
    caches["ratelimit"].clear()  # the public report page's rate limits (django-ratelimit)
    yield


@pytest.fixture
def private_root(settings, tmp_path):
    """An empty private files folder (documents, PDF summaries) for the test."""
    from ncii_cases.models import SupportingDocument, TakedownNotice

    root = tmp_path / "private"
    root.mkdir()
    settings.PRIVATE_MEDIA_ROOT = root
    storages = (
        SupportingDocument._meta.get_field("file").storage,
        TakedownNotice._meta.get_field("pdf").storage,
    )
    # The storage caches its location; forget it so that it follows the test's setting.
    for storage in storages:
        for name in ("base_location", "location"):
            storage.__dict__.pop(name, None)
    yield root
    for storage in storages:
        for name in ("base_location", "location"):
            storage.__dict__.pop(name, None)


@pytest.fixture(autouse=True)
def _audit_checkpoints_isolated(settings, tmp_path_factory):
    """Each test writes its audit checkpoints into a folder of its own."""
    settings.AUDIT_CHECKPOINT_DIR = tmp_path_factory.mktemp("audit-checkpoints")
    settings.AUDIT_CHECKPOINT_STORAGE = ""
    yield


@pytest.fixture(scope="session")
def app_db_role(django_db_setup):
    """The restricted application role on the PostgreSQL test database (created and granted
    once per run with ``db_roles.app_role_grant``, as the deployment does, when the test
    database is set up: ``django_db_setup`` below); its name."""
    if not APP_ROLE:
        pytest.skip("database roles exist on PostgreSQL only")
    return APP_ROLE[0]


@pytest.fixture(autouse=True)
def _as_app_db_role(request):
    """With NCII_TEST_AS_APP_ROLE=1 on PostgreSQL (CI), every test that runs inside a
    transaction (the ``db`` fixture) runs as the restricted application role (``SET ROLE``
    after pytest-django has opened the transaction), so the application's own code is shown to
    need no more than SELECT and INSERT on the audit tables. Tests that flush tables
    (``transactional_db``, live servers) run as the owner: TRUNCATE is the owner's."""
    import os

    wanted = os.environ.get("NCII_TEST_AS_APP_ROLE", "").strip().lower() in {"1", "true", "yes"}
    marker = request.node.get_closest_marker("django_db")
    transactional = "transactional_db" in request.fixturenames or (
        marker is not None and (marker.kwargs.get("transaction") or marker.args[:1] == (True,))
    )
    if not wanted or "db" not in request.fixturenames or transactional:
        yield
        return
    from django.db import connection

    if reachable.database_vendor() != "postgresql":
        yield
        return
    role = request.getfixturevalue("app_db_role")
    request.getfixturevalue("db")
    with connection.cursor() as cursor:
        # Inside the test's transaction: its rollback restores the owner.
        cursor.execute(f'SET ROLE "{role}"')
    yield


@pytest.fixture(scope="session", autouse=True)
def _translations_compiled():
    """The .mo catalogs are build products (scripts/setup.sh compiles them): compile any that
    are missing or older than their .po, so that a bare ``pytest`` on a fresh checkout serves
    the Spanish pages too, then drop Django's cached catalogs so the new files are read."""
    from pathlib import Path

    from django.utils.translation.reloader import translation_file_changed

    from ncii_cases.management.commands.compile_translations import catalogs, compile_catalog

    written = [compile_catalog(po) for po in catalogs()]  # every catalog, no short cut
    if any(written):
        translation_file_changed(sender=None, file_path=Path("django.mo"))
    yield


# What the migrations seeded in the policies app (catalogs, appeal grounds, the reporting
# profile), read once right after the test database is created: a transactional test flushes
# every table, and they are written back after each one (``pytest_runtest_teardown`` below),
# so no test depends on which tests its worker ran before it.
POLICY_DATA: list[str] = []
# The name of the restricted application role of the PostgreSQL test database (``app_db_role``).
APP_ROLE: list[str] = []
# pytest-django's database blocker, kept by ``django_db_setup`` for the teardown hook below.
DB_BLOCKER: list = []


def transactional(item) -> bool:
    """Whether the test runs outside a rolled-back transaction (pytest-django flushes every
    table after it): marked ``django_db(transaction=True)`` or using ``transactional_db`` or
    ``live_server``, pytest-django's own rule."""
    marker = item.get_closest_marker("django_db")
    if marker is not None and marker.kwargs.get("transaction"):
        return True
    names = getattr(item, "fixturenames", ())
    return "transactional_db" in names or "live_server" in names


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item, nextitem):
    """After a transactional test's flush, the catalogs the migrations seeded are written back
    (a test after it on the same worker would otherwise find no platforms, measures or appeal
    grounds, and fail for the order the workers drew the tests in)."""
    yield
    if POLICY_DATA and DB_BLOCKER and transactional(item):
        with DB_BLOCKER[0].unblock():
            policy_data_restore()


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    from django.apps import apps
    from django.core import serializers

    DB_BLOCKER[:] = [django_db_blocker]
    with django_db_blocker.unblock():
        rows = [
            row
            for model in apps.get_app_config("policies").get_models()
            for row in model._base_manager.order_by("pk")
        ]
        POLICY_DATA[:] = [serializers.serialize("json", rows)]
        # The application role, granted here, outside every test's transaction: granted from
        # inside one (the first test to ask), it would be rolled back with that test.
        from django.db import connection

        if connection.vendor == "postgresql":
            from ncii_cases.db_roles import app_role_grant

            name = f"{connection.settings_dict['NAME']}_app"[:63]
            app_role_grant(role=name)
            APP_ROLE[:] = [name]


def policy_data_restore() -> None:
    """Writes back what the migrations seeded in the policies app (see ``POLICY_DATA``)."""
    from django.core import serializers

    for data in POLICY_DATA:
        for obj in serializers.deserialize("json", data):
            obj.save()
