"""What loading has to say about some input files, as counts and per-file facts rather than
finished sentences: so that the account of several files read apart can be merged into the
account of reading them together, and told in the very same words (incremental loading,
partials.py). `tell` is the one place that turns an account into loading's notices.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, replace

from segcli import reports
from segcli.core.lines import Decision
from segcli.core.normalise import MALFORMED, SKIP_REASONS, NormaliseReport, Skip
from segcli.input.shape import ShapeReport
from segcli.model.errors import Hint
from segcli.model.notices import Notice, count

RoleNames = tuple[str | None, ...]  # per file: the header of each of reports.HEADER_ROLES


@dataclass(frozen=True)
class Account:
    """What reading `labels` (in order) found. An account of one file has its locations as
    that file alone names them ('line 17'); of several, after the file's name, as they are
    said when the files are read together."""

    labels: tuple[str, ...]
    delimiters: tuple[str, ...]  # what deciding CSV delimiters said
    mapping: tuple[Notice, ...]  # columns mapped by synonym
    shape: ShapeReport
    dates: tuple[Notice, ...]  # the order of day and month, per file
    normalised: NormaliseReport  # skips, rounding, folding (without the rejected rows)
    roles: tuple[RoleNames, ...]  # per file, for the skipped rows' header names
    derived: tuple[str, ...]  # files whose totals are quantity x unit price
    lines: bool  # whether any file's rows are lines of orders
    open_quotes: tuple[str, ...] | None = None  # None: not looked for (nothing was skipped)
    repeats: int = 0  # orders repeated identically in several files
    replaced: int = 0  # orders whose copies differ between files
    first_replaced: str | None = None

    def summary(self) -> str | None:
        """`skipped 3 of 27,270 rows: ...`, with any unterminated quote, or None."""
        summary = self.normalised.skipped_summary(reports.agreed(self.roles))
        if summary and self.open_quotes:
            summary = "; ".join([summary, *self.open_quotes])
        return summary


def replaced_message(replaced: int, first: str | None) -> str:
    return (
        f"{count(replaced, 'order')} of the same customer differ between files (first: '{first}')"
    )


def tell(account: Account) -> list[Notice]:
    """Loading's notices, in the order it says them."""
    notices = [Notice(text, hint=Hint.DELIMITER) for text in account.delimiters]
    notices += account.mapping
    notices += reports.shape_notices(account.shape)
    notices += account.dates
    notices += reports.folding_notices(account.normalised, account.derived)
    summary = account.summary()
    if summary:
        notices.append(Notice(summary))
    notices += reports.counted_notices(account.normalised.rounded_amounts, account.repeats)
    if account.replaced:
        message = replaced_message(account.replaced, account.first_replaced)
        notices.append(Notice(f"{message}; the latest file's copy counts"))
    return notices


def merge(accounts: Sequence[Account]) -> Account:
    """The account of reading the files of `accounts` (in order) together, where no order is
    in two of them (overlaps are only told by reading them together)."""
    parts = [_as_one_of_several(a) for a in accounts]
    skips = _merged_skips([a.normalised for a in parts])
    contributions = [_skipped_orders(a.normalised) for a in parts]
    lines = any(a.lines for a in parts)
    skipped_orders = sum(contributions) if lines and sum(contributions) else None
    normalised = NormaliseReport(
        rows_read=sum(a.normalised.rows_read for a in parts),
        skips=skips,
        rounded_amounts=sum(a.normalised.rounded_amounts for a in parts),
        folding=tuple(d for a in parts for d in a.normalised.folding),
        skipped_orders=skipped_orders,
        first_conflict=next(
            (a.normalised.first_conflict for a in parts if a.normalised.first_conflict), None
        ),
        kept=sum(a.normalised.kept for a in parts),
    )
    quotes = [a.open_quotes for a in parts]
    return Account(
        labels=tuple(label for a in parts for label in a.labels),
        delimiters=tuple(t for a in parts for t in a.delimiters),
        mapping=tuple(n for a in parts for n in a.mapping),
        shape=_merged_shape([a.shape for a in parts]),
        dates=tuple(n for a in parts for n in a.dates),
        normalised=normalised,
        roles=tuple(r for a in parts for r in a.roles),
        derived=tuple(d for a in parts for d in a.derived),
        lines=lines,
        open_quotes=None if None in quotes else tuple(q for qs in quotes for q in qs or ()),
        repeats=sum(a.repeats for a in parts),
        replaced=sum(a.replaced for a in parts),
        first_replaced=next((a.first_replaced for a in parts if a.first_replaced), None),
    )


def _as_one_of_several(account: Account) -> Account:
    """An account of one file with its locations named as among several files."""
    if len(account.labels) != 1:
        return account
    label = account.labels[0]
    skips = tuple(replace(s, first=f"{label} {s.first}") for s in account.normalised.skips)
    quotes = account.open_quotes
    return replace(
        account,
        normalised=replace(account.normalised, skips=skips),
        open_quotes=None if quotes is None else tuple(f"{label}: {q}" for q in quotes),
    )


def _skipped_orders(report: NormaliseReport) -> int:
    """The orders a file's skipped rows make, as counted among several files: where the file
    has no lines, each skipped row read is one (malformed rows are not read)."""
    if report.skipped_orders is not None:
        return report.skipped_orders
    return sum(s.count for s in report.skips if s.reason != MALFORMED)


def _merged_skips(reports_: Sequence[NormaliseReport]) -> tuple[Skip, ...]:
    merged: dict[str, Skip] = {}
    for report in reports_:
        for s in report.skips:
            had = merged.get(s.reason)
            merged[s.reason] = s if had is None else replace(had, count=had.count + s.count)
    skips = sorted(merged.values(), key=lambda s: (-s.count, SKIP_REASONS.index(s.reason)))
    return tuple(skips)


def _added(maps: Sequence[Mapping[str, int]]) -> dict[str, int]:
    total: dict[str, int] = {}
    for counts in maps:
        for key, n in counts.items():
            total[key] = total.get(key, 0) + n
    return total


def _merged_shape(shapes: Sequence[ShapeReport]) -> ShapeReport:
    return ShapeReport(
        folded=sum(s.folded for s in shapes),
        excluded=_added([s.excluded for s in shapes]),
        included=_added([s.included for s in shapes]),
        credits=sum(s.credits for s in shapes),
        keyed_by_email=tuple(label for s in shapes for label in s.keyed_by_email),
        keyed=_added([s.keyed for s in shapes]),
        detected=tuple(d for s in shapes for d in s.detected),
        currencies=_added([s.currencies for s in shapes]),
        other_currencies=_added([s.other_currencies for s in shapes]),
        duplicates=sum(s.duplicates for s in shapes),
        refunded=sum(s.refunded for s in shapes),
    )


def to_json(account: Account) -> str:
    """The account as JSON text (partials.py stores it)."""
    data = asdict(account)
    data["mapping"] = [_notice(n) for n in account.mapping]
    data["dates"] = [_notice(n) for n in account.dates]
    data["normalised"] = {
        "rows_read": account.normalised.rows_read,
        "skips": [asdict(s) for s in account.normalised.skips],
        "rounded_amounts": account.normalised.rounded_amounts,
        "folding": [asdict(d) for d in account.normalised.folding],
        "skipped_orders": account.normalised.skipped_orders,
        "first_conflict": account.normalised.first_conflict,
        "kept": account.normalised.kept,
    }
    return json.dumps(data)


def from_json(text: str) -> Account:
    """The account `to_json` wrote (raises on anything else)."""
    data = json.loads(text)
    n = data["normalised"]
    shape = data["shape"]
    return Account(
        labels=tuple(data["labels"]),
        delimiters=tuple(data["delimiters"]),
        mapping=tuple(Notice(t, Hint(h) if h else None) for t, h in data["mapping"]),
        shape=ShapeReport(
            **{
                **shape,
                "keyed_by_email": tuple(shape["keyed_by_email"]),
                "detected": tuple(tuple(d) for d in shape["detected"]),
            }
        ),
        dates=tuple(Notice(t, Hint(h) if h else None) for t, h in data["dates"]),
        normalised=NormaliseReport(
            rows_read=n["rows_read"],
            skips=tuple(Skip(**s) for s in n["skips"]),
            rounded_amounts=n["rounded_amounts"],
            folding=tuple(Decision(**d) for d in n["folding"]),
            skipped_orders=n["skipped_orders"],
            first_conflict=n["first_conflict"],
            kept=n["kept"],
        ),
        roles=tuple(tuple(r) for r in data["roles"]),
        derived=tuple(data["derived"]),
        lines=data["lines"],
        open_quotes=None if data["open_quotes"] is None else tuple(data["open_quotes"]),
        repeats=data["repeats"],
        replaced=data["replaced"],
        first_replaced=data["first_replaced"],
    )


def _notice(notice: Notice) -> list[str | None]:
    return [notice.text, notice.hint.value if notice.hint else None]
