"""The client's address behind the district's reverse proxies.

In production TLS ends at a reverse proxy, so ``REMOTE_ADDR`` is the proxy's address. Each
trusted proxy appends the address it received the request from to ``X-Forwarded-For``; with
``TRUSTED_PROXY_COUNT`` proxies in front of the application, the client is the entry that many
places from the right. Entries further left were sent by the client itself and are never
trusted. Django-axes (``AXES_CLIENT_IP_CALLABLE``) and the access log use this same function,
so a lockout and the access log name the same address.
"""

import ipaddress

from django.conf import settings


def _valid(address: str) -> str | None:
    try:
        return ipaddress.ip_address(address.strip()).compressed
    except ValueError:
        return None


def client_ip_address(request) -> str | None:
    """Returns the client's address: ``REMOTE_ADDR`` without trusted proxies, else the
    ``X-Forwarded-For`` entry written by the outermost trusted proxy. A request that did not pass
    through every trusted proxy (header missing, too short or not an address) gets
    ``REMOTE_ADDR``."""
    remote = request.META.get("REMOTE_ADDR") or None
    count = getattr(settings, "TRUSTED_PROXY_COUNT", 0)
    if count <= 0:
        return remote
    forwarded = [
        part for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()
    ]
    if len(forwarded) < count:
        return remote
    return _valid(forwarded[-count]) or remote
