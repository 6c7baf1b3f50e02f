"""The policy's vocabulary as choices. Labels and help texts paraphrase the Model NCII Policy
for K-12 Schools (CDT and ATIXA) so that a coordinator recognises them."""

from django.db import models


class Role(models.TextChoices):
    """The roles of the people who use the application, by a stable code (``User.role``).

    ``OPERATOR`` is the deployment operator: every superuser, whatever its ``role`` field says
    (``permissions.user_role``); it is never set as an account's role. The other roles are
    set on an account by a coordinator of its district or by the operator; each has a group
    of the same name that only mirrors the role's model-wide admin rights (``roles.py``)."""

    COORDINATOR = "coordinator", "District Title IX coordinator"
    SCHOOL_ADMIN = "school_admin", "School administrator / deputy coordinator"
    INVESTIGATOR = "investigator", "Investigator"
    SUPPORT_STAFF = "support_staff", "Support staff (counselor, social worker)"
    AUDITOR = "auditor", "District auditor"
    IT_ADMIN = "it_admin", "System administrator (IT)"
    STAFF_REPORTER = "staff_reporter", "Staff member (files reports only)"
    OPERATOR = "operator", "Deployment operator"


# The roles an account can hold in its ``role`` field (the operator is a superuser instead).
ACCOUNT_ROLES = [(value, label) for value, label in Role.choices if value != Role.OPERATOR]


class NciiKind(models.TextChoices):
    AUTHENTIC = "authentic", "Authentic (real imagery, then shared)"
    SYNTHETIC = "synthetic", "Synthetic (made or altered with AI or other tools)"
    UNDETERMINED = "undetermined", "Not yet determined"


NCII_KIND_HELP = (
    "Authentic: imagery taken in real life and then distributed. Synthetic: imagery made or "
    "altered with AI or other tools, such as face swaps or 'nudify' apps. Both are NCII; the "
    "harm does not depend on whether the image is real."
)


class Conduct(models.TextChoices):
    DISTRIBUTION = "distribution", "Distribution (shared with others)"
    THREAT = "threat", "Threat to distribute"
    CREATION_ONLY = "creation", "Creation only (not shared)"
    SEXTORTION = "sextortion", "Sextortion (coercion with images)"


CONDUCT_HELP = (
    "The policy's focus is distribution without the depicted person's consent. Creation without "
    "sharing, threats to share and sextortion are recorded as distinct conduct."
)


class Location(models.TextChoices):
    ON_CAMPUS = "on_campus", "On campus or at a school activity"
    OFF_CAMPUS = "off_campus", "Off campus (including online)"
    UNKNOWN = "unknown", "Not known yet"


class Timing(models.TextChoices):
    SCHOOL_HOURS = "school_hours", "During school hours or a school activity"
    OUT_OF_HOURS = "out_of_hours", "Outside school hours"
    UNKNOWN = "unknown", "Not known yet"


class Jurisdiction(models.TextChoices):
    PENDING = "pending", "Not yet decided"
    IN_SCOPE = "in_scope", "In scope: the district acts"
    OUT_OF_SCOPE = "out_of_scope", "Out of scope: referred elsewhere"


JURISDICTION_HELP = (
    "The district acts when the conduct affects its community, including conduct off campus or "
    "outside school hours that disrupts learning or work and involves students or employees. "
    "Record the facts you relied on and your reasoning."
)


class Process(models.TextChoices):
    UNDECIDED = "undecided", "Not yet routed"
    PROCESS_A = "process_a", "Process A: formal Title IX grievance process (34 CFR 106.45)"
    PROCESS_B = "process_b", "Process B: the policy's structured, trauma-informed pathway"
    REFERRED = "referred", "Referred outside this policy"


class RespondentTrack(models.TextChoices):
    UNDETERMINED = "undetermined", "Not yet known"
    STUDENT = "student", "Student discipline procedures"
    EMPLOYEE = "employee", "Employee corrective-action process"
    NONE = "none", "No district procedure (respondent outside the district)"


class Stage(models.TextChoices):
    INTAKE = "intake", "Intake"
    INITIAL_ASSESSMENT = "initial_assessment", "Initial assessment"
    HARM_ASSESSMENT = "harm_assessment", "Harm assessment"
    INTERIM_ACTIONS = "interim_actions", "Interim actions"
    INVESTIGATION = "investigation", "Investigation"
    INFORMAL_RESOLUTION = "informal_resolution", "Informal / restorative resolution"
    DETERMINATION = "determination", "Determination"
    REMEDIES = "remedies", "Remedies and sanctions"
    MONITORING = "monitoring", "Monitoring"
    PROCESS_A = "process_a", "Routed to Process A"
    REFERRED = "referred", "Referred"
    CLOSED = "closed", "Closed"
    APPEAL = "appeal", "Appeal"


OPEN_STAGES = [s for s in Stage.values if s != Stage.CLOSED]


class DismissalGround(models.TextChoices):
    """34 CFR 106.45(b)(3): the grounds of a dismissal of a formal complaint. (i) mandatory:
    the conduct would not be sexual harassment under 106.30 even if proved, did not occur in
    the district's education program or activity, or not against a person in the United
    States; (ii) discretionary: the complainant withdraws the complaint in writing, the
    respondent is no longer enrolled or employed, or circumstances prevent gathering enough
    evidence. A dismissal from the formal process does not end the district's response: the
    conduct may still be addressed under its code of conduct (106.45(b)(3)(i)), here
    Process B."""

    NOT_TITLE_IX = "not_title_ix_harassment", "Would not be sexual harassment (106.30) if proved"
    OUTSIDE_PROGRAM = "outside_program", "Did not occur in the district's program or activity"
    OUTSIDE_US = "outside_us", "Did not occur against a person in the United States"
    WITHDRAWN = "complaint_withdrawn", "The complainant withdrew the complaint in writing"
    RESPONDENT_LEFT = "respondent_left", "The respondent is no longer enrolled or employed"
    NO_EVIDENCE = "evidence_unavailable", "Circumstances prevent gathering enough evidence"


class Level(models.TextChoices):
    """One scale for harm level and priority, so that one sets the other."""

    LOW = "low", "Low"
    MODERATE = "moderate", "Moderate"
    HIGH = "high", "High"
    CRITICAL = "critical", "Critical"


LEVEL_RANK = {Level.LOW: 1, Level.MODERATE: 2, Level.HIGH: 3, Level.CRITICAL: 4}


class PartyRole(models.TextChoices):
    DEPICTED = "depicted", "Depicted person / complainant"
    RESPONDENT = "respondent", "Respondent"
    REPORTER = "reporter", "Reporter"
    WITNESS = "witness", "Witness"
    PARENT = "parent", "Parent or guardian"


class Affiliation(models.TextChoices):
    STUDENT = "student", "Student"
    EMPLOYEE = "employee", "Employee"
    NON_AFFILIATED = "non_affiliated", "Not affiliated with the district"
    UNKNOWN = "unknown", "Unknown"


class Reach(models.TextChoices):
    UNKNOWN = "unknown", "Not known yet"
    NONE = "none", "Not shared (creation or threat only)"
    FEW = "few", "A few people (under 10)"
    GROUP = "group", "A group or class (10 to 50)"
    SCHOOL = "school", "Much of a school (over 50)"
    PUBLIC = "public", "Public or beyond the school"


class AssignmentRole(models.TextChoices):
    LEAD = "lead", "Lead (case owner)"
    INVESTIGATOR = "investigator", "Investigator"
    SUPPORT = "support", "Support staff"
    SCHOOL_ADMIN = "school_admin", "School administrator"


class GuardianAuthority(models.TextChoices):
    """A parent's or guardian's legal authority over the student, where known (34 CFR 99.4)."""

    FULL = "full", "Has legal custody or educational rights"
    NO_CUSTODY = "no_custody", "No custody, rights not restricted by any order"
    RESTRICTED = "restricted", "A court order restricts contact or information"
    NONE = "none", "No legal authority (rights revoked, or not a legal guardian)"


class NotificationRisk(models.TextChoices):
    """Risks weighed before telling a student's parents (the Model Policy's trauma-informed
    practice; Title IX 34 CFR 106.6(g) keeps parents' rights, and a risk is recorded, not
    assumed)."""

    PARENT_IS_RESPONDENT = "parent_respondent", "A parent or guardian is the respondent"
    DANGER_AT_HOME = "danger_at_home", "Danger to the student at home"
    OUTING = "outing", "Notice would out the student (sexual orientation or gender identity)"
    OTHER = "other", "Another risk (explained)"


class EligibleStudentBasis(models.TextChoices):
    """Why a parent is told about an eligible student (18 or over; FERPA 34 CFR 99.3, 99.5):
    the student's written consent (99.30) or an exception of 99.31."""

    CONSENT = "consent", "The student consented"
    TAX_DEPENDENT = "tax_dependent", "The student is the parent's tax dependant (99.31(a)(8))"
    EMERGENCY = "emergency", "Health or safety emergency (99.31(a)(10), 99.36)"
    OTHER = "other", "Another FERPA exception (explained)"


class AgeInImagery(models.TextChoices):
    """Whether the imagery shows the person under 18: the age when it was made (or, for
    AI-made imagery, the age it shows), not the person's age today. Report duties and the
    takedown route follow it (docs/policy-rules.md)."""

    UNDER_18 = "under_18", "Under 18 in the imagery"
    ADULT = "adult", "18 or over in the imagery"
    UNKNOWN = "unknown", "Not known"


class ReportStep(models.TextChoices):
    """A report made at once, or one of the two steps of a report the district's profile
    makes in two (an oral report, then a written one), each with its own clock."""

    SINGLE = "single", "Report"
    ORAL = "oral", "Oral report"
    WRITTEN = "written", "Written report"


class PreferredLanguage(models.TextChoices):
    """The language a party or a parent or guardian reads letters in. Letters ship in English
    and Spanish (``ncii_cases.letters``); for another language the letter is prepared in
    English with a note to arrange a translation or an interpreter: districts must communicate
    with parents of limited English proficiency in a language they understand (Title VI of
    the Civil Rights Act; U.S. Departments of Justice and Education, "English Learner Students
    and Limited English Proficient Parents", Dear Colleague letter of 7 January 2015)."""

    UNKNOWN = "", "Not recorded (English)"
    ENGLISH = "en", "English"
    SPANISH = "es", "Spanish (español)"
    VIETNAMESE = "vi", "Vietnamese"
    CHINESE = "zh", "Chinese"
    ARABIC = "ar", "Arabic"
    OTHER = "other", "Another language"
