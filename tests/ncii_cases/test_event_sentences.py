"""Every event type reads as a sentence on the timeline: none falls back to its code."""

import pytest

from ncii_cases.events import BUILDERS, EventType, Names, event_sentence
from ncii_cases.models import CaseEvent

EVERY_TYPE = sorted(v for k, v in vars(EventType).items() if k.isupper())


@pytest.mark.parametrize("event_type", EVERY_TYPE)
def test_every_event_type_has_a_sentence_builder(event_type):
    assert event_type in BUILDERS


def sentence(event_type, detail, *, to_stage="", users=None, actor="Dana Okafor"):
    event = CaseEvent(event_type=event_type, detail=detail, to_stage=to_stage)
    names = Names(users=users or {}, labels={"stage": {"investigation": "Investigation"}})
    return event_sentence(event, names, actor=actor)


@pytest.mark.parametrize(
    ("event_type", "detail", "expected"),
    [
        (
            EventType.LEAD_CHANGED,
            {"from_user_id": 1, "to_user_id": 2},
            "Dana Okafor handed the lead from Morgan Ellery to Sam Reyes",
        ),
        (EventType.LEAD_CHANGED, {"to_user_id": 2}, "Dana Okafor made Sam Reyes the lead"),
        (
            EventType.ASSIGNEE_DEACTIVATED,
            {"user_id": 1, "roles": ["support"]},
            "Dana Okafor ended the assignments of Morgan Ellery (their account was deactivated)",
        ),
        (
            EventType.REDACTION_DECIDED,
            {"kind": "person_name", "decision": "redact", "term_id": 4},
            "Dana Okafor decided a redaction term (person name): redact",
        ),
        (
            EventType.REMINDER_SENT,
            {"clock": "takedown", "when": "overdue", "due": "2026-12-01", "recipients": [1, 2]},
            "Dana Okafor reminded 2 staff members that a takedown request's 48-hour clock "
            "is overdue (due Dec 1, 2026)",
        ),
        (
            EventType.DEADLINE_EXTENDED,
            {
                "clock": "stage",
                "previous_due_at": "2026-12-01T09:00:00",
                "new_due_at": "2026-12-08T09:00:00",
            },
            "Dana Okafor extended the stage's deadline from Dec 1, 2026, 9:00 AM CST to "
            "Dec 8, 2026, 9:00 AM CST",
        ),
    ],
)
def test_new_event_types_read_as_sentences(event_type, detail, expected):
    users = {1: "Morgan Ellery", 2: "Sam Reyes"}
    assert sentence(event_type, detail, users=users) == expected


def test_a_notification_names_the_stage_and_how_many_were_emailed():
    text = sentence(
        EventType.NOTIFICATION_SENT, {"recipients": [3]}, to_stage="investigation", actor="System"
    )
    assert text == "System e-mailed 1 staff member about the move to Investigation"


def test_a_redaction_decision_never_prints_the_term():
    detail = {"kind": "person_name", "decision": "keep", "term_id": 4, "text": "Avery"}
    assert "Avery" not in sentence(EventType.REDACTION_DECIDED, detail)
