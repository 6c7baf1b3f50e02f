"""Kept analytics facts: one narrow row per case holding what district analytics count about
it (its school, stage, kind, dates, first action, support, takedown resources, respondents'
affiliations), so that the analytics page aggregates one small table instead of working out
six correlated sub-queries per case (docs/analytics.md).

Every case has a row from the moment it is written: triggers on the case table write it
stale, and mark it stale again when a column it copies changes (migration
``0029_case_facts_row_with_every_case``). A row is also marked stale in the same transaction as
every event of its case (``audit``), and a stale row is worked out again from the case's
records before figures are read (``analytics_facts``); a beat task reconciles every case every
hour, which also picks up records written outside the services (a data migration, the
admin). Imported at the end of ``models``.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class CaseFacts(models.Model):
    case = models.OneToOneField(
        "ncii_cases.Case", on_delete=models.CASCADE, primary_key=True, related_name="facts"
    )
    district = models.ForeignKey("ncii_cases.District", on_delete=models.CASCADE)
    school = models.ForeignKey("ncii_cases.School", on_delete=models.CASCADE)
    reported_at = models.DateTimeField()
    stage = models.CharField(max_length=30)
    ncii_kind = models.CharField(max_length=20)
    conduct = models.CharField(max_length=30)
    closed_at = models.DateTimeField(null=True, blank=True)
    # Time from the report to the first staff action after intake; to closure.
    first_action_after = models.DurationField(null=True, blank=True)
    closure_after = models.DurationField(null=True, blank=True)
    has_support = models.BooleanField(default=False)
    has_resources = models.BooleanField(default=False)
    has_platform = models.BooleanField(default=False)
    has_respondent = models.BooleanField(default=False)
    respondent_student = models.BooleanField(default=False)
    respondent_employee = models.BooleanField(default=False)
    respondent_non_affiliated = models.BooleanField(default=False)
    respondent_unknown = models.BooleanField(default=False)
    stale = models.BooleanField(default=True)
    refreshed_at = models.DateTimeField(null=True, blank=True)
    # The month tally this row was last counted in (``analytics_months``): when a change moves
    # the row to another school or month, both tallies are counted again at its refresh.
    counted_in = models.ForeignKey(
        "ncii_cases.AnalyticsMonth",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("analytics facts of a case")
        verbose_name_plural = _("analytics facts of cases")
        indexes = [
            models.Index(fields=["district", "reported_at"], name="casefacts_district_rep"),
            models.Index(
                fields=["district"],
                condition=models.Q(stale=True),
                name="casefacts_stale",
            ),
            # The medians (``selectors.analytics._median``) read the middle of the measured
            # durations in order: from these, half the entries of an index instead of a
            # sort of every measured case.
            models.Index(
                fields=["district", "first_action_after"],
                condition=models.Q(first_action_after__isnull=False),
                name="casefacts_first_action",
            ),
            models.Index(
                fields=["district", "closure_after"],
                condition=models.Q(closure_after__isnull=False),
                name="casefacts_closure",
            ),
        ]

    def __str__(self):
        return f"Analytics facts of case {self.case_id}"


class AnalyticsMonth(models.Model):
    """The kept tally of one school's cases reported in one month (``month``: its first day,
    in the district's time zone ``time_zone``), or, without a school, of the whole district's
    (with each school's total): every count the analytics page shows about them
    (``analytics_months.tally_records``), so that a district's figures add up a few dozen of
    these rows instead of aggregating every case. Counted again, under a lock on the row,
    whenever a refresh writes a fact of the month (``analytics_months``)."""

    district = models.ForeignKey("ncii_cases.District", on_delete=models.CASCADE)
    school = models.ForeignKey("ncii_cases.School", on_delete=models.CASCADE, null=True)
    month = models.DateField()
    time_zone = models.CharField(max_length=64)
    tally = models.JSONField(default=dict)
    # The durations behind a median, by bin (``analytics_months``), read one bin at a time.
    samples = models.JSONField(default=dict)
    counted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("analytics tally of a month")
        verbose_name_plural = _("analytics tallies of months")
        constraints = [
            models.UniqueConstraint(
                fields=["district", "school", "month"], name="analyticsmonth_unique"
            ),
            models.UniqueConstraint(
                fields=["district", "month"],
                condition=models.Q(school__isnull=True),
                name="analyticsmonth_district_unique",
            ),
        ]

    def __str__(self):
        where = f"school {self.school_id}" if self.school_id else f"district {self.district_id}"
        return f"Analytics tally of {where}, {self.month:%Y-%m}"
