"""Tables that fit a terminal without cutting a number: pure widths, no Rich.

Columns that hold numbers, dates or category names keep their whole width. Text columns (ids,
names, emails) give way first, down to TEXT_MIN_WIDTH, and end in an ellipsis. When even that
does not fit, whole columns leave, the lowest priority first, and the table says which.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import pandas as pd

TEXT_MIN_WIDTH = 8  # a text column narrower than this says little; below it, columns leave


@dataclass(frozen=True)
class Column:
    """One column's needs: `natural` (its widest cell or title) and `minimum` (equal to
    `natural` for a column that is never cut); a higher `priority` stays longer."""

    key: str
    natural: int
    minimum: int
    priority: int


# Characters a terminal draws two columns wide (CJK, Hangul, full-width forms, emoji) and those
# it draws over the previous one (combining marks): close to Rich's cell widths, without Rich.
WIDE = (
    "[\u1100-\u115f\u2e80-\u303e\u3041-\u33ff\u3400-\u4dbf\u4e00-\u9fff\ua000-\ua4cf"
    "\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6"
    "\U0001f300-\U0001f64f\U0001f900-\U0001f9ff\U00020000-\U0003fffd]"
)
ZERO_WIDTH = "[\u0300-\u036f\u200b-\u200f]"


def widest(cells: Iterable[str]) -> int:
    """The widest of some cells, in terminal columns (0 for none), column by column rather
    than cell by cell."""
    text = pd.Series(list(cells), dtype="str")
    if text.empty:
        return 0
    width = text.str.len() + text.str.count(WIDE) - text.str.count(ZERO_WIDTH)
    return int(width.max())


def whole(
    key: str, cells: Sequence[str], title: str, priority: int, *, title_wraps: bool = True
) -> Column:
    """A column never cut: as wide as its widest cell, and its title (which may wrap at spaces,
    in a table whose titles wrap)."""
    cells_width = widest(cells)
    natural = max(cells_width, widest([title]))
    minimum = max(cells_width, widest(title.split()) if title_wraps else natural)
    return Column(key, natural, minimum, priority)


def text(key: str, cells: Sequence[str], title: str, priority: int) -> Column:
    """A text column, which may shrink to TEXT_MIN_WIDTH (or less, when it is narrower)."""
    natural = max(widest(cells), widest([title]))
    return Column(key, natural, min(natural, TEXT_MIN_WIDTH), priority)


def fit(
    columns: Sequence[Column], width: int, *, gap: int, edges: int = 0
) -> tuple[dict[str, int], list[str]]:
    """The width of each column shown, and the keys of the columns hidden (in table order).

    `gap` is what the table draws between two columns, `edges` what it draws around them. The
    columns shown take their minimum; what is left goes to those that want more, the highest
    priority first. At least one column is always shown, even if it is wider than `width`.
    """

    def needed(shown: Sequence[Column]) -> int:
        return sum(c.minimum for c in shown) + gap * max(len(shown) - 1, 0) + edges

    shown = list(columns)
    while len(shown) > 1 and needed(shown) > width:
        shown.remove(min(shown, key=lambda c: c.priority))
    widths = {c.key: c.minimum for c in shown}
    spare = width - needed(shown)
    for column in sorted(shown, key=lambda c: -c.priority):
        extra = max(0, min(spare, column.natural - column.minimum))
        widths[column.key] += extra
        spare -= extra
    hidden = [c.key for c in columns if c.key not in widths]
    return widths, hidden


def hidden_note(hidden: Sequence[str], hint: str = "") -> str:
    """The footer that names the hidden columns: `hidden for width: company, email`."""
    if not hidden:
        return ""
    return f"hidden for width: {', '.join(hidden)}" + (f"; {hint}" if hint else "")
