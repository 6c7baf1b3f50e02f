"""The forms of appeals and of Process A's steps. Their choices come from
``selectors.appeal_form_scope``; the rules are the services' (``services.appeals``), which the
decision-maker field also asks, so that a refusal stands next to the field with its reason."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .forms import DatesChecked, DateTimeInput, OneSubmission, PartyLabelChoiceField
from .models import AppealOutcome, PartyNotice, ProcessAMilestone
from .services.appeals import appeal_decision_maker_problem


class AppealFileForm(DatesChecked, OneSubmission):
    date_rule = "appeal"

    appellant = PartyLabelChoiceField(queryset=None, label=_("Who appeals"))
    determination = forms.ModelChoiceField(
        queryset=None,
        required=False,
        label=_("Determination appealed"),
        help_text=_("Leave empty to record an appeal of the dismissal (a referred case)."),
    )
    grounds = forms.ModelMultipleChoiceField(
        queryset=None,
        to_field_name="slug",
        widget=forms.CheckboxSelectMultiple,
        label=_("Grounds of appeal"),
    )
    statement = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}), label=_("The appellant's grounds, in their words")
    )
    filed_at = forms.DateTimeField(
        widget=DateTimeInput(), required=False, label=_("When the appeal came in (default: now)")
    )

    def __init__(self, *args, parties, determinations, grounds, **kwargs):
        kwargs.pop("officers", None)
        kwargs.pop("case", None)
        super().__init__(*args, **kwargs)
        self.fields["appellant"].queryset = parties
        self.fields["determination"].queryset = determinations
        self.fields["determination"].label_from_instance = lambda d: (
            f"{d.respondent.display_name}: {d.get_finding_display().lower()}"
        )
        self.fields["grounds"].queryset = grounds


class AppealDecisionMakerForm(forms.Form):
    decision_maker = forms.ModelChoiceField(queryset=None, label=_("Appeal decision-maker"))

    def __init__(self, *args, officers, case, **kwargs):
        for unused in ("parties", "determinations", "grounds"):
            kwargs.pop(unused, None)
        super().__init__(*args, **kwargs)
        self.case = case
        self.fields["decision_maker"].queryset = officers.order_by("last_name", "username")

    def clean_decision_maker(self):
        user = self.cleaned_data["decision_maker"]
        # The same rule as the service's (34 CFR 106.45(b)(8)(iii)(B)), next to the field.
        problem = appeal_decision_maker_problem(self.case, user)
        if problem:
            raise forms.ValidationError(problem)
        return user


class AppealResponseForm(DatesChecked, OneSubmission):
    date_rule = "appeal_response"

    party = PartyLabelChoiceField(queryset=None, label=_("Response from (the other party)"))
    response = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}), label=_("The response, or a summary of it")
    )
    received_at = forms.DateTimeField(widget=DateTimeInput(), label=_("When it came in"))

    def __init__(self, *args, parties, **kwargs):
        for unused in ("determinations", "grounds", "officers", "case"):
            kwargs.pop(unused, None)
        super().__init__(*args, **kwargs)
        self.fields["party"].queryset = parties


class AppealDecisionForm(DatesChecked, OneSubmission):
    date_rule = "appeal_decision"

    outcome = forms.ChoiceField(
        choices=AppealOutcome.choices, widget=forms.RadioSelect, label=_("Outcome")
    )
    rationale = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 5}), label=_("Written rationale of the decision")
    )
    notice_method = forms.ChoiceField(
        choices=PartyNotice.Method.choices, label=_("How both parties were told")
    )
    notified_at = forms.DateTimeField(
        widget=DateTimeInput(), label=_("When both parties were told (the same time for both)")
    )
    notice_summary = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), label=_("What the parties were told")
    )

    def __init__(self, *args, **kwargs):
        for unused in ("parties", "determinations", "grounds", "officers", "case"):
            kwargs.pop(unused, None)
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("notified_at", timezone.localtime().replace(second=0))


class MilestoneForm(DatesChecked, OneSubmission):
    date_rule = "process_a_milestone"

    kind = forms.ChoiceField(choices=ProcessAMilestone.Kind.choices, label=_("Step"))
    occurred_at = forms.DateTimeField(widget=DateTimeInput(), label=_("When it happened"))
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
