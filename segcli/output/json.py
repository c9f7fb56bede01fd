"""JSON and JSON lines in the customer API's shapes (SPEC §5).

Records for many customers are built column by column in Arrow (`record_texts`): no Python dict
per customer. Small documents (breakdowns, matrices, settings) go through the json module.
Renderers are pure: they format what they are given and never read files or compute metrics.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from segcli.model.cache_limits import CacheLimits
from segcli.model.schema import (
    AVG_SPEND_CENTS,
    COUNT,
    EXPECTED_ORDERS,
    LAST_ORDER_DAYS_AGO,
    LAST_ORDER_MS,
    LAST_ORDER_REFERENCE,
    ORDER_COUNT,
    PURCHASE_FREQUENCY,
    RFM_FREQUENCY,
    RFM_MONETARY,
    RFM_RECENCY,
    RFM_SCORE,
    RFM_SEGMENT,
    SEGMENT,
    SHARE,
    SPEND_CENTS,
    TOTAL_SPEND_CENTS,
)
from segcli.model.settings import Settings
from segcli.output import predicted, records
from segcli.output.values import (
    BREAKDOWN_KEYS,
    LAST_ORDER_DATE,
    LIST_KEYS,
    RFM,
    RFM_KEYS,
    SHOW_KEYS,
    TOTAL_SPEND,
    has_rfm,
    settings_meta,
    text_of,
)


def records_json(
    customers: pd.DataFrame, keys: tuple[str, ...] = LIST_KEYS, *, lines: bool = False
) -> str:
    """The API objects as a JSON array (or JSON lines)."""
    parts = _joined(record_texts(customers, keys, end="\n" if lines else ","), lines=lines)
    return text_of(parts)


def record_texts(
    customers: pd.DataFrame, keys: tuple[str, ...] = LIST_KEYS, *, end: str = ""
) -> pa.Array:
    """One compact JSON object per customer, in the API's key order, built column by column in
    Arrow (records.py), then `end` (the separator of a JSON array or JSON lines)."""
    last = customers[LAST_ORDER_MS]
    dates = records.instant_texts(last.fillna(0).to_numpy(dtype=np.int64), last.isna().to_numpy())
    metric_values: dict[str, pa.Array] = {
        ORDER_COUNT: _json_ints(customers[ORDER_COUNT]),
        TOTAL_SPEND: records.json_strings(records.cents_texts(customers[SPEND_CENTS].to_numpy())),
        LAST_ORDER_DATE: records.json_strings(dates),
        LAST_ORDER_REFERENCE: _arrowtext_of(customers[LAST_ORDER_REFERENCE]),
        SEGMENT: _json_labels(customers[SEGMENT]),
        LAST_ORDER_DAYS_AGO: _json_ints(customers[LAST_ORDER_DAYS_AGO]),
        PURCHASE_FREQUENCY: _json_labels(customers[PURCHASE_FREQUENCY]),
    }
    metric_values[LAST_ORDER_REFERENCE] = records.json_strings(metric_values[LAST_ORDER_REFERENCE])
    texts = {key: _arrowtext_of(customers[key]) for key in keys}
    pieces = records.record_pieces(texts, keys, metric_values)
    if has_rfm(customers):
        rfm = {
            RFM_RECENCY: _json_ints(customers[RFM_RECENCY]),
            RFM_FREQUENCY: _json_ints(customers[RFM_FREQUENCY]),
            RFM_MONETARY: _json_ints(customers[RFM_MONETARY]),
            RFM_SCORE: records.json_strings(_arrowtext_of(customers[RFM_SCORE])),
            RFM_SEGMENT: _json_labels(customers[RFM_SEGMENT]),
        }
        for i, (column, key) in enumerate(RFM_KEYS.items()):
            opening = f',"{RFM}":{{' if i == 0 else ","
            pieces += [f'{opening}"{key}":', rfm[column]]
        pieces.append("}")
    if predicted.has_prediction(customers):
        for i, (key, literal) in enumerate(predicted.json_values(customers).items()):
            opening = f',"{predicted.PREDICTION}":{{' if i == 0 else ","
            pieces += [f'{opening}"{key}":', literal]
        pieces.append("}")
    pieces.append("}}" + end)
    return records.assembled(pieces, len(customers))


_joined = records.joined
_json_strings = records.json_strings  # (predicted.py's text values)
dumps = records.dumps
meta_of = records.meta_of


def _json_ints(values: pd.Series) -> pa.Array:
    """Integers as JSON numbers, missing ones as null."""
    return records.json_ints(pa.array(values.array))


def _json_labels(values: pd.Series) -> pa.Array:
    """A categorical of labels that need no escapes (schema.py, settings.py) as JSON strings."""
    return records.json_labels(values.cat.codes.to_numpy(), list(values.cat.categories))


def _arrowtext_of(values: pd.Series) -> pa.Array:
    array = pa.array(values.array) if values.dtype == "str" else pa.array(values, pa.large_string())
    return array.combine_chunks() if isinstance(array, pa.ChunkedArray) else array


def _finish(text: str, pretty: bool) -> str:
    return dumps(json.loads(text), pretty=True) if pretty else text + "\n"


def list_json(
    page: pd.DataFrame,
    total: int,
    *,
    as_of_ms: int | None = None,
    settings: Settings | None = None,
    extra: Mapping[str, object] | None = None,
    pretty: bool = False,
) -> str:
    """`{"success": true, "data": [...], "meta": {"count": n, "total": matches, ...}}`."""
    parts = list_json_bytes(page, total, as_of_ms=as_of_ms, settings=settings, extra=extra)
    return _finish(text_of(parts).rstrip("\n"), pretty)


def list_json_bytes(
    page: pd.DataFrame,
    total: int,
    *,
    as_of_ms: int | None = None,
    settings: Settings | None = None,
    extra: Mapping[str, object] | None = None,
) -> list[pa.Buffer | bytes]:
    """`list_json` (compact) as parts of UTF-8 bytes, to be written one after another: the
    records are a slice of Arrow's buffer, never copied into one Python bytes object."""
    meta = meta_of({}, as_of_ms, settings, extra)
    return records.list_document(record_texts(page, LIST_KEYS, end=","), len(page), total, meta)


def list_ndjson_bytes(page: pd.DataFrame) -> list[pa.Buffer | bytes]:
    """`list_ndjson` as parts of UTF-8 bytes, straight from Arrow's buffer (no Python string)."""
    return _joined(record_texts(page, LIST_KEYS, end="\n"), lines=True)


def show_json(
    customer: pd.DataFrame,
    *,
    as_of_ms: int | None = None,
    settings: Settings | None = None,
    extra: Mapping[str, object] | None = None,
    pretty: bool = False,
) -> str:
    """`{"success": true, "data": {contactID, ..., accountCode, metrics}, "meta": {...}}` for a
    one-row frame (meta only when there is an as-of instant or settings to report)."""
    data = records_json(customer, SHOW_KEYS, lines=True).strip()
    meta = meta_of({}, as_of_ms, settings, extra)
    if not meta:
        return _finish(f'{{"success":true,"data":{data}}}', pretty)
    return _finish(f'{{"success":true,"data":{data},"meta":{dumps(meta, False).strip()}}}', pretty)


def breakdown_json(
    tables: Mapping[str, pd.DataFrame],
    total: int,
    as_of_ms: int,
    *,
    settings: Settings | None = None,
    extra: Mapping[str, object] | None = None,
    history: Mapping[str, object] | None = None,
    pretty: bool = False,
) -> str:
    """`{"success": true, "data": {"segment": {...}, "purchaseFrequency": {...}}, "meta": ...}`,
    and `data.history` when given (breakdown --history)."""
    data: dict[str, object] = {}
    for by, table in tables.items():
        avg = table[AVG_SPEND_CENTS]
        data[BREAKDOWN_KEYS[by]] = {
            label: {
                **records.category_values(
                    int(table[COUNT].iloc[i]),
                    float(table[SHARE].iloc[i]),
                    int(table[TOTAL_SPEND_CENTS].iloc[i]),
                    None if pd.isna(avg.iloc[i]) else int(avg.iloc[i]),
                ),
                **(predicted.totals(table, i) if EXPECTED_ORDERS in table.columns else {}),
            }
            for i, label in enumerate(table.index)
        }
    if history is not None:
        data["history"] = history
    document = {
        "success": True,
        "data": data,
        "meta": meta_of({"total": total}, as_of_ms, settings, extra),
    }
    return dumps(document, pretty)


def matrix_json(
    table: pd.DataFrame,
    meta: dict[str, object],
    *,
    key: str,
    fields: Mapping[str, object] | None = None,
    as_of_ms: int | None = None,
    settings: Settings | None = None,
    extra: Mapping[str, object] | None = None,
    pretty: bool = False,
) -> str:
    """`{"success": true, "data": {**fields, key: {row: {column: count}}}, "meta": {...}}`."""
    cells = {
        str(row): {str(column): int(count) for column, count in counts.items()}
        for row, counts in table.to_dict(orient="index").items()
    }
    document = {
        "success": True,
        "data": {**(fields or {}), key: cells},
        "meta": meta_of(dict(meta), as_of_ms, settings, extra),
    }
    return dumps(document, pretty)


def error_json(code: str, message: str) -> str:
    return dumps({"success": False, "error": {"code": code, "message": message}}, pretty=False)


def config_json(
    settings: Settings,
    origins: Mapping[str, str],
    path: str | None,
    limits: CacheLimits,
    *,
    pretty: bool = False,
) -> str:
    """The effective settings, where each came from, the RFM scale and the segment table for it,
    and the cache's limits."""
    document = {
        "success": True,
        "data": {
            "configFile": path,
            "settings": settings_meta(settings),
            "origins": dict(origins),
            "rfmScale": settings.rfm_scale,
            "rfmSegments": [
                {
                    "name": rule.name,
                    "recency": list(rule.recency),
                    "frequency": list(rule.frequency),
                    "monetary": list(rule.monetary),
                }
                for rule in settings.rfm_table()
            ],
            "cacheLimits": {"bytes": limits.max_bytes, "entries": limits.max_entries},
        },
    }
    return dumps(document, pretty)


def cache_json(
    root: str, stored: Sequence[Any], limits: CacheLimits, *, pretty: bool = False
) -> str:
    """`cache info` as JSON: the directory, each entry, their bytes in all, and the limits."""
    document = {
        "success": True,
        "data": {
            "directory": root,
            "entries": [
                {
                    "name": e.name,
                    "bytes": e.size,
                    "created": e.created,
                    "lastUsed": e.last_used,
                    "inputs": list(e.inputs),
                    "customers": e.customers,
                }
                for e in stored
            ],
            "bytes": sum(e.size for e in stored),
            "limits": {"bytes": limits.max_bytes, "entries": limits.max_entries},
        },
    }
    return dumps(document, pretty)


def prediction_json(
    model: Mapping[str, object],
    frequencies: pd.DataFrame,
    log_likelihood: float,
    as_of_ms: int,
    *,
    extra: Mapping[str, object] | None = None,
    holdout: Mapping[str, object] | None = None,
    pretty: bool = False,
) -> str:
    """`{"success": true, "data": {"model": {...}, "logLikelihood": x, "repeatOrders": [{"repeat
    Orders": "0", "actual": n, "expected": x}, ...]}, "meta": {...}}`: the fit of `predict`."""
    rows = [
        {"repeatOrders": label, "actual": int(actual), "expected": round(float(expected), 2)}
        for label, actual, expected in zip(
            frequencies["repeatOrders"], frequencies["actual"], frequencies["expected"], strict=True
        )
    ]
    document = {
        "success": True,
        "data": {
            "model": dict(model),
            "logLikelihood": round(log_likelihood, 2),
            "repeatOrders": rows,
            **({"holdout": dict(holdout)} if holdout is not None else {}),
        },
        "meta": meta_of({}, as_of_ms, None, extra),
    }
    return dumps(document, pretty)
