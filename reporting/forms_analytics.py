"""The filters of the district analytics page: a reported-date range and one school."""

import datetime as dt

from django import forms

from ncii_cases.forms import DateInput

EARLIEST = dt.date(2000, 1, 1)


class AnalyticsFilterForm(forms.Form):
    date_from = forms.DateField(widget=DateInput(), required=False, label="Reported from")
    date_to = forms.DateField(widget=DateInput(), required=False, label="Reported to")
    school = forms.ModelChoiceField(
        queryset=None, required=False, empty_label="All schools", label="School"
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
                self.add_error(name, f"Enter a date from {EARLIEST:%B %-d, %Y} on.")
        if start and end and start > end:
            self.add_error("date_to", "The end date must be on or after the start date.")
        return data
