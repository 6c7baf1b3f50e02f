"""Reads for the queue (the home page): the cases a user may see with their next due time,
overdue flag and harm level, what needs action now, and counts by stage. Every read here is
a constant number of queries, whatever the number of cases."""

import datetime as dt
from dataclasses import dataclass, field

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import BooleanField, Count, Exists, F, OuterRef, Q, QuerySet, Value, When
from django.db.models import Case as When_
from django.utils import timezone
from django.utils.functional import SimpleLazyObject

from ncii_cases import choices as c
from ncii_cases import clocks
from ncii_cases.filters import DUE_FIRST, CaseQueueFilter, IndexedOrderingFilter
from ncii_cases.models import Case, CaseAssignment, School, User
from ncii_cases.permissions import (
    Action,
    case_stage_counts_visible_to,
    cases_visible_to,
    roles_assignable,
    schools_of_visible_cases,
    user_can_anywhere,
    user_role,
)
from ncii_cases.selectors.cases import parties_visible_to, party_readable_q

SOON = dt.timedelta(hours=48)
# The fields a ``QueueRow`` reads (the lists and the page's rows load these alone: not the
# narrative and the rest of each case).
ROW_FIELDS = ("reference", "title", "stage", "next_due_at", "reported_at", "school__name")
# A search lists the ids of its matches, sorted, in one query, at most this many: their number
# (the pager's count) and any page then come from that one list, so the search runs once.
# A broader search is counted and paged by the database (the search then runs twice).
SEARCH_IDS_LISTED = 5000


def ids_listed(sql: str, params) -> list[int]:
    """The first value of each row of the query ``sql`` with ``params`` (ids, sorted), in
    its order.

    On PostgreSQL the query runs with parallel workers off, for that query alone (``SET
    LOCAL`` sent with it: the string of the two runs as one transaction; inside an enclosing
    transaction the setting lasts until that one ends). A search by a common name reads a
    few thousand matches through index probes, a few milliseconds' work: the planner chose to
    share it with a worker process, whose start cost more than the work (at 100,000 cases the
    search's query took twice as long with the worker)."""
    if connection.vendor == "postgresql":
        sql = f"SET LOCAL max_parallel_workers_per_gather = 0; {sql}"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]


def cases_annotated(cases: QuerySet[Case], *, now: dt.datetime) -> QuerySet[Case]:
    """Adds ``is_overdue`` (the stored ``next_due_at``, the earliest due instant of the case's
    open clocks, is at or before ``now``: ``clocks.overdue_q``) and ``harm_level`` to each
    case (the harm rank is the stored ``Case.harm_rank``)."""
    return cases.annotate(
        is_overdue=When_(
            When(clocks.overdue_q("next_due_at", now), then=Value(True)),
            default=Value(False),
            output_field=BooleanField(),
        ),
        harm_level=F("harm_assessment__level"),
    )


class IdsFirstList:
    """The queue's rows for ``Paginator``, read ids first: a slice selects the page's ids with
    the sort alone over the filtered cases (no join, no annotation: PostgreSQL reads them from
    the sort's index, ``filters.SORT_ORDER``), as a subquery of the one query that fetches
    those rows with their annotations by primary key, sorted again by the same whole order
    (its last key is the primary key, so the order is the ids'). Page 50 then costs what page
    1 costs, bar reading 1,250 index entries. ``count()`` is the queue's count (known without
    listing).

    ``ids`` is either that sorted queryset of ids or, for a search, the list of every
    matching id already read in that order (``SEARCH_IDS_LISTED``): a page is then a slice
    of the list, and an empty page reads nothing."""

    ordered = True  # the ids query is always sorted (no Paginator warning)

    def __init__(self, ids: QuerySet | list[int], *, count: int, now: dt.datetime):
        self.ids = ids
        self._count = count
        self.now = now

    def count(self) -> int:
        return self._count

    def __len__(self) -> int:
        return self._count

    def __getitem__(self, index):
        if not isinstance(index, slice):
            raise TypeError("The queue's rows are read a page (a slice) at a time.")
        page_ids = self.ids[index]
        if isinstance(page_ids, list):
            if not page_ids:
                return []
            rows = cases_annotated(Case.objects.filter(pk__in=page_ids), now=self.now)
            rows = rows.select_related("school").only(*ROW_FIELDS)
            position = {pk: i for i, pk in enumerate(page_ids)}
            return sorted(rows, key=lambda case: position[case.pk])
        rows = cases_annotated(Case.objects.filter(pk__in=page_ids), now=self.now)
        rows = rows.select_related("school").only(*ROW_FIELDS)
        return list(rows.order_by(*self.ids.query.order_by))


@dataclass(slots=True)
class QueueRow:
    """One case as the queue's lists show it, worked out once in Python rather than by the
    template for each row: its URL, reference, title, school's name, stage label, harm
    level (value), next due (``due``: its ``clocks.DueText``, or the stopped clock of
    ``clocks.next_due_clock`` when nothing is due; ``has_due`` says which), reported
    instant and overdue flag (the ``is_overdue`` annotation)."""

    pk: int
    url: str
    reference: str
    title: str
    school: str
    stage: str
    harm_level: str | None
    has_due: bool
    due: object
    reported_at: dt.datetime
    is_overdue: bool


class QueueRowMaker:
    """Makes ``QueueRow``s of cases (read with their school, and with ``cases_annotated``'s
    annotations where the overdue flag or the harm level is shown) at one instant ``now``
    in one time zone ``zone`` (the active one by default): the case URL is reversed once,
    and the due text of an instant is worked out once however many lists show it."""

    def __init__(self, *, now: dt.datetime | None = None, zone=None):
        self.now = now or clocks.now()
        self.zone = zone or timezone.get_current_timezone()
        self.url = Case.absolute_url_maker()
        self._due: dict[dt.datetime, clocks.DueText] = {}

    def due_text(self, due_at: dt.datetime) -> clocks.DueText:
        """``clocks.due_text`` of ``due_at`` at this maker's instant and zone (a list's row:
        no clock start known)."""
        text = self._due.get(due_at)
        if text is None:
            text = self._due[due_at] = clocks.due_text(due_at, now_=self.now, zone=self.zone)
        return text

    def row(self, case: Case) -> QueueRow:
        """The row of one case."""
        due_at = case.next_due_at
        return QueueRow(
            pk=case.pk,
            url=self.url(case.pk),
            reference=case.reference,
            title=case.title,
            school=str(case.school),
            stage=c.stage_label(case.stage),
            harm_level=getattr(case, "harm_level", None),
            has_due=due_at is not None,
            due=self.due_text(due_at) if due_at is not None else clocks.next_due_clock(case),
            reported_at=case.reported_at,
            is_overdue=getattr(case, "is_overdue", False),
        )

    def rows(self, cases) -> list[QueueRow]:
        """The rows of ``cases``, in their order."""
        return [self.row(case) for case in cases]


@dataclass
class Queue:
    filterset: CaseQueueFilter
    reads_content: bool
    stage_counts: list = field(default_factory=list)
    new_reports: list = field(default_factory=list)
    overdue: list = field(default_factory=list)
    due_soon: list = field(default_factory=list)
    total: int = 0
    # The schools of the user's district, by name (the school filter's options and the
    # names of the counts per school).
    schools: list = field(default_factory=list)
    # The number of cases listed, for the pager: ``total`` when no filter narrows the list
    # (known from the counts by stage), otherwise counted without the list's annotations.
    count: int | None = None
    # (school id, stage, number of cases) of every visible case.
    school_stage_counts: list = field(default_factory=list)
    # The listed cases for the pager, read ids first (``IdsFirstList``).
    rows: IdsFirstList | None = None

    @property
    def cases(self) -> QuerySet[Case]:
        """The visible cases, filtered, with the rows' annotations (next due time, overdue
        flag, harm level), in the queue's order (the sort given, else ``DUE_FIRST``). Built
        when read: the page itself reads its rows ids first (``rows``), so a search's
        conditions are not put together for a query that is never sent."""
        cases = self.filterset.qs
        return cases if self.filterset.sort_given() else cases.order_by(*DUE_FIRST)


def queue_staff_for_user(*, user) -> QuerySet[User]:
    """The accounts the queue's "Assigned to" filter offers: the active staff of the user's
    district who can hold an assignment on a case (a role that reads case content, as
    ``permissions.assignment_problem`` requires: not IT, not the auditor, not a role-less
    account), and anyone of the district who still holds an active assignment there (a role
    changed since). By last and first name, then by id: staff who share a name are listed in
    the same order on every page. None for a user without a role or a district."""
    if user_role(user) is None or user.district_id is None:
        return User.objects.none()
    still_assigned = CaseAssignment.objects.filter(
        user=OuterRef("pk"), ended_at__isnull=True, case__district_id=user.district_id
    )
    return User.objects.filter(
        Q(role__in=roles_assignable()) | Q(Exists(still_assigned)),
        district_id=user.district_id,
        is_active=True,
        is_superuser=False,
    ).order_by("last_name", "first_name", "pk")


def queue_schools_for_user(*, user) -> QuerySet[School]:
    """The schools the queue's school filter offers (and its table of counts lists):
    ``permissions.schools_of_visible_cases`` (a school administrator's own schools, the
    district's for everyone else who sees cases)."""
    return schools_of_visible_cases(user)


def school_stage_counts(
    *, user, visible: QuerySet[Case] | None = None
) -> list[tuple[int, str, int]]:
    """(school id, stage, number of cases) of the user's visible cases (VIEW_METADATA), for
    each school and stage holding one, in one query. Users who see whole schools or the
    district read the counts the database keeps with the cases (``CaseStageCount``): one
    row per school and stage, whatever the number of cases. Users who see their assigned
    cases count those: COUNT(*) rather than COUNT(id), so that PostgreSQL counts from the
    (district, school, stage) index alone. ``visible``: those cases,
    ``cases_visible_to(user, Action.VIEW_METADATA)``, when the caller built it already (its
    ordering and related rows are dropped)."""
    kept = case_stage_counts_visible_to(user, Action.VIEW_METADATA)
    if kept is not None:
        return list(kept.filter(cases__gt=0).values_list("school_id", "stage", "cases"))
    if visible is None:
        visible = cases_visible_to(user, Action.VIEW_METADATA)
    return list(visible.order_by().values_list("school_id", "stage").annotate(n=Count("*")))


def case_queue(
    *, user, params=None, now: dt.datetime | None = None, with_lists: bool = True
) -> Queue:
    """Returns the user's queue: the visible cases filtered and sorted by ``params``, the
    needs-action-now lists and counts by stage. The lists are left empty, unread, when
    ``with_lists`` is false (only the coordinator's full page shows them). Metadata-only users
    (the auditor) get a list of references, schools, stages and dates, and no content filter
    nor content sort; a search matches only parties the user may read, and the respondent
    filter is there only for users who may read respondents (not support staff)."""
    now = now or clocks.now()
    reads_content = user_can_anywhere(user, Action.VIEW)
    base = cases_visible_to(user, Action.VIEW_METADATA).select_related("school")
    annotated = cases_annotated(base, now=now)
    schools = queue_schools_for_user(user=user)
    school_list = list(schools.order_by("name"))
    filterset = CaseQueueFilter(
        params or None,
        annotated,
        schools=schools,
        school_list=school_list,
        staff=queue_staff_for_user(user=user),
        # Built only when a search or the respondent filter asks for it.
        parties=SimpleLazyObject(lambda: parties_visible_to(user)),
        party_readable=lambda: party_readable_q(user, case="", party="parties__"),
        reads_content=reads_content,
        # Respondents are discipline information: support staff never read them.
        reads_respondents=user_can_anywhere(user, Action.VIEW_DISCIPLINE),
        now=now,
    )
    # The whole order of the list (the sort given, else the next due first): the sorted ids
    # are built only when the database pages them (no search, or a search too broad to list).
    order = IndexedOrderingFilter.order_for(filterset.sort_given()) or DUE_FIRST
    queue = Queue(filterset=filterset, reads_content=reads_content, schools=school_list)
    # Counts per school and stage (the home's table) and, summed, per stage.
    queue.school_stage_counts = school_stage_counts(user=user, visible=base)
    counts: dict[str, int] = {}
    for _school_id, stage, n in queue.school_stage_counts:
        counts[stage] = counts.get(stage, 0) + n
    queue.stage_counts = [(value, label, counts.get(value, 0)) for value, label in c.Stage.choices]
    queue.total = sum(counts.values())
    listed = None
    if filterset.searches():
        # The matches' ids, sorted, read once: the count and the page come from them.
        unsearched = filterset.filter_unsorted(base.order_by(), skip=("q",))
        try:
            listed = ids_listed(
                *filterset.search_sorted_sql(unsearched, order, limit=SEARCH_IDS_LISTED + 1)
            )
        except EmptyResultSet:  # no case can match (a user who may see no case)
            listed = []
        if len(listed) > SEARCH_IDS_LISTED:
            listed = None
    if listed is not None:
        queue.count = len(listed)
        ids = listed
    else:
        # Paged by the database: the filtered cases' ids in the sort's index order, counted
        # apart only when a filter narrows the list.
        matching = filterset.filter_unsorted(base.order_by())
        ids = matching.order_by(*order).values_list("pk", flat=True)
        queue.count = matching.count() if filterset.narrows() else queue.total
    queue.rows = IdsFirstList(ids, count=queue.count, now=now)
    if not with_lists:
        return queue
    # The needs-action lists show no overdue flag nor harm level: the cases without the
    # list's annotations (no join to the harm assessment).
    open_cases = base.exclude(stage=c.Stage.CLOSED).only(*ROW_FIELDS)
    queue.new_reports = list(open_cases.filter(stage=c.Stage.INTAKE).order_by("reported_at")[:10])
    queue.overdue = list(open_cases.any_overdue(now).order_by("next_due_at")[:10])
    queue.due_soon = list(
        open_cases.filter(
            clocks.running_q("next_due_at", now), next_due_at__lt=now + SOON
        ).order_by("next_due_at")[:10]
    )
    return queue


__all__ = [
    "IdsFirstList",
    "QueueRow",
    "QueueRowMaker",
    "case_queue",
    "cases_annotated",
    "queue_staff_for_user",
    "school_stage_counts",
]
