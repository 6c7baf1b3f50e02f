"""Writes of the redaction review: opening the review of a case's redacted summary, deciding
on flagged candidates and adding terms, and releasing the summary. Each is one action: one
transaction that writes reporting's own rows and the case event that records the step (with
ids, kinds and counts only: the terms themselves stay in ``RedactionTerm``).

Anyone who works the case (``Action.WORK``) may prepare a review; only a user who may release
redacted summaries (``Action.RELEASE_REDACTED``: the district's Title IX coordinator) approves
it, and only an approval makes a file: the PDF is rendered in the background for the approver
with the decisions of the review, after the transaction commits.
"""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ncii_cases import event_details
from ncii_cases.audit import case_event_record
from ncii_cases.errors import TransitionForbidden
from ncii_cases.permissions import Action, actions_for
from ncii_cases.selectors.cases import case_get_for_user
from reporting.redaction import Kind, candidate_key
from reporting.summary import REDACTED, case_summary_latest_event_id, case_summary_redacted

from .models import PdfJob, RedactionReview, RedactionTerm
from .selectors_redaction import redaction_decisions
from .services import pdf_job_enqueue_on_commit

MAX_TERM_LENGTH = 200
# Who may prepare a review (also ``selectors_redaction.RedactionPreview.can_prepare``).
PREPARE_ACTIONS = {Action.WORK, Action.RELEASE_REDACTED}


def _case_for_preparer(*, actor, case_pk):
    case = case_get_for_user(user=actor, pk=case_pk, action=Action.VIEW)
    if not actions_for(actor, case) & PREPARE_ACTIONS:
        raise TransitionForbidden(
            "Preparing a redacted summary for release is for the staff who work this case."
        )
    return case


@transaction.atomic
def redaction_review_request(*, actor, case_pk) -> tuple[RedactionReview, bool]:
    """Returns the case's open redaction review, opening one (with its event) when there is
    none, and whether it was opened now. Http404 if the actor may not read the case;
    TransitionForbidden if they do not work it."""
    case = _case_for_preparer(actor=actor, case_pk=case_pk)
    review = RedactionReview.objects.filter(case=case, status=RedactionReview.Status.OPEN).first()
    if review is not None:
        return review, False
    try:
        with transaction.atomic():
            review = RedactionReview.objects.create(
                case=case, requested_by=actor, requested_at=timezone.now()
            )
    except IntegrityError:
        # Opened a moment ago by someone else: the same review.
        return RedactionReview.objects.get(case=case, status=RedactionReview.Status.OPEN), False
    case_event_record(
        case=case,
        actor=actor,
        **event_details.redaction_requested(review_id=review.pk),
    )
    return review, True


@transaction.atomic
def redaction_term_decide(
    *, actor, case_pk, text: str, kind: str, decision: str, added: bool = False
) -> RedactionTerm:
    """Records the decision to redact or keep ``text`` (a flagged candidate of ``kind``, or a
    term the reviewer typed when ``added``) in every redacted summary of the case, replacing
    an earlier decision on the same text, with its event; returns the term. ValidationError
    for an empty or too long text, an unknown kind or decision."""
    case = _case_for_preparer(actor=actor, case_pk=case_pk)
    text = " ".join((text or "").split())
    if not text:
        raise ValidationError(_("Type the word or phrase to redact."))
    if len(text) > MAX_TERM_LENGTH:
        raise ValidationError(
            _("Keep a term under %(count)s characters.") % {"count": MAX_TERM_LENGTH}
        )
    if kind not in Kind.__members__.values():
        raise ValidationError(_("Unknown kind of term."))
    if decision not in RedactionTerm.Decision.values:
        raise ValidationError(_("Choose to redact or to keep it."))
    key = candidate_key(text, kind)
    if not key:
        raise ValidationError(_("Type the word or phrase to redact."))
    term, _created = RedactionTerm.objects.update_or_create(
        case=case,
        key=key,
        defaults={
            "text": text,
            "kind": kind,
            "decision": decision,
            "added_by_reviewer": added,
            "decided_by": actor,
            "decided_at": timezone.now(),
        },
    )
    case_event_record(
        case=case,
        actor=actor,
        **event_details.redaction_decided(
            term_id=term.pk, kind=kind, decision=decision, added=added
        ),
    )
    return term


@transaction.atomic
def redacted_summary_release(*, actor, case_pk, review_id, seen_event_id: int) -> RedactionReview:
    """Approves the open review for release and queues its PDF (rendered for the actor with
    the review's decisions); returns the review. ``seen_event_id`` is the case's latest event
    when the preview was shown: a case changed since (a new fact, another decision) must be
    looked at again. Http404 for a case the actor may not read or a review of another case;
    TransitionForbidden unless the actor may release redacted summaries; ValidationError when
    a flagged candidate is undecided or the preview is out of date. A review released already
    is returned as it is (a double click releases once)."""
    case = case_get_for_user(user=actor, pk=case_pk, action=Action.VIEW)
    if Action.RELEASE_REDACTED not in actions_for(actor, case):
        raise TransitionForbidden(
            "Only the district's Title IX coordinator can release a redacted summary. It is "
            "ready for them to review."
        )
    review = RedactionReview.objects.select_for_update().filter(pk=review_id, case=case).first()
    if review is None:
        raise Http404("No such review.")
    if review.status == RedactionReview.Status.RELEASED:
        return review
    if case_summary_latest_event_id(case=case) != seen_event_id:
        raise ValidationError(
            _(
                "The case changed since this preview was shown. Look at the preview again, then "
                "release it."
            )
        )
    terms, kept = redaction_decisions(case=case)
    redacted = case_summary_redacted(user=actor, pk=case.pk, terms=terms, kept=kept)
    if redacted.candidates:
        count = len(redacted.candidates)
        raise ValidationError(
            ngettext(
                "%(count)s flagged item is still undecided: redact or keep each one before "
                "release.",
                "%(count)s flagged items are still undecided: redact or keep each one before "
                "release.",
                count,
            )
            % {"count": count}
        )
    job = PdfJob.objects.create(
        case=case,
        requested_by=actor,
        profile=REDACTED,
        idempotency_key=f"release:{review.pk}",
    )
    counts = {str(kind): n for kind, n in sorted(redacted.counts.items())}
    event = case_event_record(
        case=case,
        actor=actor,
        **event_details.redacted_summary_released(
            review_id=review.pk, job_id=job.pk, counts=counts
        ),
    )
    review.status = RedactionReview.Status.RELEASED
    review.approved_by = actor
    review.approved_at = event.created_at
    review.counts = counts
    review.terms = list(terms)
    review.kept = sorted(kept)
    review.event_id = event.pk
    review.job = job
    review.save()
    pdf_job_enqueue_on_commit(job.pk)
    return review
