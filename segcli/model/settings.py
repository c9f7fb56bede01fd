"""The thresholds that classify customers, and the RFM segment table, as one frozen value that
flows through the pipeline. No module reads a global: a stage that needs a threshold is given
this object.

Each setting has one public key, the name of its flag and of its key in a config file
(`dormant-days`); errors name that key.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from segcli.model.errors import SettingsError

DEFAULT_VIP_THRESHOLD_CENTS = 500_000  # totalSpend > 5000.00 is VIP
DEFAULT_DORMANT_DAYS = 90  # lastOrderDaysAgo > 90 is Dormant
DEFAULT_NEW_DAYS = 30  # first order at most 30 days ago is New
DEFAULT_WEEKLY_DAYS = 7  # average gap between orders at most 7 days is Weekly
DEFAULT_MONTHLY_DAYS = 30
DEFAULT_QUARTERLY_DAYS = 90

RFM_LOWEST, RFM_HIGHEST = 1, 5  # RFM scores run 1..5 on the default scale
RFM_FINE_SCALE = 10  # `rfm-scale = 10`: scores run 1..10
RFM_SCALES = (RFM_HIGHEST, RFM_FINE_SCALE)
DEFAULT_RFM_SCALE = RFM_HIGHEST
RFM_OTHERS = "Others"  # the RFM segment of a customer no rule matches
RFM_NAME_MAX = 40
_RFM_NAME = re.compile(r'^[^"\\\x00-\x1f\x7f]+$')  # printable, and no JSON escapes needed

Range = tuple[int, int]


class BandOrderError(SettingsError):
    """Two frequency bands out of order. Either key may be the one to change: by default the
    upper is named; `about(lower)` words the same error for the lower."""

    def __init__(self, lower: str, upper: str, low: int, high: int) -> None:
        super().__init__(upper, f"must be greater than {lower} (got {high}, {lower} is {low})")
        self.lower, self.upper, self.low, self.high = lower, upper, low, high

    def about(self, key: str) -> SettingsError:
        if key == self.lower:
            message = (
                f"must be less than {self.upper} (got {self.low}, {self.upper} is {self.high})"
            )
            return SettingsError(self.lower, message)
        return self


@dataclass(frozen=True)
class RfmRule:
    """A named RFM segment: the customers whose three scores all lie in these inclusive ranges."""

    name: str
    recency: Range
    frequency: Range
    monetary: Range


DEFAULT_RFM_SEGMENTS: tuple[RfmRule, ...] = (  # first match wins; every named row can match
    RfmRule("Champions", (4, 5), (4, 5), (4, 5)),
    RfmRule("Loyal Customers", (2, 5), (3, 5), (3, 5)),
    RfmRule("New Customers", (4, 5), (1, 1), (1, 1)),
    RfmRule("Promising", (3, 4), (1, 1), (1, 1)),
    RfmRule("Potential Loyalist", (3, 5), (1, 3), (1, 3)),
    RfmRule("Need Attention", (2, 3), (2, 3), (2, 3)),
    RfmRule("About To Sleep", (2, 3), (1, 2), (1, 2)),
    RfmRule("Can't Lose Them", (1, 1), (4, 5), (4, 5)),
    RfmRule("At Risk", (1, 2), (2, 5), (2, 5)),
    RfmRule("Lost", (1, 2), (1, 2), (1, 2)),
)

# Public key -> Settings field, for the thresholds (in the order they are shown).
THRESHOLD_KEYS: dict[str, str] = {
    "vip-threshold": "vip_threshold_cents",
    "dormant-days": "dormant_days",
    "new-days": "new_days",
    "weekly-days": "weekly_days",
    "monthly-days": "monthly_days",
    "quarterly-days": "quarterly_days",
}
RFM_SEGMENTS_KEY = "rfm-segments"  # the table on the 1-5 scale
RFM_SEGMENTS_10_KEY = "rfm-segments-10"  # a table of its own for scale 10 (else widened)
RFM_SCALE_KEY = "rfm-scale"


@dataclass(frozen=True)
class Settings:
    """Classification thresholds (SPEC §3) and the RFM segment table.

    Days are whole days; money is integer cents. Invalid values raise SettingsError.
    """

    vip_threshold_cents: int = DEFAULT_VIP_THRESHOLD_CENTS
    dormant_days: int = DEFAULT_DORMANT_DAYS
    new_days: int = DEFAULT_NEW_DAYS
    weekly_days: int = DEFAULT_WEEKLY_DAYS
    monthly_days: int = DEFAULT_MONTHLY_DAYS
    quarterly_days: int = DEFAULT_QUARTERLY_DAYS
    rfm_segments: tuple[RfmRule, ...] = field(default=DEFAULT_RFM_SEGMENTS)
    rfm_scale: int = DEFAULT_RFM_SCALE
    rfm_segments_10: tuple[RfmRule, ...] | None = None  # None: rfm_segments, widened

    def __post_init__(self) -> None:
        for key, name in THRESHOLD_KEYS.items():
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise SettingsError(key, f"must be a whole number, not {value!r}")
            if value < 0:
                raise SettingsError(key, f"must not be negative (got {value})")
        bands = ("weekly-days", "monthly-days", "quarterly-days")
        for lower, upper in zip(bands, bands[1:], strict=False):
            low, high = self.value(lower), self.value(upper)
            if not low < high:
                raise BandOrderError(lower, upper, low, high)
        validate_rfm_segments(self.rfm_segments)
        if self.rfm_segments_10 is not None:
            validate_rfm_segments(self.rfm_segments_10, RFM_SEGMENTS_10_KEY, RFM_FINE_SCALE)
        if type(self.rfm_scale) is not int or self.rfm_scale not in RFM_SCALES:  # 10.0 or True: no
            scales = " or ".join(map(str, RFM_SCALES))
            raise SettingsError(RFM_SCALE_KEY, f"must be {scales} (got {self.rfm_scale!r})")

    def value(self, key: str) -> int:
        """A threshold by its public key."""
        return getattr(self, THRESHOLD_KEYS[key])

    def thresholds(self) -> dict[str, int]:
        """Public key -> value (cents for vip-threshold, days for the others)."""
        return {key: self.value(key) for key in THRESHOLD_KEYS}

    def rfm_table(self) -> tuple[RfmRule, ...]:
        """The named RFM segments on the scale in effect: on 5, `rfm_segments`; on 10, the
        table given for 10, else `rfm_segments` with each range lo..hi widened to 2lo-1..2hi."""
        if self.rfm_scale == RFM_HIGHEST:
            return self.rfm_segments
        if self.rfm_segments_10 is not None:
            return self.rfm_segments_10
        return tuple(widened(rule) for rule in self.rfm_segments)

    def rfm_labels(self) -> tuple[str, ...]:
        """The RFM segment names in table order, then Others."""
        return (*(rule.name for rule in self.rfm_table()), RFM_OTHERS)


def widened(rule: RfmRule) -> RfmRule:
    """A rule of the 1-5 table on the 1-10 scale: score s on 5 covers 2s-1 and 2s on 10."""
    ranges = (rule.recency, rule.frequency, rule.monetary)
    return RfmRule(rule.name, *((2 * low - 1, 2 * high) for low, high in ranges))


def validate_rfm_segments(
    rules: tuple[RfmRule, ...], key: str = RFM_SEGMENTS_KEY, highest: int = RFM_HIGHEST
) -> None:
    seen = {RFM_OTHERS}
    for i, rule in enumerate(rules):
        where = f"{key}[{i}]"
        if not isinstance(rule.name, str) or not _RFM_NAME.match(rule.name):
            raise SettingsError(
                f"{where}.name",
                f'must be printable text without " or \\ (got {rule.name!r})',
            )
        if len(rule.name) > RFM_NAME_MAX:
            raise SettingsError(f"{where}.name", f"must be at most {RFM_NAME_MAX} characters")
        if rule.name in seen:
            raise SettingsError(f"{where}.name", f"'{rule.name}' is used twice (or is reserved)")
        seen.add(rule.name)
        for measure in ("recency", "frequency", "monetary"):
            bounds = getattr(rule, measure)
            if not (
                isinstance(bounds, tuple)
                and len(bounds) == 2
                and all(isinstance(b, int) and not isinstance(b, bool) for b in bounds)
                and RFM_LOWEST <= bounds[0] <= bounds[1] <= highest
            ):
                raise SettingsError(
                    f"{where}.{measure}",
                    f"must be [lowest, highest] with {RFM_LOWEST} <= lowest <= highest <= "
                    f"{highest} (got {list(bounds) if isinstance(bounds, tuple) else bounds})",
                )
