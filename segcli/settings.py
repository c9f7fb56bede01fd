"""The thresholds that classify customers, as one frozen value that flows through the pipeline."""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_VIP_THRESHOLD_CENTS = 500_000  # totalSpend > 5000.00 is VIP
DEFAULT_DORMANT_DAYS = 90  # lastOrderDaysAgo > 90 is Dormant
DEFAULT_NEW_DAYS = 30  # first order at most 30 days ago is New
DEFAULT_WEEKLY_DAYS = 7  # average gap between orders at most 7 days is Weekly
DEFAULT_MONTHLY_DAYS = 30
DEFAULT_QUARTERLY_DAYS = 90


@dataclass(frozen=True)
class Settings:
    """Classification thresholds (SPEC §3). Days are whole days; money is integer cents."""

    vip_threshold_cents: int = DEFAULT_VIP_THRESHOLD_CENTS
    dormant_days: int = DEFAULT_DORMANT_DAYS
    new_days: int = DEFAULT_NEW_DAYS
    weekly_days: int = DEFAULT_WEEKLY_DAYS
    monthly_days: int = DEFAULT_MONTHLY_DAYS
    quarterly_days: int = DEFAULT_QUARTERLY_DAYS

    def __post_init__(self) -> None:
        for key in ("dormant_days", "new_days", "weekly_days", "monthly_days", "quarterly_days"):
            if getattr(self, key) < 0:
                raise ValueError(f"{key} must not be negative")
        if not self.weekly_days < self.monthly_days < self.quarterly_days:
            raise ValueError("frequency bands must increase: weekly < monthly < quarterly")
