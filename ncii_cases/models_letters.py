"""Letters from templates: the district's versions of each letter template, and the letters
sent from them (``ncii_cases.letters`` renders; ``services.letters`` writes).

A template version is never changed: an edit saves the next version, so the history of a
template is its rows. A letter keeps its final text as sent (after any edit for this one
letter) and the same text as a PDF in private storage; it is linked to the ``PartyNotice``
that logs it on the case (or, for the TAKE IT DOWN Act notice, to the takedown request).
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .history_chain import AuditedHistoryModel
from .storage import DocumentStorage


class LetterKind(models.TextChoices):
    ALLEGATIONS = "allegations", _("Notice of allegations")
    OUTCOME_COMPLAINANT = "outcome_complainant", _("Outcome letter to the complainant")
    OUTCOME_RESPONDENT = "outcome_respondent", _("Outcome letter to the respondent")
    PARENT = "parent", _("Letter to a parent or guardian")
    NO_CONTACT = "no_contact", _("No-contact directive")
    SUPPORT = "support", _("Supportive-measures letter")
    TAKEDOWN = "takedown", _("TAKE IT DOWN Act notice to a platform")


class LetterLanguage(models.TextChoices):
    """The languages letter templates ship in."""

    ENGLISH = "en", _("English")
    SPANISH = "es", _("Spanish")


class LetterTemplate(models.Model):
    """One saved version of a district's template of a letter kind in one language (Django
    template syntax, rendered in the sandbox of ``ncii_cases.letters``). The highest
    ``number`` is in force; without any row the shipped default is."""

    district = models.ForeignKey(
        "ncii_cases.District", on_delete=models.PROTECT, related_name="letter_templates"
    )
    kind = models.CharField(max_length=30, choices=LetterKind.choices)
    language = models.CharField(max_length=5, choices=LetterLanguage.choices)
    number = models.PositiveIntegerField(help_text=_("The version number, from 1."))
    subject = models.CharField(max_length=300)
    body = models.TextField()
    note = models.CharField(
        _("what changed"), max_length=300, blank=True, help_text=_("A few words for the history.")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["district", "kind", "language", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["district", "kind", "language", "number"], name="uniq_letter_template"
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} ({self.language}) v{self.number}"


def letter_pdf_path(instance, filename):
    # Content-addressed, never a person's name (as the takedown notices).
    return f"letters/{instance.case_id}/{instance.pdf_sha256}.pdf"


def _optional_link(to, help_text, *, field=models.ForeignKey, related_name="+"):
    """An optional link of a letter to ``to`` (a model or its ``"app.Model"`` label): a
    nullable ``field`` (``ForeignKey`` or ``OneToOneField``) that protects the row it points
    to from deletion, with ``help_text``; no reverse accessor unless ``related_name``."""
    return field(
        to,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name=related_name,
        help_text=help_text,
    )


class Letter(models.Model):
    """A letter sent on a case: its kind, recipient, language, the template version it came
    from (none: the shipped default), and its final subject and body as sent, with the PDF of
    the same text. Withdrawing is done on the notice it is linked to."""

    case = models.ForeignKey("ncii_cases.Case", on_delete=models.CASCADE, related_name="letters")
    kind = models.CharField(max_length=30, choices=LetterKind.choices)
    party = _optional_link(
        "ncii_cases.CaseParty", _("The party the letter is addressed to (none for a platform).")
    )
    takedown = _optional_link(
        "ncii_cases.TakedownRequest", _("For the TAKE IT DOWN Act notice: the takedown request.")
    )
    notice = _optional_link(
        "ncii_cases.PartyNotice",
        _("The notice that logs this letter on the case."),
        field=models.OneToOneField,
        related_name="letter",
    )
    recipient_name = models.CharField(max_length=200)
    language = models.CharField(max_length=5, choices=LetterLanguage.choices)
    language_note = models.CharField(
        max_length=300,
        blank=True,
        help_text=_("Why the letter is not in the recipient's language."),
    )
    template = _optional_link(
        LetterTemplate, _("The template version used; empty for the shipped default.")
    )
    subject = models.CharField(max_length=300)
    body = models.TextField()
    edited = models.BooleanField(
        default=False, help_text=_("The text was changed by hand for this letter.")
    )
    pdf = models.FileField(
        upload_to=letter_pdf_path, storage=DocumentStorage(), max_length=200, blank=True
    )
    pdf_sha256 = models.CharField(max_length=64, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords(bases=[AuditedHistoryModel])

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self):
        return f"{self.get_kind_display()} to {self.recipient_name}"

    @property
    def text(self) -> str:
        """The letter as plain text: the subject, a blank line, the body (as the PDF prints
        it)."""
        return f"{self.subject}\n\n{self.body}"
