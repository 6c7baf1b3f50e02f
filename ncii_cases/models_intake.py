"""Reports from anyone: a staff member's report, or a student's, parent's or member of the
public's report from the district's public page, before it is a case (docs/reports.md).

A report holds words only: no field takes a file, and the forms refuse a pasted image or data
URL (``forms_reports``). A public reporter comes back with the report's tracking code and a
passphrase they chose, stored only as a Django password hash. Each report and each message is
history-tracked in the audit chain like the case records; once a report is promoted to a case
or merged into one, its messages are read from the case as well.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .history_chain import AuditedHistoryModel


class ReportSource(models.TextChoices):
    STAFF = "staff", _("Staff report")
    PUBLIC = "public", _("Public report page")


class ReportStatus(models.TextChoices):
    """What the reporter sees: never more than these three words."""

    RECEIVED = "received", _("Received")
    IN_HAND = "in_hand", _("Being handled")
    CLOSED = "closed", _("Closed")


class ReportOutcome(models.TextChoices):
    PENDING = "", _("Not yet decided")
    PROMOTED = "promoted", _("Opened as a new case")
    MERGED = "merged", _("Added to an existing case")
    CLOSED = "closed", _("Closed without a case")


class ReporterRelation(models.TextChoices):
    STUDENT = "student", _("A student")
    PARENT = "parent", _("A parent or guardian")
    EMPLOYEE = "employee", _("A school employee")
    OTHER = "other", _("Someone else")


class IncomingReport(models.Model):
    """One report waiting in the district's incoming queue, or already handled (promoted to
    a case, merged into one, or closed with a reason)."""

    district = models.ForeignKey(
        "ncii_cases.District", on_delete=models.PROTECT, related_name="incoming_reports"
    )
    school = models.ForeignKey(
        "ncii_cases.School",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="incoming_reports",
        help_text=_("The school concerned, when the reporter knows it."),
    )
    source = models.CharField(max_length=10, choices=ReportSource.choices)
    # The tracking code (unambiguous alphabet, stored without dashes); also the staff
    # reporter's receipt reference.
    code = models.CharField(max_length=16, unique=True, editable=False)
    passphrase_hash = models.CharField(max_length=256, blank=True, editable=False)
    what_happened = models.TextField()
    who_involved = models.TextField(blank=True)
    where_seen = models.TextField(blank=True)
    when_text = models.CharField(max_length=200, blank=True)
    learned_at = models.DateTimeField(
        null=True, blank=True, help_text=_("When the employee learned of it (staff reports).")
    )
    actions_taken = models.TextField(blank=True)
    relation = models.CharField(max_length=10, choices=ReporterRelation.choices, blank=True)
    reporter_name = models.CharField(max_length=200, blank=True)
    reporter_contact = models.CharField(max_length=200, blank=True)
    anonymous = models.BooleanField(default=False)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reports_filed",
    )
    submitted_at = models.DateTimeField()
    status = models.CharField(
        max_length=10, choices=ReportStatus.choices, default=ReportStatus.RECEIVED
    )
    outcome = models.CharField(
        max_length=10, choices=ReportOutcome.choices, blank=True, default=ReportOutcome.PENDING
    )
    case = models.ForeignKey(
        "ncii_cases.Case",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="incoming_reports",
    )
    closed_reason = models.TextField(blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    handled_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)
    history = HistoricalRecords(excluded_fields=["passphrase_hash"], bases=[AuditedHistoryModel])

    class Meta:
        ordering = ["-submitted_at", "-pk"]
        indexes = [models.Index(fields=["district", "outcome", "submitted_at"])]

    def __str__(self):
        return self.code_display

    @property
    def code_display(self) -> str:
        """The tracking code in groups of four, as the reporter was shown it."""
        return "-".join(self.code[i : i + 4] for i in range(0, len(self.code), 4))

    @property
    def is_public(self) -> bool:
        """Whether the report came through the public report page (not from a staff member)."""
        return self.source == ReportSource.PUBLIC

    @property
    def is_pending(self) -> bool:
        """Whether the report still waits for a decision (promote, merge or close)."""
        return self.outcome == ReportOutcome.PENDING

    @property
    def first_known_at(self):
        """When the district first knew: for a staff report, when the employee learned of
        it; otherwise when the report arrived. The report-obligation clocks start here."""
        return self.learned_at or self.submitted_at


class ReportMessage(models.Model):
    """One text message between the district and the reporter of a report (two-way, text
    only)."""

    class Author(models.TextChoices):
        REPORTER = "reporter", _("The reporter")
        DISTRICT = "district", _("The district")

    report = models.ForeignKey(IncomingReport, on_delete=models.PROTECT, related_name="messages")
    author_kind = models.CharField(max_length=10, choices=Author.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    body = models.TextField()
    created_at = models.DateTimeField()
    history = HistoricalRecords(bases=[AuditedHistoryModel])

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self):
        return f"{self.get_author_kind_display()} {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def from_reporter(self) -> bool:
        return self.author_kind == self.Author.REPORTER
