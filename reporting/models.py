"""Reporting keeps no case data of its own; it reads other apps through their selectors.

The one table here is the queue of PDF case summaries: who asked for which case and profile,
how far its background rendering got, and where the finished file lies inside
``settings.PRIVATE_MEDIA_ROOT`` (a relative path in a plain text field, never a FileField: the
file is served only through a permission-checked view and is never reachable by URL).
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class PdfJob(models.Model):
    """One PDF case summary requested by one person in one profile, for the case as it stood
    at its latest recorded event. ``idempotency_key`` makes a second click, or a repeated
    request while nothing changed on the case, return the same job."""

    class Profile(models.TextChoices):
        INTERNAL = "internal", _("Internal (full, for the Title IX office)")
        REDACTED = "redacted", _("Redacted (roles instead of names, for sharing outside)")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Waiting to start")
        RUNNING = "running", _("Being prepared")
        READY = "ready", _("Ready to download")
        FAILED = "failed", _("Failed")

    case = models.ForeignKey("ncii_cases.Case", on_delete=models.PROTECT, related_name="+")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    profile = models.CharField(max_length=20, choices=Profile.choices)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.QUEUED)
    idempotency_key = models.CharField(max_length=200, unique=True, editable=False)
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.CharField(max_length=300, blank=True)
    # Relative to settings.PRIVATE_MEDIA_ROOT, such as "pdf/3/17.pdf".
    file_path = models.CharField(max_length=200, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    size = models.PositiveIntegerField(null=True, blank=True)
    page_count = models.PositiveSmallIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    enqueued_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["status", "enqueued_at"]),
            models.Index(fields=["case", "requested_by"]),
        ]

    def __str__(self):
        return f"PDF {self.get_profile_display()} of case {self.case_id} ({self.status})"

    @property
    def in_progress(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)

    @property
    def is_running(self) -> bool:
        return self.status == self.Status.RUNNING

    @property
    def is_ready(self) -> bool:
        return self.status == self.Status.READY

    @property
    def is_failed(self) -> bool:
        return self.status == self.Status.FAILED


class RedactionTerm(models.Model):
    """A reviewer's decision on one piece of a case's text for redacted summaries: redact it
    everywhere, or keep it (a flagged word that is not a name). Decisions belong to the case and
    apply to every later redacted summary of it; they never appear in a released file.
    ``key`` is ``reporting.redaction.candidate_key`` of the text."""

    class Decision(models.TextChoices):
        REDACT = "redact", _("Redact")
        KEEP = "keep", _("Keep")

    case = models.ForeignKey("ncii_cases.Case", on_delete=models.PROTECT, related_name="+")
    key = models.CharField(max_length=200)
    text = models.CharField(max_length=200)
    kind = models.CharField(max_length=20)
    decision = models.CharField(max_length=10, choices=Decision.choices)
    added_by_reviewer = models.BooleanField(
        default=False, help_text=_("Typed in by the reviewer rather than flagged.")
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField()

    class Meta:
        ordering = ["case", "key"]
        constraints = [
            models.UniqueConstraint(fields=["case", "key"], name="uniq_redaction_term_per_case")
        ]

    def __str__(self):
        return f"{self.get_decision_display()} a term of case {self.case_id}"

    @property
    def is_redacted(self) -> bool:
        return self.decision == self.Decision.REDACT


class RedactionReview(models.Model):
    """The review of a case's redacted summary before it leaves the Title IX office: opened by
    whoever prepares it, released only by a user who may release redacted summaries (the
    coordinator). A released review records who approved it, how many redactions of each kind
    the file applies, and the reviewer's decisions it was made with (``terms`` to redact,
    ``kept`` candidate keys), which stay here and never in the file. The file is the one of
    ``job``, rendered in the background for the approver, and only while the case is as it was
    at approval (``event_id``, the id of the release's own event). A case has at most one open
    review."""

    class Status(models.TextChoices):
        OPEN = "open", _("Being reviewed")
        RELEASED = "released", _("Released")

    case = models.ForeignKey("ncii_cases.Case", on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField()
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    counts = models.JSONField(
        default=dict, blank=True, help_text=_("Redactions applied, per kind.")
    )
    terms = models.JSONField(default=list, blank=True)
    kept = models.JSONField(default=list, blank=True)
    event_id = models.PositiveBigIntegerField(default=0)
    job = models.OneToOneField(
        PdfJob, null=True, blank=True, on_delete=models.PROTECT, related_name="release"
    )

    class Meta:
        ordering = ["-requested_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["case"],
                condition=models.Q(status="open"),
                name="uniq_open_redaction_review",
            )
        ]

    def __str__(self):
        return f"Redaction review {self.pk} of case {self.case_id} ({self.status})"

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def is_released(self) -> bool:
        return self.status == self.Status.RELEASED
