"""The form of a deadline extension for good cause (``services.deadlines.deadline_extend``).

Its date and time are read in the active time zone: the district's, activated for the
request by ``middleware.DistrictTimeZoneMiddleware``.
"""

from django import forms
from django.utils.translation import gettext_lazy as _

from .forms import DateTimeInput
from .models import DeadlineExtension


class DeterminationChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.respondent.display_name}: {obj.get_finding_display()}"


class DeadlineExtensionForm(forms.Form):
    clock = forms.ChoiceField(
        choices=DeadlineExtension.ClockKind.choices,
        widget=forms.RadioSelect,
        label=_("Which deadline"),
        help_text=_(
            "The 48-hour takedown clock and external report deadlines are set by law and "
            "cannot be extended."
        ),
    )
    determination = DeterminationChoiceField(
        queryset=None,
        required=False,
        label=_("Determination (for an appeal window)"),
    )
    new_due_at = forms.DateTimeField(
        widget=DateTimeInput(), label=_("New due date and time (the district's local time)")
    )
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), label=_("Good cause (kept in the record)")
    )
    notice = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        label=_("Notice given to the parties"),
        help_text=_("To whom, how and when the parties were told of the new deadline."),
    )

    def __init__(self, *args, determinations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["determination"].queryset = determinations
        if not determinations.exists():
            self.fields["clock"].choices = [
                (DeadlineExtension.ClockKind.STAGE, DeadlineExtension.ClockKind.STAGE.label)
            ]
            del self.fields["determination"]
