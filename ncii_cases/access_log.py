"""Logging every read of case content, PDFs, exports and audit pages: who, what, when, from
where, and whether it was allowed. Refusals (a 404 from a selector) are logged too.

Views take the ``access_logged(action)`` decorator, outermost, so that anonymous attempts are
logged too; it records one ``AccessEvent`` per request after the view answered. A view marks
the case it showed with ``access_case(request, case)``.
"""

import functools

from axes.helpers import get_client_ip_address
from django.http import Http404

from .audit import access_event_record

# Every action name given to ``access_logged``, for the audit review's action filter.
ACCESS_ACTIONS: set[str] = set()


def client_ip(request) -> str | None:
    """The client's address, found the same way as for sign-in lockouts (django-axes calls
    ``network.client_ip_address`` through AXES_CLIENT_IP_CALLABLE, honouring
    TRUSTED_PROXY_COUNT), so that the access log and the lockouts name the same address."""
    return get_client_ip_address(request) or None


def access_case(request, case) -> None:
    """Marks the case a view is showing, so that the access log links to it."""
    request._ncii_access_case = case


def access_record(request, *, action: str, allowed: bool):
    """Records one access-log entry for this request."""
    return access_event_record(
        user=request.user,
        action=action,
        path=request.get_full_path(),
        method=request.method,
        allowed=allowed,
        case=getattr(request, "_ncii_access_case", None) if allowed else None,
        ip_address=client_ip(request),
        user_agent=request.META.get("HTTP_USER_AGENT", ""),
    )


def access_logged(action: str):
    """Decorates a view so that each request is logged, allowed or refused (Http404)."""
    ACCESS_ACTIONS.add(action)

    def decorator(view):
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            try:
                response = view(request, *args, **kwargs)
            except Http404:
                access_record(request, action=action, allowed=False)
                raise
            # A page shown, or a signed-in user's form sent on with a redirect, counts as
            # allowed; the redirect of an anonymous visitor to sign in and any 4xx are refusals.
            signed_in = getattr(request.user, "is_authenticated", False)
            allowed = 200 <= response.status_code < 300 or (
                signed_in and 300 <= response.status_code < 400
            )
            access_record(request, action=action, allowed=allowed)
            return response

        return wrapper

    return decorator
