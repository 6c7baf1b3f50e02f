"""One record per sent form: the one-time token of every create form (intake and each "add"
form of a case). The view claims the token in the transaction that records the thing; a
second POST with the same token (a double click, a resent page, two tabs) finds the claim and
leads to the first result, recording nothing new. The unique constraint on (user, token)
settles two POSTs at the same moment: the second waits for the first and then finds it.
"""

import uuid

from django.db import IntegrityError, transaction

from ..models import FormSubmission


def form_submission_find(*, user, token: uuid.UUID | None) -> FormSubmission | None:
    """The user's earlier submission of this token, or None (also for no token)."""
    if token is None or not getattr(user, "pk", None):
        return None
    return FormSubmission.objects.filter(user=user, token=token).first()


def form_submission_claim(*, user, token: uuid.UUID | None, form: str) -> FormSubmission | None:
    """Claims the token inside the caller's transaction and returns the claim; None when the
    token was already claimed (the caller then leads to ``form_submission_find``'s result)
    or no token was sent. Call inside ``transaction.atomic``: a failed save rolls the claim
    back with it, so the form can be sent again after a correction."""
    if token is None or not getattr(user, "pk", None):
        return FormSubmission(user=user, token=uuid.uuid4(), form=form)
    try:
        with transaction.atomic():
            return FormSubmission.objects.create(user=user, token=token, form=form)
    except IntegrityError:
        return None


def form_submission_complete(*, submission: FormSubmission, result_url: str) -> None:
    """Stores where the first submission led (the case page, at the new record)."""
    if submission.pk is None:
        return
    submission.result_url = result_url[:300]
    submission.save(update_fields=["result_url"])
