"""First-run settings: SQLite, Celery eager, console email, debug on. Never for production."""

from .base import *  # noqa: F403
from .base import BASE_DIR, env

DEBUG = env.bool("DEBUG", default=True)
SECRET_KEY = env("SECRET_KEY", default="local-only-insecure-key-never-use-in-production")
# A first run without AUDIT_HMAC_KEY signs the audit chains with a development key derived
# from nothing secret, under its own id, so that such rows never pass for production ones.
if AUDIT_HMAC_KEY_ID not in AUDIT_HMAC_KEYS:  # noqa: F405
    AUDIT_HMAC_KEY_ID = "local-dev"
    AUDIT_HMAC_KEYS = {**AUDIT_HMAC_KEYS, "local-dev": "local-development-audit-key-not-secret"}  # noqa: F405
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=True)
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# The SQLite database and private files of a first run live in var/ (git-ignored).
(BASE_DIR / "var").mkdir(exist_ok=True)
# A first run may have no Redis: the public page's rate limits count in this process's memory
# unless RATELIMIT_CACHE_URL names a Redis.
if not env("RATELIMIT_CACHE_URL", default=""):
    CACHES = {  # noqa: F811
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "ratelimit": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    }
