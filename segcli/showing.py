"""One customer's `show` document from a long-lived snapshot, in a fraction of a millisecond: the
fast path of `segcli serve`'s `GET /api/customers/{contactID}`.

The general path (api.customer) finds the id by comparing the whole contactID column, then
classifies a one-row DataFrame and renders it through Arrow: about 5 ms of pandas and Arrow
overhead per request, whatever the size. Here a snapshot keeps, once, a dictionary from id to
row and the aggregate's columns as arrays; a request reads one row's values, classifies them
with the same rule tables (segments.py, on one-element arrays) and writes the JSON with
output/json.py's `dumps`, whose escapes are the ones its Arrow writer uses (a test compares the
bytes for every customer).

It answers only where the general path would use the snapshot's aggregate as it is: no
contacts file (which adds customers and details) and an as-of at or after the newest order.
Elsewhere `document` returns None and the caller takes the general path.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from segcli.core import segments
from segcli.input.shape import lookup_forms
from segcli.loading import Loaded, kept_extent
from segcli.model.errors import NotFoundError
from segcli.model.schema import (
    CONTACT_ID,
    DAY_MS,
    FIRST_ORDER_MS,
    FREQUENCIES,
    LAST_ORDER_MS,
    LAST_ORDER_REFERENCE,
    ORDER_COUNT,
    SEGMENTS,
    SPEND_CENTS,
    format_instant,
)
from segcli.model.settings import Settings
from segcli.output.fields import SHOW_KEYS
from segcli.output.json import dumps, meta_of
from segcli.output.values import METRICS, cents_text, settings_meta

INDEX = "show-index"  # a long-lived Loaded's memo: its aggregate's Index


@dataclass(frozen=True)
class Index:
    """The aggregate's rows by contactID, and its columns as arrays to read one row from."""

    rows: dict[str, int]
    numbers: dict[str, np.ndarray]  # orderCount, spend cents, first and last instants
    texts: dict[str, pa.Array]  # details and the latest reference
    settings: dict[Settings, dict[str, object]]  # meta.settings, per settings asked for


def document(loaded: Loaded, contact_id: str, settings: Settings, as_of_ms: int) -> bytes | None:
    """The compact JSON `show` prints for `contact_id` (NotFoundError when there is none), or
    None when this path does not answer (see the module's note)."""
    if loaded.memo is None or loaded.contacts is not None or not loaded.serves(as_of_ms):
        return None
    index = loaded.memo.get(INDEX)
    if index is None:
        index = loaded.memo[INDEX] = _index(loaded)
    extent = kept_extent(loaded)
    row = next((index.rows[f] for f in lookup_forms(contact_id) if f in index.rows), None)
    if row is None:
        raise NotFoundError(f"no customer with contactID '{contact_id.strip()}'")
    n = index.numbers
    count, spend = n[ORDER_COUNT][row : row + 1], n[SPEND_CENTS][row : row + 1]
    first, last = n[FIRST_ORDER_MS][row : row + 1], n[LAST_ORDER_MS][row : row + 1]
    if count[0] == 0:  # no orders: a contact's (not here), or none at all
        return None
    m = segments.Measures(
        order_count=count,
        spend_cents=spend,
        last_days_ago=(as_of_ms - last) // DAY_MS,
        first_days_ago=(as_of_ms - first) // DAY_MS,
        lifespan_days=(last - first) // DAY_MS,
    )
    metrics = {
        "orderCount": int(count[0]),
        "totalSpend": cents_text(int(spend[0])),
        "lastOrderDate": format_instant(int(last[0])),
        "lastOrderReference": index.texts[LAST_ORDER_REFERENCE][row].as_py(),
        "segment": SEGMENTS[int(segments.segment_codes(m, settings)[0])],
        "lastOrderDaysAgo": int(m.last_days_ago[0]),
        "purchaseFrequency": FREQUENCIES[int(segments.frequency_codes(m, settings)[0])],
    }
    data: dict[str, object] = {key: index.texts[key][row].as_py() for key in SHOW_KEYS}
    data[METRICS] = metrics
    meta = meta_of({}, as_of_ms, None, extent[0])  # as meta_of(..., settings, ...) writes it,
    meta["settings"] = index.settings.get(settings) or index.settings.setdefault(
        settings,
        settings_meta(settings),  # with the settings' part kept per settings
    )
    return dumps({"success": True, "data": data, "meta": meta}, pretty=False).encode()


def _index(loaded: Loaded) -> Index:
    aggregate = loaded.aggregate
    assert aggregate is not None
    ids = aggregate[CONTACT_ID].tolist()
    numbers = {
        name: aggregate[name].to_numpy(dtype=np.int64, na_value=0)
        for name in (ORDER_COUNT, SPEND_CENTS, FIRST_ORDER_MS, LAST_ORDER_MS)
    }
    texts = {
        name: pa.array(aggregate[name].array, pa.large_string())
        for name in (*SHOW_KEYS, LAST_ORDER_REFERENCE)
    }
    return Index(dict(zip(ids, range(len(ids)), strict=True)), numbers, texts, {})
