"""What `segcli.api` returns: frozen results that carry their frame, their notices, and the
customer API's JSON documents (SPEC §5) through `.to_dict()` and `.records()`.

`.to_dict()` is the document the CLI prints for the same question, parsed: it is built by the
same renderer, so the two cannot drift apart. `.frame` is for pandas users: money in integer
cents, instants in epoch milliseconds, segments and frequencies as categoricals.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from segcli.model.notices import Notice
from segcli.model.schema import format_instant
from segcli.model.settings import Settings
from segcli.output import json as json_out
from segcli.output import periods as periods_out
from segcli.output.dialect import CSV, Dialect
from segcli.output.values import SHOW_KEYS, text_of


@dataclass(frozen=True)
class CustomerList:
    """A page of customers (`list`): `frame` holds the page, `total` the matches before
    `limit` and `offset`."""

    frame: pd.DataFrame
    total: int
    as_of_ms: int
    settings: Settings
    offset: int = 0
    notices: tuple[Notice, ...] = ()
    meta: Mapping[str, object] = field(default_factory=dict)  # ordersFrom, ordersTo, currency

    def json_parts(self) -> list[Any]:
        """The compact JSON document as parts of UTF-8 bytes (the records are a slice of Arrow's
        buffer, never one Python string): what `list --format json` writes."""
        return json_out.list_json_bytes(
            self.frame, self.total, as_of_ms=self.as_of_ms, settings=self.settings, extra=self.meta
        )

    def json_text(self, *, pretty: bool = False) -> str:
        if not pretty:
            return text_of(self.json_parts())
        return json_out.list_json(
            self.frame,
            self.total,
            as_of_ms=self.as_of_ms,
            settings=self.settings,
            extra=self.meta,
            pretty=True,
        )

    def ndjson_parts(self) -> list[Any]:
        """The page as JSON lines, parts of UTF-8 bytes: what `list --format ndjson` writes."""
        return json_out.list_ndjson_bytes(self.frame)

    def csv_text(self, dialect: Dialect = CSV) -> str:
        """The page as CSV (TSV with a tab dialect): what `list --format csv` writes."""
        from segcli.output.csv import list_csv

        return list_csv(self.frame, dialect)

    def to_dict(self) -> dict[str, Any]:
        """`{"success": true, "data": [...], "meta": {"count", "total", "asOf", "settings"}}`."""
        return json.loads(self.json_text())

    def records(self, *, full: bool = False) -> list[dict[str, Any]]:
        """The customers as API objects: contactID, name, email, company, metrics; with `full`,
        in `show`'s shape (phone and account fields too)."""
        if not full:
            return self.to_dict()["data"]
        return json.loads(json_out.records_json(self.frame, SHOW_KEYS))


@dataclass(frozen=True)
class Customer:
    """One customer (`show`), with phone and account fields; `frame` has one row."""

    frame: pd.DataFrame
    as_of_ms: int
    settings: Settings
    notices: tuple[Notice, ...] = ()
    meta: Mapping[str, object] = field(default_factory=dict)

    def json_text(self, *, pretty: bool = False) -> str:
        return json_out.show_json(
            self.frame,
            as_of_ms=self.as_of_ms,
            settings=self.settings,
            extra=self.meta,
            pretty=pretty,
        )

    def to_dict(self) -> dict[str, Any]:
        """`{"success": true, "data": {contactID, ..., accountCode, metrics}, "meta": {...}}`."""
        return json.loads(self.json_text())

    def records(self) -> list[dict[str, Any]]:
        return [self.to_dict()["data"]]


@dataclass(frozen=True)
class Breakdown:
    """Count, share, total and average spend per category (`breakdown`, `rfm`): one table per
    dimension ('segment', 'frequency' or 'rfm'), each with every category in display order."""

    tables: Mapping[str, pd.DataFrame]
    total: int  # customers
    as_of_ms: int
    settings: Settings
    notices: tuple[Notice, ...] = ()
    meta: Mapping[str, object] = field(default_factory=dict)
    history: Any = None  # analytics.durations.Durations, with `breakdown --history`

    @property
    def frame(self) -> pd.DataFrame:
        """The tables one under another, indexed by (dimension, category)."""
        return pd.concat(dict(self.tables), names=["by", "category"])

    def history_dict(self) -> dict[str, Any] | None:
        """`data.history`: time in each segment and the moves between segments."""
        if self.history is None:
            return None
        h = self.history
        return periods_out.durations_dict(h.segments, h.moves, h.customers)

    def json_text(self, *, pretty: bool = False) -> str:
        return json_out.breakdown_json(
            self.tables,
            self.total,
            self.as_of_ms,
            settings=self.settings,
            extra=self.meta,
            history=self.history_dict(),
            pretty=pretty,
        )

    def to_dict(self) -> dict[str, Any]:
        return json.loads(self.json_text())

    def records(self) -> list[dict[str, Any]]:
        """One record per (dimension, category), as the JSON document words each (the history,
        if any, is in `to_dict()` and `history_dict()`)."""
        return [
            {"by": by, "category": category, **values}
            for by, categories in self.to_dict()["data"].items()
            if by != "history"
            for category, values in categories.items()
        ]


@dataclass(frozen=True)
class History:
    """One customer's segment history (`history`): `frame` holds the periods (segment, fromMs,
    toMs, ongoing), oldest first; `customer` the customer's one-row frame as `show` has it."""

    frame: pd.DataFrame
    customer: pd.DataFrame
    as_of_ms: int
    settings: Settings
    notices: tuple[Notice, ...] = ()
    meta: Mapping[str, object] = field(default_factory=dict)

    def json_text(self, *, pretty: bool = False) -> str:
        meta = json_out.meta_of({}, self.as_of_ms, self.settings, self.meta)
        document = periods_out.history_document(self.customer, self.frame, meta)
        return json_out.dumps(document, pretty)

    def to_dict(self) -> dict[str, Any]:
        """`{"success": true, "data": {"contactID", "name", "periods": [...]}, "meta": {...}}`."""
        return json.loads(self.json_text())

    def records(self) -> list[dict[str, Any]]:
        """The periods: segment, from, to, days, ongoing."""
        return periods_out.period_records(self.frame)


@dataclass(frozen=True)
class Matrix:
    """Counts per pair of labels: segment × frequency (`breakdown --cross`), or segment at one
    date × segment at another (`transitions`, with the biggest `movements`)."""

    frame: pd.DataFrame  # rows × columns of counts, every label present
    key: str  # the JSON key of the cells: 'segmentByFrequency' or 'matrix'
    total: int  # customers
    settings: Settings
    as_of_ms: int | None = None  # breakdown --cross reports its as-of; transitions its dates
    fields: Mapping[str, str] = field(default_factory=dict)  # transitions: from, to
    movements: pd.DataFrame | None = None  # transitions: off-diagonal cells, biggest first
    notices: tuple[Notice, ...] = ()
    meta: Mapping[str, object] = field(default_factory=dict)

    def json_text(self, *, pretty: bool = False) -> str:
        return json_out.matrix_json(
            self.frame,
            {"total": self.total},
            key=self.key,
            fields=self.fields,
            as_of_ms=self.as_of_ms,
            settings=self.settings,
            extra=self.meta,
            pretty=pretty,
        )

    def to_dict(self) -> dict[str, Any]:
        return json.loads(self.json_text())

    def records(self) -> list[dict[str, Any]]:
        """One record per cell: {"segment", "purchaseFrequency", "count"} for a segment x
        frequency matrix, {"from", "to", "count"} for transitions."""
        rows, columns = ("from", "to") if self.movements is not None else CROSS_KEYS
        cells = self.frame.stack()
        return [
            {rows: str(row), columns: str(column), "count": int(n)}
            for (row, column), n in cells.items()
        ]


CROSS_KEYS = ("segment", "purchaseFrequency")


@dataclass(frozen=True)
class Prediction:
    """The fitted BG/NBD and Gamma-Gamma models (`predict`): `fit` holds the parameters, the
    customers used, the log-likelihood and the goodness-of-fit table; `summary` the per-customer
    frequency, recency, T (days) and mean repeat spend the models were fitted to."""

    fit: Any  # analytics.predict.Fit
    summary: pd.DataFrame
    as_of_ms: int
    notices: tuple[Notice, ...] = ()
    meta: Mapping[str, object] = field(default_factory=dict)
    holdout: Any = None  # analytics.predict.Holdout, when fitted on a calibration period
    holdout_ms: int | None = None  # then: the calibration period's end (the fit's as-of)

    @property
    def model(self) -> dict[str, Any]:
        """`{"bgnbd": {r, alpha, a, b}, "gammaGamma": {p, q, v}, "timeUnit": "day", ...}`."""
        return {
            "bgnbd": {k: round(v, 6) for k, v in self.fit.bgnbd.items()},
            "gammaGamma": {k: round(v, 6) for k, v in self.fit.gamma_gamma.items()} or None,
            "timeUnit": "day",
            "customers": self.fit.customers,
            "fitted": self.fit.fitted,
        }

    def json_text(self, *, pretty: bool = False) -> str:
        return json_out.prediction_json(
            self.model,
            self.fit.frequencies,
            self.fit.log_likelihood,
            self.as_of_ms,
            extra=self.meta,
            holdout=self.holdout_dict(),
            pretty=pretty,
        )

    def holdout_dict(self) -> dict[str, Any] | None:
        """`{"from", "days", "predicted", "actual", "meanAbsoluteError", "calibration": [...]}`."""
        if self.holdout is None:
            return None
        h = self.holdout
        rows = h.table.round({"predicted": 3, "actual": 3}).to_dict(orient="records")
        return {
            "from": format_instant(self.holdout_ms or self.as_of_ms),
            "days": int(h.days),
            "predicted": round(h.predicted, 2),
            "actual": h.actual,
            "meanAbsoluteError": round(h.mean_absolute_error, 4),
            "calibration": [
                {k: (v.item() if hasattr(v, "item") else v) for k, v in r.items()} for r in rows
            ],
        }

    def to_dict(self) -> dict[str, Any]:
        return json.loads(self.json_text())

    def records(self) -> list[dict[str, Any]]:
        """The goodness-of-fit rows: repeatOrders, actual, expected."""
        return self.to_dict()["data"]["repeatOrders"]
