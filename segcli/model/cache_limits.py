"""How large the per-customer cache may grow, as one frozen value: at most so many bytes and so
many entries, the least recently used entries leaving first.

Each limit has one public key, its name in a config file (`cache-max-bytes`); errors name it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from segcli.model.errors import SettingsError

KIB = 1 << 10
MIB = 1 << 20
GIB = 1 << 30
TIB = 1 << 40
SIZE_UNITS: dict[str, int] = {"B": 1, "KiB": KIB, "MiB": MIB, "GiB": GIB, "TiB": TIB}
_SIZE = re.compile(r"^\s*(\d+)\s*([A-Za-z]*)\s*$")  # "2GiB", "500 MiB", "1024"

DEFAULT_MAX_BYTES = 2 * GIB
DEFAULT_MAX_ENTRIES = 20

MAX_BYTES_KEY = "cache-max-bytes"
MAX_ENTRIES_KEY = "cache-max-entries"
# Public key -> CacheLimits field, in the order they are shown.
CACHE_LIMIT_KEYS: dict[str, str] = {MAX_BYTES_KEY: "max_bytes", MAX_ENTRIES_KEY: "max_entries"}


@dataclass(frozen=True)
class CacheLimits:
    """The cache's bounds: bytes in all (entries and their checksums) and entries. Zero keeps
    nothing. Invalid values raise SettingsError."""

    max_bytes: int = DEFAULT_MAX_BYTES
    max_entries: int = DEFAULT_MAX_ENTRIES

    def __post_init__(self) -> None:
        for key, value in self.values().items():
            if isinstance(value, bool) or not isinstance(value, int):
                raise SettingsError(key, f"must be a whole number, not {value!r}")
            if value < 0:
                raise SettingsError(key, f"must not be negative (got {value})")

    def values(self) -> dict[str, int]:
        """Public key -> value."""
        return {key: getattr(self, name) for key, name in CACHE_LIMIT_KEYS.items()}


def parse_size(text: str) -> int:
    """`2GiB`, `500 MiB`, `1024` (bytes): a size in bytes, units in any case. Raises
    ValueError."""
    match = _SIZE.match(text)
    units = {unit.casefold(): factor for unit, factor in SIZE_UNITS.items()}
    if match is None or match.group(2).casefold() not in {"", *units}:
        raise ValueError(f"'{text}' is not a size such as 2GiB or 500 MiB")
    number, unit = match.groups()
    return int(number) * units.get(unit.casefold(), 1)


def format_size(size: int) -> str:
    """`2 GiB`, `1.5 MiB`, `512 B`: the largest unit the size reaches, to one decimal at most."""
    unit, factor = next(((u, f) for u, f in reversed(SIZE_UNITS.items()) if size >= f), ("B", 1))
    value = size / factor
    return f"{value:,.0f} {unit}" if value == int(value) else f"{value:,.1f} {unit}"
