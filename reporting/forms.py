"""The audit review's filter form: person, date range, action and case, validated against
the user's district (another district's people and cases are not valid choices)."""

import datetime as dt

from django import forms
from django.forms.models import ModelChoiceIterator
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from ncii_cases import audit_labels
from ncii_cases.filters import PlainSelect
from ncii_cases.selectors import audit as selectors_audit

# The dates the filter accepts: beyond them the range cannot be turned into datetimes (the
# day after December 31, 9999 does not exist) and no audit row can lie there anyway.
EARLIEST = dt.date(2000, 1, 1)
LATEST = dt.date(2999, 12, 31)


def person_label(username: str, first_name: str, last_name: str) -> str:
    """ "username (Full Name)", or the username alone for an account without a name."""
    name = f"{first_name} {last_name}".strip()
    return f"{username} ({name})" if name else username


class PersonChoiceIterator(ModelChoiceIterator):
    """The person filter's options from the accounts' values, in one plain query: Django's
    iterator builds a model instance per account through a server-side cursor (three round
    trips on PostgreSQL) for the district's hundreds of accounts."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        rows = self.queryset.values_list("pk", "username", "first_name", "last_name")
        for pk, username, first_name, last_name in rows:
            yield pk, person_label(username, first_name, last_name)


class PersonChoiceField(forms.ModelChoiceField):
    iterator = PersonChoiceIterator

    def label_from_instance(self, obj):
        return person_label(obj.username, obj.first_name, obj.last_name)


# The action filter's choices per language: the same lists on every page (codes and their
# translated words), worked out once per language and process.
_ACTION_CHOICES: dict[str, list[tuple[str, list[tuple[str, str]]]]] = {}


def action_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    """The "action" filter's grouped choices with the words of ``audit_labels`` (never a
    code), each group sorted by its labels; values as ``selectors_audit.audit_action_choices``
    gives them (prefixed by the section they filter). In the active language; the caller
    must not change the list returned (it is shared)."""
    language = translation.get_language()
    grouped = _ACTION_CHOICES.get(language)
    if grouped is None:
        grouped = _ACTION_CHOICES[language] = _action_choices()
    return grouped


def _action_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    words = {
        "change": audit_labels.change_label,
        "event": audit_labels.event_label,
        "access": audit_labels.access_label,
    }
    groups = {"Changes": _("Changes"), "Timeline": _("Timeline"), "Access log": _("Access log")}
    grouped = []
    for group, choices in selectors_audit.audit_action_choices():
        labelled = []
        for value, _label in choices:
            section, _sep, code = value.partition(":")
            labelled.append((value, words[section](code)))
        grouped.append((str(groups.get(group, group)), sorted(labelled, key=lambda c: c[1])))
    return grouped


class AuditFilterForm(forms.Form):
    actor = PersonChoiceField(
        label=_("Person"),
        queryset=None,
        required=False,
        empty_label=_("Anyone"),
        widget=PlainSelect,
    )
    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    action = forms.ChoiceField(label=_("Action"), required=False, widget=PlainSelect)
    case = forms.CharField(label=_("Case reference"), required=False, max_length=40)

    def __init__(self, *args, user, case=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["actor"].queryset = selectors_audit.audit_actors_for_user(user=user).only(
            "pk", "username", "first_name", "last_name"
        )
        self.fields["action"].choices = [("", _("Any action")), *action_choices()]
        if case is not None:
            # The per-case review is already about one case.
            del self.fields["case"]

    def clean_case(self):
        reference = self.cleaned_data["case"].strip()
        if not reference:
            return None
        case = selectors_audit.audit_case_by_reference(user=self.user, reference=reference)
        if case is None:
            raise forms.ValidationError(_("No case of your district has this reference."))
        return case

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        for name in ("date_from", "date_to"):
            value = data.get(name)
            if value is not None and not EARLIEST <= value <= LATEST:
                self.add_error(
                    name,
                    _("Enter a date from %(first)s to %(last)s.")
                    % {"first": f"{EARLIEST:%B %-d, %Y}", "last": f"{LATEST:%B %-d, %Y}"},
                )
                start = end = None
        if start and end and end < start:
            self.add_error("date_to", _("The end date must be on or after the start date."))
        return data

    def audit_filter(self) -> selectors_audit.AuditFilter:
        """The validated filter (call after ``is_valid()``)."""
        data = self.cleaned_data
        return selectors_audit.AuditFilter(
            actor=data.get("actor"),
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            action=data.get("action") or "",
            case=data.get("case"),
        )
