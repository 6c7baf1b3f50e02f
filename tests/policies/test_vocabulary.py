"""The choices in ncii_cases.choices speak the policy's vocabulary (DESIGN.md)."""

import pytest

from ncii_cases import choices


@pytest.mark.parametrize(
    ("choice_class", "values"),
    [
        (choices.NciiKind, {"authentic", "synthetic", "undetermined"}),
        (choices.Conduct, {"distribution", "threat", "creation", "sextortion"}),
        (choices.PartyRole, {"depicted", "respondent", "reporter", "witness", "parent"}),
        (choices.Affiliation, {"student", "employee", "non_affiliated", "unknown"}),
        (choices.Process, {"process_a", "process_b", "referred", "undecided"}),
        (choices.RespondentTrack, {"student", "employee"}),
    ],
    ids=lambda v: getattr(v, "__name__", ""),
)
def test_choices_contain_the_policy_values(choice_class, values):
    assert values <= set(choice_class.values), values - set(choice_class.values)


PROCESS_B_STAGES = [
    "intake",
    "initial_assessment",
    "harm_assessment",
    "interim_actions",
    "investigation",
    "determination",
    "remedies",
    "monitoring",
    "closed",
]


def test_stage_contains_every_process_b_stage_in_order():
    stages = list(choices.Stage.values)
    assert set(PROCESS_B_STAGES) <= set(stages), set(PROCESS_B_STAGES) - set(stages)
    positions = [stages.index(stage) for stage in PROCESS_B_STAGES]
    assert positions == sorted(positions)


def test_closed_is_the_only_stage_not_open():
    assert choices.Stage.CLOSED not in choices.OPEN_STAGES
    assert set(choices.OPEN_STAGES) | {choices.Stage.CLOSED} == set(choices.Stage.values)


def test_informal_resolution_path_exists():
    assert "informal_resolution" in choices.Stage.values
