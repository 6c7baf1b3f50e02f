"""The Model NCII Policy as data: definitions, catalogs and reporting obligations.

Rows with no district are the defaults that ship with the policy (seeded by migrations);
a district adds its own rows or edits the defaults in the admin. Case data never lives here.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class CatalogQuerySet(models.QuerySet):
    def for_district(self, district):
        """Returns the active rows that apply to the district: its own, and the shared
        defaults it has not replaced. A district's row (active or retired) with the slug of a
        shared row replaces it for that district: a district sets its own number for a
        shared hotline, or retires a shared row for itself, without touching what the other
        districts see."""
        shared = models.Q(district__isnull=True)
        if district is None:
            return self.filter(active=True).filter(shared)
        own = self.model._default_manager.filter(district=district)
        replaced = models.Exists(own.filter(slug=models.OuterRef("slug")))
        return self.filter(active=True).filter((shared & ~replaced) | models.Q(district=district))


class CatalogEntry(models.Model):
    district = models.ForeignKey(
        "ncii_cases.District",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        help_text=_("Leave empty for an entry every district uses."),
    )
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80)
    description = models.TextField(blank=True)
    active = models.BooleanField(default=True)
    sort_order = models.PositiveSmallIntegerField(default=100)

    objects = CatalogQuerySet.as_manager()

    class Meta:
        abstract = True
        ordering = ["sort_order", "name"]

    def __str__(self):
        return self.name


class PolicyVersion(models.Model):
    title = models.CharField(max_length=200)
    version = models.CharField(max_length=40)
    source = models.CharField(max_length=300, blank=True)
    effective_date = models.DateField()
    notes = models.TextField(blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-effective_date"]
        constraints = [
            models.UniqueConstraint(fields=["title", "version"], name="uniq_policy_version")
        ]

    def __str__(self):
        return f"{self.title} ({self.version})"


class Definition(models.Model):
    """A term of the policy with its definition in plain words."""

    policy = models.ForeignKey(PolicyVersion, on_delete=models.PROTECT, related_name="definitions")
    term = models.CharField(max_length=120)
    slug = models.SlugField(max_length=80, unique=True)
    text = models.TextField()
    section = models.CharField(max_length=80, blank=True, help_text=_("Where the policy says it."))

    history = HistoricalRecords()

    class Meta:
        ordering = ["term"]

    def __str__(self):
        return self.term


class Platform(CatalogEntry):
    """A channel where imagery can spread, with its route for NCII reports."""

    class Category(models.TextChoices):
        SOCIAL = "social", _("Social media")
        MESSAGING = "messaging", _("Messaging app")
        LOCAL_SHARING = "local", _("Local sharing (nearby devices)")
        VIDEO = "video", _("Video sharing")
        ADULT = "adult", _("Adult content site")
        OTHER = "other", _("Other website or service")

    category = models.CharField(max_length=20, choices=Category.choices)
    reporting_route = models.TextField(
        help_text=_("How to ask this platform to remove non-consensual intimate imagery.")
    )
    reporting_url = models.URLField(blank=True)
    take_it_down_act_covered = models.BooleanField(
        _("TAKE IT DOWN Act covered"),
        default=False,
        help_text=(
            _(
                "A covered platform must remove the imagery within 48 hours of a valid request "
                "(federal TAKE IT DOWN Act, platforms bound from 19 May 2026)."
            )
        ),
    )
    participates_in_hash_programs = models.BooleanField(
        default=False,
        help_text=_("Takes part in Take It Down (NCMEC) or StopNCII hash matching."),
    )

    history = HistoricalRecords()

    class Meta(CatalogEntry.Meta):
        constraints = [
            models.UniqueConstraint(fields=["district", "slug"], name="uniq_platform_slug"),
            models.UniqueConstraint(
                fields=["slug"],
                condition=models.Q(district__isnull=True),
                name="uniq_default_platform_slug",
            ),
        ]


class Resource(CatalogEntry):
    """Help shown to victims and staff: hotlines, reporting and takedown services, counseling."""

    class Kind(models.TextChoices):
        HOTLINE = "hotline", _("Hotline")
        REPORTING = "reporting", _("Reporting service")
        TAKEDOWN = "takedown", _("Takedown service")
        COUNSELING = "counseling", _("Counseling and support")

    class Audience(models.TextChoices):
        EVERYONE = "all", _("Everyone")
        MINORS = "minors", _("People under 18 in the imagery")
        ADULTS = "adults", _("Adults in the imagery")

    kind = models.CharField(max_length=20, choices=Kind.choices)
    audience = models.CharField(max_length=10, choices=Audience.choices, default=Audience.EVERYONE)
    phone = models.CharField(max_length=40, blank=True)
    url = models.URLField(blank=True)
    is_placeholder = models.BooleanField(
        default=False,
        help_text=_("A slot the district fills in with its own contact before go-live."),
    )

    history = HistoricalRecords()

    class Meta(CatalogEntry.Meta):
        constraints = [
            models.UniqueConstraint(fields=["district", "slug"], name="uniq_resource_slug"),
            models.UniqueConstraint(
                fields=["slug"],
                condition=models.Q(district__isnull=True),
                name="uniq_default_resource_slug",
            ),
        ]


class Measure(CatalogEntry):
    """A supportive measure for a complainant, or an interim measure concerning a respondent."""

    class Kind(models.TextChoices):
        SUPPORTIVE = "supportive", _("Supportive measure (for a party, by its audience)")
        INTERIM = "interim", _("Interim measure (concerning the respondent)")

    kind = models.CharField(max_length=20, choices=Kind.choices)

    class Audience(models.TextChoices):
        # Supportive measures are for complainants and respondents alike (34 CFR 106.30(a),
        # 106.44(a)); witnesses are protected from retaliation (106.71).
        COMPLAINANT = "complainant", _("Complainant (the person shown)")
        RESPONDENT = "respondent", _("Respondent")
        WITNESS = "witness", _("Witness")
        ANY = "any", _("Any party")

    audience = models.CharField(
        max_length=20,
        choices=Audience.choices,
        default=Audience.COMPLAINANT,
        help_text=_("Who a supportive measure may be offered to."),
    )

    history = HistoricalRecords()

    class Meta(CatalogEntry.Meta):
        constraints = [
            models.UniqueConstraint(fields=["district", "slug"], name="uniq_measure_slug"),
            models.UniqueConstraint(
                fields=["slug"],
                condition=models.Q(district__isnull=True),
                name="uniq_default_measure_slug",
            ),
        ]


class Intervention(CatalogEntry):
    """A sanction from one respondent track's catalog: student interventions or employee
    corrective actions. A case's sanctions may come only from its own track's catalog."""

    class Track(models.TextChoices):
        STUDENT = "student", _("Student discipline")
        EMPLOYEE = "employee", _("Employee corrective action")

    track = models.CharField(max_length=20, choices=Track.choices)
    exclusionary = models.BooleanField(
        default=False,
        help_text=_("Removes the person from school or work (suspension, expulsion)."),
    )
    requires_licensing_report = models.BooleanField(
        default=False, help_text=_("State law may require a report to the educator licensing body.")
    )

    history = HistoricalRecords()

    class Meta(CatalogEntry.Meta):
        constraints = [
            models.UniqueConstraint(fields=["district", "slug"], name="uniq_intervention_slug"),
            models.UniqueConstraint(
                fields=["slug"],
                condition=models.Q(district__isnull=True),
                name="uniq_default_intervention_slug",
            ),
        ]


class StudentIntervention(Intervention):
    class Meta:
        proxy = True
        verbose_name = "student intervention"


class EmployeeCorrectiveAction(Intervention):
    class Meta:
        proxy = True
        verbose_name = "employee corrective action"


class ReportingObligation(CatalogEntry):
    """A report the law or the district requires when a case meets a trigger."""

    class AgencyKind(models.TextChoices):
        CHILD_PROTECTION = "child_protection", _("Child protective services (mandated report)")
        LAW_ENFORCEMENT = "law_enforcement", _("Law enforcement")
        CYBERTIPLINE = "cybertipline", _("NCMEC CyberTipline")
        LICENSING = "licensing", _("Educator licensing body")
        OTHER = "other", _("Other agency")

    # When each trigger is met: ``ncii_cases.obligations.case_triggers`` (docs/policy-rules.md).
    # "A minor" means the imagery shows a person under 18 (its age in the imagery, not today).
    class Trigger(models.TextChoices):
        MINOR_DEPICTED = "minor_depicted", _("The imagery shows a minor")
        AUTHENTIC_MINOR = "authentic_minor", _("Authentic imagery of a minor")
        SEXTORTION = "sextortion", _("Sextortion or threats involving a minor")
        EMPLOYEE_RESPONDENT = "employee_respondent", _("The respondent is an employee")
        ADULT_RESPONDENT_MINOR = (
            "adult_respondent_minor",
            _("An adult or employee respondent and a minor depicted"),
        )
        SYNTHETIC_MINOR = (
            "synthetic_minor",
            _("AI-made or altered imagery (or of unknown kind) of a minor"),
        )

    agency = models.CharField(max_length=200)
    agency_kind = models.CharField(max_length=30, choices=AgencyKind.choices)
    trigger = models.CharField(max_length=40, choices=Trigger.choices)
    # Deadlines (hours, one or two steps) are the district's reporting profile's, not here.
    contact = models.CharField(max_length=200, blank=True)
    url = models.URLField(blank=True)
    legal_basis = models.CharField(max_length=300, blank=True)

    history = HistoricalRecords()

    class Meta(CatalogEntry.Meta):
        constraints = [
            models.UniqueConstraint(fields=["district", "slug"], name="uniq_obligation_slug"),
            models.UniqueConstraint(
                fields=["slug"],
                condition=models.Q(district__isnull=True),
                name="uniq_default_obligation_slug",
            ),
        ]


class AppealGround(CatalogEntry):
    """A ground on which a party may appeal a determination or a dismissal. The three grounds
    of 34 CFR 106.45(b)(8)(i) ship as shared rows; a district may add its own
    (106.45(b)(8)(ii): "A recipient may offer an appeal equally to both parties on additional
    bases"), which then apply to both parties alike."""

    legal_basis = models.CharField(max_length=300, blank=True)

    history = HistoricalRecords()

    class Meta(CatalogEntry.Meta):
        constraints = [
            models.UniqueConstraint(fields=["district", "slug"], name="uniq_appeal_ground_slug"),
            models.UniqueConstraint(
                fields=["slug"],
                condition=models.Q(district__isnull=True),
                name="uniq_default_appeal_ground_slug",
            ),
        ]


class ReportingProfileQuerySet(models.QuerySet):
    def for_district(self, district):
        """Returns the profile that applies to the district: its own, or the shared default
        (no district) while it has none; ``None`` when neither exists."""
        if district is not None:
            own = self.filter(district=district).first()
            if own is not None:
                return own
        return self.filter(district__isnull=True).first()


class ReportingProfile(models.Model):
    """A district's reporting profile: which obligations of the catalog it reports, in how many
    hours, and whether a report is made in two steps (oral, then written). The deadlines live
    here and nowhere else. The generic default (no district) ships with the application; a
    district gets its own copy, which its coordinator or IT sets to the state's law."""

    district = models.OneToOneField(
        "ncii_cases.District",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="reporting_profile",
        help_text=_("Leave empty for the generic default every new district starts from."),
    )
    name = models.CharField(max_length=200)
    legal_basis = models.TextField(
        blank=True,
        help_text=_(
            "The statutes and rules this profile follows (cite the state's reporting law)."
        ),
    )
    notes = models.TextField(blank=True)

    objects = ReportingProfileQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["name"],
                condition=models.Q(district__isnull=True),
                name="uniq_default_reporting_profile",
            ),
        ]

    def __str__(self):
        return self.name


class ReportingProfileLine(models.Model):
    """One obligation of a profile: whether the district reports it, and its deadlines in
    elapsed hours from the moment staff learned of the case."""

    profile = models.ForeignKey(ReportingProfile, on_delete=models.CASCADE, related_name="lines")
    obligation = models.ForeignKey(ReportingObligation, on_delete=models.PROTECT, related_name="+")
    active = models.BooleanField(
        default=True, help_text=_("Uncheck when the district does not make this report.")
    )
    deadline_hours = models.PositiveIntegerField(
        help_text=_(
            "Hours from the moment staff learned of the case to the (written) report. "
            "State laws differ: set yours."
        )
    )
    two_step = models.BooleanField(
        _("oral report first"),
        default=False,
        help_text=_("The law asks for an oral report (by phone) first, then a written one."),
    )
    oral_deadline_hours = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text=_("For a two-step report: hours to the oral report, from the same moment."),
    )
    legal_basis = models.CharField(max_length=300, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["obligation__sort_order", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["profile", "obligation"], name="uniq_profile_obligation"
            ),
        ]

    def __str__(self):
        return f"{self.obligation} ({self.deadline_hours} h)"

    def clean(self):
        from django.core.exceptions import ValidationError

        if self.two_step and not self.oral_deadline_hours:
            raise ValidationError(
                {"oral_deadline_hours": "Give the hours to the oral report of a two-step report."}
            )
        if self.two_step and self.oral_deadline_hours > self.deadline_hours:
            raise ValidationError(
                {
                    "oral_deadline_hours": "The oral report comes first: its deadline cannot be "
                    "later than the written report's."
                }
            )
        if not self.two_step:
            self.oral_deadline_hours = None
