"""The customer API's vocabulary and values: its field names and key order (SPEC §5), money as
exact two-decimal text, instants in the API's format, and the flat frame of formatted fields
that the CSV writer and the tables start from."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import pyarrow as pa

from segcli.model.schema import (
    LAST_ORDER_DAYS_AGO,
    LAST_ORDER_MS,
    LAST_ORDER_REFERENCE,
    ORDER_COUNT,
    P_ALIVE,
    PURCHASE_FREQUENCY,
    RFM_COLUMNS,
    RFM_FREQUENCY,
    RFM_MONETARY,
    RFM_RECENCY,
    RFM_SCORE,
    RFM_SEGMENT,
    SEGMENT,
    SPEND_CENTS,
    format_instants,
)
from segcli.output import records
from segcli.output.escapes import CONTROL_ESCAPES
from segcli.output.fields import BREAKDOWN_KEYS as BREAKDOWN_KEYS  # where renderers found them
from segcli.output.fields import (  # the API's names and key order, light to import
    LAST_ORDER_DATE,
    LIST_KEYS,
    METRIC_KEYS,
    SHOW_KEYS,
    TOTAL_SPEND,
)
from segcli.output.fields import METRICS as METRICS

RFM = "rfm"

# The nested `rfm` object of `list --rfm`: its keys, from the frame's columns.
RFM_KEYS: dict[str, str] = {
    RFM_RECENCY: "recency",
    RFM_FREQUENCY: "frequency",
    RFM_MONETARY: "monetary",
    RFM_SCORE: "score",
    RFM_SEGMENT: "segment",
}


def format_cents(cents: np.ndarray | pd.Series, *, grouped: bool = False) -> pd.Series:
    """Integer cents -> exact two-decimal strings: 124550 -> '1245.50', -1200 -> '-12.00';
    `grouped` adds thousands separators for tables ('1,245.50'; the page on screen only).
    Arrow's kernels (records.cents_texts): 0.2 ms for one value (pandas' string methods took
    2 ms, paid twice by every one-customer answer of a server), 17 ms for 100k (pandas: 35 ms)."""
    whole = None
    if grouped:
        whole_cents = np.abs(np.asarray(cents, dtype=np.int64)) // 100
        grouped_text = pd.Series(whole_cents).map("{:,}".format).astype("str")
        whole = pa.array(grouped_text, pa.string())
    return pd.Series(records.cents_texts(np.asarray(cents, dtype=np.int64), whole).to_pandas())


cents_text = records.cents_text  # format_cents for one value, without Arrow's per-call overhead
settings_meta = records.settings_meta  # JSON meta.settings


def has_rfm(customers: pd.DataFrame) -> bool:
    """Whether RFM scores were added (`list --rfm`); renderers show what they are given."""
    return RFM_SEGMENT in customers.columns


def api_frame(customers: pd.DataFrame, keys: tuple[str, ...] = LIST_KEYS) -> pd.DataFrame:
    """The API's flat fields, formatted, in key order (`keys` then the metrics)."""
    last = customers[LAST_ORDER_MS]
    dates = pd.Series(format_instants(last.fillna(0).to_numpy(dtype=np.int64)), dtype="str")
    dates[last.isna().to_numpy()] = pd.NA
    flat = {key: customers[key].to_numpy() for key in keys}
    flat |= {
        ORDER_COUNT: customers[ORDER_COUNT].to_numpy(),
        TOTAL_SPEND: format_cents(customers[SPEND_CENTS]).to_numpy(),
        LAST_ORDER_DATE: dates.to_numpy(),
        LAST_ORDER_REFERENCE: customers[LAST_ORDER_REFERENCE].to_numpy(),
        SEGMENT: customers[SEGMENT].astype("str").to_numpy(),
        LAST_ORDER_DAYS_AGO: customers[LAST_ORDER_DAYS_AGO].array,
        PURCHASE_FREQUENCY: customers[PURCHASE_FREQUENCY].astype("str").to_numpy(),
    }
    if has_rfm(customers):
        flat |= {column: customers[column].to_numpy() for column in RFM_COLUMNS}
        flat[RFM_SEGMENT] = customers[RFM_SEGMENT].astype("str").to_numpy()
    if P_ALIVE in customers.columns:  # list --predict
        from segcli.output import predicted

        flat |= predicted.flat(customers)
    frame = pd.DataFrame(flat)
    for key in (*keys, LAST_ORDER_DATE, LAST_ORDER_REFERENCE):
        frame[key] = frame[key].astype("str")  # keeps missing values missing (null in JSON)
    return frame


def record_frame(
    customers: pd.DataFrame, keys: tuple[str, ...] = LIST_KEYS, fields: Sequence[str] = ()
) -> pd.DataFrame:
    """The flat records as CSV and markdown write them: `keys` then the metrics (and the RFM
    columns when scored), or exactly `fields`, in their order, from every field a record has."""
    if fields:
        return api_frame(customers, SHOW_KEYS)[list(fields)]
    columns = [*keys, *METRIC_KEYS, *(RFM_COLUMNS if has_rfm(customers) else ())]
    if P_ALIVE in customers.columns:
        from segcli.output.predicted import FIELDS

        columns += list(FIELDS)
    return api_frame(customers, keys)[columns]


def text_of(parts: Sequence[pa.Buffer | bytes]) -> str:
    """Parts of UTF-8 bytes (json.list_json_bytes and friends) as one string."""
    return b"".join(bytes(p) for p in parts).decode("utf-8")


def shown_column(values: pd.Series) -> pd.Series:
    """`shown`, for a column of text (missing values stay missing)."""
    return values.astype("str").str.translate(CONTROL_ESCAPES)
