"""The review of a redacted summary before release: requested by a case worker, every
automatic redaction marked, every flagged candidate redacted or kept with one click, free terms
added, released only by the coordinator, each step an event row; the released PDF names no one
and is listed on the case page, its download logged."""

import datetime as dt
import io

import pytest
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from ncii_cases import choices as c
from ncii_cases.events import EventType
from ncii_cases.models import AccessEvent, CaseEvent
from ncii_cases.services.cases import PartyInput, case_intake
from reporting.models import PdfJob, RedactionReview, RedactionTerm
from reporting.services_redaction import (
    redacted_summary_release,
    redaction_review_request,
    redaction_term_decide,
)
from reporting.summary import case_summary_for_user
from tests.access.helpers import login_verified
from tests.recorded import Event, records
from tests.reporting.pdftext import pdf_pages_text

pytestmark = pytest.mark.django_db

NARRATIVE = "The student said the photo was shared in the group chat. Sam Rivera saw it."


@pytest.fixture
def reproduction(school, coordinator, investigator):
    """The issue's reproduction, recorded through the intake service as the form does: "Who
    told us" = "the teacher", the person shown typed as "Sam Rivera, 8th grade", under 18."""
    from ncii_cases.services.cases import case_assign

    case = case_intake(
        actor=coordinator,
        school=school,
        title="Photo shared in a group chat",
        narrative=NARRATIVE,
        reported_at=timezone.now() - dt.timedelta(hours=2),
        reported_by_name="the teacher",
        # Typed into the intake's free text for people not known by name.
        people=[
            PartyInput(
                role=c.PartyRole.DEPICTED,
                description="Sam Rivera, 8th grade",
                is_minor=True,
                affiliation=c.Affiliation.STUDENT,
            )
        ],
    )
    case_assign(actor=coordinator, case=case, user=investigator, role=c.AssignmentRole.INVESTIGATOR)
    return case


def events(case, event_type):
    return list(CaseEvent.objects.filter(case=case, event_type=event_type).order_by("pk"))


def latest_event_id(case):
    return CaseEvent.objects.filter(case=case).order_by("-pk").values_list("pk", flat=True)[0]


def test_the_reproduction_redacts_the_child_and_keeps_the_words_of_who_told_us(
    reproduction, coordinator
):
    summary = case_summary_for_user(user=coordinator, pk=reproduction.pk, profile="redacted")

    assert summary.narrative == (
        "The student said the photo was shared in the group chat. Complainant saw it."
    )
    assert summary.reported_by == "the teacher"
    assert "Sam" not in repr(summary) and "Rivera" not in repr(summary)


def test_a_case_worker_prepares_and_the_coordinator_releases(
    reproduction, coordinator, investigator, private_root, django_capture_on_commit_callbacks
):
    # Given an investigator who opens the review and decides on a flagged word
    review, created = redaction_review_request(actor=investigator, case_pk=reproduction.pk)
    assert created and review.status == RedactionReview.Status.OPEN
    assert redaction_review_request(actor=investigator, case_pk=reproduction.pk) == (review, False)
    redaction_term_decide(
        actor=investigator, case_pk=reproduction.pk, text="group", kind="term", decision="redact"
    )
    # When the investigator tries to release it, then it is refused: only the coordinator may
    from ncii_cases.errors import TransitionForbidden

    with pytest.raises(TransitionForbidden):
        redacted_summary_release(
            actor=investigator,
            case_pk=reproduction.pk,
            review_id=review.pk,
            seen_event_id=latest_event_id(reproduction),
        )
    # When the coordinator releases it
    with django_capture_on_commit_callbacks(execute=True):
        released = redacted_summary_release(
            actor=coordinator,
            case_pk=reproduction.pk,
            review_id=review.pk,
            seen_event_id=latest_event_id(reproduction),
        )
    # Then the release records who and how many of each kind, and the file names no one
    assert released.status == RedactionReview.Status.RELEASED
    assert released.approved_by == coordinator and released.requested_by == investigator
    assert released.counts == {"name": 1, "term": 2}  # "group": in the title and narrative
    assert released.terms == ["group"]
    released.job.refresh_from_db()
    assert released.job.status == PdfJob.Status.READY
    text = " ".join(pdf_pages_text((private_root / released.job.file_path).read_bytes())).casefold()
    assert "sam" not in text and "rivera" not in text
    assert "complainant saw it" in text and "the teacher" in text
    # The terms stay with the case, never in the file
    assert "group chat" not in text and "[withheld] chat" in text
    # Each step wrote its event, with no term in it
    assert len(events(reproduction, EventType.REDACTION_REQUESTED)) == 1
    decided = events(reproduction, EventType.REDACTION_DECIDED)
    assert [e.detail["decision"] for e in decided] == ["redact"]
    assert "group" not in str(decided[0].detail)
    (release_event,) = events(reproduction, EventType.REDACTED_SUMMARY_RELEASED)
    assert release_event.actor == coordinator
    assert release_event.detail["counts"] == {"name": 1, "term": 2}


def test_release_waits_until_every_flagged_candidate_is_decided(reproduction, coordinator):
    reproduction.narrative = NARRATIVE + " Later Tomasz Okonkwo forwarded it to @quill_h."
    reproduction.save()
    review, _ = redaction_review_request(actor=coordinator, case_pk=reproduction.pk)
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="3 flagged items are still undecided"):
        redacted_summary_release(
            actor=coordinator,
            case_pk=reproduction.pk,
            review_id=review.pk,
            seen_event_id=latest_event_id(reproduction),
        )
    assert not PdfJob.objects.filter(case=reproduction).exists()


def test_a_preview_out_of_date_is_not_released(reproduction, coordinator):
    review, _ = redaction_review_request(actor=coordinator, case_pk=reproduction.pk)
    seen = latest_event_id(reproduction)
    redaction_term_decide(
        actor=coordinator, case_pk=reproduction.pk, text="photo", kind="term", decision="redact"
    )
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="The case changed since this preview"):
        redacted_summary_release(
            actor=coordinator, case_pk=reproduction.pk, review_id=review.pk, seen_event_id=seen
        )


def test_support_staff_cannot_prepare_and_outsiders_get_404(reproduction, counselor, outsider):
    from django.http import Http404

    from ncii_cases.errors import TransitionForbidden
    from ncii_cases.services.cases import case_assign

    case_assign(
        actor=reproduction.created_by,
        case=reproduction,
        user=counselor,
        role=c.AssignmentRole.SUPPORT,
    )
    with pytest.raises(TransitionForbidden):
        redaction_review_request(actor=counselor, case_pk=reproduction.pk)
    with pytest.raises(Http404):
        redaction_review_request(actor=outsider, case_pk=reproduction.pk)


def test_the_review_page_marks_redactions_and_candidates_and_decides_with_one_click(
    client,
    reproduction,
    coordinator,
    private_root,
    django_assert_max_num_queries,
    django_capture_on_commit_callbacks,
):
    reproduction.narrative = NARRATIVE + " Ms. Okonkwo called."
    reproduction.save()
    login_verified(client, coordinator)
    # Requesting a redacted summary opens its review
    with records(Event(EventType.REDACTION_REQUESTED, coordinator, {"review_id"}), queries=20):
        response = client.post(reverse("reporting:redaction_request", args=[reproduction.pk]))
    review = RedactionReview.objects.get(case=reproduction)
    preview_url = reverse("reporting:redaction_review", args=[reproduction.pk, review.pk])
    assert response.status_code == 302 and response.url == preview_url
    # A fixed number, whatever the case holds: the case page's gated read (now with notices,
    # documents, deadlines, the parent-notification decisions, the reasons no support was
    # offered, the appeals, the steps of Process A and the timeline's names) and the redacted
    # timeline's role labels.
    with django_assert_max_num_queries(47):
        page = client.get(preview_url)
    body = page.content.decode()
    mark = '<mark class="redaction redaction-name" title="Redacted: names of people">'
    assert mark + "Complainant</mark> saw it." in body
    assert '<mark class="candidate" id="flag-1"><a href="#decide-1">Okonkwo</a></mark>' in body
    assert "Sam Rivera" not in body.split('id="preview-h"')[1]
    # One click keeps the flagged word
    with records(
        Event(EventType.REDACTION_DECIDED, coordinator, {"added", "decision", "kind", "term_id"}),
        queries=24,
    ):
        client.post(
            reverse("reporting:redaction_decide", args=[reproduction.pk, review.pk]),
            {"text": "Okonkwo", "kind": "word", "decision": "keep"},
        )
    term = RedactionTerm.objects.get(case=reproduction)
    assert (term.key, term.decision, term.decided_by) == ("okonkwo", "keep", coordinator)
    body = client.get(preview_url).content.decode()
    assert "Nothing is left to decide." in body
    # A free term is added and redacted
    with records(
        Event(EventType.REDACTION_DECIDED, coordinator, {"added", "decision", "kind", "term_id"}),
        queries=24,
    ):
        client.post(
            reverse("reporting:redaction_decide", args=[reproduction.pk, review.pk]),
            {"text": "group chat", "added": "1", "decision": "redact"},
        )
    page = client.get(preview_url)
    seen = page.content.decode().split('name="seen_event_id" value="')[1].split('"')[0]
    with (
        django_capture_on_commit_callbacks(execute=True),
        records(
            Event(
                EventType.REDACTED_SUMMARY_RELEASED, coordinator, {"counts", "job_id", "review_id"}
            ),
            queries=55,
        ),
    ):
        response = client.post(
            reverse("reporting:redaction_release", args=[reproduction.pk, review.pk]),
            {"seen_event_id": seen},
        )
    assert response.status_code == 302
    review.refresh_from_db()
    assert review.status == "released" and review.counts == {"name": 1, "term": 2}
    # Listed on the case page, downloaded with an access row
    case_page = client.get(reverse("ncii_cases:case_detail", args=[reproduction.pk])).content
    download = reverse("reporting:redacted_release_download", args=[reproduction.pk, review.pk])
    assert download.encode() in case_page
    response = client.get(download)
    content = b"".join(response.streaming_content)
    assert response["Cache-Control"] == "no-store, private"
    text = " ".join(pdf_pages_text(content))
    assert "Rivera" not in text and "Okonkwo" in text and "[withheld]" in text
    assert AccessEvent.objects.filter(
        action="redacted_download", case_id=reproduction.pk, allowed=True
    ).exists()


def test_the_released_pdf_is_tagged_with_headings_table_headers_language_and_title(
    reproduction, coordinator, private_root, django_capture_on_commit_callbacks
):
    review, _ = redaction_review_request(actor=coordinator, case_pk=reproduction.pk)
    with django_capture_on_commit_callbacks(execute=True):
        review = redacted_summary_release(
            actor=coordinator,
            case_pk=reproduction.pk,
            review_id=review.pk,
            seen_event_id=latest_event_id(reproduction),
        )
    review.job.refresh_from_db()
    reader = PdfReader(io.BytesIO((private_root / review.job.file_path).read_bytes()))
    root = reader.trailer["/Root"]
    assert root["/Lang"] == "en"
    assert bool(root["/MarkInfo"]["/Marked"])
    assert reader.metadata.title == f"Redacted case summary {reproduction.reference}"
    assert bool(root["/ViewerPreferences"]["/DisplayDocTitle"])
    tags = structure_tags(root["/StructTreeRoot"])
    assert {"/H1", "/H2", "/H3", "/Table", "/TH", "/TD", "/P"} <= tags
    # Data cells name their header cells (the <th scope="col"> of the template).
    elements = structure_elements(root["/StructTreeRoot"])
    header_ids = {str(e["/ID"]) for e in elements if e["/S"] == "/TH"}
    cells = [e for e in elements if e["/S"] == "/TD"]
    assert header_ids and cells
    assert all({str(h) for h in e["/A"]["/Headers"]} <= header_ids for e in cells)
    assert any(e["/A"]["/Headers"] for e in cells)


def structure_elements(node):
    """Every structure element under a node of the structure tree."""
    out = []
    kids = node.get("/K")
    if kids is None:
        return out
    if not isinstance(kids, list):
        kids = [kids]
    for kid in kids:
        kid = kid.get_object() if hasattr(kid, "get_object") else kid
        if isinstance(kid, dict) and "/S" in kid:
            out.append(kid)
            out += structure_elements(kid)
    return out


def structure_tags(root) -> set[str]:
    return {str(e["/S"]) for e in structure_elements(root)}
