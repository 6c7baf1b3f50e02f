"""Reporting keeps no case data of its own; it reads other apps through their selectors.

The one table here is the queue of PDF case summaries: who asked for which case and profile,
how far its background rendering got, and where the finished file lies inside
``settings.PRIVATE_MEDIA_ROOT`` (a relative path in a plain text field, never a FileField: the
file is served only through a permission-checked view and is never reachable by URL).
"""

from django.conf import settings
from django.db import models


class PdfJob(models.Model):
    """One PDF case summary requested by one person in one profile, for the case as it stood
    at its latest recorded event. ``idempotency_key`` makes a second click, or a repeated
    request while nothing changed on the case, return the same job."""

    class Profile(models.TextChoices):
        INTERNAL = "internal", "Internal (full, for the Title IX office)"
        REDACTED = "redacted", "Redacted (roles instead of names, for sharing outside)"

    class Status(models.TextChoices):
        QUEUED = "queued", "Waiting to start"
        RUNNING = "running", "Being prepared"
        READY = "ready", "Ready to download"
        FAILED = "failed", "Failed"

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
