"""Forms of letters from templates: a template's next version, and one letter as edited
before it is sent (``services.letters``)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .forms import OneSubmission
from .models_letters import LetterLanguage


class LetterTemplateForm(forms.Form):
    """The subject and body of a template (Django template text, checked in the sandbox by
    the service), a note for the history, and the version the page was opened on."""

    subject = forms.CharField(label=_("Subject"), max_length=300)
    body = forms.CharField(
        label=_("Text of the letter"), widget=forms.Textarea(attrs={"rows": 24}), max_length=20_000
    )
    note = forms.CharField(
        label=_("What changed (for the history)"), max_length=300, required=False
    )
    base_number = forms.IntegerField(widget=forms.HiddenInput, min_value=0)


class LetterSendForm(OneSubmission):
    """One letter as it will be sent: the rendered subject and text, which the coordinator
    may edit for this letter only (plain text, never rendered again), and its language."""

    subject = forms.CharField(label=_("Subject"), max_length=300)
    body = forms.CharField(
        label=_("Text of the letter"), widget=forms.Textarea(attrs={"rows": 28}), max_length=60_000
    )
    language = forms.ChoiceField(choices=LetterLanguage.choices, widget=forms.HiddenInput)
