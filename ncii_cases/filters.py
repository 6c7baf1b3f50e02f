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

import django_filters
from django import forms
from django.db.models import Q
from django.forms.utils import flatatt
from django.utils.html import format_html, format_html_join

from . import choices as c
from . import clocks
from .models import Case, CaseAssignment

# The sorts: (field, parameter) and their labels; ``harm`` is content (the harm level).
SORT_FIELDS = (
    ("reference", "reference"),
    ("reported_at", "reported"),
    ("stage", "stage"),
    ("next_due_at", "due"),
    ("harm_rank", "harm"),
)
SORT_LABELS = {
    "reference": "Reference",
    "reported": "Reported",
    "stage": "Stage",
    "due": "Next due",
    "harm": "Harm level",
}
CONTENT_SORTS = ("harm",)


class PlainSelect(forms.Select):
    """A select whose options are written in Python rather than through one template each:
    a district's staff list has hundreds of options, and rendering them one template at a
    time cost more than everything else on the queue page. Same markup, escaped."""

    def render(self, name, value, attrs=None, renderer=None):
        selected = {str(v) for v in self.format_value(value)}
        options = format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            (
                (str(v), " selected" if str(v) in selected else "", label)
                for v, label in self.choices
            ),
        )
        attrs = self.build_attrs(self.attrs, attrs)
        return format_html('<select name="{}"{}>{}</select>', name, flatatt(attrs), options)


class CaseQueueFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", label="Reference or name")
    school = django_filters.ModelChoiceFilter(queryset=None, label="School", widget=PlainSelect)
    stage = django_filters.ChoiceFilter(choices=c.Stage.choices, label="Stage")
    ncii_kind = django_filters.ChoiceFilter(choices=c.NciiKind.choices, label="Kind of imagery")
    respondent_affiliation = django_filters.ChoiceFilter(
        choices=c.Affiliation.choices, method="filter_affiliation", label="Respondent is"
    )
    harm_level = django_filters.ChoiceFilter(
        choices=c.Level.choices, field_name="harm_assessment__level", label="Harm level"
    )
    assignee = django_filters.ModelChoiceFilter(
        queryset=None, method="filter_assignee", label="Assigned to", widget=PlainSelect
    )
    overdue = django_filters.BooleanFilter(
        method="filter_overdue",
        label="Overdue only",
        widget=forms.CheckboxInput,
    )
    sort = django_filters.OrderingFilter(
        fields=SORT_FIELDS, field_labels=SORT_LABELS, label="Sort by"
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
        reads_content: bool,
        reads_respondents: bool,
        now=None,
        **kwargs,
    ):
        """``parties``: the parties the user may read (``selectors.parties_visible_to``);
        ``reads_content``: whether the user may read case content (title, kind, harm,
        assignees); ``reads_respondents``: whether they may read respondents."""
        super().__init__(data, queryset, **kwargs)
        self.reads_content = reads_content
        self.parties = parties
        self.now = now or clocks.now()
        self.filters["school"].queryset = schools
        self.filters["assignee"].queryset = staff
        hidden = set()
        if not reads_content:
            hidden |= set(self.CONTENT_FILTERS)
        if not (reads_content and reads_respondents):
            hidden |= set(self.RESPONDENT_FILTERS)
        for name in hidden:
            del self.filters[name]
        if not reads_content:
            self.filters["q"].label = "Reference"  # names and titles are not searched
            # A sort by a hidden field would tell its order: offer (and accept) only the rest.
            self.filters["sort"] = django_filters.OrderingFilter(
                fields=[f for f in SORT_FIELDS if f[1] not in CONTENT_SORTS],
                field_labels=SORT_LABELS,
                label="Sort by",
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

    def narrows(self) -> bool:
        """Whether any filter is given: without one, the list is every case visible."""
        return bool(self._given())

    def filter_unsorted(self, queryset):
        """Applies the given filters to ``queryset``, without the sort: for the count, on the
        visible cases without the queue's annotations (whose join to the harm assessment
        would keep PostgreSQL from counting from an index alone)."""
        for name, value in self._given().items():
            queryset = self.filters[name].filter(queryset, value)
        return queryset

    def filter_q(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        # The matching case ids, as one UNION the outer query joins by primary key: each part
        # is served by its own trigram index on PostgreSQL (migration 0016), where an OR across
        # the two tables would read every case. The parties are those the user may read
        # (need-to-know); the outer query keeps only the cases the user may see.
        cases = Case.objects.order_by()
        if not self.reads_content:
            return queryset.filter(pk__in=cases.filter(reference__icontains=value).values("pk"))
        # Withdrawn parties (named by mistake) are no longer people of the case.
        parties = self.parties.current().order_by()
        matching = (
            cases.filter(Q(reference__icontains=value) | Q(title__icontains=value))
            .values("pk")
            .union(
                parties.filter(person__first_name__icontains=value).values("case_id"),
                parties.filter(person__last_name__icontains=value).values("case_id"),
                parties.filter(description__icontains=value).values("case_id"),
            )
        )
        return queryset.filter(pk__in=matching)

    def filter_affiliation(self, queryset, name, value):
        respondents = self.parties.current().filter(role=c.PartyRole.RESPONDENT, affiliation=value)
        return queryset.filter(pk__in=respondents.values("case_id"))

    def filter_assignee(self, queryset, name, value):
        active = CaseAssignment.objects.filter(user=value, ended_at__isnull=True)
        return queryset.filter(pk__in=active.values("case_id"))

    def filter_overdue(self, queryset, name, value):
        # On the stored column (indexed with the district), not on the annotated flag.
        return queryset.filter(clocks.overdue_q("next_due_at", self.now)) if value else queryset
