"""Districts, schools, people and the NCII case with everything recorded about it.

No model here has a field that can hold image bytes: evidence is a description, where it was
seen, when, who holds the device, and at most a typed-in hash. The only file field holds
supporting documents whose content was checked (see ``ncii_cases.uploads``), and its storage
refuses image or video content again at save time.

Writes go through ``services``; reads through ``selectors``. Models hold no business logic.
"""

import datetime as dt
import zoneinfo

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.contrib.sessions.base_session import AbstractBaseSession
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase
from simple_history.models import HistoricalRecords

from . import choices as c
from .clocks import (
    CaseQuerySet,
    MeasureQuerySet,
    ReportQuerySet,
    TakedownQuerySet,
    measure_review_open_q,
    reminder_pending_q,
    report_open_q,
    stage_open_q,
    takedown_open_q,
)
from .events import EventType
from .history_chain import AuditedHistoryModel
from .storage import document_storage

sha256_validator = RegexValidator(r"^[0-9a-f]{64}$", "Enter 64 lowercase hexadecimal characters.")
pdq_validator = RegexValidator(
    r"^[0-9a-f]{64}$", "Enter the 256-bit PDQ hash as 64 hex characters."
)


def validate_time_zone(value: str) -> None:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as error:
        raise ValidationError(
            _("Enter a time zone name such as America/Chicago or America/Los_Angeles.")
        ) from error


class Correctable(models.Model):
    """What every correctable record of a case carries: a version number for optimistic
    concurrency (a save from a form opened on an older version is refused), and the marks of a
    withdrawal. A record is never deleted: a mistake is corrected or withdrawn with a reason
    (``services.corrections``), and a withdrawn record stays on the page, struck through."""

    version = models.PositiveIntegerField(default=1, editable=False)
    withdrawn_at = models.DateTimeField(null=True, blank=True, editable=False)
    withdrawn_reason = models.TextField(blank=True, editable=False)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )

    class Meta:
        abstract = True

    @property
    def is_withdrawn(self) -> bool:
        return self.withdrawn_at is not None


class CurrentQuerySet(models.QuerySet):
    def current(self):
        """The rows not withdrawn: those the workflow's guards and the report triggers read."""
        return self.filter(withdrawn_at__isnull=True)


class CurrentMeasureQuerySet(CurrentQuerySet, MeasureQuerySet):
    """Measure clocks (``clocks``) and the rows not withdrawn (``current``)."""


class CurrentTakedownQuerySet(CurrentQuerySet, TakedownQuerySet):
    """Takedown clocks (``clocks``) and the rows not withdrawn (``current``)."""


class CurrentReportQuerySet(CurrentQuerySet, ReportQuerySet):
    """Report clocks (``clocks``) and the rows not withdrawn (``current``)."""


# The reminder mark of a record with a clock (``clocks.reminder_marked_q``): derived, written
# by the reminder task with the reminder, never in the record's history.
REMINDER_MARK_FIELDS = ("reminded_due", "reminded_started", "reminded_overdue")


def reminder_mark_fields(due_field: type[models.Field] = models.DateTimeField) -> tuple:
    """The three fields of a reminder mark, in ``REMINDER_MARK_FIELDS`` order: the due time
    of the clock's last reminder (a ``due_field``: a ``DateField`` for a clock due on a day),
    the start of that clock, and whether the reminder was the overdue one. None is editable;
    unset until the first reminder."""
    return (
        due_field(null=True, blank=True, editable=False),
        models.DateTimeField(null=True, blank=True, editable=False),
        models.BooleanField(default=False, editable=False),
    )


def history_without_reminder_mark() -> HistoricalRecords:
    """The audited history of a record with a reminder mark, which leaves the mark out."""
    return HistoricalRecords(
        excluded_fields=list(REMINDER_MARK_FIELDS), bases=[AuditedHistoryModel]
    )


class District(models.Model):
    name = models.CharField(max_length=200)
    slug = models.SlugField(unique=True)
    state = models.CharField(
        max_length=2, help_text=_("Two-letter state code; reporting laws vary.")
    )
    reference_prefix = models.CharField(max_length=10, default="NCII")
    time_zone = models.CharField(
        max_length=64,
        default="America/Chicago",
        validators=[validate_time_zone],
        help_text=_("The district's IANA time zone: every time is entered and shown in it."),
    )
    school_day_ends_at = models.TimeField(
        default=dt.time(17, 0),
        help_text=_("Local time a school day ends: a deadline in school days falls due then."),
    )
    federal_holidays = models.BooleanField(
        _("no school on US federal holidays"),
        default=True,
        help_text=_(
            "Count US federal holidays as days without school unless the school calendar "
            "names them school days."
        ),
    )
    appeal_window_school_days = models.PositiveSmallIntegerField(
        default=5, help_text=_("School days a party has to appeal a determination.")
    )
    # The Title IX coordinator's public contact, printed on the district's policy page and the
    # family handout (34 CFR 106.8(a)-(b): the coordinator's name or title, office address,
    # e-mail and phone are published to students, parents and employees).
    coordinator_name = models.CharField(
        max_length=200, blank=True, help_text=_("Shown on the public policy page and handout.")
    )
    coordinator_title = models.CharField(max_length=200, blank=True, default="Title IX Coordinator")
    coordinator_email = models.EmailField(blank=True)
    coordinator_phone = models.CharField(max_length=40, blank=True)
    coordinator_office = models.CharField(
        max_length=300, blank=True, help_text=_("Office and street address, as families find it.")
    )
    password_sign_in = models.BooleanField(
        _("password sign-in"),
        default=True,
        help_text=_(
            "Off: the district's accounts sign in only with single sign-on (the deployment "
            "operator's accounts keep their password)."
        ),
    )
    appeal_stays_sanctions = models.BooleanField(
        _("an appeal stays sanctions"),
        default=True,
        help_text=_(
            "While an appeal of a determination is pending, its sanctions wait (stayed) "
            "until the appeal is decided. Supportive measures continue either way."
        ),
    )

    history = HistoricalRecords(bases=[AuditedHistoryModel])

    def __str__(self):
        return self.name

    def clean(self):
        # Without a provider, switching passwords off would leave nobody able to sign in.
        if not self.password_sign_in and not (
            self.pk and self.sso_providers.filter(enabled=True).exists()
        ):
            problem = (
                "Add and enable a single sign-on provider for the district before switching "
                "password sign-in off."
            )
            raise ValidationError({"password_sign_in": problem})


class School(models.Model):
    district = models.ForeignKey(District, on_delete=models.PROTECT, related_name="schools")
    name = models.CharField(max_length=200)
    code = models.SlugField(max_length=20)
    grades = models.CharField(max_length=20, blank=True, help_text=_("For example 9-12."))
    roster_sourced_id = models.CharField(
        _("roster id"),
        max_length=255,
        blank=True,
        help_text=_(
            "The school's sourcedId in the district's OneRoster export (set by the import)."
        ),
    )

    history = HistoricalRecords(bases=[AuditedHistoryModel])

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["district", "code"], name="uniq_school_code"),
            models.UniqueConstraint(
                fields=["district", "roster_sourced_id"],
                condition=~models.Q(roster_sourced_id=""),
                name="uniq_school_roster_id",
            ),
        ]

    def __str__(self):
        return self.name


# The fields of an account that decide what it may reach: a change of any of them is a role
# change, written to the access log by ``ncii_cases.roles`` (signals on every save).
ROLE_FIELDS = ("role", "is_superuser", "district")


EMAIL_CONFIRMATION_FIELDS = ("email_confirmed_at", "email_confirmed_by")


class UserQuerySet(models.QuerySet):
    """Refuses bulk updates of the fields that decide an account's reach: a queryset
    ``update()`` sends no signal, so the change would leave no ``role_change`` entry in the
    access log. Change them one account at a time with ``save()`` (or the admin).

    A bulk change of the e-mail address never keeps a confirmation made for another address
    (``User.email_confirmed_at``): ``update(email=...)`` empties it unless it is given, and
    ``bulk_update`` of "email" is refused unless the confirmation fields are written too."""

    def update(self, **kwargs):
        touched = sorted(set(kwargs) & set(ROLE_FIELDS))
        if touched:
            raise ValueError(
                f"Change {', '.join(touched)} of accounts one at a time with save(), so that "
                "each change is recorded in the access log."
            )
        if "email" in kwargs and not set(kwargs) & set(EMAIL_CONFIRMATION_FIELDS):
            kwargs.update(email_confirmed_at=None, email_confirmed_by=None)
        return super().update(**kwargs)

    def bulk_update(self, objs, fields, *args, **kwargs):
        touched = sorted(set(fields) & set(ROLE_FIELDS))
        if touched:
            raise ValueError(
                f"Change {', '.join(touched)} of accounts one at a time with save(), so that "
                "each change is recorded in the access log."
            )
        if "email" in fields and not set(EMAIL_CONFIRMATION_FIELDS) <= set(fields):
            raise ValueError(
                "Write email_confirmed_at and email_confirmed_by with the e-mail address: a "
                "confirmation of a former address does not hold for a new one."
            )
        return super().bulk_update(objs, fields, *args, **kwargs)


class AccountManager(UserManager.from_queryset(UserQuerySet)):
    pass


class User(AbstractUser):
    """A staff account. Its role is ``role`` (a code of ``choices.Role``; a superuser is the
    deployment operator whatever it says); its district and schools bound what it may ever
    see. Groups only mirror the role's model-wide admin rights (``roles.py``)."""

    role = models.CharField(
        max_length=20,
        choices=c.ACCOUNT_ROLES,
        blank=True,
        help_text=_("What the account does here. Empty: no role, no access to cases."),
    )
    district = models.ForeignKey(
        District, null=True, blank=True, on_delete=models.PROTECT, related_name="users"
    )
    schools = models.ManyToManyField(
        School,
        blank=True,
        related_name="staff",
        help_text=_("Schools a school administrator serves."),
    )
    title = models.CharField(max_length=120, blank=True)
    roster_sourced_id = models.CharField(
        _("roster id"),
        max_length=255,
        blank=True,
        help_text=_(
            "The person's sourcedId in the district's OneRoster export (set by the import)."
        ),
    )

    # Who vouched for the e-mail address, where the account's authenticator set-up links go
    # (``permissions.account_email_may_confirm``): set when a coordinator or the operator sets
    # or confirms it, emptied when anyone else changes it and when a role that reads cases is
    # given without it being confirmed on the same form (``services.accounts``). An account
    # that reads cases is sent no set-up link while it is empty (``services.two_factor``).
    email_confirmed_at = models.DateTimeField(
        _("address confirmed at"),
        null=True,
        blank=True,
        help_text=_(
            "When a coordinator (or the operator) confirmed that the e-mail address is this "
            "person's own. Empty: nobody who may has confirmed it; an account that reads cases "
            "is sent no set-up link until someone does."
        ),
    )
    email_confirmed_by = models.ForeignKey(
        "self",
        verbose_name=_("address confirmed by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Empty with a date: confirmed on the server's command line."),
    )

    objects = AccountManager()

    history = HistoricalRecords(
        excluded_fields=["password", "last_login"], bases=[AuditedHistoryModel]
    )

    class Meta(AbstractUser.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=["district", "roster_sourced_id"],
                condition=~models.Q(roster_sourced_id=""),
                name="uniq_user_roster_id",
            ),
        ]

    def __str__(self):
        return self.name_shown(self.first_name, self.last_name, self.username)

    @staticmethod
    def name_shown(first_name: str, last_name: str, username: str) -> str:
        """How an account is named in lists and selects: the full name, else the username
        (for the lists that read these three values without building the accounts)."""
        return f"{first_name} {last_name}".strip() or username


class AccountSession(AbstractBaseSession):
    """A signed-in browser's session (``SESSION_ENGINE`` = ``ncii_cases.session_store``):
    Django's database session plus the account it is signed in as (``account_id``, written
    at every save from the session's ``_auth_user_id``; None before sign-in). Ending an
    account's sessions (a deactivation, a grant that reads cases, a removed second factor,
    a roster import's leavers) is one indexed delete instead of decoding every session of
    the installation per account. Django's documented way to extend the database engine."""

    account_id = models.BigIntegerField(null=True, db_index=True)

    class Meta(AbstractBaseSession.Meta):
        db_table = "ncii_cases_accountsession"

    @classmethod
    def get_session_store_class(cls):
        from .session_store import SessionStore

        return SessionStore


class Person(models.Model):
    """A member of (or visitor to) the district's community who can be a party to cases."""

    district = models.ForeignKey(District, on_delete=models.PROTECT, related_name="people")
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    affiliation = models.CharField(max_length=20, choices=c.Affiliation.choices)
    # Further affiliations beside the first (a student who is also a part-time aide is a
    # student with "employee" here). Read ``affiliation_values`` for all of them.
    affiliations = models.JSONField(default=list, blank=True)
    school = models.ForeignKey(School, null=True, blank=True, on_delete=models.SET_NULL)
    grade = models.CharField(max_length=10, blank=True)
    birth_date = models.DateField(null=True, blank=True)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    external_id = models.CharField(
        max_length=64,
        blank=True,
        help_text=_("Student or employee number in the district's system."),
    )
    roster_sourced_id = models.CharField(
        _("roster id"),
        max_length=255,
        blank=True,
        help_text=_(
            "The person's sourcedId in the district's OneRoster export (set by the import); "
            "empty for a person entered by hand."
        ),
    )
    # A person who left the roster stays (their cases keep them) but is no longer offered
    # when people are looked up.
    is_active = models.BooleanField(
        _("on the roster"), default=True, help_text=_("Cleared when the person leaves the roster.")
    )
    left_roster_at = models.DateTimeField(null=True, blank=True)

    history = HistoricalRecords(bases=[AuditedHistoryModel])

    class Meta:
        ordering = ["last_name", "first_name"]
        indexes = [models.Index(fields=["district", "last_name", "first_name"])]
        constraints = [
            models.UniqueConstraint(
                fields=["district", "roster_sourced_id"],
                condition=~models.Q(roster_sourced_id=""),
                name="uniq_person_roster_id",
            ),
        ]

    def __str__(self):
        return f"{self.first_name} {self.last_name}"

    @property
    def affiliation_values(self) -> set[str]:
        """Every affiliation of the person (the first one and the further ones)."""
        return {self.affiliation, *(self.affiliations or [])} - {""}

    @staticmethod
    def name_words_q(words: list[str], *, path: str = "", lookup: str = "icontains") -> models.Q:
        """The condition "every word is in the person's first or last name" (``lookup``: the
        field lookup of each word, case aside: "icontains" for the queue's search,
        "istartswith" for the people lookup), for a full name typed in either order ("Jordan
        Thorncombe", "Thorncombe Jordan"); ``path`` leads to the person's fields from the
        queried model ("" on ``Person`` itself, "parties__person__" from a case). One ``Q``:
        used in one ``filter()``, every word holds for the same person."""
        condition = models.Q()
        for word in words:
            condition &= models.Q(**{f"{path}first_name__{lookup}": word}) | models.Q(
                **{f"{path}last_name__{lookup}": word}
            )
        return condition


class ReferenceCounter(models.Model):
    """The last reference number issued per district and year (locked when a case is created)."""

    district = models.ForeignKey(District, on_delete=models.CASCADE)
    year = models.PositiveSmallIntegerField()
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["district", "year"], name="uniq_reference_counter"),
        ]

    def __str__(self):
        return f"{self.district_id}/{self.year}: {self.last_number}"


class Case(models.Model):
    district = models.ForeignKey(District, on_delete=models.PROTECT, related_name="cases")
    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="cases")
    reference = models.CharField(
        max_length=32, help_text=_("A number people can read aloud, such as NCII-2026-0042.")
    )
    title = models.CharField(
        max_length=200, help_text=_("A short neutral label. Avoid names and graphic words.")
    )
    narrative = models.TextField(
        help_text=_(
            "What was reported, in the reporter's words as far as possible. Describe the "
            "imagery only as much as needed; never attach or paste it."
        )
    )

    reported_at = models.DateTimeField(help_text=_("When a district employee first learned of it."))
    # Who told the district, as a role or description ("the teacher"): free text, never taken
    # for a name. The reporter's name, when they gave one, is ``reporter_name``.
    reported_by_name = models.CharField(
        _("who told us (role or description)"),
        max_length=200,
        blank=True,
        help_text=_("A role or description, such as 'the teacher' or 'a parent'."),
    )
    reporter_name = models.CharField(
        _("reporter's name"),
        max_length=200,
        blank=True,
        help_text=_(
            "The name of the person who told us, if they gave it. Leave empty if they "
            "asked to stay anonymous or the name is not known."
        ),
    )
    reporter_anonymous = models.BooleanField(
        _("the reporter asked to stay anonymous"), default=False
    )
    reported_via = models.CharField(
        max_length=100, blank=True, help_text=_("Email, in person, ...")
    )
    occurred_at = models.DateTimeField(null=True, blank=True)
    occurred_at_approximate = models.BooleanField(default=False)

    ncii_kind = models.CharField(
        _("NCII kind"),
        max_length=20,
        choices=c.NciiKind.choices,
        default=c.NciiKind.UNDETERMINED,
        help_text=c.NCII_KIND_HELP,
    )
    is_intimate_imagery = models.BooleanField(
        null=True,
        blank=True,
        help_text=_(
            "Does the imagery show a person nude, partly nude or in a sexual act? "
            "If the initial assessment finds it does not, the case is referred elsewhere."
        ),
    )
    conduct = models.CharField(
        max_length=20,
        choices=c.Conduct.choices,
        default=c.Conduct.DISTRIBUTION,
        help_text=c.CONDUCT_HELP,
    )
    location = models.CharField(max_length=20, choices=c.Location.choices, default="unknown")
    timing = models.CharField(max_length=20, choices=c.Timing.choices, default="unknown")

    jurisdiction = models.CharField(
        max_length=20,
        choices=c.Jurisdiction.choices,
        default=c.Jurisdiction.PENDING,
        help_text=c.JURISDICTION_HELP,
    )
    jurisdiction_facts = models.TextField(
        blank=True,
        help_text=_(
            "The facts relied on: who is involved, where and when, and how school was "
            "affected (disruption of learning or work)."
        ),
    )
    jurisdiction_reasoning = models.TextField(blank=True)
    disrupts_school = models.BooleanField(
        null=True, blank=True, help_text=_("Did it disrupt learning, school activities or work?")
    )

    platforms = models.ManyToManyField(
        "policies.Platform", blank=True, related_name="+", help_text=_("Where it spread.")
    )
    reach = models.CharField(max_length=20, choices=c.Reach.choices, default=c.Reach.UNKNOWN)
    reach_estimate = models.PositiveIntegerField(
        null=True, blank=True, help_text=_("About how many people received or saw it.")
    )

    process = models.CharField(
        max_length=20, choices=c.Process.choices, default=c.Process.UNDECIDED
    )
    routing_reasoning = models.TextField(
        blank=True, help_text=_("Why this process: Process A, Process B, or a referral elsewhere.")
    )
    referred_to = models.CharField(
        max_length=200,
        blank=True,
        help_text=_("Policy, office or agency the case was referred to."),
    )
    respondent_track = models.CharField(
        max_length=20, choices=c.RespondentTrack.choices, default=c.RespondentTrack.UNDETERMINED
    )

    stage = models.CharField(max_length=30, choices=c.Stage.choices, default=c.Stage.INTAKE)
    stage_entered_at = models.DateTimeField()
    stage_due_at = models.DateTimeField(null=True, blank=True)
    priority = models.CharField(max_length=20, choices=c.Level.choices, default=c.Level.MODERATE)
    # Derived: the earliest of the stage's due time (none once closed), the clocks of open
    # takedown requests and the due times of pending external reports. Kept up to date by
    # ``next_due.case_next_due_refresh`` in the transaction that changes any of them, so the
    # queue can sort and filter on it with an index. Not in the case's history.
    next_due_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Derived: the rank of the harm assessment's level (0 none, 1 low ... 4 critical), kept by
    # ``harm_rank.case_harm_rank_refresh`` so the queue sorts by harm with an index.
    harm_rank = models.PositiveSmallIntegerField(default=0, editable=False)
    # Derived by the database from ``stage``: its place in ``choices.STAGE_PROCESS_ORDER``
    # (0 intake ... 12 closed), so that the queue sorts by stage in the process's order with
    # an index (``case_q_stage``) instead of alphabetically. Never written; not in history.
    stage_rank = models.GeneratedField(
        expression=models.Case(
            *(
                models.When(stage=stage.value, then=models.Value(rank))
                for rank, stage in enumerate(c.STAGE_PROCESS_ORDER)
            ),
            default=models.Value(len(c.STAGE_PROCESS_ORDER)),
            output_field=models.PositiveSmallIntegerField(),
        ),
        output_field=models.PositiveSmallIntegerField(),
        db_persist=True,
    )
    # Derived: the stage clock's due time and start its last reminder was sent for, and
    # whether that was the overdue one (``clocks.reminder_marked_q``), written by the
    # reminder task with the reminder; not in the case's history.
    reminded_due, reminded_started, reminded_overdue = reminder_mark_fields()

    closed_at = models.DateTimeField(null=True, blank=True)
    closure_summary = models.TextField(blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    # Optimistic concurrency of the facts form (see ``Correctable``).
    version = models.PositiveIntegerField(default=1, editable=False)

    objects = CaseQuerySet.as_manager()
    history = HistoricalRecords(
        excluded_fields=["next_due_at", "harm_rank", "stage_rank", *REMINDER_MARK_FIELDS],
        bases=[AuditedHistoryModel],
    )

    class Meta:
        ordering = ["-reported_at"]
        constraints = [
            models.UniqueConstraint(fields=["district", "reference"], name="uniq_case_reference"),
        ]
        indexes = [
            # Also serves the queue's new-reports panel (intake, oldest first).
            models.Index(fields=["district", "stage", "reported_at"]),
            models.Index(fields=["school", "stage"]),
            models.Index(fields=["stage_due_at"]),
            models.Index(fields=["district", "next_due_at"]),
            # The queue's sorts (``filters.SORT_ORDER``), each with its tiebreak, so that a page
            # of ids is read from the index alone at any depth (ids-first paging, queue.py).
            models.Index(fields=["district", "reported_at", "id"], name="case_q_reported"),
            models.Index(
                fields=["district", "next_due_at", "-reported_at", "-id"], name="case_q_due"
            ),
            models.Index(
                fields=["district", "stage_rank", "reported_at", "id"], name="case_q_stage"
            ),
            models.Index(fields=["district", "harm_rank", "reported_at", "id"], name="case_q_harm"),
            models.Index(fields=["district", "reference", "id"], name="case_q_reference"),
            # The nightly recount of the kept counts per school and stage (``stage_counts``),
            # from the index alone.
            models.Index(fields=["district", "school", "stage"], name="case_q_school_stage"),
            # The reminder task's overdue stage clocks: only those not yet reminded.
            models.Index(
                fields=["stage_due_at", "id"],
                condition=reminder_pending_q("stage", stage_open_q()),
                name="case_reminder_pending",
            ),
        ]
        permissions = [
            ("view_case_content", "Read a case's narrative, parties and records"),
            ("work_case", "Record actions on a case"),
            ("support_case", "Arrange supportive measures on a case"),
        ]

    def __str__(self):
        return self.reference

    def get_absolute_url(self):
        return reverse("ncii_cases:case_detail", args=[self.pk])

    @staticmethod
    def absolute_url_maker():
        """``get_absolute_url`` for many cases (a list's rows) with one ``reverse``: returns
        a function of a case's primary key (int) giving the same URL (str)."""
        marker = "987654321"
        head, _, tail = reverse("ncii_cases:case_detail", args=[int(marker)]).rpartition(marker)
        return lambda pk: f"{head}{pk}{tail}"

    def get_stage_display(self) -> str:
        """The stage's label in the active language (``choices.stage_label``, a table per
        language), in place of the method Django generates, which hashes every translated
        choice on each call: the queue called it for each of its rows."""
        return c.stage_label(self.stage)

    @property
    def is_closed(self) -> bool:
        """Whether the case is closed (reopening is a workflow step)."""
        return self.stage == c.Stage.CLOSED

    @property
    def is_in_process_a(self) -> bool:
        """Whether the case is in Process A, the formal grievance process."""
        return self.stage == c.Stage.PROCESS_A

    def clean(self):
        if self.reporter_anonymous and self.reporter_name.strip():
            raise ValidationError(
                {
                    "reporter_name": "The reporter asked to stay anonymous: leave their name "
                    "empty, or record that they did not ask for anonymity."
                }
            )

    @property
    def stage_clock(self):
        """The clock of the current stage (``clocks.stage_clock``)."""
        from .clocks import stage_clock

        return stage_clock(self)

    @property
    def next_due_clock(self):
        """The earliest open clock of the case, from the stored next due time."""
        from .clocks import next_due_clock

        return next_due_clock(self)


class CaseUserObjectPermission(UserObjectPermissionBase):
    """Per-case rights of a user, with a direct foreign key (guardian's fast path)."""

    content_object = models.ForeignKey(Case, on_delete=models.CASCADE)


class CaseGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Case, on_delete=models.CASCADE)


class CaseAssignment(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="assignments")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="case_assignments"
    )
    role = models.CharField(max_length=20, choices=c.AssignmentRole.choices)
    assigned_at = models.DateTimeField()
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    ended_at = models.DateTimeField(null=True, blank=True)

    history = HistoricalRecords(bases=[AuditedHistoryModel])

    class Meta:
        ordering = ["assigned_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "user", "role"],
                condition=models.Q(ended_at__isnull=True),
                name="uniq_active_assignment",
            ),
            # One lead at a time: changing the lead is its own step (``case_lead_change``).
            models.UniqueConstraint(
                fields=["case"],
                condition=models.Q(role="lead", ended_at__isnull=True),
                name="one_active_lead",
            ),
        ]
        indexes = [models.Index(fields=["user", "ended_at"])]

    def __str__(self):
        return f"{self.user} — {self.get_role_display()}"


class CaseParty(Correctable):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="parties")
    person = models.ForeignKey(
        Person,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="case_parties",
        help_text=_("Leave empty while the person is not known (for example an unknown sender)."),
    )
    role = models.CharField(max_length=20, choices=c.PartyRole.choices)
    affiliation = models.CharField(
        max_length=20, choices=c.Affiliation.choices, default=c.Affiliation.UNKNOWN
    )
    # Further affiliations (see ``Person.affiliations``); ``affiliation_values`` reads all.
    affiliations = models.JSONField(default=list, blank=True)
    is_minor = models.BooleanField(
        _("under 18 now"),
        null=True,
        blank=True,
        help_text=_("Under 18 today (a date of birth sets it). Leave empty if unknown."),
    )
    # What report duties and takedown routes follow (ncii_cases/obligations.py): the age in
    # the imagery, which may differ from the age now (imagery made at 17, shared at 18).
    age_in_imagery = models.CharField(
        _("under 18 in the imagery"),
        max_length=10,
        choices=c.AgeInImagery.choices,
        default=c.AgeInImagery.UNKNOWN,
        help_text=_(
            "For a depicted person: whether the imagery shows them under 18 (when it was "
            "made, or as an AI-made image shows them)."
        ),
    )
    description = models.CharField(
        max_length=300, blank=True, help_text=_("Who this is, when the person is not identified.")
    )
    related_to = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        help_text=_("For a parent or guardian: the party they are responsible for."),
    )
    aliases = models.TextField(
        _("nicknames and online handles"),
        blank=True,
        help_text=_(
            "One per line, such as 'Sammy' or '@sam_r'. Redacted summaries leave them out "
            "like the name."
        ),
    )
    notes = models.TextField(blank=True)
    added_at = models.DateTimeField(auto_now_add=True)
    # For a parent or guardian: their legal authority where known. Under FERPA either parent
    # keeps the rights to a student's records unless a court order, state law or a legally
    # binding document specifically revokes them (34 CFR 99.4).
    guardian_authority = models.CharField(
        _("legal authority"),
        max_length=20,
        choices=c.GuardianAuthority.choices,
        blank=True,
        help_text=_("For a parent or guardian, where known."),
    )
    guardian_authority_notes = models.TextField(
        _("court orders and custody details"),
        blank=True,
        help_text=_("Which order restricts what (contact, information), its date and court."),
    )
    # The language letters to this person are prepared in (``ncii_cases.letters``).
    preferred_language = models.CharField(
        _("preferred language for letters"),
        max_length=10,
        choices=c.PreferredLanguage.choices,
        blank=True,
        default="",
        help_text=_(
            "Letters are prepared in English or Spanish; for another language, in "
            "English with a note to arrange a translation."
        ),
    )

    objects = CurrentQuerySet.as_manager()
    history = HistoricalRecords(bases=[AuditedHistoryModel])

    class Meta:
        ordering = ["role", "pk"]
        verbose_name_plural = "case parties"
        indexes = [
            models.Index(fields=["case", "role"]),
            # The queue's search by name: the current parties of each person found by the
            # name's trigram index, with their case and role (what need-to-know asks), read
            # from this index alone (PostgreSQL; SQLite stores the key without the rest).
            models.Index(
                fields=["person"],
                include=["case", "role"],
                condition=models.Q(withdrawn_at__isnull=True),
                name="caseparty_person_current",
            ),
        ]

    def __str__(self):
        return self.display_name

    @property
    def is_depicted(self) -> bool:
        """Whether the party is a person shown in the imagery."""
        return self.role == c.PartyRole.DEPICTED

    @property
    def display_name(self):
        if self.person_id:
            return str(self.person)
        return self.description or f"Unidentified {self.get_role_display().lower()}"

    @property
    def affiliation_values(self) -> set[str]:
        """Every affiliation recorded for the party (the first one and the further ones)."""
        return {self.affiliation, *(self.affiliations or [])} - {""}

    @property
    def age_in_imagery_label(self) -> str:
        """The age in the imagery as the case page writes it, by the rule the report duties
        follow (``obligations.party_age_in_imagery``)."""
        from .obligations import party_age_in_imagery

        return {
            c.AgeInImagery.UNDER_18: "under 18 in the imagery",
            c.AgeInImagery.ADULT: "18 or over in the imagery",
        }.get(party_age_in_imagery(self), "age in the imagery not known")

    def affiliations_display(self) -> str:
        labels = dict(c.Affiliation.choices)
        ordered = [self.affiliation, *(a for a in self.affiliations or [] if a != self.affiliation)]
        return " and ".join(str(labels.get(a, a)).lower() for a in ordered if a)


class CaseStageCount(models.Model):
    """How many cases of a district are at one school in one stage, kept by the database.

    Triggers on the case table (migration ``0028_case_stage_counts``, PostgreSQL and SQLite)
    add one on an insert, take one off on a delete, and move one when an update changes a
    case's district, school or stage, in the same transaction as the change: every path
    that writes a case (the services, the admin, ``QuerySet.update``, bulk loads, raw SQL)
    keeps them right, and nothing in Python writes them. A TRUNCATE of the case table empties
    this table too (PostgreSQL). Rows that reach zero stay, with ``cases`` 0. A nightly task
    counts the cases again and corrects any difference (``stage_counts``).

    The queue's counts per school and stage read these rows (``selectors.home``) for users
    who see whole schools or the whole district: a read of one row per school and stage
    instead of a count over every case of the district."""

    district = models.ForeignKey(District, on_delete=models.CASCADE, related_name="+")
    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="+")
    stage = models.CharField(max_length=30, choices=c.Stage.choices)
    # A plain integer, not a positive one: a count that drifted low (a table restored alone)
    # must not make the next transition of a case fail on a check; the nightly recount
    # corrects it, and the queue shows only counts above zero.
    cases = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("count of cases per school and stage")
        verbose_name_plural = _("counts of cases per school and stage")
        constraints = [
            models.UniqueConstraint(
                fields=["district", "school", "stage"], name="uniq_case_stage_count"
            ),
        ]

    def __str__(self):
        return f"{self.school_id}/{self.stage}: {self.cases}"


class CaseEvent(models.Model):
    """One recorded action on a case. Rows are append-only and chained by hash
    (``prev_hash`` → ``row_hash``) so that any edit, insertion or removal is detectable."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    event_type = models.CharField(max_length=60, choices=EventType.choices)
    from_stage = models.CharField(max_length=30, blank=True)
    to_stage = models.CharField(max_length=30, blank=True)
    reason = models.TextField(blank=True)
    detail = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField()
    prev_hash = models.CharField(max_length=64, blank=True, editable=False)
    row_hash = models.CharField(max_length=64, blank=True, editable=False)
    # The id of the key ``row_hash`` is signed with (``audit_keys``).
    key_id = models.CharField(max_length=32, editable=False)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [
            models.Index(fields=["case", "created_at"]),
            # A case's newest events first (the case page's timeline, the case's audit
            # review): read from the index's end, whatever the number of the case's events.
            models.Index(fields=["case", "id"], name="caseevent_case_newest"),
        ]

    def __str__(self):
        return f"{self.event_type} on case {self.case_id}"


class AccessEvent(models.Model):
    """Who looked at what, when, from where, and whether it was allowed (refusals too).
    Append-only and hash-chained like ``CaseEvent``."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    username = models.CharField(max_length=150, blank=True)
    district = models.ForeignKey(District, null=True, on_delete=models.PROTECT, related_name="+")
    case = models.ForeignKey(Case, null=True, on_delete=models.PROTECT, related_name="+")
    action = models.CharField(max_length=60)
    path = models.CharField(max_length=500)
    method = models.CharField(max_length=10, default="GET")
    allowed = models.BooleanField()
    ip_address = models.GenericIPAddressField(null=True)
    user_agent = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField()
    prev_hash = models.CharField(max_length=64, blank=True, editable=False)
    row_hash = models.CharField(max_length=64, blank=True, editable=False)
    # The id of the key ``row_hash`` is signed with (``audit_keys``).
    key_id = models.CharField(max_length=32, editable=False)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["case", "created_at"]), models.Index(fields=["user"])]

    def __str__(self):
        # Without the query string: it can hold a search's terms (names), which the audit
        # screens show only to readers of case content (selectors_audit.access_path_shown).
        return f"{self.username or 'anonymous'} {self.action} {self.path.split('?', 1)[0]}"


class AuditChainHead(models.Model):
    """The end of one audit chain (a district's ``case_event.d<id>`` or ``access_event.d<id>``,
    ``access_event.installation``, ``verification``, a ``history.<table>`` chain, or one of
    the two closed installation-wide chains ``case_event`` and ``access_event``; see
    ``audit``): the last row's hash and the number of rows. Appends lock this row, so two
    transactions cannot fork the chain, and ``verify_audit`` compares the chain's end with it
    to notice rows removed at the end."""

    chain = models.CharField(max_length=100, unique=True)
    last_hash = models.CharField(max_length=64, blank=True)
    count = models.PositiveBigIntegerField(default=0)
    # A closed chain (the installation-wide timeline and access log, before each district got
    # chains of its own): its rows are the table's rows with an id up to this one; nothing is
    # appended to it any more. None for an open chain.
    closed_at_id = models.BigIntegerField(null=True, blank=True, editable=False)

    def __str__(self):
        return f"{self.chain}: {self.count} rows"


class AuditVerification(models.Model):
    """One run of the audit chain verification (``verify_audit``, the nightly task or "Verify
    now"): when it ran, how many rows each chain had, and its first problems. Pages show the
    latest run instead of re-hashing every chain on each load. ``problems`` holds
    ``{"chain", "row", "text"}`` items (``row`` is None for the chain's end), so that a
    district's page can name its own rows and only count the others."""

    class Source(models.TextChoices):
        COMMAND = "command", _("verify_audit command")
        SCHEDULE = "schedule", _("Nightly check")
        REQUEST = "request", _("Verify now")

    started_at = models.DateTimeField()
    finished_at = models.DateTimeField()
    source = models.CharField(max_length=20, choices=Source.choices)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    ok = models.BooleanField()
    rows = models.JSONField(default=dict, help_text=_("Rows checked per chain."))
    problem_count = models.PositiveIntegerField(default=0)
    problems = models.JSONField(default=list, help_text=_("The first problems found."))
    # A link of the keyed ``verification`` chain (``audit``): a run written or changed without
    # the key does not verify and is never shown as the latest run.
    prev_hash = models.CharField(max_length=64, blank=True, editable=False)
    row_hash = models.CharField(max_length=64, blank=True, editable=False)
    key_id = models.CharField(max_length=32, editable=False)

    class Meta:
        ordering = ["-finished_at", "-pk"]
        get_latest_by = ["finished_at", "pk"]

    def __str__(self):
        return f"{self.finished_at:%Y-%m-%d %H:%M} {'ok' if self.ok else 'problems'}"


class HarmAssessment(Correctable):
    """The structured harm instrument. ``level`` and ``factors`` are computed by the service
    from the answers, so the reasons for a level are always shown with it."""

    class Circulation(models.TextChoices):
        UNKNOWN = "unknown", _("Not known")
        CONTAINED = "contained", _("Contained (deleted or not spreading)")
        ONGOING = "ongoing", _("Still circulating")

    class Identifiability(models.TextChoices):
        NOT = "not", _("Not identifiable")
        PARTLY = "partly", _("Identifiable to people who know them")
        CLEARLY = "clearly", _("Clearly identifiable (face or name shown)")

    class SafetyRisk(models.TextChoices):
        NONE = "none", _("No risk known")
        LOW = "low", _("Low")
        ELEVATED = "elevated", _("Elevated (threats, harassment, self-harm concerns)")
        IMMINENT = "imminent", _("Imminent danger")

    class Impact(models.TextChoices):
        NOT_REPORTED = "not_reported", _("Not reported yet")
        MILD = "mild", _("Some distress")
        SIGNIFICANT = "significant", _("Significant distress or missed school or work")
        SEVERE = "severe", _("Severe (unable to attend, crisis)")

    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="harm_assessment")
    reach = models.CharField(max_length=20, choices=c.Reach.choices, default=c.Reach.UNKNOWN)
    platform_count = models.PositiveSmallIntegerField(default=0)
    circulation = models.CharField(max_length=20, choices=Circulation.choices, default="unknown")
    minors_depicted = models.BooleanField(default=False)
    identifiability = models.CharField(
        max_length=20, choices=Identifiability.choices, default="partly"
    )
    threats_or_sextortion = models.BooleanField(default=False)
    safety_risk = models.CharField(max_length=20, choices=SafetyRisk.choices, default="none")
    impact = models.CharField(max_length=20, choices=Impact.choices, default="not_reported")
    impact_statement = models.TextField(
        blank=True, help_text=_("In the depicted person's own words, if they chose to share.")
    )
    level = models.CharField(max_length=20, choices=c.Level.choices, blank=True)
    factors = models.JSONField(default=list, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    objects = CurrentQuerySet.as_manager()
    history = HistoricalRecords(bases=[AuditedHistoryModel])

    def __str__(self):
        return f"Harm assessment of {self.case}"


class MeasureStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    ACTIVE = "active", _("In place")
    ENDED = "ended", _("Ended")


class PartyChoice(models.TextChoices):
    OFFERED = "offered", _("Offered, no answer yet")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")
    NOT_APPLICABLE = "n/a", _("Not an offer (concerning the respondent)")


class CaseMeasure(Correctable):
    """A supportive measure for a complainant, an interim measure concerning a respondent,
    or a remedy after determination, with its owner, dates and the person's choice."""

    class Kind(models.TextChoices):
        SUPPORTIVE = "supportive", _("Supportive measure")
        INTERIM = "interim", _("Interim measure")
        REMEDY = "remedy", _("Remedy")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="measures")
    party = models.ForeignKey(CaseParty, on_delete=models.PROTECT, related_name="measures")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    measure = models.ForeignKey(
        "policies.Measure", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    description = models.TextField(blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    starts_on = models.DateField(null=True, blank=True)
    review_on = models.DateField(null=True, blank=True)
    status = models.CharField(
        max_length=20, choices=MeasureStatus.choices, default=MeasureStatus.PLANNED
    )
    party_choice = models.CharField(
        max_length=20, choices=PartyChoice.choices, default=PartyChoice.OFFERED
    )
    last_reviewed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Derived: the reminder mark of the clock (``REMINDER_MARK_FIELDS``), not in history.
    reminded_due, reminded_started, reminded_overdue = reminder_mark_fields(models.DateField)

    objects = CurrentMeasureQuerySet.as_manager()
    history = history_without_reminder_mark()

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [
            models.Index(
                fields=["review_on", "id"],
                condition=reminder_pending_q("measure_review", measure_review_open_q()),
                name="measure_reminder_pending",
            )
        ]

    def __str__(self):
        return str(self.measure or self.description[:60])

    @property
    def review_clock(self):
        """The review clock (``clocks.measure_review_clock``)."""
        from .clocks import measure_review_clock

        return measure_review_clock(self)


class ResolutionOffer(Correctable):
    """An option offered to a party (such as informal or restorative resolution) and the
    party's choice, recorded so the record shows the choice was theirs."""

    class Option(models.TextChoices):
        RESTORATIVE = "restorative", _("Restorative resolution")
        INFORMAL = "informal", _("Informal resolution")
        LAW_ENFORCEMENT = "law_enforcement", _("Involving law enforcement")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="resolution_offers")
    party = models.ForeignKey(CaseParty, on_delete=models.PROTECT, related_name="+")
    option = models.CharField(max_length=20, choices=Option.choices)
    choice = models.CharField(max_length=20, choices=PartyChoice.choices)
    offered_at = models.DateTimeField()
    decided_at = models.DateTimeField(null=True, blank=True)
    notes = models.TextField(blank=True)

    objects = CurrentQuerySet.as_manager()
    history = HistoricalRecords(bases=[AuditedHistoryModel])

    def __str__(self):
        return f"{self.get_option_display()}: {self.get_choice_display()}"


class ClockedRecord:
    """A record with a deadline: its ``clock`` property (a ``clocks`` clock) answers whether
    the deadline is running or overdue at ``now`` (an aware datetime; the current time when
    None)."""

    def is_running(self, now=None) -> bool:
        return self.clock.is_running(now)

    def is_overdue(self, now=None) -> bool:
        return self.clock.is_overdue(now)


class TakedownRequest(ClockedRecord, Correctable):
    """One removal request per platform and location, with the 48-hour clock of the TAKE IT
    DOWN Act for covered platforms (calendar hours from submission)."""

    class Route(models.TextChoices):
        TAKE_IT_DOWN = "take_it_down", _("Take It Down (NCMEC, for people under 18)")
        STOPNCII = "stopncii", _("StopNCII (for adults)")
        PLATFORM = "platform", _("The platform's own NCII report")

    class Status(models.TextChoices):
        TO_DO = "to_do", _("To do")
        SUBMITTED = "submitted", _("Submitted")
        REMOVED = "removed", _("Removed")
        REFUSED = "refused", _("Refused by the platform")
        REAPPEARED = "reappeared", _("Reappeared")
        WAIVED = "waived", _("Not pursued (reason recorded)")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="takedowns")
    platform = models.ForeignKey("policies.Platform", on_delete=models.PROTECT, related_name="+")
    location = models.CharField(
        max_length=500, help_text=_("URL, account handle or group name. Never the image itself.")
    )
    depicted_party = models.ForeignKey(
        CaseParty, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    route = models.CharField(max_length=20, choices=Route.choices)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.TO_DO)
    covered_by_48h_rule = models.BooleanField(default=False)
    # The elements of a valid request under the TAKE IT DOWN Act, recorded on submission.
    has_signature = models.BooleanField(
        _("signature"),
        default=False,
        help_text=_(
            "The request carries a physical or electronic signature of the depicted "
            "person or someone authorized to act for them."
        ),
    )
    identifies_content = models.BooleanField(
        _("content identified"),
        default=False,
        help_text=_(
            "The request identifies the depicted content and gives enough information "
            "for the platform to find it (links, account, where it was posted)."
        ),
    )
    good_faith_statement = models.BooleanField(
        _("good-faith statement"),
        default=False,
        help_text=_(
            "The request includes a brief statement of good-faith belief that the "
            "content is not consensual."
        ),
    )
    has_contact_information = models.BooleanField(
        _("contact information"),
        default=False,
        help_text=_(
            "The request gives information for the platform to contact the person making it."
        ),
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    due_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    platform_reference = models.CharField(max_length=200, blank=True)
    waiver_reason = models.TextField(blank=True)
    notes = models.TextField(blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    # Derived: the reminder mark of the clock (``REMINDER_MARK_FIELDS``), not in history.
    reminded_due, reminded_started, reminded_overdue = reminder_mark_fields()

    objects = CurrentTakedownQuerySet.as_manager()
    history = history_without_reminder_mark()

    class Meta:
        ordering = ["pk"]
        indexes = [
            models.Index(fields=["status", "due_at"]),
            models.Index(
                fields=["due_at", "id"],
                condition=reminder_pending_q("takedown", takedown_open_q()),
                name="takedown_reminder_pending",
            ),
        ]

    def __str__(self):
        return f"{self.platform} — {self.get_status_display()}"

    @property
    def clock(self):
        """The request's 48-hour clock (``clocks.takedown_clock``)."""
        from .clocks import takedown_clock

        return takedown_clock(self)


class ExternalReport(ClockedRecord, Correctable):
    """A report to an outside agency triggered for this case, and what was done about it."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Decision pending")
        MADE = "made", _("Report made")
        NOT_REQUIRED = "not_required", _("Not required (explanation recorded)")
        # Set by the trigger sync, never by hand: the facts changed and no longer trigger the
        # obligation (the reason is in ``explanation``). The row is kept; it turns pending
        # again if the facts trigger it again.
        NO_LONGER_REQUIRED = "no_longer_required", _("No longer required (the facts changed)")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="external_reports")
    obligation = models.ForeignKey(
        "policies.ReportingObligation",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    agency = models.CharField(max_length=200)
    agency_kind = models.CharField(max_length=30)
    # A two-step report (the district's reporting profile) has an oral and a written row.
    step = models.CharField(
        max_length=10, choices=c.ReportStep.choices, default=c.ReportStep.SINGLE
    )
    triggered_at = models.DateTimeField()
    due_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reported_at = models.DateTimeField(null=True, blank=True)
    reference_number = models.CharField(max_length=120, blank=True)
    contact_name = models.CharField(max_length=200, blank=True)
    explanation = models.TextField(blank=True)
    # Derived: the reminder mark of the clock (``REMINDER_MARK_FIELDS``), not in history.
    reminded_due, reminded_started, reminded_overdue = reminder_mark_fields()

    objects = CurrentReportQuerySet.as_manager()
    history = history_without_reminder_mark()

    class Meta:
        ordering = ["due_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "obligation", "step"],
                condition=models.Q(obligation__isnull=False),
                name="uniq_case_obligation_step",
            ),
        ]
        indexes = [
            models.Index(
                fields=["due_at", "id"],
                condition=reminder_pending_q("report", report_open_q()),
                name="report_reminder_pending",
            )
        ]

    def __str__(self):
        return f"{self.agency_label} — {self.get_status_display()}"

    @property
    def agency_label(self) -> str:
        """The agency, with the step of a two-step report ("Child protective services, oral
        report")."""
        if self.step == c.ReportStep.SINGLE:
            return self.agency
        return f"{self.agency}, {self.get_step_display().lower()}"

    @property
    def is_decided(self) -> bool:
        """Whether the obligation was decided (made, not required, no longer required)."""
        return self.status != self.Status.PENDING

    @property
    def clock(self):
        """The report's deadline clock (``clocks.report_clock``)."""
        from .clocks import report_clock

        return report_clock(self)


class EvidenceItem(Correctable):
    """Evidence recorded without any image: what it is, where and when it was seen,
    who holds the device, and optional typed-in hashes."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="evidence")
    description = models.TextField(
        help_text=_("Describe what was seen without graphic detail. Never attach the imagery.")
    )
    platform = models.ForeignKey(
        "policies.Platform", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    url = models.CharField(_("URL"), max_length=1000, blank=True)
    handle = models.CharField(_("account handle"), max_length=200, blank=True)
    group_name = models.CharField(max_length=200, blank=True)
    seen_at = models.DateTimeField(null=True, blank=True)
    device_holder = models.CharField(
        max_length=200, blank=True, help_text=_("Who holds the device (for example the police).")
    )
    sha256 = models.CharField(
        _("SHA-256"), max_length=64, blank=True, validators=[sha256_validator]
    )
    pdq = models.CharField(_("PDQ hash"), max_length=64, blank=True, validators=[pdq_validator])
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    objects = CurrentQuerySet.as_manager()
    history = HistoricalRecords(bases=[AuditedHistoryModel])

    class Meta:
        ordering = ["recorded_at", "pk"]

    def __str__(self):
        return self.description[:80]


class CustodyEntry(models.Model):
    evidence = models.ForeignKey(EvidenceItem, on_delete=models.CASCADE, related_name="custody")
    from_holder = models.CharField(max_length=200, blank=True)
    to_holder = models.CharField(max_length=200)
    transferred_at = models.DateTimeField()
    note = models.TextField(blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )

    history = HistoricalRecords(bases=[AuditedHistoryModel])

    class Meta:
        ordering = ["transferred_at", "pk"]
        verbose_name_plural = "custody entries"

    def __str__(self):
        return f"{self.from_holder} → {self.to_holder}"


def document_path(instance, filename):
    # The stored name never carries the uploaded name (which may hold a person's name).
    return f"documents/{instance.case_id}/{instance.sha256}"


class SupportingDocument(Correctable):
    """A statement or letter (PDF, DOCX or plain text) whose content was checked on upload."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="documents")
    evidence = models.ForeignKey(
        EvidenceItem, null=True, blank=True, on_delete=models.SET_NULL, related_name="documents"
    )
    file = models.FileField(upload_to=document_path, storage=document_storage, max_length=200)
    title = models.CharField(max_length=200)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    objects = CurrentQuerySet.as_manager()
    history = HistoricalRecords(bases=[AuditedHistoryModel])

    class Meta:
        ordering = ["uploaded_at", "pk"]

    def __str__(self):
        return self.title


class Determination(Correctable):
    class Finding(models.TextChoices):
        RESPONSIBLE = "responsible", _("Responsible")
        NOT_RESPONSIBLE = "not_responsible", _("Not responsible")
        INSUFFICIENT = "insufficient", _("Not enough information to decide")

    class Standard(models.TextChoices):
        PREPONDERANCE = "preponderance", _("Preponderance of the evidence")
        CLEAR_AND_CONVINCING = "clear_and_convincing", _("Clear and convincing evidence")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="determinations")
    respondent = models.ForeignKey(CaseParty, on_delete=models.PROTECT, related_name="+")
    finding = models.CharField(max_length=20, choices=Finding.choices)
    standard_of_evidence = models.CharField(max_length=30, choices=Standard.choices)
    rationale = models.TextField()
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField()

    objects = CurrentQuerySet.as_manager()
    history = HistoricalRecords(bases=[AuditedHistoryModel])

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["case", "respondent"], name="uniq_determination"),
        ]

    def __str__(self):
        return f"{self.respondent}: {self.get_finding_display()}"

    @property
    def appeal_clock(self):
        """The appeal window (``clocks.appeal_clock``)."""
        from .clocks import appeal_clock

        return appeal_clock(self)


class SanctionStatus(models.TextChoices):
    """A sanction's lifecycle: planned, then in effect, then completed; or vacated (set aside,
    for example on appeal) with the reason."""

    PLANNED = "planned", _("Planned")
    IN_EFFECT = "in_effect", _("In effect")
    COMPLETED = "completed", _("Completed")
    VACATED = "vacated", _("Vacated (reason recorded)")


class Sanction(Correctable):
    """An intervention or corrective action for a respondent, from the track's catalog."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="sanctions")
    respondent = models.ForeignKey(CaseParty, on_delete=models.PROTECT, related_name="+")
    intervention = models.ForeignKey(
        "policies.Intervention", on_delete=models.PROTECT, related_name="+"
    )
    details = models.TextField(blank=True)
    starts_on = models.DateField(null=True, blank=True)
    ends_on = models.DateField(null=True, blank=True)
    status = models.CharField(
        max_length=20, choices=SanctionStatus.choices, default=SanctionStatus.PLANNED
    )
    status_reason = models.TextField(blank=True, help_text=_("Why the status last changed."))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField()

    objects = CurrentQuerySet.as_manager()
    history = HistoricalRecords(bases=[AuditedHistoryModel])

    def __str__(self):
        return str(self.intervention)

    @property
    def is_final(self) -> bool:
        """Whether the sanction's lifecycle has ended (completed, or vacated with a reason)."""
        return self.status in (SanctionStatus.COMPLETED, SanctionStatus.VACATED)


class PartyNotice(Correctable):
    """A notification to a parent or guardian, or a notice to a party: who, when, how, what."""

    class Kind(models.TextChoices):
        PARENT_NOTIFICATION = "parent", _("Parent or guardian notification")
        NOTICE_OF_ALLEGATIONS = "allegations", _("Notice of allegations")
        INTERVIEW = "interview", _("Notice of interview or meeting")
        OUTCOME = "outcome", _("Notice of outcome")
        SUPPORT = "support", _("Information on support and resources")
        OTHER = "other", _("Other notice")
        APPEAL = "appeal", _("Notice of an appeal or of its decision")

    class Method(models.TextChoices):
        PHONE = "phone", _("Phone call")
        EMAIL = "email", _("Email")
        IN_PERSON = "in_person", _("In person")
        LETTER = "letter", _("Letter")
        PORTAL = "portal", _("Parent portal message")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="notices")
    party = models.ForeignKey(CaseParty, on_delete=models.PROTECT, related_name="+")
    recipient_name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    method = models.CharField(max_length=20, choices=Method.choices)
    sent_at = models.DateTimeField()
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    summary = models.TextField(help_text=_("What was said or sent, in a few sentences."))
    # A parent notification about an eligible student (18 or over, FERPA 34 CFR 99.3, 99.5):
    # the student's consent or the FERPA exception relied on, with its explanation.
    eligible_student_basis = models.CharField(
        _("basis for telling the parent of an eligible student"),
        max_length=20,
        choices=c.EligibleStudentBasis.choices,
        blank=True,
    )
    eligible_student_note = models.TextField(
        _("explanation of the basis"),
        blank=True,
        help_text=_("When and how the student consented, or the facts of the exception."),
    )

    objects = CurrentQuerySet.as_manager()
    history = HistoricalRecords(bases=[AuditedHistoryModel])

    class Meta:
        ordering = ["sent_at", "pk"]

    def __str__(self):
        return f"{self.get_kind_display()} to {self.recipient_name}"


class ParentNotificationDecision(Correctable):
    """Whether, when and why a minor party's parents or guardians are told of the case: notify
    now, delay until a date, or do not notify, with the student's wishes, the risks weighed,
    who approved it and when it is reviewed. One current decision per party (a change is a
    correction with its reason). Sources: Title IX keeps parents' rights to act for their
    child (34 CFR 106.6(g)); FERPA gives them access to the records (34 CFR 99.4, 99.10);
    the Model Policy asks that the student's wishes and safety be weighed before notice."""

    class Decision(models.TextChoices):
        NOTIFY_NOW = "notify_now", _("Notify now")
        DELAY = "delay", _("Delay until a date")
        DO_NOT_NOTIFY = "do_not_notify", _("Do not notify")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="parent_decisions")
    party = models.ForeignKey(CaseParty, on_delete=models.PROTECT, related_name="+")
    decision = models.CharField(max_length=20, choices=Decision.choices)
    delay_until = models.DateField(
        null=True, blank=True, help_text=_("For a delay: the day the notice is due.")
    )
    student_wishes = models.TextField(
        _("the student's wishes"), help_text=_("What the student asked for, in their words.")
    )
    risks = models.JSONField(
        default=list, blank=True, help_text=_("The risks weighed (``choices.NotificationRisk``).")
    )
    explanation = models.TextField(
        _("reasons"),
        blank=True,
        help_text=_("Why this decision; required for a delay or no notice."),
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    review_on = models.DateField(
        null=True, blank=True, help_text=_("When the decision is looked at again.")
    )
    decided_at = models.DateTimeField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    objects = CurrentQuerySet.as_manager()
    history = HistoricalRecords(bases=[AuditedHistoryModel])

    class Meta:
        ordering = ["decided_at", "pk"]

    def __str__(self):
        return f"{self.get_decision_display()} ({self.party})"

    def risks_display(self) -> str:
        labels = dict(c.NotificationRisk.choices)
        return ", ".join(str(labels.get(r, r)).lower() for r in self.risks or [])

    def notice_due(self, today: dt.date) -> bool:
        """Whether this decision calls for a parent notice by ``today`` (a local date): notify
        now, or a delay whose day has come."""
        if self.decision == self.Decision.NOTIFY_NOW:
            return True
        return (
            self.decision == self.Decision.DELAY
            and self.delay_until is not None
            and self.delay_until <= today
        )


class SupportNotOffered(Correctable):
    """The written reason no supportive measure was offered to a depicted person: with a
    supportive measure offered and answered, the record that the district's response was not
    deliberately indifferent (34 CFR 106.44(a); Davis v. Monroe County Bd. of Ed., 526 U.S.
    629 (1999)). Supportive measures must be offered to a complainant (34 CFR 106.44(a))."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="support_not_offered")
    party = models.ForeignKey(CaseParty, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField(help_text=_("Why no supportive measure was offered."))
    recorded_at = models.DateTimeField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    objects = CurrentQuerySet.as_manager()
    history = HistoricalRecords(bases=[AuditedHistoryModel])

    class Meta:
        ordering = ["recorded_at", "pk"]
        verbose_name = "reason no supportive measure was offered"

    def __str__(self):
        return f"No supportive measure offered to {self.party}"


# --- Second factor: enrollment links and two-person resets -----------------------------------


class EnrollmentLink(models.Model):
    """A one-time link, e-mailed to the account's own address, without which no authenticator
    can be set up (first enrollment, or again after a removal): holding the account's password
    alone, for example after a reset by IT, never leads to a signed-in session. Only the
    SHA-256 of the link's token is stored; the link works once, until ``expires_at``."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="enrollment_links"
    )
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    # A newer link, the account's deactivation or an authenticator set up otherwise ends it.
    revoked_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"Enrollment link for {self.user} ({self.created_at:%Y-%m-%d %H:%M})"


class SecondFactorReset(models.Model):
    """A request to remove an account's second factor (its authenticator and recovery codes)
    so that it can enroll again. For a coordinator (or a superuser) the removal waits for a
    second person: a coordinator of the same district or the deployment operator, neither the
    requester nor the account itself (two-person rule)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for approval")
        APPROVED = "approved", _("Approved and done")
        CANCELLED = "cancelled", _("Cancelled")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="second_factor_resets"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField()
    reason = models.CharField(max_length=300, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["user"],
                condition=models.Q(status="pending"),
                name="one_pending_second_factor_reset",
            )
        ]

    def __str__(self):
        return f"Second-factor reset for {self.user} ({self.get_status_display()})"

    @property
    def is_pending(self) -> bool:
        """Whether the reset still waits for approval."""
        return self.status == self.Status.PENDING


class SchoolCalendarEntry(models.Model):
    """Days without school (closures, breaks, holidays) or extra school days (make-up days) of
    a district, or of one of its schools. See ``school_calendar`` for how days are counted."""

    class Kind(models.TextChoices):
        CLOSURE = "closure", _("No school (closure, break or holiday)")
        SCHOOL_DAY = "school_day", _("School day (for example a make-up day)")

    class Source(models.TextChoices):
        MANUAL = "manual", _("Entered by hand")
        ICALENDAR = "icalendar", _("Imported from an iCalendar file")

    district = models.ForeignKey(District, on_delete=models.CASCADE, related_name="calendar")
    school = models.ForeignKey(
        School,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="calendar",
        help_text=_("Leave empty for the whole district."),
    )
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.CLOSURE)
    name = models.CharField(max_length=200, help_text=_("For example Winter break."))
    starts_on = models.DateField()
    ends_on = models.DateField(help_text=_("The last day, included."))
    source = models.CharField(max_length=20, choices=Source.choices, default=Source.MANUAL)
    uid = models.CharField(
        max_length=255, blank=True, editable=False, help_text=_("The iCalendar event's UID.")
    )

    history = HistoricalRecords(bases=[AuditedHistoryModel])

    class Meta:
        ordering = ["starts_on", "pk"]
        verbose_name_plural = "school calendar entries"
        indexes = [models.Index(fields=["district", "starts_on"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")),
                name="calendar_entry_ends_after_start",
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.starts_on:%b %d, %Y} to {self.ends_on:%b %d, %Y})"

    def clean(self):
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            raise ValidationError(_("The last day must be on or after the first day."))
        if self.school_id and self.district_id and self.school.district_id != self.district_id:
            raise ValidationError(_("Choose a school of this district."))


class DeadlineExtension(models.Model):
    """A deadline extended for good cause: which clock, from when to when, why, and the notice
    given to the parties. Legal clocks (the 48-hour takedown, statutory report deadlines) are
    never extended (``clocks.LEGAL_KINDS``)."""

    class ClockKind(models.TextChoices):
        STAGE = "stage", _("The current stage's deadline")
        APPEAL = "appeal", _("An appeal window")

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="extensions")
    clock = models.CharField(max_length=20, choices=ClockKind.choices)
    stage = models.CharField(max_length=30, choices=c.Stage.choices, blank=True)
    determination = models.ForeignKey(
        Determination, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    previous_due_at = models.DateTimeField()
    new_due_at = models.DateTimeField()
    reason = models.TextField(help_text=_("The good cause."))
    notice = models.TextField(
        help_text=_("The notice given to the parties: to whom, how and when.")
    )
    extended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    extended_at = models.DateTimeField()

    history = HistoricalRecords(bases=[AuditedHistoryModel])

    class Meta:
        ordering = ["extended_at", "pk"]

    def __str__(self):
        return f"{self.get_clock_display()} extended to {self.new_due_at:%Y-%m-%d %H:%M}"


class NotificationOutbox(models.Model):
    """A notification to hand to the background worker, written in the transaction of the
    change that causes it (a transactional outbox): relayed after the commit when the broker
    answers, otherwise by ``tasks.notifications_relay`` on the beat. Carries ids only."""

    task = models.CharField(max_length=200)
    args = models.JSONField(default=list)
    case = models.ForeignKey(Case, null=True, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    relayed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["pk"]
        indexes = [models.Index(fields=["relayed_at", "id"])]

    def __str__(self):
        return f"{self.task}{self.args} ({'relayed' if self.relayed_at else 'pending'})"


class FormSubmission(models.Model):
    """One sent create form, by its one-time token: a second POST of the same form (a double
    click, a browser resending it) finds this row and leads to the first result instead of
    recording the same thing twice."""

    token = models.UUIDField()
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    form = models.CharField(max_length=60, help_text=_("Which form was sent (the page's name)."))
    result_url = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "token"], name="uniq_form_submission"),
        ]

    def __str__(self):
        return f"{self.form} {self.token}"


def takedown_notice_path(instance, filename):
    # Content-addressed: a corrected notice is a new file, and the earlier one stays where its
    # history row says it is. The name never carries a person's name.
    return f"takedown-notices/{instance.case_id}/{instance.pdf_sha256}.pdf"


class TakedownNotice(Correctable):
    """The notice letter of a takedown request to a covered platform under the TAKE IT DOWN
    Act (Pub. L. 119-12, sec. 3(a)(1)(B)): the four elements of a valid removal request, the
    plain text to paste into the platform's web form and the same letter as a PDF (in private
    storage). It never holds an image. Who authorised the district to act for the depicted
    person is recorded here and not printed in the letter (docs/policy-rules.md)."""

    class Authority(models.TextChoices):
        DEPICTED = "depicted", _("The depicted person")
        PARENT = "parent", _("A parent or guardian of the depicted person")
        OTHER = "other", _("Another person the depicted person authorized")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="takedown_notices")
    takedown = models.ForeignKey(TakedownRequest, on_delete=models.PROTECT, related_name="+")
    authority = models.CharField(
        _("authorized by"),
        max_length=20,
        choices=Authority.choices,
        help_text=_("Who authorized the district to ask for the removal on the person's behalf."),
    )
    authorized_by_name = models.CharField(
        _("name of who authorized it"),
        max_length=200,
        help_text=_("Kept in the case record; not printed in the notice."),
    )
    authorized_on = models.DateField(_("authorized on"))
    name_depicted = models.BooleanField(
        _("name the depicted person in the notice"),
        default=False,
        help_text=_(
            "Off for a minor unless the family asks for it: the platform can locate the "
            "content from its location, and the district confirms identity on request."
        ),
    )
    depicted_name = models.CharField(
        _("name as printed"),
        max_length=200,
        blank=True,
        help_text=_("Only when the notice names them."),
    )
    depicted_minor = models.BooleanField(
        _("under 18 in the imagery"),
        null=True,
        blank=True,
        help_text=_("Printed as a statement, never a name. Empty: not known or nobody named."),
    )
    content_location = models.TextField(
        _("where the content is"),
        help_text=_(
            "Links, account handles, group names, post dates: enough for the platform to "
            "find it. Never the image itself."
        ),
    )
    statement = models.TextField(
        _("good-faith statement"),
        help_text=_("A brief statement of good-faith belief that the depiction is not consensual."),
    )
    signer_name = models.CharField(_("signed by"), max_length=200)
    signer_title = models.CharField(_("signer's title"), max_length=200)
    signature = models.CharField(
        _("electronic signature"),
        max_length=200,
        help_text=_("Typed as '/s/ First Last': an electronic signature of the authorized person."),
    )
    contact_email = models.EmailField(_("contact e-mail"))
    contact_phone = models.CharField(_("contact phone"), max_length=40, blank=True)
    contact_address = models.TextField(_("contact postal address"), blank=True)
    text = models.TextField(help_text=_("The letter as plain text, as sent."))
    pdf = models.FileField(
        upload_to=takedown_notice_path, storage=document_storage, max_length=200, blank=True
    )
    pdf_sha256 = models.CharField(max_length=64, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = CurrentQuerySet.as_manager()
    history = HistoricalRecords(bases=[AuditedHistoryModel])

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self):
        return f"Notice to {self.takedown.platform}" if self.takedown_id else "Takedown notice"


# --- Appeals and the formal Title IX process (Process A) ------------------------------------


class AppealOutcome(models.TextChoices):
    AFFIRM = "affirm", _("Affirmed (the decision stands)")
    MODIFY = "modify", _("Modified (the decision or its sanctions change)")
    REMAND = "remand", _("Remanded (sent back for further work)")


class Appeal(models.Model):
    """An appeal of a determination or of a dismissal by a party (34 CFR 106.45(b)(8)): who
    appealed, on which grounds, when, the appeal decision-maker (who had no earlier role in
    the case), the other party's response and its date, and the written decision with both
    parties notified at the same time. Rules: ``services.appeals``."""

    class Subject(models.TextChoices):
        DETERMINATION = "determination", _("A determination")
        DISMISSAL = "dismissal", _("A dismissal (the case referred outside this policy)")

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="appeals")
    subject = models.CharField(max_length=20, choices=Subject.choices)
    determination = models.ForeignKey(
        Determination, null=True, blank=True, on_delete=models.PROTECT, related_name="appeals"
    )
    # The instant the appealed decision was made (the determination's, or the dismissal's).
    decision_at = models.DateTimeField()
    appellant = models.ForeignKey(CaseParty, on_delete=models.PROTECT, related_name="+")
    grounds = models.JSONField(default=list, help_text=_("Slugs of the appeal grounds catalog."))
    statement = models.TextField(help_text=_("The appellant's grounds, in their own words."))
    filed_at = models.DateTimeField(help_text=_("When the appeal was received."))
    window_closed_at = models.DateTimeField(help_text=_("The end of the appeal window then."))
    from_stage = models.CharField(max_length=30, choices=c.Stage.choices)
    sanctions_stayed = models.BooleanField(default=False)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    decision_maker = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    designated_at = models.DateTimeField(null=True, blank=True)
    response = models.TextField(blank=True, help_text=_("The other party's written response."))
    response_party = models.ForeignKey(
        CaseParty, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    response_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=20, choices=AppealOutcome.choices, blank=True)
    rationale = models.TextField(blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    parties_notified_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    history = HistoricalRecords(bases=[AuditedHistoryModel])

    class Meta:
        ordering = ["filed_at", "pk"]

    def __str__(self):
        return f"Appeal of {self.get_subject_display().lower()} ({self.filed_at:%Y-%m-%d})"

    @property
    def is_pending(self) -> bool:
        """Filed and not yet decided."""
        return self.decided_at is None


class ProcessAMilestone(models.Model):
    """A dated step of the formal Title IX grievance process of 34 CFR 106.45 (Process A),
    which runs its own timeline: the application records when each step happened."""

    class Kind(models.TextChoices):
        # 106.30 "formal complaint"; 106.45(b)(2) written notice of the allegations;
        # 106.45(b)(5)(vi) the evidence sent for review (10 days to respond); 106.45(b)(5)(vii)
        # the investigative report; 106.45(b)(7) the written determination; 106.45(b)(8) appeal.
        FORMAL_COMPLAINT = "formal_complaint", _("Formal complaint signed")
        NOTICE_OF_ALLEGATIONS = "notice_of_allegations", _("Written notice of allegations sent")
        EVIDENCE_REVIEW = "evidence_review", _("Evidence sent to the parties for review")
        INVESTIGATION_REPORT = "investigation_report", _("Investigative report sent")
        DETERMINATION = "determination", _("Written determination issued")
        APPEAL = "appeal", _("Appeal decided")

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="process_a_milestones")
    kind = models.CharField(max_length=30, choices=Kind.choices)
    occurred_at = models.DateTimeField()
    note = models.TextField(blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField()

    history = HistoricalRecords(bases=[AuditedHistoryModel])

    class Meta:
        ordering = ["occurred_at", "pk"]

    def __str__(self):
        return f"{self.get_kind_display()} ({self.occurred_at:%Y-%m-%d})"


class RosterImport(models.Model):
    """One run of the OneRoster import (``ncii_cases.roster``): who ran it, when, from where,
    the SHA-256 of each file read, what it created, changed and deactivated (or would have, in
    a dry run), and the problems that refused it. Written for every run, refused ones too; the
    people and accounts it changed keep their own history rows."""

    class Status(models.TextChoices):
        APPLIED = "applied", _("Applied")
        DRY_RUN = "dry_run", _("Dry run (nothing written)")
        REFUSED = "refused", _("Refused (nothing written)")

    class Source(models.TextChoices):
        COMMAND = "command", _("manage.py roster_import")
        UPLOAD = "upload", _("Upload screen")

    district = models.ForeignKey(District, on_delete=models.PROTECT, related_name="+")
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    started_by_label = models.CharField(
        max_length=200, blank=True, help_text=_("Who ran the command, when it was not an account.")
    )
    source = models.CharField(max_length=20, choices=Source.choices)
    status = models.CharField(max_length=20, choices=Status.choices)
    file_name = models.CharField(max_length=300, blank=True)
    file_hashes = models.JSONField(default=dict, help_text=_("SHA-256 of each file read, by name."))
    modes = models.JSONField(
        default=dict, help_text=_("bulk, delta or absent, by file (manifest).")
    )
    counts = models.JSONField(default=dict)
    problems = models.JSONField(default=list, help_text=_("The first problems found."))
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField()

    history = HistoricalRecords(bases=[AuditedHistoryModel])

    class Meta:
        ordering = ["-started_at", "-pk"]

    def __str__(self):
        return f"Roster import of {self.started_at:%Y-%m-%d %H:%M} ({self.get_status_display()})"


# Reports from anyone, before they are cases (docs/reports.md); single sign-on (OpenID
# Connect): providers, account links, the provider-MFA device; kept analytics facts.
from .models_analytics import AnalyticsMonth, CaseFacts  # noqa: E402, F401

# Letters from the district's templates (ncii_cases/letters.py).
from .models_intake import IncomingReport, ReportMessage  # noqa: E402, F401
from .models_letters import Letter, LetterTemplate  # noqa: E402, F401
from .models_sso import SsoIdentity, SsoProvider, SsoSignInDevice  # noqa: E402, F401
