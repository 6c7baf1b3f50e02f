"""Domain errors shared by the workflow and the services.

"Wrong stage" and "not yours" are different errors (a lesson of django-fsm and Wagtail): a
view turns ``TransitionNotAllowed`` into a calm message and ``TransitionForbidden`` into 404.
"""

from django.core.exceptions import PermissionDenied


class TransitionNotAllowed(Exception):
    """The action does not exist or cannot be taken from the case's current stage.
    ``stage``: the case's current stage when known (the page says where the case is now)."""

    def __init__(self, message: str, *, stage: str | None = None):
        super().__init__(message)
        self.stage = stage


class TransitionForbidden(PermissionDenied):
    """The user may not take this action on this case."""


class GuardFailed(Exception):
    """The action is possible from this stage but the policy's conditions are not met yet.
    ``blockers`` are what is missing (``workflow.Blocker``: a message and the form that records
    it; plain strings are accepted too); ``messages`` are their plain-language sentences."""

    def __init__(self, blockers: list):
        self.blockers = list(blockers)
        self.messages = [str(b) for b in self.blockers]
        super().__init__(" ".join(self.messages))
