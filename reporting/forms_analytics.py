"""The filters of the analytics page: a reported-date range and one school."""

import datetime as dt

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ncii_cases.forms import DateInput

EARLIEST = dt.date(2000, 1, 1)


class AnalyticsFilterForm(forms.Form):
    date_from = forms.DateField(
        widget=DateInput(), required=False, label=gettext_lazy("Reported from")
    )
    date_to = forms.DateField(widget=DateInput(), required=False, label=gettext_lazy("Reported to"))
    school = forms.ModelChoiceField(
        queryset=None,
        required=False,
        empty_label=gettext_lazy("All schools"),
        label=gettext_lazy("School"),
    )

    def __init__(self, *args, schools, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["school"].queryset = schools

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        for name in ("date_from", "date_to"):
            value = data.get(name)
            if value is not None and value < EARLIEST:
                self.add_error(
                    name, _("Enter a date from %(first)s on.") % {"first": f"{EARLIEST:%B %-d, %Y}"}
                )
        if start and end and start > end:
            self.add_error("date_to", _("The end date must be on or after the start date."))
        return data
