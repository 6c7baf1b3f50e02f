"""The policy's vocabulary as choices. Labels and help texts paraphrase the Model NCII Policy
for K-12 Schools (CDT and ATIXA) so that a coordinator recognises them."""

from django.db import models
from django.utils import translation
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    """The roles of the people who use the application, by a stable code (``User.role``).

    ``OPERATOR`` is the deployment operator: every superuser, whatever its ``role`` field says
    (``permissions.user_role``); it is never set as an account's role. The other roles are
    set on an account by a coordinator of its district or by the operator; each has a group
    of the same name that only mirrors the role's model-wide admin rights (``roles.py``)."""

    COORDINATOR = "coordinator", _("District Title IX coordinator")
    SCHOOL_ADMIN = "school_admin", _("School administrator / deputy coordinator")
    INVESTIGATOR = "investigator", _("Investigator")
    SUPPORT_STAFF = "support_staff", _("Support staff (counselor, social worker)")
    AUDITOR = "auditor", _("District auditor")
    IT_ADMIN = "it_admin", _("System administrator (IT)")
    STAFF_REPORTER = "staff_reporter", _("Staff member (files reports only)")
    OPERATOR = "operator", _("Deployment operator")


# The roles an account can hold in its ``role`` field (the operator is a superuser instead).
ACCOUNT_ROLES = [(value, label) for value, label in Role.choices if value != Role.OPERATOR]


class NciiKind(models.TextChoices):
    AUTHENTIC = "authentic", _("Authentic (real imagery, then shared)")
    SYNTHETIC = "synthetic", _("Synthetic (made or altered with AI or other tools)")
    UNDETERMINED = "undetermined", _("Not yet determined")


NCII_KIND_HELP = _(
    "Authentic: imagery taken in real life and then distributed. Synthetic: imagery made or "
    "altered with AI or other tools, such as face swaps or 'nudify' apps. Both are NCII; the "
    "harm does not depend on whether the image is real."
)


class Conduct(models.TextChoices):
    DISTRIBUTION = "distribution", _("Distribution (shared with others)")
    THREAT = "threat", _("Threat to distribute")
    CREATION_ONLY = "creation", _("Creation only (not shared)")
    SEXTORTION = "sextortion", _("Sextortion (coercion with images)")


CONDUCT_HELP = _(
    "The policy's focus is distribution without the depicted person's consent. Creation without "
    "sharing, threats to share and sextortion are recorded as distinct conduct."
)


class Location(models.TextChoices):
    ON_CAMPUS = "on_campus", _("On campus or at a school activity")
    OFF_CAMPUS = "off_campus", _("Off campus (including online)")
    UNKNOWN = "unknown", _("Not known yet")


class Timing(models.TextChoices):
    SCHOOL_HOURS = "school_hours", _("During school hours or a school activity")
    OUT_OF_HOURS = "out_of_hours", _("Outside school hours")
    UNKNOWN = "unknown", _("Not known yet")


class Jurisdiction(models.TextChoices):
    PENDING = "pending", _("Not yet decided")
    IN_SCOPE = "in_scope", _("In scope: the district acts")
    OUT_OF_SCOPE = "out_of_scope", _("Out of scope: referred elsewhere")


JURISDICTION_HELP = _(
    "The district acts when the conduct affects its community, including conduct off campus or "
    "outside school hours that disrupts learning or work and involves students or employees. "
    "Record the facts you relied on and your reasoning."
)


class Process(models.TextChoices):
    UNDECIDED = "undecided", _("Not yet routed")
    PROCESS_A = "process_a", _("Process A: formal Title IX grievance process (34 CFR 106.45)")
    PROCESS_B = "process_b", _("Process B: the policy's structured, trauma-informed pathway")
    REFERRED = "referred", _("Referred outside this policy")


class RespondentTrack(models.TextChoices):
    UNDETERMINED = "undetermined", _("Not yet known")
    STUDENT = "student", _("Student discipline procedures")
    EMPLOYEE = "employee", _("Employee corrective-action process")
    NONE = "none", _("No district procedure (respondent outside the district)")


class Stage(models.TextChoices):
    INTAKE = "intake", _("Intake")
    INITIAL_ASSESSMENT = "initial_assessment", _("Initial assessment")
    HARM_ASSESSMENT = "harm_assessment", _("Harm assessment")
    INTERIM_ACTIONS = "interim_actions", _("Interim actions")
    INVESTIGATION = "investigation", _("Investigation")
    INFORMAL_RESOLUTION = "informal_resolution", _("Informal / restorative resolution")
    DETERMINATION = "determination", _("Determination")
    REMEDIES = "remedies", _("Remedies and sanctions")
    MONITORING = "monitoring", _("Monitoring")
    APPEAL = "appeal", _("Appeal")
    PROCESS_A = "process_a", _("Routed to Process A")
    REFERRED = "referred", _("Referred")
    CLOSED = "closed", _("Closed")


OPEN_STAGES = [s for s in Stage.values if s != Stage.CLOSED]

# The stages in the order a case goes through them, as ``Stage`` lists them (Model NCII Policy,
# Process B: intake, the assessments, interim actions, investigation or informal resolution,
# determination, remedies, monitoring; an appeal follows remedies, monitoring or a referral),
# then the ways out of Process B and Closed last. Every list of stages (the filter, the counts
# per stage) and the queue's "Sort by stage" (``Case.stage_rank``) follow it, not the alphabet.
STAGE_PROCESS_ORDER = tuple(Stage)

_STAGE_LABELS: dict[str | None, dict[str, str]] = {}


def stage_label(value: str) -> str:
    """The stage's label in the active language, as ``Case.get_stage_display`` gives it; a
    value that is not a stage (an empty one included) is returned as it is. The one place a
    stage's words come from its value: the timeline, the e-mails, the PDF, the audit review
    and the CSV export all ask it. The labels are worked out once per language: Django's
    display method hashes every translated choice on each call, which was most of the time
    of a batch of reminders and of a large audit export."""
    language = translation.get_language()
    labels = _STAGE_LABELS.get(language)
    if labels is None:
        labels = _STAGE_LABELS[language] = {k: str(v) for k, v in Stage.choices}
    return labels.get(value, value)


class DismissalGround(models.TextChoices):
    """34 CFR 106.45(b)(3): the grounds of a dismissal of a formal complaint. (i) mandatory:
    the conduct would not be sexual harassment under 106.30 even if proved, did not occur in
    the district's education program or activity, or not against a person in the United
    States; (ii) discretionary: the complainant withdraws the complaint in writing, the
    respondent is no longer enrolled or employed, or circumstances prevent gathering enough
    evidence. A dismissal from the formal process does not end the district's response: the
    conduct may still be addressed under its code of conduct (106.45(b)(3)(i)), here
    Process B."""

    NOT_TITLE_IX = "not_title_ix_harassment", _("Would not be sexual harassment (106.30) if proved")
    OUTSIDE_PROGRAM = "outside_program", _("Did not occur in the district's program or activity")
    OUTSIDE_US = "outside_us", _("Did not occur against a person in the United States")
    WITHDRAWN = "complaint_withdrawn", _("The complainant withdrew the complaint in writing")
    RESPONDENT_LEFT = "respondent_left", _("The respondent is no longer enrolled or employed")
    NO_EVIDENCE = "evidence_unavailable", _("Circumstances prevent gathering enough evidence")


class Level(models.TextChoices):
    """One scale for harm level and priority, so that one sets the other."""

    LOW = "low", _("Low")
    MODERATE = "moderate", _("Moderate")
    HIGH = "high", _("High")
    CRITICAL = "critical", _("Critical")


LEVEL_RANK = {Level.LOW: 1, Level.MODERATE: 2, Level.HIGH: 3, Level.CRITICAL: 4}


class PartyRole(models.TextChoices):
    DEPICTED = "depicted", _("Depicted person / complainant")
    RESPONDENT = "respondent", _("Respondent")
    REPORTER = "reporter", _("Reporter")
    WITNESS = "witness", _("Witness")
    PARENT = "parent", _("Parent or guardian")


class Affiliation(models.TextChoices):
    STUDENT = "student", _("Student")
    EMPLOYEE = "employee", _("Employee")
    NON_AFFILIATED = "non_affiliated", _("Not affiliated with the district")
    UNKNOWN = "unknown", _("Unknown")


class Reach(models.TextChoices):
    UNKNOWN = "unknown", _("Not known yet")
    NONE = "none", _("Not shared (creation or threat only)")
    FEW = "few", _("A few people (under 10)")
    GROUP = "group", _("A group or class (10 to 50)")
    SCHOOL = "school", _("Much of a school (over 50)")
    PUBLIC = "public", _("Public or beyond the school")


class AssignmentRole(models.TextChoices):
    LEAD = "lead", _("Lead (case owner)")
    INVESTIGATOR = "investigator", _("Investigator")
    SUPPORT = "support", _("Support staff")
    SCHOOL_ADMIN = "school_admin", _("School administrator")


class GuardianAuthority(models.TextChoices):
    """A parent's or guardian's legal authority over the student, where known (34 CFR 99.4)."""

    FULL = "full", _("Has legal custody or educational rights")
    NO_CUSTODY = "no_custody", _("No custody, rights not restricted by any order")
    RESTRICTED = "restricted", _("A court order restricts contact or information")
    NONE = "none", _("No legal authority (rights revoked, or not a legal guardian)")


class NotificationRisk(models.TextChoices):
    """Risks weighed before telling a student's parents (the Model Policy's trauma-informed
    practice; Title IX 34 CFR 106.6(g) keeps parents' rights, and a risk is recorded, not
    assumed)."""

    PARENT_IS_RESPONDENT = "parent_respondent", _("A parent or guardian is the respondent")
    DANGER_AT_HOME = "danger_at_home", _("Danger to the student at home")
    OUTING = "outing", _("Notice would out the student (sexual orientation or gender identity)")
    OTHER = "other", _("Another risk (explained)")


class EligibleStudentBasis(models.TextChoices):
    """Why a parent is told about an eligible student (18 or over; FERPA 34 CFR 99.3, 99.5):
    the student's written consent (99.30) or an exception of 99.31."""

    CONSENT = "consent", _("The student consented")
    TAX_DEPENDENT = "tax_dependent", _("The student is the parent's tax dependant (99.31(a)(8))")
    EMERGENCY = "emergency", _("Health or safety emergency (99.31(a)(10), 99.36)")
    OTHER = "other", _("Another FERPA exception (explained)")


class AgeInImagery(models.TextChoices):
    """Whether the imagery shows the person under 18: the age when it was made (or, for
    AI-made imagery, the age it shows), not the person's age today. Report duties and the
    takedown route follow it (docs/policy-rules.md)."""

    UNDER_18 = "under_18", _("Under 18 in the imagery")
    ADULT = "adult", _("18 or over in the imagery")
    UNKNOWN = "unknown", _("Not known")


class ReportStep(models.TextChoices):
    """A report made at once, or one of the two steps of a report the district's profile
    makes in two (an oral report, then a written one), each with its own clock."""

    SINGLE = "single", _("Report")
    ORAL = "oral", _("Oral report")
    WRITTEN = "written", _("Written report")


class PreferredLanguage(models.TextChoices):
    """The language a party or a parent or guardian reads letters in. Letters ship in English
    and Spanish (``ncii_cases.letters``); for another language the letter is prepared in
    English with a note to arrange a translation or an interpreter: districts must communicate
    with parents of limited English proficiency in a language they understand (Title VI of
    the Civil Rights Act; U.S. Departments of Justice and Education, "English Learner Students
    and Limited English Proficient Parents", Dear Colleague letter of 7 January 2015)."""

    UNKNOWN = "", _("Not recorded (English)")
    ENGLISH = "en", _("English")
    SPANISH = "es", _("Spanish (español)")
    VIETNAMESE = "vi", _("Vietnamese")
    CHINESE = "zh", _("Chinese")
    ARABIC = "ar", _("Arabic")
    OTHER = "other", _("Another language")
