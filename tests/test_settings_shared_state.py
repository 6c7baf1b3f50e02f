"""Nothing that every process must share is kept in one process: the production settings put
both caches (analytics figures and "Verify now" spacing; the public pages' rate limits) in
Redis, and FILE_STORAGE=s3 puts documents and PDFs in a private bucket. Each case imports the
settings module in a fresh interpreter with a production environment."""

import json
import os
import subprocess
import sys

import pytest

from tests.processes import ROOT

PRODUCTION = {
    "DJANGO_SETTINGS_MODULE": "config.settings.production",
    "SECRET_KEY": "x" * 60,
    "ALLOWED_HOSTS": "cases.test",
    "REDIS_URL": "redis://redis.internal:6379/0",
}


def settings_of(env: dict) -> dict:
    code = (
        "import json, django; from django.conf import settings; django.setup(); "
        "print(json.dumps({'caches': settings.CACHES, 'storages': settings.STORAGES, "
        "'ratelimit': settings.RATELIMIT_USE_CACHE}, default=str))"
    )
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("CACHE", "RATELIMIT"))}
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_production_keeps_both_caches_in_redis_by_default():
    found = settings_of(PRODUCTION)
    caches = found["caches"]
    assert found["ratelimit"] in caches
    for alias in ("default", "ratelimit"):
        assert caches[alias]["BACKEND"] == "django.core.cache.backends.redis.RedisCache", alias
        assert caches[alias]["LOCATION"] == "redis://redis.internal:6379/0"
    assert caches["default"]["KEY_PREFIX"] != caches["ratelimit"]["KEY_PREFIX"]


def test_each_cache_can_have_its_own_redis():
    found = settings_of(
        {
            **PRODUCTION,
            "CACHE_URL": "redis://cache.internal:6379/1",
            "RATELIMIT_CACHE_URL": "redis://cache.internal:6379/2",
        }
    )
    assert found["caches"]["default"]["LOCATION"] == "redis://cache.internal:6379/1"
    assert found["caches"]["ratelimit"]["LOCATION"] == "redis://cache.internal:6379/2"


def test_files_go_to_a_private_bucket_with_file_storage_s3():
    found = settings_of(
        {
            **PRODUCTION,
            "FILE_STORAGE": "s3",
            "S3_BUCKET": "district-files",
            "S3_ENDPOINT_URL": "https://objects.internal",
        }
    )
    for alias in ("default", "documents", "generated_pdfs"):
        storage = found["storages"][alias]
        assert storage["BACKEND"] == "ncii_cases.storage_s3.PrivateS3Storage", alias
        options = storage["OPTIONS"]
        assert options["bucket_name"] == "district-files"
        assert (options["default_acl"], options["querystring_auth"]) == ("private", True)
        assert options["object_parameters"] == {"ServerSideEncryption": "AES256"}
    assert found["storages"]["generated_pdfs"]["OPTIONS"]["file_overwrite"] is True
    assert found["storages"]["documents"]["OPTIONS"]["file_overwrite"] is False


def test_files_stay_in_the_private_folder_by_default():
    storages = settings_of(PRODUCTION)["storages"]
    assert storages["documents"]["BACKEND"] == "ncii_cases.storage.PrivateFileSystemStorage"
    assert storages["generated_pdfs"]["OPTIONS"] == {"allow_overwrite": True}


def test_an_unknown_file_storage_is_refused_with_what_to_set():
    with pytest.raises(AssertionError, match="FILE_STORAGE='ftp' is not known"):
        settings_of({**PRODUCTION, "FILE_STORAGE": "ftp"})
