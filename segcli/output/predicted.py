"""Per-customer predictions (`list --predict`) as each format shows them: the nested
`prediction` object of a JSON record, flat CSV fields and table cells. Probabilities to four
decimals, expected orders to two, money as two-decimal text (as totalSpend); missing (null,
empty, a dash) for a customer with no orders. Built column by column, no object per customer."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from segcli.model.schema import (
    CHURN_PROBABILITY,
    CLV_CENTS,
    DORMANT_PROBABILITY,
    EXPECTED_ORDER_VALUE_CENTS,
    EXPECTED_ORDERS,
    HORIZON_DAYS,
    P_ALIVE,
)
from segcli.output.values import format_cents

PREDICTION = "prediction"
EXPECTED_ORDER_VALUE = "expectedOrderValue"
CLV = "clv"
# The record's fields, in the API's key order, and the frame column each comes from.
FIELDS: dict[str, str] = {
    P_ALIVE: P_ALIVE,
    CHURN_PROBABILITY: CHURN_PROBABILITY,
    DORMANT_PROBABILITY: DORMANT_PROBABILITY,
    EXPECTED_ORDERS: EXPECTED_ORDERS,
    EXPECTED_ORDER_VALUE: EXPECTED_ORDER_VALUE_CENTS,
    CLV: CLV_CENTS,
    HORIZON_DAYS: HORIZON_DAYS,
}
DECIMALS = {P_ALIVE: 4, CHURN_PROBABILITY: 4, DORMANT_PROBABILITY: 4, EXPECTED_ORDERS: 2}
TABLE_FIELDS = (CHURN_PROBABILITY, DORMANT_PROBABILITY, EXPECTED_ORDERS, CLV)  # table default


def totals(table: pd.DataFrame, row: int) -> dict[str, object]:
    """A breakdown category's expected orders and CLV (`breakdown --predict`)."""
    cents = int(np.rint(table[CLV_CENTS].iloc[row]))
    return {
        EXPECTED_ORDERS: round(float(table[EXPECTED_ORDERS].iloc[row]), 2),
        CLV: format_cents(np.array([cents])).iloc[0],
    }


def has_prediction(customers: pd.DataFrame) -> bool:
    return P_ALIVE in customers.columns


def texts(customers: pd.DataFrame, field: str, *, grouped: bool = False) -> pa.Array:
    """One field as text (null where missing): numbers rounded, money from cents."""
    values = customers[FIELDS[field]].to_numpy(dtype=np.float64, na_value=np.nan)
    missing = np.isnan(values)
    if field in (EXPECTED_ORDER_VALUE, CLV):
        cents = np.rint(np.where(missing, 0, values)).astype(np.int64)
        text = pa.array(format_cents(cents, grouped=grouped).to_numpy(), pa.large_string())
    elif field == HORIZON_DAYS:
        text = pc.cast(pa.array(np.where(missing, 0, values).astype(np.int64)), pa.large_string())
    else:
        rounded = np.round(np.where(missing, 0, values), DECIMALS[field])
        formatted = np.char.mod(f"%.{DECIMALS[field]}f", rounded)
        text = pa.array(formatted, pa.large_string())
    return pc.if_else(pa.array(missing), pa.scalar(None, pa.large_string()), text)


def json_values(customers: pd.DataFrame) -> dict[str, pa.Array]:
    """Each field's JSON literal: numbers bare, money quoted, null where missing."""
    literals = {}
    for field in FIELDS:
        text = texts(customers, field)
        if field in (EXPECTED_ORDER_VALUE, CLV):
            quote = pa.scalar('"', pa.large_string())
            text = pc.binary_join_element_wise(quote, text, quote, pa.scalar("", pa.large_string()))
        literals[field] = pc.fill_null(text, pa.scalar("null", pa.large_string()))
    return literals


def flat(customers: pd.DataFrame) -> dict[str, np.ndarray]:
    """The fields for CSV and markdown: text, missing where there is no prediction."""
    return {
        field: pd.Series(texts(customers, field).to_pandas(), dtype="str").to_numpy()
        for field in FIELDS
    }


def cells(customers: pd.DataFrame, field: str) -> np.ndarray:
    """A table column: grouped money, a dash where missing."""
    text = texts(customers, field, grouped=True)
    return np.asarray(pc.fill_null(text, "—").to_pylist(), dtype=object)
