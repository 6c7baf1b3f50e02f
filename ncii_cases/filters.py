"""The queue's filters and sort order over the cases a user may see (``queue.case_queue``).

Filters on content (NCII kind, respondent affiliation, harm level, assignee, party names) are
offered only to users who may read case content; for the others they are ignored, so that a
filter can never reveal what a metadata-only list hides.
"""

import django_filters
from django import forms
from django.db.models import Q
from django.forms.utils import flatatt
from django.utils.html import format_html, format_html_join

from . import choices as c
from . import clocks
from .models import CaseAssignment, CaseParty


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
        fields=(
            ("reference", "reference"),
            ("reported_at", "reported"),
            ("stage", "stage"),
            ("next_due_at", "due"),
            ("harm_rank", "harm"),
        ),
        field_labels={
            "reference": "Reference",
            "reported": "Reported",
            "stage": "Stage",
            "due": "Next due",
            "harm": "Harm level",
        },
        label="Sort by",
    )

    CONTENT_FILTERS = ("ncii_kind", "respondent_affiliation", "harm_level", "assignee")

    def __init__(
        self, data=None, queryset=None, *, schools, staff, reads_content, now=None, **kwargs
    ):
        super().__init__(data, queryset, **kwargs)
        self.reads_content = reads_content
        self.now = now or clocks.now()
        self.filters["school"].queryset = schools
        self.filters["assignee"].queryset = staff
        if not reads_content:
            for name in self.CONTENT_FILTERS:
                del self.filters[name]

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
        match = Q(reference__icontains=value)
        if self.reads_content:
            parties = CaseParty.objects.filter(
                Q(person__first_name__icontains=value)
                | Q(person__last_name__icontains=value)
                | Q(description__icontains=value)
            )
            match |= Q(title__icontains=value) | Q(pk__in=parties.values("case_id"))
        return queryset.filter(match)

    def filter_affiliation(self, queryset, name, value):
        respondents = CaseParty.objects.filter(role=c.PartyRole.RESPONDENT, affiliation=value)
        return queryset.filter(pk__in=respondents.values("case_id"))

    def filter_assignee(self, queryset, name, value):
        active = CaseAssignment.objects.filter(user=value, ended_at__isnull=True)
        return queryset.filter(pk__in=active.values("case_id"))

    def filter_overdue(self, queryset, name, value):
        # On the stored column (indexed with the district), not on the annotated flag.
        return queryset.filter(clocks.overdue_q("next_due_at", self.now)) if value else queryset
