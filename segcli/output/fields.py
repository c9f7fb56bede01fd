"""The fields of a customer record, by the API's names: their key order (SPEC §5), which ones
list output can show (`--columns`), their table titles, and which stay longest on a narrow
screen. Light on purpose (no pandas): the CLI checks `--columns` before any data is read."""

from __future__ import annotations

from segcli.model.schema import (
    ACCOUNT_CODE,
    ACCOUNT_NAME,
    COMPANY,
    CONTACT_ID,
    EMAIL,
    LAST_ORDER_DAYS_AGO,
    LAST_ORDER_REFERENCE,
    NAME,
    ORDER_COUNT,
    PHONE,
    PURCHASE_FREQUENCY,
    RFM_COLUMNS,
    RFM_FREQUENCY,
    RFM_MONETARY,
    RFM_RECENCY,
    RFM_SCORE,
    RFM_SEGMENT,
    SEGMENT,
)

TOTAL_SPEND = "totalSpend"

LAST_ORDER_DATE = "lastOrderDate"

METRICS = "metrics"  # the key of a record's nested metrics

# A breakdown's JSON keys: `breakdown --by segment` is `data.segment`, by frequency
# `data.purchaseFrequency`; `rfm` is `data.rfmSegment`.
BREAKDOWN_KEYS = {"segment": SEGMENT, "frequency": PURCHASE_FREQUENCY, "rfm": RFM_SEGMENT}

# The customer API's key order (SPEC §5).
LIST_KEYS: tuple[str, ...] = (CONTACT_ID, NAME, EMAIL, COMPANY)

SHOW_KEYS: tuple[str, ...] = (*LIST_KEYS, PHONE, ACCOUNT_NAME, ACCOUNT_CODE)

METRIC_KEYS: tuple[str, ...] = (
    ORDER_COUNT,
    TOTAL_SPEND,
    LAST_ORDER_DATE,
    LAST_ORDER_REFERENCE,
    SEGMENT,
    LAST_ORDER_DAYS_AGO,
    PURCHASE_FREQUENCY,
)


# Every field a customer record has, in the API's key order (the rfm fields with --rfm).
RECORD_FIELDS: tuple[str, ...] = (*SHOW_KEYS, *METRIC_KEYS)


def list_fields(rfm: bool) -> tuple[str, ...]:
    """The fields `--columns` may name."""
    return (*RECORD_FIELDS, *RFM_COLUMNS) if rfm else RECORD_FIELDS


# The list table: each field's title, and how long it stays when the width runs out (higher
# stays longer). Text fields shrink and end in an ellipsis; the others are never cut.
LIST_TITLES: dict[str, str] = {
    CONTACT_ID: "ID",
    NAME: "Name",
    EMAIL: "Email",
    COMPANY: "Company",
    PHONE: "Phone",
    ACCOUNT_NAME: "Account name",
    ACCOUNT_CODE: "Account code",
    ORDER_COUNT: "Orders",
    TOTAL_SPEND: "Spend",
    LAST_ORDER_DATE: "Last order",
    LAST_ORDER_REFERENCE: "Last reference",
    SEGMENT: "Segment",
    LAST_ORDER_DAYS_AGO: "Days",
    PURCHASE_FREQUENCY: "Frequency",
    RFM_RECENCY: "R",
    RFM_FREQUENCY: "F",
    RFM_MONETARY: "M",
    RFM_SCORE: "RFM",
    RFM_SEGMENT: "RFM segment",
}
LIST_PRIORITY: dict[str, int] = {
    NAME: 95,
    CONTACT_ID: 75,
    TOTAL_SPEND: 85,
    SEGMENT: 80,
    ORDER_COUNT: 70,
    LAST_ORDER_DAYS_AGO: 65,
    PURCHASE_FREQUENCY: 60,
    RFM_SEGMENT: 58,
    RFM_SCORE: 55,
    LAST_ORDER_DATE: 50,
    RFM_RECENCY: 42,
    RFM_FREQUENCY: 41,
    RFM_MONETARY: 40,
    EMAIL: 30,
    COMPANY: 25,
    LAST_ORDER_REFERENCE: 20,
    PHONE: 15,
    ACCOUNT_NAME: 12,
    ACCOUNT_CODE: 10,
}
TEXT_FIELDS = frozenset(
    {CONTACT_ID, NAME, EMAIL, COMPANY, PHONE, ACCOUNT_NAME, ACCOUNT_CODE, LAST_ORDER_REFERENCE}
)
RIGHT_FIELDS = frozenset(
    {ORDER_COUNT, TOTAL_SPEND, LAST_ORDER_DAYS_AGO, RFM_RECENCY, RFM_FREQUENCY, RFM_MONETARY}
)
# The list table's own choice: the name (else the company) as "Customer", then the metrics.
DEFAULT_LIST_FIELDS: tuple[str, ...] = (
    NAME,
    CONTACT_ID,
    SEGMENT,
    PURCHASE_FREQUENCY,
    ORDER_COUNT,
    TOTAL_SPEND,
    LAST_ORDER_DATE,
    LAST_ORDER_DAYS_AGO,
)
DEFAULT_RFM_FIELDS: tuple[str, ...] = (RFM_SCORE, RFM_SEGMENT)

# list --predict: the prediction fields (output/predicted.py), their titles and priorities.
PREDICTION_TITLES: dict[str, str] = {
    "pAlive": "P(alive)",
    "churnProbability": "Churn",
    "dormantProbability": "P(dormant)",
    "expectedOrders": "Exp. orders",
    "expectedOrderValue": "Exp. order value",
    "clv": "CLV",
    "horizonDays": "Horizon",
}
LIST_TITLES |= PREDICTION_TITLES
LIST_PRIORITY |= {
    "churnProbability": 57,
    "dormantProbability": 53,
    "clv": 56,
    "expectedOrders": 54,
    "pAlive": 45,
    "expectedOrderValue": 35,
    "horizonDays": 5,
}
RIGHT_FIELDS |= frozenset(PREDICTION_TITLES)


def prediction_fields() -> tuple[str, ...]:
    """The fields `--columns` may also name with `--predict`."""
    return tuple(PREDICTION_TITLES)
