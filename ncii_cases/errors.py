"""Domain errors shared by the workflow and the services.

"Wrong stage" and "not yours" are different errors (a lesson of django-fsm and Wagtail): a
view turns ``TransitionNotAllowed`` into a calm message and ``TransitionForbidden`` into 404.
"""

from django.core.exceptions import PermissionDenied


class TransitionNotAllowed(Exception):
    """The action does not exist or cannot be taken from the case's current stage."""


class TransitionForbidden(PermissionDenied):
    """The user may not take this action on this case."""


class GuardFailed(Exception):
    """The action is possible from this stage but the policy's conditions are not met yet.
    ``messages`` are plain-language sentences saying what is missing."""

    def __init__(self, messages: list[str]):
        super().__init__(" ".join(messages))
        self.messages = list(messages)
