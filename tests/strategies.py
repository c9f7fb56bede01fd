"""Hypothesis strategies and settings shared by the property tests: generated order sets that
sit on the spec's boundaries, thresholds around the defaults, and the property settings.

The number of examples comes from the Hypothesis profile (conftest.py): `dev` by default, `ci`
in .ci/run."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import reference
from helpers import AS_OF_MS, DAY
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from segcli.model.settings import Settings

# Ages that sit on the spec's boundaries (7/30/90-day bands, 30 and 90 days), a millisecond
# either side of them, and some anywhere.
BOUNDARY_DAYS = [0, 1, 6, 7, 8, 14, 15, 29, 30, 31, 60, 89, 90, 91, 92, 180, 181, 270, 271, 400]
NUDGES = [0, 1, -1, DAY - 1, -(DAY - 1), 3_600_000]
OFFSETS = [
    timedelta(0),
    timedelta(hours=13),
    timedelta(hours=12),
    timedelta(hours=-5),
    timedelta(hours=5, minutes=30),
    timedelta(hours=-9, minutes=-30),
]
TOTALS = [
    "5000.00",
    "5000.01",
    "4999.99",
    "2500.00",
    "2500.01",
    "2500",
    "0",
    "-30",
    "0.1",
    "-12.00",
    "1245.50",
    "1666.67",
    "1666.66",
    "0.005",
    "12.345",
    "-0.005",
    "+7",
    ".5",
    "100.",
    "0001.10",
    "-2500.005",
    "$1,245.50",
    "(12.50)",
    "($1,000,000.01)",
    "NZ$ 5000.01",
    "5,000.00 NZD",
    "-$30",
    "1 245.5",
]
BAD_TOTALS = ["abc", "1,24.50", "$", "", "  ", "1e3", "--1", ".", "(-5)", "12,5", "5 $ 5"]
BAD_DATES = [
    "",
    " ",
    "15/10/2025",
    "2025-02-30",
    "2025-10",
    "20251015",
    "2025-10-15T25:00",
    "yesterday",
    "2025-10-15T08:30:00+0575",
]
# Text that stresses CSV quoting and the JSON encoder: quotes, commas, slashes, backslashes, line
# breaks, non-ASCII, formula starts, and the very key the metrics are nested at.
TEXT = st.lists(
    st.sampled_from(list("abcXYZ 0129-_.,;'\"/\\@=+é日本🙂\n") + ['","orderCount":', "\\/"]),
    max_size=8,
).map("".join)


def render_instant(ms: int, style: int, offset: timedelta) -> str:
    moment = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=ms)
    local = moment.astimezone(timezone(offset))
    stamp = local.strftime("%Y-%m-%dT%H:%M:%S")
    ms3 = f"{ms % 1000:03d}"
    zone = local.strftime("%z")  # +1300
    return [
        f"{moment.strftime('%Y-%m-%dT%H:%M:%S')}.{ms3}Z",
        f"{stamp}.{ms3}{zone[:3]}:{zone[3:]}",
        f"{stamp}{zone}",
        moment.strftime("%Y-%m-%d %H:%M:%S"),
        moment.strftime("%Y-%m-%d"),
        f"{moment.strftime('%Y-%m-%dT%H:%M:%S')}.{ms3}123456Z",
        f"{moment.strftime('%Y-%m-%dT%H:%M')}Z",
    ][style]


@st.composite
def order_rows(draw) -> list[dict]:
    contacts = draw(
        st.lists(
            st.sampled_from(["c-1", "c-2", "C-1", " c-3 ", "4", "c-5"]),
            min_size=1,
            max_size=4,
            unique=True,
        )
    )
    rows = []
    for _ in range(draw(st.integers(0, 14))):
        if draw(st.integers(0, 15)) == 0:
            date = draw(st.sampled_from(BAD_DATES))
        else:
            ms = (
                AS_OF_MS
                - draw(st.sampled_from(BOUNDARY_DAYS)) * DAY
                + draw(st.sampled_from(NUDGES))
                + draw(st.sampled_from([0, 0, 0, 2 * DAY]))
            )
            date = render_instant(ms, draw(st.integers(0, 6)), draw(st.sampled_from(OFFSETS)))
        total = (
            draw(st.sampled_from(BAD_TOTALS))
            if draw(st.integers(0, 15)) == 0
            else draw(st.sampled_from(TOTALS))
        )
        contact = draw(st.sampled_from(contacts + ([""] if draw(st.integers(0, 20)) == 0 else [])))
        reference_text = draw(st.sampled_from(["", "ORD-1", "ORD-2", "R-3", "x/y"]))
        rows.append(
            {
                "orderReference": reference_text or f"ORD-{len(rows)}",
                "contactID": contact,
                "orderDate": date,
                "total": total,
                "name": draw(TEXT),
                "email": draw(st.sampled_from(["", "a@x.co", "b@y.co", " "])),
                "company": draw(TEXT),
                "phone": draw(st.sampled_from(["", "+64 9 555 0101", "=cmd"])),
            }
        )
    if rows and draw(st.booleans()):  # an exact tie on one customer's latest instant
        twin = dict(rows[-1], orderReference="TWIN", total="1.00")
        rows.append(twin)
    return rows


@st.composite
def thresholds(draw) -> Settings:
    """Settings on and around the defaults, bands always increasing."""
    bands = sorted(
        draw(
            st.sets(
                st.sampled_from([0, 1, 6, 7, 8, 14, 29, 30, 31, 89, 90, 91, 200]),
                min_size=3,
                max_size=3,
            )
        )
    )
    return Settings(
        vip_threshold_cents=draw(st.sampled_from([0, 1, 250_000, 250_001, 499_999, 500_000])),
        dormant_days=draw(st.sampled_from([0, 1, 29, 30, 31, 90, 91, 365])),
        new_days=draw(st.sampled_from([0, 1, 7, 30, 31, 90])),
        weekly_days=bands[0],
        monthly_days=bands[1],
        quarterly_days=bands[2],
    )


def reference_thresholds(s: Settings) -> reference.Thresholds:
    return reference.Thresholds(
        vip_cents=s.vip_threshold_cents,
        dormant_days=s.dormant_days,
        new_days=s.new_days,
        weekly=s.weekly_days,
        monthly=s.monthly_days,
        quarterly=s.quarterly_days,
    )


# Deadline off (a pipeline run is milliseconds to a second); function-scoped fixtures such as
# tmp_path are fine, as every example writes its own files.
PROPERTY = settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
# The parsers are cheap per example: twice the profile's examples.
MANY = settings(max_examples=2 * settings().max_examples, deadline=None)

COLUMNS = reference.REQUIRED + ("name", "email", "company", "phone")


def expected(rows: list[dict], as_of_ms: int = AS_OF_MS) -> dict[str, dict]:
    out = reference.customers(rows, as_of_ms)
    for record in out.values():  # the files written here have no account columns
        record["accountName"] = record["accountCode"] = None
    return out


def all_skipped(rows: list[dict]) -> bool:
    """Whether a row is skipped and no order is left to count (segcli then fails)."""
    orders = reference.fold_lines(rows)
    skipped = [o for o in orders if reference.skip_reason(o) is not None]
    return bool(skipped) and len(skipped) == len(orders)
