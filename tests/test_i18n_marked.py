"""Every user-visible string is marked for translation.

Templates: each template is read with Django's own lexer; text outside ``{% translate %}`` /
``{% blocktranslate %}`` that contains a letter (after removing variables, tags, HTML comments
and markup), a visible attribute (title, alt, aria-label, placeholder, the value of a button)
with a letter in it, or a literal string with a letter given to ``default``/``yesno`` or to an
``include ... with``/``with`` keyword fails the test, naming file:line and the text.

Python: every field of every form of the project's forms modules has a label, help text,
choices and error messages that are lazy translation proxies (``gettext_lazy``), or derived
from a model's lazy ``verbose_name``/choices; the source of the project's Python modules is read
for literal strings handed to ``ValidationError``, ``messages.*``, ``add_error``,
``verbose_name``, ``label``, ``help_text`` and for choices labels.
"""

import ast
import importlib
import inspect
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django import forms
from django.conf import settings
from django.db import models
from django.template.base import Lexer, TokenType
from django.utils.functional import Promise

ROOT = Path(settings.BASE_DIR)
TEMPLATES = ROOT / "templates"

VISIBLE_ATTRIBUTES = {"title", "alt", "aria-label", "placeholder"}
LETTER = re.compile(r"[^\W\d_]")
TRANSLATE_TAGS = {"translate", "trans"}
BLOCK_OPEN = {"blocktranslate", "blocktrans"}
BLOCK_CLOSE = {"endblocktranslate", "endblocktrans"}
LITERAL_FILTER_ARGUMENT = re.compile(
    r"\|\s*(default|default_if_none|yesno)\s*:\s*(\"[^\"]*\"|'[^']*')"
)
KEYWORD_LITERAL = re.compile(r"\b([\w.]+)\s*=\s*(\"[^\"]*\"|'[^']*')")
# Keywords of an include that carry a name for the code, never shown (a query parameter, a
# button's name, a CSS class).
CODE_KEYWORDS = {"param", "submit_name", "extra_class"}


def template_names() -> list[str]:
    return sorted(p.relative_to(TEMPLATES).as_posix() for p in TEMPLATES.rglob("*.html"))


def masked_source(source: str) -> tuple[str, list[tuple[int, str]]]:
    """The template's text with every variable, tag, comment and marked string replaced by as
    many newlines as it spanned (line numbers are kept), and the problems found in the tags
    themselves as (line, text)."""
    out = []
    problems = []
    in_block_translate = False
    in_comment = False
    for token in Lexer(source).tokenize():
        raw = token.contents
        blank = "\n" * raw.count("\n")
        if token.token_type == TokenType.BLOCK:
            name = raw.split()[0] if raw.split() else ""
            if name == "comment":
                in_comment = True
            elif name == "endcomment":
                in_comment = False
            elif name in BLOCK_OPEN:
                in_block_translate = True
            elif name in BLOCK_CLOSE:
                in_block_translate = False
            elif name in {"include", "with"} and not in_comment:
                for match in KEYWORD_LITERAL.finditer(raw):
                    if match.group(1) not in CODE_KEYWORDS and LETTER.search(match.group(2)):
                        problems.append((token.lineno, match.group(0)))
            elif name == "firstof" and not in_comment:
                for literal in re.findall(r"\"[^\"]*\"|'[^']*'", raw):
                    if LETTER.search(literal):
                        problems.append((token.lineno, literal))
            out.append(blank)
        elif token.token_type == TokenType.VAR:
            if not in_comment:
                for match in LITERAL_FILTER_ARGUMENT.finditer(raw):
                    if LETTER.search(match.group(2)):
                        problems.append((token.lineno, match.group(0)))
            # A marker the HTML parser keeps as data but that holds no letter.
            out.append("\x00" + blank)
        elif token.token_type == TokenType.COMMENT or in_comment or in_block_translate:
            out.append(blank)
        else:
            out.append(raw)
    return "".join(out), problems


class _VisibleText(HTMLParser):
    """Collects (line, text) of the unmarked text nodes and visible attributes of a masked
    template."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[int, str]] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in {"script", "style"}:
            self._skip += 1
        attributes = dict(attrs)
        for name, value in attrs:
            # A <button>'s value is sent, not shown; an <input> button shows its value.
            visible = name in VISIBLE_ATTRIBUTES or (
                name == "value"
                and tag == "input"
                and (attributes.get("type") or "").lower() in {"submit", "button", "reset"}
            )
            if visible and value and LETTER.search(value):
                self.found.append((self.getpos()[0], f'{name}="{value}"'))

    handle_startendtag = handle_starttag

    def handle_endtag(self, tag):
        if tag in {"script", "style"} and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if self._skip:
            return
        text = " ".join(data.replace("\x00", " ").split())
        if LETTER.search(text):
            # The line of the first non-blank character of the data.
            leading = data[: len(data) - len(data.lstrip())]
            self.found.append((self.getpos()[0] + leading.count("\n"), text))


def unmarked_strings(source: str) -> list[tuple[int, str]]:
    """(line, text) of every user-visible string of a template source that is not marked for
    translation."""
    masked, problems = masked_source(source)
    parser = _VisibleText()
    parser.feed(masked)
    parser.close()
    return sorted(problems + parser.found)


def test_the_checker_finds_unmarked_text_attributes_and_literals():
    source = (
        "{% load i18n %}<h1>{% translate 'Marked' %}</h1>\n"
        "<p>Plain words {{ name }}</p>\n"
        '<img alt="A picture" src="x.png"><input type="submit" value="Send">\n'
        "{% blocktranslate trimmed %}Also marked {{ name }}{% endblocktranslate %}\n"
        '{{ value|default:"Not recorded" }}'
        '{% include "x.html" with heading="Resources" param="p" %}\n'
        "<!-- a comment --><script>var s = 'code';</script>{# note #}\n"
        '<button title="{% translate "Close" %}">&times;</button> {{ a }} &middot; 12:30\n'
        "{% comment %}Notes for developers{% endcomment %}"
    )
    assert unmarked_strings(source) == [
        (2, "Plain words"),
        (3, 'alt="A picture"'),
        (3, 'value="Send"'),
        (5, 'heading="Resources"'),
        (5, '|default:"Not recorded"'),
    ]


@pytest.mark.parametrize("name", template_names())
def test_every_visible_string_of_the_template_is_marked_for_translation(name):
    found = unmarked_strings((TEMPLATES / name).read_text(encoding="utf-8"))
    assert not found, "Unmarked strings:\n" + "\n".join(
        f"templates/{name}:{line}: {text}" for line, text in found
    )


# --- Python ------------------------------------------------------------------------------


def project_modules() -> list[Path]:
    """The project's Python modules, except migrations, tests and settings."""
    found = []
    for app in ("ncii_cases", "reporting", "policies"):
        for path in sorted((ROOT / app).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            if "/migrations/" in relative or "/management/" in relative:
                continue
            found.append(relative)
    return found


def form_modules() -> list[str]:
    return [m for m in project_modules() if Path(m).name.startswith("forms")]


def project_forms() -> list[type]:
    found = []
    for relative in form_modules():
        module = importlib.import_module(relative[:-3].replace("/", "."))
        for _, value in inspect.getmembers(module, inspect.isclass):
            if (
                issubclass(value, forms.BaseForm)
                and value.__module__ == module.__name__
                and hasattr(value, "base_fields")
            ):
                found.append(value)
    return found


def lazy_or_empty(value) -> bool:
    return value is None or value == "" or isinstance(value, Promise)


def field_problems(form_class) -> list[str]:
    problems = []
    for name, field in form_class.base_fields.items():
        where = f"{form_class.__module__}.{form_class.__name__}.{name}"
        if field.widget.is_hidden or isinstance(field.widget, forms.HiddenInput):
            continue
        if not lazy_or_empty(field.label):
            problems.append(f"{where}: label {field.label!r}")
        if not lazy_or_empty(field.help_text):
            problems.append(f"{where}: help_text {field.help_text!r}")
        for key, message in field.error_messages.items():
            if not lazy_or_empty(message):
                problems.append(f"{where}: error message {key} {message!r}")
        if isinstance(field, forms.ModelChoiceField) or not hasattr(field, "choices"):
            continue
        for value, label in field.choices:
            labels = label if isinstance(label, (list, tuple)) else [(value, label)]
            for _, text in labels:
                if value in ("", None) and text == "---------":
                    continue  # Django's blank choice
                if isinstance(text, str) and not LETTER.search(text):
                    continue
                if not isinstance(text, Promise):
                    problems.append(f"{where}: choice {text!r}")
    return problems


def test_project_has_forms_to_check():
    assert len(project_forms()) > 10


@pytest.mark.parametrize("form_class", project_forms(), ids=lambda c: c.__name__)
def test_form_labels_help_texts_choices_and_errors_are_lazy_translations(form_class):
    problems = field_problems(form_class)
    assert not problems, "Not marked for translation:\n" + "\n".join(problems)


def test_the_form_check_names_a_plain_label():
    class Plain(forms.Form):
        name = forms.CharField(label="Name", help_text="Your name")

    assert field_problems(Plain) == [
        f"{Plain.__module__}.Plain.name: label 'Name'",
        f"{Plain.__module__}.Plain.name: help_text 'Your name'",
    ]


MARKED_KEYWORDS = {"verbose_name", "verbose_name_plural", "label", "help_text", "empty_label"}


def _is_literal_text(node) -> bool:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return bool(LETTER.search(node.value))
    if isinstance(node, ast.JoinedStr):
        return any(_is_literal_text(v) for v in node.values)
    if isinstance(node, ast.BinOp):
        return _is_literal_text(node.left) or _is_literal_text(node.right)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        # "...".format(...)
        return node.func.attr == "format" and _is_literal_text(node.func.value)
    return False


RELATION_FIELDS = {"ForeignKey", "OneToOneField", "ManyToManyField"}


def _choice_labels(node) -> list:
    """The labels of a literal list of (value, label) pairs."""
    if not isinstance(node, (ast.List, ast.Tuple)):
        return []
    return [e.elts[1] for e in node.elts if isinstance(e, ast.Tuple) and len(e.elts) == 2]


def _call_name(node: ast.Call) -> str:
    func = node.func
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Name):
        return func.id
    return ""


MESSAGE_FUNCTIONS = {"debug", "info", "success", "warning", "error", "add_message"}


def _choices_classes(tree) -> set[str]:
    return {
        node.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ClassDef)
        and any(
            (isinstance(b, ast.Attribute) and b.attr in {"TextChoices", "IntegerChoices"})
            or (isinstance(b, ast.Name) and b.id in {"TextChoices", "IntegerChoices"})
            for b in node.bases
        )
    }


def source_problems(source: str) -> list[tuple[int, str]]:
    """(line, text) of the literal user-visible strings of a Python source."""
    tree = ast.parse(source)
    problems = []
    choices = _choices_classes(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef) and node.name in choices:
            for item in node.body:
                if isinstance(item, ast.Assign) and isinstance(item.value, ast.Tuple):
                    label = item.value.elts[-1]
                    if len(item.value.elts) > 1 and _is_literal_text(label):
                        problems.append((label.lineno, f"choice label {ast.unparse(label)}"))
        if not isinstance(node, ast.Call):
            continue
        name = _call_name(node)
        for keyword in node.keywords:
            if keyword.arg in MARKED_KEYWORDS and _is_literal_text(keyword.value):
                problems.append((node.lineno, f"{keyword.arg}={ast.unparse(keyword.value)}"))
            if keyword.arg == "choices":
                for label in _choice_labels(keyword.value):
                    if _is_literal_text(label):
                        problems.append((label.lineno, f"choice label {ast.unparse(label)}"))
        # A model field's first positional argument is its verbose_name.
        if (
            name.endswith("Field")
            and name not in RELATION_FIELDS
            and node.args
            and _is_literal_text(node.args[0])
        ):
            problems.append((node.lineno, f"verbose_name {ast.unparse(node.args[0])}"))
        if name == "ValidationError" and node.args and _is_literal_text(node.args[0]):
            problems.append((node.lineno, f"ValidationError({ast.unparse(node.args[0])})"))
        if name == "add_error" and len(node.args) > 1 and _is_literal_text(node.args[1]):
            problems.append((node.lineno, f"add_error(..., {ast.unparse(node.args[1])})"))
        if (
            name in MESSAGE_FUNCTIONS
            and isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id == "messages"
        ):
            text = node.args[2] if name == "add_message" and len(node.args) > 2 else None
            text = text or (node.args[1] if len(node.args) > 1 else None)
            if text is not None and _is_literal_text(text):
                problems.append((node.lineno, f"messages.{name}({ast.unparse(text)})"))
    return sorted(problems)


def test_the_source_check_names_literal_labels_messages_and_errors():
    source = (
        "from django.db import models\n"
        "class Colour(models.TextChoices):\n"
        "    RED = 'red', 'Red'\n"
        "    BLUE = 'blue', _('Blue')\n"
        "x = forms.CharField(label='Name', help_text=_('Marked'))\n"
        "raise ValidationError(f'Bad {x}')\n"
        "messages.success(request, 'Saved.')\n"
        "messages.error(request, _('Marked.'))\n"
        "form.add_error('name', 'Too long.')\n"
        "f = models.BooleanField('on the roster', choices=[('a', 'Apple'), ('b', _('Pear'))])\n"
        "raise ValidationError('Missing: {}'.format(x))\n"
    )
    assert source_problems(source) == [
        (3, "choice label 'Red'"),
        (5, "label='Name'"),
        (6, "ValidationError(f'Bad {x}')"),
        (7, "messages.success('Saved.')"),
        (9, "add_error(..., 'Too long.')"),
        (10, "choice label 'Apple'"),
        (10, "verbose_name 'on the roster'"),
        (11, "ValidationError('Missing: {}'.format(x))"),
    ]


def _checked_python() -> list[str]:
    return project_modules()


@pytest.mark.parametrize("relative", _checked_python())
def test_python_labels_messages_and_validation_errors_are_marked(relative):
    problems = source_problems((ROOT / relative).read_text(encoding="utf-8"))
    assert not problems, "Not marked for translation:\n" + "\n".join(
        f"{relative}:{line}: {text}" for line, text in problems
    )


def test_model_verbose_names_are_lazy_translations():
    from django.apps import apps

    problems = []
    for model in apps.get_models():
        module = model.__module__.split(".")[0]
        if module not in {"ncii_cases", "reporting", "policies"}:
            continue
        if model._meta.auto_created or model.__name__.startswith("Historical"):
            continue
        for field in model._meta.get_fields():
            if not isinstance(field, models.Field) or field.auto_created:
                continue
            if field.verbose_name and not isinstance(field.verbose_name, Promise):
                explicit = field.name.replace("_", " ") != field.verbose_name
                if explicit:
                    problems.append(f"{model.__name__}.{field.name}: {field.verbose_name!r}")
            for value, label in field.flatchoices or []:
                if isinstance(label, str) and LETTER.search(label):
                    problems.append(f"{model.__name__}.{field.name} choice {value!r}: {label!r}")
    assert not problems, "Not marked for translation:\n" + "\n".join(problems)
