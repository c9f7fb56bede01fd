"""Canonical column names and category orders: the vocabulary every stage shares."""

from __future__ import annotations

import functools
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

# Canonical input columns (SPEC §1).
ORDER_REFERENCE = "orderReference"
CONTACT_ID = "contactID"
ORDER_DATE = "orderDate"
TOTAL = "total"
REQUIRED_COLUMNS: tuple[str, ...] = (ORDER_REFERENCE, CONTACT_ID, ORDER_DATE, TOTAL)

NAME = "name"
EMAIL = "email"
COMPANY = "company"
PHONE = "phone"
ACCOUNT_NAME = "accountName"
ACCOUNT_CODE = "accountCode"
DETAIL_COLUMNS: tuple[str, ...] = (NAME, EMAIL, COMPANY, PHONE, ACCOUNT_NAME, ACCOUNT_CODE)
LIST_DETAILS: tuple[str, ...] = (NAME, EMAIL, COMPANY)  # the details a list shows

# Optional roles an export may map (SPEC §1): a line's quantity and unit price (its total is their
# product when there is no total column), the order's status and its currency.
QUANTITY = "quantity"
UNIT_PRICE = "unitPrice"
STATUS = "status"
CURRENCY = "currency"
LINE_ROLES: tuple[str, ...] = (QUANTITY, UNIT_PRICE)
OPTIONAL_ROLES: tuple[str, ...] = (QUANTITY, UNIT_PRICE, STATUS, CURRENCY)

# Columns of the normalised orders frame (one row per counted order, in input order).
ORDER_MS = "orderMs"  # int64 milliseconds since the Unix epoch, UTC
TOTAL_CENTS = "totalCents"  # int64 cents
SOURCE = "_source"  # with several input files: which one the order came from (0, 1, ...)
CREDIT = "_credit"  # an optional boolean column while shaping: a credit note, which reduces spend
LINE_ORDER = "_order"  # int64, where rows of one input share references: the row's order number

# Columns of the customer frame (one row per customer).
ORDER_COUNT = "orderCount"
SPEND_CENTS = "totalSpendCents"
FIRST_ORDER_MS = "firstOrderMs"
LAST_ORDER_MS = "lastOrderMs"
LAST_ORDER_REFERENCE = "lastOrderReference"
LAST_ORDER_DAYS_AGO = "lastOrderDaysAgo"
PURCHASE_FREQUENCY = "purchaseFrequency"
SEGMENT = "segment"
RFM_RECENCY = "rfmRecency"  # RFM scores, 1-5 or 1-10 (segcli rfm, list --rfm)
RFM_FREQUENCY = "rfmFrequency"
RFM_MONETARY = "rfmMonetary"
RFM_SCORE = "rfmScore"  # the three scores as digits, "545"; on scale 10 "10-9-7"
RFM_SEGMENT = "rfmSegment"
RFM_COLUMNS: tuple[str, ...] = (RFM_RECENCY, RFM_FREQUENCY, RFM_MONETARY, RFM_SCORE, RFM_SEGMENT)
# The per-customer aggregate before classification (metrics.per_customer, the cache), in order.
CUSTOMER_COLUMNS: tuple[str, ...] = (
    CONTACT_ID,
    *DETAIL_COLUMNS,
    ORDER_COUNT,
    SPEND_CENTS,
    FIRST_ORDER_MS,
    LAST_ORDER_MS,
    LAST_ORDER_REFERENCE,
)

# Columns of the segment history (history, breakdown --history): one row per period.
HISTORY_CUSTOMER = "customer"  # the customer's code: 0, 1, ... in order of first appearance
FROM_MS = "fromMs"  # the period's first instant
TO_MS = "toMs"  # the next period's first instant; an ongoing period's is the as-of instant
ONGOING = "ongoing"  # the customer's last period, which lasts to the as-of
# Columns of the time-in-segment table (breakdown --history): one row per segment.
EVER = "customers"  # customers who were ever in the segment
SPELLS = "spells"  # periods in it, of all customers
COMPLETED = "completed"  # spells that ended before the as-of (and ONGOING: those that did not)
MEAN_DAYS = "meanDays"
MEDIAN_DAYS = "medianDays"
MOVE_FROM, MOVE_TO, MOVES = "from", "to", "count"  # the moves between segments


def spell_column(kind: str, stat: str) -> str:
    """A column of completed or ongoing spells: `spell_column(COMPLETED, MEAN_DAYS)`."""
    return f"{kind}.{stat}"


# Columns of a summary table (breakdown, rfm): one row per category.
COUNT = "count"
SHARE = "share"
TOTAL_SPEND_CENTS = "totalSpendCents"
AVG_SPEND_CENTS = "avgSpendCents"

# Segment and frequency labels, in the category order used wherever a list of them is shown.
VIP = "VIP"
ACTIVE = "Active"
NEW = "New"
DORMANT = "Dormant"
SEGMENTS: tuple[str, ...] = (VIP, ACTIVE, NEW, DORMANT)

WEEKLY = "Weekly"
MONTHLY = "Monthly"
QUARTERLY = "Quarterly"
OCCASIONAL = "Occasional"
ONE_TIME = "One-time"
NO_ORDERS = "None"
FREQUENCIES: tuple[str, ...] = (WEEKLY, MONTHLY, QUARTERLY, OCCASIONAL, ONE_TIME, NO_ORDERS)
NOT_YET = "(none)"  # in a transition matrix: the customer had no orders yet at --from

DAY_MS = 86_400_000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

# `list --sort FIELD`: the field name a user types -> the column that orders it.
# Per-customer predictions (`list --predict`): probabilities and expected orders as floats,
# money in (fractional) cents; missing for a customer with no orders.
P_ALIVE = "pAlive"
CHURN_PROBABILITY = "churnProbability"
DORMANT_PROBABILITY = "dormantProbability"  # no order in the next dormant-days days
EXPECTED_ORDERS = "expectedOrders"
EXPECTED_ORDER_VALUE_CENTS = "expectedOrderValueCents"
CLV_CENTS = "clvCents"
HORIZON_DAYS = "horizonDays"
PREDICTION_COLUMNS = (
    P_ALIVE,
    CHURN_PROBABILITY,
    DORMANT_PROBABILITY,
    EXPECTED_ORDERS,
    EXPECTED_ORDER_VALUE_CENTS,
    CLV_CENTS,
    HORIZON_DAYS,
)
PREDICTION_SORTS: dict[str, str] = {
    "pAlive": P_ALIVE,
    "churnProbability": CHURN_PROBABILITY,
    "dormantProbability": DORMANT_PROBABILITY,
    "expectedOrders": EXPECTED_ORDERS,
    "clv": CLV_CENTS,
}

SORT_FIELDS: dict[str, str] = {
    "totalSpend": SPEND_CENTS,
    "orderCount": ORDER_COUNT,
    "lastOrderDate": LAST_ORDER_MS,
    "lastOrderDaysAgo": LAST_ORDER_DAYS_AGO,
    "lastOrderReference": LAST_ORDER_REFERENCE,
    "purchaseFrequency": PURCHASE_FREQUENCY,
    "segment": SEGMENT,
    "name": NAME,
    "email": EMAIL,
    "company": COMPANY,
    "contactID": CONTACT_ID,
}
LIST_SORT_FIELDS = {**SORT_FIELDS, **PREDICTION_SORTS}  # `list --predict` sorts by these too
DEFAULT_SORT = "totalSpend"
DEFAULT_TABLE_ROWS = 50  # rows a `list` table shows unless --limit says otherwise


# The instants format_instants writes as 24 characters: the years 1 to 9999.
FIRST_INSTANT_MS = -62_135_596_800_000  # 0001-01-01T00:00:00.000Z
LAST_INSTANT_MS = 253_402_300_799_999  # 9999-12-31T23:59:59.999Z
INSTANT_CHARS = len("2025-10-23T08:30:00.000Z")
_MARKS = {4: b"-", 7: b"-", 10: b"T", 13: b":", 16: b":", 19: b".", 23: b"Z"}  # at these places


def format_instants(ms: np.ndarray) -> np.ndarray:
    """Epoch milliseconds -> `YYYY-MM-DDTHH:MM:SS.mmmZ` strings (the API's instant format)."""
    text = instant_bytes(ms)
    return text.astype(f"U{text.dtype.itemsize}")  # (wider outside the years 1-9999)


@functools.cache
def _digit_pairs() -> np.ndarray:
    """ "00" to "99" as ASCII bytes, a row each (made on first use: numpy is imported then)."""
    import numpy as np

    return np.frombuffer(b"".join(b"%02d" % n for n in range(100)), dtype=np.uint8).reshape(100, 2)


def instant_bytes(ms: np.ndarray) -> np.ndarray:
    """format_instants' text as ASCII bytes (numpy `S24`): the civil date of each day by integer
    arithmetic (H. Hinnant's `civil_from_days`), its digits written column by column: for a
    warm VIP list at 10M orders 0.05 s where numpy's datetime_as_string took 0.28 s. numpy's
    still serves instants outside the years 1-9999."""
    import numpy as np  # here, so that the vocabulary costs nothing to import

    ms = np.asarray(ms, dtype=np.int64)
    if len(ms) and (ms.min() < FIRST_INSTANT_MS or ms.max() > LAST_INSTANT_MS):
        text = np.datetime_as_string(ms.astype("datetime64[ms]"), unit="ms")
        return np.char.encode(np.char.add(text, "Z"), "ascii")
    days, time_ms = np.divmod(ms, DAY_MS)
    z = days + 719_468  # days since 0000-03-01
    era = z // 146_097
    day_of_era = z - era * 146_097
    year_of_era = (
        day_of_era - day_of_era // 1460 + day_of_era // 36_524 - day_of_era // 146_096
    ) // 365
    day_of_year = day_of_era - (365 * year_of_era + year_of_era // 4 - year_of_era // 100)
    shifted_month = (5 * day_of_year + 2) // 153  # March is 0
    day = day_of_year - (153 * shifted_month + 2) // 5 + 1
    month = np.where(shifted_month < 10, shifted_month + 3, shifted_month - 9)
    year = year_of_era + era * 400 + (month <= 2)
    seconds = time_ms // 1000
    pairs = [  # (place, a number of two digits)
        (0, year // 100), (2, year % 100), (5, month), (8, day), (11, seconds // 3600),
        (14, seconds // 60 % 60), (17, seconds % 60), (21, time_ms % 100),
    ]  # fmt: skip
    out = np.empty((len(ms), INSTANT_CHARS), dtype=np.uint8)
    for at, values in pairs:
        out[:, at : at + 2] = _digit_pairs()[values]
    out[:, 20] = time_ms % 1000 // 100 + ord("0")
    for at, mark in _MARKS.items():
        out[:, at] = ord(mark)
    return out.view(f"S{INSTANT_CHARS}").reshape(len(ms))


def format_instant(ms: int) -> str:
    """One instant, as format_instants writes it (without numpy)."""
    moment = _EPOCH + timedelta(milliseconds=ms)
    return f"{moment:%Y-%m-%dT%H:%M:%S}.{ms % 1000:03d}Z"
