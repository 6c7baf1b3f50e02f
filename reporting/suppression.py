"""Small-cell suppression, so that no child can be re-identified from analytics that leave the
Title IX office (the CSV export, the board report) or reach someone who may not read every
case counted (a school administrator's view of their schools).

One rule, used by every suppressed presentation alike:

1. Primary: a count from 1 to 4 is shown as "<5" (0 is shown as 0).
2. Complementary: within one breakdown whose total is shown, the suppressed cells must not be
   recoverable by subtracting the shown cells from the total. While exactly one cell is
   suppressed, or the suppressed cells add up to fewer than 5, the smallest shown non-zero
   cell is hidden too (shown as "hidden": it is 5 or more, and writing "<5" would be false).
   If no shown cell is left to hide, the total is hidden.
3. A rate or a median computed from fewer than 5 cases is not shown; nor is a rate whose
   numerator, or whose complement (denominator minus numerator), is a suppressed count.
4. A table by month (``suppress_table``) applies rule 2 along each row whose total is shown
   and along each column (whose total is shown elsewhere), until no suppressed cell can be
   recovered from either.

The coordinator's own page is exact (``exact_breakdown``): she may read every case of the
district anyway, so the counts tell her nothing she could not look up.
"""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

THRESHOLD = 5
SUPPRESSED_TEXT = "<5"
HIDDEN_TEXT = _("hidden")


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
        return SUPPRESSED_TEXT if self.small else str(HIDDEN_TEXT)


def _cell(label: str, count: int, hidden: bool) -> Cell:
    if is_small(count):
        return Cell(label, None, small=True)
    return Cell(label, None if hidden else count)


def is_small(count: int) -> bool:
    """Whether a count must be suppressed on its own (1 to 4)."""
    return 0 < count < THRESHOLD


def exact_breakdown(
    rows: list[tuple[str, int]], total: int, total_label: str = "Total"
) -> tuple[list[Cell], Cell]:
    """Returns the cells of a breakdown and its total, every count shown as it is."""
    return [Cell(label, n) for label, n in rows], Cell(total_label, total)


def _complement(counts: list[int], hidden: set[int]) -> int | None:
    """The index of the next cell to hide so that the hidden cells of one line cannot be
    recovered from its total, or None if none is needed; -1 if no cell is left to hide."""
    if not hidden:
        return None
    if len(hidden) > 1 and sum(counts[i] for i in hidden) >= THRESHOLD:
        return None
    shown = sorted((n, i) for i, n in enumerate(counts) if i not in hidden and n > 0)
    return shown[0][1] if shown else -1


def suppress_breakdown(
    rows: list[tuple[str, int]], total: int, total_label: str = "Total"
) -> tuple[list[Cell], Cell]:
    """Returns the cells of a breakdown and its total, with primary and complementary
    suppression applied (see the module docstring)."""
    counts = [n for _, n in rows]
    hidden = {i for i, n in enumerate(counts) if is_small(n)}
    total_hidden = is_small(total)
    while (more := _complement(counts, hidden)) is not None:
        if more < 0:
            total_hidden = True
            break
        hidden.add(more)
    cells = [_cell(label, n, i in hidden) for i, (label, n) in enumerate(rows)]
    return cells, _cell(total_label, total, total_hidden)


def suppress_table(
    counts: list[list[int]], row_total_shown: list[bool], labels: list[str]
) -> list[list[Cell]]:
    """Returns the cells of a table (rows of counts under ``labels``) with rule 4 applied:
    primary suppression, then complementary suppression along every row whose total is shown
    (``row_total_shown``) and along every column, repeated until nothing changes. A row
    whose total is not shown hides all its non-zero cells (its total could otherwise be
    added up)."""
    hidden = {
        (r, k)
        for r, row in enumerate(counts)
        for k, n in enumerate(row)
        if is_small(n) or (n and not row_total_shown[r])
    }
    columns = range(len(labels))
    changed = True
    while changed:
        changed = False
        lines = [[(r, k) for k in columns] for r in range(len(counts)) if row_total_shown[r]]
        lines += [[(r, k) for r in range(len(counts))] for k in columns]
        for line in lines:
            values = [counts[r][k] for r, k in line]
            held = {i for i, key in enumerate(line) if key in hidden}
            more = _complement(values, held)
            if more is not None and more >= 0:
                hidden.add(line[more])
                changed = True
    return [
        [_cell(labels[k], n, (r, k) in hidden) for k, n in enumerate(row)]
        for r, row in enumerate(counts)
    ]


def rate(numerator: int, denominator: int) -> float | None:
    """The share numerator/denominator as a fraction, or None when it must not be shown."""
    if denominator < THRESHOLD or is_small(numerator) or is_small(denominator - numerator):
        return None
    return numerator / denominator
