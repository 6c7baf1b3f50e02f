"""Settings shared by every environment. Values come from the environment (django-environ).

Environment-specific modules (local, test, production) import this one and override.
"""

from pathlib import Path

import environ
from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

SECRET_KEY = env("SECRET_KEY", default="")
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "guardian",
    "simple_history",
    "django_htmx",
    "django_filters",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "csp",
    "policies",
    "ncii_cases",
    "reporting",
    # manage.py seed_bench and bench; a top-level package nothing else imports.
    "bench",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Every response after static files: Cache-Control: no-store, private.
    "ncii_cases.middleware.NoStoreMiddleware",
    # Django's, answering 503 (not 400) when the database is lost during the session's save.
    "ncii_cases.middleware.SessionMiddleware",
    # After the session, before CommonMiddleware (Django's documented place): the language of
    # each request from the language cookie, then the browser's Accept-Language.
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "ncii_cases.middleware.HtmxSignInRedirectMiddleware",
    "ncii_cases.middleware.SessionSecurityMiddleware",
    "ncii_cases.middleware.TwoFactorRequiredMiddleware",
    # Every time entered or shown in the signed-in user's district's zone.
    "ncii_cases.middleware.DistrictTimeZoneMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, so that lockouts see the final response of the login view.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "reporting.context_processors.reporting_nav",
                "ncii_cases.context_processors.reports_nav",
            ],
        },
    },
]

# SQLite is the zero-setup default for a first run; production and CI set DATABASE_URL.
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'var' / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # PostgreSQL's JIT compiles plans for expensive-looking queries; on this application's
    # queries compiling costs more than it saves (measured on the 100,000-case benchmark: the
    # 25 analytics queries took 5.2 s with it, 3.9 s without).
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "ncii_cases.User"
# No row is written back from its history in the admin: a revert would bypass the change
# form's checks and records (ncii_cases.admin.ScopedAdminMixin also refuses the POST).
SIMPLE_HISTORY_REVERT_DISABLED = True
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
    # Single sign-on (OpenID Connect, mozilla-django-oidc): keeps the sessions it starts; it
    # authenticates only from its own callback (ncii_cases.sso_views), never a password.
    "ncii_cases.sso.DistrictOidcBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    # Validates nothing: its password_changed hook e-mails the account whenever its password
    # is set or changed, on every path (admin, changepassword, a service).
    {"NAME": "ncii_cases.services.accounts.PasswordChangeNotice"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en"
# The public pages (policy page, family handout) are in both; staff screens are marked for
# translation but may stay English. A translation is added in locale/ (see README).
LANGUAGES = [("en", "English"), ("es", "Español")]
LOCALE_PATHS = [BASE_DIR / "locale"]
# The language switch (django.views.i18n.set_language) keeps the choice in this cookie for a
# year; it carries nothing but the language code.
LANGUAGE_COOKIE_AGE = 365 * 24 * 60 * 60
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"
TIME_ZONE = env("TIME_ZONE", default="America/Chicago")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]

# Supporting documents, notice letters and generated PDFs go through Django's storage API
# (ncii_cases/storage.py), under two private aliases: "documents" and "generated_pdfs".
# FILE_STORAGE=filesystem (the default) keeps them in the private folder PRIVATE_MEDIA_ROOT,
# which every web process and worker must share (one machine, or a shared volume);
# FILE_STORAGE=s3 keeps them in a private bucket of an S3-compatible object store, so that
# processes on any number of machines share them. Nothing is ever served by URL.
PRIVATE_MEDIA_ROOT = Path(env("PRIVATE_MEDIA_ROOT", default=str(BASE_DIR / "var" / "private")))
MEDIA_ROOT = PRIVATE_MEDIA_ROOT
MEDIA_URL = None
FILE_STORAGE = env("FILE_STORAGE", default="filesystem")
if FILE_STORAGE not in ("filesystem", "s3"):
    raise ImproperlyConfigured(
        f"FILE_STORAGE={FILE_STORAGE!r} is not known: set it to filesystem (a private folder, "
        "PRIVATE_MEDIA_ROOT) or s3 (a private bucket: S3_BUCKET and the other S3_ settings)."
    )


def s3_storage_options(bucket: str) -> dict:
    """The options of ``ncii_cases.storage_s3.PrivateS3Storage`` for one bucket, from the
    S3_* environment variables (the keys may also come from boto3's own chain: an instance
    role, AWS_* variables). Objects are private (no public ACL) and encrypted at rest by the
    store (S3_SERVER_SIDE_ENCRYPTION, AES256 by default; "" leaves it to the bucket)."""
    encryption = env("S3_SERVER_SIDE_ENCRYPTION", default="AES256")
    options = {
        "bucket_name": bucket,
        "endpoint_url": env("S3_ENDPOINT_URL", default="") or None,
        "region_name": env("S3_REGION", default="") or None,
        "access_key": env("S3_ACCESS_KEY_ID", default="") or None,
        "secret_key": env("S3_SECRET_ACCESS_KEY", default="") or None,
        "addressing_style": env("S3_ADDRESSING_STYLE", default="") or None,
        "signature_version": "s3v4",
        "default_acl": "private",
        "querystring_auth": True,
        "querystring_expire": 60,
        # Documents are content-addressed and never replaced (a second upload of the same
        # bytes gets its own name); a PDF job's one file is replaced by its re-rendering.
        "file_overwrite": False,
        "object_parameters": {"ServerSideEncryption": encryption} if encryption else {},
    }
    if env("S3_KMS_KEY_ID", default=""):
        options["object_parameters"]["SSEKMSKeyId"] = env("S3_KMS_KEY_ID")
    return options


if FILE_STORAGE == "s3":
    _documents_bucket = env("S3_BUCKET")
    _documents = {
        "BACKEND": "ncii_cases.storage_s3.PrivateS3Storage",
        "OPTIONS": s3_storage_options(_documents_bucket),
    }
    _generated_pdfs = {
        "BACKEND": "ncii_cases.storage_s3.PrivateS3Storage",
        "OPTIONS": {
            **s3_storage_options(env("S3_PDF_BUCKET", default=_documents_bucket)),
            "file_overwrite": True,
        },
    }
else:
    _documents = {"BACKEND": "ncii_cases.storage.PrivateFileSystemStorage"}
    _generated_pdfs = {
        "BACKEND": "ncii_cases.storage.PrivateFileSystemStorage",
        "OPTIONS": {"allow_overwrite": True},
    }
STORAGES = {
    "default": _documents,
    "documents": _documents,
    "generated_pdfs": _generated_pdfs,
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
# Uploads are read in memory up to this size and never spooled to a temp file; anything larger
# is refused before a byte of it is written (see ncii_cases/uploads.py).
DOCUMENT_MAX_BYTES = env.int("DOCUMENT_MAX_BYTES", default=10 * 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = DOCUMENT_MAX_BYTES
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
# One document per request, so that a request cannot hold many documents in memory at once.
DATA_UPLOAD_MAX_NUMBER_FILES = 1
FILE_UPLOAD_HANDLERS = ["ncii_cases.uploads.BoundedMemoryUploadHandler"]

# Redis backs Celery and, in production, the caches.
REDIS_URL = env("REDIS_URL", default="redis://127.0.0.1:6379/0")


def caches_from_env(*, default_cache_url: str) -> dict:
    """The two caches, from the environment: ``default`` (CACHE_URL, else
    ``default_cache_url``) holds what every web process must agree on (the kept analytics
    figures, the "Verify now" interval); ``ratelimit`` (RATELIMIT_CACHE_URL, else REDIS_URL)
    counts the public pages' rate limits (django-ratelimit). Production uses Redis for both,
    shared by every process on every machine (production.py); a first run and the tests keep
    ``default`` in the process's memory. A cache that cannot be reached is never fatal for
    the figures: they are worked out afresh."""
    caches = {
        "default": env.cache_url("CACHE_URL", default=default_cache_url),
        "ratelimit": env.cache_url("RATELIMIT_CACHE_URL", default=REDIS_URL),
    }
    caches["default"].setdefault("KEY_PREFIX", "ncii")
    caches["ratelimit"].setdefault("KEY_PREFIX", "ncii-ratelimit")
    return caches


CACHES = caches_from_env(default_cache_url="locmemcache://")
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=REDIS_URL)
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default=REDIS_URL)
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# When Redis is down, publishing a task gives up within seconds instead of hanging the request
# (a PDF job then stays queued and reporting.tasks.pdf_jobs_requeue hands it over later).
CELERY_BROKER_CONNECTION_TIMEOUT = 3
# visibility_timeout: a task taken by a worker that then died without acknowledging it (the
# whole worker killed, not just a pool process) goes back to the queue after this long (Redis'
# default, 1 hour; pdf_jobs_requeue hands a PDF job over again sooner).
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_connect_timeout": 3,
    "socket_timeout": 10,
    "visibility_timeout": env.int("CELERY_BROKER_VISIBILITY_TIMEOUT", default=60 * 60),
}
CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = 3
CELERY_REDIS_SOCKET_TIMEOUT = 10
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.2,
}
CELERY_BEAT_SCHEDULE: dict = {
    # Stages, takedowns, reports and measure reviews due soon or overdue: each reminder once.
    "deadlines-remind": {"task": "ncii_cases.tasks.deadlines_remind", "schedule": 300.0},
    # Signed checkpoints of the audit chains, outside the database, every hour.
    "audit-checkpoint": {
        "task": "ncii_cases.tasks.audit_checkpoint_write",
        "schedule": crontab(minute=15),
    },
    # The audit chains, re-hashed once a night; the audit review shows the latest run.
    "audit-verify": {
        "task": "ncii_cases.tasks.audit_verify_run",
        "schedule": crontab(hour=2, minute=30),
    },
    # Notifications whose publishing failed after their change committed (broker down).
    "notifications-relay": {"task": "ncii_cases.tasks.notifications_relay", "schedule": 60.0},
    # PDF summaries that never reached the worker (broker down) or whose worker died.
    "pdf-jobs-requeue": {"task": "reporting.tasks.pdf_jobs_requeue", "schedule": 60.0},
    # The kept counts of cases per school and stage checked against a count of the cases
    # (the database's triggers keep them; this repairs a table restored or emptied alone).
    "case-stage-counts-reconcile": {
        "task": "ncii_cases.tasks.case_stage_counts_reconcile",
        "schedule": crontab(hour=3, minute=10),
    },
    # Analytics facts of every case worked out again (events keep them fresh; this repairs
    # rows changed outside the services), every hour.
    "analytics-facts-refresh": {
        "task": "ncii_cases.tasks.analytics_facts_refresh",
        "schedule": crontab(minute=40),
    },
    # Expired sessions deleted (Django's clearsessions), once a night.
    "sessions-clear-expired": {
        "task": "ncii_cases.tasks.sessions_clear_expired",
        "schedule": crontab(hour=3, minute=40),
    },
}
# Deadline reminders (ncii_cases.tasks.deadlines_remind, docs/clocks.md "Reminders"): hours
# before a clock's due instant that its "due soon" reminder goes out, per clock kind, over the
# defaults of clocks.REMINDER_LEAD_HOURS ("takedown=6,stage=24"); and how many reminders one run
# attempts at most, so that a backlog drains over several runs instead of one long one.
DEADLINE_REMINDER_LEAD_HOURS: dict[str, float] = env.dict(
    "DEADLINE_REMINDER_LEAD_HOURS", cast={"value": float}, default={}
)
DEADLINE_REMINDER_BATCH = env.int("DEADLINE_REMINDER_BATCH", default=500)
# Reminders sent and recorded together (one transaction, one mail connection, a fixed number of
# queries) within a run's DEADLINE_REMINDER_BATCH.
DEADLINE_REMINDER_CHUNK = env.int("DEADLINE_REMINDER_CHUNK", default=200)
# pdf_jobs_requeue hands a PDF job over again once it has waited this long in the queue (its
# message may have been lost with Redis' data) or has been running this long (its worker
# died). Seconds; a rendering takes seconds, so the defaults leave a wide margin.
PDF_REQUEUE_QUEUED_AFTER_SECONDS = env.int("PDF_REQUEUE_QUEUED_AFTER_SECONDS", default=2 * 60)
PDF_REQUEUE_RUNNING_AFTER_SECONDS = env.int("PDF_REQUEUE_RUNNING_AFTER_SECONDS", default=15 * 60)

# The audit chains' keys, held outside the database (ncii_cases/audit_keys.py): new rows are
# signed with AUDIT_HMAC_KEY (or the content of the file AUDIT_HMAC_KEY_FILE, e.g. a Docker
# secret) under the id AUDIT_HMAC_KEY_ID; AUDIT_HMAC_OLD_KEYS ("id=key,id=key") keeps rotated
# keys for verifying older rows. Production refuses to start its checks without a key.
AUDIT_HMAC_KEY_ID = env("AUDIT_HMAC_KEY_ID", default="k1")
AUDIT_HMAC_KEYS: dict[str, str] = env.dict("AUDIT_HMAC_OLD_KEYS", default={})
_audit_key = env("AUDIT_HMAC_KEY", default="")
if not _audit_key and env("AUDIT_HMAC_KEY_FILE", default=""):
    _audit_key = Path(env("AUDIT_HMAC_KEY_FILE")).read_text(encoding="utf-8").strip()
if _audit_key:
    AUDIT_HMAC_KEYS[AUDIT_HMAC_KEY_ID] = _audit_key
# Signed checkpoints of the audit chains, written outside the database (append-only: one new
# file per checkpoint, never changed): into this folder, or, when AUDIT_CHECKPOINT_STORAGE
# names an alias of STORAGES (an object store with a retention lock, say), into that storage.
AUDIT_CHECKPOINT_DIR = Path(
    env("AUDIT_CHECKPOINT_DIR", default=str(BASE_DIR / "var" / "audit-checkpoints"))
)
AUDIT_CHECKPOINT_STORAGE = env("AUDIT_CHECKPOINT_STORAGE", default="")

# Analytics are aggregated from the kept per-case facts (ncii_cases.analytics_facts); the
# aggregates are kept in the shared cache for at most this long (seconds; 0: never kept), under
# the district's facts generation, so a change of a case is shown on the next page load.
ANALYTICS_CACHE_SECONDS = env.int("ANALYTICS_CACHE_SECONDS", default=600)

EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="ncii-case-manager@localhost")
# Seconds an SMTP connection may wait on the mail server (Django's default is to wait for
# ever): a mail server that accepts and never answers must not hold a web request or a
# worker (each send logs its failure and the change it reports stands).
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=20)

# Login hardening (django-axes): lock the pair of username and address after
# AXES_FAILURE_LIMIT failures, and the username alone (from any addresses) after
# AXES_USERNAME_FAILURE_LIMIT, so that guessing spread over many addresses is limited too
# (ncii_cases/lockout.py).
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_USERNAME_FAILURE_LIMIT = env.int("AXES_USERNAME_FAILURE_LIMIT", default=20)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.5)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "username"]
AXES_HANDLER = "ncii_cases.lockout.UsernameAndAddressHandler"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
AXES_LOCKOUT_TEMPLATE = "registration/locked.html"
# The client's address, for lockouts and the access log alike: REMOTE_ADDR, unless the peer is
# one of the TRUSTED_PROXIES (addresses or CIDRs, comma-separated); then X-Forwarded-For read
# from the right past the trusted proxies (ncii_cases/network.py). None for a development
# server, which has no proxy in front.
TRUSTED_PROXIES = env.list("TRUSTED_PROXIES", default=[])
if "TRUSTED_PROXY_COUNT" in env.ENVIRON:
    raise ImproperlyConfigured(
        "TRUSTED_PROXY_COUNT is no longer read: a count of proxies let any client that reached "
        "the application directly choose its own address. Remove it and set TRUSTED_PROXIES to "
        "the addresses or networks of your reverse proxies instead, for example "
        "TRUSTED_PROXIES=127.0.0.1/32 for a proxy on the same host (see .env.example)."
    )
AXES_CLIENT_IP_CALLABLE = "ncii_cases.network.client_ip_address"

# Two-factor sign-in (django-otp): the issuer shown in authenticator apps.
OTP_TOTP_ISSUER = env("OTP_TOTP_ISSUER", default="NCII case manager")
# An authenticator is set up only through a one-time link e-mailed to the account: it works
# for this many hours, and a person asking for another is told to check their e-mail if one
# was sent less than this many seconds ago (ncii_cases/services/two_factor.py).
ENROLLMENT_LINK_HOURS = env.int("ENROLLMENT_LINK_HOURS", default=24)
ENROLLMENT_LINK_RESEND_SECONDS = env.int("ENROLLMENT_LINK_RESEND_SECONDS", default=5 * 60)

# Single sign-on over OpenID Connect (docs/sso.md): providers are set per district in the
# admin. Seconds to wait for a provider's answer; how long a started sign-in may take (its
# state and nonce expire); how long a provider's discovery document and keys are cached.
OIDC_TIMEOUT = env.int("SSO_TIMEOUT_SECONDS", default=10)
OIDC_VERIFY_SSL = True
OIDC_MAX_STATES = 10
SSO_STATE_MAX_AGE_SECONDS = env.int("SSO_STATE_MAX_AGE_SECONDS", default=10 * 60)
SSO_DISCOVERY_CACHE_SECONDS = env.int("SSO_DISCOVERY_CACHE_SECONDS", default=60 * 60)
# Only for tests and development against a provider on this machine: issuers over http://.
SSO_ALLOW_HTTP_ISSUERS = env.bool("SSO_ALLOW_HTTP_ISSUERS", default=False)

# Django's database sessions with the signed-in account's id on each row
# (ncii_cases.session_store): an account's sessions end in one indexed query.
SESSION_ENGINE = "ncii_cases.session_store"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_IDLE_TIMEOUT_SECONDS = env.int("SESSION_IDLE_TIMEOUT_SECONDS", default=30 * 60)
# The absolute limit of a session, counted from sign-in (ncii_cases.middleware) and by cookie.
SESSION_COOKIE_AGE = env.int("SESSION_ABSOLUTE_TIMEOUT_SECONDS", default=10 * 60 * 60)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# A strict policy: nothing inline, nothing from another origin.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    },
}

# django-guardian: no anonymous user row; object permissions are granted by assignment services.
ANONYMOUS_USER_NAME = None
GUARDIAN_RAISE_403 = False
GUARDIAN_RENDER_403 = False

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # WeasyPrint logs each rendering step ("Step 2 - Fetching and parsing CSS") at INFO.
        "weasyprint.progress": {"level": "WARNING"},
    },
}

# Dates that say something happened ("reported at", "seen at", "sent at") may be this many
# minutes ahead of the server's clock, for a browser clock that runs a little fast; anything
# later is refused as a date in the future (ncii_cases.dates).
DATE_CLOCK_SKEW_MINUTES = env.int("DATE_CLOCK_SKEW_MINUTES", default=5)

# Reports from anyone (docs/reports.md). The public report page's rate limits (django-ratelimit)
# count in the "ratelimit" cache (CACHES above), which every web process shares: Redis. Rates
# are "<count>/<s|m|h|d>".
RATELIMIT_USE_CACHE = "ratelimit"
# Reports sent from one address; follow-up sign-ins from one address and for one tracking code;
# messages sent on one report.
PUBLIC_REPORT_RATE = env("PUBLIC_REPORT_RATE", default="20/h")
# Every sending of the report page from one address, a form sent back for a missing answer
# included: a program trying its way through the form.
PUBLIC_REPORT_TRY_RATE = env("PUBLIC_REPORT_TRY_RATE", default="60/h")
PUBLIC_FOLLOW_RATE_PER_ADDRESS = env("PUBLIC_FOLLOW_RATE_PER_ADDRESS", default="20/h")
PUBLIC_FOLLOW_RATE_PER_CODE = env("PUBLIC_FOLLOW_RATE_PER_CODE", default="10/h")
PUBLIC_MESSAGE_RATE = env("PUBLIC_MESSAGE_RATE", default="20/h")

# Translations of the project's own strings (English and Spanish): locale/<lang>/LC_MESSAGES.
LOCALE_PATHS = [BASE_DIR / "locale"]
