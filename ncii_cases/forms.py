"""Forms of the case pages: search, intake, each workflow step and record, and the two-factor
steps. Forms validate input and limit choices to the case; they never write."""

import copy
import uuid

from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from policies import selectors as catalogs

from . import choices as c
from .dates import date_errors
from .forms_people import RosterLookup, person_field, roster_query_field
from .forms_rows import PersonRowsForm
from .models import (
    Case,
    CaseMeasure,
    Determination,
    HarmAssessment,
    MeasureStatus,
    ParentNotificationDecision,
    PartyChoice,
    PartyNotice,
    ResolutionOffer,
    SanctionStatus,
    TakedownRequest,
)
from .takedown_routes import route_refusal


class TokenForm(forms.Form):
    token = forms.CharField(
        label=_("Code"),
        max_length=16,
        strip=True,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "text", "autofocus": True}
        ),
        help_text=_("The 6-digit code from your authenticator app, or one of your recovery codes."),
    )


# --- Case work: one form per record type ---------------------------------------------------
# Each form is given the case (and the catalogs of its district) so that it only offers what
# belongs to the case; the service called by the view checks the user's right again.


YES_NO_UNKNOWN = [("", _("Not known yet")), ("yes", _("Yes")), ("no", _("No"))]
AGE_IN_IMAGERY_CHOICES = [
    (c.AgeInImagery.UNDER_18, _("Yes, under 18 in the imagery")),
    (c.AgeInImagery.ADULT, _("No, 18 or over in the imagery")),
    (c.AgeInImagery.UNKNOWN, _("Not known yet")),
]
AGE_IN_IMAGERY_HELP = _(
    "The age when the imagery was made (or, for AI-made imagery, the age it shows), which may "
    "differ from today's. Reports to child protection and the CyberTipline, and Take It Down, "
    "follow it."
)


def _tristate(value):
    return {"yes": True, "no": False}.get(value)


def _tristate_initial(value):
    return {True: "yes", False: "no"}.get(value, "")


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%dT%H:%M")


class DateInput(forms.DateInput):
    input_type = "date"


class RowsChoiceField(forms.ModelMultipleChoiceField):
    """A choice of several rows by id that refuses an id no database column can hold (a forged
    ``9223372036854775808`` would otherwise reach SQLite's driver as an OverflowError, a 500)
    with the field's own "not one of the choices" message, like any other unknown id."""

    LARGEST_ID = 2**63 - 1

    def _check_values(self, value):
        for pk in value:
            try:
                too_large = abs(int(str(pk))) > self.LARGEST_ID
            except ValueError:
                continue  # not a whole number: the parent's check names it
            if too_large:
                raise forms.ValidationError(
                    self.error_messages["invalid_pk_value"],
                    code="invalid_pk_value",
                    params={"pk": pk},
                )
        return super()._check_values(value)


class PartyLabelChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.display_name} ({obj.get_role_display().lower()})"


class DatesChecked:
    """Form mixin: checks the form's dates with the shared rule of ``date_rule`` (a key of
    ``ncii_cases.dates.RULES``), so that the message stands next to the field. Services check
    the same rule again."""

    date_rule: str = ""

    def clean(self):
        data = super().clean()
        if self.date_rule:
            for name, message in date_errors(self.date_rule, data).items():
                if name in self.fields and name not in self.errors:
                    self.add_error(name, message)
        return data


class VersionedChoice(forms.Form):
    """Form mixin of the update forms that choose their record in a select (``record_field``):
    the version of the record the page was opened on travels hidden, and the service refuses
    the save if the record changed since (a form switched to another record carries none)."""

    record_field = ""
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    version_for = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def version_initial(self) -> None:
        """Sets the hidden version from the record named in ``initial`` (``?measure=12``);
        the form calls it once its record field has its queryset."""
        chosen = self.initial.get(self.record_field)
        if not self.is_bound and chosen:
            try:
                found = self.fields[self.record_field].queryset.filter(pk=int(chosen)).first()
            except (TypeError, ValueError):
                found = None
            if found is not None:
                self.initial.update(version=found.version, version_for=found.pk)

    def clean(self):
        data = super().clean()
        record = data.get(self.record_field)
        if record is None or data.get("version_for") != record.pk:
            data["version"] = None
        data.pop("version_for", None)
        return data


class OneSubmission(forms.Form):
    """Form mixin of every create form: a one-time token, so that the same form sent twice
    (a double click, a resent page) records one thing (see ``services.submissions``)."""

    submission_token = forms.UUIDField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial["submission_token"] = uuid.uuid4()


def unbound_values(form) -> dict:
    """The values typed into a bound form, as ``initial`` of an unbound copy: the page comes
    back as typed, without error messages (used by "Add another person")."""
    return {name: form[name].value() for name in form.fields if name != "submission_token"}


AFFILIATION_CHOICES = [
    (c.Affiliation.STUDENT, _("Student")),
    (c.Affiliation.EMPLOYEE, _("Employee")),
    (c.Affiliation.NON_AFFILIATED, _("Not affiliated with the district")),
]


def _affiliations(values) -> list[str]:
    return list(values) or [c.Affiliation.UNKNOWN]


class IntakeForm(DatesChecked, OneSubmission):
    date_rule = "case"
    school = forms.ModelChoiceField(queryset=None, label=_("School"))
    title = forms.CharField(
        max_length=200,
        label=_("Short label"),
        help_text=_(
            "A neutral label, for example 'Images shared in a class group chat'. "
            "Avoid names and graphic words."
        ),
    )
    narrative = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 5}),
        label=_("What was reported"),
        help_text=_(
            "In the reporter's words as far as possible. Describe the imagery only as much "
            "as needed; never attach or paste it."
        ),
    )
    reported_at = forms.DateTimeField(
        widget=DateTimeInput(), label=_("When a staff member first heard of it")
    )
    reported_by_name = forms.CharField(
        max_length=200,
        required=False,
        label=_("Who told us (their role or a description)"),
        help_text=_("For example 'the teacher' or 'a parent'. Their name goes in the next field."),
    )
    reporter_name = forms.CharField(
        max_length=200,
        required=False,
        label=_("Their name, if they gave it"),
        help_text=_("Leave empty if they asked to stay anonymous or you do not know it."),
    )
    reporter_anonymous = forms.BooleanField(required=False, label=_("They asked to stay anonymous"))
    reported_via = forms.CharField(
        max_length=100, required=False, label=_("How we heard (email, in person, phone...)")
    )
    occurred_at = forms.DateTimeField(
        widget=DateTimeInput(), required=False, label=_("When it happened, if known")
    )
    ncii_kind = forms.ChoiceField(
        choices=c.NciiKind.choices,
        initial=c.NciiKind.UNDETERMINED,
        widget=forms.RadioSelect,
        label=_("Kind of imagery"),
        help_text=c.NCII_KIND_HELP,
    )
    # The radios keep the first option the drop-down lists showed by default.
    conduct = forms.ChoiceField(
        choices=c.Conduct.choices,
        initial=c.Conduct.DISTRIBUTION,
        widget=forms.RadioSelect,
        label=_("What happened"),
    )
    location = forms.ChoiceField(
        choices=c.Location.choices, initial="unknown", widget=forms.RadioSelect, label=_("Where")
    )
    timing = forms.ChoiceField(
        choices=c.Timing.choices,
        initial="unknown",
        widget=forms.RadioSelect,
        label=_("When (hours)"),
    )
    reach = forms.ChoiceField(
        choices=c.Reach.choices,
        initial=c.Reach.UNKNOWN,
        widget=forms.RadioSelect,
        label=_("How far it spread"),
    )
    reach_estimate = forms.IntegerField(
        min_value=0, required=False, label=_("About how many people received or saw it")
    )
    platforms = RowsChoiceField(
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=_("Where it was seen"),
    )
    depicted = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        label=_("People shown who are not known by name, one per line"),
        help_text=_("A description such as 'a 9th-grade student'. Name known people below."),
    )
    depicted_minor = forms.ChoiceField(
        choices=YES_NO_UNKNOWN,
        required=False,
        widget=forms.RadioSelect,
        label=_("Are the people shown (described above) under 18 now?"),
    )
    depicted_age_in_imagery = forms.ChoiceField(
        choices=AGE_IN_IMAGERY_CHOICES,
        initial=c.AgeInImagery.UNKNOWN,
        required=False,
        widget=forms.RadioSelect,
        label=_("Does the imagery show them under 18?"),
        help_text=AGE_IN_IMAGERY_HELP,
    )
    depicted_affiliation = forms.ChoiceField(
        choices=c.Affiliation.choices,
        initial=c.Affiliation.STUDENT,
        widget=forms.RadioSelect,
        label=_("The people shown (described above) are"),
    )
    respondent = forms.CharField(
        max_length=300,
        required=False,
        label=_("Who shared it, if not known by name (a description)"),
        help_text=_("For example 'unknown sender of an AirDrop'. Name a known person below."),
    )
    respondent_affiliation = forms.ChoiceField(
        choices=c.Affiliation.choices,
        initial=c.Affiliation.UNKNOWN,
        widget=forms.RadioSelect,
        label=_("The person who shared it is"),
    )

    def __init__(self, *args, schools, platforms, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["school"].queryset = schools
        self.fields["platforms"].queryset = platforms
        if not self.is_bound:
            self.initial.setdefault(
                "reported_at", timezone.localtime().replace(second=0, microsecond=0)
            )

    def intake(self, people=()) -> dict:
        """The cleaned report as the intake service takes it: the report's fields and
        ``people``, the parties of the described people followed by ``people`` (those
        named in the people rows)."""
        from .services.cases import PartyInput

        data = {k: v for k, v in self.cleaned_data.items() if k != "submission_token"}
        described = [
            PartyInput(
                role=c.PartyRole.DEPICTED,
                affiliation=data["depicted_affiliation"],
                is_minor=_tristate(data["depicted_minor"]),
                age_in_imagery=data["depicted_age_in_imagery"] or c.AgeInImagery.UNKNOWN,
                description=line.strip()[:300],
            )
            for line in data.pop("depicted").splitlines()
            if line.strip()
        ]
        respondent = data.pop("respondent").strip()
        respondent_affiliation = data.pop("respondent_affiliation")
        if respondent or respondent_affiliation != c.Affiliation.UNKNOWN:
            described.append(
                PartyInput(
                    role=c.PartyRole.RESPONDENT,
                    affiliation=respondent_affiliation,
                    description=respondent[:300],
                )
            )
        for name in ("depicted_minor", "depicted_age_in_imagery", "depicted_affiliation"):
            data.pop(name)
        return {**data, "people": [*described, *people]}


class PersonRowForm(RosterLookup, DatesChecked, forms.Form):
    """One known person at intake or on the party form: picked from the roster (``person``,
    when the user may look people up) or typed in. A row without either is left out."""

    date_rule = "person"
    role = forms.ChoiceField(
        choices=c.PartyRole.choices,
        initial=c.PartyRole.DEPICTED,
        widget=forms.RadioSelect,
        label=_("Role in the case"),
    )
    roster_query = roster_query_field()
    person = person_field()
    first_name = forms.CharField(max_length=100, required=False, label=_("First name"))
    last_name = forms.CharField(max_length=100, required=False, label=_("Last name"))
    affiliations = forms.MultipleChoiceField(
        choices=AFFILIATION_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=_("Affiliation (tick each that applies)"),
        help_text=_("A student who also works for the district (an aide) is both."),
    )
    is_minor = forms.ChoiceField(
        choices=YES_NO_UNKNOWN, required=False, widget=forms.RadioSelect, label=_("Under 18 now?")
    )
    age_in_imagery = forms.ChoiceField(
        choices=AGE_IN_IMAGERY_CHOICES,
        initial=c.AgeInImagery.UNKNOWN,
        required=False,
        widget=forms.RadioSelect,
        label=_("For a person shown: does the imagery show them under 18?"),
        help_text=AGE_IN_IMAGERY_HELP,
    )
    birth_date = forms.DateField(
        widget=DateInput(), required=False, label=_("Date of birth, if known (sets under 18 now)")
    )
    school = forms.ModelChoiceField(
        queryset=None,
        required=False,
        label=_("Their school (for students and employees)"),
        help_text=_("Left empty, a student or employee is recorded at the report's school."),
    )
    grade = forms.CharField(max_length=10, required=False, label=_("Grade"))
    notes = forms.CharField(
        max_length=500,
        required=False,
        label=_("Notes"),
        help_text=_(
            "If one person is both shown in one image and shared another, say which "
            "image each role concerns (add them once per role)."
        ),
    )

    def __init__(self, *args, schools, people=None, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["school"].queryset = schools
        self.lookup_init(people=people, user=user)

    def clean(self):
        data = super().clean()
        if data.get("person") is not None:
            return data
        if bool(data.get("first_name", "").strip()) != bool(data.get("last_name", "").strip()):
            raise forms.ValidationError(_("Give both the first and the last name."))
        self.lookup_clean(data)
        return data

    @property
    def is_named(self) -> bool:
        data = getattr(self, "cleaned_data", {}) or {}
        if data.get("person") is not None:
            return True
        return bool(data.get("first_name", "").strip() and data.get("last_name", "").strip())

    def party(self):
        """The row as the services take it: a ``PartyInput`` with the ``person`` picked from
        the roster, or with its ``new_person``."""
        from .services.cases import PartyInput, PersonInput

        data = self.cleaned_data
        if data.get("person") is not None:
            return PartyInput(
                role=data["role"],
                person=data["person"],
                is_minor=_tristate(data["is_minor"]),
                notes=data["notes"].strip(),
            )
        affiliations = tuple(_affiliations(data["affiliations"]))
        return PartyInput(
            role=data["role"],
            affiliation=affiliations[0],
            affiliations=affiliations[1:],
            is_minor=_tristate(data["is_minor"]),
            age_in_imagery=data.get("age_in_imagery") or c.AgeInImagery.UNKNOWN,
            notes=data["notes"].strip(),
            new_person=PersonInput(
                first_name=data["first_name"].strip(),
                last_name=data["last_name"].strip(),
                affiliations=affiliations,
                school=data["school"],
                grade=data["grade"].strip(),
                birth_date=data["birth_date"],
            ),
        )


# At most 30 people rows, and no more forms built for a forged row count (Django's default
# absolute_max would build max_num + 1000).
PersonRowFormSet = forms.formset_factory(
    PersonRowForm, extra=2, max_num=30, absolute_max=30, validate_max=True
)


def people_formset(
    data=None,
    *,
    schools,
    school=None,
    add_row: bool = False,
    extra: int = 1,
    people=None,
    user=None,
):
    """The people rows of the intake form. With ``add_row`` (the "Add another person" or
    "Find on the roster" button), the rows typed so far come back unbound with ``extra``
    blank rows (and the people found for each search): nothing is saved and no error is
    shown. ``people``/``user``: the roster lookup (``forms_people``), None for none."""
    kwargs = {
        "prefix": "people",
        "form_kwargs": {"schools": schools, "people": people, "user": user},
    }
    if data is not None and add_row:
        bound = PersonRowFormSet(data, **kwargs)
        kept = ("first_name", "last_name", "roster_query", "person")
        rows = [
            {name: form[name].value() for name in form.fields}
            for form in bound.forms
            if any(name in form.fields and form[name].value() for name in kept)
        ]
        formset = PersonRowFormSet(initial=rows, **kwargs)
        formset.extra = extra if rows else max(extra, 1)
        return formset
    formset = PersonRowFormSet(data, **kwargs)
    if data is None and school is not None:
        for form in formset.forms:
            form.initial.setdefault("school", school)
    return formset


class FactsForm(forms.Form):
    ncii_kind = forms.ChoiceField(
        choices=c.NciiKind.choices,
        widget=forms.RadioSelect,
        label=_("Kind of imagery"),
        help_text=c.NCII_KIND_HELP,
    )
    is_intimate_imagery = forms.ChoiceField(
        choices=YES_NO_UNKNOWN,
        required=False,
        widget=forms.RadioSelect,
        label=_("Is the imagery intimate (nude, partly nude or sexual)?"),
    )
    conduct = forms.ChoiceField(
        choices=c.Conduct.choices, widget=forms.RadioSelect, label=_("What happened")
    )
    location = forms.ChoiceField(
        choices=c.Location.choices, widget=forms.RadioSelect, label=_("Where")
    )
    timing = forms.ChoiceField(
        choices=c.Timing.choices, widget=forms.RadioSelect, label=_("When (hours)")
    )
    disrupts_school = forms.ChoiceField(
        choices=YES_NO_UNKNOWN,
        required=False,
        widget=forms.RadioSelect,
        label=_("Did it disrupt learning, school activities or work?"),
    )
    jurisdiction = forms.ChoiceField(
        choices=c.Jurisdiction.choices,
        widget=forms.RadioSelect,
        label=_("Jurisdiction"),
        help_text=c.JURISDICTION_HELP,
    )
    jurisdiction_facts = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), required=False, label=_("Facts relied on")
    )
    jurisdiction_reasoning = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), required=False, label=_("Reasoning")
    )
    reach = forms.ChoiceField(
        choices=c.Reach.choices,
        initial=c.Reach.UNKNOWN,
        widget=forms.RadioSelect,
        label=_("How far it spread"),
    )
    reach_estimate = forms.IntegerField(
        min_value=0, required=False, label=_("About how many people")
    )
    reason = forms.CharField(
        max_length=500, required=False, label=_("Why these facts change (kept in the record)")
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    TRISTATE = ("is_intimate_imagery", "disrupts_school")

    def __init__(self, *args, case: Case, initial=None, **kwargs):
        values = {name: getattr(case, name) for name in self.base_fields if hasattr(case, name)}
        for name in self.TRISTATE:
            values[name] = _tristate_initial(getattr(case, name))
        values["version"] = case.version
        super().__init__(*args, initial={**values, **(initial or {})}, **kwargs)

    def clean(self):
        data = super().clean()
        if data.get("jurisdiction") == c.Jurisdiction.IN_SCOPE:
            for name, text in (
                ("jurisdiction_facts", "Write the facts relied on for \u201cin scope\u201d."),
                ("jurisdiction_reasoning", "Write the reasoning for \u201cin scope\u201d."),
            ):
                if not (data.get(name) or "").strip():
                    self.add_error(name, text)
        return data

    @classmethod
    def facts_of(cls, data: dict) -> dict:
        facts = {k: v for k, v in data.items() if k not in ("reason", "version")}
        for name in cls.TRISTATE:
            facts[name] = _tristate(facts[name])
        return facts


class TransitionForm(forms.Form):
    """The form of one workflow step (``transition``, a ``workflow.Transition``): its reason
    when the step needs one, and the fields its row names in ``detail_fields``; the other
    fields are removed."""

    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        label=_("Reason (kept in the record)"),
    )
    respondent_track = forms.ChoiceField(
        choices=c.RespondentTrack.choices,
        required=False,
        widget=forms.RadioSelect,
        label=_("Respondent track"),
    )
    referred_to = forms.CharField(
        max_length=200, required=False, label=_("Referred to (policy, office or agency)")
    )
    out_of_scope = forms.BooleanField(
        required=False, label=_("The conduct is outside the district's jurisdiction")
    )
    dismissal_ground = forms.ChoiceField(
        choices=[("", _("Choose…")), *c.DismissalGround.choices],
        required=False,
        label=_("Ground of the dismissal (34 CFR 106.45(b)(3))"),
    )
    creation_only_reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        max_length=2000,
        label=_("Creation only: why this policy applies"),
        help_text=_(
            "Needed when nothing was shared. The policy's focus is distribution; if it "
            "does not fit, refer the case instead (bullying and harassment policy, technology use "
            "policy)."
        ),
    )

    def __init__(self, *args, transition, **kwargs):
        super().__init__(*args, **kwargs)
        # The step's own fields are its row's (``workflow.Transition.detail_fields``).
        keep = set(transition.detail_fields)
        if transition.needs_reason:
            keep.add("reason")
        for name in list(self.fields):
            if name not in keep:
                del self.fields[name]

    def detail(self) -> dict:
        return {k: v for k, v in self.cleaned_data.items() if k != "reason" and v not in ("", None)}


class HarmForm(forms.Form):
    reach = forms.ChoiceField(
        choices=c.Reach.choices, widget=forms.RadioSelect, label=_("How far it spread")
    )
    platform_count = forms.IntegerField(min_value=0, label=_("On how many platforms or apps"))
    circulation = forms.ChoiceField(
        choices=HarmAssessment.Circulation.choices, widget=forms.RadioSelect, label=_("Circulation")
    )
    minors_depicted = forms.BooleanField(required=False, label=_("A person under 18 is shown"))
    identifiability = forms.ChoiceField(
        choices=HarmAssessment.Identifiability.choices,
        widget=forms.RadioSelect,
        label=_("Can the people shown be identified?"),
    )
    threats_or_sextortion = forms.BooleanField(
        required=False, label=_("There are threats or sextortion")
    )
    safety_risk = forms.ChoiceField(
        choices=HarmAssessment.SafetyRisk.choices,
        initial=HarmAssessment.SafetyRisk.NONE,
        widget=forms.RadioSelect,
        label=_("Risk to safety"),
    )
    impact = forms.ChoiceField(
        choices=HarmAssessment.Impact.choices,
        initial=HarmAssessment.Impact.NOT_REPORTED,
        widget=forms.RadioSelect,
        label=_("Impact on the person, as they describe it"),
    )
    impact_statement = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        label=_("In their own words, if they chose to share"),
    )

    # The assessment's version when the form was opened; 0 when there was none yet (a second
    # user's first assessment saved meanwhile makes the form stale too).
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, case: Case, existing=None, minors=False, initial=None, **kwargs):
        values = {"reach": case.reach, "platform_count": 0, "minors_depicted": minors}
        if existing is not None:
            values.update(
                {name: getattr(existing, name) for name in self.base_fields if name != "version"}
            )
        values["version"] = existing.version if existing is not None else 0
        super().__init__(*args, initial={**values, **(initial or {})}, **kwargs)


class PartiesLabelChoiceField(RowsChoiceField):
    """Several parties of the case, as checkboxes named like ``PartyLabelChoiceField``."""

    widget = forms.CheckboxSelectMultiple

    def label_from_instance(self, obj):
        return f"{obj.display_name} ({obj.get_role_display().lower()})"


class MeasureAddForm(DatesChecked, OneSubmission):
    """One measure for each person ticked (``services.measures.measures_add_for_parties``).
    ``picked``: the ids of the people ticked when the page opens (the to-do panel's link,
    ``?party=1&party=2``)."""

    date_rule = "measure"

    kind = forms.ChoiceField(
        choices=CaseMeasure.Kind.choices, widget=forms.RadioSelect, label=_("Kind")
    )
    party = PartiesLabelChoiceField(
        queryset=None,
        label=_("For or concerning"),
        help_text=_("Tick each person: one measure is recorded for each."),
        error_messages={"required": _("Tick at least one person.")},
    )
    measure = forms.ModelChoiceField(
        queryset=None, required=False, label=_("Measure from the district's list")
    )
    description = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), required=False, label=_("Details")
    )
    starts_on = forms.DateField(widget=DateInput(), required=False, label=_("Starts on"))
    review_on = forms.DateField(widget=DateInput(), required=False, label=_("Review on"))
    status = forms.ChoiceField(
        choices=MeasureStatus.choices,
        widget=forms.RadioSelect,
        initial=MeasureStatus.ACTIVE,
        label=_("Status"),
    )
    party_choice = forms.ChoiceField(
        choices=PartyChoice.choices[:3],
        widget=forms.RadioSelect,
        required=False,
        initial=PartyChoice.OFFERED,
        label=_("The person's choice"),
        help_text=_("An interim measure is not an offer: its choice is not recorded."),
    )

    def __init__(self, *args, case, parties, kinds, picked=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["party"].queryset = parties
        self.fields["kind"].choices = [k for k in CaseMeasure.Kind.choices if k[0] in kinds]
        catalog = catalogs.measures_for_district(district=case.district)
        if CaseMeasure.Kind.INTERIM not in kinds:
            # Someone who may not add an interim measure (support staff) is not offered the
            # catalog's interim measures, nor told about them.
            catalog = catalog.exclude(kind=CaseMeasure.Kind.INTERIM)
            self.fields["party_choice"].help_text = ""
        self.fields["measure"].queryset = catalog
        if not self.is_bound and picked:
            self.initial["party"] = [p for p in picked if str(p).isdigit()]


class MeasureUpdateForm(DatesChecked, VersionedChoice):
    date_rule = "measure_review"
    record_field = "measure"

    CHOICE, STATUS, REVIEW = "choice", "status", "review"
    OPS = [
        (CHOICE, _("Record the person's choice")),
        (STATUS, _("Change the status")),
        (REVIEW, _("Record a review")),
    ]
    measure = forms.ModelChoiceField(queryset=None, label=_("Measure"))
    op = forms.ChoiceField(choices=OPS, widget=forms.RadioSelect, label=_("What to record"))
    choice = forms.ChoiceField(
        choices=[("", "—"), *PartyChoice.choices[:3]], required=False, label=_("Their choice")
    )
    status = forms.ChoiceField(
        choices=[("", "—"), *MeasureStatus.choices], required=False, label=_("New status")
    )
    next_review_on = forms.DateField(
        widget=DateInput(), required=False, label=_("Next review on (if it stays in place)")
    )
    end = forms.BooleanField(required=False, label=_("End the measure at this review"))
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), required=False, label=_("Note")
    )

    def __init__(self, *args, measures, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["measure"].queryset = measures.filter(withdrawn_at__isnull=True)
        self.fields["measure"].label_from_instance = lambda m: (
            f"{m} — {m.party.display_name} ({m.get_kind_display().lower()})"
        )
        self.version_initial()

    def clean(self):
        data = super().clean()
        measure = data.get("measure")
        if measure is not None and data.get("next_review_on"):
            values = {"starts_on": measure.starts_on, "next_review_on": data["next_review_on"]}
            for name, message in date_errors("measure_review", values).items():
                self.add_error(name, message)
        return data


class MeasureReviewForm(forms.Form):
    """A row per measure to review: each measure still open or never reviewed (and every
    measure a sent form names), with what to do (leave it as it is, record a review with the
    next review date, or end it at this review) and a note. The version of each measure the
    page showed travels hidden, so a row changed since refuses the whole save.
    ``cleaned_data["reviews"]``: one dict per row acted on, the keywords of
    ``services.measures.measure_reviews_record``."""

    LEAVE, REVIEW, END = "leave", "review", "end"
    ACTIONS = [
        (LEAVE, _("Leave it as it is")),
        (REVIEW, _("Record a review: it stays in place until the next review")),
        (END, _("End it at this review")),
    ]

    def __init__(self, *args, measures, **kwargs):
        super().__init__(*args, **kwargs)
        # The rows a sent form names stay rows (a measure ended meanwhile is then refused as
        # stale, not skipped); ids of up to 18 digits, which any database column holds.
        posted = [
            int(key.removeprefix("version_"))
            for key in (self.data or {})
            if key.startswith("version_")
            and key.removeprefix("version_").isascii()
            and key.removeprefix("version_").isdigit()
            and len(key) <= len("version_") + 18
        ]
        rows = measures.filter(withdrawn_at__isnull=True).filter(
            ~Q(status=MeasureStatus.ENDED) | Q(last_reviewed_at__isnull=True) | Q(pk__in=posted)
        )
        self.rows = list(rows)
        for m in self.rows:
            name = _("%(measure)s for %(who)s") % {"measure": m, "who": m.party.display_name}
            due = (
                _("Next review due %(day)s.") % {"day": date_format(m.review_on)}
                if m.review_on
                else _("No review date.")
            )
            self.fields[f"do_{m.pk}"] = forms.ChoiceField(
                choices=self.ACTIONS,
                widget=forms.RadioSelect,
                initial=self.LEAVE,
                required=False,
                label=name,
                help_text=f"{m.get_kind_display()}, {m.get_status_display().lower()}. {due}",
            )
            self.fields[f"next_review_on_{m.pk}"] = forms.DateField(
                widget=DateInput(),
                required=False,
                label=_("Next review of %(name)s (if it stays in place)") % {"name": name},
            )
            self.fields[f"note_{m.pk}"] = forms.CharField(
                widget=forms.Textarea(attrs={"rows": 2}),
                required=False,
                label=_("Note on %(name)s") % {"name": name},
            )
            self.fields[f"version_{m.pk}"] = forms.IntegerField(
                widget=forms.HiddenInput, required=False, initial=m.version
            )

    @property
    def row_groups(self) -> list[list]:
        """The visible bound fields, a list per measure (what to do, the next review, the
        note), for the page to show each measure's row as one box."""
        return [
            [self[f"do_{m.pk}"], self[f"next_review_on_{m.pk}"], self[f"note_{m.pk}"]]
            for m in self.rows
        ]

    def clean(self):
        data = super().clean()
        reviews = []
        for m in self.rows:
            do = data.get(f"do_{m.pk}") or self.LEAVE
            if do == self.LEAVE:
                continue
            next_on = data.get(f"next_review_on_{m.pk}")
            date_field = f"next_review_on_{m.pk}"
            if do == self.REVIEW:
                if next_on is None and date_field not in self.errors:
                    self.add_error(
                        date_field, _("A measure that stays in place needs its next review date.")
                    )
                    continue
                values = {"starts_on": m.starts_on, "next_review_on": next_on}
                for message in date_errors("measure_review", values).values():
                    self.add_error(date_field, message)
            reviews.append(
                {
                    "measure": m,
                    "version": data.get(f"version_{m.pk}"),
                    "end": do == self.END,
                    "next_review_on": next_on if do == self.REVIEW else None,
                    "note": data.get(f"note_{m.pk}", ""),
                }
            )
        if not reviews and not self.errors:
            raise forms.ValidationError(
                _("Choose what to do with at least one measure: every row says to leave it.")
            )
        data["reviews"] = reviews
        return data


class OfferRowsForm(OneSubmission):
    """The option offered once, and a row per person it may be offered to (``parties``) with
    their choice and notes; rows without a choice are skipped. ``picked``: the ids of the
    people whose row starts as "offered, no answer yet" (the to-do panel's link).
    ``cleaned_data["rows"]``: one dict per row with a choice (party, choice, notes)."""

    option = forms.ChoiceField(
        choices=ResolutionOffer.Option.choices, widget=forms.RadioSelect, label=_("Option")
    )

    def __init__(self, *args, parties, picked=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.parties = list(parties)
        picked = {str(p) for p in picked}
        for party in self.parties:
            name = f"{party.display_name} ({party.get_role_display().lower()})"
            self.fields[f"choice_{party.pk}"] = forms.ChoiceField(
                choices=PartyChoice.choices[:3],
                widget=forms.RadioSelect,
                required=False,
                label=name,
                initial=PartyChoice.OFFERED if str(party.pk) in picked else None,
            )
            self.fields[f"notes_{party.pk}"] = forms.CharField(
                widget=forms.Textarea(attrs={"rows": 2}),
                required=False,
                label=_("Notes on %(name)s") % {"name": name},
            )

    @property
    def row_groups(self) -> list[list]:
        """The visible bound fields: the option alone, then a list per person (the choice,
        the notes), for the page to show each person's row as one box."""
        return [[self["option"]]] + [
            [self[f"choice_{party.pk}"], self[f"notes_{party.pk}"]] for party in self.parties
        ]

    def clean(self):
        data = super().clean()
        rows = [
            {
                "party": party,
                "choice": data[f"choice_{party.pk}"],
                "notes": data.get(f"notes_{party.pk}", ""),
            }
            for party in self.parties
            if data.get(f"choice_{party.pk}")
        ]
        if not rows and not self.errors:
            raise forms.ValidationError(
                _("Record the choice of at least one person: every row is blank.")
            )
        data["rows"] = rows
        return data


class TakedownAddForm(OneSubmission):
    platform = forms.ModelChoiceField(queryset=None, label=_("Platform"))
    location = forms.CharField(
        max_length=500,
        label=_("Where it was seen"),
        help_text=_("A link, an account handle or a group name. Never the image itself."),
    )
    depicted_party = PartyLabelChoiceField(
        queryset=None,
        required=False,
        label=_("Person shown (their age in the imagery sets Take It Down or StopNCII)"),
    )
    route = forms.ChoiceField(
        choices=[("", _("Suggest from the age in the imagery")), *TakedownRequest.Route.choices],
        required=False,
        widget=forms.RadioSelect,
        label=_("Route"),
        help_text=_(
            "Take It Down (NCMEC) is for imagery made under 18, even of a person who is "
            "an adult now; StopNCII only for imagery made at 18 or over. Only a covered platform's "
            "own notice starts the 48-hour clock of the TAKE IT DOWN Act."
        ),
    )
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)

    def __init__(self, *args, case, parties, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["platform"].queryset = catalogs.platforms_for_district(district=case.district)
        self.fields["depicted_party"].queryset = parties

    def clean(self):
        data = super().clean()
        route = data.get("route")
        if route:
            refusal = route_refusal(route, data.get("depicted_party"))
            if refusal:
                self.add_error("route", refusal)
        return data


class TakedownUpdateForm(VersionedChoice):
    record_field = "takedown"

    STATUSES = [
        ("submitted", _("Submitted to the platform (starts the 48-hour clock)")),
        ("removed", _("Removed")),
        ("refused", _("Refused by the platform")),
        ("reappeared", _("Reappeared")),
        ("waived", _("Not pursued (give the reason)")),
    ]
    takedown = forms.ModelChoiceField(queryset=None, label=_("Request"))
    status = forms.ChoiceField(choices=STATUSES, widget=forms.RadioSelect, label=_("What happened"))
    platform_reference = forms.CharField(
        max_length=200, required=False, label=_("The platform's reference (when submitted)")
    )
    # The elements of a valid request under the TAKE IT DOWN Act; a covered platform's own
    # route needs all four before its 48-hour clock starts.
    has_signature = forms.BooleanField(
        required=False, label=_("The request carries a signature (physical or electronic)")
    )
    identifies_content = forms.BooleanField(
        required=False, label=_("The request identifies the content and where to find it")
    )
    good_faith_statement = forms.BooleanField(
        required=False, label=_("The request states in good faith that it is not consensual")
    )
    has_contact_information = forms.BooleanField(
        required=False, label=_("The request gives contact information")
    )
    waiver_reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        label=_("Why it is not pursued"),
    )
    note = forms.CharField(max_length=500, required=False, label=_("Note"))

    def __init__(self, *args, takedowns, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["takedown"].queryset = takedowns
        self.fields["takedown"].label_from_instance = lambda t: f"{t.platform}: {t.location}"
        self.version_initial()


class ReportDecisionForm(DatesChecked, forms.Form):
    """One row of the external reports page (``report_decisions_formset``): the report
    (``key``, ``obligations.report_key``, and the version the page showed, both hidden) and
    its decision; a row left undecided is skipped."""

    date_rule = "report"

    OUTCOMES = [
        ("made", _("The report was made")),
        ("not_required", _("Not required (explain why)")),
    ]
    key = forms.CharField(max_length=40, widget=forms.HiddenInput)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0)
    outcome = forms.ChoiceField(
        choices=OUTCOMES, required=False, widget=forms.RadioSelect, label=_("Decision")
    )
    reported_at = forms.DateTimeField(
        widget=DateTimeInput(), required=False, label=_("When it was made")
    )
    reference_number = forms.CharField(
        max_length=120, required=False, label=_("Reference number the agency gave")
    )
    contact_name = forms.CharField(max_length=200, required=False, label=_("Who took the report"))
    explanation = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        label=_("Why it is not required"),
    )

    def clean(self):
        data = super().clean()
        if data.get("outcome") == "made":
            if not data.get("reported_at") and "reported_at" not in self.errors:
                self.add_error("reported_at", _("Say when the report was made."))
            if not data.get("reference_number", "").strip():
                self.add_error("reference_number", _("Enter the reference number the agency gave."))
        elif data.get("outcome") == "not_required" and not data.get("explanation", "").strip():
            self.add_error("explanation", _("Explain why this report is not required."))
        return data

    def decision(self):
        """The row as ``services.reports.external_reports_decide`` takes it (None when the row
        is left undecided)."""
        from .services.reports import ReportDecision

        data = self.cleaned_data
        if not data.get("outcome"):
            return None
        return ReportDecision(
            key=data["key"],
            outcome=data["outcome"],
            version=data.get("version"),
            reported_at=data.get("reported_at"),
            reference_number=data.get("reference_number", ""),
            contact_name=data.get("contact_name", ""),
            explanation=data.get("explanation", ""),
        )


# A case has a handful of reports; a management form claiming more than 50 rows is refused
# ("Please submit at most 50 forms.") with no more than 50 forms built (Django's default
# absolute_max would build max_num + 1000 for one forged number).
class ReportDecisionRows(forms.BaseFormSet):
    """The rows of the external reports page: each report named once."""

    def clean(self):
        super().clean()
        keys = [
            form.cleaned_data.get("key")
            for form in self.forms
            if getattr(form, "cleaned_data", None) and form.cleaned_data.get("key")
        ]
        if len(keys) != len(set(keys)):
            raise forms.ValidationError(
                _("The same report is sent twice. Nothing was saved: open the page again.")
            )


ReportDecisionFormSet = forms.formset_factory(
    ReportDecisionForm,
    formset=ReportDecisionRows,
    extra=0,
    max_num=50,
    absolute_max=50,
    validate_max=True,
)


def report_decisions_formset(data=None, *, rows) -> forms.BaseFormSet:
    """The rows of the external reports page: one form per report waiting for a decision
    (``rows``: ``selectors.ReportToDecide``), its key and version hidden, the time of a report
    made set to now."""
    now = timezone.localtime().replace(second=0, microsecond=0)
    initial = [{"key": r.key, "version": r.version, "reported_at": now} for r in rows]
    return ReportDecisionFormSet(data, initial=initial, prefix="reports")


class EvidenceAddForm(DatesChecked, OneSubmission):
    date_rule = "evidence"

    description = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        label=_("What was seen"),
        help_text=_("Describe it without graphic detail. Never attach or paste the imagery."),
    )
    platform = forms.ModelChoiceField(queryset=None, required=False, label=_("Platform"))
    url = forms.CharField(max_length=1000, required=False, label=_("Link"))
    handle = forms.CharField(max_length=200, required=False, label=_("Account handle"))
    group_name = forms.CharField(max_length=200, required=False, label=_("Group or chat name"))
    seen_at = forms.DateTimeField(
        widget=DateTimeInput(), required=False, label=_("When it was seen")
    )
    device_holder = forms.CharField(max_length=200, required=False, label=_("Who holds the device"))
    sha256 = forms.CharField(max_length=64, required=False, label=_("SHA-256 hash (optional)"))
    document = forms.FileField(
        required=False,
        label=_("Supporting document (PDF, Word or plain text)"),
        help_text=_(
            "Pictures and videos are refused and nothing of them is kept: this system "
            "must never hold intimate imagery, which can be a crime to possess. Attach statements "
            "and letters only."
        ),
    )
    document_title = forms.CharField(max_length=200, required=False, label=_("Document title"))

    def __init__(self, *args, case, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["platform"].queryset = catalogs.platforms_for_district(district=case.district)


class PartyTicks(RowsChoiceField):
    """The people a record made for several is for: a checkbox per party, each shown in the
    person's own fieldset (``forms_rows``)."""

    widget = forms.CheckboxSelectMultiple

    def label_from_instance(self, obj):
        return _("Log this notice for %(name)s") % {"name": obj.display_name}


class NoticeAddForm(PersonRowsForm, DatesChecked, OneSubmission):
    """A notice logged for several people in one save: the kind, how, when and what was said
    once, then a row per person the user may notify (``selectors.notice_form_scope``) with a
    tick and "Given to (name)": the person's own name for a notice to them (left empty, it is
    theirs), a parent's or guardian's name for a parent notification (required). For a
    student of 18 or over the row also asks the FERPA basis of a parent notice. ``ticked``:
    the party ids ticked when the page opens (the to-do panel's ``?party=`` list)."""

    date_rule = "notice"
    tick_field = "party"
    no_rows_message = _("No person of the case can be given a notice here.")

    kind = forms.ChoiceField(
        choices=PartyNotice.Kind.choices, widget=forms.RadioSelect, label=_("Kind of notice")
    )
    method = forms.ChoiceField(
        choices=PartyNotice.Method.choices,
        widget=forms.RadioSelect,
        initial=PartyNotice.Method.IN_PERSON,
        label=_("How"),
    )
    sent_at = forms.DateTimeField(
        widget=DateTimeInput(),
        required=False,
        label=_("When"),
        help_text=_("Left empty: now."),
    )
    summary = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), label=_("What was said or sent")
    )
    party = PartyTicks(
        queryset=None,
        label=_("Who it is for"),
        error_messages={"required": _("Tick at least one person.")},
    )

    def __init__(self, *args, parties, kinds, ticked=(), **kwargs):
        from .parents import party_is_eligible_student

        super().__init__(*args, **kwargs)
        self.fields["party"].queryset = parties
        choices = [k for k in PartyNotice.Kind.choices if k[0] in kinds]
        self.fields["kind"].choices = choices
        if len(choices) == 1:
            self.initial.setdefault("kind", choices[0][0])
        if ticked and not self.is_bound:
            self.initial["party"] = [str(pk) for pk in ticked]
        parent_kind = PartyNotice.Kind.PARENT_NOTIFICATION
        for party in parties.select_related("person"):
            self.row_begin(party, party.display_name, party.get_role_display())
            self.row_add(
                party,
                "recipient_name",
                forms.CharField(
                    max_length=200,
                    required=False,
                    # Never the person's own name in advance: a parent notice chosen on the
                    # page would carry the student's name as the parent's.
                    label=_("Given to (name)"),
                    help_text=_(
                        "For a parent or guardian notification, the parent's or guardian's "
                        "name; otherwise, left empty, the person's own."
                    ),
                ),
            )
            if parent_kind in kinds and party_is_eligible_student(party):
                self.row_add(
                    party,
                    "eligible_student_basis",
                    forms.ChoiceField(
                        choices=c.EligibleStudentBasis.choices,
                        widget=forms.RadioSelect,
                        required=False,
                        label=_("For a parent notice (a student of 18 or over): the basis"),
                        help_text=_(
                            "A student of 18 or over is an eligible student whose rights are "
                            "their own (FERPA): tell them directly, and tell a parent only "
                            "with their consent or under an exception."
                        ),
                    ),
                )
                self.row_add(
                    party,
                    "eligible_student_note",
                    forms.CharField(
                        widget=forms.Textarea(attrs={"rows": 2}),
                        required=False,
                        label=_(
                            "When and how the student consented, or the facts of the exception"
                        ),
                    ),
                )

    def clean(self):
        from .services.notices import NoticeRow

        data = super().clean()
        to_parent = data.get("kind") == PartyNotice.Kind.PARENT_NOTIFICATION
        rows = []
        for party in data.get("party") or []:
            given_to = (self.row_value(party, "recipient_name") or "").strip()
            if to_parent and given_to in ("", party.display_name):
                self.row_error(
                    party,
                    "recipient_name",
                    _("Give the name of the parent or guardian told about %(name)s.")
                    % {"name": party.display_name},
                )
            rows.append(
                NoticeRow(
                    party=party,
                    recipient_name=given_to or party.display_name,
                    eligible_student_basis=self.row_value(party, "eligible_student_basis", ""),
                    eligible_student_note=self.row_value(party, "eligible_student_note", ""),
                    key=self.row_key(party),
                )
            )
        data["rows"] = rows
        return data


class RespondentChoice(PartyLabelChoiceField):
    """The respondent of a determination or a sanction, as radio buttons; the only identified
    respondent of the case is chosen already."""

    widget = forms.RadioSelect

    @staticmethod
    def preselect(form, name: str, respondents) -> None:
        if not form.is_bound and not form.initial.get(name):
            only = list(respondents[:2])
            if len(only) == 1:
                form.initial[name] = only[0].pk


class DeterminationForm(OneSubmission):
    respondent = RespondentChoice(queryset=None, label=_("Respondent"))
    finding = forms.ChoiceField(
        choices=Determination.Finding.choices, widget=forms.RadioSelect, label=_("Finding")
    )
    standard_of_evidence = forms.ChoiceField(
        choices=Determination.Standard.choices,
        widget=forms.RadioSelect,
        label=_("Standard of evidence"),
    )
    rationale = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), label=_("Rationale"))

    def __init__(self, *args, respondents, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["respondent"].queryset = respondents
        RespondentChoice.preselect(self, "respondent", respondents)


class SanctionAddForm(DatesChecked, OneSubmission):
    """Sanctions or corrective actions for one respondent: each intervention ticked from the
    catalog of the case's respondent track becomes one sanction, with the same details and
    dates."""

    date_rule = "sanction"

    respondent = RespondentChoice(queryset=None, label=_("Respondent"))
    interventions = RowsChoiceField(
        queryset=None,
        widget=forms.CheckboxSelectMultiple,
        label=_("Interventions (tick each that applies)"),
        error_messages={"required": _("Tick at least one intervention.")},
    )
    details = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    starts_on = forms.DateField(widget=DateInput(), required=False, label=_("Starts on"))
    ends_on = forms.DateField(widget=DateInput(), required=False, label=_("Ends on"))

    def __init__(self, *args, case, respondents, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["respondent"].queryset = respondents
        RespondentChoice.preselect(self, "respondent", respondents)
        track = case.respondent_track
        self.fields["interventions"].queryset = (
            catalogs.interventions_for_track(district=case.district, track=track)
            if track in ("student", "employee")
            else catalogs.interventions_for_track(district=None, track="student").none()
        )


class PartyAddForm(PersonRowForm, OneSubmission):
    """A person added to the case: named (found or created as a person of the district, at
    their own school) or described while unknown."""

    description = forms.CharField(
        max_length=300, required=False, label=_("Or a description, if the name is not known")
    )
    aliases = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        label=_("Nicknames and online handles, one per line"),
        help_text=_("Redacted summaries leave these out like the name."),
    )
    guardian_authority = forms.ChoiceField(
        choices=[("", _("Not known")), *c.GuardianAuthority.choices],
        required=False,
        label=_("For a parent or guardian: legal authority"),
        help_text=_(
            "Either parent keeps a student's record rights unless a court order or law "
            "revokes them (FERPA, 34 CFR 99.4)."
        ),
    )
    guardian_authority_notes = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        label=_("Court orders and custody details"),
    )
    field_order = ["role", "roster_query", "person", "first_name", "last_name", "description"]

    def __init__(self, *args, case, schools, people=None, user=None, **kwargs):
        super().__init__(*args, schools=schools, people=people, user=user, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("school", case.school_id)

    def clean(self):
        data = super().clean()
        if not self.is_named and not (data.get("description") or "").strip():
            raise forms.ValidationError(_("Give a first and last name, or a description."))
        return data

    @staticmethod
    def party_of_data(data: dict) -> dict:
        """The cleaned form as ``case_party_add_named`` takes it."""
        named = bool(data["first_name"].strip() and data["last_name"].strip())
        affiliations = _affiliations(data["affiliations"])
        return {
            "person": data.get("person"),
            "role": data["role"],
            "first_name": data["first_name"],
            "last_name": data["last_name"],
            "description": data["description"],
            "affiliation": affiliations[0],
            "affiliations": affiliations[1:],
            "is_minor": _tristate(data["is_minor"]),
            "age_in_imagery": data.get("age_in_imagery") or c.AgeInImagery.UNKNOWN,
            "birth_date": data["birth_date"],
            "school": data["school"] if named else None,
            "grade": data["grade"],
            "notes": data["notes"],
            "aliases": data.get("aliases", ""),
            "guardian_authority": data.get("guardian_authority", ""),
            "guardian_authority_notes": data.get("guardian_authority_notes", ""),
        }


class AssignForm(forms.Form):
    """Offers only the staff who may be assigned to the case (``permissions.
    users_assignable_to``); the service says why a role does not fit a person."""

    user = forms.ModelChoiceField(
        queryset=None,
        label=_("Staff member"),
        help_text=_("Only active staff whose role works on this case are listed."),
    )
    role = forms.ChoiceField(
        choices=[
            (value, label)
            for value, label in c.AssignmentRole.choices
            if value != c.AssignmentRole.LEAD
        ],
        initial=c.AssignmentRole.INVESTIGATOR,
        widget=forms.RadioSelect,
        label=_("Role on the case"),
        help_text=_("To name or change the lead, use \u201cChange the lead\u201d."),
    )

    def __init__(self, *args, staff, lead_open: bool = False, **kwargs):
        """``staff``: the users who may be assigned; ``lead_open``: the case has no lead yet,
        so the lead is offered here too (afterwards it changes only with a reason)."""
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = staff
        if lead_open:
            self.fields["role"].choices = c.AssignmentRole.choices


class LeadChangeForm(forms.Form):
    user = forms.ModelChoiceField(queryset=None, label=_("New lead"))
    reason = forms.CharField(
        max_length=300,
        label=_("Why the lead changes"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Kept in the case's record, for example \u201cStaff leave until March\u201d."),
    )

    # The lead assignment the page showed (0: none): a lead handed over by someone else since
    # makes the form stale instead of silently overriding their choice.
    lead_shown = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, staff, lead_assignment_id: int | None = None, **kwargs):
        """``staff``: the users who may lead the case; ``lead_assignment_id``: the case's
        current lead assignment (None: no lead)."""
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = staff
        self.initial.setdefault("lead_shown", lead_assignment_id or 0)


class UnassignForm(forms.Form):
    assignment = forms.ModelChoiceField(queryset=None, label=_("Assignment"))
    reason = forms.CharField(max_length=300, required=False, label=_("Reason"))

    def __init__(self, *args, assignments, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignment"].queryset = assignments


# --- Corrections and withdrawals ------------------------------------------------------------


class RecordChange(forms.Form):
    """What every correction and withdrawal carries: the record's version when the form was
    opened (a newer change refuses the save) and the reason, kept in the record."""

    record = forms.IntegerField(widget=forms.HiddenInput)
    version = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=1000,
        label=_("Reason (kept in the record)"),
        help_text=_("For example 'typo in the end date' or 'entered on the wrong case'."),
    )


class WithdrawForm(RecordChange):
    def __init__(self, *args, record, **kwargs):
        super().__init__(*args, **kwargs)
        self.record = record
        if not self.is_bound:
            self.initial.update(record=record.pk, version=record.version)

    def clean(self):
        data = super().clean()
        data.pop("record", None)
        return data


def _date_widgets(field, **kwargs):
    from django.db import models as m

    if isinstance(field, m.DateTimeField):
        return forms.DateTimeField(
            widget=DateTimeInput(), required=not field.blank, label=field.verbose_name.capitalize()
        )
    if isinstance(field, m.DateField):
        return forms.DateField(
            widget=DateInput(), required=not field.blank, label=field.verbose_name.capitalize()
        )
    return field.formfield(**kwargs)


class CorrectionForm(DatesChecked, RecordChange):
    """The correctable fields of one record (``services.corrections.REGISTRY``), filled with
    its current values."""

    kind = ""

    def __init__(self, *args, case, record, **kwargs):
        super().__init__(*args, **kwargs)
        self.case, self.record = case, record
        if "platform" in self.fields:
            self.fields["platform"].queryset = catalogs.platforms_for_district(
                district=case.district
            )
        if not self.is_bound:
            for name in self.correctable():
                value = getattr(record, name)
                self.initial[name] = getattr(value, "pk", value)
            self.initial.update(record=record.pk, version=record.version)

    @classmethod
    def correctable(cls) -> tuple[str, ...]:
        from .services.corrections import REGISTRY

        return REGISTRY[cls.kind].fields

    def changes(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.correctable()}

    def save_through_service(self, *, actor):
        from .services.corrections import record_correct

        return record_correct(
            actor=actor,
            record=self.record,
            version=self.cleaned_data["version"],
            reason=self.cleaned_data["reason"],
            **self.changes(),
        )


def correction_form_class(kind: str):
    """The correction form of one kind of record ("measure", "party", ...)."""
    if kind == "party":
        return PartyCorrectForm
    if kind == "parent_decision":
        return ParentDecisionCorrectForm
    from .services.corrections import REGISTRY

    spec = REGISTRY[kind]
    fields = forms.fields_for_model(
        spec.model, fields=spec.fields, formfield_callback=_date_widgets
    )
    for name in ("kind", "method"):
        if name in fields:
            fields[name].required = True
    return type(
        f"{spec.model.__name__}CorrectionForm",
        (CorrectionForm,),
        {**fields, "kind": kind, "date_rule": spec.date_rule or ""},
    )


class PartyCorrectForm(DatesChecked, RecordChange):
    """A party's details and, for an identified party, the person's: name, school, grade,
    date of birth, contacts."""

    date_rule = "person"
    PERSON = ("first_name", "last_name", "school", "grade", "birth_date", "email", "phone")
    first_name = forms.CharField(max_length=100, required=False, label=_("First name"))
    last_name = forms.CharField(max_length=100, required=False, label=_("Last name"))
    description = forms.CharField(
        max_length=300, required=False, label=_("Description (when the name is not known)")
    )
    affiliations = PersonRowForm.base_fields["affiliations"]
    is_minor = forms.ChoiceField(
        choices=YES_NO_UNKNOWN, required=False, widget=forms.RadioSelect, label=_("Under 18 now?")
    )
    age_in_imagery = PersonRowForm.base_fields["age_in_imagery"]
    birth_date = forms.DateField(widget=DateInput(), required=False, label=_("Date of birth"))
    school = forms.ModelChoiceField(queryset=None, required=False, label=_("Their school"))
    grade = forms.CharField(max_length=10, required=False, label=_("Grade"))
    email = forms.EmailField(required=False, label=_("Email"))
    phone = forms.CharField(max_length=40, required=False, label=_("Phone"))
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    guardian_authority = PartyAddForm.base_fields["guardian_authority"]
    guardian_authority_notes = PartyAddForm.base_fields["guardian_authority_notes"]
    GUARDIAN = ("guardian_authority", "guardian_authority_notes")
    preferred_language = forms.ChoiceField(
        choices=c.PreferredLanguage.choices,
        required=False,
        label=_("Preferred language for letters"),
        help_text=_(
            "Letters are prepared in English or Spanish; for another language, in English "
            "with a note to arrange a translation."
        ),
    )
    field_order = [
        "first_name",
        "last_name",
        "description",
        "affiliations",
        "is_minor",
        "age_in_imagery",
    ]

    def __init__(self, *args, case, record, **kwargs):
        super().__init__(*args, **kwargs)
        self.case, self.record = case, record
        self.fields["school"].queryset = case.district.schools.all()
        if record.person_id is None:
            for name in self.PERSON:
                del self.fields[name]
        if record.role != c.PartyRole.PARENT:
            for name in self.GUARDIAN:
                del self.fields[name]
        if not self.is_bound:
            values = {
                "description": record.description,
                "affiliations": [
                    a
                    for a in [record.affiliation, *(record.affiliations or [])]
                    if a != c.Affiliation.UNKNOWN
                ],
                "is_minor": _tristate_initial(record.is_minor),
                "age_in_imagery": record.age_in_imagery,
                "notes": record.notes,
                "record": record.pk,
                "version": record.version,
                "guardian_authority": record.guardian_authority,
                "guardian_authority_notes": record.guardian_authority_notes,
                "preferred_language": record.preferred_language,
            }
            if record.person_id:
                person = record.person
                values.update({name: getattr(person, name) for name in self.PERSON})
                values["school"] = person.school_id
            self.initial.update(values)

    def save_through_service(self, *, actor):
        from .services.cases import case_party_correct

        data = dict(self.cleaned_data)
        changes = {
            "description": data["description"],
            "affiliations": _affiliations(data["affiliations"]),
            "is_minor": _tristate(data["is_minor"]),
            "age_in_imagery": data["age_in_imagery"] or c.AgeInImagery.UNKNOWN,
            "notes": data["notes"],
            "preferred_language": data.get("preferred_language") or "",
        }
        changes.update({name: data[name] for name in self.PERSON if name in self.fields})
        changes.update({name: data[name] for name in self.GUARDIAN if name in self.fields})
        return case_party_correct(
            actor=actor,
            party=self.record,
            version=data["version"],
            reason=data["reason"],
            **changes,
        )


class SanctionStatusForm(VersionedChoice):
    record_field = "sanction"
    sanction = forms.ModelChoiceField(queryset=None, label=_("Sanction"))
    status = forms.ChoiceField(
        choices=[(v, lbl) for v, lbl in SanctionStatus.choices if v != SanctionStatus.PLANNED],
        widget=forms.RadioSelect,
        label=_("New status"),
    )
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        label=_("Reason (needed to vacate)"),
    )

    def __init__(self, *args, sanctions, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sanction"].queryset = sanctions.filter(withdrawn_at__isnull=True)
        self.fields["sanction"].label_from_instance = lambda s: (
            f"{s.intervention} — {s.respondent.display_name} ({s.get_status_display().lower()})"
        )
        self.version_initial()


class CaseVersioned(forms.Form):
    """Form mixin of the forms that change the case row itself (track, school): the case's
    version when the page was opened travels hidden, and the service refuses the save if the
    case changed since (``services.corrections.StaleRecord``)."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, case, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial.setdefault("version", case.version)


class TrackForm(CaseVersioned):
    track = forms.ChoiceField(
        choices=c.RespondentTrack.choices, widget=forms.RadioSelect, label=_("Respondent track")
    )
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), label=_("Why this track (kept in the record)")
    )

    def __init__(self, *args, case, **kwargs):
        super().__init__(*args, case=case, **kwargs)
        self.initial.setdefault("track", case.respondent_track)


class MoveSchoolForm(CaseVersioned):
    school = forms.ModelChoiceField(queryset=None, label=_("New school"))
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), label=_("Why the case moves (kept in the record)")
    )

    def __init__(self, *args, case, schools, **kwargs):
        super().__init__(*args, case=case, **kwargs)
        self.fields["school"].queryset = schools.exclude(pk=case.school_id)


# --- Parent-notification decisions and support not offered -----------------------------------


class ParentDecisionFields(forms.Form):
    """The fields of a parent-notification decision, shared by the form that records one and
    the form that corrects one. ``approvers``: who may approve (``permissions.
    users_who_may_on_case``)."""

    # Checked in ``clean`` with the decision's own time (now, or the corrected record's).
    date_rule = "parent_decision"
    decision = forms.ChoiceField(
        choices=ParentNotificationDecision.Decision.choices,
        widget=forms.RadioSelect,
        label=_("Decision"),
    )
    delay_until = forms.DateField(
        widget=DateInput(), required=False, label=_("Delay until (for a delay)")
    )
    student_wishes = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        label=_("The student's wishes"),
        help_text=_("What the student asked for, in their words; if they were not asked, why."),
    )
    risks = forms.MultipleChoiceField(
        choices=c.NotificationRisk.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        label=_("Risks weighed"),
    )
    explanation = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        label=_("Reasons"),
        help_text=_("Required for a delay or a decision not to notify."),
    )
    approved_by = forms.ModelChoiceField(queryset=None, label=_("Approved by"))
    review_on = forms.DateField(
        widget=DateInput(),
        required=False,
        label=_("Review on"),
        help_text=_("Required for a delay or a decision not to notify."),
    )

    def __init__(self, *args, approvers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["approved_by"].queryset = approvers

    def clean(self):
        data = super().clean()
        from .services.parents import parent_decision_problems

        problems = parent_decision_problems(
            decision=data.get("decision", ""),
            delay_until=data.get("delay_until"),
            review_on=data.get("review_on"),
            risks=data.get("risks") or [],
            explanation=data.get("explanation", ""),
            student_wishes=data.get("student_wishes", ""),
        )
        values = {**data, "decided_at": getattr(self, "decided_at", None) or timezone.now()}
        problems = {**date_errors(self.date_rule, values), **problems}
        for name, message in problems.items():
            if name in self.fields and name not in self.errors:
                self.add_error(name, message)
        return data


class ParentDecisionForm(PersonRowsForm, OneSubmission):
    """Parent-notification decisions for several students in one save: a row per student
    under 18 without a current decision (``selectors.parent_decision_form_scope``) with the
    fields of one decision (``ParentDecisionFields``, the same rules row by row), and "Approved
    by" once for every row, a deliberate choice (never chosen in advance). A row without a
    decision is left out; a row with something typed but no decision is refused, so that
    nothing typed is lost unseen."""

    ROW_FIELDS = ("decision", "delay_until", "student_wishes", "risks", "explanation")
    ROW_FIELDS += ("review_on",)
    fields_after_rows = ("approved_by",)
    no_rows_message = _(
        "Every student under 18 of the case has a decision: correct one (with the reason) "
        "from the case page."
    )

    approved_by = forms.ModelChoiceField(
        queryset=None, widget=forms.RadioSelect, label=_("Approved by")
    )

    def __init__(self, *args, parties, approvers, decided=frozenset(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["approved_by"].queryset = approvers
        for party in parties:
            sent = self.is_bound and self.data.get(f"{self.row_key(party)}-decision")
            if party.pk in decided and not sent:
                continue  # decided already; a page sent twice still names them
            self.row_begin(party, party.display_name, party.get_role_display())
            for name in self.ROW_FIELDS:
                field = copy.deepcopy(ParentDecisionFields.base_fields[name])
                field.required = False
                self.row_add(party, name, field)

    def clean(self):
        from .services.parents import ParentDecisionRow, parent_decision_problems

        data = super().clean()
        now = timezone.now()
        rows = []
        for party, _legend, _names, _note in self._rows:
            values = {n: self.row_value(party, n) for n in self.ROW_FIELDS}
            if not values["decision"]:
                if any(values.values()):
                    self.row_error(
                        party,
                        "decision",
                        _("Choose the decision for %(name)s, or clear the row.")
                        % {"name": party.display_name},
                    )
                continue
            problems = parent_decision_problems(
                decision=values["decision"],
                delay_until=values["delay_until"],
                review_on=values["review_on"],
                risks=values["risks"] or [],
                explanation=values["explanation"] or "",
                student_wishes=values["student_wishes"] or "",
            )
            dated = date_errors("parent_decision", {**values, "decided_at": now})
            for name, message in {**dated, **problems}.items():
                if f"{self.row_key(party)}-{name}" not in self.errors:
                    self.row_error(party, name, message)
            rows.append(
                ParentDecisionRow(
                    party=party,
                    decision=values["decision"],
                    student_wishes=values["student_wishes"] or "",
                    risks=list(values["risks"] or []),
                    explanation=values["explanation"] or "",
                    delay_until=values["delay_until"],
                    review_on=values["review_on"],
                    key=self.row_key(party),
                )
            )
        if not rows and not self.errors:
            self.add_error(
                None,
                _(
                    "Choose the decision for at least one student (notify now, delay, or do "
                    "not notify)."
                ),
            )
        data["rows"] = rows
        return data


class ParentDecisionCorrectForm(ParentDecisionFields, RecordChange):
    """Corrects a parent-notification decision (a delay ends, the wishes change), with the
    reason; the decision's version guards against a newer change."""

    kind = "parent_decision"
    FIELDS = ("decision", "delay_until", "student_wishes", "risks", "explanation")
    FIELDS += ("approved_by", "review_on")

    def __init__(self, *args, case, record, **kwargs):
        from .permissions import Action, users_who_may_on_case

        approvers = users_who_may_on_case(case, Action.TRIAGE, Action.DECIDE)
        super().__init__(*args, approvers=approvers, **kwargs)
        self.case, self.record = case, record
        self.decided_at = record.decided_at
        if not self.is_bound:
            for name in self.FIELDS:
                value = getattr(record, name)
                self.initial[name] = getattr(value, "pk", value)
            self.initial.update(record=record.pk, version=record.version)

    def save_through_service(self, *, actor):
        from .services.corrections import record_correct

        data = self.cleaned_data
        return record_correct(
            actor=actor,
            record=self.record,
            version=data["version"],
            reason=data["reason"],
            **{name: data[name] for name in self.FIELDS},
        )


class SupportNotOfferedForm(OneSubmission):
    party = PartyLabelChoiceField(queryset=None, label=_("Person shown"))
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        label=_("Why no supportive measure was offered"),
        help_text=_(
            "For example: the person is not identified yet, or is not a student or "
            "employee of the district and was given the outside resources instead."
        ),
    )

    def __init__(self, *args, parties, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["party"].queryset = parties
