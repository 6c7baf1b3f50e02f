"""Reads for the audit-trail review (``reporting``): who may audit, the change history of the
case data as field-by-field differences, the case timeline (hash chain), the access log and
the latest chain verification, for one case or a whole district.

Need-to-know: the district auditor may read metadata only. Each model's history is shown
through an explicit allow-list of metadata fields (``METADATA_FIELDS``); every other field,
including any field added later, is shown to the auditor as "changed (content not shown)",
never with its values. Users who may read the content (the coordinator) see the values.

Nothing here writes; the verification runs are written by ``audit.audit_verification_run``.
"""

import dataclasses
import datetime as dt
import functools
import json
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import CharField, F, Lookup, OuterRef, Q, QuerySet, Subquery, Value
from django.http import Http404, QueryDict
from django.utils import timezone, translation

from ncii_cases.choices import stage_label
from ncii_cases.dates import MomentTexts
from ncii_cases.events import EventType
from ncii_cases.models import (
    AccessEvent,
    Appeal,
    AuditVerification,
    Case,
    CaseAssignment,
    CaseEvent,
    CaseMeasure,
    CaseParty,
    CustodyEntry,
    Determination,
    District,
    EvidenceItem,
    ExternalReport,
    HarmAssessment,
    PartyNotice,
    ProcessAMilestone,
    ResolutionOffer,
    Sanction,
    School,
    SupportingDocument,
    TakedownNotice,
    TakedownRequest,
    User,
)
from ncii_cases.permissions import Action, user_can_anywhere, user_can_on_every_case
from ncii_cases.selectors.cases import case_get_for_user

HIDDEN = "changed (content not shown)"
HIDDEN_SET = "set (content not shown)"

# The case-data models whose history the review shows, with the path from a history row to
# its case. Person is left out on purpose: people belong to the district, not to one case.
CASE_MODELS: dict[str, tuple[type, str]] = {
    "case": (Case, "id"),
    "caseassignment": (CaseAssignment, "case_id"),
    "caseparty": (CaseParty, "case_id"),
    "harmassessment": (HarmAssessment, "case_id"),
    "casemeasure": (CaseMeasure, "case_id"),
    "resolutionoffer": (ResolutionOffer, "case_id"),
    "takedownrequest": (TakedownRequest, "case_id"),
    "externalreport": (ExternalReport, "case_id"),
    "evidenceitem": (EvidenceItem, "case_id"),
    "custodyentry": (CustodyEntry, "evidence__case_id"),
    "supportingdocument": (SupportingDocument, "case_id"),
    "determination": (Determination, "case_id"),
    "sanction": (Sanction, "case_id"),
    "partynotice": (PartyNotice, "case_id"),
    "takedownnotice": (TakedownNotice, "case_id"),
    "appeal": (Appeal, "case_id"),
    "processamilestone": (ProcessAMilestone, "case_id"),
}

# The fields an auditor sees the values of: choices, dates, booleans, stage and status, the
# school and the staff involved. Anything not listed is content and stays hidden. Findings,
# sanctions chosen and catalog measures are discipline content and are not listed either.
METADATA_FIELDS: dict[str, set[str]] = {
    "case": {
        "district",
        "school",
        "reference",
        "reported_at",
        "occurred_at",
        "occurred_at_approximate",
        "ncii_kind",
        "is_intimate_imagery",
        "conduct",
        "location",
        "timing",
        "jurisdiction",
        "disrupts_school",
        "reach",
        "reach_estimate",
        "process",
        "respondent_track",
        "stage",
        "stage_entered_at",
        "stage_due_at",
        "priority",
        "closed_at",
        "created_by",
    },
    "caseassignment": {"user", "role", "assigned_at", "assigned_by", "ended_at"},
    "caseparty": {"role", "affiliation", "is_minor"},
    "harmassessment": {
        "reach",
        "platform_count",
        "circulation",
        "minors_depicted",
        "identifiability",
        "threats_or_sextortion",
        "safety_risk",
        "impact",
        "level",
        "completed_at",
        "completed_by",
    },
    "casemeasure": {
        "kind",
        "owner",
        "starts_on",
        "review_on",
        "status",
        "party_choice",
        "last_reviewed_at",
    },
    "resolutionoffer": {"option", "choice", "offered_at", "decided_at"},
    "takedownrequest": {
        "platform",
        "route",
        "status",
        "covered_by_48h_rule",
        "has_signature",
        "identifies_content",
        "good_faith_statement",
        "has_contact_information",
        "submitted_at",
        "due_at",
        "resolved_at",
        "owner",
    },
    "externalreport": {"triggered_at", "due_at", "status", "reported_by", "reported_at"},
    "evidenceitem": {"platform", "seen_at", "recorded_by"},
    "custodyentry": {"transferred_at", "recorded_by"},
    "supportingdocument": {"uploaded_by"},
    "determination": {"standard_of_evidence", "decided_by", "decided_at"},
    "sanction": {"starts_on", "ends_on", "status", "decided_by", "decided_at"},
    "partynotice": {"kind", "method", "sent_at", "sent_by"},
    "takedownnotice": {
        "takedown",
        "authority",
        "authorized_on",
        "name_depicted",
        "depicted_minor",
        "created_by",
        "created_at",
    },
    # Appeals: dates, the stay and the staff; who appealed, the grounds, the outcome and the
    # texts are discipline content.
    "appeal": {
        "subject",
        "decision_at",
        "filed_at",
        "window_closed_at",
        "from_stage",
        "sanctions_stayed",
        "recorded_by",
        "decision_maker",
        "designated_at",
        "response_at",
        "decided_at",
        "decided_by",
        "parties_notified_at",
    },
    "processamilestone": {"kind", "occurred_at", "recorded_by", "recorded_at"},
}
# Fields never worth a line in a diff: the row already names its record and its case.
SKIPPED_FIELDS = {"id", "case"}

HISTORY_TYPES = {"+": "created", "~": "changed", "-": "deleted"}
# Access-log actions written outside ``access_logged`` views.
OTHER_ACCESS_ACTIONS = {"case_search", "role_change", "password_reset", "device_delete"}

PAGE_SIZE = 100


# --- Who may audit ---------------------------------------------------------------------------


def user_may_audit(user) -> bool:
    """Whether the user may read the district's audit review: the auditor and the coordinator
    (AUDIT by role). Costs at most one query (the role, cached on the user)."""
    return user_can_anywhere(user, Action.AUDIT) and getattr(user, "district_id", None) is not None


def audit_content_visible(user) -> bool:
    """Whether the user may read the values of content fields in the review: only a role
    that reads every case of the district with its evidence and discipline."""
    return user_can_on_every_case(
        user, Action.VIEW, Action.VIEW_EVIDENCE, Action.VIEW_DISCIPLINE, Action.AUDIT
    )


def audit_district_check(*, user) -> None:
    """Raises Http404 unless the user may audit their district."""
    if not user_may_audit(user):
        raise Http404("No such page.")


def audit_case_get(*, user, pk) -> Case:
    """Returns the case for a user with AUDIT on it; Http404 otherwise."""
    return case_get_for_user(user=user, pk=pk, action=Action.AUDIT)


def audit_actors_for_user(*, user) -> QuerySet[User]:
    """The people of the user's district, for the review's "person" filter."""
    audit_district_check(user=user)
    return User.objects.filter(district_id=user.district_id).order_by("username")


def audit_case_by_reference(*, user, reference: str) -> Case | None:
    """Returns the district's case with this reference, or None (other districts' cases are
    never found)."""
    from ncii_cases.permissions import cases_visible_to

    return cases_visible_to(user, Action.AUDIT).filter(reference=reference).first()


def audit_action_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    """The "action" filter's grouped choices: history change types, timeline event types and
    access-log actions. Values are prefixed with the section they filter."""
    from ncii_cases.access_log import ACCESS_ACTIONS

    events = sorted(EventType.values)
    accesses = sorted(ACCESS_ACTIONS | OTHER_ACCESS_ACTIONS)
    return [
        ("Changes", [(f"change:{k}", f"Record {v}") for k, v in HISTORY_TYPES.items()]),
        ("Timeline", [(f"event:{e}", e.replace("_", " ")) for e in events]),
        ("Access log", [(f"access:{a}", a.replace("_", " ")) for a in accesses]),
    ]


# --- Filters ---------------------------------------------------------------------------------


@dataclass
class AuditFilter:
    """A validated filter: every field optional. ``case`` is a case of the user's district."""

    actor: User | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    action: str = ""  # "change:~", "event:transition", "access:case_detail"
    case: Case | None = None
    until: dt.datetime | None = None  # set by the export: nothing newer than its start

    def section_action(self, section: str) -> str | None:
        """The action value for a section, "" when unfiltered, None when the filter names
        another section (the section then shows nothing)."""
        if not self.action:
            return ""
        prefix, _, value = self.action.partition(":")
        return value if prefix == section else None

    def bounds(self) -> tuple[dt.datetime | None, dt.datetime | None]:
        """The date range as aware datetimes: from the start of ``date_from`` to the end of
        ``date_to``, in the site's time zone."""
        tz = timezone.get_current_timezone()
        start = end = None
        if self.date_from:
            start = dt.datetime.combine(self.date_from, dt.time.min, tzinfo=tz)
        if self.date_to:
            end = dt.datetime.combine(self.date_to + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
        return start, end


# --- Changes (simple-history) ----------------------------------------------------------------


@dataclass
class FieldChange:
    label: str
    old: str = ""
    new: str = ""
    hidden: bool = False

    def __str__(self):
        if self.hidden:
            return f"{self.label}: {self.new or HIDDEN}"
        if self.old == "" and self.new != "":
            return f"{self.label}: {self.new}"
        return f"{self.label}: {self.old or '—'} → {self.new or '—'}"


@dataclass
class ChangeRow:
    """One history row: who, when, which record, and what changed against the previous row
    of the same record (for a creation: its initial values)."""

    when: dt.datetime
    who: str
    kind: str  # created / changed / deleted
    model: str  # verbose name
    object_id: int
    case_id: int | None
    case_reference: str = ""
    changes: list[FieldChange] = field(default_factory=list)

    @property
    def is_deletion(self) -> bool:
        """Whether the row records the deletion of the record."""
        return self.kind == HISTORY_TYPES["-"]


@functools.cache
def _history_model(key: str):
    """The history table of the case-data model ``key``. Asked once per process:
    ``Model.history`` builds a new manager class on every access (simple-history), which cost
    more than the review's 17 queries together."""
    return CASE_MODELS[key][0].history.model


def _history_querysets(*, scope: dict, flt: AuditFilter):
    """Yields (key, filtered history queryset) per case-data model."""
    action = flt.section_action("change")
    if action is None:
        return
    start, end = flt.bounds()
    for key, (_, case_path) in CASE_MODELS.items():
        qs = _history_model(key)._default_manager.all()
        if "case" in scope:
            qs = qs.filter(**{case_path: scope["case"]})
        else:
            district_path = "district_id" if key == "case" else case_path[:-3] + "__district_id"
            qs = qs.filter(**{district_path: scope["district"]})
        if flt.case is not None:
            qs = qs.filter(**{case_path: flt.case.pk})
        if flt.actor is not None:
            qs = qs.filter(history_user_id=flt.actor.pk)
        if start:
            qs = qs.filter(history_date__gte=start)
        if end:
            qs = qs.filter(history_date__lt=end)
        if flt.until:
            qs = qs.filter(history_date__lte=flt.until)
        if action:
            qs = qs.filter(history_type=action)
        yield key, qs


def _after_q(key: str, after: tuple[dt.datetime, str, int]) -> Q:
    """The rows of the history table ``key`` that come after the row ``after`` (its
    history_date, model key, history_id) in the review's order: newest first, then by model
    key, then newest history id first. The model key is constant within a table, so the
    condition on it is decided here and each table's query keeps to its own index. In the
    row's own table the bound on the date stands alone (``history_date <= when``, then the
    tie on the id): written as one OR the index lost its bound, and every chunk scanned that
    table from its newest row down to the cursor, so an export slowed as it went."""
    when, after_key, after_id = after
    if key > after_key:
        return Q(history_date__lte=when)
    if key < after_key:
        return Q(history_date__lt=when)
    return Q(history_date__lte=when) & (Q(history_date__lt=when) | Q(history_id__lt=after_id))


def _history_union(
    *, scope: dict, flt: AuditFilter, limit: int, after: tuple[dt.datetime, str, int] | None = None
):
    """One query over every history table: (history_id, history_date, model key), newest
    first, enough rows for the first ``limit`` (after the row ``after``, a keyset cursor,
    when given); or None when the filter excludes changes. Where the database allows it
    (PostgreSQL), each table gives only its newest ``limit`` rows, so that the sort never
    holds the whole district's history."""
    ordering = ("-history_date", "-history_id")
    cut = connection.features.supports_slicing_ordering_in_compound
    parts = []
    for key, qs in _history_querysets(scope=scope, flt=flt):
        if after is not None:
            qs = qs.filter(_after_q(key, after))
        part = (
            qs.annotate(model_key=Value(key, output_field=CharField()))
            .order_by(*ordering)
            .values_list("history_id", "history_date", "model_key")
        )
        parts.append(part[:limit] if cut else part.order_by())
    if not parts:
        return None
    return (
        parts[0].union(*parts[1:], all=True).order_by("-history_date", "model_key", "-history_id")
    )


# Values no row has, standing for a filter's values in the page query compiled once per shape
# (``_history_page``): a case or district id, a case, a person, and the range's bounds.
_SCOPE_STAND_IN, _CASE_STAND_IN, _ACTOR_STAND_IN = -987654301, -987654302, -987654303
_FROM_STAND_IN, _TO_STAND_IN = dt.date(1901, 1, 2), dt.date(1901, 1, 5)
# The page query's SQL and parameters per shape of the filter, compiled by the ORM once.
_PAGE_SQL: dict[tuple, tuple[str, tuple, dict]] = {}
_PAGE_SQL_MAX = 256


def _history_page(*, scope: dict, flt: AuditFilter, number: int) -> tuple[list, bool]:
    """Page ``number`` of the history union (``_history_union``): its (history_id, model key)
    pairs, newest first, and whether a next page exists. Building and compiling the 17-table
    union through the ORM cost more than a tenth of the page's time; its SQL depends only on
    which filters are set (and the page), so it is compiled once per such shape, with values no
    row has standing for the filter's values; each call puts its own values at the positions
    those stand-ins took among the parameters (the SQL text is never edited). The export
    (``until``) and a filter that leaves the changes out take the ORM's way."""
    if flt.until is not None or flt.section_action("change") is None:
        union = _history_union(scope=scope, flt=flt, limit=number * PAGE_SIZE + 1)
        page, more = _page_slice(union, number) if union is not None else ([], False)
        return [(history_id, key) for history_id, _, key in page], more
    start, end = flt.bounds()
    shape = (
        connection.alias,
        connection.vendor,
        "case" in scope,
        flt.case is not None,
        flt.actor is not None,
        flt.date_from is not None,
        flt.date_to is not None,
        flt.action,
        number,
        PAGE_SIZE,
    )
    compiled = _PAGE_SQL.get(shape)
    if compiled is None:
        stand_in = AuditFilter(
            actor=User(pk=_ACTOR_STAND_IN) if flt.actor is not None else None,
            date_from=_FROM_STAND_IN if flt.date_from is not None else None,
            date_to=_TO_STAND_IN if flt.date_to is not None else None,
            action=flt.action,
            case=Case(pk=_CASE_STAND_IN) if flt.case is not None else None,
        )
        stand_in_start, stand_in_end = stand_in.bounds()
        union = _history_union(
            scope={("case" if "case" in scope else "district"): _SCOPE_STAND_IN},
            flt=stand_in,
            limit=number * PAGE_SIZE + 1,
        )
        offset = (number - 1) * PAGE_SIZE
        query = union[offset : offset + PAGE_SIZE + 1].query
        sql, params = query.get_compiler(connection=connection).as_sql()
        # Where each stand-in went: the positions of the parameters that are it.
        adapt = connection.ops.adapt_datetimefield_value
        names = {
            _SCOPE_STAND_IN: "scope",
            _CASE_STAND_IN: "case",
            _ACTOR_STAND_IN: "actor",
        }
        if stand_in_start is not None:
            names[adapt(stand_in_start)] = "start"
        if stand_in_end is not None:
            names[adapt(stand_in_end)] = "end"
        slots = {i: names[p] for i, p in enumerate(params) if _hashable(p) and p in names}
        if len(_PAGE_SQL) >= _PAGE_SQL_MAX:
            _PAGE_SQL.clear()
        compiled = _PAGE_SQL[shape] = (sql, tuple(params), slots)
    sql, params, slots = compiled
    adapt = connection.ops.adapt_datetimefield_value
    values = {
        "scope": scope.get("case", scope.get("district")),
        "case": flt.case.pk if flt.case is not None else None,
        "actor": flt.actor.pk if flt.actor is not None else None,
        "start": adapt(start) if start is not None else None,
        "end": adapt(end) if end is not None else None,
    }
    params = [values[slots[i]] if i in slots else p for i, p in enumerate(params)]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        page = [(row[0], row[2]) for row in cursor.fetchall()]
    return page[:PAGE_SIZE], len(page) > PAGE_SIZE


def _hashable(value) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


class _LabelCache:
    """Turns foreign-key ids into names (people, schools, districts, platforms) and case ids
    into references, with one query per page whatever it holds."""

    def __init__(self):
        self.wanted: dict[type, set] = {}
        self.names: dict[tuple[type, object], str] = {}

    @staticmethod
    @functools.cache
    def named() -> dict[type, str]:
        from policies.models import Platform

        return {
            User: "username",
            School: "name",
            District: "name",
            Platform: "name",
            Case: "reference",
        }

    def want(self, model, pk):
        if pk is not None and model in self.named():
            self.wanted.setdefault(model, set()).add(pk)

    def load(self):
        """Reads the names wanted, in one query (none when nothing is wanted); only the
        tables with ids wanted are part of it (compiling the others cost as much as reading)."""
        named = self.named()
        parts = [
            model.objects.filter(pk__in=self.wanted[model])
            .order_by()
            .annotate(label_kind=Value(model._meta.label_lower, output_field=CharField()))
            .values_list("label_kind", "pk", attr)
            for model, attr in named.items()
            if self.wanted.get(model)
        ]
        if not parts:
            return
        by_label = {model._meta.label_lower: model for model in named}
        for kind, pk, name in parts[0].union(*parts[1:], all=True):
            self.names[(by_label[kind], pk)] = str(name)

    def label(self, model, pk) -> str:
        if pk is None:
            return ""
        name = self.names.get((model, pk))
        return name if name is not None else f"{model._meta.verbose_name} #{pk}"


class _FieldSpec:
    """What a diff needs of one tracked field, worked out once per page or export chunk: its
    label, the model its ids name (relations), its choices' labels and whether the auditor
    may see its values. A chunk formats hundreds of thousands of values; a translation
    lookup, a choices dict or a field hash per value was most of its time."""

    __slots__ = ("field", "name", "title", "related", "choices", "metadata")

    def __init__(self, model_field, *, metadata: bool):
        self.field = model_field
        self.name = model_field.name
        self.title = str(model_field.verbose_name).capitalize()
        self.related = model_field.related_model if model_field.is_relation else None
        self.choices = (
            {k: str(v) for k, v in model_field.flatchoices}
            if model_field.choices and self.related is None
            else None
        )
        self.metadata = metadata


class _Formatter:
    """Shows history values as text (people, schools and cases by name through ``labels``;
    dates in the site's time zone)."""

    def __init__(self, labels: _LabelCache, *, moment: MomentTexts | None = None):
        self.labels = labels
        self.zone = timezone.get_current_timezone()
        # Formatting each instant anew was most of an export chunk's time; the export keeps
        # one set of texts for all its chunks (each chunk formatted its dates and minutes
        # again).
        self.moment = moment if moment is not None else MomentTexts(self.zone)

    def format(self, spec: _FieldSpec, value) -> str:
        if value is None or value == "":
            return ""
        if spec.related is not None:
            return self.labels.label(spec.related, value)
        if spec.choices is not None:
            return str(spec.choices.get(value, value))
        if isinstance(value, bool):
            return "Yes" if value else "No"
        if isinstance(value, dt.datetime):
            return self.moment(value)
        if isinstance(value, dt.date):
            return value.strftime("%b %d, %Y")
        if isinstance(value, list | dict):
            return json.dumps(value, ensure_ascii=False)
        return str(value)


def _format(model_field, value, labels: _LabelCache) -> str:
    """One value of a field as text (see ``_Formatter``)."""
    return _Formatter(labels).format(_FieldSpec(model_field, metadata=True), value)


def _specs(key: str) -> list[_FieldSpec]:
    """The fields of the history table ``key`` that a diff names, in declaration order, with
    their labels in the active language (worked out once per table and language; the list is
    shared and must not be changed)."""
    return _specs_in(key, frozenset(METADATA_FIELDS[key]), translation.get_language())


@functools.cache
def _specs_in(key: str, allowed: frozenset, language: str | None) -> list[_FieldSpec]:
    history = _history_model(key)
    return [
        _FieldSpec(f, metadata=f.name in allowed)
        for f in history.tracked_fields
        if f.editable and f.name not in SKIPPED_FIELDS
    ]


def _diff_values(specs: list, kind: str, values: tuple, previous: tuple | None) -> list:
    """The (field spec, old, new) triples of one history row, from the raw values of its
    tracked fields (``values``, in ``specs`` order) and of the previous row of the same
    record: every field whose value differs (simple-history's ``diff_against`` compares the
    same values), or for a creation the initial values that are set; a deletion lists none."""
    if previous is not None and kind != "-":
        return [
            (f, old, new) for f, old, new in zip(specs, previous, values, strict=True) if old != new
        ]
    if kind == "+":
        # Set: not None, "", [] or {}. A true value is set (the cheap test first: most values
        # are; comparing a date or a number with "" took longer than the rest of the test).
        return [
            (f, None, new)
            for f, new in zip(specs, values, strict=True)
            if new or (new is not None and new != "" and not isinstance(new, list | dict))
        ]
    return []


def _change_text(label: str, old: str, new: str) -> str:
    """A shown change as text, as ``FieldChange.__str__`` writes it."""
    if old == "" and new != "":
        return f"{label}: {new}"
    return f"{label}: {old or '—'} → {new or '—'}"


class _AnyOf(Lookup):
    """``lhs = ANY(%s)`` with the list of integers as one array parameter (PostgreSQL)."""

    lookup_name = "any_of"
    prepare_rhs = False

    def get_prep_lookup(self):
        return [int(value) for value in self.rhs]

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        return f"{lhs} = ANY(%s)", (*lhs_params, self.rhs)


def _history_ids_in(ids: list[int]):
    """The condition "history_id is one of ``ids``". On PostgreSQL the ids are one array
    parameter (``= ANY(%s)``): Django prepares each value of an IN list on its own, which
    for an export chunk's thousands of ids cost as much as running the query."""
    if connection.vendor != "postgresql":
        return Q(history_id__in=ids)
    return _AnyOf(F("history_id"), ids)


def _change_rows(
    *,
    page_keys: list[tuple[int, str]],
    show_content: bool,
    export: bool = False,
    moment: MomentTexts | None = None,
    stream: bool = False,
) -> list | Iterator[tuple]:
    """Builds the rows of one page: per model, the page's history rows as plain values with
    the id of each one's previous row (one query), then those previous rows (one query); then
    the cases' references and the names of the people, schools and platforms (one query).
    Returns ``ChangeRow`` objects, or with ``export`` the rows of the CSV export: ("change",
    when, who, case reference, what, detail), the detail being the changes as the page shows
    them (``FieldChange.__str__``) joined by "; ". ``moment`` is the instants' texts to reuse
    (the export keeps one for all its chunks; by default one for this page). With ``stream``
    the export rows come as an iterator, each made when it is read (a chunk's rows are not
    all held at once)."""
    by_model: dict[str, list[int]] = {}
    for history_id, key in page_keys:
        by_model.setdefault(key, []).append(history_id)
    labels = _LabelCache()
    formatter = _Formatter(labels, moment=moment)
    found: dict[tuple[str, int], tuple] = {}
    # The export keeps each model's specs and previous rows, and per history row only its
    # values; it works out the differences as it writes the rows.
    model_specs: dict[str, list] = {}
    model_previous: dict[str, dict] = {}
    for key, ids in by_model.items():
        case_path = CASE_MODELS[key][1]
        history = _history_model(key)
        specs = _specs(key)
        names = [spec.field.attname for spec in specs]
        previous_id = (
            history.objects.filter(id=OuterRef("id"), history_id__lt=OuterRef("history_id"))
            .order_by("-history_id")
            .values("history_id")[:1]
        )
        rows = list(
            history.objects.filter(_history_ids_in(ids))
            .annotate(previous_id=Subquery(previous_id), audit_case_id=F(case_path))
            .order_by()
            .values_list(
                "history_id",
                "history_date",
                "history_type",
                "history_user__username",
                "id",
                "audit_case_id",
                "previous_id",
                *names,
            )
        )
        wanted = [r[6] for r in rows if r[6] is not None]
        previous = {}
        if wanted:
            previous = {
                r[0]: r[1:]
                for r in history.objects.filter(_history_ids_in(wanted))
                .order_by()
                .values_list("history_id", *names)
            }
        want = labels.want
        if export:
            model_specs[key], model_previous[key] = specs, previous
            # Every value of a shown relation, changed or not, is named: a few more names in
            # the one query, and no list of differences held per row until it is written.
            related = [
                (i, spec.related)
                for i, spec in enumerate(specs)
                if spec.related is not None and (show_content or spec.metadata)
            ]
            for row in rows:
                values = row[7:]
                before = previous.get(row[6])
                for i, model in related:
                    want(model, values[i])
                    if before is not None:
                        want(model, before[i])
                want(Case, row[5])
                found[(key, row[0])] = row
            continue
        for row in rows:
            fields = _diff_values(specs, row[2], row[7:], previous.get(row[6]))
            for spec, old, new in fields:
                if spec.related is not None and (show_content or spec.metadata):
                    want(spec.related, old)
                    want(spec.related, new)
            want(Case, row[5])
            found[(key, row[0])] = (row, fields)
    if found:
        labels.load()
    result = []
    titles = {key: str(CASE_MODELS[key][0]._meta.verbose_name).capitalize() for key in by_model}
    fmt = formatter.format
    if export:
        rows = _export_change_rows(
            page_keys,
            found,
            model_specs,
            model_previous,
            titles,
            labels.names,
            fmt,
            show_content=show_content,
        )
        return rows if stream else list(rows)
    for history_id, key in page_keys:
        entry = found.get((key, history_id))
        if entry is None:
            continue
        (_, when, kind, username, object_id, case_id, *_), fields = entry
        hidden_text = HIDDEN_SET if kind == "+" else HIDDEN
        result.append(
            ChangeRow(
                when=when,
                who=username if username is not None else "system",
                kind=HISTORY_TYPES.get(kind, kind),
                model=titles[key],
                object_id=object_id,
                case_id=case_id,
                case_reference=labels.names.get((Case, case_id), ""),
                changes=[
                    FieldChange(label=spec.title, old=fmt(spec, old), new=fmt(spec, new))
                    if show_content or spec.metadata
                    else FieldChange(label=spec.title, new=hidden_text, hidden=True)
                    for spec, old, new in fields
                ],
            )
        )
    return result


def _export_change_rows(
    page_keys, found, specs, previous, titles, names, fmt, *, show_content: bool
) -> Iterator[tuple]:
    """The export's rows of one chunk (see ``_change_rows``), one at a time: ("change", when,
    who, case reference, what, detail). A shown change's text is worked out once per field
    and pair of values in the chunk (the same stage, school or person recurs on thousands of
    rows); the chunk bounds what is kept, and relations are named by this chunk's labels."""
    texts: dict[tuple, str] = {}
    created: dict[_FieldSpec, dict] = {}
    hidden_texts: dict[tuple, str] = {}
    # What a kind of row says ("Case party #12 changed" but for the id), per model and kind.
    what = {}
    for history_id, key in page_keys:
        row = found.get((key, history_id))
        if row is None:
            continue
        _, when, kind, username, object_id, case_id, previous_id = row[:7]
        before = previous[key].get(previous_id)
        parts = []
        if before is None and kind == "+":
            # A creation (most rows): its set values, as ``_diff_values`` picks them, each
            # value's text kept per field (no triple per value).
            for spec, new in zip(specs[key], row[7:], strict=True):
                if new or (new is not None and new != "" and not isinstance(new, list | dict)):
                    if show_content or spec.metadata:
                        by_value = created.get(spec)
                        if by_value is None:
                            by_value = created[spec] = {}
                        try:
                            text = by_value.get(new)
                        except TypeError:  # a list or dict (JSON) value: not kept
                            text = _change_text(spec.title, fmt(spec, None), fmt(spec, new))
                        else:
                            if text is None:
                                text = by_value[new] = _change_text(
                                    spec.title, fmt(spec, None), fmt(spec, new)
                                )
                    else:
                        text = hidden_texts.get((spec, kind))
                        if text is None:
                            text = hidden_texts[(spec, kind)] = f"{spec.title}: {HIDDEN_SET}"
                    parts.append(text)
            fields = ()
        else:
            fields = _diff_values(specs[key], kind, row[7:], before)
        for change in fields:  # (spec, old, new): the key of its text
            spec = change[0]
            if show_content or spec.metadata:
                try:
                    text = texts.get(change)
                except TypeError:  # a list or dict (JSON) value: not kept
                    _, old, new = change
                    parts.append(_change_text(spec.title, fmt(spec, old), fmt(spec, new)))
                    continue
                if text is None:
                    _, old, new = change
                    text = texts[change] = _change_text(spec.title, fmt(spec, old), fmt(spec, new))
            else:
                text = hidden_texts.get((spec, kind))
                if text is None:
                    hidden = HIDDEN_SET if kind == "+" else HIDDEN
                    text = hidden_texts[(spec, kind)] = f"{spec.title}: {hidden}"
            parts.append(text)
        head = what.get((key, kind))
        if head is None:
            head = what[(key, kind)] = (f"{titles[key]} #", f" {HISTORY_TYPES.get(kind, kind)}")
        yield (
            "change",
            when,
            username if username is not None else "system",
            names.get((Case, case_id), ""),
            f"{head[0]}{object_id}{head[1]}",
            "; ".join(parts),
        )


# --- The review ------------------------------------------------------------------------------


class Section:
    """One page of one section of the review. Pages are read without counting every row of
    the district (one row more than the page tells whether a next page exists)."""

    def __init__(self, *, rows: list, number: int, has_more: bool):
        self.object_list = rows
        self.number = number
        self.more = has_more

    def __iter__(self):
        return iter(self.object_list)

    def __len__(self):
        return len(self.object_list)

    def has_previous(self):
        return self.number > 1

    def has_next(self):
        return self.more

    def previous_page_number(self):
        return self.number - 1

    def next_page_number(self):
        return self.number + 1


# Deep pages are slow with OFFSET; past this, narrow the filter or export.
MAX_PAGE = 1000


def _page_number(value) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = 1
    return min(max(number, 1), MAX_PAGE)


def _page_slice(rows, number: int) -> tuple[list, bool]:
    offset = (number - 1) * PAGE_SIZE
    page = list(rows[offset : offset + PAGE_SIZE + 1])
    return page[:PAGE_SIZE], len(page) > PAGE_SIZE


def _log_filtered(
    qs: QuerySet, *, scope: dict, flt: AuditFilter, district: str, actor: str, action_field: str
) -> QuerySet:
    """Narrows a log (the case timeline or the access log) to the scope and the filter;
    ``district``, ``actor`` and ``action_field`` name that log's own fields."""
    action = flt.section_action("event" if action_field == "event_type" else "access")
    if action is None:
        return qs.none()
    if "case" in scope:
        qs = qs.filter(case_id=scope["case"])
    else:
        qs = qs.filter(**{district: scope["district"]})
    start, end = flt.bounds()
    if flt.case is not None:
        qs = qs.filter(case_id=flt.case.pk)
    if flt.actor is not None:
        qs = qs.filter(**{actor: flt.actor.pk})
    if start:
        qs = qs.filter(created_at__gte=start)
    if end:
        qs = qs.filter(created_at__lt=end)
    if flt.until:
        qs = qs.filter(created_at__lte=flt.until)
    if action:
        qs = qs.filter(**{action_field: action})
    return qs.order_by("-pk")


def _event_queryset(*, scope: dict, flt: AuditFilter) -> QuerySet[CaseEvent]:
    qs = CaseEvent.objects.select_related("actor", "case")
    return _log_filtered(
        qs,
        scope=scope,
        flt=flt,
        district="case__district_id",
        actor="actor_id",
        action_field="event_type",
    )


def _access_queryset(*, scope: dict, flt: AuditFilter) -> QuerySet[AccessEvent]:
    qs = AccessEvent.objects.select_related("case")
    return _log_filtered(
        qs, scope=scope, flt=flt, district="district_id", actor="user_id", action_field="action"
    )


# The columns the review's pages read of a timeline row and of an access-log row (with the
# actor's name, and on the district's page the case's reference): the joined case and user
# rows are wide, and loading them whole was a good part of a page's time.
EVENT_PAGE_FIELDS = (
    "id", "case_id", "actor_id", "event_type", "from_stage", "to_stage", "created_at",
    "row_hash", "actor__username",
)  # fmt: skip
ACCESS_PAGE_FIELDS = (
    "id", "user_id", "username", "district_id", "case_id", "action", "path", "method",
    "allowed", "ip_address", "created_at",
)  # fmt: skip


@dataclass
class AuditReview:
    """What the review page shows: the three sections and whether values are shown."""

    case: Case | None
    show_content: bool
    changes: Section
    events: Section
    accesses: Section


def _scope(*, user, case: Case | None) -> dict:
    return {"case": case.pk} if case is not None else {"district": user.district_id}


def audit_review_for_user(
    *, user, flt: AuditFilter, case: Case | None = None, pages: dict | None = None
) -> AuditReview:
    """Returns one page of each section of the review, for the user's district or for one
    case (already fetched with ``audit_case_get``). A constant number of queries whatever
    the number of rows: a page per section, and for the changes at most two queries per
    model on the page, the cases' references and the names of the people, schools and
    platforms named."""
    audit_district_check(user=user)
    if case is not None and case.district_id != user.district_id:
        raise Http404("No such page.")
    pages = pages or {}
    scope = _scope(user=user, case=case)
    show_content = audit_content_visible(user)

    number = _page_number(pages.get("changes"))
    keys, more = _history_page(scope=scope, flt=flt, number=number)
    changes = Section(
        rows=_change_rows(page_keys=keys, show_content=show_content),
        number=number,
        has_more=more,
    )
    events = _event_queryset(scope=scope, flt=flt)
    accesses = _access_queryset(scope=scope, flt=flt)
    if case is None:
        events = events.only(*EVENT_PAGE_FIELDS, "case__reference")
        accesses = accesses.only(*ACCESS_PAGE_FIELDS, "case__reference")
    else:
        # A case's own page has no "Case" column: its rows are read without the case.
        events = events.select_related(None).select_related("actor").only(*EVENT_PAGE_FIELDS)
        accesses = accesses.select_related(None).only(*ACCESS_PAGE_FIELDS)
    sections = {}
    for name, qs in (("events", events), ("accesses", accesses)):
        number = _page_number(pages.get(name))
        rows, more = _page_slice(qs, number)
        if name == "accesses":
            for row in rows:
                row.path_shown = access_path_shown(row.path, show_content=show_content)
        sections[name] = Section(rows=rows, number=number, has_more=more)
    return AuditReview(case=case, show_content=show_content, changes=changes, **sections)


def audit_export_rows(*, user, flt: AuditFilter, case: Case | None = None, chunk: int = 5000):
    """Yields every row of the filtered review as (section, when, who, case reference, what,
    detail), with the same masking as the pages, reading ``chunk`` rows at a time."""
    audit_district_check(user=user)
    if case is not None and case.district_id != user.district_id:
        raise Http404("No such page.")
    scope = _scope(user=user, case=case)
    show_content = audit_content_visible(user)
    # Rows written while the export runs are left out, so that its chunks do not shift.
    flt = dataclasses.replace(flt, until=timezone.now())
    # Keyset pagination: each chunk starts after the last row of the one before, so a chunk
    # deep in a district's history costs what the first one does (an offset made it
    # quadratic: every chunk re-read and re-sorted all the rows before it).
    after = None
    moment = MomentTexts(timezone.get_current_timezone())
    while True:
        union = _history_union(scope=scope, flt=flt, limit=chunk, after=after)
        if union is None:
            break
        rows = list(union[:chunk])
        if not rows:
            break
        keys = [(hid, key) for hid, _, key in rows]
        last_id, last_when, last_key = rows[-1]
        after = (last_when, last_key, last_id)
        yield from _change_rows(
            page_keys=keys, show_content=show_content, export=True, moment=moment, stream=True
        )
    # The logs are read as plain values (no model instances), with the labels worked out
    # once: the export writes millions of rows and each row's cost is what counts.
    events = _event_queryset(scope=scope, flt=flt).values_list(
        "created_at", "actor__username", "case__reference", "event_type", "from_stage",
        "to_stage", "row_hash",
    )  # fmt: skip
    stage_texts: dict[tuple, str] = {}
    for (
        created_at,
        username,
        reference,
        event_type,
        from_stage,
        to_stage,
        row_hash,
    ) in events.iterator(chunk_size=chunk):
        stages = ""
        if from_stage or to_stage:
            # A handful of stage pairs: each pair's text is written once.
            stages = stage_texts.get((from_stage, to_stage))
            if stages is None:
                stages = stage_texts[(from_stage, to_stage)] = (
                    f"Stage: {stage_label(from_stage) or '—'} → {stage_label(to_stage) or '—'}"
                )
        yield (
            "timeline",
            created_at,
            username if username is not None else "system",
            reference,
            event_type,
            f"{stages} hash {row_hash[:12]}".strip(),
        )
    accesses = _access_queryset(scope=scope, flt=flt).values_list(
        "created_at", "username", "case__reference", "action", "method", "path", "allowed",
        "ip_address",
    )  # fmt: skip
    for (
        created_at,
        username,
        reference,
        action,
        method,
        path,
        allowed,
        ip_address,
    ) in accesses.iterator(chunk_size=chunk):
        yield (
            "access",
            created_at,
            username,
            reference if reference is not None else "",
            action,
            f"{method} {access_path_shown(path, show_content=show_content)} "
            f"{'allowed' if allowed else 'refused'} "
            f"from {ip_address or '—'}",
        )


# Query parameters whose values are metadata (choices, ids, dates, page numbers, case
# references); the value of any other parameter (a search's terms, a form field prefilled
# from the address) can be content and is not shown to readers without case content.
METADATA_QUERY_PARAMS = {
    "page",
    "sort",
    "stage",
    "school",
    "ncii_kind",
    "respondent_affiliation",
    "harm_level",
    "assignee",
    "overdue",
    "measure",
    "profile",
    "date_from",
    "date_to",
    "actor",
    "action",
    "case",
    "changes_page",
    "events_page",
    "access_page",
}
NOT_SHOWN = "(other parameters not shown)"


def access_path_shown(path: str, *, show_content: bool) -> str:
    """The logged path as shown in the review: to readers without case content, the value of
    every query parameter that is not plain metadata (such as a search's terms, which can be
    names) is replaced."""
    if show_content or "?" not in path:
        return path
    base, _, query = path.partition("?")
    params = QueryDict(query)
    shown = QueryDict(mutable=True)
    hidden = False
    for name, values in params.lists():
        if name in METADATA_QUERY_PARAMS:
            shown.setlist(name, values)
        else:
            hidden = True  # its name too can be content ("?Jane%20Doe")
    # A query that QueryDict does not read as parameters (";q=Jane") is hidden as well.
    hidden = hidden or (query and not params)
    parts = [shown.urlencode()] if shown else []
    if hidden:
        parts.append(NOT_SHOWN)
    return f"{base}?{'&'.join(parts)}"


# --- Verification ----------------------------------------------------------------------------


# How many of the newest stored runs the review reads to find the newest genuine one.
VERIFICATION_RUNS_READ = 20


@dataclass
class DistrictVerification:
    """The latest genuine verification run as seen from one district: whether each chain
    verified, the problems naming rows of the district, and only a count of the others (rows of
    other districts and the chains' ends are not described). ``not_genuine`` counts newer stored
    runs whose keyed hash does not verify (written or changed outside the application): they
    are never shown as the latest run."""

    run: AuditVerification | None
    chains: list[dict] = field(default_factory=list)
    # Who asked for the run, when they belong to the district (another district's staff
    # are not named).
    asked_by: str = ""
    not_genuine: int = 0


def audit_verification_for_user(*, user) -> DistrictVerification:
    """Returns the newest stored verification run whose keyed hash verifies, for the user's
    district (one query, two more only when it found problems); Http404 for users who may not
    audit."""
    from ncii_cases.audit import (
        ACCESS_EVENT_CHAIN,
        CASE_EVENT_CHAIN,
        chain_family,
        verification_is_genuine,
    )

    audit_district_check(user=user)
    runs = AuditVerification.objects.select_related("requested_by").order_by("-pk")
    run, not_genuine = None, 0
    for candidate in runs[:VERIFICATION_RUNS_READ]:
        if verification_is_genuine(candidate):
            run = candidate
            break
        not_genuine += 1
    view = DistrictVerification(run=run, not_genuine=not_genuine)
    if run is None:
        return view
    if run.requested_by is not None and run.requested_by.district_id == user.district_id:
        view.asked_by = run.requested_by.username
    own_rows = {
        CASE_EVENT_CHAIN: lambda pks: CaseEvent.objects.filter(
            pk__in=pks, case__district_id=user.district_id
        ),
        ACCESS_EVENT_CHAIN: lambda pks: AccessEvent.objects.filter(
            pk__in=pks, district_id=user.district_id
        ),
    }
    # A problem of a district's chain (or of the closed installation-wide one) is filed under
    # its family; its rows are named only to the district they belong to.
    for chain in (CASE_EVENT_CHAIN, ACCESS_EVENT_CHAIN):
        problems = [p for p in run.problems if chain_family(p["chain"]) == chain]
        pks = [p["row"] for p in problems if p["row"] is not None]
        own = set(own_rows[chain](pks).values_list("pk", flat=True)) if pks else set()
        shown = [p["text"] for p in problems if p["row"] is not None and p["row"] in own]
        view.chains.append(
            {
                "chain": chain,
                "title": "Case timeline" if chain == CASE_EVENT_CHAIN else "Access log",
                "ok": not problems,
                "problems": shown,
                "elsewhere": len(problems) - len(shown),
            }
        )
    # The change history, the stored runs and the checkpoints: verified whole, counted only.
    others = [p for p in run.problems if chain_family(p["chain"]) not in own_rows]
    view.chains.append(
        {
            "chain": "history",
            "title": "Change history, checkpoints and stored checks",
            "ok": not others,
            "problems": [],
            "elsewhere": len(others),
        }
    )
    return view
