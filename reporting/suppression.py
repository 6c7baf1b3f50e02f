"""Small-cell suppression, so that no child can be re-identified from district analytics.

One rule, used by the analytics page, its charts and its CSV export alike:

1. Primary: a count from 1 to 4 is shown as "<5" (0 is shown as 0).
2. Complementary: within one breakdown whose total is shown, the suppressed cells must not be
   recoverable by subtracting the shown cells from the total. While exactly one cell is
   suppressed, or the suppressed cells add up to fewer than 5, the smallest shown non-zero
   cell is hidden too (shown as "hidden": it is 5 or more, and writing "<5" would be false).
   If no shown cell is left to hide, the total is hidden.
3. A rate or a median computed from fewer than 5 cases is not shown; nor is a rate whose
   numerator, or whose complement (denominator minus numerator), is a suppressed count.
"""

from dataclasses import dataclass

THRESHOLD = 5
SUPPRESSED_TEXT = "<5"
HIDDEN_TEXT = "hidden"


@dataclass(frozen=True)
class Cell:
    """One figure as it may be shown: ``value`` is None when suppressed, and ``small`` says
    whether it was suppressed for being 1 to 4 (rather than to protect another cell)."""

    label: str
    value: int | None
    small: bool = False

    @property
    def suppressed(self) -> bool:
        return self.value is None

    @property
    def text(self) -> str:
        if self.value is not None:
            return str(self.value)
        return SUPPRESSED_TEXT if self.small else HIDDEN_TEXT


def _cell(label: str, count: int, hidden: bool) -> Cell:
    if is_small(count):
        return Cell(label, None, small=True)
    return Cell(label, None if hidden else count)


def is_small(count: int) -> bool:
    """Whether a count must be suppressed on its own (1 to 4)."""
    return 0 < count < THRESHOLD


def suppress_count(label: str, count: int) -> Cell:
    """A single count with the primary rule only (for a figure shown without a breakdown)."""
    return _cell(label, count, False)


def suppress_breakdown(
    rows: list[tuple[str, int]], total: int, total_label: str = "Total"
) -> tuple[list[Cell], Cell]:
    """Returns the cells of a breakdown and its total, with primary and complementary
    suppression applied (see the module docstring)."""
    hidden = {i for i, (_, n) in enumerate(rows) if is_small(n)}
    total_hidden = is_small(total)
    if hidden:
        shown = sorted((n, i) for i, (_, n) in enumerate(rows) if i not in hidden and n > 0)
        while len(hidden) == 1 or sum(rows[i][1] for i in hidden) < THRESHOLD:
            if not shown:
                total_hidden = True
                break
            hidden.add(shown.pop(0)[1])
    cells = [_cell(label, n, i in hidden) for i, (label, n) in enumerate(rows)]
    return cells, _cell(total_label, total, total_hidden)


def rate(numerator: int, denominator: int) -> float | None:
    """The share numerator/denominator as a fraction, or None when it must not be shown."""
    if denominator < THRESHOLD or is_small(numerator) or is_small(denominator - numerator):
        return None
    return numerator / denominator
