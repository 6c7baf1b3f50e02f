"""Error pages that must not need the database (nor the request's body).

When PostgreSQL restarts or is unreachable, the request fails inside Django (often in the
session or authentication middleware, before any view). Such a failure is the server's, but
a temporary one: it answers 503 with ``Retry-After`` (so the reverse proxy, load balancers
and people see "try again shortly"), not a bare 500. Any other error keeps Django's 500. The
page is standalone: rendering ``base.html`` would read the user and the session again.
"""

import sys

from django.core.exceptions import RequestDataTooBig
from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import HttpResponse, HttpResponseServerError
from django.template import loader
from django.views import defaults
from django.views.decorators.csrf import requires_csrf_token

from .uploads import max_document_bytes

RETRY_AFTER_SECONDS = 10


def database_unavailable(error: BaseException | None) -> bool:
    """Whether the error says the database cannot be reached right now (a lost or refused
    connection), as opposed to a query that is wrong."""
    return isinstance(error, OperationalError | InterfaceError) or (
        isinstance(error, DatabaseError) and "connection" in str(error).lower()
    )


def database_unavailable_in_chain(error: BaseException | None) -> bool:
    """Whether ``error`` or any exception it was raised from or while handling (its
    ``__cause__`` / ``__context__`` chain) says the database cannot be reached: Django wraps
    a lost connection during the session's save in ``UpdateError`` and then in
    ``SessionInterrupted``."""
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        if database_unavailable(error):
            return True
        seen.add(id(error))
        error = error.__cause__ or error.__context__
    return False


def database_unavailable_response() -> HttpResponse:
    """The 503 "try again shortly" page, with ``Retry-After`` (seconds); it reads nothing
    from the database."""
    body = loader.render_to_string("503.html", {"retry_after": RETRY_AFTER_SECONDS})
    response = HttpResponse(body, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


@requires_csrf_token
def server_error(request):
    """handler500: 503 while the database is unavailable, else Django's plain 500 page."""
    error = sys.exc_info()[1]
    if database_unavailable(error):
        return database_unavailable_response()
    return HttpResponseServerError(loader.render_to_string("500.html"), content_type="text/html")


@requires_csrf_token
def bad_request(request, exception):
    """handler400: a body too large for any form (an upload far over the limit, refused
    before it is read) answers 413 in plain words; any other bad request Django's 400."""
    if isinstance(exception, RequestDataTooBig):
        megabytes = max(1, max_document_bytes() // (1024 * 1024))
        body = loader.render_to_string("413.html", {"megabytes": megabytes})
        return HttpResponse(body, status=413)
    return defaults.bad_request(request, exception)
