"""The case summary (the content of the PDF case summary), read for one user and one profile.

Need-to-know is applied here, with the same selectors as the case page: a section the user may
not see is left out and named in ``withheld`` so that the document says so. Only users who may
read a case's content (``Action.VIEW``) get a summary; everyone else gets Http404, the
auditor included.

The redacted profile, for sharing outside the Title IX office, is redacted here too, before any
template sees the data: each party is named by a role label ("Depicted person 2",
"Respondent"), contact details are dropped, and every party name (the full name and each part
of 3 letters or more, whole words, any case) is replaced by the party's label in every free
text the summary carries.
"""

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field

from . import choices as c
from .models import CaseMeasure, ExternalReport, HarmAssessment, TakedownRequest
from .models import ResolutionOffer as Offer
from .permissions import Action, actions_for
from .selectors import (
    case_determinations_for_user,
    case_documents_for_user,
    case_evidence_for_user,
    case_get_for_user,
    case_measures_for_user,
    case_notices_for_user,
    case_parties_for_user,
    case_sanctions_for_user,
    case_timeline_for_user,
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
NAME_WITHHELD = "[name withheld]"


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


@dataclass(frozen=True)
class SummaryEvidence:
    description: str
    where: str
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
    documents: list[SummaryDocument] = field(default_factory=list)
    timeline: list[SummaryEvent] = field(default_factory=list)
    withheld: dict[str, str] = field(default_factory=dict)

    @property
    def redacted(self) -> bool:
        return self.profile == REDACTED


# Words before or around a typed name that are not part of it.
TITLES = {"mr", "mrs", "ms", "miss", "mx", "dr", "prof", "coach", "sir", "madam"}
# Apostrophes as people type them: ASCII, typographic (phones and word processors), modifier.
APOSTROPHES = "'\u2019\u2018\u02bc`"
_APOSTROPHE_CLASS = "[" + re.escape(APOSTROPHES) + "]"


def _name_key(text: str) -> str:
    """How a name is compared: whitespace collapsed, case folded ("Weiß" is "WEISS"), accents
    dropped ("Zoë" is "Zoe", "İlkay" is "ilkay") and every apostrophe the ASCII one."""
    folded = unicodedata.normalize("NFKD", " ".join(text.split()).casefold())
    plain = "".join(ch for ch in folded if not unicodedata.combining(ch))
    return "".join("'" if ch in APOSTROPHES else ch for ch in plain)


def _name_pattern(text: str) -> str:
    """A regular expression for one spelling of a name: any whitespace between words and any
    apostrophe where the name has one."""
    words = []
    for word in text.split():
        words.append(
            "".join(_APOSTROPHE_CLASS if ch in APOSTROPHES else re.escape(ch) for ch in word)
        )
    return r"\s+".join(words)


class NameScrubber:
    """Replaces every name of the given parties inside free text by the party's label: full
    names first, then each name part of 3 letters or more, whole words only, any case, with
    or without accents and whatever apostrophe was typed. A part shared by parties with
    different labels becomes "[name withheld]"."""

    def __init__(self, names: list[tuple[str, str, str]], others: list[tuple[str, str]] = ()):
        replacements: dict[str, str] = {}
        spellings: set[str] = set()

        def add(text: str, label: str, *, weak: bool = False):
            key = _name_key(text)
            if not key or (weak and key in replacements):
                return
            if replacements.get(key, label) != label:
                replacements[key] = NAME_WITHHELD
            else:
                replacements[key] = label
            text = " ".join(text.split())
            # The name as written, case-folded and without accents: a regular expression
            # ignoring case does not equate "ß" with "ss" nor "İ" with "i".
            spellings.update({text, text.casefold(), key})

        for first, last, label in names:
            first, last = first or "", last or ""
            add(f"{first} {last}", label)
            add(f"{last} {first}", label)
            add(f"{last}, {first}", label)
            for part in re.split(r"[^\w" + re.escape(APOSTROPHES) + r"]+|_", f"{first} {last}"):
                if len(part.strip(APOSTROPHES)) >= 3:
                    add(part, label)
        # Names typed as free text (such as who reported the case, "Mrs. Ann Lee (aunt)"):
        # the name and its parts, without remarks in brackets nor titles, unless a party's
        # name already covers them.
        for text, label in others:
            text = re.sub(r"\([^)]*\)|\[[^\]]*\]", " ", text or "")
            words = [
                w
                for w in re.split(r"[^\w" + re.escape(APOSTROPHES) + r"]+|_", text)
                if w and w.casefold() not in TITLES
            ]
            add(" ".join(words), label, weak=True)
            for word in words:
                if len(word.strip(APOSTROPHES)) >= 3:
                    add(word, label, weak=True)
        self.replacements = replacements
        # Longest first, so that a full name is replaced before its parts.
        patterns = [_name_pattern(k) for k in sorted(spellings, key=len, reverse=True)]
        self.pattern = (
            # Whole words: no letter either side, but digits and "_" may touch a name, as in
            # the handle "quillon_harrowby2011".
            re.compile(r"(?<![^\W\d_])(?:" + "|".join(patterns) + r")(?![^\W\d_])", re.IGNORECASE)
            if patterns
            else None
        )

    def __call__(self, text: str | None) -> str:
        if not text or self.pattern is None:
            return text or ""
        text = unicodedata.normalize("NFC", text)
        return self.pattern.sub(
            lambda m: self.replacements.get(_name_key(m.group(0)), NAME_WITHHELD), text
        )


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


def _clock(due_at, resolved_at, now) -> str:
    if resolved_at is not None:
        return "Resolved"
    if due_at is None:
        return "No legal clock"
    seconds = (due_at - now).total_seconds()
    hours = int(abs(seconds) // 3600)
    words = f"{hours // 24} days" if hours >= 72 else f"{hours} h" if hours else "under 1 h"
    return f"{words} left" if seconds >= 0 else f"Overdue by {words}"


def case_summary_for_user(*, user, pk, profile: str, now=None) -> CaseSummary:
    """Returns what the user may see of the case as a summary in ``profile`` ("internal" or
    "redacted"); Http404 if the user may not read the case's content (or it does not exist).
    Raises ValueError for an unknown profile."""
    from django.utils import timezone

    if profile not in PROFILES:
        raise ValueError(f"Unknown profile {profile!r}.")
    case = case_get_for_user(user=user, pk=pk, action=Action.VIEW)
    allowed = actions_for(user, case)
    scope = {"user": user, "case": case, "allowed": allowed}
    show_evidence = Action.VIEW_EVIDENCE in allowed
    show_discipline = Action.VIEW_DISCIPLINE in allowed
    # Reasons of workflow steps can mention evidence and discipline (as on the case page).
    show_reasons = show_evidence and show_discipline
    now = now or timezone.now()
    redact = profile == REDACTED

    parties = list(case_parties_for_user(**scope).select_related("person__school"))
    labels = _party_labels(parties)
    notices = list(case_notices_for_user(**scope))
    if redact:
        scrub = NameScrubber(
            [
                (p.person.first_name, p.person.last_name, labels[p.pk])
                for p in parties
                if p.person_id
            ]
            # Names of parties the user may not see are scrubbed too, with a neutral mark.
            + _hidden_party_names(case=case, shown={p.pk for p in parties}),
            # The reporter's name as typed at intake (the "Reported by" fact is withheld),
            # and the recipients typed on notices (a parent's name).
            others=[(case.reported_by_name, "Reporter")]
            + [(n.recipient_name, "Recipient") for n in notices],
        )
    else:

        def scrub(text):
            return text or ""

    def name_of(party) -> str:
        if party is None:
            return ""
        if redact:
            return labels.get(party.pk, "Party")
        return party.display_name

    role_label = dict(c.PartyRole.choices)
    summary = CaseSummary(
        profile=profile,
        case_id=case.pk,
        district_id=case.district_id,
        district=case.district.name,
        time_zone=case.district.time_zone,
        reference=case.reference,
        title=scrub(case.title),
        school=case.school.name,
        stage=case.get_stage_display(),
        process=case.get_process_display(),
        track=case.get_respondent_track_display() if show_discipline else "",
        priority=case.get_priority_display(),
        reported_at=case.reported_at,
        occurred_at=case.occurred_at,
        closed_at=case.closed_at,
        facts=[
            (
                "Reported by",
                # A name typed here need not be a party's: the redacted profile drops it.
                ("Withheld in the redacted summary" if redact else case.reported_by_name)
                if case.reported_by_name
                else "Not recorded",
            ),
            ("Reported via", scrub(case.reported_via) or "Not recorded"),
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
        narrative=scrub(case.narrative),
        jurisdiction=case.get_jurisdiction_display(),
        jurisdiction_facts=scrub(case.jurisdiction_facts),
        jurisdiction_reasoning=scrub(case.jurisdiction_reasoning),
        routing_reasoning=scrub(case.routing_reasoning) if show_discipline else "",
        referred_to=scrub(case.referred_to),
        # The reason given when closing (workflow): shown like the timeline's reasons.
        closure_summary=scrub(case.closure_summary) if show_reasons else "",
    )

    for party in parties:
        person = party.person
        summary.parties.append(
            SummaryParty(
                label=name_of(party),
                role=role_label.get(party.role, party.role),
                affiliation=party.affiliations_display().capitalize(),
                minor={True: "Under 18", False: "18 or over"}.get(party.is_minor, "Not known"),
                school=(person.school.name if person and person.school else ""),
                grade=(person.grade if person else ""),
                email="" if redact or not person else person.email,
                phone="" if redact or not person else person.phone,
                student_number="" if redact or not person else person.external_id,
                notes=scrub(party.notes),
                withdrawn=_withdrawn(party, scrub),
            )
        )
    if not show_discipline:
        summary.withheld["parties"] = (
            "Respondents, reporters and witnesses are withheld for your role: only the people "
            "you support are listed."
        )

    harm = HarmAssessment.objects.filter(case=case).first()
    if harm is not None and harm.level:
        summary.harm = SummaryHarm(
            level=harm.get_level_display(),
            completed_at=harm.completed_at,
            factors=[scrub(f) for f in harm.factors or []],
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
            impact_statement=scrub(harm.impact_statement),
        )

    for m in case_measures_for_user(**scope):
        row = SummaryMeasure(
            party=name_of(m.party),
            kind=m.get_kind_display(),
            measure=str(m.measure) if m.measure_id else scrub(m.description[:80]),
            description=scrub(m.description),
            status=m.get_status_display(),
            choice=m.get_party_choice_display(),
            starts_on=m.starts_on,
            review_on=m.review_on,
            withdrawn=_withdrawn(m, scrub),
        )
        (summary.remedies if m.kind == CaseMeasure.Kind.REMEDY else summary.measures).append(row)
    if not show_discipline:
        summary.withheld["measures"] = (
            "Interim measures concerning a respondent are withheld for your role."
        )

    if show_evidence:
        takedowns = TakedownRequest.objects.filter(case=case).select_related(
            "platform", "depicted_party__person"
        )
        summary.takedowns = [
            SummaryTakedown(
                platform=str(t.platform),
                # A URL, account handle or group name: withheld like the evidence's handles.
                location="Withheld in the redacted summary" if redact else t.location,
                route=t.get_route_display(),
                depicted=name_of(t.depicted_party) if t.depicted_party_id else "",
                status=t.get_status_display(),
                submitted_at=t.submitted_at,
                due_at=t.due_at,
                resolved_at=t.resolved_at,
                clock=_clock(t.due_at, t.resolved_at, now)
                if t.status in (t.Status.SUBMITTED, t.Status.REAPPEARED)
                else ("Resolved" if t.resolved_at else "Not running"),
                reference=t.platform_reference,
                notes=scrub(t.notes or t.waiver_reason),
            )
            for t in takedowns
        ]
        summary.reports = [
            SummaryReport(
                agency=r.agency,
                status=r.get_status_display(),
                triggered_at=r.triggered_at,
                due_at=r.due_at,
                reported_at=r.reported_at,
                reported_by=str(r.reported_by) if r.reported_by_id else "",
                reference=r.reference_number,
                contact="" if redact else r.contact_name,
                explanation=scrub(r.explanation),
            )
            for r in ExternalReport.objects.filter(case=case).select_related("reported_by")
        ]
        summary.evidence = [
            SummaryEvidence(
                description=scrub(e.description),
                where=scrub(
                    " · ".join(
                        x
                        for x in (
                            str(e.platform) if e.platform_id else "",
                            e.group_name,
                            "" if redact else e.handle,
                            "" if redact else e.url,
                        )
                        if x
                    )
                ),
                seen_at=e.seen_at,
                device_holder=scrub(e.device_holder),
                recorded_at=e.recorded_at,
                withdrawn=_withdrawn(e, scrub),
            )
            for e in case_evidence_for_user(**scope)
        ]
    else:
        withheld = "Withheld for your role (need-to-know)."
        for section in ("takedowns", "reports", "evidence"):
            summary.withheld[section] = withheld

    if show_discipline:
        summary.determinations = [
            SummaryDetermination(
                respondent=name_of(d.respondent),
                finding=d.get_finding_display(),
                standard=d.get_standard_of_evidence_display(),
                rationale=scrub(d.rationale),
                decided_by=str(d.decided_by),
                decided_at=d.decided_at,
            )
            for d in case_determinations_for_user(**scope).select_related("decided_by")
        ]
        summary.sanctions = [
            SummarySanction(
                respondent=name_of(s.respondent),
                intervention=str(s.intervention),
                details=scrub(s.details),
                status=s.get_status_display(),
                starts_on=s.starts_on,
                ends_on=s.ends_on,
                withdrawn=_withdrawn(s, scrub),
            )
            for s in case_sanctions_for_user(**scope)
        ]
        summary.offers = [
            SummaryOffer(
                party=name_of(o.party),
                option=o.get_option_display(),
                choice=o.get_choice_display(),
                notes=scrub(o.notes),
            )
            for o in Offer.objects.filter(case=case).select_related("party__person")
        ]
    else:
        summary.withheld["determination"] = (
            "Determinations and sanctions are withheld for your role (need-to-know)."
        )

    # Recipients are typed names (a parent's): never printed in the redacted summary, and
    # scrubbed from every text with the parties' names (see the scrubber above).
    scrub_notice = scrub
    summary.notices = [
        SummaryNotice(
            kind=n.get_kind_display(),
            about=name_of(n.party),
            recipient="Withheld in the redacted summary" if redact else n.recipient_name,
            method=n.get_method_display(),
            sent_at=n.sent_at,
            sent_by=str(n.sent_by),
            summary=scrub_notice(scrub(n.summary)),
            withdrawn=_withdrawn(n, scrub_notice),
        )
        for n in notices
    ]
    if not show_discipline:
        summary.withheld["notices"] = (
            "Only support and parent notices about the people you support are shown for your role."
        )
    if show_evidence and not redact:
        summary.documents = [
            SummaryDocument(
                title=d.title,
                content_type=d.content_type,
                size=d.size,
                sha256=d.sha256,
                uploaded_by=str(d.uploaded_by) if d.uploaded_by_id else "",
                uploaded_at=d.uploaded_at,
                withdrawn=_withdrawn(d, scrub),
            )
            for d in case_documents_for_user(**scope)
        ]
    elif show_evidence:
        summary.withheld["documents"] = (
            "Supporting documents are listed in the internal summary only."
        )

    from zoneinfo import ZoneInfo

    from .events import SHOWN_IN_SECTIONS, event_sentence
    from .selectors import timeline_names

    events = [e for e in case_timeline_for_user(**scope) if e.event_type not in SHOWN_IN_SECTIONS]
    names = timeline_names(
        case=case,
        events=events,
        party_names={p.pk: name_of(p) for p in parties} if redact else None,
        detailed=not redact,
    )
    zone = ZoneInfo(case.district.time_zone)
    summary.timeline = [
        SummaryEvent(
            at=e.created_at,
            what=scrub_notice(scrub(event_sentence(e, names))),
            actor=str(e.actor) if e.actor_id else "System",
            reason=scrub_notice(scrub(e.reason)) if show_reasons else "",
            day=e.created_at.astimezone(zone).date(),
        )
        for e in events
    ]
    if not show_reasons:
        summary.withheld["timeline"] = (
            "Only the neutral entries of the timeline are shown for your role, without reasons."
        )
    return summary


def _withdrawn(record, scrub) -> str:
    """ "Withdrawn on <day>: <reason>" for a withdrawn record, "" otherwise."""
    if getattr(record, "withdrawn_at", None) is None:
        return ""
    reason = scrub(record.withdrawn_reason)
    return f"Withdrawn {record.withdrawn_at:%b %-d, %Y}" + (f": {reason}" if reason else "")


def _hidden_party_names(*, case, shown: set[int]) -> list[tuple[str, str, str]]:
    from .models import CaseParty

    rows = (
        CaseParty.objects.filter(case=case, person__isnull=False)
        .exclude(pk__in=shown)
        .values_list("person__first_name", "person__last_name")
    )
    return [(first, last, NAME_WITHHELD) for first, last in rows]


def case_summary_latest_event_id(*, case) -> int:
    """The id of the case's latest recorded event (0 if none): a summary requested again
    while it is unchanged is the same summary."""
    from .models import CaseEvent

    return (
        CaseEvent.objects.filter(case=case).order_by("-pk").values_list("pk", flat=True).first()
        or 0
    )
