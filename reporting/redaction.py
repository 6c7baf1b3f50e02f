"""Redaction of a case summary for release outside the Title IX office: the scrubber, the
finder of candidates for review, and the redaction profile, in one place.

What is replaced is a closed list of *identifiers of the case's people*, never ordinary words:

- every part of a party's name, of any length, as a whole word, in any case and with or
  without accents or apostrophes ("O'Brien", "OBrien", "o’brien"), hyphenated and compound
  surnames as a whole and by part, possessives ("Rivera's"); a part that is also a common
  English or Spanish word ("Rose", "Young", "Will") is replaced only where it is capitalised;
  particles of compound names ("de", "la", "van") only inside the full name;
- nicknames and online handles recorded for a party, the e-mail addresses and phone numbers of
  parties, and the handles and links recorded in the evidence log and takedown requests;
- terms the reviewer chose to redact.

Beyond these the finder *flags* candidates for a person to decide: capitalised words that are
not common English or Spanish words (by the ``wordfreq`` word-frequency lists), @handles, e-mail
addresses, phone numbers, links, and initials that match a party's ("S.R."). A candidate is
never replaced until someone decides so.

The redaction profile (``REDACTED_PROFILE``) says, for every field of the case summary, whether
it is kept, scrubbed, dropped, or (for names of parties) replaced by the party's role label;
``docs/reporting-pdf.md`` holds the same table, checked by a test.
"""

import calendar
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, fields, is_dataclass, replace
from enum import StrEnum
from functools import lru_cache

NAME_WITHHELD = "[name withheld]"

# Apostrophes and hyphens as people type them.
APOSTROPHES = "'\u2019\u2018\u02bc`\u00b4"
HYPHENS = "-\u2010\u2011\u2012\u2013"
# Titles typed before a name: never a name part themselves; the word after one is a name.
TITLES = {"mr", "mrs", "ms", "miss", "mx", "dr", "prof", "coach", "sr", "sra", "srta", "don"}
# Lowercase particles of compound surnames ("de la Cruz", "van der Berg"): part of the full
# name, never replaced on their own.
PARTICLES = {
    "de", "del", "della", "di", "da", "das", "dos", "du", "la", "le", "las", "los", "van",
    "von", "der", "den", "ter", "ten", "y", "e", "bin", "binti", "al", "el", "mac", "st",
}  # fmt: skip

# How common a word must be (Zipf frequency: log10 of occurrences per billion words, so 3 is
# about once per million words) in English or Spanish to count as an ordinary word. A name
# part at least this common is replaced only where capitalised; a capitalised word at a
# sentence start is flagged only below it.
COMMON_WORD_ZIPF = 3.5
# A full name every part of which is at least this common ("Mark King", "Will May") is a name
# only where capitalised: "mark king moves" is ordinary text. Other full names match in any
# case ("sam rivera", "sam_rivera2011").
FULL_NAME_COMMON_ZIPF = 5.0
# A capitalised word in the middle of a sentence is flagged unless it is this common (function
# words, "I", everyday nouns that start headings).
VERY_COMMON_WORD_ZIPF = 5.5
LANGUAGES = ("en", "es")

# Private-use characters that mark redactions and candidates in a preview; stripped from input.
MARK_OPEN, MARK_SEP, MARK_CLOSE = "\ue000", "\ue001", "\ue002"
CANDIDATE_OPEN, CANDIDATE_SEP, CANDIDATE_CLOSE = "\ue003", "\ue004", "\ue005"
_MARKERS = {ord(ch): None for ch in "\ue000\ue001\ue002\ue003\ue004\ue005"}


class Kind(StrEnum):
    """What an identifier or a candidate is; also the keys of the counts a release records."""

    NAME = "name"
    HANDLE = "handle"
    EMAIL = "email"
    PHONE = "phone"
    URL = "url"
    NUMBER = "number"  # a student or employee number
    INITIALS = "initials"
    WORD = "word"  # a flagged capitalised word
    TERM = "term"  # a term a reviewer chose to redact


KIND_LABELS = {
    Kind.NAME: "names of people",
    Kind.HANDLE: "handles and nicknames",
    Kind.EMAIL: "e-mail addresses",
    Kind.PHONE: "phone numbers",
    Kind.URL: "links",
    Kind.NUMBER: "student or employee numbers",
    Kind.INITIALS: "initials",
    Kind.WORD: "flagged words",
    Kind.TERM: "terms chosen by the reviewer",
}
# What replaces an identifier of each kind that has no party label.
PLACEHOLDERS = {
    Kind.HANDLE: "[handle withheld]",
    Kind.EMAIL: "[email withheld]",
    Kind.PHONE: "[phone withheld]",
    Kind.URL: "[link withheld]",
    Kind.NUMBER: "[number withheld]",
    Kind.INITIALS: "[withheld]",
    Kind.WORD: "[withheld]",
    Kind.TERM: "[withheld]",
}


# --- Folding: how text is compared ------------------------------------------------------


def _fold_char(ch: str) -> str:
    if ch in APOSTROPHES:
        return "'"
    if ch in HYPHENS:
        return "-"
    decomposed = unicodedata.normalize("NFKD", ch.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def fold(text: str) -> str:
    """Text as compared: case folded ("Weiß" is "weiss"), accents dropped ("Zoë" is "zoe"),
    every apostrophe the ASCII one, every hyphen "-", whitespace collapsed."""
    return " ".join("".join(_fold_char(ch) for ch in text).split())


def _fold_with_positions(text: str) -> tuple[str, list[int]]:
    """The folded text (whitespace kept as is) and, for each of its characters, the index of
    the original character it came from."""
    out, positions = [], []
    for index, ch in enumerate(text):
        piece = _fold_char(ch) if not ch.isspace() else ch
        out.append(piece)
        positions.extend([index] * len(piece))
    positions.append(len(text))
    return "".join(out), positions


def _key(text: str) -> str:
    """The lookup key of a spelling: folded, without spaces, apostrophes, hyphens, commas,
    underscores or full stops."""
    return re.sub(r"[\s',\-_.]+", "", fold(text))


@lru_cache(maxsize=20000)
def word_zipf(word: str) -> float:
    """The word's highest Zipf frequency in English and Spanish (0 for an unknown word)."""
    from wordfreq import zipf_frequency

    folded = word.casefold()
    return max(zipf_frequency(folded, lang) for lang in LANGUAGES)


def is_common_word(word: str) -> bool:
    """Whether the word is an ordinary English or Spanish word (see ``COMMON_WORD_ZIPF``)."""
    return word_zipf(word) >= COMMON_WORD_ZIPF


# --- Identifiers ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Identifier:
    """Something that identifies a person of the case: ``text`` as recorded, its ``kind`` and
    the ``label`` that replaces it (a party's role label, or empty for the kind's
    placeholder)."""

    text: str
    kind: Kind
    label: str = ""


@dataclass(frozen=True)
class PartyNames:
    """The names of one party: the label that replaces them, the given and family names as
    recorded (either may be empty), nicknames and handles, e-mail addresses and phones."""

    label: str
    first_name: str = ""
    last_name: str = ""
    aliases: tuple[str, ...] = ()
    emails: tuple[str, ...] = ()
    phones: tuple[str, ...] = ()
    numbers: tuple[str, ...] = ()

    def identifiers(self) -> list[Identifier]:
        """Every identifier of the party, full names first."""
        out: list[Identifier] = []
        first, last = " ".join(self.first_name.split()), " ".join(self.last_name.split())
        if first and last:
            out += [
                Identifier(f"{first} {last}", Kind.NAME, self.label),
                Identifier(f"{last} {first}", Kind.NAME, self.label),
                Identifier(f"{last}, {first}", Kind.NAME, self.label),
            ]
        for name in (first, last):
            if name:
                out.append(Identifier(name, Kind.NAME, self.label))
                out += [Identifier(p, Kind.NAME, self.label) for p in name_parts(name)]
        for alias in self.aliases:
            alias = " ".join(alias.split())
            if alias:
                kind = Kind.HANDLE if alias.startswith("@") or "_" in alias else Kind.NAME
                out.append(Identifier(alias, kind, self.label))
                if alias.startswith("@"):
                    out.append(Identifier(alias[1:], Kind.HANDLE, self.label))
        out += [Identifier(e.strip(), Kind.EMAIL) for e in self.emails if e.strip()]
        out += [Identifier(p, Kind.PHONE) for p in self.phones if _digits(p)]
        out += [Identifier(n.strip(), Kind.NUMBER) for n in self.numbers if len(n.strip()) >= 4]
        return out

    def initials(self) -> str:
        """The party's initials ("SR"), or "" without both names."""
        first, last = (
            self.first_name.split(),
            [w for w in self.last_name.split() if w.casefold() not in PARTICLES],
        )
        if not first or not last:
            return ""
        return (first[0][0] + last[0][0]).upper()


def name_parts(name: str) -> list[str]:
    """The parts of a name that identify on their own: each word and each piece of a
    hyphenated word, of any length, except lowercase particles ("de", "van")."""
    parts = []
    for word in name.split():
        pieces = [word, *re.split("[" + re.escape(HYPHENS) + "]", word)]
        for piece in dict.fromkeys(pieces):
            stripped = piece.strip(APOSTROPHES + ".,")
            if not stripped or (stripped.islower() and stripped in PARTICLES):
                continue
            if stripped.casefold() in TITLES:
                continue
            parts.append(stripped)
    return parts


# People typed as free text ("Sam Rivera, 8th grade", "the teacher", "a 9th-grade student"):
# the words that say the text describes someone rather than naming them.
DESCRIPTION_WORDS = {
    "a", "an", "the", "my", "our", "his", "her", "their", "some", "someone", "somebody",
    "unknown", "unidentified", "anonymous", "student", "students", "teacher", "parent",
    "mother", "father", "friend", "classmate", "boy", "girl", "sender", "account", "person",
    "people", "staff", "member", "grade", "grader", "older", "younger", "ex", "boyfriend",
    "girlfriend", "brother", "sister", "aunt", "uncle", "cousin", "coach", "counselor",
    "neighbour", "neighbor", "guardian", "user", "group", "unnamed", "not", "known", "other",
    "un", "una", "el", "la", "estudiante", "alumno", "alumna",
}  # fmt: skip


def names_in_description(text: str) -> tuple[str, str] | None:
    """The (given, family) name at the head of a person typed as free text, or None when the
    text describes rather than names someone. Conservative: the head (before the first comma,
    bracket, dash or line break) must be one to five words, each capitalised (lowercase
    particles aside), none of them a describing word ("the teacher", "a 9th-grade student",
    "Unknown Student")."""
    head = re.split(r"[,;(\[\n]| [-\u2013\u2014] ", text or "", maxsplit=1)[0]
    words = [w.strip(".") for w in head.split() if w.strip(".")]
    words = [w for w in words if w.casefold() not in TITLES]
    if not 1 <= len(words) <= 5:
        return None
    for index, word in enumerate(words):
        letters = word.strip(APOSTROPHES)
        if not letters or not letters[0].isalpha():
            return None
        if letters.casefold() in DESCRIPTION_WORDS and not (letters.islower() and index):
            return None
        if not letters[0].isupper() and not (index and letters in PARTICLES):
            return None
    if len(words) == 1:
        return words[0], ""
    # A compound family name starts at its first particle ("Ana de la Cruz").
    split = next(
        (i for i, w in enumerate(words) if i and w.islower() and w in PARTICLES), len(words) - 1
    )
    return " ".join(words[:split]), " ".join(words[split:])


def _digits(text: str) -> str:
    digits = re.sub(r"\D", "", text or "")
    if len(digits) == 11 and digits.startswith("1"):
        digits = digits[1:]
    return digits if len(digits) >= 7 else ""


# --- The scrubber ----------------------------------------------------------------------------

# Whole words: no letter or digit before ("0E" is not "E"), no letter after; an underscore
# or digits may follow or precede a name inside a handle ("sam_rivera2011", "x_sam").
_LETTER_BEFORE = r"(?<![^\W_])"
_LETTER_AFTER = r"(?![^\W\d_])"


def _spelling_pattern(folded: str) -> str:
    """A pattern on folded text for one folded spelling: any whitespace between words, an
    apostrophe optional or a space, a hyphen or a space or nothing."""
    out = []
    for ch in folded:
        if ch == " ":
            # Between words: spaces (after an initial's full stop or a comma), or the "_" or
            # "." of a handle or address ("sam_rivera", "sam.rivera").
            out.append(r"(?:\.?,?\s+|[_.])")
        elif ch == "'":
            out.append(r"(?:'|\s?)")
        elif ch == "-":
            out.append(r"(?:-|\s*)")
        elif ch == ",":
            out.append(r",?")
        else:
            out.append(re.escape(ch))
    return "".join(out)


def _common_words_only(folded: str) -> bool:
    """Whether a folded name is made of ordinary words only: one word at least as common as
    ``COMMON_WORD_ZIPF``, or several words each at least as common as
    ``FULL_NAME_COMMON_ZIPF``."""
    words = [w.strip("',.") for w in folded.split()]
    words = [w for w in words if w]
    if len(words) == 1:
        return is_common_word(words[0].replace("'", "").replace("-", ""))
    return all(word_zipf(w) >= FULL_NAME_COMMON_ZIPF for w in words)


def _phone_pattern(digits: str) -> str:
    sep = r"[\s().\-]*"
    return r"(?<!\d)(?:\+?1" + sep + r")?\(?" + sep.join(digits) + r"(?!\d)"


@dataclass(frozen=True)
class Segment:
    """A piece of scrubbed text: ``text`` as written, and for a redaction its ``kind`` and
    ``replacement``."""

    text: str
    kind: Kind | None = None
    replacement: str = ""

    @property
    def output(self) -> str:
        return self.replacement if self.kind else self.text


@dataclass(frozen=True)
class Candidate:
    """A flagged piece of text for a person to decide on: as written, its lookup key, kind."""

    text: str
    key: str
    kind: Kind

    @property
    def kind_label(self) -> str:
        return CANDIDATE_LABELS.get(self.kind, str(self.kind))


# How a flagged candidate is described to the reviewer.
CANDIDATE_LABELS = {
    Kind.WORD: "a capitalised word that is not a common word: a name?",
    Kind.HANDLE: "an online handle",
    Kind.EMAIL: "an e-mail address",
    Kind.PHONE: "a phone number",
    Kind.URL: "a link",
    Kind.INITIALS: "initials of a person of the case",
}


class Scrubber:
    """Replaces the given identifiers inside free text (see the module docstring) and counts
    what it replaced, per kind, in ``counts``. ``kept`` holds keys (``candidate_key``) of
    candidates a reviewer chose to keep; ``ordinary`` words (platform and school names) are
    never flagged; ``initials`` are parties' initials to flag."""

    def __init__(
        self,
        identifiers: list[Identifier],
        *,
        kept: set[str] = frozenset(),
        ordinary: set[str] = frozenset(),
        initials: set[str] = frozenset(),
    ):
        self.counts: Counter[str] = Counter()
        self.kept = set(kept)
        self.ordinary = {fold(w) for w in ordinary}
        self.initials = {i for i in initials if len(i) >= 2}
        self._targets: dict[str, tuple[Kind, str, bool]] = {}
        self._phones: dict[str, tuple[Kind, str]] = {}
        patterns: dict[str, None] = {}  # names and terms
        exact: dict[str, None] = {}  # addresses, links, handles, numbers, phones: tried first
        for ident in identifiers:
            text = ident.text.translate(_MARKERS).strip()
            if not text:
                continue
            replacement = ident.label or PLACEHOLDERS.get(ident.kind, NAME_WITHHELD)
            if ident.kind == Kind.PHONE:
                digits = _digits(text)
                if digits:
                    self._add(self._phones, digits, ident.kind, replacement)
                    exact[_phone_pattern(digits)] = None
                continue
            folded = fold(text)
            key = _key(text)
            capitalized_only = ident.kind == Kind.NAME and _common_words_only(folded)
            previous = self._targets.get(key)
            if previous is not None:
                capitalized_only = capitalized_only and previous[2]
                if previous[1] != replacement:
                    replacement = NAME_WITHHELD if ident.kind == Kind.NAME else "[withheld]"
            self._targets[key] = (ident.kind, replacement, capitalized_only)
            if ident.kind in (Kind.EMAIL, Kind.URL, Kind.NUMBER) or folded.startswith("@"):
                start = r"(?<![\w@.])" if folded.startswith("@") else r"(?<![\w.@])"
                exact[start + re.escape(folded) + r"(?![\w@])"] = None
            else:
                patterns[_LETTER_BEFORE + _spelling_pattern(folded) + _LETTER_AFTER] = None
        # Longest first, so that a full name wins over its parts and an e-mail over a name.
        ordered = sorted(exact, key=len, reverse=True) + sorted(patterns, key=len, reverse=True)
        self._pattern = re.compile("|".join(ordered)) if ordered else None

    @staticmethod
    def _add(table, key, kind, replacement):
        previous = table.get(key)
        if previous is not None and previous[1] != replacement:
            replacement = "[withheld]"
        table[key] = (kind, replacement)

    def _lookup(self, original: str) -> tuple[Kind, str] | None:
        digits = _digits(original) if re.fullmatch(r"[\d\s().+\-]+", original) else ""
        if digits and digits in self._phones:
            return self._phones[digits]
        target = self._targets.get(_key(original))
        if target is None:
            return None
        kind, replacement, capitalized_only = target
        if capitalized_only and not original[:1].isupper():
            return None
        return kind, replacement

    def segments(self, text: str | None, *, count: bool = True) -> list[Segment]:
        """The text cut into kept pieces and redactions (counted in ``counts`` unless
        ``count`` is false)."""
        text = (text or "").translate(_MARKERS)
        if not text or self._pattern is None:
            return [Segment(text)] if text else []
        folded, positions = _fold_with_positions(text)
        out: list[Segment] = []
        done = 0
        for match in self._pattern.finditer(folded):
            start, end = positions[match.start()], positions[match.end() - 1] + 1
            # Accents typed as separate combining marks belong to the letter before them.
            while end < len(text) and unicodedata.combining(text[end]):
                end += 1
            if start < done:
                continue
            original = text[start:end]
            found = self._lookup(original)
            if found is None:
                continue
            kind, replacement = found
            if start > done:
                out.append(Segment(text[done:start]))
            out.append(Segment(original, kind, replacement))
            if count:
                self.counts[kind] += 1
            done = end
        if done < len(text):
            out.append(Segment(text[done:]))
        return out

    def __call__(self, text: str | None) -> str:
        """The text with every identifier replaced."""
        return "".join(s.output for s in self.segments(text))

    def marked(self, text: str | None) -> str:
        """The scrubbed text with redactions and candidates wrapped in private-use marks, for
        the review preview (``reporting`` turns them into HTML after escaping)."""
        out = []
        for segment in self.segments(text):
            if segment.kind:
                out.append(f"{MARK_OPEN}{segment.kind}{MARK_SEP}{segment.replacement}{MARK_CLOSE}")
            else:
                out.append(self._mark_candidates(segment.text))
        return "".join(out)

    def _mark_candidates(self, text: str) -> str:
        out, done = [], 0
        for start, end, candidate in self._candidate_spans(text):
            out.append(text[done:start])
            out.append(
                f"{CANDIDATE_OPEN}{candidate.key}{CANDIDATE_SEP}{text[start:end]}{CANDIDATE_CLOSE}"
            )
            done = end
        out.append(text[done:])
        return "".join(out)

    def candidates(self, text: str | None) -> list[Candidate]:
        """The flagged candidates in the parts of the text the scrubber leaves as they are,
        less those a reviewer kept."""
        out = []
        for segment in self.segments(text, count=False):
            if not segment.kind:
                out += [c for _, _, c in self._candidate_spans(segment.text)]
        return out

    def _candidate_spans(self, text: str):
        spans = []
        taken: list[tuple[int, int]] = []

        def add(start, end, kind):
            if any(start < e and s < end for s, e in taken):
                return
            written = text[start:end]
            key = candidate_key(written, kind)
            if key in self.kept or not key:
                return
            taken.append((start, end))
            spans.append((start, end, Candidate(written, key, kind)))

        for kind, regex in _CANDIDATE_PATTERNS:
            for match in regex.finditer(text):
                start, end = match.span()
                while end > start and text[end - 1] in ".,;:!?)'\"\u2019":
                    end -= 1
                add(start, end, kind)
        for match in _INITIALS.finditer(text):
            letters = re.sub(r"[\s.]", "", match.group(0))
            if letters in self.initials:
                add(*match.span(), Kind.INITIALS)
        for match in _WORD.finditer(text):
            if self._is_flagged_word(text, match):
                add(*match.span(1), Kind.WORD)
        return sorted(spans, key=lambda s: s[0])

    def _is_flagged_word(self, text: str, match) -> bool:
        word = match.group(1)
        if not word[:1].isupper() or (len(word) > 1 and word.isupper()):
            return False  # lowercase, or an acronym such as "NCMEC"
        if len(word) == 1 and text[match.end() : match.end() + 1] != ".":
            return False  # a letter such as "Process B"; an initial has its full stop
        folded = fold(word)
        if folded in TITLES or folded in self.ordinary or folded in _CALENDAR:
            return False
        before = text[: match.start()].rstrip(" \t\"'\u201c\u2018(")
        previous_word = re.search(r"([^\W\d_]+)\.?$", before)
        if previous_word and fold(previous_word.group(1)) in TITLES:
            return True  # "Ms. Lee": the word after a title is a name
        pieces = [p for p in re.split(r"[-']", folded) if p and p != "s"]
        sentence_start = not before or before[-1] in ".!?:;\n\u2022"
        threshold = COMMON_WORD_ZIPF if sentence_start else VERY_COMMON_WORD_ZIPF
        return any(word_zipf(p) < threshold for p in pieces)


_CALENDAR = {
    fold(n)
    for n in (*calendar.day_name, *calendar.month_name, *calendar.day_abbr, *calendar.month_abbr)
    if n
}
_CANDIDATE_PATTERNS = [
    (Kind.URL, re.compile(r"\b(?:https?://|www\.)[^\s<>\"]+", re.IGNORECASE)),
    (Kind.EMAIL, re.compile(r"[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+")),
    (Kind.HANDLE, re.compile(r"(?<![\w@])@[\w.]{2,}")),
    (
        Kind.PHONE,
        re.compile(r"(?<![\d\w])(?:\+?1[\s.\-]?)?(?:\(?\d{3}\)?[\s.\-]?)?\d{3}[\s.\-]\d{4}(?!\d)"),
    ),
]
_INITIALS = re.compile(r"(?<![\w.])[A-Z]\.?\s?[A-Z]\.?(?![\w])")
_WORD = re.compile(r"(?<![\w@'\u2019])([^\W\d_][\w'\u2019\-]*)")


def candidate_key(text: str, kind: Kind | str = Kind.WORD) -> str:
    """How a candidate or a reviewer's term is recorded and compared: folded, and for a word
    without a possessive "'s"."""
    if kind == Kind.PHONE:
        return _digits(text)
    folded = fold(text).strip(".,;:!?")
    if kind in (Kind.WORD, Kind.NAME, Kind.TERM) and folded.endswith("'s"):
        folded = folded[:-2]
    if kind == Kind.INITIALS:
        folded = re.sub(r"[\s.]", "", folded)
    return folded


# --- The redaction profile -------------------------------------------------------------------


class Rule(StrEnum):
    """What the redacted profile does with one field of the summary."""

    KEEP = "keep"  # shown as it is: labels of choices, dates, counts, catalog names
    SCRUB = "scrub"  # free text: shown with every identifier replaced
    LABEL = "label"  # a party's name: shown as the party's role label
    DROP = "drop"  # left out


@dataclass(frozen=True)
class FieldRule:
    rule: Rule
    label: str  # the field as a reader of the summary knows it


def _p(rule, label):
    return FieldRule(Rule(rule), label)


# Every field of ``reporting.summary.CaseSummary`` and of its rows, as "section.field".
# A field missing here is dropped from the redacted summary (and a test fails).
REDACTED_PROFILE: dict[str, FieldRule] = {
    "profile": _p("keep", "Profile"),
    "case_id": _p("keep", "Case id"),
    "district_id": _p("keep", "District id"),
    "district": _p("keep", "District"),
    "time_zone": _p("keep", "Time zone"),
    "reference": _p("keep", "Reference"),
    "title": _p("scrub", "Short label"),
    "school": _p("keep", "School"),
    "stage": _p("keep", "Stage"),
    "process": _p("keep", "Process"),
    "track": _p("keep", "Respondent track"),
    "priority": _p("keep", "Priority"),
    "reported_at": _p("keep", "Reported"),
    "occurred_at": _p("keep", "Occurred"),
    "closed_at": _p("keep", "Closed"),
    "reporter": _p("label", "Reporter's name"),
    "reported_by": _p("scrub", "Who told us (role or description)"),
    "facts": _p("scrub", "Facts (how reported, kind, conduct, where, when, reach, platforms)"),
    "narrative": _p("scrub", "What was reported"),
    "jurisdiction": _p("keep", "Jurisdiction decision"),
    "jurisdiction_facts": _p("scrub", "Jurisdiction: facts relied on"),
    "jurisdiction_reasoning": _p("scrub", "Jurisdiction: reasoning"),
    "routing_reasoning": _p("scrub", "Routing reasons"),
    "referred_to": _p("scrub", "Referred to"),
    "closure_summary": _p("scrub", "Closure"),
    "withheld": _p("keep", "Sections withheld for the requester's role"),
    "parties.label": _p("label", "Party: name"),
    "parties.role": _p("keep", "Party: role"),
    "parties.affiliation": _p("keep", "Party: affiliation"),
    "parties.minor": _p("keep", "Party: under 18"),
    "parties.school": _p("keep", "Party: school"),
    "parties.grade": _p("keep", "Party: grade"),
    "parties.email": _p("drop", "Party: e-mail"),
    "parties.phone": _p("drop", "Party: phone"),
    "parties.student_number": _p("drop", "Party: student or employee number"),
    "parties.notes": _p("scrub", "Party: notes"),
    "parties.withdrawn": _p("scrub", "Party: withdrawn (when and why)"),
    "parties.authority": _p("drop", "Party: a guardian's legal authority and court orders"),
    "harm.level": _p("keep", "Harm: level"),
    "harm.completed_at": _p("keep", "Harm: completed"),
    "harm.factors": _p("scrub", "Harm: factors"),
    "harm.answers": _p("keep", "Harm: answers"),
    "harm.impact_statement": _p("scrub", "Harm: impact statement"),
    "measures.party": _p("label", "Measure: for"),
    "measures.kind": _p("keep", "Measure: kind"),
    "measures.measure": _p("scrub", "Measure: measure"),
    "measures.description": _p("scrub", "Measure: description"),
    "measures.status": _p("keep", "Measure: status"),
    "measures.choice": _p("keep", "Measure: their choice"),
    "measures.starts_on": _p("keep", "Measure: starts"),
    "measures.review_on": _p("keep", "Measure: review"),
    "measures.withdrawn": _p("scrub", "Measure: withdrawn (when and why)"),
    "remedies.party": _p("label", "Remedy: for"),
    "remedies.kind": _p("keep", "Remedy: kind"),
    "remedies.measure": _p("scrub", "Remedy: measure"),
    "remedies.description": _p("scrub", "Remedy: description"),
    "remedies.status": _p("keep", "Remedy: status"),
    "remedies.choice": _p("keep", "Remedy: their choice"),
    "remedies.starts_on": _p("keep", "Remedy: starts"),
    "remedies.review_on": _p("keep", "Remedy: review"),
    "remedies.withdrawn": _p("scrub", "Remedy: withdrawn (when and why)"),
    "takedowns.platform": _p("keep", "Takedown: platform"),
    "takedowns.location": _p("drop", "Takedown: where (link, handle, group)"),
    "takedowns.route": _p("keep", "Takedown: route"),
    "takedowns.depicted": _p("label", "Takedown: for"),
    "takedowns.status": _p("keep", "Takedown: status"),
    "takedowns.submitted_at": _p("keep", "Takedown: submitted"),
    "takedowns.due_at": _p("keep", "Takedown: due"),
    "takedowns.resolved_at": _p("keep", "Takedown: resolved"),
    "takedowns.clock": _p("keep", "Takedown: clock"),
    "takedowns.reference": _p("keep", "Takedown: platform reference"),
    "takedowns.notes": _p("scrub", "Takedown: notes"),
    "takedowns.notice": _p("scrub", "Takedown: platform notice (when, signed by staff)"),
    "takedowns.notice_authorized_by": _p("drop", "Takedown: notice authorized by (name)"),
    "reports.agency": _p("keep", "External report: agency"),
    "reports.status": _p("keep", "External report: status"),
    "reports.triggered_at": _p("keep", "External report: triggered"),
    "reports.due_at": _p("keep", "External report: due"),
    "reports.reported_at": _p("keep", "External report: made"),
    "reports.reported_by": _p("keep", "External report: made by (staff)"),
    "reports.reference": _p("keep", "External report: reference"),
    "reports.contact": _p("drop", "External report: agency contact"),
    "reports.explanation": _p("scrub", "External report: explanation"),
    "reports.clock": _p("keep", "External report: clock (due time and time left)"),
    "evidence.description": _p("scrub", "Evidence: description"),
    "evidence.where": _p("scrub", "Evidence: where seen (platform and group; no handle or link)"),
    "evidence.account": _p("drop", "Evidence: account handle and link"),
    "evidence.seen_at": _p("keep", "Evidence: seen"),
    "evidence.device_holder": _p("scrub", "Evidence: device held by"),
    "evidence.recorded_at": _p("keep", "Evidence: recorded"),
    "evidence.withdrawn": _p("scrub", "Evidence: withdrawn (when and why)"),
    "determinations.respondent": _p("label", "Determination: respondent"),
    "determinations.finding": _p("keep", "Determination: finding"),
    "determinations.standard": _p("keep", "Determination: standard of evidence"),
    "determinations.rationale": _p("scrub", "Determination: rationale"),
    "determinations.decided_by": _p("keep", "Determination: decided by (staff)"),
    "determinations.decided_at": _p("keep", "Determination: decided"),
    "sanctions.respondent": _p("label", "Sanction: respondent"),
    "sanctions.intervention": _p("keep", "Sanction: intervention"),
    "sanctions.details": _p("scrub", "Sanction: details"),
    "sanctions.status": _p("keep", "Sanction: status"),
    "sanctions.starts_on": _p("keep", "Sanction: starts"),
    "sanctions.ends_on": _p("keep", "Sanction: ends"),
    "sanctions.withdrawn": _p("scrub", "Sanction: withdrawn (when and why)"),
    "offers.party": _p("label", "Resolution option: offered to"),
    "offers.option": _p("keep", "Resolution option: option"),
    "offers.choice": _p("keep", "Resolution option: choice"),
    "offers.notes": _p("scrub", "Resolution option: notes"),
    "deadlines": _p("keep", "Due dates and time limits (clock names and times)"),
    "extensions": _p("scrub", "Time limits extended for good cause (with reason and notice)"),
    "timeline.at": _p("keep", "Timeline: when"),
    "timeline.what": _p("scrub", "Timeline: what happened (parties by role label)"),
    "timeline.day": _p("keep", "Timeline: day"),
    "notices.kind": _p("keep", "Notice: kind"),
    "notices.about": _p("label", "Notice: about"),
    "notices.recipient": _p("drop", "Notice: to whom"),
    "notices.method": _p("keep", "Notice: how"),
    "notices.sent_at": _p("keep", "Notice: when"),
    "notices.sent_by": _p("keep", "Notice: by (staff)"),
    "notices.summary": _p("scrub", "Notice: what was said or sent"),
    "notices.withdrawn": _p("scrub", "Notice: withdrawn (when and why)"),
    "support_response.party": _p("label", "Support offered: person shown"),
    "support_response.offered": _p("scrub", "Support offered: measures and choices"),
    "support_response.reason": _p("scrub", "Support offered: reason none was offered"),
    "support_response.status": _p("keep", "Support offered: status"),
    "parent_decisions.party": _p("label", "Parent notification: about"),
    "parent_decisions.decision": _p("keep", "Parent notification: decision"),
    "parent_decisions.delay_until": _p("keep", "Parent notification: delayed until"),
    "parent_decisions.student_wishes": _p("drop", "Parent notification: the student's wishes"),
    "parent_decisions.risks": _p("drop", "Parent notification: risks weighed"),
    "parent_decisions.explanation": _p("drop", "Parent notification: reasons"),
    "parent_decisions.approved_by": _p("keep", "Parent notification: approved by (staff)"),
    "parent_decisions.review_on": _p("keep", "Parent notification: review"),
    "parent_decisions.decided_at": _p("keep", "Parent notification: decided"),
    "parent_decisions.withdrawn": _p("scrub", "Parent notification: withdrawn (when and why)"),
    "documents.title": _p("drop", "Document: title (internal summary only)"),
    "documents.content_type": _p("drop", "Document: type"),
    "documents.size": _p("drop", "Document: size"),
    "documents.sha256": _p("drop", "Document: SHA-256"),
    "documents.uploaded_by": _p("drop", "Document: attached by"),
    "documents.uploaded_at": _p("drop", "Document: attached"),
    "documents.withdrawn": _p("drop", "Document: withdrawn"),
    "timeline.actor": _p("keep", "Timeline: who (staff)"),
    "timeline.reason": _p("scrub", "Timeline: reason"),
    "appeals.subject": _p("keep", "Appeal: of what"),
    "appeals.appellant": _p("label", "Appeal: by"),
    "appeals.grounds": _p("keep", "Appeal: grounds (catalog names)"),
    "appeals.statement": _p("scrub", "Appeal: the appellant's grounds in their words"),
    "appeals.filed_at": _p("keep", "Appeal: received"),
    "appeals.window_closed_at": _p("keep", "Appeal: window closed"),
    "appeals.sanctions_stayed": _p("keep", "Appeal: sanctions stayed"),
    "appeals.decision_maker": _p("keep", "Appeal: decision-maker (staff)"),
    "appeals.response_from": _p("label", "Appeal: response from"),
    "appeals.response": _p("scrub", "Appeal: the other party's response"),
    "appeals.response_at": _p("keep", "Appeal: response received"),
    "appeals.outcome": _p("keep", "Appeal: outcome"),
    "appeals.rationale": _p("scrub", "Appeal: rationale"),
    "appeals.decided_by": _p("keep", "Appeal: decided by (staff)"),
    "appeals.decided_at": _p("keep", "Appeal: decided"),
    "appeals.parties_notified_at": _p("keep", "Appeal: both parties notified"),
    "milestones.step": _p("keep", "Process A: step"),
    "milestones.occurred_at": _p("keep", "Process A: when"),
    "milestones.note": _p("scrub", "Process A: note"),
    "milestones.recorded_by": _p("keep", "Process A: recorded by (staff)"),
}


class PartyName(str):
    """A party's name as the internal summary shows it, carrying the role label that the
    redacted profile shows instead (``Rule.LABEL``)."""

    label: str

    def __new__(cls, name: str, label: str):
        value = super().__new__(cls, name)
        value.label = label
        return value


def _scrub_value(value, scrub):
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], str):
        return (value[0], _scrub_value(value[1], scrub))  # (label, value): labels are ours
    if isinstance(value, list):
        return [_scrub_value(v, scrub) for v in value]
    return value


def _empty(value):
    if isinstance(value, str):
        return ""
    if isinstance(value, list | tuple | dict):
        return type(value)()
    return None


def _label_value(value):
    if isinstance(value, PartyName):
        return value.label
    return value


def profile_apply(summary, scrub, *, profile: dict[str, FieldRule] = REDACTED_PROFILE):
    """Returns a copy of the summary (a dataclass tree) with every field treated by its rule:
    kept, scrubbed with ``scrub`` (a callable on text; of a (label, value) pair, the value),
    labelled or dropped (emptied). A field
    without a rule is dropped. Lists of dataclass rows are treated row by row, with the
    section name as prefix ("parties.email")."""

    def walk(obj, prefix: str):
        changes = {}
        for f in fields(obj):
            value = getattr(obj, f.name)
            name = f"{prefix}{f.name}"
            if isinstance(value, list) and value and is_dataclass(value[0]):
                changes[f.name] = [walk(row, f"{name}.") for row in value]
                continue
            if is_dataclass(value):
                changes[f.name] = walk(value, f"{name}.")
                continue
            rule = profile.get(name)
            kind = rule.rule if rule else Rule.DROP
            if kind == Rule.SCRUB:
                changes[f.name] = _scrub_value(value, scrub)
            elif kind == Rule.LABEL:
                changes[f.name] = _label_value(value)
            elif kind == Rule.DROP:
                changes[f.name] = _empty(value)
        return replace(obj, **changes)

    return walk(summary, "")


def profile_markdown_table(profile: dict[str, FieldRule] = REDACTED_PROFILE) -> str:
    """The profile as the Markdown table of ``docs/reporting-pdf.md``."""
    words = {
        Rule.KEEP: "kept",
        Rule.SCRUB: "scrubbed (identifiers replaced)",
        Rule.LABEL: "role label instead of the name",
        Rule.DROP: "left out",
    }
    lines = ["| Field | Summary field | In the redacted summary |", "| --- | --- | --- |"]
    for name, rule in profile.items():
        lines.append(f"| {rule.label} | `{name}` | {words[rule.rule]} |")
    return "\n".join(lines)
