"""One cache for every process: production keeps analytics figures, the "Verify now" interval
and rate limits in Redis; a per-process cache fails the deployment check; an unreachable cache
never breaks a page; PostgreSQL connections run without JIT."""

import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.test import override_settings
from django.urls import reverse

from ncii_cases.checks import shared_cache_check
from tests.access.helpers import login_verified

ROOT = settings.BASE_DIR


def production_cache(**env) -> str:
    """The default cache backend and location the production settings choose for ``env``."""
    code = (
        "import django; from django.conf import settings; django.setup(); "
        "c = settings.CACHES['default']; print(c['BACKEND'], c.get('LOCATION'))"
    )
    base = {k: v for k, v in os.environ.items() if k not in ("CACHE_URL", "REDIS_URL")}
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={
            **base,
            "DJANGO_SETTINGS_MODULE": "config.settings.production",
            "SECRET_KEY": "x" * 60,
            "ALLOWED_HOSTS": "example.org",
            **env,
        },
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip()


def test_production_keeps_the_cache_in_redis_by_default():
    shown = production_cache(REDIS_URL="redis://cache-host:6379/0")
    assert shown == "django.core.cache.backends.redis.RedisCache redis://cache-host:6379/0"


def test_production_cache_url_names_another_redis_database():
    shown = production_cache(CACHE_URL="redis://cache-host:6379/1")
    assert shown == "django.core.cache.backends.redis.RedisCache redis://cache-host:6379/1"


@pytest.mark.parametrize(
    "backend",
    [
        "django.core.cache.backends.locmem.LocMemCache",
        "django.core.cache.backends.filebased.FileBasedCache",
    ],
)
def test_a_per_process_cache_fails_the_deployment_check(backend):
    local = {"BACKEND": backend, "LOCATION": "/tmp/x"}
    with override_settings(CACHES={"default": local, "ratelimit": REDIS}):
        warnings = shared_cache_check()
    assert [w.id for w in warnings] == ["ncii.W002"]
    with override_settings(CACHES={"default": REDIS, "ratelimit": local}):
        warnings = shared_cache_check()
    assert [w.id for w in warnings] == ["ncii.W002"] and "RATELIMIT_CACHE_URL" in warnings[0].hint


def test_a_missing_rate_limit_cache_fails_the_deployment_check():
    with override_settings(CACHES={"default": REDIS}):
        warnings = shared_cache_check()
    assert [w.id for w in warnings] == ["ncii.W002"] and "not configured" in warnings[0].msg


REDIS = {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://x"}


def test_a_redis_cache_passes_the_deployment_check():
    with override_settings(CACHES={"default": REDIS, "ratelimit": REDIS}):
        assert shared_cache_check() == []


def _cache_down(*args, **kwargs):
    raise ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")


@pytest.mark.django_db
@override_settings(ANALYTICS_CACHE_SECONDS=600)
def test_analytics_work_out_the_figures_when_the_cache_is_unreachable(
    client, coordinator, case, monkeypatch
):
    monkeypatch.setattr(cache, "get_or_set", _cache_down)
    login_verified(client, coordinator)
    response = client.get(reverse("reporting:analytics"))
    assert response.status_code == 200
    assert "Cases by NCII kind" in response.content.decode()


@pytest.mark.django_db
def test_verify_now_says_the_service_is_unavailable_when_the_cache_is_unreachable(
    client, coordinator, monkeypatch
):
    from reporting import views

    queued = []
    monkeypatch.setattr(cache, "add", _cache_down)
    monkeypatch.setattr(views.audit_verify_run, "delay", lambda **kw: queued.append(kw))
    login_verified(client, coordinator)
    response = client.post(reverse("reporting:audit_verify_now"), follow=True)
    assert response.status_code == 200
    assert "background service is unavailable" in response.content.decode()
    assert queued == []


@pytest.mark.django_db
def test_postgresql_connections_run_without_jit():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: set DATABASE_URL=postgres://...")
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"
