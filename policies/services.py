"""Writes of the policy data that code (not only the admin) makes: a new district's own copy
of the generic reporting profile."""

from django.db import transaction

from .models import ReportingProfile, ReportingProfileLine


@transaction.atomic
def reporting_profile_copy_for_district(*, district) -> ReportingProfile | None:
    """Gives a district its own reporting profile, a copy of the generic default's lines
    (obligations, deadlines in hours, one or two steps), which its coordinator or IT then set
    to the state's law; returns it. A district that has one keeps it (returned unchanged);
    with no default to copy, returns None (the district reads no profile until one is made)."""
    own = ReportingProfile.objects.filter(district=district).first()
    if own is not None:
        return own
    default = ReportingProfile.objects.filter(district__isnull=True).first()
    if default is None:
        return None
    profile = ReportingProfile.objects.create(
        district=district,
        name=f"{district.name} reporting profile",
        legal_basis=default.legal_basis,
    )
    for line in default.lines.all():
        ReportingProfileLine.objects.create(
            profile=profile,
            obligation=line.obligation,
            active=line.active,
            deadline_hours=line.deadline_hours,
            two_step=line.two_step,
            oral_deadline_hours=line.oral_deadline_hours,
            legal_basis=line.legal_basis,
        )
    return profile
