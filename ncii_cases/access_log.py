"""Logging every read of case content, PDFs, exports and audit pages: who, what, when, from
where, and whether it was allowed. Refusals (a 404 from a selector) are logged too, in the log
of a district whose auditor reads it (see ``access_record``).

Views take the ``access_logged(action)`` decorator, outermost, so that anonymous attempts are
logged too; it records one ``AccessEvent`` per request after the view answered. A view marks
the case it showed with ``access_case(request, case)``. A page's timed refresh (a poll, see
``is_poll``) of a view declared ``poll=True`` is logged once per session and case:
the first refresh is the read; the same partial read again every minute adds nothing.

Sign-in events (password step, second factor, enrollment, sign-out, lockouts) are recorded by
``ncii_cases.auth_views`` and ``ncii_cases.signin_events`` through ``access_record`` too.
"""

import functools

from axes.helpers import get_client_ip_address
from django.contrib.admin.utils import unquote
from django.core.exceptions import ValidationError
from django.http import Http404

from .audit import access_event_record

# Every action name given to ``access_logged``, for the audit review's action filter, and the
# actions of signing in, sessions and second factors (recorded with ``access_record``).
ACCESS_ACTIONS: set[str] = {
    "sign_in_password",
    "sign_in",
    "sign_in_failed",
    "sign_in_locked",
    "second_factor_failed",
    "sign_out",
    "sign_out_idle",
    "sign_out_time_limit",
    "enrollment_link_sent",
    "enrollment_link_refused",
    "second_factor_enrolled",
    "recovery_codes_regenerated",
    "recovery_codes_refused",
    "second_factor_reset_requested",
    "second_factor_reset_approved",
    "second_factor_reset_cancelled",
    "second_factor_removed",
    # Single sign-on (ncii_cases.sso_views) and the per-district switch of passwords.
    "sign_in_sso",
    "sign_in_sso_failed",
    "sign_in_sso_refused",
    "sso_account_linked",
    "sso_account_created",
    "sign_in_password_refused",
    "sso_link_removed",
}
# Session key: the (action, case) pairs of polls already logged in this session.
POLLS_LOGGED_KEY = "ncii_polls_logged"


# The header the page's own timed refreshes send (the takedown board's every-minute refresh and
# the PDF status); htmx adds HX-Request and HX-Trigger to it. Such a request is not activity.
POLL_HEADER = "X-NCII-Poll"


def is_poll(request) -> bool:
    """Whether the request is a timed refresh of part of a page (``X-NCII-Poll: 1``), not
    something the person did."""
    return request.headers.get(POLL_HEADER) == "1"


def client_ip(request) -> str | None:
    """The client's address, found the same way as for sign-in lockouts (django-axes calls
    ``network.client_ip_address`` through AXES_CLIENT_IP_CALLABLE, honouring
    TRUSTED_PROXIES), so that the access log and the lockouts name the same address."""
    return get_client_ip_address(request) or None


def access_case(request, case) -> None:
    """Marks the case a view is showing, so that the access log links to it."""
    request._ncii_access_case = case


def object_district_id(model, pk) -> int | None:
    """The district a row belongs to (its own ``district``, its case's, or its evidence's
    case's), or None when the model has none or the row does not exist. Used only to file a
    log entry where that district's auditor reads it; it reads no content."""
    fields = {f.name for f in model._meta.concrete_fields}
    path = next(
        (
            p
            for name, p in (
                ("district", "district_id"),
                ("case", "case__district_id"),
                ("evidence", "evidence__case__district_id"),
            )
            if name in fields
        ),
        None,
    )
    if path is None:
        return None
    try:
        return model._base_manager.filter(pk=pk).values_list(path, flat=True).first()
    except (ValueError, TypeError, ValidationError):
        return None


def _district_asked_for(request) -> int | None:
    """The district whose data the request asked for, when the address names one: the case
    of a case page (every access-logged route's ``pk`` is a case), the object of an admin page,
    or the object of an admin "view on site" link."""
    from django.contrib.contenttypes.models import ContentType

    from .models import Case

    match = getattr(request, "resolver_match", None)
    if match is None:
        return None
    kwargs = match.kwargs
    model_admin = getattr(match.func, "model_admin", None)
    if model_admin is not None and "object_id" in kwargs:
        return object_district_id(model_admin.model, unquote(kwargs["object_id"]))
    if "content_type_id" in kwargs and "object_id" in kwargs:
        content_type = ContentType.objects.filter(pk=kwargs["content_type_id"]).first()
        model = content_type.model_class() if content_type else None
        return object_district_id(model, kwargs["object_id"]) if model else None
    if "pk" in kwargs and model_admin is None:
        return object_district_id(Case, kwargs["pk"])
    return None


def access_record(
    request, *, action: str, allowed: bool, path: str | None = None, user=None, district_id=None
):
    """Records one access-log entry for this request (``path``: the full path unless given;
    ``user``: the signed-in user unless given, e.g. the account a failed sign-in named).

    Where it is filed: the district given, else the user's district. A refusal of an account
    without a district (an operator's ``createsuperuser`` account) is filed in the district
    whose data was asked for, when the address names it; otherwise the entry has no district
    and is an installation-level entry, which every district's auditor reads in the admin's
    access log."""
    user = request.user if user is None else user
    if district_id is None and not allowed and getattr(user, "district_id", None) is None:
        district_id = _district_asked_for(request)
    return access_event_record(
        user=user,
        action=action,
        path=request.get_full_path() if path is None else path,
        method=request.method,
        allowed=allowed,
        case=getattr(request, "_ncii_access_case", None) if allowed else None,
        ip_address=client_ip(request),
        user_agent=request.META.get("HTTP_USER_AGENT", ""),
        district_id=district_id,
    )


def _poll_already_logged(request, action: str) -> bool:
    """Whether this poll's (action, case) was logged before in the session; marks it if not."""
    if not is_poll(request) or not hasattr(request, "session"):
        return False
    case = getattr(request, "_ncii_access_case", None)
    key = f"{action}:{getattr(case, 'pk', '')}"
    seen = request.session.get(POLLS_LOGGED_KEY, [])
    if key in seen:
        return True
    request.session[POLLS_LOGGED_KEY] = [*seen, key]
    return False


def access_logged(action: str, *, poll: bool = False):
    """Decorates a view so that each request is logged, allowed or refused (Http404).
    ``poll``: the view is refreshed on a timer by its page; an allowed poll is logged once per
    session and case (refusals always)."""
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
            if allowed and poll and _poll_already_logged(request, action):
                return response
            access_record(request, action=action, allowed=allowed)
            return response

        return wrapper

    return decorator
