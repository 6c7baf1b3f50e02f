"""Helpers every service module shares: the permission check and the history stamp."""

from ..errors import TransitionForbidden
from ..models import Case
from ..permissions import user_can


def require(actor, action: str, case: Case) -> None:
    """Raises ``TransitionForbidden`` unless the actor may take ``action`` on the case."""
    if not user_can(actor, action, case):
        raise TransitionForbidden("You may not do this on this case.")


def stamp(instance, actor):
    """Marks the instance so that its history row names the actor; returns it."""
    if getattr(actor, "pk", None):
        instance._history_user = actor
    return instance
