"""The audit review's filter form: person, date range, action and case, validated against
the user's district (another district's people and cases are not valid choices)."""

import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _

from ncii_cases import selectors_audit

# The dates the filter accepts: beyond them the range cannot be turned into datetimes (the
# day after December 31, 9999 does not exist) and no audit row can lie there anyway.
EARLIEST = dt.date(2000, 1, 1)
LATEST = dt.date(2999, 12, 31)


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        name = obj.get_full_name()
        return f"{obj.username} ({name})" if name else obj.username


class AuditFilterForm(forms.Form):
    actor = PersonChoiceField(
        label=_("Person"),
        queryset=None,
        required=False,
        empty_label=_("Anyone"),
    )
    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    action = forms.ChoiceField(label=_("Action"), required=False)
    case = forms.CharField(label=_("Case reference"), required=False, max_length=40)

    def __init__(self, *args, user, case=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["actor"].queryset = selectors_audit.audit_actors_for_user(user=user)
        actions = selectors_audit.audit_action_choices()
        self.fields["action"].choices = [("", "Any action"), *actions]
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
