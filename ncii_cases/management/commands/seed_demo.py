"""A fictional district for demos and first runs: one user per role, a hand-made case for each
scenario of the design notes placed at different stages, and a year of generated cases
(``--size``, 200 by default; ``--size 0`` gives the scenarios only) spread over six schools,
the stages, clocks and outcomes (``ncii_cases.management.demo_generated``). Running it again creates
nothing twice. All names are invented.

Every role signs in with a second factor, so each demo user gets an authenticator (TOTP)
device, whose key and setup link are printed, and one-time recovery codes. On a rerun the
devices are kept; the unused recovery codes are printed again, and a new set of five is made
only when none is left."""

import datetime as dt

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.test.utils import override_settings
from django.utils import timezone

from ncii_cases import choices as c
from ncii_cases.management import demo, demo_generated
from ncii_cases.models import Case, District, Person, School
from ncii_cases.roles import roles_sync
from ncii_cases.services.cases import PartyInput, case_assign, case_create, person_create
from ncii_cases.services.two_factor import (
    AUTHENTICATOR_NAME,
    recovery_codes_create,
    recovery_codes_unused,
)
from policies.models import Platform

DISTRICT = {"slug": "riverbend", "name": "Riverbend Unified School District", "state": "IL"}
# The coordinator's public contact on the policy page and the family handout (invented).
DISTRICT_CONTACT = {
    "coordinator_name": "Dana Okafor",
    "coordinator_title": "Title IX Coordinator",
    "coordinator_email": "titleix@riverbend.example.org",
    "coordinator_phone": "(555) 010-4400",
    "coordinator_office": "District Office, Room 114, 200 Main Street, Riverbend",
}
SCHOOLS = [
    ("rhs", "Riverbend High School", "9-12"),
    ("lms", "Lakeview Middle School", "6-8"),
    ("hms", "Hawthorne Middle School", "6-8"),
]
# username, role, first, last, title, schools, admin access ("": none, "staff": the admin
# screens its role's rights open, "operator": the deployment operator, a superuser of no
# district who runs the installation and reads no case)
USERS = [
    (
        "coordinator",
        c.Role.COORDINATOR,
        "Dana",
        "Okafor",
        "District Title IX coordinator",
        [],
        "staff",
    ),
    ("schooladmin", c.Role.SCHOOL_ADMIN, "Luis", "Ferreira", "Assistant principal", ["rhs"], ""),
    ("investigator", c.Role.INVESTIGATOR, "Priya", "Castellano", "Investigator", [], ""),
    ("counselor", c.Role.SUPPORT_STAFF, "Morgan", "Ellery", "School counselor", [], ""),
    ("auditor", c.Role.AUDITOR, "Theo", "Varga", "District auditor", [], ""),
    # Every employee files reports (and follows only their own): a teacher with no other role.
    ("teacher", c.Role.STAFF_REPORTER, "Rowan", "Whitfield", "Science teacher", ["rhs"], ""),
    (
        "itadmin",
        c.Role.IT_ADMIN,
        "Sam",
        "Nakamura",
        "Systems administrator (district IT)",
        [],
        "staff",
    ),
    ("operator", c.Role.OPERATOR, "Robin", "Achterberg", "Deployment operator", [], "operator"),
]
# Published demo logins, for a demo database only.
DEMO_PASSWORD_SUFFIX = "-demo-2026!"  # noqa: S105  # nosec B105


def demo_password(username: str) -> str:
    return f"{username.capitalize()}{DEMO_PASSWORD_SUFFIX}"


class Command(BaseCommand):
    help = "Creates a fictional demo district with users and scenario cases (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--size",
            type=int,
            default=demo_generated.DEFAULT_SIZE,
            help="How many generated cases of the past year to add besides the scenarios "
            f"(default {demo_generated.DEFAULT_SIZE}; 0 for the scenarios only).",
        )
        parser.add_argument(
            "--seed",
            type=int,
            default=demo_generated.DEFAULT_SEED,
            help="The random seed of the generated cases (the same seed gives the same cases).",
        )
        parser.add_argument(
            "--allow-production",
            action="store_true",
            help="Seed even when DEBUG is off (never on a real district's server).",
        )

    def handle(self, *args, **options):
        if not settings.DEBUG and not options["allow_production"]:
            raise CommandError(
                "seed_demo creates demo accounts with known passwords; it runs only with "
                "DEBUG on. Pass --allow-production for a throwaway test server."
            )
        # The demo's transitions would email the fictional staff; keep that out of the console.
        with (
            override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"),
            transaction.atomic(),
        ):
            district, schools, users = self._district_and_users()
            generated = self._generated(district, schools, users, options["size"], options["seed"])
            created = self._cases(district, schools, users)
            factors = {role: self._second_factor(user) for role, user in users.items()}
        self._print_logins(users, created, factors)
        if generated:
            self.stdout.write(f"Generated {generated} cases of the past year.")

    def _generated(self, district, schools, users, size, seed):
        """Adds the generated year of cases (with the extra schools and staff they use), unless
        the district has them already. Returns how many cases were generated."""
        if size < 0:
            raise CommandError("--size is a number of cases: 0 or more.")
        if size == 0:
            return 0
        if Case.objects.filter(
            district=district, title__in=set(demo_generated.TITLES.values())
        ).exists():
            self.stdout.write("The generated cases are there already; none added.")
            return 0
        for code, name, grades in demo_generated.EXTRA_SCHOOLS:
            schools[code], _ = School.objects.get_or_create(
                district=district, code=code, defaults={"name": name, "grades": grades}
            )
        staff = {
            "coordinator": users[c.Role.COORDINATOR],
            "investigator": users[c.Role.INVESTIGATOR],
            "counselor": users[c.Role.SUPPORT_STAFF],
        }
        User = get_user_model()
        for username, role, first, last, title in demo_generated.EXTRA_STAFF:
            user, made = User.objects.get_or_create(
                username=username,
                defaults={
                    "first_name": first,
                    "last_name": last,
                    "title": title,
                    "district": district,
                    "role": role.value,
                    "email": f"{username}@riverbend.example",
                },
            )
            if made:
                # Colleagues in the demo's caseloads; nobody signs in as them.
                user.set_unusable_password()
                user.save(update_fields=["password"])
            staff[username] = user
        self.stdout.write(f"Generating {size} demo cases of the past year...")
        self.stdout.flush()
        plans = demo_generated.generate(
            district=district,
            schools=schools,
            users=staff,
            size=size,
            seed=seed,
            now=timezone.now(),
        )
        return len(plans)

    def _second_factor(self, user):
        """Returns the user's authenticator device and unused recovery codes, creating the
        device and a set of codes when missing."""
        from django_otp.plugins.otp_totp.models import TOTPDevice

        device, _ = TOTPDevice.objects.get_or_create(
            user=user, name=AUTHENTICATOR_NAME, defaults={"confirmed": True}
        )
        codes = recovery_codes_unused(user=user) or recovery_codes_create(user=user)
        return device, codes

    def _district_and_users(self):
        district, _ = District.objects.get_or_create(
            slug=DISTRICT["slug"],
            defaults={"name": DISTRICT["name"], "state": DISTRICT["state"], **DISTRICT_CONTACT},
        )
        schools = {}
        for code, name, grades in SCHOOLS:
            schools[code], _ = School.objects.get_or_create(
                district=district, code=code, defaults={"name": name, "grades": grades}
            )
        roles_sync()
        User = get_user_model()
        users = {}
        for username, role, first, last, title, school_codes, access in USERS:
            operator = access == "operator"
            user, made = User.objects.get_or_create(
                username=username,
                defaults={
                    "first_name": first,
                    "last_name": last,
                    "title": title,
                    # The operator belongs to no district; its role is being a superuser.
                    "district": None if operator else district,
                    "role": "" if operator else role.value,
                    "email": f"{username}@riverbend.example",
                    "is_staff": bool(access),
                    "is_superuser": operator,
                },
            )
            if made:
                user.set_password(demo_password(username))
                user.save(update_fields=["password"])
            else:
                # A demo database seeded by an earlier version (its IT account a superuser):
                # the accounts get the table's role and access again (each change logged).
                wanted = {
                    "role": "" if operator else role.value,
                    "is_staff": bool(access),
                    "is_superuser": operator,
                    "district_id": None if operator else district.pk,
                }
                if any(getattr(user, k) != v for k, v in wanted.items()):
                    for key, value in wanted.items():
                        setattr(user, key, value)
                    user.save()
            user.schools.add(*(schools[code] for code in school_codes))
            users[role.value] = user
        return district, schools, users

    def _person(self, district, school, first, last, affiliation, grade=""):
        person = Person.objects.filter(district=district, first_name=first, last_name=last).first()
        return person or person_create(
            district=district,
            first_name=first,
            last_name=last,
            affiliation=affiliation,
            school=school,
            grade=grade,
        )

    def _cases(self, district, schools, users):
        coordinator = users[c.Role.COORDINATOR]
        now = timezone.now()
        platforms = {p.slug: p for p in Platform.objects.filter(district__isnull=True)}
        created = []
        for spec in self._scenarios(district, schools, now):
            if Case.objects.filter(district=district, title=spec["title"]).exists():
                continue
            case = case_create(
                actor=coordinator,
                school=spec["school"],
                title=spec["title"],
                narrative=spec["narrative"],
                reported_at=spec["reported_at"],
                reported_by_name=spec["reported_by"],
                reported_via=spec["via"],
                occurred_at=spec["occurred_at"],
                ncii_kind=spec["kind"],
                conduct=spec["conduct"],
                location=spec["location"],
                timing=spec["timing"],
                reach=spec["reach"],
                reach_estimate=spec.get("reach_estimate"),
                platforms=[platforms[s] for s in spec["platforms"] if s in platforms],
                parties=spec["parties"],
            )
            case_assign(actor=coordinator, case=case, user=coordinator, role=c.AssignmentRole.LEAD)
            if spec["stage"] != c.Stage.INTAKE:
                case_assign(
                    actor=coordinator,
                    case=case,
                    user=users[c.Role.INVESTIGATOR],
                    role=c.AssignmentRole.INVESTIGATOR,
                )
                case_assign(
                    actor=coordinator,
                    case=case,
                    user=users[c.Role.SUPPORT_STAFF],
                    role=c.AssignmentRole.SUPPORT,
                )
            staff = {
                "coordinator": coordinator,
                "investigator": users[c.Role.INVESTIGATOR],
                "counselor": users[c.Role.SUPPORT_STAFF],
            }
            created.append(demo.drive(case=case, spec=spec, staff=staff))
        return created

    def _scenarios(self, district, schools, now):
        rhs, lms, hms = schools["rhs"], schools["lms"], schools["hms"]
        P = self._person
        S, E = c.Affiliation.STUDENT, c.Affiliation.EMPLOYEE
        depicted = [
            P(district, rhs, first, last, S, "9")
            for first, last in [
                ("Jordan", "Brightwater"),
                ("Kai", "Ostrander"),
                ("Riley", "Vandermeer"),
                ("Emery", "Quillfeather"),
            ]
        ]
        s1_respondent = P(district, rhs, "Casey", "Thornbury", S, "9")
        principal = P(district, lms, "Harper", "Wexley", E)
        s2_students = [
            P(district, lms, "Rowan", "Pellington", S, "8"),
            P(district, lms, "Quinn", "Aldermoor", S, "8"),
        ]
        s3_depicted = P(district, rhs, "Skyler", "Marchetti", S, "11")
        s3_respondent = P(district, rhs, "Devon", "Halloway", S, "11")
        s4_depicted = P(district, hms, "Alexis", "Brennholt", E)
        s4_respondent = P(district, hms, "Jamie", "Corvalis", E)
        s5_depicted = P(district, hms, "Tatum", "Ellsworth", S, "7")
        s6_depicted = P(district, lms, "Reese", "Dunmore", S, "7")

        def days_ago(n, hour=10):
            moment = now - dt.timedelta(days=n)
            return moment.replace(hour=hour, minute=0, second=0, microsecond=0)

        return [
            {
                "title": "Group chat 'nudify' images of ninth graders",
                "school": rhs,
                "narrative": (
                    "A parent emailed the principal on Sunday: a ninth grader ran classmates' "
                    "public photos through a 'nudify' app and posted the results to a Snapchat "
                    "group of about 30 students on Saturday. Four students are depicted."
                ),
                "reported_at": days_ago(3, 19),
                "reported_by": "A parent (by email)",
                "via": "Email to the principal",
                "occurred_at": days_ago(4, 20),
                "kind": c.NciiKind.SYNTHETIC,
                "conduct": c.Conduct.DISTRIBUTION,
                "location": c.Location.OFF_CAMPUS,
                "timing": c.Timing.OUT_OF_HOURS,
                "reach": c.Reach.GROUP,
                "reach_estimate": 30,
                "platforms": ["snapchat"],
                "parties": [PartyInput(c.PartyRole.DEPICTED, p, S, True) for p in depicted]
                + [PartyInput(c.PartyRole.RESPONDENT, s1_respondent, S, True)],
                "stage": c.Stage.INTERIM_ACTIONS,
                "jurisdiction": c.Jurisdiction.IN_SCOPE,
                "jurisdiction_facts": "Off campus on a Saturday; students of Riverbend High; "
                "the images circulated at school on Monday.",
                "jurisdiction_reasoning": "Conduct between students that disrupted learning "
                "on Monday is within the district's reach although it happened off campus.",
                "disrupts_school": True,
                "is_intimate_imagery": True,
                "process": c.Process.PROCESS_B,
                "routing_reasoning": "NCII distributed by a student; Process B applies.",
                "track": c.RespondentTrack.STUDENT,
                "harm": {
                    "reach": c.Reach.GROUP,
                    "platform_count": 1,
                    "circulation": "ongoing",
                    "minors_depicted": True,
                    "identifiability": "clearly",
                },
                "support": ["counseling", "no-contact-directive", "take-it-down-guidance"],
                "interim": ["class-removal"],
                "hash_takedown": True,
                "location_seen": "Snapchat group chat of about 30 ninth graders",
                "group_name": "grade 9 weekend chat",
                "evidence": "Four edited images posted in a group chat, described by two "
                "students who saw them; no copy kept.",
                "device_holder": "School resource officer",
            },
            {
                "title": "Synthetic video of a principal shared by AirDrop",
                "school": lms,
                "narrative": (
                    "An explicit synthetic video showing the principal was AirDropped to phones "
                    "in the cafeteria at lunch. Nobody knows yet who made or sent it."
                ),
                "reported_at": days_ago(10, 13),
                "reported_by": "Cafeteria supervisor",
                "via": "In person",
                "occurred_at": days_ago(10, 12),
                "kind": c.NciiKind.SYNTHETIC,
                "conduct": c.Conduct.DISTRIBUTION,
                "location": c.Location.ON_CAMPUS,
                "timing": c.Timing.SCHOOL_HOURS,
                "reach": c.Reach.SCHOOL,
                "reach_estimate": 80,
                "platforms": ["airdrop"],
                "parties": [
                    PartyInput(
                        c.PartyRole.DEPICTED,
                        principal,
                        E,
                        False,
                        age_in_imagery=c.AgeInImagery.ADULT,
                    ),
                    PartyInput(
                        c.PartyRole.RESPONDENT,
                        None,
                        c.Affiliation.UNKNOWN,
                        None,
                        "Whoever made or sent the video (not known at intake)",
                    ),
                ],
                "identify": s2_students,
                "stage": c.Stage.INVESTIGATION,
                "jurisdiction": c.Jurisdiction.IN_SCOPE,
                "jurisdiction_facts": "On campus during lunch; an employee is depicted.",
                "jurisdiction_reasoning": "On-campus distribution during school hours.",
                "disrupts_school": True,
                "is_intimate_imagery": True,
                "process": c.Process.PROCESS_B,
                "routing_reasoning": "Distribution of NCII of an employee on campus; Process B. "
                "The respondent is not known yet.",
                "track": c.RespondentTrack.UNDETERMINED,
                "harm": {
                    "reach": c.Reach.SCHOOL,
                    "platform_count": 1,
                    "circulation": "ongoing",
                    "identifiability": "clearly",
                    "impact": "significant",
                },
                "support": ["employee-assistance", "communication-plan"],
                "hash_takedown": True,
                "location_seen": "AirDrop in the cafeteria; copies on students' phones",
                "evidence": "A synthetic video AirDropped to phones at lunch, described by the "
                "cafeteria supervisor; no copy kept.",
                "device_holder": "Families of the students who received it (asked to delete)",
            },
            {
                "title": "Private photo forwarded after a breakup",
                "school": rhs,
                "narrative": (
                    "A sixteen-year-old sent a photo to a partner; after the breakup the former "
                    "partner forwarded it over iMessage to several students."
                ),
                "reported_at": days_ago(1, 9),
                "reported_by": "The student, with a counselor",
                "via": "In person",
                "occurred_at": days_ago(2, 21),
                "kind": c.NciiKind.AUTHENTIC,
                "conduct": c.Conduct.DISTRIBUTION,
                "location": c.Location.OFF_CAMPUS,
                "timing": c.Timing.OUT_OF_HOURS,
                "reach": c.Reach.FEW,
                "reach_estimate": 6,
                "platforms": ["imessage"],
                "parties": [
                    PartyInput(c.PartyRole.DEPICTED, s3_depicted, S, True),
                    PartyInput(c.PartyRole.RESPONDENT, s3_respondent, S, True),
                ],
                "stage": c.Stage.HARM_ASSESSMENT,
                "jurisdiction": c.Jurisdiction.IN_SCOPE,
                "jurisdiction_facts": "Both are students; the photo spread among classmates.",
                "jurisdiction_reasoning": "Student-to-student distribution affecting school.",
                "disrupts_school": True,
                "is_intimate_imagery": True,
                "process": c.Process.PROCESS_B,
                "routing_reasoning": "Process B, student discipline track.",
                "track": c.RespondentTrack.STUDENT,
                "harm": {
                    "reach": c.Reach.FEW,
                    "platform_count": 1,
                    "circulation": "unknown",
                    "minors_depicted": True,
                    "identifiability": "clearly",
                    "impact": "significant",
                },
                "support": ["counseling", "take-it-down-guidance"],
                "hash_takedown": True,
                "location_seen": "iMessage threads of several students",
            },
            {
                "title": "Colleague's image posted in a staff group chat",
                "school": hms,
                "narrative": "A teacher posted an intimate photo of a colleague in a staff "
                "group chat.",
                "reported_at": days_ago(6, 15),
                "reported_by": "The colleague",
                "via": "Email to the coordinator",
                "occurred_at": days_ago(7, 18),
                "kind": c.NciiKind.AUTHENTIC,
                "conduct": c.Conduct.DISTRIBUTION,
                "location": c.Location.OFF_CAMPUS,
                "timing": c.Timing.OUT_OF_HOURS,
                "reach": c.Reach.GROUP,
                "reach_estimate": 25,
                "platforms": ["whatsapp"],
                "parties": [
                    PartyInput(
                        c.PartyRole.DEPICTED,
                        s4_depicted,
                        E,
                        False,
                        age_in_imagery=c.AgeInImagery.ADULT,
                    ),
                    PartyInput(c.PartyRole.RESPONDENT, s4_respondent, E, False),
                ],
                "stage": c.Stage.PROCESS_A,
                "jurisdiction": c.Jurisdiction.IN_SCOPE,
                "jurisdiction_facts": "Both are employees; the chat is the staff's group.",
                "jurisdiction_reasoning": "Conduct between employees affecting the workplace.",
                "disrupts_school": True,
                "is_intimate_imagery": True,
                "process": c.Process.PROCESS_A,
                "routing_reasoning": "Sexual harassment of an employee by an employee meets "
                "the Title IX definition; the formal grievance process (Process A) applies.",
                "track": c.RespondentTrack.EMPLOYEE,
            },
            {
                "title": "Sextortion of a seventh grader by an unknown adult",
                "school": hms,
                "narrative": "A seventh grader was coerced online by an unknown adult into "
                "sending images, then threatened with their release.",
                "reported_at": days_ago(14, 8),
                "reported_by": "A parent",
                "via": "Phone call",
                "occurred_at": days_ago(15, 22),
                "kind": c.NciiKind.AUTHENTIC,
                "conduct": c.Conduct.SEXTORTION,
                "location": c.Location.OFF_CAMPUS,
                "timing": c.Timing.OUT_OF_HOURS,
                "reach": c.Reach.NONE,
                "platforms": ["instagram"],
                "parties": [
                    PartyInput(c.PartyRole.DEPICTED, s5_depicted, S, True),
                    PartyInput(
                        c.PartyRole.RESPONDENT,
                        None,
                        c.Affiliation.NON_AFFILIATED,
                        False,
                        "Unknown adult contacting the student online",
                    ),
                ],
                "stage": c.Stage.MONITORING,
                "jurisdiction": c.Jurisdiction.IN_SCOPE,
                "jurisdiction_facts": "A student is targeted; the respondent is unknown and "
                "outside the district.",
                "jurisdiction_reasoning": "The district supports its student; discipline is "
                "not possible, so the conduct is referred to law enforcement.",
                "disrupts_school": True,
                "is_intimate_imagery": True,
                "process": c.Process.REFERRED,
                "referred_to": "Law enforcement and the NCMEC CyberTipline",
                "routing_reasoning": "Respondent not affiliated and unknown.",
                "track": c.RespondentTrack.NONE,
                "support": ["counseling", "safety-plan"],
                "hash_takedown": True,
                "location_seen": "Instagram direct messages from an unknown account",
            },
            {
                "title": "Edited swimsuit photo used as a meme",
                "school": lms,
                "narrative": "A report about a swimsuit photo edited into a mocking meme.",
                "reported_at": days_ago(20, 11),
                "reported_by": "A teacher",
                "via": "In person",
                "occurred_at": days_ago(21, 16),
                "kind": c.NciiKind.UNDETERMINED,
                "conduct": c.Conduct.DISTRIBUTION,
                "location": c.Location.OFF_CAMPUS,
                "timing": c.Timing.OUT_OF_HOURS,
                "reach": c.Reach.GROUP,
                "platforms": ["instagram"],
                "parties": [PartyInput(c.PartyRole.DEPICTED, s6_depicted, S, True)],
                "stage": c.Stage.CLOSED,
                "jurisdiction": c.Jurisdiction.OUT_OF_SCOPE,
                "jurisdiction_facts": "The image shows a clothed student in a swimsuit.",
                "jurisdiction_reasoning": "Not intimate imagery under the policy.",
                "is_intimate_imagery": False,
                "process": c.Process.REFERRED,
                "referred_to": "Bullying and harassment policy",
                "routing_reasoning": "The imagery is not intimate; the mocking is bullying.",
                "track": c.RespondentTrack.UNDETERMINED,
                "closure_summary": "Referred to the bullying and harassment policy.",
            },
            {
                "title": "New report: images shared in a gaming chat",
                "school": rhs,
                "narrative": "A student told a teacher that images of a classmate were being "
                "shared in a Discord server. Details not yet known.",
                "reported_at": now - dt.timedelta(hours=2),
                "reported_by": "A teacher",
                "via": "In person",
                "occurred_at": None,
                "kind": c.NciiKind.UNDETERMINED,
                "conduct": c.Conduct.DISTRIBUTION,
                "location": c.Location.UNKNOWN,
                "timing": c.Timing.UNKNOWN,
                "reach": c.Reach.UNKNOWN,
                "platforms": ["discord"],
                "parties": [
                    PartyInput(
                        c.PartyRole.DEPICTED, None, S, True, "A tenth grader (name to be confirmed)"
                    )
                ],
                "stage": c.Stage.INTAKE,
            },
        ]

    def _print_logins(self, users, created, factors):
        import base64

        out = self.stdout
        out.write(self.style.SUCCESS(f"Demo data ready ({len(created)} new cases)."))
        out.write("Demo logins (fictional people; never use these passwords for real data):")
        for role, user in users.items():
            out.write(f"  {user.username:<14} {demo_password(user.username):<28} {role}")
        out.write(
            "\nSecond factor: add each key to an authenticator app (or open the otpauth link on "
            "a phone), or sign in with a recovery code; each recovery code works once."
        )
        for role, user in users.items():
            device, codes = factors[role]
            key = base64.b32encode(device.bin_key).decode()
            out.write(f"  {user.username:<14} key {key}")
            out.write(f"  {'':<14} {device.config_url}")
            out.write(f"  {'':<14} recovery codes: {' '.join(codes)}")
