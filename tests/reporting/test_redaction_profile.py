"""The redaction profile is the one rule of what the redacted summary keeps, scrubs, labels and
drops: every field of the summary has a rule, the rules are applied as written, and the table
in docs/reporting-pdf.md is the profile's."""

import dataclasses
import datetime as dt
import re
import typing
from pathlib import Path

import pytest

from reporting import summary as summary_module
from reporting.redaction import (
    REDACTED_PROFILE,
    PartyName,
    Rule,
    profile_apply,
    profile_markdown_table,
)
from reporting.summary import CaseSummary

DOC = Path(__file__).resolve().parents[2] / "docs" / "reporting-pdf.md"


def summary_field_names(cls=CaseSummary, prefix="") -> set[str]:
    """Every field of the summary and of its rows, as "section.field"."""
    hints = typing.get_type_hints(cls, vars(summary_module))
    names = set()
    for f in dataclasses.fields(cls):
        hint = hints[f.name]
        inner = [a for a in typing.get_args(hint) if dataclasses.is_dataclass(a)]
        if dataclasses.is_dataclass(hint):
            inner = [hint]
        if inner:
            names |= summary_field_names(inner[0], f"{prefix}{f.name}.")
        else:
            names.add(f"{prefix}{f.name}")
    return names


def test_every_field_of_the_summary_has_a_rule_and_every_rule_a_field():
    assert summary_field_names() == set(REDACTED_PROFILE)


def test_the_documentation_holds_the_profile_table():
    text = DOC.read_text()
    block = re.search(
        r"<!-- redaction-profile:start -->\n(.*?)\n<!-- redaction-profile:end -->", text, re.S
    )
    assert block, "docs/reporting-pdf.md lost its redaction-profile markers"
    assert block.group(1) == profile_markdown_table(), (
        "docs/reporting-pdf.md is out of date: paste the output of "
        "reporting.redaction.profile_markdown_table() between the markers"
    )


def summary(**changes) -> CaseSummary:
    base = {f.name: "" for f in dataclasses.fields(CaseSummary) if f.default is dataclasses.MISSING}
    base.update(
        case_id=1,
        district_id=1,
        reported_at=None,
        occurred_at=None,
        closed_at=None,
        facts=[("Reported via", "a call from Sam")],
    )
    base.update(changes)
    return CaseSummary(**base)


@pytest.mark.parametrize("rule", list(Rule))
def test_each_rule_does_what_it_says(rule):
    profile = {**REDACTED_PROFILE}
    profile["narrative"] = dataclasses.replace(profile["narrative"], rule=rule)
    source = summary(narrative=PartyName("Sam Rivera", "Complainant"))
    out = profile_apply(source, lambda text: text.replace("Sam", "[x]"), profile=profile)
    assert (
        out.narrative
        == {
            Rule.KEEP: "Sam Rivera",
            Rule.SCRUB: "[x] Rivera",
            Rule.LABEL: "Complainant",
            Rule.DROP: "",
        }[rule]
    )
    # Pairs of (label, value): only the value is scrubbed.
    assert out.facts == [("Reported via", "a call from [x]")]


def test_a_field_without_a_rule_is_dropped():
    profile = {k: v for k, v in REDACTED_PROFILE.items() if k != "narrative"}
    out = profile_apply(summary(narrative="Sam Rivera"), str, profile=profile)
    assert out.narrative == ""


def test_rows_are_treated_field_by_field():
    from reporting.summary import SummaryParty

    row = SummaryParty(
        label=PartyName("Sam Rivera", "Complainant"),
        role="Depicted person",
        affiliation="Student",
        minor="Under 18",
        email="sam@example.org",
        phone="555-0100",
        student_number="S123",
        notes="Sam asked for a quiet room",
    )
    out = profile_apply(summary(parties=[row], reported_at=dt.datetime(2026, 1, 1)), str.upper)
    (party,) = out.parties
    assert (party.label, party.email, party.phone, party.student_number) == (
        "Complainant",
        "",
        "",
        "",
    )
    assert party.notes == "SAM ASKED FOR A QUIET ROOM" and party.role == "Depicted person"
    assert out.reported_at == dt.datetime(2026, 1, 1)
