"""Seeds the generic reporting profile, a copy of it for each existing district, and the two
law-enforcement decisions issue 16 asks for (AI-made imagery of a minor; an adult or employee
respondent with a minor depicted). The deadlines move from the catalog rows to the profile,
where they are read from now on (the next migration removes the catalog's column).

Sources: docs/policy-rules.md, "Report obligations".
"""

from django.db import migrations
from django.utils import timezone

SEED_REASON = "Seeded: generic reporting profile (issue 16)"
DEFAULT_PROFILE = "Generic default (set to your state's law)"
DEFAULT_BASIS = (
    "Generic default, not any one state's law. Child-abuse reporting deadlines, the agency, and "
    "whether an oral report comes before a written one are set by each state's mandated-"
    "reporter statute: set them before go-live and cite the statute here. Federal sources of "
    "the triggers: 18 U.S.C. 2256(8) and 1466A (sexual imagery of a minor, computer-generated "
    "imagery of an identifiable minor included), 18 U.S.C. 2258A (the CyberTipline)."
)

NEW_OBLIGATIONS = [
    {
        "slug": "law-enforcement-synthetic-minor",
        "name": "Law enforcement decision (AI-made or altered imagery of a minor)",
        "agency": "Local law enforcement",
        "agency_kind": "law_enforcement",
        "trigger": "synthetic_minor",
        "deadline_hours": 24,
        "legal_basis": (
            "18 U.S.C. 2256(8)(B)-(C) and 1466A: computer-generated or altered sexual imagery "
            "of an identifiable minor is child sexual abuse material; state law; district policy"
        ),
        "description": (
            "AI-made or altered sexual imagery of a minor is treated by federal law as child "
            "sexual abuse material. Decide and record whether the district reports it to law "
            "enforcement (the report made, or why not). Do not view, copy or forward it."
        ),
        "sort_order": 45,
    },
    {
        "slug": "law-enforcement-adult-respondent-minor",
        "name": "Law enforcement decision (adult or employee respondent, minor depicted)",
        "agency": "Local law enforcement",
        "agency_kind": "law_enforcement",
        "trigger": "adult_respondent_minor",
        "deadline_hours": 24,
        "legal_basis": (
            "18 U.S.C. 2252A and 2256(8); state child-abuse reporting law (abuse by an adult or "
            "a school employee); district policy"
        ),
        "description": (
            "An adult or a school employee shared or made sexual imagery of a minor. Decide and "
            "record whether the district reports it to law enforcement (the report made, or "
            "why not)."
        ),
        "sort_order": 47,
    },
]

LEGAL_BASIS_UPDATES = {
    "cybertipline-report": (
        "18 U.S.C. 2258A (the CyberTipline; binding on online providers, open to reports from "
        "anyone); NCMEC guidance; district policy"
    ),
    "law-enforcement-authentic-minor": (
        "18 U.S.C. 2256(8) and 2252A (sexual imagery of a minor); state law; district policy"
    ),
}


def _history(apps, model_name, obj, history_type="+", reason=SEED_REASON):
    historical = apps.get_model("policies", f"Historical{model_name}")
    values = {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}
    historical.objects.create(
        history_date=timezone.now(),
        history_type=history_type,
        history_change_reason=reason,
        **values,
    )


def seed(apps, schema_editor):
    Obligation = apps.get_model("policies", "ReportingObligation")
    Profile = apps.get_model("policies", "ReportingProfile")
    Line = apps.get_model("policies", "ReportingProfileLine")
    District = apps.get_model("ncii_cases", "District")

    for row in NEW_OBLIGATIONS:
        values = dict(row)
        slug = values.pop("slug")
        obj, created = Obligation.objects.get_or_create(
            district=None, slug=slug, defaults={**values, "active": True}
        )
        if created:
            _history(apps, "ReportingObligation", obj)
    for slug, basis in LEGAL_BASIS_UPDATES.items():
        obj = Obligation.objects.filter(district=None, slug=slug).first()
        if obj is not None and obj.legal_basis != basis:
            obj.legal_basis = basis
            obj.save(update_fields=["legal_basis"])
            _history(apps, "ReportingObligation", obj, "~", "Legal basis cited (issue 16)")

    default, created = Profile.objects.get_or_create(
        district=None, name=DEFAULT_PROFILE, defaults={"legal_basis": DEFAULT_BASIS}
    )
    if created:
        _history(apps, "ReportingProfile", default)
    shared = list(Obligation.objects.filter(district=None))
    for obligation in shared:
        line, created = Line.objects.get_or_create(
            profile=default,
            obligation=obligation,
            defaults={
                "active": obligation.active,
                "deadline_hours": obligation.deadline_hours,
                "legal_basis": obligation.legal_basis[:300],
            },
        )
        if created:
            _history(apps, "ReportingProfileLine", line)

    # Each district starts from the default, with its own obligations (and its own versions
    # of shared ones, replacing them) at the deadlines it had set on the catalog.
    for district in District.objects.all():
        profile, created = Profile.objects.get_or_create(
            district=district,
            defaults={"name": f"{district.name} reporting profile", "legal_basis": DEFAULT_BASIS},
        )
        if created:
            _history(apps, "ReportingProfile", profile)
        own = {o.slug: o for o in Obligation.objects.filter(district=district)}
        rows = [own.get(o.slug, o) for o in shared] + [
            o for slug, o in own.items() if not any(s.slug == slug for s in shared)
        ]
        for obligation in rows:
            line, created = Line.objects.get_or_create(
                profile=profile,
                obligation=obligation,
                defaults={
                    "active": obligation.active,
                    "deadline_hours": obligation.deadline_hours,
                    "legal_basis": obligation.legal_basis[:300],
                },
            )
            if created:
                _history(apps, "ReportingProfileLine", line)


def unseed(apps, schema_editor):
    Obligation = apps.get_model("policies", "ReportingObligation")
    Profile = apps.get_model("policies", "ReportingProfile")
    Line = apps.get_model("policies", "ReportingProfileLine")
    # The deadlines go back to the catalog rows (the default profile's, or a district's own).
    for line in Line.objects.select_related("obligation", "profile"):
        if line.profile.district_id is None or line.obligation.district_id is not None:
            Obligation.objects.filter(pk=line.obligation_id).update(
                deadline_hours=line.deadline_hours
            )
    Line.objects.all().delete()
    Profile.objects.all().delete()
    Obligation.objects.filter(
        district=None, slug__in=[row["slug"] for row in NEW_OBLIGATIONS]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("policies", "0003_i16law_reporting_profile"),
    ]

    operations = [migrations.RunPython(seed, unseed)]
