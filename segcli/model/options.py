"""What a user can ask of reading, as plain values.

Light on purpose (no pandas, pyarrow or Rich): the CLI builds these while parsing options, before
anything heavy is imported, and the stages that read (load, exports, normalise) take them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from segcli.model.errors import SettingsError
from segcli.model.schema import DETAIL_COLUMNS, OPTIONAL_ROLES, REQUIRED_COLUMNS

CSV = "csv"
PARQUET = "parquet"
INPUT_FORMATS: tuple[str, ...] = (CSV, PARQUET)
DEFAULT_ENCODING = "utf-8"

DAY_FIRST = "dayfirst"  # 23/10/2025
MONTH_FIRST = "monthfirst"  # 10/23/2025
DATE_ORDERS: tuple[str, ...] = (DAY_FIRST, MONTH_FIRST)
DECIMAL_MARKS: tuple[str, ...] = (".", ",")

PRESET_NAMES: tuple[str, ...] = ("shopify", "woocommerce", "xero")  # exports.PRESETS, in order
MAPPABLE: tuple[str, ...] = REQUIRED_COLUMNS + DETAIL_COLUMNS + OPTIONAL_ROLES  # --column's roles

# How the total column of a line-level file is read (--line-totals): each line's amount, summed;
# or the order's total repeated on each line, counted once. None: decided from the file.
LINE_SUM = "sum"
LINE_ONCE = "once"
LINE_TOTALS: tuple[str, ...] = (LINE_SUM, LINE_ONCE)


@dataclass(frozen=True)
class ParseOptions:
    """How to read dates and amounts that are not in the canonical forms."""

    date_format: str | None = None  # strftime, e.g. '%d/%m/%Y %H:%M'
    date_order: str | None = None  # DAY_FIRST or MONTH_FIRST: read 23/10/2025-style dates
    timezone: str | None = None  # IANA zone of times without an offset (default UTC)
    decimal: str = "."  # the decimal mark of amounts: '.' or ','


@dataclass(frozen=True)
class ExportOptions:
    """How to map exports: a preset, the user's column mapping, and whether cancelled orders
    count."""

    preset: str | None = None
    columns: Mapping[str, str] = field(default_factory=dict)  # role -> header (--column)
    include_cancelled: bool = False
    line_totals: str | None = None  # LINE_SUM or LINE_ONCE; None: decided per file
    currency: str | None = None  # keep the orders in this currency (a file may mix several)


@dataclass(frozen=True)
class Forecast:
    """What per-customer predictions look ahead to: `horizon_days` from the as-of day, with CLV
    discounted at the annual `discount_rate` (0: none; 0.1 is 10% a year)."""

    horizon_days: int = 365
    discount_rate: float = 0.0

    def __post_init__(self) -> None:
        if self.horizon_days < 1:
            raise SettingsError("horizon", "must be at least 1 day")
        if not 0 <= self.discount_rate < 10:
            raise SettingsError("discount-rate", "must be a rate from 0 (none) to below 10")
