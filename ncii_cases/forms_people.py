"""The roster lookup of the people rows (intake) and the party form: a search field and the
people found, as radio options. Without JavaScript the page is sent and comes back with the
people found; with htmx the options follow the typing (``people_views.people_search``).
Only people the user may look up (``selectors.roster.person_lookup_scope``) are ever offered
or accepted."""

import re

from django import forms
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from ncii_cases.selectors.roster import people_search_for_user

PREFIX_RE = re.compile(r"^(people-\d{1,2}-)?$")
NO_MATCH = "Nobody on the roster matches; type the details below instead."


def person_label(person) -> str:
    """How a person found on the roster is offered: name, affiliation, school, grade, date of
    birth (what picking them fills in)."""
    parts = [person.get_affiliation_display().lower()]
    if person.school_id:
        parts.append(person.school.name)
    if person.grade:
        parts.append(f"grade {person.grade}")
    if person.birth_date:
        parts.append(f"born {person.birth_date:%b %-d, %Y}")
    return f"{person.first_name} {person.last_name} ({', '.join(parts)})"


class PersonResults(forms.RadioSelect):
    """The people found, in a region htmx replaces as the search changes."""

    def render(self, name, value, attrs=None, renderer=None):
        inner = super().render(name, value, attrs, renderer) if self.choices else ""
        if not self.choices and self.attrs.get("data-searched"):
            inner = format_html('<p class="hint">{}</p>', NO_MATCH)
        element_id = (attrs or {}).get("id") or self.attrs.get("id") or f"id_{name}"
        return format_html(
            '<div id="{}-results" class="person-results" aria-live="polite">{}</div>',
            element_id,
            inner,
        )


class RosterLookup:
    """Adds the lookup to a person form: ``roster_query`` (the search) and ``person`` (the
    person picked). ``people``: the queryset a pick must be in (None: no lookup, the fields
    are removed); ``user``: whose search it is."""

    def lookup_init(self, *, people, user) -> None:
        if people is None or user is None:
            self.fields.pop("roster_query", None)
            self.fields.pop("person", None)
            return
        prefix = f"{self.prefix}-" if self.prefix else ""
        field = self.fields["person"]
        field.queryset = people
        query_field = self.fields["roster_query"]
        query_field.widget.attrs.update(
            {
                "type": "search",
                "autocomplete": "off",
                "hx-get": f"{reverse('ncii_cases:people_search')}?prefix={prefix}",
                "hx-trigger": "input changed delay:300ms, search",
                "hx-target": f"#id_{prefix}person-results",
                "hx-swap": "outerHTML",
            }
        )
        if self.is_bound:
            query = self.data.get(f"{prefix}roster_query", "")
            picked = self.data.get(f"{prefix}person", "")
        else:
            query = self.initial.get("roster_query", "") or ""
            picked = self.initial.get("person", "") or ""
        found = people_search_for_user(user=user, query=query or "") if query else []
        choices = [(p.pk, person_label(p)) for p in found]
        if picked and str(picked).isdigit() and int(picked) not in {p.pk for p in found}:
            chosen = people.filter(pk=int(picked)).first()
            if chosen is not None:
                choices.insert(0, (chosen.pk, person_label(chosen)))
        # Set after the queryset: the widget offers only these, never the whole roster.
        field.widget.choices = choices
        if query:
            field.widget.attrs["data-searched"] = "1"

    def lookup_clean(self, data: dict) -> None:
        if data.get("person") is not None:
            return
        named = (data.get("first_name") or "").strip() and (data.get("last_name") or "").strip()
        if (data.get("roster_query") or "").strip() and not named:
            raise forms.ValidationError(
                _("Pick the person from those found on the roster, or type their name.")
            )


def roster_query_field() -> forms.CharField:
    return forms.CharField(
        max_length=100,
        required=False,
        label=_("Find them on the roster"),
        help_text=_(
            "Part of a name, or the student or employee number, then pick the person "
            "found: their name, affiliation, school, grade and date of birth come from the roster. "
            "Someone not on the roster: leave this empty and type the details below."
        ),
    )


def person_field() -> forms.ModelChoiceField:
    return forms.ModelChoiceField(
        queryset=None,
        required=False,
        empty_label=None,
        widget=PersonResults,
        label=_("People found on the roster"),
    )
