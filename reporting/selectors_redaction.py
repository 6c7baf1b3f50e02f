"""Reads of the redaction review: the decisions of a case, the preview of its redacted
summary for one user, and the released summaries, scoped like every case read (Http404 for a
case the user may not read)."""

import html
import re
from dataclasses import dataclass

from django.http import Http404
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe

from ncii_cases.permissions import Action, actions_for
from ncii_cases.selectors.cases import case_get_for_user
from reporting.redaction import (
    CANDIDATE_CLOSE,
    CANDIDATE_OPEN,
    CANDIDATE_SEP,
    KIND_LABELS,
    MARK_CLOSE,
    MARK_OPEN,
    MARK_SEP,
    Candidate,
    Kind,
)
from reporting.summary import case_summary_latest_event_id, case_summary_redacted

from .models import PdfJob, RedactionReview, RedactionTerm

# A released file holds every section the approver (the coordinator) sees: it is listed for
# and downloaded by those who may read all of them, never by support staff (need-to-know).
FULL_READ = {Action.VIEW, Action.VIEW_EVIDENCE, Action.VIEW_DISCIPLINE}


def redaction_decisions(*, case) -> tuple[tuple[str, ...], frozenset[str]]:
    """The case's reviewer decisions: the texts to redact, and the keys of candidates kept."""
    terms, kept = [], set()
    for text, key, decision in RedactionTerm.objects.filter(case=case).values_list(
        "text", "key", "decision"
    ):
        if decision == RedactionTerm.Decision.REDACT:
            terms.append(text)
        else:
            kept.add(key)
    return tuple(terms), frozenset(kept)


@dataclass
class RedactionPreview:
    """What the review page shows: the case and review, the summary as HTML with every
    redaction and candidate marked, the flagged candidates (numbered as in the HTML), the
    counts per kind, the reviewer's terms, the case's latest event id (the approval form
    carries it) and whether the user may prepare (decide on candidates) and release."""

    case: object
    review: RedactionReview
    body: SafeString
    candidates: list[tuple[int, Candidate]]
    counts: list[tuple[str, int]]
    terms: list[RedactionTerm]
    seen_event_id: int
    can_prepare: bool
    can_download: bool
    can_release: bool


_MARK = re.compile(
    re.escape(MARK_OPEN) + r"([a-z_]+)" + re.escape(MARK_SEP) + r"(.*?)" + re.escape(MARK_CLOSE),
    re.DOTALL,
)
_CANDIDATE = re.compile(
    re.escape(CANDIDATE_OPEN)
    + r"(.*?)"
    + re.escape(CANDIDATE_SEP)
    + r"(.*?)"
    + re.escape(CANDIDATE_CLOSE),
    re.DOTALL,
)


def _marks_to_html(escaped: str, numbers: dict[str, int]) -> str:
    """Turns the private-use marks of an escaped HTML text into <mark> elements. The text
    between marks was escaped by the template already; nothing typed can carry a mark (the
    scrubber strips these characters from its input)."""

    def redaction(match):
        kind = match.group(1)
        label = KIND_LABELS.get(kind, kind)
        return (
            f'<mark class="redaction redaction-{kind}" title="Redacted: {label}">'
            f"{match.group(2)}</mark>"
        )

    def candidate(match):
        number = numbers.get(html.unescape(match.group(1)))
        if number is None:
            return match.group(2)
        return (
            f'<mark class="candidate" id="flag-{number}">'
            f'<a href="#decide-{number}">{match.group(2)}</a></mark>'
        )

    return _CANDIDATE.sub(candidate, _MARK.sub(redaction, escaped))


def redaction_review_for_user(*, user, case_pk, review_id) -> RedactionReview:
    """The review of the case for a user who may read the case; Http404 otherwise."""
    case = case_get_for_user(user=user, pk=case_pk, action=Action.VIEW)
    try:
        return RedactionReview.objects.select_related("case", "requested_by").get(
            pk=review_id, case=case
        )
    except (RedactionReview.DoesNotExist, ValueError, TypeError):
        raise Http404("No such review.") from None


def redaction_preview_for_user(*, user, case_pk, review_id) -> RedactionPreview:
    """The preview of the case's redacted summary as the user would release it: built from
    the user's own gated read of the case, with the case's decisions applied."""
    review = redaction_review_for_user(user=user, case_pk=case_pk, review_id=review_id)
    case = review.case
    seen_event_id = case_summary_latest_event_id(case=case)
    terms, kept = redaction_decisions(case=case)
    redacted = case_summary_redacted(user=user, pk=case.pk, terms=terms, kept=kept, marked=True)
    numbered = list(enumerate(redacted.candidates.values(), 1))
    numbers = {candidate.key: number for number, candidate in numbered}
    escaped = render_to_string("reporting/partials/summary_preview.html", {"s": redacted.summary})
    counts = [(KIND_LABELS[Kind(k)], n) for k, n in sorted(redacted.counts.items()) if n]
    allowed = actions_for(user, case)
    return RedactionPreview(
        case=case,
        review=review,
        # The summary was escaped by its template; only our own marks become HTML.
        body=mark_safe(_marks_to_html(escaped, numbers)),  # noqa: S308  # nosec
        candidates=numbered,
        counts=counts,
        terms=list(
            RedactionTerm.objects.filter(case=case).select_related("decided_by").order_by("text")
        ),
        seen_event_id=seen_event_id,
        can_prepare=bool(allowed & {Action.WORK, Action.RELEASE_REDACTED}),
        can_download=allowed >= FULL_READ,
        can_release=Action.RELEASE_REDACTED in allowed,
    )


# The released redacted summaries among the case page's sections (registered in
# ``ReportingConfig.ready``, read by ``ncii_cases.selectors.cases.case_sections_present``).
RELEASED_SUMMARIES = "redacted_releases"


def redacted_releases_for_user(*, user, case, sections=None) -> list[RedactionReview]:
    """The released redacted summaries of the case, newest first, for a user who may read all
    of the case (``FULL_READ``); an empty list for everyone else. ``sections``: the sections
    the case holds (``case_sections_present``, read by the case page), which spare the read
    when it holds no released summary; None reads."""
    if sections is not None and RELEASED_SUMMARIES not in sections:
        return []
    if not actions_for(user, case) >= FULL_READ:
        return []
    return list(
        RedactionReview.objects.filter(case=case, status=RedactionReview.Status.RELEASED)
        .select_related("approved_by", "requested_by", "job")
        .order_by("-approved_at", "-pk")
    )


def redacted_release_for_user(*, user, case_pk, review_id) -> RedactionReview:
    """A released review whose file is ready, for a user who may read all of the case
    (``FULL_READ``); Http404 for anything else (an open review, a file not made yet, another
    case's review, support staff)."""
    review = redaction_review_for_user(user=user, case_pk=case_pk, review_id=review_id)
    if (
        not actions_for(user, review.case) >= FULL_READ
        or review.status != RedactionReview.Status.RELEASED
        or review.job_id is None
        or review.job.status != PdfJob.Status.READY
    ):
        raise Http404("This summary is not ready.")
    return review
