"""Production settings: everything from the environment, HTTPS only, nothing permissive."""

from pathlib import Path

from .base import *  # noqa: F403
from .base import BASE_DIR, REDIS_URL, caches_from_env, env

DEBUG = False
SECRET_KEY = env("SECRET_KEY")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")

# collectstatic writes here; docker-compose.yml mounts the static volume on it.
STATIC_ROOT = Path(env("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))

# TLS ends at the district's reverse proxy, which must set X-Forwarded-Proto (and drop any
# value a client sent). The liveness probe of compose and load balancers speaks plain HTTP.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
LANGUAGE_COOKIE_SECURE = True
CSRF_COOKIE_HTTPONLY = True

# The district's TLS reverse proxy (docker-compose.yml publishes web on 127.0.0.1 only) must
# append the client's address to X-Forwarded-For, and its address must be listed here (an
# address or a CIDR, comma-separated). Without it, REMOTE_ADDR is the proxy's address: the
# access log would name the proxy and lockouts of a username and address would fall on every
# client at once. docker-compose.yml sets the networks a proxy on the host arrives from.
TRUSTED_PROXIES = env.list("TRUSTED_PROXIES", default=["127.0.0.1/32", "::1/128"])

# One cache for every web process and worker (analytics figures, the "Verify now" interval, rate
# limits): Redis. A per-process memory cache would give each process its own figures and let
# each run its own chain check (ncii.W002 warns if CACHE_URL names one).
CACHES = caches_from_env(default_cache_url=REDIS_URL)
