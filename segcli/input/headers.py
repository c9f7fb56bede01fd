"""Which header is which column: the one rule by which headers are compared, for the canonical
columns, for presets and for the user's `--column` mapping alike, and the wording of errors that
list a file's columns."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from segcli.input.synonyms import SYNONYMS
from segcli.model.errors import Hint, InvalidInputError, MissingColumnError
from segcli.model.schema import (
    CONTACT_ID,
    DETAIL_COLUMNS,
    EMAIL,
    LINE_ROLES,
    REQUIRED_COLUMNS,
    TOTAL,
)

_IGNORED = re.compile(r"[\s_\-]")  # white space, `_` and `-` do not tell headers apart
PRINTABLE_NAME_MAX = 40


class NoHeaderError(MissingColumnError):
    """A file whose first line is a record: no column can be found, and no mapping helps."""


FOUND_MAX = 20  # columns an error lists before "... (n more)"


def header_key(name: str) -> str:
    """What two headers must share to match: case, white space, `_`, `-` and an import
    template's leading `*` are ignored (`Order Date`, `order_date` and `*OrderDate` match)."""
    return _IGNORED.sub("", name.strip().lstrip("*")).casefold()


def match_columns(
    header: Sequence[str],
    label: str,
    *,
    overrides: Mapping[str, str] | None = None,
    email_key: bool = False,
    required: Sequence[str] = REQUIRED_COLUMNS,
    optional: Sequence[str] = DETAIL_COLUMNS,
) -> dict[str, str]:
    """Find each canonical column in a file's header: {canonical name: name in file}.

    A canonical name matches a header exactly, else by `header_key`; `overrides` ({canonical
    name: header}) come first; a role still unmatched takes the one header among its well-known
    synonyms (`synonyms.py`), if exactly one is. Two headers that both match one name, a missing
    required column, or a required role with several synonyms is an error (which proposes a
    mapping). With `email_key`, a file with an email column but no contactID is accepted (its
    customers are keyed by email); a `total` may be missing when `quantity` and `unitPrice`
    are there.
    """
    overrides = overrides or {}
    found_columns: dict[str, str] = {}
    for canonical in (*required, *optional):
        if canonical in overrides:
            found_columns[canonical] = overrides[canonical]
            continue
        found = [name for name in header if name == canonical]
        if not found:
            found = [name for name in header if header_key(name) == header_key(canonical)]
        if len(found) > 1:
            listed = ", ".join(f"'{printable(n)}'" for n in found)
            raise InvalidInputError(f"{label}: columns {listed} all match '{canonical}'")
        if found:
            found_columns[canonical] = found[0]
    ambiguous = _by_synonym(header, (*required, *optional), found_columns)
    missing = [r for r in required if r not in found_columns]
    if TOTAL in missing and all(r in found_columns for r in LINE_ROLES):
        missing.remove(TOTAL)
    if CONTACT_ID in missing and email_key and EMAIL in found_columns:
        missing.remove(CONTACT_ID)
    if missing and not found_columns and looks_like_data(header):
        raise NoHeaderError(
            f"{label}: the first line looks like data, not a header row; segcli needs a header "
            f"naming the columns ({', '.join(required)})"
        )
    if missing:
        names = ", ".join(f"'{m}'" for m in missing)
        plural = "s" if len(missing) > 1 else ""
        several = "".join(
            f"; {', '.join(repr(h) for h in ambiguous[m])} could each be {m}"
            for m in missing
            if m in ambiguous
        )
        raise MissingColumnError(
            f"{label}: missing required column{plural} {names} (found: {found_list(header)})"
            + several
            + _separator_hint(header),
            hint=Hint.MAPPING,
            proposal={m: (ambiguous.get(m) or [None])[0] for m in missing},
        )
    return found_columns


def _by_synonym(
    header: Sequence[str], roles: Sequence[str], found: dict[str, str]
) -> dict[str, list[str]]:
    """Map each role still unmatched to the one header of the file among its synonyms, in
    `found` (a header is used once); return the roles with several candidates."""
    ambiguous: dict[str, list[str]] = {}
    used = set(found.values())
    for role in roles:
        if role in found:
            continue
        candidates = [
            name
            for name in header
            if name not in used and header_key(name) in SYNONYMS.get(role, ())
        ]
        if len(candidates) == 1:
            found[role] = candidates[0]
            used.add(candidates[0])
        elif candidates:
            ambiguous[role] = candidates
    return ambiguous


# What a header cell never looks like: a number or amount, a date, an email address.
_DATA_CELL = re.compile(
    r"^\s*(?:[-+($€£]*\d[\d,.\s)]*|\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}.*|[^@\s]+@[^@\s]+\.\w+)\s*$"
)


def looks_like_data(header: Sequence[str]) -> bool:
    """Whether a file's first line is a record rather than a header: at least half of its
    non-empty cells are numbers, dates or email addresses."""
    cells = [cell for cell in header if cell.strip()]
    data = sum(1 for cell in cells if _DATA_CELL.match(cell))
    return bool(cells) and 2 * data >= len(cells)


def find_header(header: Sequence[str], wanted: str) -> str | None:
    """The header that is `wanted`: exactly, else the first with its key."""
    exact = [h for h in header if h == wanted]
    keyed = [h for h in header if header_key(h) == header_key(wanted)]
    return (exact or keyed or [None])[0]


def printable(name: str) -> str:
    shown = "".join(ch if ch.isprintable() else "?" for ch in name)
    return shown if len(shown) <= PRINTABLE_NAME_MAX else shown[: PRINTABLE_NAME_MAX - 3] + "..."


def _separator_hint(header: Sequence[str]) -> str:
    """A hint when the one header holds what looks like several, split by another separator."""
    if len(header) == 1:
        for separator, name in ((";", "semicolons"), ("\t", "tabs"), ("|", "bars")):
            if separator in header[0]:
                return (
                    f"; the header looks separated by {name}, but segcli reads comma-separated CSV"
                )
    return ""


def found_list(header: Sequence[str], most: int = FOUND_MAX) -> str:
    names = [printable(n) for n in header]
    shown = ", ".join(names[:most])
    if len(names) > most:
        shown += f", ... ({len(names) - most} more)"
    return shown or "no columns"
