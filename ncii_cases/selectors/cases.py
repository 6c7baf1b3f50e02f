"""Reads of case data, always scoped by ``permissions``. Raw ``Case.objects.get()`` appears
only here; views never query models themselves.

Need-to-know is enforced here, not in templates: a selector returns nothing (or raises
Http404) for a section the user may not see. Support staff get the complainant's supportive
measures and remedies, the depicted people and their parents; never the evidence log, the
interim measures concerning a respondent, determinations or sanctions. The auditor gets case
metadata and the audit trail, never the narrative or names.
"""

import functools
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import translation
from django.utils.translation import gettext

from ncii_cases import choices as c
from ncii_cases import clocks
from ncii_cases.events import REPORT_LINK_EVENTS, EventType
from ncii_cases.models import (
    Appeal,
    AppealOutcome,
    Case,
    CaseAssignment,
    CaseEvent,
    CaseMeasure,
    CaseParty,
    DeadlineExtension,
    Determination,
    EvidenceItem,
    ExternalReport,
    HarmAssessment,
    ParentNotificationDecision,
    PartyNotice,
    ProcessAMilestone,
    ResolutionOffer,
    Sanction,
    SupportingDocument,
    SupportNotOffered,
    TakedownNotice,
    TakedownRequest,
)
from ncii_cases.obligations import duties_triggered, party_age_in_imagery, report_key
from ncii_cases.permissions import (
    Action,
    actions_for,
    case_scope_q,
    cases_visible_to,
    schools_where,
    user_can,
)
from ncii_cases.takedown_routes import Suggestion, takedown_suggestions

# What support staff may see of a case's parties: the people they support.
SUPPORTED_PARTY_ROLES = (c.PartyRole.DEPICTED, c.PartyRole.PARENT)
# Need-to-know on parties, the one rule both faces below ask (``case_parties_for_user`` for one
# case, ``parties_visible_to`` across cases): which parties each right reads, strongest first.
# ``None``: every party. Reading respondents is discipline information (VIEW_DISCIPLINE).
PARTIES_READ_BY: tuple[tuple[str, tuple[str, ...] | None], ...] = (
    (Action.VIEW_DISCIPLINE, None),
    (Action.VIEW, SUPPORTED_PARTY_ROLES),
)
# The timeline entries shown to users who may not see evidence or discipline: an allowlist,
# because the mere type of other entries ("sanction added") is discipline information.
NEUTRAL_EVENT_TYPES = (
    EventType.CASE_CREATED,
    EventType.FACTS_UPDATED,
    EventType.SCHOOL_CHANGED,
    EventType.ASSIGNED,
    EventType.UNASSIGNED,
    EventType.LEAD_CHANGED,
    EventType.ASSIGNEE_DEACTIVATED,
    EventType.TRANSITION,
)


def case_get_for_user(*, user, pk, action: str = Action.VIEW) -> Case:
    """Returns the case if the user may take ``action`` on it; raises Http404 whether it is
    missing or not visible, so that a forged id learns nothing."""
    try:
        return cases_visible_to(user, action).select_related("school", "district").get(pk=pk)
    except (Case.DoesNotExist, ValueError, TypeError):
        raise Http404("No case found.") from None


def case_parties_for_user(
    *, user, case: Case, allowed: set[str] | None = None
) -> QuerySet[CaseParty]:
    """Returns the parties the user may see: all for case workers, the depicted people and
    their parents for support staff, none for metadata-only roles."""
    allowed = actions_for(user, case) if allowed is None else allowed
    parties = CaseParty.objects.filter(case=case).select_related("person__school")
    if Action.VIEW not in allowed:
        return parties.none()  # reading parties always needs VIEW (content), whatever else
    for action, roles in PARTIES_READ_BY:
        if action in allowed:
            return parties if roles is None else parties.filter(role__in=roles)
    return parties.none()


def party_readable_q(user, *, case: str = "case__", party: str = "") -> Q:
    """The condition "the user may read this party": the rule of ``case_parties_for_user``
    (every party where they may see discipline, the supported people where they may only read
    the case) on a query where the party's case is at lookup prefix ``case`` and the party at
    ``party``: ``("case__", "")`` on parties, ``("", "parties__")`` on cases joined to their
    parties (then give every condition on the joined party in the same ``filter()`` call, so
    that they all hold for one party). No party for metadata-only roles."""
    # The rule is a condition on each party's own case (a join), not "case in (every visible
    # case)": a search reads the few parties its trigram index finds and checks their cases,
    # where a list of the district's visible cases grew with the district.
    readable = Q(**{f"{party}pk__in": []})
    views = case_scope_q(user, Action.VIEW, prefix=case)
    for action, roles in PARTIES_READ_BY:
        # Every right in the table implies VIEW; ask the policy for both, not the table.
        scope = case_scope_q(user, action, prefix=case)
        if scope is None or views is None:
            continue
        scope &= views
        readable |= scope if roles is None else scope & Q(**{f"{party}role__in": roles})
    return readable


def parties_visible_to(user) -> QuerySet[CaseParty]:
    """Returns the parties, across every case the user may see, that the user may read
    (``party_readable_q``), as one query for searches and filters. Nothing for metadata-only
    roles."""
    return CaseParty.objects.filter(party_readable_q(user))


def case_measures_for_user(
    *, user, case: Case, allowed: set[str] | None = None
) -> QuerySet[CaseMeasure]:
    """Returns the measures the user may see: all for case workers; for support staff only
    supportive measures and remedies of the depicted people (never interim measures, which
    concern a respondent)."""
    allowed = actions_for(user, case) if allowed is None else allowed
    measures = CaseMeasure.objects.filter(case=case).select_related("party__person", "measure")
    readable = measures_read_q(allowed)
    return measures.none() if readable is None else measures.filter(readable)


# The actions ``measures_read_q`` reads of a user's rights on a case.
MEASURES_READ_BY = frozenset(
    {Action.VIEW, Action.VIEW_DISCIPLINE} | {action for action, _ in PARTIES_READ_BY}
)


def measures_read_q(allowed: set[str]) -> Q | None:
    """The need-to-know rule on the measures of a case on which the user may take the
    actions ``allowed`` (``actions_for``; of them only ``MEASURES_READ_BY`` matter), as a
    condition on ``CaseMeasure`` rows: ``Q()`` (every measure) where the user may see
    discipline; the supportive measures and remedies of the parties they may read
    (``PARTIES_READ_BY``) where they may only read the case; None (no measure) where they may
    not read it."""
    if Action.VIEW not in allowed:
        return None
    if Action.VIEW_DISCIPLINE in allowed:
        return Q()
    # The parties' rule: a respondent's or witness's supportive measures are not shown to
    # the support staff of the person shown.
    parties = party_rows_q(allowed)
    if parties is None:
        return None
    return parties & Q(kind__in=(CaseMeasure.Kind.SUPPORTIVE, CaseMeasure.Kind.REMEDY))


def party_rows_for(rows: QuerySet, allowed: set[str]) -> QuerySet:
    """Rows about one party each (``party`` field) limited by the need-to-know rule on
    parties (``PARTIES_READ_BY``): all, those about the supported people, or none."""
    readable = party_rows_q(allowed)
    return rows.none() if readable is None else rows.filter(readable)


def party_rows_q(allowed: set[str]) -> Q | None:
    """``party_rows_for`` as a condition on rows about one party each (``party`` field) of a
    case on which the user may take the actions ``allowed``: ``Q()`` (every row), the rows
    about the supported people, or None (no row)."""
    if Action.VIEW not in allowed:
        return None
    for action, roles in PARTIES_READ_BY:
        if action in allowed:
            return Q() if roles is None else Q(party__role__in=roles)
    return None


def case_parent_decisions_for_user(
    *, user, case: Case, allowed: set[str] | None = None
) -> QuerySet[ParentNotificationDecision]:
    """The parent-notification decisions (withdrawn ones too) about the parties the user may
    read: all for case workers, those about the people shown for support staff."""
    allowed = actions_for(user, case) if allowed is None else allowed
    rows = ParentNotificationDecision.objects.filter(case=case).select_related(
        "party__person", "approved_by", "recorded_by"
    )
    return party_rows_for(rows, allowed)


def case_support_not_offered_for_user(
    *, user, case: Case, allowed: set[str] | None = None
) -> QuerySet[SupportNotOffered]:
    """The written reasons no supportive measure was offered to a person shown (withdrawn
    ones too), for users who may read the case's parties."""
    allowed = actions_for(user, case) if allowed is None else allowed
    rows = SupportNotOffered.objects.filter(case=case).select_related(
        "party__person", "recorded_by"
    )
    return party_rows_for(rows, allowed)


def case_evidence_for_user(
    *, user, case: Case, allowed: set[str] | None = None
) -> QuerySet[EvidenceItem]:
    """Returns the evidence log, or nothing for a user without VIEW_EVIDENCE."""
    allowed = actions_for(user, case) if allowed is None else allowed
    items = EvidenceItem.objects.filter(case=case).select_related("platform")
    return items if Action.VIEW_EVIDENCE in allowed else items.none()


def case_determinations_for_user(
    *, user, case: Case, allowed: set[str] | None = None
) -> QuerySet[Determination]:
    """Returns the determinations, or nothing for a user without VIEW_DISCIPLINE."""
    allowed = actions_for(user, case) if allowed is None else allowed
    rows = Determination.objects.filter(case=case).select_related("respondent__person")
    return rows if Action.VIEW_DISCIPLINE in allowed else rows.none()


def case_appeals_for_user(*, user, case: Case, allowed: set[str] | None = None) -> QuerySet[Appeal]:
    """Returns the case's appeals (discipline: nothing without VIEW_DISCIPLINE)."""
    allowed = actions_for(user, case) if allowed is None else allowed
    rows = Appeal.objects.filter(case=case).select_related(
        "determination",
        "appellant__person",
        "response_party__person",
        "decision_maker",
        "decided_by",
        "recorded_by",
    )
    return rows if Action.VIEW_DISCIPLINE in allowed else rows.none()


def case_milestones_for_user(
    *, user, case: Case, allowed: set[str] | None = None
) -> QuerySet[ProcessAMilestone]:
    """Returns the dated steps of the formal process (Process A) to users who read the case."""
    allowed = actions_for(user, case) if allowed is None else allowed
    rows = ProcessAMilestone.objects.filter(case=case).select_related("recorded_by")
    return rows if Action.VIEW in allowed else rows.none()


def appeal_form_scope(*, user, case: Case) -> dict:
    """The choices of the appeal forms: the parties who may appeal or respond (the depicted
    people and the identified respondents), the signed-off determinations, the district's
    appeal grounds and the accounts that may decide an appeal of the case."""
    from ncii_cases.permissions import users_who_can_on_every_case
    from policies.models import AppealGround

    allowed = actions_for(user, case)
    parties = case_parties_for_user(user=user, case=case, allowed=allowed).filter(
        role__in=[c.PartyRole.DEPICTED, c.PartyRole.RESPONDENT], withdrawn_at__isnull=True
    )
    return {
        "parties": parties,
        "determinations": case_determinations_for_user(
            user=user, case=case, allowed=allowed
        ).filter(withdrawn_at__isnull=True),
        "grounds": AppealGround.objects.for_district(case.district),
        "officers": users_who_can_on_every_case(Action.DECIDE, district_id=case.district_id),
        "case": case,
    }


def appeal_ground_names_set(case: Case, appeals: list) -> None:
    """Sets ``ground_names`` on each appeal: its grounds as the district's catalog names them
    (one query, none without appeals)."""
    if not appeals:
        return
    from policies.models import AppealGround

    names = dict(AppealGround.objects.for_district(case.district).values_list("slug", "name"))
    for appeal in appeals:
        appeal.ground_names = [names.get(slug, slug.replace("-", " ")) for slug in appeal.grounds]


def case_sanctions_for_user(
    *, user, case: Case, allowed: set[str] | None = None
) -> QuerySet[Sanction]:
    """Returns the sanctions and corrective actions, or nothing without VIEW_DISCIPLINE."""
    allowed = actions_for(user, case) if allowed is None else allowed
    rows = Sanction.objects.filter(case=case).select_related("respondent__person", "intervention")
    return rows if Action.VIEW_DISCIPLINE in allowed else rows.none()


def case_timeline_for_user(
    *, user, case: Case, allowed: set[str] | None = None
) -> QuerySet[CaseEvent]:
    """Returns the case's events for users who may read the case or its audit trail; to those
    who may not see evidence and discipline, only the neutral entries. Reasons and details may
    hold content; templates show them only when ``show_reasons`` of ``case_detail_for_user``
    says so."""
    allowed = actions_for(user, case) if allowed is None else allowed
    events = CaseEvent.objects.filter(case=case).select_related("actor").order_by("pk")
    if not allowed & {Action.VIEW, Action.AUDIT}:
        return events.none()
    if Action.AUDIT in allowed or {Action.VIEW_EVIDENCE, Action.VIEW_DISCIPLINE} <= allowed:
        return events
    return events.filter(event_type__in=NEUTRAL_EVENT_TYPES)


@dataclass
class CaseDetail:
    """The sections of one case that a user may see; sections they may not see are empty and
    flagged, so that pages never hold them."""

    case: Case
    allowed: set[str]
    show_content: bool = False  # title, narrative, facts, parties
    show_evidence: bool = False
    show_discipline: bool = False
    show_reasons: bool = False  # the reasons written on timeline events
    parties: list = field(default_factory=list)
    measures: list = field(default_factory=list)
    evidence: list = field(default_factory=list)
    determinations: list = field(default_factory=list)
    sanctions: list = field(default_factory=list)
    timeline: list = field(default_factory=list)
    sentences: list = field(default_factory=list)  # (event, sentence) pairs of the timeline
    timeline_more: bool = False  # older events left out of ``timeline`` (``newest_events``)
    # The events linking incoming reports, as ``(event, "")`` pairs for ``linked_reports``.
    report_links: list = field(default_factory=list)
    takedowns: list = field(default_factory=list)
    # The takedown board: each request with its TAKE IT DOWN Act notice (for users who may
    # manage takedowns) and what the board asks for (``takedown_board.takedown_board_rows``).
    takedown_notices: list = field(default_factory=list)
    takedown_rows: list = field(default_factory=list)
    reports: list = field(default_factory=list)
    notices: list = field(default_factory=list)
    parent_decisions: list = field(default_factory=list)
    support_not_offered: list = field(default_factory=list)
    documents: list = field(default_factory=list)
    offers: list = field(default_factory=list)
    assignments: list = field(default_factory=list)
    harm: object = None
    minors_depicted: bool = False
    transitions: list = field(default_factory=list)
    # The open clocks the user may see (stage; takedowns and reports with the evidence log;
    # appeal windows with discipline), soonest first, and the extensions recorded.
    deadlines: list = field(default_factory=list)
    extensions: list = field(default_factory=list)
    # Appeals (with discipline), the sanctions they stay, and Process A's dated steps.
    appeals: list = field(default_factory=list)
    stayed_sanction_ids: set = field(default_factory=set)
    milestones: list = field(default_factory=list)
    # The sections the case holds a row of (``case_sections_present``; None when not read:
    # for a user who may not read the case's content).
    sections: frozenset[str] | None = None

    @functools.cached_property
    def can(self) -> dict[str, bool]:
        """What the user may do on the case, for templates: ``d.can.work``."""
        return dict.fromkeys(self.allowed, True)

    @property
    def read_for_guards(self) -> dict:
        """What the workflow's guards read that this detail already holds in full, for
        ``workflow.stage_todo``: every party when the user reads them all (VIEW_DISCIPLINE),
        every resolution offer likewise; nothing otherwise (a part is not the whole)."""
        if not (self.show_content and self.show_discipline):
            return {}
        return {"parties": self.parties, "offers": self.offers}


# The sections of the case page that ``case_sections_present`` asks about: each section's
# model (its rows point to the case by ``case``) and, for a section of some rows only, the
# field and the values that pick them. Apps above this one add theirs with
# ``case_section_register``.
CASE_SECTIONS: dict[str, tuple[type, str, tuple[str, ...]]] = {
    "parties": (CaseParty, "", ()),
    "measures": (CaseMeasure, "", ()),
    "harm": (HarmAssessment, "", ()),
    "assignments": (CaseAssignment, "", ()),
    "notices": (PartyNotice, "", ()),
    "parent_decisions": (ParentNotificationDecision, "", ()),
    "support_not_offered": (SupportNotOffered, "", ()),
    "evidence": (EvidenceItem, "", ()),
    "documents": (SupportingDocument, "", ()),
    "takedowns": (TakedownRequest, "", ()),
    "reports": (ExternalReport, "", ()),
    "takedown_notices": (TakedownNotice, "", ()),
    "determinations": (Determination, "", ()),
    "sanctions": (Sanction, "", ()),
    "offers": (ResolutionOffer, "", ()),
    "appeals": (Appeal, "", ()),
    "milestones": (ProcessAMilestone, "", ()),
    "extensions": (DeadlineExtension, "", ()),
    "report_links": (CaseEvent, "event_type", tuple(sorted(REPORT_LINK_EVENTS))),
}


def case_section_register(name: str, model: type, *, field: str = "", values=()) -> None:
    """Adds the section ``name`` to those ``case_sections_present`` answers for: the rows of
    ``model`` that point to the case by ``case`` (with ``field``, those whose ``field`` is
    one of ``values``). For the sections of the case page that apps above this one show
    (reporting's released summaries), called from their ``AppConfig.ready``."""
    CASE_SECTIONS[name] = (model, field, tuple(values))
    _sections_sql.cache_clear()


@functools.cache
def _sections_sql(vendor: str) -> tuple[str, tuple[str, ...]]:
    """The one query of ``case_sections_present`` (a column per section, each an EXISTS on
    the section's table) and the section names in its columns' order; ``vendor`` keys it by
    database (its quoting)."""
    quote = connection.ops.quote_name
    columns = []
    for model, field_name, values in CASE_SECTIONS.values():
        table = quote(model._meta.db_table)
        where = f"{quote(model._meta.get_field('case').column)} = %s"
        if field_name:
            column = quote(model._meta.get_field(field_name).column)
            where += f" AND {column} IN ({', '.join(['%s'] * len(values))})"
        # Names from the models, never from a request; values are bound as parameters.
        columns.append(f"EXISTS (SELECT 1 FROM {table} WHERE {where})")  # noqa: S608  # nosec B608
    return "SELECT " + ", ".join(columns), tuple(CASE_SECTIONS)


def case_sections_present(case: Case) -> frozenset[str]:
    """The names of ``CASE_SECTIONS`` of which the case holds at least one row (withdrawn
    rows too), read in one query. It says nothing of who may read them: the selectors of
    each section still decide that; a section absent here is empty for everyone."""
    sql, names = _sections_sql(connection.vendor)
    params = []
    for _model, field_name, values in CASE_SECTIONS.values():
        params += [case.pk, *(values if field_name else ())]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        found = cursor.fetchone()
    return frozenset(name for name, there in zip(names, found, strict=True) if there)


def case_detail_for_user(*, user, pk, newest_events: int | None = None) -> CaseDetail:
    """Returns what the user may see of the case; Http404 if they may not see it at all.
    ``newest_events``: keep only that many of the newest timeline events (the case page; the
    rest is in the paged audit review, and ``timeline_more`` says whether there is a rest), so
    that a long case costs what a short one does; None keeps all (the PDF summary)."""
    case = case_get_for_user(user=user, pk=pk, action=Action.VIEW_METADATA)
    allowed = actions_for(user, case)
    detail = CaseDetail(
        case=case,
        allowed=allowed,
        show_content=Action.VIEW in allowed,
        show_evidence=Action.VIEW_EVIDENCE in allowed,
        show_discipline=Action.VIEW_DISCIPLINE in allowed,
        # Reasons on events can mention evidence and discipline: only for full case workers.
        show_reasons={Action.VIEW, Action.VIEW_EVIDENCE, Action.VIEW_DISCIPLINE} <= allowed,
    )
    scope = {"user": user, "case": case, "allowed": allowed}
    # Which kinds of records the case holds, in one query: a section the case has no row of
    # is not read (most cases hold few kinds; each read cost a query, empty or not).
    if detail.show_content:
        detail.sections = case_sections_present(case)
    present = detail.sections or frozenset()

    def rows(section: str, read) -> list:
        return list(read()) if section in present else []

    if detail.show_content:
        detail.parties = rows("parties", lambda: case_parties_for_user(**scope))
        detail.measures = rows("measures", lambda: case_measures_for_user(**scope))
        if "harm" in present:  # one at most
            detail.harm = next(iter(HarmAssessment.objects.filter(case=case).order_by()), None)
        detail.assignments = rows("assignments", lambda: case_assignments_for_user(**scope))
        detail.minors_depicted = any(
            party_age_in_imagery(p) == c.AgeInImagery.UNDER_18
            for p in detail.parties
            if p.role == c.PartyRole.DEPICTED and p.withdrawn_at is None
        )
        detail.notices = rows("notices", lambda: case_notices_for_user(**scope))
        detail.parent_decisions = rows(
            "parent_decisions", lambda: case_parent_decisions_for_user(**scope)
        )
        detail.support_not_offered = rows(
            "support_not_offered", lambda: case_support_not_offered_for_user(**scope)
        )
    if detail.show_evidence:
        detail.evidence = rows("evidence", lambda: case_evidence_for_user(**scope))
        detail.documents = rows("documents", lambda: case_documents_for_user(**scope))
        detail.takedowns = rows(
            "takedowns",
            lambda: TakedownRequest.objects.filter(case=case).select_related(
                "platform", "depicted_party__person"
            ),
        )
        detail.reports = rows(
            "reports",
            lambda: ExternalReport.objects.filter(case=case).select_related("reported_by"),
        )
        if detail.takedowns:
            detail.takedown_notices = rows(
                "takedown_notices", lambda: case_takedown_notices_for_user(**scope)
            )
        from ncii_cases.takedown_board import takedown_board_rows

        detail.takedown_rows = takedown_board_rows(detail.takedowns, detail.takedown_notices)
    if detail.show_discipline:
        detail.determinations = rows(
            "determinations", lambda: case_determinations_for_user(**scope)
        )
        detail.sanctions = rows("sanctions", lambda: case_sanctions_for_user(**scope))
        detail.offers = rows(
            "offers",
            lambda: ResolutionOffer.objects.filter(case=case).select_related("party__person"),
        )
        detail.appeals = rows("appeals", lambda: case_appeals_for_user(**scope))
        appeal_ground_names_set(case, detail.appeals)
        from ncii_cases.services.appeals import stayed_sanction_ids

        detail.stayed_sanction_ids = stayed_sanction_ids(case, appeals=detail.appeals)
    if detail.show_content:
        detail.milestones = rows("milestones", lambda: case_milestones_for_user(**scope))
    events = case_timeline_for_user(**scope)
    if newest_events is None:
        detail.timeline = list(events)
    else:
        newest = list(events.order_by("-pk")[: newest_events + 1])
        detail.timeline_more = len(newest) > newest_events
        detail.timeline = newest[:newest_events][::-1]
        # The links to the incoming reports of the case stay on the page however old (only
        # users who read the case see them: ``present`` is empty for the others, whose
        # timeline holds no such entry either).
        if "report_links" in present or not detail.show_content:
            detail.report_links = [
                (e, "") for e in events.filter(event_type__in=REPORT_LINK_EVENTS).order_by("pk")
            ]
    detail.extensions = rows("extensions", lambda: case_extensions_for_user(**scope))
    detail.deadlines = clocks.case_clocks(
        case,
        takedowns=detail.takedowns,
        reports=detail.reports,
        determinations=detail.determinations,
        extensions=detail.extensions,
        appeals=detail.appeals if detail.show_discipline else None,
    )
    if detail.timeline:
        from ncii_cases.events import event_sentence

        # What the page already read is not read again. A user shown only part of the case
        # sees only the neutral entries, which name no party nor record.
        loaded = {
            key: getattr(detail, key)
            for key in ("parties", "measures", "takedowns", "reports", "documents", "sanctions")
        }
        names = timeline_names(case=case, events=detail.timeline, loaded=loaded)
        detail.sentences = [(e, event_sentence(e, names)) for e in detail.timeline]
    from ncii_cases.workflow import SERVICE_ONLY_ACTIONS, TRANSITIONS

    # The same rule as ``workflow.available_transitions``, from the rights already read; the
    # appeal steps are taken by the appeal forms, which the page links to instead.
    detail.transitions = [
        t
        for t in TRANSITIONS
        if case.stage in t.sources
        and t.permission in allowed
        and t.action not in SERVICE_ONLY_ACTIONS
    ]
    return detail


def case_extensions_for_user(*, user, case: Case, allowed=None) -> QuerySet[DeadlineExtension]:
    """The deadlines of the case extended for good cause, for users who may read its content
    (appeal windows only for users who may see determinations)."""
    allowed = actions_for(user, case) if allowed is None else allowed
    if Action.VIEW not in allowed:
        return DeadlineExtension.objects.none()
    rows = DeadlineExtension.objects.filter(case=case).select_related("extended_by")
    if Action.VIEW_DISCIPLINE not in allowed:
        rows = rows.exclude(clock=DeadlineExtension.ClockKind.APPEAL)
    return rows


def case_for_admin_link(*, user, content_type_id: int, object_id) -> Case:
    """Returns the case behind an admin "view on site" link if the user may see it; every
    other object, and every case they may not see, is Http404 (no existence oracle)."""
    from django.contrib.contenttypes.models import ContentType

    if ContentType.objects.get_for_model(Case).pk != content_type_id:
        raise Http404("No such page.")
    return case_get_for_user(user=user, pk=object_id, action=Action.VIEW_METADATA)


def case_assignments_for_user(
    *, user, case: Case, allowed: set[str] | None = None
) -> QuerySet[CaseAssignment]:
    """Returns the case's active assignments, for users who may read the case."""
    allowed = actions_for(user, case) if allowed is None else allowed
    rows = CaseAssignment.objects.filter(case=case, ended_at__isnull=True).select_related("user")
    return rows if Action.VIEW in allowed else rows.none()


def case_lead_for_user(*, user, case: Case) -> CaseAssignment | None:
    """Returns the case's active lead assignment, for users who may read the case."""
    return (
        case_assignments_for_user(user=user, case=case).filter(role=c.AssignmentRole.LEAD).first()
    )


def case_assignable_staff(*, user, case: Case, role: str | None = None):
    """The staff the user may assign to the case (in ``role``, or in any role): for users
    who may ASSIGN on it, the accounts ``permissions.users_assignable_to`` lists; nobody for
    the others."""
    from ncii_cases.models import User
    from ncii_cases.permissions import users_assignable_to

    if Action.ASSIGN not in actions_for(user, case):
        return User.objects.none()
    return users_assignable_to(case, role)


def case_parties_by_role(*, user, case: Case, roles) -> QuerySet[CaseParty]:
    """The visible, current (not withdrawn) parties of the case in the given roles (for the
    choices of a form)."""
    return case_parties_for_user(user=user, case=case).filter(
        role__in=roles, withdrawn_at__isnull=True
    )


def case_respondents_identified(*, user, case: Case) -> QuerySet[CaseParty]:
    """The case's respondents who are identified people, for users who may see discipline."""
    return case_parties_by_role(user=user, case=case, roles=[c.PartyRole.RESPONDENT]).filter(
        person__isnull=False
    )


def case_takedown_notices_for_user(*, user, case: Case, allowed=None) -> QuerySet[TakedownNotice]:
    """The case's TAKE IT DOWN Act notices (withdrawn ones too), for users who may manage its
    takedowns (``Action.WORK``); none for anyone else."""
    allowed = actions_for(user, case) if allowed is None else allowed
    rows = TakedownNotice.objects.filter(case=case).select_related(
        "created_by", "takedown__platform"
    )
    return rows if Action.WORK in allowed else rows.none()


def case_takedowns_for_user(*, user, case: Case) -> QuerySet[TakedownRequest]:
    """The case's takedown requests, for users who may see the evidence log."""
    rows = TakedownRequest.objects.filter(case=case).select_related("platform")
    return rows if user_can(user, Action.VIEW_EVIDENCE, case) else rows.none()


def takedown_suggestions_for_user(*, user, case: Case) -> list[Suggestion]:
    """The takedown requests worth opening (``takedown_routes.takedown_suggestions``): for each
    platform and place in the evidence log and each depicted person, the hash service that
    fits their age in the imagery and, for a covered platform, its own notice under the TAKE
    IT DOWN Act. Empty for a user who may not see the evidence log (places are evidence)."""
    if not user_can(user, Action.VIEW_EVIDENCE, case):
        return []
    return takedown_suggestions(
        evidence=EvidenceItem.objects.current().filter(case=case).select_related("platform"),
        depicted=case_parties_by_role(user=user, case=case, roles=[c.PartyRole.DEPICTED]),
        existing=TakedownRequest.objects.current().filter(case=case),
    )


@dataclass(frozen=True)
class ReportToDecide:
    """One row of the external reports page: ``key`` (``obligations.report_key``), the
    agency as shown, the deadline, and the version of the existing pending row (None for a
    report the case triggers but has no row for yet, or whose row the save reopens)."""

    key: str
    label: str
    due_at: object
    version: int | None


def case_reports_to_decide_for_user(*, user, case: Case) -> list[ReportToDecide]:
    """The external reports of the case that wait for a decision, for users who may work the
    case (others: none), read without writing: the pending rows, and the reports the case's
    facts trigger (``obligations.duties_triggered``) that have no row yet, as the save's sync
    will create them. Sorted by deadline."""
    if not user_can(user, Action.WORK, case) or case.is_closed:
        return []
    rows = list(ExternalReport.objects.filter(case=case))
    by_obligation = {(r.obligation_id, r.step): r for r in rows if r.obligation_id}
    found = []
    for duty in duties_triggered(case):
        for step in duty.steps:
            row = by_obligation.get((duty.obligation.pk, step.step))
            if row is None:
                key = report_key(obligation_id=duty.obligation.pk, step=step.step)
                shown = ExternalReport(agency=duty.obligation.agency, step=step.step)
                due = clocks.report_due_at(case.reported_at, step.deadline_hours)
                found.append(ReportToDecide(key, shown.agency_label, due, None))
            elif row.status == ExternalReport.Status.PENDING:
                found.append(
                    ReportToDecide(report_key(row), row.agency_label, row.due_at, row.version)
                )
            elif row.status == ExternalReport.Status.NO_LONGER_REQUIRED:
                # The save's sync turns it pending again (a new version): none to check.
                found.append(ReportToDecide(report_key(row), row.agency_label, row.due_at, None))
    for row in rows:
        if row.obligation_id is None and row.status == ExternalReport.Status.PENDING:
            found.append(ReportToDecide(report_key(row), row.agency_label, row.due_at, row.version))
    return sorted(found, key=lambda r: (r.due_at is None, r.due_at or 0, r.key))


def case_harm_for_user(*, user, case: Case) -> HarmAssessment | None:
    """The case's harm assessment, if any, for users who may read the case."""
    if not user_can(user, Action.VIEW, case):
        return None
    return HarmAssessment.objects.filter(case=case).first()


def intake_schools_for_user(*, user):
    """The schools in which the user may enter a new report (those whose cases they may
    triage); empty for everyone else."""
    return schools_where(user, Action.TRIAGE)


def case_get_for_user_any(*, user, pk, actions: tuple[str, ...]) -> Case:
    """Returns the case if the user may take at least one of ``actions`` on it; Http404
    otherwise (a page the user cannot use does not exist for them)."""
    case = case_get_for_user(user=user, pk=pk, action=Action.VIEW)
    if not actions_for(user, case) & set(actions):
        raise Http404("No case found.")
    return case


def transition_problem_for_user(
    *, user, case: Case, action: str, submitted: bool = False, shown_stage: str = ""
) -> str | None:
    """Why the user cannot take the workflow step now (wrong stage, or not theirs), in plain
    words; None when they may try it (its guards are checked when taken). ``submitted``: the
    step's form was sent, so a wrong stage means someone else moved the case meanwhile;
    ``shown_stage``: the stage the sent page showed (a ``Stage`` value, or empty), which the
    case must still be at."""
    from ncii_cases.workflow import BY_ACTION, SERVICE_ONLY_ACTIONS, available_transitions

    step = BY_ACTION[action]
    if action in SERVICE_ONLY_ACTIONS:
        return gettext(
            "This step is taken on the case's appeal forms, which record the appeal with it."
        )
    moved = submitted and shown_stage and shown_stage != case.stage
    if case.stage not in step.sources or moved:
        stage = {"stage": case.get_stage_display(), "step": step.label}
        if submitted:
            return (
                gettext("Someone else already completed this step; the case is now at %(stage)s.")
                % stage
            )
        return (
            gettext("\u201c%(step)s\u201d is not a step of %(stage)s, where the case is now.")
            % stage
        )
    if step not in available_transitions(case, user):
        return gettext(
            "This step is for another member of staff; you may not take it on this case."
        )
    return None


def case_minor_depicted_for_user(*, user, case: Case) -> bool:
    """Whether a depicted person is recorded as under 18 in the imagery (for defaults of the
    harm form; the rule is ``obligations.party_age_in_imagery``)."""
    parties = case_parties_for_user(user=user, case=case).filter(role=c.PartyRole.DEPICTED)
    return any(party_age_in_imagery(p) == c.AgeInImagery.UNDER_18 for p in parties)


def measure_form_scope(*, user, case: Case) -> dict:
    """What the measure form may offer the user: supportive measures (for the people shown,
    respondents and witnesses the user may read) and remedies with SUPPORT, interim measures
    concerning a respondent with WORK."""
    allowed = actions_for(user, case)
    kinds, roles = set(), set()
    if Action.SUPPORT in allowed:
        kinds |= {CaseMeasure.Kind.SUPPORTIVE, CaseMeasure.Kind.REMEDY}
        roles |= {c.PartyRole.DEPICTED, c.PartyRole.RESPONDENT, c.PartyRole.WITNESS}
    if Action.WORK in allowed and Action.VIEW_DISCIPLINE in allowed:
        kinds.add(CaseMeasure.Kind.INTERIM)
        roles.add(c.PartyRole.RESPONDENT)
    parties = case_parties_for_user(user=user, case=case, allowed=allowed).filter(
        role__in=roles, withdrawn_at__isnull=True
    )
    return {"case": case, "parties": parties, "kinds": kinds}


def notice_form_scope(*, user, case: Case) -> dict:
    """What the notice form may offer: every kind to case workers, the support notice to
    support staff, about the parties they may see."""
    from ncii_cases.models import PartyNotice

    allowed = actions_for(user, case)
    kinds = set(PartyNotice.Kind.values) if Action.WORK in allowed else {PartyNotice.Kind.SUPPORT}
    parties = case_parties_for_user(user=user, case=case, allowed=allowed)
    return {"parties": parties.filter(withdrawn_at__isnull=True), "kinds": kinds}


def parent_decision_form_scope(*, user, case: Case) -> dict:
    """What the parent-notification decisions form may offer: a row for each student under
    18 of the case (people shown, identified respondents, witnesses; one per person) whom the
    user may read (``parents.parties_needing_decision``), ``decided`` the ids of those who
    have a current decision already (their rows are left off the page; a page sent again
    still names them, and the service refuses them), and the staff who may approve (TRIAGE
    or DECIDE)."""
    from ncii_cases.parents import parties_awaiting_decision, parties_needing_decision
    from ncii_cases.permissions import users_who_may_on_case

    readable = set(case_parties_for_user(user=user, case=case).values_list("pk", flat=True))
    parties = [p for p in parties_needing_decision(case) if p.pk in readable]
    awaiting = {p.pk for p in parties_awaiting_decision(case)}
    approvers = users_who_may_on_case(case, Action.TRIAGE, Action.DECIDE)
    return {
        "parties": parties,
        "decided": {p.pk for p in parties if p.pk not in awaiting},
        "approvers": approvers,
    }


def support_not_offered_form_scope(*, user, case: Case) -> dict:
    """What the "no supportive measure offered" form may offer: the current people shown."""
    parties = case_parties_for_user(user=user, case=case).filter(
        role=c.PartyRole.DEPICTED, withdrawn_at__isnull=True
    )
    return {"parties": parties}


def schools_of_district(*, user):
    """The schools of the user's district (where a person of a case may study or work)."""
    from ncii_cases.models import School

    if getattr(user, "district_id", None) is None:
        return School.objects.none()
    return School.objects.filter(district_id=user.district_id)


def case_documents_for_user(
    *, user, case: Case, allowed: set[str] | None = None
) -> QuerySet[SupportingDocument]:
    """The case's supporting documents (withdrawn ones too, marked), for users who may read
    the evidence log; nothing for everyone else."""
    allowed = actions_for(user, case) if allowed is None else allowed
    rows = SupportingDocument.objects.filter(case=case).select_related("uploaded_by", "evidence")
    return rows if Action.VIEW_EVIDENCE in allowed else rows.none()


# Notices support staff may see: about the people they support, of the kinds that concern
# support (never a notice of allegations or of an outcome, which concern discipline).
SUPPORT_NOTICE_KINDS = ("support", "parent")


def case_notices_for_user(
    *, user, case: Case, allowed: set[str] | None = None
) -> QuerySet[PartyNotice]:
    """The notices the user may see: all for case workers who see discipline; for support
    staff the support and parent notices about the depicted people and their parents; none
    for metadata-only roles."""
    allowed = actions_for(user, case) if allowed is None else allowed
    rows = PartyNotice.objects.filter(case=case).select_related("party__person", "sent_by")
    if Action.VIEW not in allowed:
        return rows.none()
    if Action.VIEW_DISCIPLINE in allowed:
        return rows
    return rows.filter(kind__in=SUPPORT_NOTICE_KINDS, party__role__in=SUPPORTED_PARTY_ROLES)


def case_records_for_user(*, user, case: Case, kind: str) -> QuerySet:
    """The records of one kind ("party", "measure", ... as in ``services.corrections``) that
    the user may see on the case, for the correction and withdrawal pages."""
    allowed = actions_for(user, case)
    scope = {"user": user, "case": case, "allowed": allowed}
    readers = {
        "party": case_parties_for_user,
        "measure": case_measures_for_user,
        "evidence": case_evidence_for_user,
        "document": case_documents_for_user,
        "notice": case_notices_for_user,
        "parent_decision": case_parent_decisions_for_user,
        "no_support": case_support_not_offered_for_user,
        "determination": case_determinations_for_user,
        "sanction": case_sanctions_for_user,
    }
    if kind in readers:
        return readers[kind](**scope)
    if kind == "takedown":
        rows = TakedownRequest.objects.filter(case=case).select_related("platform")
        return rows if Action.VIEW_EVIDENCE in allowed else rows.none()
    if kind == "report":
        rows = ExternalReport.objects.filter(case=case)
        return rows if Action.VIEW_EVIDENCE in allowed else rows.none()
    if kind == "takedown_notice":
        return case_takedown_notices_for_user(**scope)
    if kind == "offer":
        rows = ResolutionOffer.objects.filter(case=case).select_related("party__person")
        return rows if Action.VIEW_DISCIPLINE in allowed else rows.none()
    if kind == "harm":
        rows = HarmAssessment.objects.filter(case=case)
        return rows if Action.VIEW in allowed else rows.none()
    raise Http404("No such record.")


def case_record_for_user(*, user, case: Case, kind: str, pk):
    """One record of ``kind`` on the case if the user may see it, else None."""
    try:
        return case_records_for_user(user=user, case=case, kind=kind).filter(pk=int(pk)).first()
    except (TypeError, ValueError):
        return None


# The keys of an event's detail that name a staff member (an assignee, an approver).
USER_KEYS = ("user_id", "approved_by_id", "from_user_id", "to_user_id")
# The keys of an event's detail that name a school (``events.Names.schools``).
SCHOOL_KEYS = ("from_school_id", "to_school_id")


@functools.lru_cache(maxsize=32)
def timeline_labels(language: str | None) -> dict[str, dict[str, str]]:
    """The labels the timeline's sentences use for stored values (``events.Names.labels``):
    for each vocabulary, each value's label in ``language`` (the active one, which it is
    called with: the key of the cache, since the labels are fixed for a language). Read,
    never changed, by its callers."""
    from ncii_cases.models import MeasureStatus, PartyChoice, SanctionStatus

    labels = {
        "stage": dict(c.Stage.choices),
        "party_role": dict(c.PartyRole.choices),
        "assignment_role": dict(c.AssignmentRole.choices),
        "level": dict(c.Level.choices),
        "party_choice": dict(PartyChoice.choices),
        "measure_status": dict(MeasureStatus.choices),
        "sanction_status": dict(SanctionStatus.choices),
        "option": dict(ResolutionOffer.Option.choices),
        "takedown_status": dict(TakedownRequest.Status.choices),
        "notice_kind": dict(PartyNotice.Kind.choices),
        "notice_method": dict(PartyNotice.Method.choices),
        "finding": dict(Determination.Finding.choices),
        "track": dict(c.RespondentTrack.choices),
        "appeal_subject": dict(Appeal.Subject.choices),
        "appeal_outcome": dict(AppealOutcome.choices),
        "milestone": dict(ProcessAMilestone.Kind.choices),
        "parent_decision": dict(ParentNotificationDecision.Decision.choices),
    }
    return {k: {key: str(v) for key, v in d.items()} for k, d in labels.items()}


def timeline_names(
    *, case: Case, events, party_names: dict | None = None, detailed=True, loaded=None
):
    """The ``events.Names`` lookup for the sentences of the given events of the case, read in
    a fixed number of queries. ``party_names`` replaces the parties' names (the redacted
    summary's role labels); ``detailed`` False leaves corrected values out; ``loaded`` gives
    lists a caller already read (``{"measures": [...], "parties": [...]}``, and so on), which
    are not read again."""
    from ncii_cases import models as m
    from ncii_cases.events import Names

    loaded = loaded or {}

    def rows(key, query):
        return loaded[key] if key in loaded else list(query)

    actors = {e.actor_id: str(e.actor) for e in events if e.actor_id}
    wanted = {e.detail.get(key) for e in events for key in USER_KEYS if e.detail.get(key)} - set(
        actors
    )
    users = {**actors, **{u.pk: str(u) for u in m.User.objects.filter(pk__in=wanted)}}
    if party_names is None:
        parties = rows("parties", CaseParty.objects.filter(case=case).select_related("person"))
        party_names = {p.pk: p.display_name for p in parties}
    records: dict = {}
    for row in rows("measures", CaseMeasure.objects.filter(case=case).select_related("measure")):
        records[("measure", row.pk)] = str(row)
    for row in rows(
        "takedowns", TakedownRequest.objects.filter(case=case).select_related("platform")
    ):
        records[("takedown", row.pk)] = str(row.platform)
    for row in rows("reports", ExternalReport.objects.filter(case=case)):
        records[("report", row.pk)] = row.agency_label
        records[("report_ref", row.pk)] = row.reference_number
    for row in rows("documents", SupportingDocument.objects.filter(case=case)):
        records[("document", row.pk)] = row.title
    for row in rows("sanctions", Sanction.objects.filter(case=case).select_related("intervention")):
        records[("sanction", row.pk)] = str(row.intervention)
    labels = timeline_labels(translation.get_language())
    # Only a move between schools names a school: the district's schools are read for those.
    wanted_schools = {e.detail.get(key) for e in events for key in SCHOOL_KEYS if e.detail.get(key)}
    schools = (
        dict(m.School.objects.filter(district_id=case.district_id).values_list("pk", "name"))
        if wanted_schools
        else {}
    )
    return Names(
        users=users,
        parties=party_names,
        schools=schools,
        records=records,
        labels=labels,
        detailed=detailed,
    )
