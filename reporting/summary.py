"""The case summary (the content of the PDF case summary), built for one user and one profile
from the one gated read of a case, ``selectors.case_detail_for_user``, the read behind the case
page: whatever need-to-know keeps off the page is not in the summary either. A section the user
may not see is named in ``withheld`` so that the document says so. Only users who may read a
case's content (``Action.VIEW``) get a summary; everyone else gets Http404, the auditor
included.

Each section of the summary has its own builder (``_section_*``), which turns rows of the case
into the section's rows as the internal profile shows them; party names are ``PartyName``
strings that carry the party's role label. The redacted profile is then applied to the whole
summary at once by ``redaction.profile_apply`` with the field rules of
``redaction.REDACTED_PROFILE`` (kept, scrubbed, role label, dropped) and a scrubber that
knows the identifiers of every person of the case, including those the user may not see.
"""

import datetime as dt
from dataclasses import dataclass, field, replace

from django.http import Http404
from django.utils.translation import gettext as _

from ncii_cases import choices as c
from ncii_cases import clocks
from ncii_cases.models import CaseMeasure, CaseParty, EvidenceItem, TakedownRequest
from ncii_cases.selectors.cases import CaseDetail, case_detail_for_user
from reporting.redaction import (
    NAME_WITHHELD,
    Candidate,
    Identifier,
    Kind,
    PartyName,
    PartyNames,
    Scrubber,
    fold,
    names_in_description,
    profile_apply,
)

INTERNAL = "internal"
REDACTED = "redacted"
PROFILES = (INTERNAL, REDACTED)

ROLE_LABELS = {
    c.PartyRole.DEPICTED: "Depicted person",
    c.PartyRole.RESPONDENT: "Respondent",
    c.PartyRole.REPORTER: "Reporter",
    c.PartyRole.WITNESS: "Witness",
    c.PartyRole.PARENT: "Parent or guardian",
}


@dataclass(frozen=True)
class SummaryParty:
    label: str  # the name (internal) or the role label (redacted)
    role: str
    affiliation: str
    minor: str
    school: str = ""
    grade: str = ""
    email: str = ""
    phone: str = ""
    student_number: str = ""
    notes: str = ""
    withdrawn: str = ""  # the reason, when the party was withdrawn
    # A parent's or guardian's legal authority and the orders noted (FERPA 34 CFR 99.4).
    authority: str = ""


@dataclass(frozen=True)
class SummaryHarm:
    level: str
    completed_at: dt.datetime | None
    factors: list[str]
    answers: list[tuple[str, str]]
    impact_statement: str


@dataclass(frozen=True)
class SummaryMeasure:
    party: str
    kind: str
    measure: str
    description: str
    status: str
    choice: str
    starts_on: dt.date | None
    review_on: dt.date | None
    withdrawn: str = ""


@dataclass(frozen=True)
class SummaryTakedown:
    platform: str
    location: str
    route: str
    depicted: str
    status: str
    submitted_at: dt.datetime | None
    due_at: dt.datetime | None
    resolved_at: dt.datetime | None
    clock: str
    reference: str
    notes: str
    # The platform's notice under the TAKE IT DOWN Act (for readers who may manage
    # takedowns): when, signed by whom (staff), on whose kind of authority; and, apart, the
    # name of who authorized it, which the redacted profile drops.
    notice: str = ""
    notice_authorized_by: str = ""


@dataclass(frozen=True)
class SummaryReport:
    agency: str
    status: str
    triggered_at: dt.datetime | None
    due_at: dt.datetime | None
    reported_at: dt.datetime | None
    reported_by: str
    reference: str
    contact: str
    explanation: str
    clock: str = ""


@dataclass(frozen=True)
class SummaryEvidence:
    description: str
    where: str  # platform and group
    account: str  # handle and link of the account where it was seen
    seen_at: dt.datetime | None
    device_holder: str
    recorded_at: dt.datetime | None
    withdrawn: str = ""


@dataclass(frozen=True)
class SummaryDetermination:
    respondent: str
    finding: str
    standard: str
    rationale: str
    decided_by: str
    decided_at: dt.datetime | None


@dataclass(frozen=True)
class SummarySanction:
    respondent: str
    intervention: str
    details: str
    status: str
    starts_on: dt.date | None
    ends_on: dt.date | None
    withdrawn: str = ""


@dataclass(frozen=True)
class SummaryAppeal:
    subject: str
    appellant: str
    grounds: str
    statement: str
    filed_at: dt.datetime | None
    window_closed_at: dt.datetime | None
    sanctions_stayed: str
    decision_maker: str
    response_from: str
    response: str
    response_at: dt.datetime | None
    outcome: str
    rationale: str
    decided_by: str
    decided_at: dt.datetime | None
    parties_notified_at: dt.datetime | None


@dataclass(frozen=True)
class SummaryMilestone:
    step: str
    occurred_at: dt.datetime | None
    note: str
    recorded_by: str


@dataclass(frozen=True)
class SummaryOffer:
    party: str
    option: str
    choice: str
    notes: str


@dataclass(frozen=True)
class SummaryNotice:
    kind: str
    about: str
    recipient: str
    method: str
    sent_at: dt.datetime | None
    sent_by: str
    summary: str
    withdrawn: str = ""


@dataclass(frozen=True)
class SummarySupportResponse:
    """For one person shown: the supportive measures offered with their choice, or the
    written reason none was offered (the record that the response was not deliberately
    indifferent, 34 CFR 106.44(a); Davis v. Monroe County Bd. of Ed., 526 U.S. 629 (1999))."""

    party: str
    offered: str  # "Counseling (accepted); Safety plan (declined)", or ""
    reason: str  # why none was offered, or ""
    status: str  # "Offered and answered", "Offered, no answer yet", "Reason recorded", ...


@dataclass(frozen=True)
class SummaryParentDecision:
    party: str
    decision: str
    delay_until: dt.date | None
    student_wishes: str
    risks: str
    explanation: str
    approved_by: str
    review_on: dt.date | None
    decided_at: dt.datetime | None
    withdrawn: str = ""


@dataclass(frozen=True)
class SummaryDocument:
    title: str
    content_type: str
    size: int
    sha256: str
    uploaded_by: str
    uploaded_at: dt.datetime | None
    withdrawn: str = ""


@dataclass(frozen=True)
class SummaryEvent:
    at: dt.datetime
    what: str
    actor: str
    reason: str
    day: dt.date | None = None  # the day in the district's time zone, for grouping


@dataclass
class CaseSummary:
    """Everything one PDF case summary shows. Lists of a section the user may not see are
    empty and the section is named in ``withheld``."""

    profile: str
    case_id: int
    district_id: int
    district: str
    time_zone: str
    reference: str
    title: str
    school: str
    stage: str
    process: str
    track: str
    priority: str
    reported_at: dt.datetime | None
    occurred_at: dt.datetime | None
    closed_at: dt.datetime | None
    reporter: str  # the reporter's name (a PartyName), "Anonymous" or "Not recorded"
    reported_by: str  # who told us, as a role or description ("the teacher")
    facts: list[tuple[str, str]]
    narrative: str
    jurisdiction: str
    jurisdiction_facts: str
    jurisdiction_reasoning: str
    routing_reasoning: str
    referred_to: str
    closure_summary: str
    parties: list[SummaryParty] = field(default_factory=list)
    harm: SummaryHarm | None = None
    measures: list[SummaryMeasure] = field(default_factory=list)
    takedowns: list[SummaryTakedown] = field(default_factory=list)
    reports: list[SummaryReport] = field(default_factory=list)
    evidence: list[SummaryEvidence] = field(default_factory=list)
    determinations: list[SummaryDetermination] = field(default_factory=list)
    sanctions: list[SummarySanction] = field(default_factory=list)
    remedies: list[SummaryMeasure] = field(default_factory=list)
    offers: list[SummaryOffer] = field(default_factory=list)
    notices: list[SummaryNotice] = field(default_factory=list)
    support_response: list[SummarySupportResponse] = field(default_factory=list)
    parent_decisions: list[SummaryParentDecision] = field(default_factory=list)
    documents: list[SummaryDocument] = field(default_factory=list)
    timeline: list[SummaryEvent] = field(default_factory=list)
    withheld: dict[str, str] = field(default_factory=dict)
    # Open clocks as (label, "Sun Nov 1, 4:00 PM CST — 3 h left"), and extensions in words.
    deadlines: list[tuple[str, str]] = field(default_factory=list)
    extensions: list[str] = field(default_factory=list)
    appeals: list[SummaryAppeal] = field(default_factory=list)
    milestones: list[SummaryMilestone] = field(default_factory=list)

    @property
    def redacted(self) -> bool:
        return self.profile == REDACTED


def _party_labels(parties) -> dict[int, str]:
    """Role labels, numbered when a role has several parties ("Depicted person 2"); a single
    depicted person is "Complainant"."""

    # One label per person and role: two rows of one person in one role (a row withdrawn and
    # added again) are one "Respondent", never "Respondent 1 / Respondent 2".
    def who(party):
        return ("person", party.person_id) if party.person_id else ("row", party.pk)

    people: dict[str, list] = {}
    for party in parties:
        keys = people.setdefault(party.role, [])
        if who(party) not in keys:
            keys.append(who(party))
    labels = {}
    for party in parties:
        keys = people[party.role]
        base = ROLE_LABELS.get(party.role, "Party")
        if party.role == c.PartyRole.DEPICTED and len(keys) == 1:
            labels[party.pk] = "Complainant"
        elif len(keys) == 1:
            labels[party.pk] = base
        else:
            labels[party.pk] = f"{base} {keys.index(who(party)) + 1}"
    return labels


def _yes_no(value) -> str:
    return {True: "Yes", False: "No"}.get(value, "Not known")


# --- The summary, section by section ------------------------------------------------------


@dataclass
class RedactedSummary:
    """A redacted summary with what its scrubber did: ``counts`` of replacements per kind
    (``redaction.Kind``) and the ``candidates`` it flagged for review, by key."""

    summary: CaseSummary
    counts: dict[str, int]
    candidates: dict[str, Candidate]


class _Names:
    """Party names for the sections: the internal name with the role label it carries."""

    def __init__(self, parties):
        self.labels = _party_labels(parties)

    def __call__(self, party) -> str:
        if party is None:
            return ""
        return PartyName(party.display_name, self.labels.get(party.pk, "Party"))


def case_summary_for_user(*, user, pk, profile: str, now=None) -> CaseSummary:
    """Returns what the user may see of the case as a summary in ``profile`` ("internal" or
    "redacted"); Http404 if the user may not read the case's content (or it does not exist).
    Raises ValueError for an unknown profile. The redacted summary here applies only the
    automatic redactions; a summary for release goes through ``case_summary_redacted``."""
    if profile not in PROFILES:
        raise ValueError(f"Unknown profile {profile!r}.")
    if profile == REDACTED:
        return case_summary_redacted(user=user, pk=pk, now=now).summary
    return _summary_build(_summary_read(user=user, pk=pk), now=now)


def case_summary_redacted(
    *,
    user,
    pk,
    terms: tuple[str, ...] = (),
    kept: frozenset[str] = frozenset(),
    marked: bool = False,
    now=None,
) -> RedactedSummary:
    """Returns the redacted summary of the case for the user (Http404 as
    ``case_summary_for_user``): every field treated by ``redaction.REDACTED_PROFILE``, free
    text scrubbed of the identifiers of every person of the case and of the reviewer's
    ``terms``; candidates whose key is in ``kept`` are no longer flagged. With ``marked`` the
    scrubbed text carries the private-use marks of the review preview."""
    detail = _summary_read(user=user, pk=pk)
    internal = _summary_build(detail, now=now)
    internal.timeline = _section_timeline(detail, party_labels=_party_labels(detail.parties))
    if detail.show_evidence:
        internal.withheld["documents"] = (
            "Supporting documents are listed in the internal summary only."
        )
    scrubber = case_scrubber(detail=detail, terms=terms, kept=kept)
    candidates: dict[str, Candidate] = {}

    def scrub(text: str) -> str:
        for candidate in scrubber.candidates(text):
            candidates.setdefault(candidate.key, candidate)
        return scrubber.marked(text) if marked else scrubber(text)

    summary = replace(profile_apply(internal, scrub), profile=REDACTED)
    return RedactedSummary(summary=summary, counts=dict(scrubber.counts), candidates=candidates)


def _summary_read(*, user, pk) -> CaseDetail:
    detail = case_detail_for_user(user=user, pk=pk)
    if not detail.show_content:
        raise Http404("No case found.")
    return detail


def _summary_build(detail: CaseDetail, *, now=None) -> CaseSummary:
    """The summary of the internal profile, built section by section from the gated read."""
    now = now or clocks.now()
    zone = clocks.case_zone(detail.case)
    names = _Names(detail.parties)
    summary = _section_cover(detail)
    summary.parties = _section_parties(detail, names)
    summary.harm = _section_harm(detail)
    summary.measures, summary.remedies = _section_measures(detail, names)
    summary.takedowns = _section_takedowns(detail, names, now, zone)
    summary.reports = _section_reports(detail, now, zone)
    summary.evidence = _section_evidence(detail)
    (
        summary.determinations,
        summary.sanctions,
        summary.offers,
    ) = _section_decisions(detail, names)
    summary.deadlines, summary.extensions = _section_deadlines(detail, now, zone)
    summary.appeals, summary.milestones = _section_appeals(detail, names)
    summary.notices = _section_notices(detail, names)
    summary.support_response = _section_support_response(detail, names)
    summary.parent_decisions = _section_parent_decisions(detail, names)
    summary.documents = _section_documents(detail)
    summary.timeline = _section_timeline(detail)
    summary.withheld = _withheld(detail)
    return summary


def _reporter(case) -> str:
    if case.reporter_anonymous:
        return "Anonymous"
    if case.reporter_name.strip():
        return PartyName(case.reporter_name.strip(), "Reporter")
    return "" if case.reported_by_name.strip() else "Not recorded"


def _section_cover(detail: CaseDetail) -> CaseSummary:
    """The cover, the facts and the jurisdiction: the case's own fields."""
    case = detail.case
    return CaseSummary(
        profile=INTERNAL,
        case_id=case.pk,
        district_id=case.district_id,
        district=case.district.name,
        time_zone=case.district.time_zone,
        reference=case.reference,
        title=case.title,
        school=case.school.name,
        stage=case.get_stage_display(),
        process=case.get_process_display(),
        track=case.get_respondent_track_display() if detail.show_discipline else "",
        priority=case.get_priority_display(),
        reported_at=case.reported_at,
        occurred_at=case.occurred_at,
        closed_at=case.closed_at,
        reporter=_reporter(case),
        reported_by=case.reported_by_name,
        facts=[
            ("Reported via", case.reported_via or "Not recorded"),
            ("Kind of imagery", case.get_ncii_kind_display()),
            ("Intimate imagery", _yes_no(case.is_intimate_imagery)),
            ("Conduct", case.get_conduct_display()),
            ("Where", case.get_location_display()),
            ("When", case.get_timing_display()),
            ("Disrupts school", _yes_no(case.disrupts_school)),
            (
                "Reach",
                case.get_reach_display()
                + (f" (about {case.reach_estimate} people)" if case.reach_estimate else ""),
            ),
            ("Platforms", ", ".join(p.name for p in case.platforms.all()) or "None recorded"),
        ],
        narrative=case.narrative,
        jurisdiction=case.get_jurisdiction_display(),
        jurisdiction_facts=case.jurisdiction_facts,
        jurisdiction_reasoning=case.jurisdiction_reasoning,
        routing_reasoning=case.routing_reasoning if detail.show_discipline else "",
        referred_to=case.referred_to,
        # The reason given when closing (workflow): shown like the timeline's reasons.
        closure_summary=case.closure_summary if detail.show_reasons else "",
    )


def party_age_text(party) -> str:
    """The party's age as the summary writes it: today's, and for a depicted person the age in
    the imagery the report duties follow ("Under 18 now; under 18 in the imagery")."""
    now = {True: "Under 18 now", False: "18 or over now"}.get(party.is_minor, "Age now not known")
    if party.role != c.PartyRole.DEPICTED:
        return now
    return f"{now}; {party.age_in_imagery_label}"


def _section_parties(detail: CaseDetail, names: _Names) -> list[SummaryParty]:
    role_label = dict(c.PartyRole.choices)
    rows = []
    for party in detail.parties:
        person = party.person
        rows.append(
            SummaryParty(
                label=names(party),
                role=role_label.get(party.role, party.role),
                affiliation=party.affiliations_display().capitalize(),
                minor=party_age_text(party),
                school=(person.school.name if person and person.school else ""),
                grade=(person.grade if person else ""),
                email=person.email if person else "",
                phone=person.phone if person else "",
                student_number=person.external_id if person else "",
                notes=party.notes,
                withdrawn=_withdrawn(party),
                authority=(
                    party.get_guardian_authority_display()
                    + (
                        f": {party.guardian_authority_notes}"
                        if party.guardian_authority_notes
                        else ""
                    )
                    if party.guardian_authority
                    else party.guardian_authority_notes
                ),
            )
        )
    return rows


def _section_harm(detail: CaseDetail) -> SummaryHarm | None:
    harm = detail.harm
    if harm is None or not harm.level:
        return None
    return SummaryHarm(
        level=harm.get_level_display(),
        completed_at=harm.completed_at,
        factors=list(harm.factors or []),
        answers=[
            ("Reach", harm.get_reach_display()),
            ("Platforms", str(harm.platform_count)),
            ("Circulation", harm.get_circulation_display()),
            ("Minors depicted", _yes_no(harm.minors_depicted)),
            ("Identifiability", harm.get_identifiability_display()),
            ("Threats or sextortion", _yes_no(harm.threats_or_sextortion)),
            ("Safety risk", harm.get_safety_risk_display()),
            ("Impact", harm.get_impact_display()),
        ],
        impact_statement=harm.impact_statement,
    )


def _section_measures(detail: CaseDetail, names: _Names):
    """The measures and, apart, the remedies."""
    measures, remedies = [], []
    for m in detail.measures:
        row = SummaryMeasure(
            party=names(m.party),
            kind=m.get_kind_display(),
            measure=str(m.measure) if m.measure_id else m.description[:80],
            description=m.description,
            status=m.get_status_display(),
            choice=m.get_party_choice_display(),
            starts_on=m.starts_on,
            review_on=m.review_on,
            withdrawn=_withdrawn(m),
        )
        (remedies if m.kind == CaseMeasure.Kind.REMEDY else measures).append(row)
    return measures, remedies


def _notice_lines(row, zone) -> tuple[str, str]:
    """The notice of a board row as the summary prints it: (what, who authorized it)."""
    notice = row.notice
    if notice is None:
        withdrawn = len(row.withdrawn_notices)
        return (f"Notice withdrawn ({withdrawn})" if withdrawn else "", "")
    when = notice.created_at.astimezone(zone).strftime("%b %-d, %Y")
    what = (
        f"Notice under the TAKE IT DOWN Act prepared {when}, signed by {notice.signer_name} "
        f"({notice.signer_title}); authorized by "
        f"{notice.get_authority_display().lower()}"
        f" on {notice.authorized_on:%b %-d, %Y}"
    )
    return what, notice.authorized_by_name


def _section_takedowns(detail: CaseDetail, names: _Names, now, zone) -> list[SummaryTakedown]:
    notices = {row.takedown.pk: _notice_lines(row, zone) for row in detail.takedown_rows}
    return [
        SummaryTakedown(
            platform=str(t.platform),
            location=t.location,
            route=t.get_route_display(),
            depicted=names(t.depicted_party) if t.depicted_party_id else "",
            status=t.get_status_display(),
            submitted_at=t.submitted_at,
            due_at=t.due_at,
            resolved_at=t.resolved_at,
            clock=clocks.clock_text(t.clock, now_=now, zone=zone),
            reference=t.platform_reference,
            notes=t.notes or t.waiver_reason,
            notice=notices.get(t.pk, ("", ""))[0],
            notice_authorized_by=notices.get(t.pk, ("", ""))[1],
        )
        for t in detail.takedowns
    ]


def _section_reports(detail: CaseDetail, now, zone) -> list[SummaryReport]:
    return [
        SummaryReport(
            agency=r.agency_label,
            status=r.get_status_display(),
            triggered_at=r.triggered_at,
            due_at=r.due_at,
            reported_at=r.reported_at,
            reported_by=str(r.reported_by) if r.reported_by_id else "",
            reference=r.reference_number,
            contact=r.contact_name,
            explanation=r.explanation,
            clock=clocks.clock_text(r.clock, now_=now, zone=zone),
        )
        for r in detail.reports
    ]


def _section_evidence(detail: CaseDetail) -> list[SummaryEvidence]:
    return [
        SummaryEvidence(
            description=e.description,
            where=" · ".join(
                x for x in (str(e.platform) if e.platform_id else "", e.group_name) if x
            ),
            account=" · ".join(x for x in (e.handle, e.url) if x),
            seen_at=e.seen_at,
            device_holder=e.device_holder,
            recorded_at=e.recorded_at,
            withdrawn=_withdrawn(e),
        )
        for e in detail.evidence
    ]


def _section_decisions(detail: CaseDetail, names: _Names):
    """The determinations, the sanctions and the resolution options offered."""
    determinations = [
        SummaryDetermination(
            respondent=names(d.respondent),
            finding=d.get_finding_display(),
            standard=d.get_standard_of_evidence_display(),
            rationale=d.rationale,
            decided_by=str(d.decided_by),
            decided_at=d.decided_at,
        )
        for d in detail.determinations
    ]
    sanctions = [
        SummarySanction(
            respondent=names(s.respondent),
            intervention=str(s.intervention),
            details=s.details,
            status=s.get_status_display()
            + (
                " \u2014 stayed while the appeal is pending"
                if s.pk in detail.stayed_sanction_ids
                else ""
            ),
            starts_on=s.starts_on,
            ends_on=s.ends_on,
            withdrawn=_withdrawn(s),
        )
        for s in detail.sanctions
    ]
    offers = [
        SummaryOffer(
            party=names(o.party),
            option=o.get_option_display(),
            choice=o.get_choice_display(),
            notes=o.notes,
        )
        for o in detail.offers
    ]
    return determinations, sanctions, offers


def _section_appeals(detail: CaseDetail, names: _Names):
    """The appeals (with discipline) and the dated steps of Process A."""
    appeals = [
        SummaryAppeal(
            subject=a.get_subject_display(),
            appellant=names(a.appellant),
            grounds="; ".join(getattr(a, "ground_names", a.grounds)),
            statement=a.statement,
            filed_at=a.filed_at,
            window_closed_at=a.window_closed_at,
            sanctions_stayed=_yes_no(a.sanctions_stayed),
            decision_maker=str(a.decision_maker or "Not named yet"),
            response_from=names(a.response_party) if a.response_party_id else "",
            response=a.response,
            response_at=a.response_at,
            outcome=a.get_outcome_display() if a.outcome else "Pending",
            rationale=a.rationale,
            decided_by=str(a.decided_by or ""),
            decided_at=a.decided_at,
            parties_notified_at=a.parties_notified_at,
        )
        for a in detail.appeals
    ]
    milestones = [
        SummaryMilestone(
            step=m.get_kind_display(),
            occurred_at=m.occurred_at,
            note=m.note,
            recorded_by=str(m.recorded_by),
        )
        for m in detail.milestones
    ]
    return appeals, milestones


def _section_deadlines(detail: CaseDetail, now, zone) -> tuple[list, list[str]]:
    """The open clocks the user may see, as (label, "Sun Nov 1, 4:00 PM CST — 3 h left"), and
    the extensions for good cause in words, with their reasons and notices where the user
    reads reasons (as timeline reasons)."""
    deadlines = [(k.label, clocks.clock_text(k, now_=now, zone=zone)) for k in detail.deadlines]
    extensions = [
        f"{x.get_clock_display()}"
        + (f" ({c.stage_label(x.stage)})" if x.stage in c.Stage.values else "")
        + f": from {clocks.local_time_text(x.previous_due_at, zone, now_=now)}"
        + f" to {clocks.local_time_text(x.new_due_at, zone, now_=now)}"
        + (
            f". Reason: {x.reason} Notice to the parties: {x.notice}"
            if detail.show_reasons
            else "."
        )
        for x in detail.extensions
    ]
    return deadlines, extensions


def _section_notices(detail: CaseDetail, names: _Names) -> list[SummaryNotice]:
    """The notices the user may see (``selectors.case_notices_for_user``)."""
    return [
        SummaryNotice(
            kind=n.get_kind_display(),
            about=names(n.party),
            recipient=n.recipient_name,
            method=n.get_method_display(),
            sent_at=n.sent_at,
            sent_by=str(n.sent_by),
            summary=n.summary,
            withdrawn=_withdrawn(n),
        )
        for n in detail.notices
    ]


def _section_support_response(detail: CaseDetail, names: _Names) -> list[SummarySupportResponse]:
    """Per current person shown: the supportive measures offered to them and their choice,
    or the written reason none was offered. Read from the gated lists of the page."""
    rows = []
    for party in detail.parties:
        if party.role != c.PartyRole.DEPICTED or party.withdrawn_at is not None:
            continue
        offered = [
            m
            for m in detail.measures
            if m.party_id == party.pk
            and m.kind == CaseMeasure.Kind.SUPPORTIVE
            and m.withdrawn_at is None
        ]
        reasons = [
            r.reason
            for r in detail.support_not_offered
            if r.party_id == party.pk and r.withdrawn_at is None
        ]
        answered = [m for m in offered if m.party_choice in ("accepted", "declined")]
        if answered:
            status = "Offered, and the person's choice recorded"
        elif offered:
            status = "Offered, no answer yet"
        elif reasons:
            status = "None offered: reason recorded"
        else:
            status = "Nothing recorded yet"
        rows.append(
            SummarySupportResponse(
                party=names(party),
                offered="; ".join(f"{m} ({m.get_party_choice_display().lower()})" for m in offered),
                reason=" ".join(reasons),
                status=status,
            )
        )
    return rows


def _section_parent_decisions(detail: CaseDetail, names: _Names) -> list[SummaryParentDecision]:
    """The parent-notification decisions the user may see (withdrawn ones marked)."""
    return [
        SummaryParentDecision(
            party=names(pd.party),
            decision=pd.get_decision_display(),
            delay_until=pd.delay_until,
            student_wishes=pd.student_wishes,
            risks=pd.risks_display().capitalize() or "None recorded",
            explanation=pd.explanation,
            approved_by=str(pd.approved_by),
            review_on=pd.review_on,
            decided_at=pd.decided_at,
            withdrawn=_withdrawn(pd),
        )
        for pd in detail.parent_decisions
    ]


def _section_documents(detail: CaseDetail) -> list[SummaryDocument]:
    """The supporting documents, for users who may read the evidence log (the file itself
    only through the case page's logged download)."""
    return [
        SummaryDocument(
            title=d.title,
            content_type=d.content_type,
            size=d.size,
            sha256=d.sha256,
            uploaded_by=str(d.uploaded_by) if d.uploaded_by_id else "",
            uploaded_at=d.uploaded_at,
            withdrawn=_withdrawn(d),
        )
        for d in detail.documents
    ]


def _section_timeline(detail: CaseDetail, *, party_labels: dict | None = None) -> list:
    """The timeline as sentences (``events.event_sentence``), grouped by the day in the
    district's zone, without the entries whose record a section shows in full. With
    ``party_labels`` (the redacted summary) parties are named by their role label and
    corrected values are left out (an old value may be a name)."""
    from ncii_cases.events import SHOWN_IN_SECTIONS, event_sentence
    from ncii_cases.selectors.cases import timeline_names

    zone = clocks.case_zone(detail.case)
    events = [e for e in detail.timeline if e.event_type not in SHOWN_IN_SECTIONS]
    if party_labels is None:
        sentences = {e.pk: text for e, text in detail.sentences}
    else:
        names = timeline_names(
            case=detail.case, events=events, party_names=party_labels, detailed=False
        )
        sentences = {e.pk: event_sentence(e, names) for e in events}
    return [
        SummaryEvent(
            at=e.created_at,
            what=sentences.get(e.pk, ""),
            actor=str(e.actor) if e.actor_id else "System",
            reason=e.reason if detail.show_reasons else "",
            day=e.created_at.astimezone(zone).date(),
        )
        for e in events
    ]


def _withdrawn(record) -> str:
    """ "Withdrawn Nov 3, 2026: <reason>" for a withdrawn record, "" otherwise."""
    if getattr(record, "withdrawn_at", None) is None:
        return ""
    reason = record.withdrawn_reason
    return f"Withdrawn {record.withdrawn_at:%b %-d, %Y}" + (f": {reason}" if reason else "")


def _withheld(detail: CaseDetail) -> dict[str, str]:
    """The sections left out for the user's role, with the sentence the summary shows."""
    withheld = {}
    if not detail.show_discipline:
        withheld["parties"] = (
            "Respondents, reporters and witnesses are withheld for your role: only the people "
            "you support are listed."
        )
        withheld["measures"] = (
            "Interim measures concerning a respondent are withheld for your role."
        )
        withheld["determination"] = (
            "Determinations and sanctions are withheld for your role (need-to-know)."
        )
        withheld["notices"] = (
            "Only support and parent notices about the people you support are shown for your role."
        )
    if not detail.show_evidence:
        for section in ("takedowns", "reports", "evidence"):
            withheld[section] = "Withheld for your role (need-to-know)."
    if not detail.show_reasons:
        withheld["timeline"] = (
            "Only the neutral entries of the timeline are shown for your role, without reasons."
        )
    return withheld


# --- What the redacted profile replaces -----------------------------------------------------


def _lines(text: str) -> tuple[str, ...]:
    return tuple(line.strip() for line in (text or "").splitlines() if line.strip())


def case_party_names(*, case, labels: dict[int, str]) -> list[PartyNames]:
    """The names of every person of the case, for the scrubber only (never shown): each party,
    seen by the requester or not (a party they may not see gets "[name withheld]"), with its
    recorded names, nicknames, handles and contacts, or the name at the head of its
    description when it is not identified yet ("Sam Rivera, 8th grade"); and the reporter's
    name. ``labels`` maps party ids to role labels."""
    out = []
    for party in CaseParty.objects.filter(case=case).select_related("person"):
        label = labels.get(party.pk, NAME_WITHHELD)
        aliases = _lines(party.aliases)
        person = party.person
        if person is not None:
            out.append(
                PartyNames(
                    label=label,
                    first_name=person.first_name,
                    last_name=person.last_name,
                    aliases=aliases,
                    emails=(person.email,) if person.email else (),
                    phones=(person.phone,) if person.phone else (),
                    numbers=(person.external_id,) if person.external_id else (),
                )
            )
            continue
        given, family = names_in_description(party.description) or ("", "")
        if given or family or aliases:
            out.append(PartyNames(label=label, first_name=given, last_name=family, aliases=aliases))
    known = {fold(f"{p.first_name} {p.last_name}") for p in out}
    if case.reporter_name.strip() and fold(case.reporter_name) not in known:
        # A reporter who is also a party of the case keeps that party's label.
        words = case.reporter_name.split()
        out.append(
            PartyNames(
                label=_("Reporter"),
                first_name=" ".join(words[:-1]) if len(words) > 1 else words[0],
                last_name=words[-1] if len(words) > 1 else "",
            )
        )
    return out


def case_account_identifiers(*, case) -> list[Identifier]:
    """The handles and links recorded in the case's evidence log and takedown requests."""
    out = []
    for handle, url in EvidenceItem.objects.filter(case=case).values_list("handle", "url"):
        if handle.strip():
            out.append(Identifier(handle.strip(), Kind.HANDLE))
        if url.strip():
            out.append(Identifier(url.strip(), Kind.URL))
    for location in TakedownRequest.objects.filter(case=case).values_list("location", flat=True):
        location = location.strip()
        if location.startswith("@"):
            out.append(Identifier(location, Kind.HANDLE))
        elif location.lower().startswith(("http://", "https://", "www.")):
            out.append(Identifier(location, Kind.URL))
    return out


def case_scrubber(
    *, detail: CaseDetail, terms: tuple[str, ...] = (), kept: frozenset[str] = frozenset()
) -> Scrubber:
    """The scrubber of the case's redacted summary: the identifiers of its people and
    accounts, the reviewer's ``terms``, the ``kept`` candidates, the parties' initials, and
    the names of its district, schools and platforms as ordinary words."""
    case = detail.case
    people = case_party_names(case=case, labels=_party_labels(detail.parties))
    # Recipients typed on notices (a parent's name) are people of the case too.
    for recipient in {n.recipient_name.strip() for n in detail.notices if n.recipient_name}:
        given, family = names_in_description(recipient) or ("", "")
        if given or family:
            people.append(PartyNames(label=_("Recipient"), first_name=given, last_name=family))
    identifiers = [i for p in people for i in p.identifiers()]
    identifiers += case_account_identifiers(case=case)
    identifiers += [Identifier(t, Kind.TERM) for t in terms if t.strip()]
    ordinary = {case.district.name, case.school.name}
    ordinary |= {p.name for p in case.platforms.all()}
    # Staff of the case (named by the timeline's sentences and kept in the released summary,
    # as "who" on each entry): their names are neither party identifiers nor candidates.
    ordinary |= {str(e.actor) for e in detail.timeline if e.actor_id}
    ordinary |= {str(a.user) for a in detail.assignments}
    words = {w for name in ordinary for w in name.replace("-", " ").split()}
    return Scrubber(
        identifiers,
        kept=kept,
        ordinary=words,
        initials={p.initials() for p in people},
    )


def case_summary_latest_event_id(*, case) -> int:
    """The id of the case's latest recorded event (0 if none): a summary requested again
    while it is unchanged is the same summary."""
    from ncii_cases.models import CaseEvent

    return (
        CaseEvent.objects.filter(case=case).order_by("-pk").values_list("pk", flat=True).first()
        or 0
    )
