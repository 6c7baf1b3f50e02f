"""A small OpenID Connect provider for the single sign-on tests: django-oauth-toolkit with its
OIDC support, RS256 keys made by the test, PKCE required. It runs as its own process on
loopback with its own SQLite database (tests/sso/fixtures.py), never in the application.

Everything it needs comes from the JSON file named by SSO_TEST_PROVIDER_CONFIG: the database
path, the issuer, the private key, the client, and the people who can sign in with the claims
their ID tokens carry. Test-only: no real person, no real secret.
"""

import json
import os
from pathlib import Path

CONFIG = json.loads(Path(os.environ["SSO_TEST_PROVIDER_CONFIG"]).read_text(encoding="utf-8"))
HERE = Path(__file__).resolve().parent

SECRET_KEY = "test-provider-only-never-deployed"  # noqa: S105  # nosec B105
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "oauth2_provider",
]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
ROOT_URLCONF = "tests.sso.provider.urls"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [HERE / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
            ]
        },
    }
]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": CONFIG["database"]}}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
USE_TZ = True
LOGIN_URL = "/login/"
OAUTH2_PROVIDER = {
    "OIDC_ENABLED": True,
    "OIDC_RSA_PRIVATE_KEY": CONFIG["private_key"],
    "OIDC_ISS_ENDPOINT": CONFIG["issuer"],
    "PKCE_REQUIRED": True,
    # The application under test listens on an ephemeral port of 127.0.0.1 or localhost
    # (RFC 8252 loopback redirects: the port is not compared).
    "ALLOW_LOCALHOST_LOOPBACK": True,
    "SCOPES": {"openid": "OpenID Connect", "email": "E-mail address", "profile": "Name"},
    "DEFAULT_SCOPES": ["openid"],
    "OAUTH2_VALIDATOR_CLASS": "tests.sso.provider.validator.ClaimsValidator",
}
