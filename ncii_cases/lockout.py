"""Sign-in lockouts (django-axes) with two limits.

``AXES_LOCKOUT_PARAMETERS`` names two combinations: the username with the client's address
(``AXES_FAILURE_LIMIT`` failures, 5 by default: one person mistyping from one place), and the
username alone (``AXES_USERNAME_FAILURE_LIMIT``, 20 by default: guessing spread over many
addresses, for example a rotating ``X-Forwarded-For`` or a botnet). Django-axes compares every
combination against one limit; this handler gives each combination its own.
"""

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_failure_limit
from django.conf import settings
from django.db.models import Sum

# The combinations, in the order the handler reads them (see AXES_LOCKOUT_PARAMETERS).
LOCKOUT_PARAMETERS = [["username", "ip_address"], "username"]


class UsernameAndAddressHandler(AxesDatabaseHandler):
    """The database handler, with a separate (higher) limit for the username alone."""

    def get_failures(self, request, credentials=None) -> int:
        """Returns the failures that count against ``AXES_FAILURE_LIMIT``: those of the
        username from this address, or the limit itself once the username alone has reached
        ``AXES_USERNAME_FAILURE_LIMIT`` from any addresses (so that either locks)."""
        pair, username = (
            attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0
            for attempts in self.get_user_attempts(request, credentials)
        )
        limit = get_failure_limit(request, credentials)
        if username >= settings.AXES_USERNAME_FAILURE_LIMIT:
            return max(pair, limit)
        return pair
