"""Forms of the reports from anyone: the staff report, the public report, following a report
with its tracking code and passphrase, the messages, and the queue's decisions.

Every text field refuses a pasted image: a ``data:`` URL or a long run of base64 (an image's
bytes pasted as text). The application never stores intimate imagery (DESIGN.md,
non-negotiable 1), and a report is words only.
"""

import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .dates import date_errors
from .forms import DateTimeInput, OneSubmission
from .models_intake import ReporterRelation

# Size limits, in characters (docs/reports.md).
LONG_TEXT = 5000
SHORT_TEXT = 1000
MESSAGE_TEXT = 2000
PASSPHRASE_MIN = 8
PASSPHRASE_MAX = 128

IMAGE_REFUSED = _(
    "Pictures and files cannot be sent here, and this text looks like a picture pasted as "
    "text. Please describe what you saw in words only. Do not copy, send or keep the image."
)
# "data:<type>/<subtype>[;params],": a data URL of any type (an image, or a file disguised).
_DATA_URL = re.compile(r"data\s*:\s*[\w.+-]+\s*/\s*[\w.+-]+(\s*;\s*[^,;\s]*)*\s*,", re.IGNORECASE)
# An image's bytes pasted as base64: a long unbroken run of the base64 alphabet. Ordinary
# words never run this long without a space; a web address has other characters.
_BASE64_RUN = re.compile(r"[A-Za-z0-9+/=]{120,}")


def refuse_pasted_images(value: str) -> None:
    """Raises ``ValidationError`` (code ``image_refused``) when the text holds a data URL or
    a long run of base64: an image or file pasted into a text field."""
    if value and (_DATA_URL.search(value) or _BASE64_RUN.search(value)):
        raise ValidationError(IMAGE_REFUSED, code="image_refused")


def text_field(label, *, max_length=SHORT_TEXT, required=False, help_text="", rows=3):
    """A text area that refuses pasted images and says its size limit."""
    return forms.CharField(
        label=label,
        required=required,
        max_length=max_length,
        help_text=help_text,
        validators=[refuse_pasted_images],
        widget=forms.Textarea(attrs={"rows": rows, "maxlength": max_length}),
    )


def line_field(label, *, max_length=200, required=False, help_text=""):
    return forms.CharField(
        label=label,
        required=required,
        max_length=max_length,
        help_text=help_text,
        validators=[refuse_pasted_images],
    )


class ReportQuestions(forms.Form):
    """The questions both report forms ask, in plain language."""

    what_happened = text_field(
        _("What happened?"),
        max_length=LONG_TEXT,
        required=True,
        rows=6,
        help_text=_(
            "Describe it in your own words. You do not need to describe the picture in "
            "detail, and please do not send it."
        ),
    )
    who_involved = text_field(
        _("Who is involved, if you know?"),
        help_text=_(
            "Names, or a description such as 'a student in grade 8'. It is fine not to know."
        ),
    )
    where_seen = text_field(
        _("Where was it seen or shared?"),
        help_text=_("For example an app, a website, a group chat, or a place at school."),
    )
    actions_taken = text_field(
        _("What has been done so far?"),
        help_text=_("For example 'I told the student to keep their phone switched off'."),
    )

    def __init__(self, *args, schools=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["school"] = forms.ModelChoiceField(
            queryset=schools,
            required=False,
            label=_("Which school is it about, if you know?"),
            empty_label=_("I don't know, or it is not about one school"),
        )
        self.order_fields(["school"])

    def report_data(self) -> dict:
        data = self.cleaned_data
        return {
            "school": data.get("school"),
            "what_happened": data["what_happened"],
            "who_involved": data.get("who_involved", ""),
            "where_seen": data.get("where_seen", ""),
            "actions_taken": data.get("actions_taken", ""),
        }


class StaffReportForm(ReportQuestions, OneSubmission):
    learned_at = forms.DateTimeField(
        widget=DateTimeInput(),
        label=_("When did you learn of it?"),
        help_text=_(
            "The date and time you first heard or saw it. The district's clocks start here."
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault(
                "learned_at", timezone.localtime().replace(second=0, microsecond=0)
            )

    def clean(self):
        data = super().clean()
        # The case's rule for "when a staff member first heard of it" (dates.py).
        if data.get("learned_at") and date_errors("case", {"reported_at": data["learned_at"]}):
            self.add_error(
                "learned_at",
                _("This time is in the future; enter when you actually learned of it."),
            )
        return data

    def report_data(self) -> dict:
        return {**super().report_data(), "learned_at": self.cleaned_data["learned_at"]}


class PublicReportForm(ReportQuestions, OneSubmission):
    when_text = line_field(
        _("When did it happen, or when did you find out?"),
        help_text=_("A rough date is fine, for example 'last Friday'."),
    )
    relation = forms.ChoiceField(
        label=_("Who are you?"),
        choices=[("", _("I'd rather not say")), *ReporterRelation.choices],
        required=False,
    )
    anonymous = forms.BooleanField(
        required=False,
        label=_("Send this report without my name"),
        help_text=_("You can still read replies and answer them with your tracking code."),
    )
    reporter_name = line_field(_("Your name (optional)"))
    reporter_contact = line_field(
        _("A way to reach you (optional)"), help_text=_("An email address or a phone number.")
    )
    passphrase = forms.CharField(
        label=_("Choose a passphrase"),
        min_length=PASSPHRASE_MIN,
        max_length=PASSPHRASE_MAX,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_(
            "At least 8 characters. With it and your tracking code you can come back to read "
            "replies. Keep it somewhere safe; we cannot show it to you again."
        ),
    )
    passphrase_again = forms.CharField(
        label=_("Type the passphrase again"),
        max_length=PASSPHRASE_MAX,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    # The honeypot: hidden from people (and from screen readers), left empty by them; a
    # program filling every field fills it too.
    website = forms.CharField(
        required=False,
        label=_("Leave this field empty"),
        widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}),
    )

    def clean(self):
        data = super().clean()
        if data.get("passphrase") and data.get("passphrase") != data.get("passphrase_again"):
            self.add_error("passphrase_again", _("The two passphrases are not the same."))
        if data.get("anonymous") and (data.get("reporter_name") or "").strip():
            self.add_error(
                "reporter_name",
                _("You asked to stay anonymous: leave your name empty, or untick the box."),
            )
        return data

    @property
    def is_honeypot_filled(self) -> bool:
        return bool((self.data.get("website") or "").strip())

    def report_data(self) -> dict:
        data = self.cleaned_data
        return {
            **super().report_data(),
            "when_text": data.get("when_text", ""),
            "relation": data.get("relation", ""),
            "anonymous": bool(data.get("anonymous")),
            "reporter_name": "" if data.get("anonymous") else data.get("reporter_name", ""),
            "reporter_contact": data.get("reporter_contact", ""),
        }


class FollowForm(forms.Form):
    code = forms.CharField(
        label=_("Tracking code"),
        max_length=40,
        help_text=_("For example ABCD-EFGH-JKMN."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    passphrase = forms.CharField(
        label=_("Passphrase"),
        max_length=PASSPHRASE_MAX,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class MessageForm(OneSubmission):
    prefix = "reply"
    body = text_field(_("Your message"), max_length=MESSAGE_TEXT, required=True, rows=4)


class PromoteForm(OneSubmission):
    prefix = "promote"
    school = forms.ModelChoiceField(queryset=None, label=_("School of the new case"))
    title = forms.CharField(
        max_length=200,
        label=_("Short label"),
        help_text=_("A neutral label, for example 'Images shared in a class group chat'."),
    )

    def __init__(self, *args, schools=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["school"].queryset = schools


class MergeForm(OneSubmission):
    prefix = "merge"
    case = forms.ModelChoiceField(
        queryset=None,
        label=_("Case of the same incident"),
        help_text=_("Open cases you may triage."),
    )

    def __init__(self, *args, cases=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["case"].queryset = cases


class CloseForm(forms.Form):
    prefix = "close"
    reason = text_field(
        _("Why is this report closed without a case?"),
        required=True,
        help_text=_("For example 'not about the district's community: referred to ...'."),
    )
