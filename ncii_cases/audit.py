"""Writing the case timeline. Every service calls ``case_event_record`` inside its own
transaction, so that a change and its event row commit or fail together."""

from django.utils import timezone

from .models import Case, CaseEvent


def case_event_record(
    *,
    case: Case,
    actor,
    event_type: str,
    from_stage: str = "",
    to_stage: str = "",
    reason: str = "",
    detail: dict | None = None,
) -> CaseEvent:
    """Appends one event to the case's timeline and returns it."""
    return CaseEvent.objects.create(
        case=case,
        actor=actor if getattr(actor, "pk", None) else None,
        event_type=event_type,
        from_stage=from_stage,
        to_stage=to_stage,
        reason=reason,
        detail=detail or {},
        created_at=timezone.now(),
    )
