"""`--as-of` in its common forms, read without pandas: a warm run answers from the cache, and
importing pandas to read one date would be most of its time.

Only forms whose value is proven to equal the full parser's (core/instants.py, by the Hypothesis
property in tests/test_as_of.py) are read here: `YYYY-MM-DD` (the end of that day), and
`YYYY-MM-DDTHH:MM:SS` with an optional fraction and an optional `Z` or `+HH:MM` offset, for the
years 1000-8999. Anything else, and any value that is not a real date or time, is left to the full
parser (`None`), which decides and words the error.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from segcli.model.schema import DAY_MS

END_OF_DAY_MS = DAY_MS - 1  # a bare as-of date means the last millisecond of that day
FIRST_YEAR, LAST_YEAR = 1000, 8999  # the years read here; the full parser reads the others
_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})", re.ASCII)  # ASCII: not `١٠٠٠`
_DATETIME = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})?",
    re.ASCII,
)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MINUTE_MS = 60_000


def parse_common(text: str, *, date_end_ms: int = END_OF_DAY_MS) -> int | None:
    """Epoch milliseconds of `text` in one of the forms above, else None (not read here: the
    full parser decides). A bare date is midnight UTC plus `date_end_ms`; digits below the
    millisecond are floored; an offset is honoured, none means UTC."""
    date = _DATE.fullmatch(text)
    found = date or _DATETIME.fullmatch(text)
    if found is None or not FIRST_YEAR <= int(found[1]) <= LAST_YEAR:
        return None
    year, month, day = (int(found[i]) for i in (1, 2, 3))
    hour, minute, second = (0, 0, 0) if date else (int(found[i]) for i in (4, 5, 6))
    try:
        moment = datetime(year, month, day, hour, minute, second, tzinfo=UTC)
    except ValueError:  # 2025-02-30, 24:00, a leap second
        return None
    ms = _ms_since_epoch(moment)
    if date:
        return ms + date_end_ms
    fraction, offset = found[7], found[8]
    ms += int((fraction or "0")[:3].ljust(3, "0"))
    if offset and offset != "Z":
        hours, minutes = int(offset[1:3]), int(offset[4:6])
        if hours > 23 or minutes > 59:
            return None
        sign = 1 if offset[0] == "+" else -1
        ms -= sign * (hours * 60 + minutes) * _MINUTE_MS
    return ms


def _ms_since_epoch(moment: datetime) -> int:
    delta = moment - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1000


def parse_as_of(text: str) -> int:
    """An ISO date (the end of that day, UTC) or datetime (offset honoured, else UTC), in epoch
    milliseconds: the common forms here, without pandas, the others by the full parser. Raises
    ValueError."""
    ms = parse_common(text, date_end_ms=END_OF_DAY_MS)
    if ms is not None:
        return ms
    from segcli.core.instants import parse_instant

    ms = parse_instant(text, date_end_ms=END_OF_DAY_MS)
    if ms is None:
        raise ValueError(
            f"'{text}' is not an ISO date or datetime (e.g. 2025-10-23 or 2025-10-23T18:00:00Z)"
        )
    return ms
