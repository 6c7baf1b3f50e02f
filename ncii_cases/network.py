"""The client's address behind the district's reverse proxies.

In production TLS ends at a reverse proxy, so ``REMOTE_ADDR`` is the proxy's address. Each
proxy appends the address it received the request from to ``X-Forwarded-For``. The header is
believed only as far as it was written by proxies we trust: ``TRUSTED_PROXIES`` lists their
networks (CIDRs). Starting from the peer (``REMOTE_ADDR``), the header is read from the right;
while the address in hand is a trusted proxy, the entry to its left is the address that proxy
saw. The first address that is not a trusted proxy is the client. Entries further left were
written by the client itself and are never believed; a peer that is not a trusted proxy is the
client whatever header it sends.

Django-axes (``AXES_CLIENT_IP_CALLABLE``) and the access log use this same function, so a
lockout and the access log name the same address.
"""

import ipaddress
from functools import lru_cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def _address(text: str):
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


@lru_cache(maxsize=8)
def _networks(entries: tuple[str, ...]) -> tuple[Network, ...]:
    networks = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError as error:
            raise ImproperlyConfigured(
                f"TRUSTED_PROXIES: {entry!r} is not an address or network. Give a "
                "comma-separated list such as 127.0.0.1/32,10.0.0.0/8."
            ) from error
    return tuple(networks)


def trusted_proxy_networks() -> tuple[Network, ...]:
    """The networks of the reverse proxies whose ``X-Forwarded-For`` entries are believed,
    from ``settings.TRUSTED_PROXIES`` (strings: an address or a CIDR). Raises
    ImproperlyConfigured for an entry that is neither."""
    return _networks(tuple(str(e) for e in getattr(settings, "TRUSTED_PROXIES", ()) if e))


def _trusted(address, networks) -> bool:
    if address is None:
        return False
    if address.version == 6 and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return any(address.version == net.version and address in net for net in networks)


def client_ip_address(request) -> str | None:
    """Returns the client's address (compressed text), or None without a ``REMOTE_ADDR``.

    The peer is the client unless it is a trusted proxy; then ``X-Forwarded-For`` is walked
    from the right, skipping trusted proxies, and the first other address is the client. If
    every entry is a trusted proxy, the leftmost is the client; an entry that is not an
    address stops the walk at the (trusted) address that sent it."""
    remote = _address(request.META.get("REMOTE_ADDR") or "")
    if remote is None:
        return None
    networks = trusted_proxy_networks()
    current = remote
    if not _trusted(current, networks):
        return current.compressed
    forwarded = [p for p in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if p.strip()]
    for entry in reversed(forwarded):
        address = _address(entry)
        if address is None:
            break
        current = address
        if not _trusted(current, networks):
            break
    return current.compressed
