"""The rows of the takedown board: each request with its notice and what the board asks for.

Which row carries the 48-hour clock of the TAKE IT DOWN Act (Pub. L. 119-12, sec. 3(a)(3)):
only a covered platform's own route, from a valid notice (``clocks.takedown_clock``). A hash
service (NCMEC's Take It Down, StopNCII) shares a hash with participating platforms and is not
a notice under the Act, so it runs no legal clock. The board therefore asks, for a hash-service
request on a covered platform that has no request on the platform's own route, for the
platform's notice; and for a platform-route request not yet sent, for its notice letter.
Reads only what the case page already loaded; no query.
"""

from dataclasses import dataclass

from .models import TakedownNotice, TakedownRequest

R = TakedownRequest.Route
St = TakedownRequest.Status
HASH_ROUTES = (R.TAKE_IT_DOWN, R.STOPNCII)
# A request in these states asks for nothing more.
SETTLED = (St.REMOVED, St.WAIVED)


@dataclass(frozen=True)
class BoardRow:
    takedown: TakedownRequest
    notice: TakedownNotice | None = None  # the notice in force (platform route only)
    withdrawn_notices: tuple = ()
    # The hash-service request has no platform-route request for the same platform.
    needs_platform_request: bool = False
    # The platform-route request to a covered platform, not yet sent, has no notice yet.
    needs_notice: bool = False

    @property
    def is_hash_service(self) -> bool:
        return self.takedown.route in HASH_ROUTES

    @property
    def notice_to_send(self) -> bool:
        """The notice is ready and the request is not yet (or must again be) submitted: the
        board offers to record it as sent, with the Act's four elements it carries."""
        return (
            self.notice is not None
            and self.takedown.withdrawn_at is None
            and self.takedown.status in (St.TO_DO, St.REFUSED, St.REAPPEARED)
        )


def takedown_board_rows(takedowns, notices) -> list[BoardRow]:
    """One ``BoardRow`` per takedown request (list order kept). ``notices``: the case's
    ``TakedownNotice`` rows the user may see (empty when they may not manage takedowns)."""
    by_request: dict[int, list[TakedownNotice]] = {}
    for notice in notices:
        by_request.setdefault(notice.takedown_id, []).append(notice)
    platform_routes = {
        t.platform_id for t in takedowns if t.route == R.PLATFORM and t.withdrawn_at is None
    }
    rows = []
    for t in takedowns:
        mine = by_request.get(t.pk, [])
        current = [n for n in mine if n.withdrawn_at is None]
        open_ = t.withdrawn_at is None and t.status not in SETTLED
        rows.append(
            BoardRow(
                takedown=t,
                notice=current[-1] if current else None,
                withdrawn_notices=tuple(n for n in mine if n.withdrawn_at is not None),
                needs_platform_request=(
                    open_
                    and t.route in HASH_ROUTES
                    and t.platform.take_it_down_act_covered
                    and t.platform_id not in platform_routes
                ),
                needs_notice=(
                    open_ and t.covered_by_48h_rule and t.status == St.TO_DO and not current
                ),
            )
        )
    return rows
