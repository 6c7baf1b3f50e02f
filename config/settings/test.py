"""Test settings: SQLite unless DATABASE_URL is set; Celery eager unless a test starts a worker."""

from .base import *  # noqa: F403
from .base import BASE_DIR, env

# The test settings only, never deployed.
SECRET_KEY = "test-only-key"  # noqa: S105  # nosec B105
# A fixed audit key for tests; tests that play an attacker hash without it.
AUDIT_HMAC_KEY_ID = "test"
AUDIT_HMAC_KEYS = {"test": "test-only-audit-key-never-deployed-0123456789"}
AUDIT_CHECKPOINT_DIR = BASE_DIR / "var" / "test-audit-checkpoints"
DEBUG = False
if not env("DATABASE_URL", default=""):
    DATABASES = {  # noqa: F811
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": BASE_DIR / "var" / "test.sqlite3",
            "ATOMIC_REQUESTS": False,
            "CONN_MAX_AGE": 0,
            "CONN_HEALTH_CHECKS": False,
        }
    }
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CELERY_TASK_ALWAYS_EAGER = True
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
AXES_ENABLED = True
# The test OpenID Connect provider runs on loopback over http (tests/sso/provider).
SSO_ALLOW_HTTP_ISSUERS = True
# Analytics tests change cases between page loads: no cached figures unless a test asks.
ANALYTICS_CACHE_SECONDS = 0

# The SQLite database and private files of a first run live in var/ (git-ignored).
(BASE_DIR / "var").mkdir(exist_ok=True)

# The rate limits count in this process's memory in tests (each test starts from zero).
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "ratelimit": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "rl"},
}
