"""Event types of the case timeline. Each service writes exactly one of these per action."""


class EventType:
    CASE_CREATED = "case_created"
    FACTS_UPDATED = "facts_updated"
    SCHOOL_CHANGED = "school_changed"
    PARTY_ADDED = "party_added"
    PARTY_UPDATED = "party_updated"
    ASSIGNED = "assigned"
    UNASSIGNED = "unassigned"
    TRANSITION = "transition"
    DEMO_STAGE_PLACED = "demo_stage_placed"
