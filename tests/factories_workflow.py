"""Catalog rows the workflow tests need, created by slug as shared defaults (district=None).

A data migration seeds the real catalog; these helpers ``get_or_create`` by slug, so they
reuse the seeded rows where they exist and create the few a test needs where they do not.
"""

from policies.models import (
    Intervention,
    Measure,
    Platform,
    ReportingObligation,
    ReportingProfile,
    ReportingProfileLine,
)

# As the seeded catalog marks them: private messaging and local sharing are not covered.
NOT_COVERED_PLATFORMS = {"whatsapp", "imessage", "airdrop"}
PLATFORM_CATEGORY = {
    "snapchat": Platform.Category.SOCIAL,
    "airdrop": Platform.Category.LOCAL_SHARING,
    "imessage": Platform.Category.MESSAGING,
    "discord": Platform.Category.MESSAGING,
    "whatsapp": Platform.Category.MESSAGING,
    "telegram": Platform.Category.MESSAGING,
}
SUPPORTIVE = {
    "counseling",
    "no-contact-directive",
    "schedule-change",
    "academic-support",
    "safety-plan",
    "escort-or-check-in",
    "take-it-down-guidance",
    "employee-assistance",
    "communication-plan",
    "leave-or-work-adjustment",
    "respondent-counseling-and-education",
    "respondent-schedule-change",
    "witness-check-in",
}
# The audience of a supportive measure where it is not the complainant (as seeded).
AUDIENCE = {
    "counseling": Measure.Audience.ANY,
    "no-contact-directive": Measure.Audience.ANY,
    "academic-support": Measure.Audience.ANY,
    "escort-or-check-in": Measure.Audience.ANY,
    "respondent-counseling-and-education": Measure.Audience.RESPONDENT,
    "respondent-schedule-change": Measure.Audience.RESPONDENT,
    "witness-check-in": Measure.Audience.WITNESS,
}
STUDENT_INTERVENTIONS = {
    "student-counseling",
    "restorative-justice",
    "ncii-education",
    "detention",
    "student-suspension",
    "expulsion",
    "law-enforcement-referral",
}
OBLIGATIONS = {
    "child-protection-report": (
        "Child protective services",
        ReportingObligation.AgencyKind.CHILD_PROTECTION,
        ReportingObligation.Trigger.MINOR_DEPICTED,
        24,
    ),
    "cybertipline-report": (
        "NCMEC CyberTipline",
        ReportingObligation.AgencyKind.CYBERTIPLINE,
        ReportingObligation.Trigger.MINOR_DEPICTED,
        24,
    ),
    "law-enforcement-authentic-minor": (
        "Local law enforcement",
        ReportingObligation.AgencyKind.LAW_ENFORCEMENT,
        ReportingObligation.Trigger.AUTHENTIC_MINOR,
        24,
    ),
    "law-enforcement-sextortion": (
        "Local law enforcement",
        ReportingObligation.AgencyKind.LAW_ENFORCEMENT,
        ReportingObligation.Trigger.SEXTORTION,
        24,
    ),
    "licensing-body-report": (
        "State educator licensing board",
        ReportingObligation.AgencyKind.LICENSING,
        ReportingObligation.Trigger.EMPLOYEE_RESPONDENT,
        720,
    ),
    "law-enforcement-synthetic-minor": (
        "Local law enforcement",
        ReportingObligation.AgencyKind.LAW_ENFORCEMENT,
        ReportingObligation.Trigger.SYNTHETIC_MINOR,
        24,
    ),
    "law-enforcement-adult-respondent-minor": (
        "Local law enforcement",
        ReportingObligation.AgencyKind.LAW_ENFORCEMENT,
        ReportingObligation.Trigger.ADULT_RESPONDENT_MINOR,
        24,
    ),
}


# The four elements of a valid TAKE IT DOWN Act request, all recorded.
TAKEDOWN_ELEMENTS = {
    "has_signature": True,
    "identifies_content": True,
    "good_faith_statement": True,
    "has_contact_information": True,
}


def _title(slug: str) -> str:
    return slug.replace("-", " ").capitalize()


def platform(slug: str) -> Platform:
    row, _ = Platform.objects.get_or_create(
        slug=slug,
        district=None,
        defaults={
            "name": _title(slug),
            "category": PLATFORM_CATEGORY.get(slug, Platform.Category.OTHER),
            "reporting_route": "The platform's report form for intimate imagery.",
            "take_it_down_act_covered": slug not in NOT_COVERED_PLATFORMS,
        },
    )
    return row


def measure(slug: str) -> Measure:
    kind = Measure.Kind.SUPPORTIVE if slug in SUPPORTIVE else Measure.Kind.INTERIM
    row, _ = Measure.objects.get_or_create(
        slug=slug,
        district=None,
        defaults={
            "name": _title(slug),
            "kind": kind,
            "audience": AUDIENCE.get(slug, Measure.Audience.COMPLAINANT),
        },
    )
    return row


def intervention(slug: str) -> Intervention:
    track = (
        Intervention.Track.STUDENT if slug in STUDENT_INTERVENTIONS else Intervention.Track.EMPLOYEE
    )
    row, _ = Intervention.objects.get_or_create(
        slug=slug,
        district=None,
        defaults={
            "name": _title(slug),
            "track": track,
            "exclusionary": slug in {"student-suspension", "expulsion", "employee-suspension"},
            "requires_licensing_report": slug == "licensing-report",
        },
    )
    return row


def default_profile() -> ReportingProfile:
    """The generic reporting profile (seeded by a migration; made here after a flush)."""
    profile = ReportingProfile.objects.filter(district__isnull=True).first()
    return profile or ReportingProfile.objects.create(name="Generic default")


def obligation(slug: str) -> ReportingObligation:
    """The shared obligation, with its line in the generic reporting profile (the deadline
    is the profile's: a seeded line keeps its own)."""
    agency, kind, trigger, hours = OBLIGATIONS[slug]
    row, _ = ReportingObligation.objects.get_or_create(
        slug=slug,
        district=None,
        defaults={
            "name": _title(slug),
            "agency": agency,
            "agency_kind": kind,
            "trigger": trigger,
        },
    )
    ReportingProfileLine.objects.get_or_create(
        profile=default_profile(), obligation=row, defaults={"deadline_hours": hours}
    )
    return row


def all_obligations() -> list[ReportingObligation]:
    return [obligation(slug) for slug in OBLIGATIONS]
