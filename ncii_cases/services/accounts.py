"""Account actions that touch security: ending a user's sessions and deactivating accounts.

Changes to the user row are kept by its history (simple-history), with who made them.
"""

from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.db import transaction
from django.utils import timezone


def user_sessions_end(*, user) -> int:
    """Deletes every unexpired session signed in as the user; returns how many ended."""
    ended = 0
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        if session.get_decoded().get(SESSION_KEY) == str(user.pk):
            session.delete()
            ended += 1
    return ended


@transaction.atomic
def user_deactivate(*, actor, user) -> int:
    """Deactivates the account and ends its sessions at once; returns how many ended."""
    user.is_active = False
    if getattr(actor, "pk", None):
        user._history_user = actor
    user.save(update_fields=["is_active"])
    return user_sessions_end(user=user)
