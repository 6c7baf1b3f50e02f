"""Letters from templates: the kinds, the sandbox that renders a district's template, the
context each letter may use, and who may receive it. Nothing here writes (``services.letters``
does); the reads are scoped by the selectors.

The sandbox
-----------
A district edits its templates (``LetterTemplate``) in Django's template language. They are
rendered by their own ``Engine`` that has no loader and no builtin library but ``SAFE_LIBRARY``:
the tags ``if``/``elif``/``else``, ``for``/``empty``, ``with``, ``firstof`` and ``comment``, and a
few text filters. ``{% load %}``, ``{% include %}``, ``{% extends %}``, ``{% debug %}``,
``{% ssi %}``, ``{% url %}`` and every other tag are refused when the template is saved, naming
the tag. Every variable is checked against the kind's context (``KIND_SAMPLES``): a name or part
that is not in it is refused, naming it. The context itself holds plain values only (dicts,
lists, strings, numbers, booleans; dates already written out in the letter's language), built
from the case's fields that the letter and its recipient may carry; never a model instance, so
even a check missed could reach no model attribute (``_plain`` enforces it). Attribute names
beginning with an underscore are refused by Django's parser itself.

What each letter may carry, and its sources
-------------------------------------------
- Notice of allegations: the identities of the parties if known (of the people shown in the
  imagery only the recipient's own; the others are counted, never named: FERPA 34 CFR 99.3,
  99.31 and the Model Policy's privacy rule), the conduct alleged, its date and location,
  the presumption that the respondent is not responsible until a determination, the right
  to an advisor of their choice and to inspect evidence, and the district's rule on
  knowingly false statements: 34 CFR 106.45(b)(2)(i)(A)-(B) (2020 Title IX regulations).
- Outcome letters: the finding, the standard of evidence, the rationale, the sanctions on the
  respondent (respondent's letter), the remedies for the complainant (complainant's letter) and
  the appeal: 34 CFR 106.45(b)(7)(ii)-(iii) and 106.45(b)(8); Model NCII Policy for K-12
  Schools (CDT and ATIXA), determination and remedies. The complainant's letter names no
  sanction: FERPA (34 CFR 99.3, 99.31) protects the respondent's education record; only what
  concerns the complainant (remedies, a no-contact directive) is told to them.
- Parent or guardian letter: sent only when the recorded decision says notify (now, or a delay
  whose day has come) and never about an eligible student without the FERPA basis
  (``ncii_cases.parents``; 34 CFR 99.3, 99.5, 99.30; 106.6(g)).
- No-contact directive: a mutual or one-way restriction of communication, a supportive or
  interim measure the regulations name (34 CFR 106.30(a)); it names the people not to contact.
- Supportive-measures letter: the measures offered to the recipient and the resources of the
  Model Policy (NCMEC hotline, Take It Down, StopNCII); 34 CFR 106.30(a), 106.44(a).
- TAKE IT DOWN Act notice: the platform's notice, built by
  ``services.takedown_notices.notice_letter`` from the request's recorded notice (Pub. L.
  119-12, sec. 3(a)(1)(B)).

Language: a letter is prepared in the recipient's preferred language when a template exists in
it (English, Spanish), otherwise in English with a visible note (``choices.PreferredLanguage``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.template import Context, Engine, Library, TemplateSyntaxError, defaultfilters
from django.template import defaulttags as dt_tags
from django.template.base import FilterExpression, TextNode, Variable, VariableNode
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import choices as c
from .letters_defaults import DEFAULTS
from .models_letters import LetterKind, LetterLanguage

MAX_SUBJECT = 300
MAX_BODY = 20_000
MAX_OUTPUT = 60_000

# --- The sandbox ----------------------------------------------------------------------------

SAFE_LIBRARY = Library()
SAFE_TAGS = {
    "if": dt_tags.do_if,
    "for": dt_tags.do_for,
    "with": dt_tags.do_with,
    "firstof": dt_tags.firstof,
    "comment": dt_tags.comment,
}
# The closing and middle words of those tags (the parser reads them, they are no tags).
TAG_WORDS = {"elif", "else", "endif", "empty", "endfor", "endwith", "endcomment"}
SAFE_FILTERS = (
    "capfirst",
    "default",
    "default_if_none",
    "first",
    "join",
    "last",
    "length",
    "lower",
    "pluralize",
    "title",
    "truncatewords",
    "upper",
    "wordwrap",
    "yesno",
)
for _name, _tag in SAFE_TAGS.items():
    SAFE_LIBRARY.tag(_name, _tag)
for _name in SAFE_FILTERS:
    SAFE_LIBRARY.filter(_name, getattr(defaultfilters, _name))


class _SandboxEngine(Engine):
    # No default library: not defaulttags (url, load, debug, ...) nor loader_tags (include,
    # extends, block). The one library is set after construction.
    default_builtins: list = []


SANDBOX = _SandboxEngine(
    loaders=[("django.template.loaders.locmem.Loader", {})],
    libraries={},
    autoescape=False,
    debug=False,
    string_if_invalid="",
)
SANDBOX.template_builtins = [SAFE_LIBRARY]
SANDBOX.template_libraries = {}

_TAG_RE = re.compile(r"{%-?\s*([^\s%]*)")


class LetterTemplateError(ValueError):
    """A template the sandbox refuses, with the reasons in plain words (``problems``)."""

    def __init__(self, problems: list[str]):
        super().__init__(" ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class _Any:
    """The schema of a value the check does not look into (a loop variable of a pair)."""


ANY = _Any()
FORLOOP = {
    "counter": 1,
    "counter0": 0,
    "revcounter": 1,
    "revcounter0": 0,
    "first": True,
    "last": True,
}


def _plain(value, path="context"):
    """Raises TypeError unless ``value`` is made of plain values only."""
    if value is None or isinstance(value, (str, bool, int, float)):
        return
    if isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            _plain(item, f"{path}[{i}]")
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str) or key.startswith("_"):
                raise TypeError(f"{path}: keys must be plain names")
            _plain(item, f"{path}.{key}")
        return
    raise TypeError(f"{path} is a {type(value).__name__}: a letter's context holds plain values")


def _parts(schema) -> str:
    if isinstance(schema, dict):
        return ", ".join(sorted(schema))
    return ""


def _check_variable(var, scope: dict, problems: list[str]) -> object:
    """Checks one variable against the scope; returns the schema of its value (ANY if not
    known)."""
    if not isinstance(var, Variable) or var.lookups is None:
        return ANY  # a literal
    dotted = ".".join(var.lookups)
    root = var.lookups[0]
    if root not in scope:
        names = ", ".join(sorted(n for n in scope if n != "forloop"))
        problems.append(
            _("Unknown variable “%(var)s”: this letter may use %(names)s.")
            % {"var": dotted, "names": names}
        )
        return ANY
    value = scope[root]
    walked = root
    for part in var.lookups[1:]:
        if value is ANY:
            return ANY
        if isinstance(value, dict) and part in value:
            value = value[part]
        elif isinstance(value, (list, tuple)) and part.isdigit():
            value = value[0] if value else ANY
        else:
            parts = _parts(value)
            message = _("Unknown variable “%(var)s”: “%(walked)s” has no part “%(part)s”.") % {
                "var": dotted,
                "walked": walked,
                "part": part,
            }
            if parts:
                message += " " + _("Its parts are %(parts)s.") % {"parts": parts}
            problems.append(message)
            return ANY
        walked = f"{walked}.{part}"
    return value


def _check_expression(expression, scope, problems) -> object:
    if not isinstance(expression, FilterExpression):
        return ANY
    schema = _check_variable(expression.var, scope, problems)
    for _func, args in expression.filters:
        for lookup, arg in args:
            if lookup:
                _check_variable(arg, scope, problems)
    return schema if not expression.filters else ANY


def _check_condition(condition, scope, problems) -> None:
    if condition is None:
        return
    if isinstance(condition, dt_tags.TemplateLiteral):
        _check_expression(condition.value, scope, problems)
        return
    for side in ("first", "second"):
        _check_condition(getattr(condition, side, None), scope, problems)


def _check_nodes(nodelist, scope: dict, problems: list[str]) -> None:
    for node in nodelist:
        if isinstance(node, (TextNode, dt_tags.CommentNode)):
            continue
        if isinstance(node, VariableNode):
            _check_expression(node.filter_expression, scope, problems)
        elif isinstance(node, dt_tags.IfNode):
            for condition, body in node.conditions_nodelists:
                _check_condition(condition, scope, problems)
                _check_nodes(body, scope, problems)
        elif isinstance(node, dt_tags.ForNode):
            sequence = _check_expression(node.sequence, scope, problems)
            item = sequence[0] if isinstance(sequence, (list, tuple)) and sequence else ANY
            inner = {**scope, "forloop": FORLOOP}
            if len(node.loopvars) == 1:
                inner[node.loopvars[0]] = item
            else:
                inner.update(dict.fromkeys(node.loopvars, ANY))
            _check_nodes(node.nodelist_loop, inner, problems)
            _check_nodes(node.nodelist_empty, scope, problems)
        elif isinstance(node, dt_tags.WithNode):
            inner = dict(scope)
            for name, expression in node.extra_context.items():
                inner[name] = _check_expression(expression, scope, problems)
            _check_nodes(node.nodelist, inner, problems)
        elif isinstance(node, dt_tags.FirstOfNode):
            for expression in node.vars:
                _check_expression(expression, scope, problems)
        else:  # pragma: no cover - the library has no other tag
            problems.append(_("This template uses something letters do not allow."))


def _tags_check(source: str, problems: list[str]) -> None:
    for word in _TAG_RE.findall(source):
        if word in SAFE_TAGS or word in TAG_WORDS:
            continue
        problems.append(
            _("The tag “{%% %(tag)s %%}” is not allowed in a letter. Letters may use %(tags)s.")
            % {
                "tag": word or "?",
                "tags": ", ".join(f"{{% {t} %}}" for t in SAFE_TAGS),
            }
        )


def template_check(source: str, *, kind: str, what: str = "") -> object:
    """Parses ``source`` (a subject or a body) in the sandbox and checks every tag and
    variable against what the letter ``kind`` may use. Returns the compiled template; raises
    ``LetterTemplateError`` naming each unknown tag, filter or variable (``what`` prefixes
    each problem, such as "Subject")."""
    problems: list[str] = []
    _tags_check(source, problems)
    if not problems:
        try:
            template = SANDBOX.from_string(source)
        except TemplateSyntaxError as exc:
            problems.append(_syntax_message(str(exc)))
        else:
            _check_nodes(template.nodelist, dict(KIND_SAMPLES[kind]), problems)
    if problems:
        prefix = f"{what}: " if what else ""
        raise LetterTemplateError([prefix + p for p in dict.fromkeys(problems)])
    return template


def _syntax_message(message: str) -> str:
    invalid_filter = re.match(r"Invalid filter: '([^']*)'", message)
    if invalid_filter:
        return _("The filter “%(name)s” is not allowed in a letter. Letters may use %(names)s.") % {
            "name": invalid_filter.group(1),
            "names": ", ".join(SAFE_FILTERS),
        }
    if "may not begin with underscores" in message:
        return _("Names beginning with an underscore are not allowed in a letter: %(m)s") % {
            "m": message
        }
    return _("The template cannot be read: %(m)s") % {"m": message}


def _tidy(text: str) -> str:
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def template_render(source: str, *, kind: str, context: dict) -> str:
    """Checks and renders ``source`` with ``context`` (plain values only: TypeError
    otherwise) and returns the text, lines trimmed and blank lines folded to one. Raises
    ``LetterTemplateError`` as ``template_check`` does, or when the text is too long."""
    _plain(context)
    template = template_check(source, kind=kind)
    text = _tidy(template.render(Context(context, autoescape=False)))
    if len(text) > MAX_OUTPUT:
        raise LetterTemplateError([_("The letter is too long to send; shorten the template.")])
    return text


def template_pair_check(*, kind: str, subject: str, body: str) -> None:
    """Checks a template's subject and body before it is saved: lengths, tags, variables,
    and a render with the kind's sample context. Raises ``LetterTemplateError``."""
    problems = []
    if not subject.strip():
        problems.append(_("Subject: write the letter's subject."))
    elif len(subject) > MAX_SUBJECT:
        problems.append(_("Subject: at most %(n)d characters.") % {"n": MAX_SUBJECT})
    if not body.strip():
        problems.append(_("Body: write the letter's text."))
    elif len(body) > MAX_BODY:
        problems.append(_("Body: at most %(n)d characters.") % {"n": MAX_BODY})
    for what, source in ((_("Subject"), subject), (_("Body"), body)):
        if not source.strip() or len(source) > MAX_BODY:
            continue
        try:
            template_render(source, kind=kind, context=KIND_SAMPLES[kind])
        except LetterTemplateError as exc:
            problems.extend(p if p.startswith(f"{what}:") else f"{what}: {p}" for p in exc.problems)
    if problems:
        raise LetterTemplateError(problems)


# --- The kinds ------------------------------------------------------------------------------

# The words of recorded values, in each language a letter ships in.
WORDS = {
    "conduct": {
        "en": {
            c.Conduct.DISTRIBUTION: "sharing an intimate image of another person without their "
            "consent",
            c.Conduct.THREAT: "threatening to share an intimate image of another person",
            c.Conduct.CREATION_ONLY: "creating an intimate image of another person without "
            "their consent",
            c.Conduct.SEXTORTION: "using an intimate image to pressure or coerce another person",
        },
        "es": {
            c.Conduct.DISTRIBUTION: "compartir una imagen íntima de otra persona sin su "
            "consentimiento",
            c.Conduct.THREAT: "amenazar con compartir una imagen íntima de otra persona",
            c.Conduct.CREATION_ONLY: "crear una imagen íntima de otra persona sin su "
            "consentimiento",
            c.Conduct.SEXTORTION: "usar una imagen íntima para presionar o coaccionar a otra "
            "persona",
        },
    },
    "imagery": {
        "en": {
            c.NciiKind.AUTHENTIC: "a real image",
            c.NciiKind.SYNTHETIC: "an image made or altered with AI or other tools",
            c.NciiKind.UNDETERMINED: "an image (whether real or altered is not yet known)",
        },
        "es": {
            c.NciiKind.AUTHENTIC: "una imagen real",
            c.NciiKind.SYNTHETIC: "una imagen creada o alterada con inteligencia artificial u "
            "otras herramientas",
            c.NciiKind.UNDETERMINED: "una imagen (aún no se sabe si es real o alterada)",
        },
    },
    "location": {
        "en": {
            c.Location.ON_CAMPUS: "on campus or at a school activity",
            c.Location.OFF_CAMPUS: "off campus, including online",
            c.Location.UNKNOWN: "at a place not yet known",
        },
        "es": {
            c.Location.ON_CAMPUS: "en la escuela o en una actividad escolar",
            c.Location.OFF_CAMPUS: "fuera de la escuela, incluso en línea",
            c.Location.UNKNOWN: "en un lugar aún no determinado",
        },
    },
    "finding": {
        "en": {
            "responsible": "responsible",
            "not_responsible": "not responsible",
            "insufficient": "not determined: there was not enough information to decide",
        },
        "es": {
            "responsible": "responsable",
            "not_responsible": "no responsable",
            "insufficient": "no determinado: no hubo información suficiente para decidir",
        },
    },
    "standard": {
        "en": {
            "preponderance": "the preponderance of the evidence",
            "clear_and_convincing": "clear and convincing evidence",
        },
        "es": {
            "preponderance": "la preponderancia de la evidencia",
            "clear_and_convincing": "evidencia clara y convincente",
        },
    },
    "role": {
        "en": {
            c.PartyRole.DEPICTED: "complainant",
            c.PartyRole.RESPONDENT: "respondent",
            c.PartyRole.WITNESS: "witness",
            c.PartyRole.REPORTER: "reporter",
            c.PartyRole.PARENT: "parent or guardian",
        },
        "es": {
            c.PartyRole.DEPICTED: "demandante",
            c.PartyRole.RESPONDENT: "demandado",
            c.PartyRole.WITNESS: "testigo",
            c.PartyRole.REPORTER: "informante",
            c.PartyRole.PARENT: "padre, madre o tutor",
        },
    },
    "status": {
        "en": {
            "planned": "planned",
            "active": "in place",
            "ended": "ended",
            "declined": "declined",
            "in_effect": "in effect",
            "completed": "completed",
            "vacated": "set aside",
        },
        "es": {
            "planned": "prevista",
            "active": "vigente",
            "ended": "terminada",
            "declined": "rechazada",
            "in_effect": "vigente",
            "completed": "cumplida",
            "vacated": "anulada",
        },
    },
}


def word(vocabulary: str, value, language: str) -> str:
    """The recorded ``value`` of ``vocabulary`` in words of ``language`` (en, es)."""
    table = WORDS[vocabulary].get(language) or WORDS[vocabulary]["en"]
    return str(table.get(value, str(value or "").replace("_", " ")))


# A letter's dates, written out: "March 5, 2026", "5 de marzo de 2026".
DATE_FORMATS = {"en": "F j, Y", "es": r"j \d\e F \d\e Y"}


def date_words(value, language: str, zone=None) -> str:
    """A date (or aware datetime, taken in ``zone``, the current time zone if None) written
    out in the language, "March 5, 2026" / "5 de marzo de 2026"; "" for None."""
    if value is None:
        return ""
    if hasattr(value, "hour"):
        value = timezone.localtime(value, zone).date()
    with translation.override(language):
        return formats.date_format(value, DATE_FORMATS.get(language, "F j, Y"), use_l10n=True)


@dataclass(frozen=True)
class KindSpec:
    """A letter kind: the notice kind it is logged as (None: the takedown notice, logged on
    its request), the right it needs on the case, and the roles of parties it goes to."""

    kind: str
    notice_kind: str | None
    action: str
    roles: tuple[str, ...] = ()
    help: str = ""

    @property
    def is_takedown(self) -> bool:
        """Whether the kind is the TAKE IT DOWN Act notice to a platform."""
        return self.kind == LetterKind.TAKEDOWN


def _specs():
    from .models import PartyNotice
    from .permissions import Action

    Kind = PartyNotice.Kind
    return {
        LetterKind.ALLEGATIONS: KindSpec(
            LetterKind.ALLEGATIONS,
            Kind.NOTICE_OF_ALLEGATIONS,
            Action.WORK,
            (c.PartyRole.DEPICTED, c.PartyRole.RESPONDENT),
            gettext_lazy("To each party known, before an interview: 34 CFR 106.45(b)(2)."),
        ),
        LetterKind.OUTCOME_COMPLAINANT: KindSpec(
            LetterKind.OUTCOME_COMPLAINANT,
            Kind.OUTCOME,
            Action.WORK,
            (c.PartyRole.DEPICTED,),
            gettext_lazy("The finding, remedies and appeal: 34 CFR 106.45(b)(7)."),
        ),
        LetterKind.OUTCOME_RESPONDENT: KindSpec(
            LetterKind.OUTCOME_RESPONDENT,
            Kind.OUTCOME,
            Action.WORK,
            (c.PartyRole.RESPONDENT,),
            gettext_lazy("The finding, sanctions and appeal: 34 CFR 106.45(b)(7)."),
        ),
        LetterKind.PARENT: KindSpec(
            LetterKind.PARENT,
            Kind.PARENT_NOTIFICATION,
            Action.WORK,
            (c.PartyRole.PARENT,),
            gettext_lazy("When the recorded parent-notification decision says notify."),
        ),
        LetterKind.NO_CONTACT: KindSpec(
            LetterKind.NO_CONTACT,
            Kind.OTHER,
            Action.WORK,
            (c.PartyRole.DEPICTED, c.PartyRole.RESPONDENT),
            gettext_lazy("A supportive or interim measure: 34 CFR 106.30(a)."),
        ),
        LetterKind.SUPPORT: KindSpec(
            LetterKind.SUPPORT,
            Kind.SUPPORT,
            Action.SUPPORT,
            (c.PartyRole.DEPICTED, c.PartyRole.RESPONDENT, c.PartyRole.WITNESS),
            gettext_lazy("The measures offered and where to find help: 34 CFR 106.44(a)."),
        ),
        LetterKind.TAKEDOWN: KindSpec(
            LetterKind.TAKEDOWN,
            None,
            Action.WORK,
            (),
            gettext_lazy("The platform's notice of a takedown request (TAKE IT DOWN Act)."),
        ),
    }


def kind_spec(kind: str) -> KindSpec:
    """The spec of a letter kind; KeyError for an unknown kind."""
    return _specs()[kind]


# The context every letter may use, and each kind's own, as sample values: the schema the
# sandbox checks a template against, and the preview of the template editor. A test keeps
# them the same shape as the real contexts (``letter_context``).
COMMON_SAMPLE = {
    "district": {
        "name": "Riverside Unified School District",
        "coordinator_name": "A. Example",
        "coordinator_title": "Title IX Coordinator",
        "coordinator_email": "titleix@district.example",
        "coordinator_phone": "555-0100",
        "coordinator_office": "1 School Road, Springfield",
    },
    "school": {"name": "Riverside High School"},
    "reference": "NCII-2026-0001",
    "letter_date": "March 5, 2026",
    "recipient": {"name": "Sam Student", "role": "complainant"},
    "sender": {"name": "A. Example"},
}
KIND_SAMPLES: dict[str, dict] = {
    LetterKind.ALLEGATIONS: {
        **COMMON_SAMPLE,
        "allegations": {
            "conduct": "sharing an intimate image of another person without their consent",
            "imagery": "an image made or altered with AI or other tools",
            "date": "February 27, 2026",
            "date_approximate": False,
            "location": "off campus, including online",
            "platforms": ["Snapchat"],
        },
        "complainants": ["Sam Student"],
        "other_complainants": 2,
        "respondents": ["Riley Respondent"],
    },
    LetterKind.OUTCOME_COMPLAINANT: {
        **COMMON_SAMPLE,
        "outcomes": [
            {
                "respondent": "Riley Respondent",
                "finding": "responsible",
                "responsible": True,
                "standard": "the preponderance of the evidence",
                "decided_on": "March 4, 2026",
                "rationale": "The reasons for the finding.",
                "appeal_until": "March 11, 2026",
            }
        ],
        "remedies": [{"name": "Counseling", "status": "in place"}],
        "appeal_days": 5,
    },
    LetterKind.OUTCOME_RESPONDENT: {
        **COMMON_SAMPLE,
        "outcome": {
            "finding": "responsible",
            "responsible": True,
            "standard": "the preponderance of the evidence",
            "decided_on": "March 4, 2026",
            "rationale": "The reasons for the finding.",
            "appeal_until": "March 11, 2026",
        },
        "sanctions": [
            {
                "name": "Suspension",
                "details": "Three days.",
                "starts_on": "March 9, 2026",
                "ends_on": "March 11, 2026",
            }
        ],
        "appeal_days": 5,
    },
    LetterKind.PARENT: {
        **COMMON_SAMPLE,
        "student": {"name": "Sam Student", "role": "complainant"},
    },
    LetterKind.NO_CONTACT: {
        **COMMON_SAMPLE,
        "protected": ["Riley Respondent"],
        "effective_date": "March 5, 2026",
    },
    LetterKind.SUPPORT: {
        **COMMON_SAMPLE,
        "measures": [
            {
                "name": "Counseling",
                "status": "in place",
                "starts_on": "March 2, 2026",
                "review_on": "March 16, 2026",
            }
        ],
    },
    LetterKind.TAKEDOWN: {
        **COMMON_SAMPLE,
        "platform": "Snapchat",
        "takedown_reference": "NCII-2026-0001-T1",
        "notice": {
            "title": "Removal request under the TAKE IT DOWN Act",
            "header": ["To: Snapchat", "Date: March 5, 2026"],
            "sections": [{"heading": "1. The content to remove", "paragraphs": ["Location"]}],
        },
        "content_location": "Platform: Snapchat\nLocation: https://social.example/p/1",
        "statement": "The person depicted did not consent.",
        "signature": "/s/ A. Example",
        "signer": {"name": "A. Example", "title": "Title IX coordinator"},
        "contact": ["titleix@district.example"],
        "depicted_minor": True,
        "depicted_name": "",
    },
}


def default_template(kind: str, language: str) -> tuple[str, str]:
    """The shipped (subject, body) of a kind in a language (``letters_defaults``)."""
    return DEFAULTS[kind][language]


# --- Recipients and contexts ----------------------------------------------------------------


@dataclass
class Recipient:
    """Who a letter may go to: a party (``party``) or a platform's takedown request
    (``takedown``). ``problem``: why no letter can go now, in plain words (shown instead of
    the send button); ``language``: the recipient's preferred language code ("" unknown)."""

    key: str
    name: str
    label: str
    language: str = ""
    party: object = None
    takedown: object = None
    problem: str = ""
    extra: dict = field(default_factory=dict)


def letter_language(preferred: str) -> tuple[str, str]:
    """The template language for a recipient's preferred language, and the note to show when
    it is not theirs: Spanish for "es", English otherwise (with a note for any language
    other than English or not recorded)."""
    if preferred in LetterLanguage.values:
        return preferred, ""
    if preferred in ("", None):
        return LetterLanguage.ENGLISH, ""
    label = dict(c.PreferredLanguage.choices).get(preferred, preferred)
    return (
        LetterLanguage.ENGLISH,
        _(
            "The recipient reads %(language)s; no letter template exists in it, so this letter "
            "is in English. Arrange a translation or an interpreter."
        )
        % {"language": label},
    )


def _common(case, recipient_name: str, role: str, language: str, sender) -> dict:
    district = case.district
    return {
        "district": {
            "name": district.name,
            "coordinator_name": district.coordinator_name,
            "coordinator_title": district.coordinator_title,
            "coordinator_email": district.coordinator_email,
            "coordinator_phone": district.coordinator_phone,
            "coordinator_office": district.coordinator_office,
        },
        "school": {"name": case.school.name},
        "reference": case.reference,
        "letter_date": date_words(timezone.now(), language, _zone(case)),
        "recipient": {"name": recipient_name, "role": word("role", role, language)},
        "sender": {"name": sender.get_full_name() or sender.username},
    }


def _zone(case):
    import zoneinfo

    return zoneinfo.ZoneInfo(case.district.time_zone)


def _names(parties) -> list[str]:
    return [p.display_name for p in parties if p.person_id]


def _current_parties(case, roles):
    from .models import CaseParty

    return list(
        CaseParty.objects.current()
        .filter(case=case, role__in=roles, person__isnull=False)
        .select_related("person")
        .order_by("role", "pk")
    )


def _determinations(case, respondent=None):
    from .models import Determination

    rows = (
        Determination.objects.current()
        .filter(case=case, respondent__person__isnull=False)
        .select_related("respondent__person")
        .order_by("decided_at", "pk")
    )
    if respondent is not None:
        rows = rows.filter(respondent=respondent)
    return list(rows)


def _outcome(determination, case, language, zone) -> dict:
    from .clocks import appeal_window_closes_at

    return {
        "finding": word("finding", determination.finding, language),
        "responsible": determination.finding == "responsible",
        "standard": word("standard", determination.standard_of_evidence, language),
        "decided_on": date_words(determination.decided_at, language, zone),
        "rationale": determination.rationale,
        "appeal_until": date_words(
            appeal_window_closes_at(determination, case=case), language, zone
        ),
    }


def _measures(case, party, kinds, language, zone) -> list[dict]:
    from .models import CaseMeasure

    rows = (
        CaseMeasure.objects.current()
        .filter(case=case, party=party, kind__in=kinds)
        .select_related("measure")
        .order_by("created_at", "pk")
    )
    return [
        {
            "name": str(m),
            "status": word("status", m.status, language),
            "starts_on": date_words(m.starts_on, language, zone),
            "review_on": date_words(m.review_on, language, zone),
        }
        for m in rows
    ]


def _takedown_context(case, takedown, language, zone) -> dict:
    from .services import takedown_notices as tn

    notice = tn.current_notice(takedown)
    data = {name: getattr(notice, name) for name in tn.INPUT_FIELDS}
    built = tn.notice_letter(
        takedown=takedown, data=data, minor=notice.depicted_minor, at=timezone.now()
    )
    contact = [f"{notice.signer_name}, {notice.signer_title}", case.district.name]
    contact.append(notice.contact_email)
    if notice.contact_phone:
        contact.append(notice.contact_phone)
    if notice.contact_address:
        contact.append(" ".join(notice.contact_address.split()))
    return {
        "platform": str(takedown.platform),
        "takedown_reference": f"{case.reference}-T{takedown.pk}",
        "notice": {
            "title": built.title,
            "header": list(built.header),
            "sections": [
                {"heading": s.heading, "paragraphs": list(s.paragraphs)} for s in built.sections
            ],
        },
        "content_location": notice.content_location,
        "statement": notice.statement,
        "signature": notice.signature,
        "signer": {"name": notice.signer_name, "title": notice.signer_title},
        "contact": contact,
        "depicted_minor": bool(notice.depicted_minor),
        "depicted_name": notice.depicted_name if notice.name_depicted else "",
    }


def letter_context(*, case, kind: str, recipient: Recipient, language: str, sender) -> dict:
    """The plain-value context of a letter of ``kind`` to ``recipient`` in ``language``:
    ``COMMON_SAMPLE``'s keys plus the kind's own (``KIND_SAMPLES``), from the case's fields that
    this letter may carry and nothing else (see the module docstring for what and why)."""
    zone = _zone(case)
    party = recipient.party
    role = party.role if party is not None else ""
    context = _common(case, recipient.name, role, language, sender)
    if kind == LetterKind.ALLEGATIONS:
        context.update(
            allegations={
                "conduct": word("conduct", case.conduct, language),
                "imagery": word("imagery", case.ncii_kind, language),
                "date": date_words(case.occurred_at, language, zone),
                "date_approximate": bool(case.occurred_at_approximate),
                "location": word("location", case.location, language),
                "platforms": sorted(str(p) for p in case.platforms.all()),
            },
            **_depicted_for(party, _current_parties(case, [c.PartyRole.DEPICTED])),
            respondents=_names(_current_parties(case, [c.PartyRole.RESPONDENT])),
        )
    elif kind == LetterKind.OUTCOME_COMPLAINANT:
        context.update(
            outcomes=[
                {"respondent": d.respondent.display_name, **_outcome(d, case, language, zone)}
                for d in _determinations(case)
            ],
            remedies=[
                {"name": m["name"], "status": m["status"]}
                for m in _measures(case, party, ["remedy"], language, zone)
            ],
            appeal_days=case.district.appeal_window_school_days,
        )
    elif kind == LetterKind.OUTCOME_RESPONDENT:
        from .models import Sanction

        determination = _determinations(case, party)[0]
        sanctions = (
            Sanction.objects.current()
            .filter(case=case, respondent=party)
            .select_related("intervention")
            .order_by("decided_at", "pk")
        )
        context.update(
            outcome=_outcome(determination, case, language, zone),
            sanctions=[
                {
                    "name": str(s.intervention),
                    "details": s.details,
                    "starts_on": date_words(s.starts_on, language, zone),
                    "ends_on": date_words(s.ends_on, language, zone),
                }
                for s in sanctions
            ],
            appeal_days=case.district.appeal_window_school_days,
        )
    elif kind == LetterKind.PARENT:
        student = recipient.extra["student"]
        context.update(
            student={"name": student.display_name, "role": word("role", student.role, language)}
        )
    elif kind == LetterKind.NO_CONTACT:
        context.update(
            protected=_names(_current_parties(case, [_other_side(role)])),
            effective_date=date_words(timezone.now(), language, zone),
        )
    elif kind == LetterKind.SUPPORT:
        context.update(measures=_measures(case, party, ["supportive", "remedy"], language, zone))
    elif kind == LetterKind.TAKEDOWN:
        context.update(_takedown_context(case, recipient.takedown, language, zone))
    _plain(context)
    return context


def _depicted_for(recipient, depicted) -> dict:
    """The people shown in the imagery as a notice to ``recipient`` (a party) may name them:
    the recipient's own name when they are one of them (``complainants``), every other one
    only counted (``other_complainants``). A notice to one party names that party and what
    they need to respond; the other students shown are not named to them (FERPA, 34 CFR 99.3
    and 99.31: their identity is part of their education record; Model NCII Policy for K-12
    Schools, CDT and ATIXA, privacy of the people depicted). The coordinator may add a name
    in the letter's edit step where the process followed requires it."""
    own = recipient.person_id if recipient is not None else None
    people = {p.person_id: p for p in depicted if p.person_id}
    return {
        "complainants": _names([people[own]] if own in people else []),
        "other_complainants": len(set(people) - {own}),
    }


def _other_side(role: str) -> str:
    return c.PartyRole.DEPICTED if role == c.PartyRole.RESPONDENT else c.PartyRole.RESPONDENT


class _CaseFacts:
    """What the recipients' checks read, each once per call (a constant number of queries
    however many parties the case has)."""

    def __init__(self, case):
        self.case = case
        self._determinations = None
        self._parties = {}
        self._decisions = None

    def determinations(self, respondent=None) -> list:
        if self._determinations is None:
            self._determinations = _determinations(self.case)
        if respondent is None:
            return self._determinations
        return [d for d in self._determinations if d.respondent_id == respondent.pk]

    def parties(self, role) -> list:
        if role not in self._parties:
            self._parties[role] = _current_parties(self.case, [role])
        return self._parties[role]

    def decision(self, party):
        """The party's parent-notification decision in force (the latest not withdrawn)."""
        if self._decisions is None:
            from .models import ParentNotificationDecision

            self._decisions = {}
            rows = (
                ParentNotificationDecision.objects.current()
                .filter(case=self.case)
                .order_by("decided_at", "pk")
            )
            for row in rows:
                self._decisions[row.party_id] = row
        return self._decisions.get(party.pk)


def _party_problem(kind: str, party, facts: _CaseFacts, today) -> tuple[str, dict]:
    """Why a letter of ``kind`` cannot go to ``party`` now ("" when it can), and what the
    context needs besides (the student of a parent letter)."""
    from .parents import party_is_eligible_student

    if kind == LetterKind.OUTCOME_RESPONDENT and not facts.determinations(party):
        return _("Record the determination for %(name)s first.") % {"name": party.display_name}, {}
    if kind == LetterKind.OUTCOME_COMPLAINANT and not facts.determinations():
        return _("No determination is recorded yet."), {}
    if kind == LetterKind.NO_CONTACT and not facts.parties(_other_side(party.role)):
        return _("No identified person on the other side of the case to name."), {}
    if kind != LetterKind.PARENT:
        return "", {}
    student = party.related_to
    if student is None or student.withdrawn_at is not None:
        return _("Say whose parent or guardian %(name)s is first (correct the party's record).") % {
            "name": party.display_name
        }, {}
    if party_is_eligible_student(student, today):
        return _(
            "%(name)s is 18 or over: an eligible student, whose rights are their own (FERPA). "
            "Tell the student directly, or log a notice to the parent with the student's "
            "consent or the FERPA exception on the notice form."
        ) % {"name": student.display_name}, {"student": student}
    decision = facts.decision(student)
    if decision is None:
        return _("Record the parent-notification decision for %(name)s first.") % {
            "name": student.display_name
        }, {"student": student}
    if not decision.notice_due(today):
        return _(
            "The parent-notification decision for %(name)s is “%(decision)s”: no letter to "
            "parents now."
        ) % {
            "name": student.display_name,
            "decision": decision.get_decision_display(),
        }, {"student": student}
    return "", {"student": student}


def letter_recipients(*, user, case, kind: str) -> list[Recipient]:
    """Who a letter of ``kind`` may go to on the case, as the user may see them: the current,
    identified parties of the kind's roles, or for the TAKE IT DOWN notice the platform-route
    takedown requests that have their notice. Each carries a ``problem`` when no letter can go
    now. Empty for a user without the kind's right on the case."""
    from ncii_cases.selectors import cases as selectors

    from .permissions import user_can

    spec = kind_spec(kind)
    if not user_can(user, spec.action, case):
        return []
    today = timezone.localtime(timezone.now(), _zone(case)).date()
    if kind == LetterKind.TAKEDOWN:
        from .models import TakedownNotice, TakedownRequest

        with_notice = TakedownNotice.objects.current().filter(case=case).values("takedown_id")
        rows = (
            selectors.case_records_for_user(user=user, case=case, kind="takedown")
            .filter(
                withdrawn_at__isnull=True,
                route=TakedownRequest.Route.PLATFORM,
                pk__in=with_notice,
            )
            .order_by("pk")
        )
        return [
            Recipient(
                key=f"takedown-{t.pk}",
                name=str(t.platform),
                label=_("%(platform)s (takedown request %(ref)s)")
                % {"platform": t.platform, "ref": f"{case.reference}-T{t.pk}"},
                language=LetterLanguage.ENGLISH,
                takedown=t,
            )
            for t in rows
        ]
    parties = (
        selectors.case_parties_by_role(user=user, case=case, roles=spec.roles)
        .filter(person__isnull=False)
        .select_related("person", "related_to__person")
        .order_by("role", "pk")
    )
    result, facts = [], _CaseFacts(case)
    for party in parties:
        problem, extra = _party_problem(kind, party, facts, today)
        result.append(
            Recipient(
                key=f"party-{party.pk}",
                name=party.display_name,
                label=f"{party.display_name} ({word('role', party.role, 'en')})",
                language=party.preferred_language,
                party=party,
                problem=problem,
                extra=extra,
            )
        )
    return result


def letter_recipient(*, user, case, kind: str, key: str) -> Recipient | None:
    """One recipient of ``letter_recipients`` by its key ("party-12", "takedown-3"), or None
    (a forged or stale key)."""
    return next(
        (r for r in letter_recipients(user=user, case=case, kind=kind) if r.key == key), None
    )


@dataclass(frozen=True)
class Draft:
    """A letter rendered from the template in force, before any edit: its language, the note
    when that is not the recipient's, the template version (None: the shipped default)."""

    subject: str
    body: str
    language: str
    language_note: str
    template: object = None


def template_in_force(*, district_id: int, kind: str, language: str):
    """The district's latest saved version of the kind's template in the language, or None
    (the shipped default is in force)."""
    from .models_letters import LetterTemplate

    return (
        LetterTemplate.objects.filter(district_id=district_id, kind=kind, language=language)
        .order_by("-number")
        .first()
    )


def letter_draft(*, case, kind: str, recipient: Recipient, sender, language: str = "") -> Draft:
    """Renders the letter of ``kind`` to ``recipient`` from the template in force: in
    ``language`` when given (en, es), else in the recipient's (``letter_language``). Raises
    ``LetterTemplateError`` when a saved template no longer renders."""
    if language in LetterLanguage.values:
        note = ""
    else:
        language, note = letter_language(recipient.language)
    template = template_in_force(district_id=case.district_id, kind=kind, language=language)
    subject, body = (
        (template.subject, template.body) if template else default_template(kind, language)
    )
    context = letter_context(
        case=case, kind=kind, recipient=recipient, language=language, sender=sender
    )
    return Draft(
        subject=" ".join(template_render(subject, kind=kind, context=context).split()),
        body=template_render(body, kind=kind, context=context),
        language=language,
        language_note=note,
        template=template,
    )


# --- Reads of sent letters and of the templates ---------------------------------------------


def kinds_for_user(user, case) -> list[KindSpec]:
    """The letter kinds the user may send on the case (their right on it, per kind)."""
    from .permissions import actions_for

    allowed = actions_for(user, case)
    return [spec for spec in _specs().values() if spec.action in allowed]


def case_letters_for_user(*, user, case):
    """The letters sent on the case that the user may read: those of the kinds they may send,
    to parties they may see (a platform's notice to who may work the case). Newest first."""
    from django.db.models import Q

    from ncii_cases.selectors.cases import case_parties_for_user

    from .models_letters import Letter

    kinds = [spec.kind for spec in kinds_for_user(user, case)]
    visible = case_parties_for_user(user=user, case=case).values("pk")
    return (
        Letter.objects.filter(case=case, kind__in=kinds)
        .filter(Q(party__isnull=True) | Q(party__in=visible))
        .select_related("created_by", "template", "notice")
        .order_by("-created_at", "-pk")
    )


def case_letter_for_user(*, user, case, pk):
    """One letter of the case the user may read, or None (also for a forged id)."""
    try:
        return case_letters_for_user(user=user, case=case).filter(pk=int(pk)).first()
    except (TypeError, ValueError):
        return None


def letter_district_for_user(user):
    """The district whose letter templates the user may edit (``Action.MANAGE_LETTERS``),
    or None."""
    from .permissions import Action, districts_where

    return districts_where(user, Action.MANAGE_LETTERS).order_by("pk").first()


def template_versions(*, district, kind: str, language: str):
    """Every saved version of the district's template, newest first."""
    from .models_letters import LetterTemplate

    return (
        LetterTemplate.objects.filter(district=district, kind=kind, language=language)
        .select_related("created_by")
        .order_by("-number")
    )


def template_version_for_user(*, user, pk):
    """A saved template version of the user's district, or None (another district's too)."""
    from .models_letters import LetterTemplate

    district = letter_district_for_user(user)
    if district is None:
        return None
    try:
        return (
            LetterTemplate.objects.filter(district=district, pk=int(pk))
            .select_related("created_by")
            .first()
        )
    except (TypeError, ValueError):
        return None


def template_overview(district) -> list[dict]:
    """Each kind and language with its version in force: ``{"kind", "label", "language",
    "language_label", "current"}`` (``current`` None: the shipped default). One query."""
    from .models_letters import LetterTemplate

    latest = {}
    for row in LetterTemplate.objects.filter(district=district).select_related("created_by"):
        key = (row.kind, row.language)
        if key not in latest or row.number > latest[key].number:
            latest[key] = row
    return [
        {
            "kind": kind,
            "label": label,
            "language": language,
            "language_label": language_label,
            "current": latest.get((kind, language)),
        }
        for kind, label in LetterKind.choices
        for language, language_label in LetterLanguage.choices
    ]


def variables_of(kind: str) -> list[str]:
    """The variables a template of the kind may use, dotted ("recipient.name"), for the
    editor's help; a list's items are shown as "name.0.part" once, as loops read them."""
    names: list[str] = []

    def walk(prefix, value):
        if isinstance(value, dict):
            for key in value:
                walk(f"{prefix}.{key}" if prefix else key, value[key])
        elif isinstance(value, list) and value and isinstance(value[0], dict):
            names.append(f"{prefix} (list)")
            for key in value[0]:
                names.append(f"{prefix}[…].{key}")
        else:
            names.append(prefix + (" (list)" if isinstance(value, list) else ""))

    walk("", KIND_SAMPLES[kind])
    return names
