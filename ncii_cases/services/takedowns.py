"""The takedown tracker: one request per platform, location and depicted person, the route
that fits the person's age in the imagery (``takedown_routes``), and the TAKE IT DOWN Act
clock.

The clock (``clocks.takedown_due_at``, ``TakedownRequest.is_overdue``): a covered platform
must remove the imagery within 48 elapsed hours of a valid request (TAKE IT DOWN Act); a
request through NCMEC's Take It Down or StopNCII carries no statutory clock. What each
status means for the clock: docs/clocks.md.
"""

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from policies.models import Platform

from .. import choices as c
from .. import event_details
from ..audit import case_event_record
from ..clocks import done_in_time, takedown_due_at
from ..dates import dates_check
from ..models import Case, CaseParty, TakedownRequest
from ..permissions import Action
from ..takedown_routes import hash_route_for, route_refusal
from .common import require, require_open, require_same_case, row_add_recorded, stamp
from .corrections import require_version

R = TakedownRequest.Route
St = TakedownRequest.Status


def takedown_route_suggest(depicted_party: CaseParty | None) -> str:
    """Returns the route to suggest when none is chosen: for a named depicted person, the hash
    service that fits their age in the imagery (``takedown_routes.hash_route_for``: Take It
    Down for imagery made under 18 or of unknown age, StopNCII for imagery made at 18 or
    over); with nobody named, the platform's own notice (a hash service is used by the person
    from their own device, so it needs the person)."""
    if depicted_party is None:
        return R.PLATFORM
    return hash_route_for(depicted_party)


@transaction.atomic
def takedown_request_create(
    *,
    actor,
    case: Case,
    platform: Platform,
    location: str,
    depicted_party: CaseParty | None = None,
    route: str | None = None,
    owner=None,
    notes: str = "",
) -> TakedownRequest:
    """Opens a takedown request (status to do) and returns it; the route defaults to the hash
    service that fits the depicted person's age in the imagery. Raises ``ValidationError``
    (keyed "route") for a route that does not fit it (``takedown_routes.route_refusal``:
    StopNCII for imagery not known to be of an adult, Take It Down for imagery of an adult),
    and for a duplicate, a missing location or a person who is not depicted."""
    require(actor, Action.WORK, case)
    require_open(case)
    require_same_case(case, depicted_party)
    if depicted_party is not None and depicted_party.role != c.PartyRole.DEPICTED:
        raise ValidationError(_("A takedown request is made for a depicted person of the case."))
    if owner is not None and owner.district_id != case.district_id:
        raise ValidationError(_("The owner must be staff of the case's district."))
    if not location.strip():
        raise ValidationError(_("Say where it was seen: a link, an account or a group name."))
    route = route or takedown_route_suggest(depicted_party)
    refusal = route_refusal(route, depicted_party)
    if refusal:
        raise ValidationError({"route": refusal})
    duplicate = TakedownRequest.objects.filter(
        case=case,
        platform=platform,
        location=location.strip(),
        depicted_party=depicted_party,
        route=route,
    ).exclude(status=St.WAIVED)
    if duplicate.exists():
        raise ValidationError(_("A request for this platform and location already exists."))
    row = TakedownRequest(
        case=case,
        platform=platform,
        location=location.strip(),
        depicted_party=depicted_party,
        route=route,
        covered_by_48h_rule=platform.take_it_down_act_covered and route == R.PLATFORM,
        owner=owner,
        notes=notes,
    )
    return row_add_recorded(
        row,
        actor,
        lambda row: event_details.takedown_created(
            takedown_id=row.pk,
            platform=platform.slug,
            route=route,
            suggested_route=takedown_route_suggest(depicted_party),
            covered_by_48h_rule=row.covered_by_48h_rule,
        ),
    )


@transaction.atomic
def takedown_request_submit(
    *,
    actor,
    takedown: TakedownRequest,
    submitted_at: dt.datetime | None = None,
    platform_reference: str = "",
    has_signature: bool = False,
    identifies_content: bool = False,
    good_faith_statement: bool = False,
    has_contact_information: bool = False,
    version: int | None = None,
) -> TakedownRequest:
    """Records that the request was sent, with the elements of a valid request it carried,
    and, for a covered platform's own route, starts the 48-hour clock. Such a request must
    carry all four elements of the TAKE IT DOWN Act, or the clock would never start: it is
    refused with what is missing. A request that was refused or reappeared may be submitted
    again."""
    takedown = TakedownRequest.objects.select_for_update().get(pk=takedown.pk)
    require_version(takedown, version)
    require(actor, Action.WORK, takedown.case)
    require_open(takedown.case)
    if takedown.status not in (St.TO_DO, St.REFUSED, St.REAPPEARED):
        raise ValidationError(_("This request has already been submitted or resolved."))
    elements = {
        "has_signature": has_signature,
        "identifies_content": identifies_content,
        "good_faith_statement": good_faith_statement,
        "has_contact_information": has_contact_information,
    }
    missing = [
        str(TakedownRequest._meta.get_field(name).help_text)
        for name, present in elements.items()
        if not present
    ]
    if takedown.covered_by_48h_rule and missing:
        raise ValidationError(
            _(
                "A removal request under the TAKE IT DOWN Act is valid, and its 48-hour clock "
                "starts, only when it has every element. Missing: %(missing)s"
            )
            % {"missing": " ".join(missing)}
        )
    for name, present in elements.items():
        setattr(takedown, name, present)
    dates_check("takedown", {"submitted_at": submitted_at})
    submitted_at = submitted_at or timezone.now()
    takedown.status = St.SUBMITTED
    takedown.submitted_at = submitted_at
    takedown.due_at = takedown_due_at(submitted_at) if takedown.covered_by_48h_rule else None
    takedown.resolved_at = None
    if platform_reference:
        takedown.platform_reference = platform_reference
    stamp(takedown, actor).save()
    case_event_record(
        case=takedown.case,
        actor=actor,
        **event_details.takedown_submitted(
            takedown_id=takedown.pk, submitted_at=submitted_at, due_at=takedown.due_at
        ),
    )
    return takedown


@transaction.atomic
def takedown_request_update(
    *,
    actor,
    takedown: TakedownRequest,
    status: str,
    waiver_reason: str = "",
    note: str = "",
    at: dt.datetime | None = None,
    version: int | None = None,
) -> TakedownRequest:
    """Records what happened: removed, refused, reappeared, or not pursued (with a reason)."""
    takedown = TakedownRequest.objects.select_for_update().get(pk=takedown.pk)
    require_version(takedown, version)
    require(actor, Action.WORK, takedown.case)
    require_open(takedown.case)
    if status not in (St.REMOVED, St.REFUSED, St.REAPPEARED, St.WAIVED):
        raise ValidationError(_("Record removed, refused, reappeared or not pursued."))
    if status == St.WAIVED and not waiver_reason.strip():
        raise ValidationError(_("Give the reason this request is not pursued."))
    at = at or timezone.now()
    old = takedown.status
    takedown.status = status
    takedown.resolved_at = at if status in (St.REMOVED, St.WAIVED) else None
    if status == St.WAIVED:
        takedown.waiver_reason = waiver_reason.strip()
    if note:
        takedown.notes = f"{takedown.notes}\n{note}".strip()
    stamp(takedown, actor).save()
    case_event_record(
        case=takedown.case,
        actor=actor,
        reason=waiver_reason or note,
        **event_details.takedown_status_changed(
            takedown_id=takedown.pk,
            old=old,
            new=status,
            within_48h=(
                takedown.due_at is not None
                and status == St.REMOVED
                and done_in_time(at, takedown.due_at)
            ),
        ),
    )
    return takedown
