"""The queue's filters and sort order over the cases a user may see (``queue.case_queue``).

A filter, a search or a sort must never tell what the user's case page hides (DESIGN.md:
need-to-know). So:

- filters and sorts on content (NCII kind, harm level, assignee; the title in a search) are
  offered only to users who may read case content, and ignored for the others, even forged;
- the respondent filter is offered only to users who may read respondents (discipline), and
  ignored for the others, even forged;
- a search matches party names and descriptions only of the parties the user may read
  (``selectors.parties_visible_to``, the rule of the case page), and the respondent filter
  only respondents the user may read.
"""

from html import escape as html_escape

import django_filters
from django import forms
from django.contrib.postgres.expressions import ArraySubquery
from django.db import connection
from django.db.models import BooleanField, F, Func, OrderBy, Q, QuerySet
from django.forms.utils import flatatt
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django_filters.fields import ModelChoiceIterator

from . import choices as c
from . import clocks
from .models import Case, CaseAssignment, Person, User

# The sorts: (field, parameter) and their labels; ``harm`` is content (the harm level).
SORT_FIELDS = (
    ("reference", "reference"),
    ("reported_at", "reported"),
    ("stage_rank", "stage"),
    ("next_due_at", "due"),
    ("harm_rank", "harm"),
)
SORT_LABELS = {
    "reference": _("Reference"),
    "reported": _("Reported"),
    "stage": _("Stage"),
    "due": _("Next due"),
    "harm": _("Harm level"),
}
# The whole order of each sort, tiebreak included, exactly as one index of ``Case`` stores it
# (``case_q_*``, led by the district), so that PostgreSQL reads a page of ids from the index
# alone at any depth; a descending sort reads the same index backwards. The harm sort is on
# the stored ``harm_rank`` (``harm_rank.py``), the stage sort on ``stage_rank`` (the process's
# order, ``choices.STAGE_PROCESS_ORDER``, worked out by the database).
DUE_FIRST = (F("next_due_at").asc(nulls_last=True), "-reported_at", "-pk")
SORT_ORDER = {
    "reference": ("reference", "pk"),
    "-reference": ("-reference", "-pk"),
    "reported": ("reported_at", "pk"),
    "-reported": ("-reported_at", "-pk"),
    "stage": ("stage_rank", "reported_at", "pk"),
    "-stage": ("-stage_rank", "-reported_at", "-pk"),
    "due": DUE_FIRST,
    "-due": (F("next_due_at").desc(nulls_first=True), "reported_at", "pk"),
    "harm": ("harm_rank", "reported_at", "pk"),
    "-harm": ("-harm_rank", "-reported_at", "-pk"),
}
CONTENT_SORTS = ("harm",)
# The most words of a search term matched as a full name against a party's first and last
# names; a longer term is no one's name (it still matches references, titles and descriptions).
SEARCH_NAME_WORDS = 6
# The longest search term accepted, in characters: a reference, a full name or a few words
# of a description fit many times over. A longer one is refused with a message (SQLite
# cannot match a pattern of tens of thousands of characters, and no one types one).
SEARCH_TERM_MAX_CHARS = 200


class PlainSelect(forms.Select):
    """A select whose options (and option groups) are written in Python rather than through
    one template each: a district's staff list has hundreds of options, and rendering them one
    template at a time cost more than everything else on the queue page and on the audit
    review (``reporting.forms``). Same markup as Django's select, every value and label
    escaped."""

    def render(self, name, value, attrs=None, renderer=None):
        selected = {str(v) for v in self.format_value(value)}

        # html.escape(str()) on each value and label, what django.utils.html.escape does,
        # without its check for lazy arguments, in one loop (no function call per option):
        # for the hundreds of staff options this was a tenth of the queue page's time, and
        # format_html per option cost twice as much again.
        parts = []
        for group_value, group_label in self.choices:
            if isinstance(group_label, list | tuple):
                parts.append(f'<optgroup label="{escape(group_value)}">')
                group = group_label
            else:
                group = ((group_value, group_label),)
            for v, label in group:
                v = str(v)
                parts.append(
                    f'<option value="{html_escape(v)}"{" selected" if v in selected else ""}>'
                    f"{html_escape(str(label))}</option>"
                )
            if group is group_label:
                parts.append("</optgroup>")
        # Every value and label above is escaped.
        parts = mark_safe("".join(parts))  # noqa: S308  # nosec B308, B703
        attrs = self.build_attrs(self.attrs, attrs)
        return format_html('<select name="{}"{}>{}</select>', name, flatatt(attrs), parts)


class ValuesChoiceIterator(ModelChoiceIterator):
    """The options of a ``ValuesModelChoiceField``: its empty label, then the (pk, label)
    pairs its ``options`` reads from the queryset's values, in one plain query (Django's
    iterator builds a model instance per option through a server-side cursor, three round
    trips on PostgreSQL, for hundreds of staff)."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        yield from self.field.options(self.queryset)

    def __len__(self):
        return len(list(iter(self)))


class ValuesModelChoiceField(django_filters.fields.ModelChoiceField):
    """A model choice whose options come from ``options(queryset)`` (pairs of primary key
    and label, from values); the value chosen is still validated against the queryset."""

    iterator = ValuesChoiceIterator

    def __init__(self, *args, options, **kwargs):
        self.options = options
        super().__init__(*args, **kwargs)


class ValuesModelChoiceFilter(django_filters.ModelChoiceFilter):
    field_class = ValuesModelChoiceField


def school_options(schools):
    """(pk, name) of each school, as ``School.__str__`` names it, by name."""
    return schools.order_by("name").values_list("pk", "name")


def staff_options(staff):
    """(pk, name) of each account, as ``User.__str__`` names it."""
    for pk, first_name, last_name, username in staff.values_list(
        "pk", "first_name", "last_name", "username"
    ):
        yield pk, User.name_shown(first_name, last_name, username)


class IndexedOrderingFilter(django_filters.OrderingFilter):
    """The queue's sort: each accepted parameter orders by its whole ``SORT_ORDER`` (with the
    tiebreak its index stores); several parameters order by each one's first key, then by the
    tiebreak of the first."""

    @staticmethod
    def order_for(value) -> tuple:
        """The ORDER BY terms of the sort parameters ``value`` (a list of ``SORT_ORDER``
        keys; others are ignored), or () when none is valid (the caller's default order)."""
        params = [v for v in (value or ()) if v in SORT_ORDER]
        if not params:
            return ()
        if len(params) == 1:
            return SORT_ORDER[params[0]]
        keys = [SORT_ORDER[p][0] for p in params]
        return (*keys, *SORT_ORDER[params[0]][1:])

    def filter(self, qs, value):
        order = self.order_for(value)
        return qs.order_by(*order) if order else qs


class _AmongArray(Func):
    """``expression = ANY(ARRAY(subquery))`` (PostgreSQL)."""

    template = "%(expressions)s)"
    arg_joiner = " = ANY("
    output_field = BooleanField()


def _order_term(term) -> tuple[str, str]:
    """(column, SQL) of one term of ``SORT_ORDER`` ("field", "-field" or ``F("field")``
    sorted with its nulls placed), as an ORDER BY term on a query whose columns are named as
    the fields (the primary key "pk"), with Django's meaning: a plain term puts nulls where
    the database does (PostgreSQL: last ascending, first descending; SQLite: the reverse),
    as the queue's other reads do."""
    if isinstance(term, str):
        column = term.lstrip("-")
        descending, nulls = term.startswith("-"), ""
    elif isinstance(term, OrderBy) and isinstance(term.expression, F):
        column, descending = term.expression.name, term.descending
        nulls = " NULLS LAST" if term.nulls_last else " NULLS FIRST" if term.nulls_first else ""
    else:
        raise ValueError(f"Not a sort term of the queue: {term!r}")
    column = "pk" if column in ("pk", "id") else column
    return column, f'"{column}" {"DESC" if descending else "ASC"}{nulls}'


def _pk_among(ids: QuerySet) -> Q | Func:
    """The condition "the case's primary key is one of ``ids``" (a query of one column).

    On PostgreSQL it is ``id = ANY(ARRAY(ids))``: the ids are worked out once and each is
    looked up by primary key, whatever number of them the planner guesses. As ``id IN
    (ids)``, a guess of a few thousand matches made it read the whole district's sort index
    to hash-join the matches (95,000 entries at 100,000 cases, for 1,600 matches)."""
    if connection.vendor != "postgresql":
        return Q(pk__in=ids)
    return _AmongArray(F("pk"), ArraySubquery(ids))


class CaseQueueFilter(django_filters.FilterSet):
    # Every select is a PlainSelect: the form is on every queue page, and Django's select
    # renders two templates per option.
    q = django_filters.CharFilter(
        method="filter_q",
        label=_("Reference or name"),
        max_length=SEARCH_TERM_MAX_CHARS,
        error_messages={
            "max_length": _(
                "Search for at most %(limit_value)d characters (you entered %(show_value)d): "
                "a reference, a name or a few words of a description."
            )
        },
    )
    school = ValuesModelChoiceFilter(
        queryset=None, label=_("School"), widget=PlainSelect, options=school_options
    )
    stage = django_filters.ChoiceFilter(
        choices=c.Stage.choices, label=_("Stage"), widget=PlainSelect
    )
    ncii_kind = django_filters.ChoiceFilter(
        choices=c.NciiKind.choices, label=_("Kind of imagery"), widget=PlainSelect
    )
    respondent_affiliation = django_filters.ChoiceFilter(
        choices=c.Affiliation.choices,
        method="filter_affiliation",
        label=_("Respondent is"),
        widget=PlainSelect,
    )
    harm_level = django_filters.ChoiceFilter(
        choices=c.Level.choices,
        field_name="harm_assessment__level",
        label=_("Harm level"),
        widget=PlainSelect,
    )
    assignee = ValuesModelChoiceFilter(
        queryset=None,
        method="filter_assignee",
        label=_("Assigned to"),
        widget=PlainSelect,
        options=staff_options,
    )
    overdue = django_filters.BooleanFilter(
        method="filter_overdue",
        label=_("Overdue only"),
        widget=forms.CheckboxInput,
    )
    sort = IndexedOrderingFilter(
        fields=SORT_FIELDS, field_labels=SORT_LABELS, label=_("Sort by"), widget=PlainSelect
    )

    CONTENT_FILTERS = ("ncii_kind", "respondent_affiliation", "harm_level", "assignee")
    RESPONDENT_FILTERS = ("respondent_affiliation",)

    def __init__(
        self,
        data=None,
        queryset=None,
        *,
        schools,
        staff,
        parties,
        party_readable,
        school_list=None,
        reads_content: bool,
        reads_respondents: bool,
        now=None,
        **kwargs,
    ):
        """``schools``, ``staff``: the querysets the school and assignee filters accept;
        ``school_list``: the same schools already read, in the order to offer them (their
        options are then not read again); ``parties``: the parties the user may read
        (``selectors.parties_visible_to``) and ``party_readable``, a function returning the
        same rule as a condition on cases joined to their parties
        (``selectors.party_readable_q``); ``reads_content``: whether the user may read case
        content (title, kind, harm, assignees); ``reads_respondents``: whether they may read
        respondents."""
        super().__init__(data, queryset, **kwargs)
        self.reads_content = reads_content
        self.parties = parties
        self.party_readable = party_readable
        self.now = now or clocks.now()
        self.filters["school"].queryset = schools
        if school_list is not None:
            self.filters["school"].extra["options"] = lambda _schools: [
                (school.pk, str(school)) for school in school_list
            ]
        self.filters["assignee"].queryset = staff
        hidden = set()
        if not reads_content:
            hidden |= set(self.CONTENT_FILTERS)
        if not (reads_content and reads_respondents):
            hidden |= set(self.RESPONDENT_FILTERS)
        for name in hidden:
            del self.filters[name]
        if not reads_content:
            self.filters["q"].label = _("Reference")  # names and titles are not searched
            # A sort by a hidden field would tell its order: offer (and accept) only the rest.
            self.filters["sort"] = IndexedOrderingFilter(
                fields=[f for f in SORT_FIELDS if f[1] not in CONTENT_SORTS],
                field_labels=SORT_LABELS,
                label=_("Sort by"),
                widget=PlainSelect,
            )
            self.filters["sort"].parent = self
            self.filters["sort"].model = self.queryset.model

    def _given(self) -> dict:
        """The valid filter values given (invalid ones are ignored, as ``qs`` ignores them),
        without the sort and without empty values."""
        if not self.is_bound:
            return {}
        self.errors  # noqa: B018 (validates the form, as ``qs`` does)
        return {
            name: value
            for name, value in self.form.cleaned_data.items()
            if name != "sort" and value not in (None, "", False, [], ())
        }

    def sort_given(self) -> list[str]:
        """The valid sort parameters given ([] when none: the queue's default order)."""
        if not self.is_bound:
            return []
        self.errors  # noqa: B018 (validates the form, as ``qs`` does)
        return [v for v in (self.form.cleaned_data.get("sort") or []) if v in SORT_ORDER]

    def narrows(self) -> bool:
        """Whether any filter is given: without one, the list is every case visible."""
        return bool(self._given())

    def searches(self) -> bool:
        """Whether a search term is given (the ``q`` filter, whitespace aside)."""
        return bool(str(self._given().get("q", "")).strip())

    def filter_unsorted(self, queryset, *, skip=()):
        """Applies the given filters but those named in ``skip`` to ``queryset``, without the
        sort: for the count, on the visible cases without the queue's annotations (whose join
        to the harm assessment would keep PostgreSQL from counting from an index alone)."""
        for name, value in self._given().items():
            if name not in skip:
                queryset = self.filters[name].filter(queryset, value)
        return queryset

    def search_parts(self) -> list[Q]:
        """The conditions on a case of which any makes it match the search term (``q``,
        whitespace aside; [] when none is given), each served by its own trigram index on
        PostgreSQL (migration 0016), where an OR of them would read every case: the reference
        (and, for users who may read content, the title) and, for those users, a current
        party they may read (``party_readable``, need-to-know) by first name, last name or
        description (commas aside in names), or, for a term of two to ``SEARCH_NAME_WORDS``
        words (a full name, in either order, commas aside), a party whose first or last name
        holds every word. A party's conditions are one ``Q``, so that they hold for one party."""
        value = str(self._given().get("q", "")).strip()
        if not value:
            return []
        if not self.reads_content:
            return [Q(reference__icontains=value)]
        # Withdrawn parties (named by mistake) are no longer people of the case.
        party = self.party_readable() & Q(parties__withdrawn_at__isnull=True)
        # Names without commas ("Brightwater," or "Brightwater, Jordan" as a list shows them).
        words = value.replace(",", " ").split()
        name = " ".join(words)
        parts = [
            Q(reference__icontains=value) | Q(title__icontains=value),
            party & Q(parties__description__icontains=value),
        ]
        if name:
            # (a term of commas alone names no one: matched as "" it matched every name)
            parts[1:1] = [
                party & Q(parties__person__first_name__icontains=name),
                party & Q(parties__person__last_name__icontains=name),
            ]
        if 1 < len(words) <= SEARCH_NAME_WORDS:
            # A full name: the same party's first or last name holds every word.
            parts.append(party & Person.name_words_q(words, path="parties__person__"))
        return parts

    def filter_q(self, queryset, name, value):
        # The matching case ids, as one UNION the outer query joins by primary key; the outer
        # query keeps only the cases the user may see.
        parts = [Case.objects.order_by().filter(part).values("pk") for part in self.search_parts()]
        if not parts:
            return queryset
        return queryset.filter(_pk_among(parts[0].union(*parts[1:])))

    def search_sorted_sql(self, queryset: QuerySet, order, limit: int) -> tuple[str, tuple] | None:
        """The SQL and parameters of the query of the ids of the first ``limit`` cases of
        ``queryset`` (the visible cases with the other filters, unsorted) that the search
        matches, sorted by ``order`` (terms of ``SORT_ORDER``); None without a search term.

        The query is the UNION of one query per part of the search (``search_parts``), each
        reading its matches with the sort's columns, sorted outside: every matching case (or
        party and its case) is read once, where selecting the matching ids first and then
        the cases by id read each case twice (a search by a common name matches thousands of
        cases); and only the ids are sent back, not the sort's columns. Raises
        ``EmptyResultSet`` when no case can match (every part is empty: a user who may see
        no case)."""
        parts = self.search_parts()
        if not parts:
            return None
        terms = [_order_term(term) for term in order]
        columns = list(dict.fromkeys(column for column, _sql in terms if column != "pk"))
        queries = [queryset.filter(part).values_list("pk", *columns) for part in parts]
        sql, params = queries[0].union(*queries[1:]).query.sql_with_params()
        by = ", ".join(f'"found".{term_sql}' for _column, term_sql in terms)
        # Django's query with its parameters apart, sorted by columns named in SORT_ORDER
        # (constants, never the request's text).
        query = f'SELECT "found"."pk" FROM ({sql}) "found" ORDER BY {by} LIMIT %s'  # noqa: S608  # nosec B608
        return query, (*params, limit)

    def filter_affiliation(self, queryset, name, value):
        respondents = self.parties.current().filter(role=c.PartyRole.RESPONDENT, affiliation=value)
        return queryset.filter(pk__in=respondents.values("case_id"))

    def filter_assignee(self, queryset, name, value):
        active = CaseAssignment.objects.filter(user=value, ended_at__isnull=True)
        return queryset.filter(pk__in=active.values("case_id"))

    def filter_overdue(self, queryset, name, value):
        # On the stored column (indexed with the district), not on the annotated flag.
        return queryset.filter(clocks.overdue_q("next_due_at", self.now)) if value else queryset
