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
    LAST_ORDER_MS,
    LAST_ORDER_REFERENCE,
    ORDER_COUNT,
    SPEND_CENTS,
    format_instant,
)
from segcli.model.settings import Settings
from segcli.output.fields import SHOW_KEYS
from segcli.output.json import dumps, meta_of
from segcli.output.values import METRICS, cents_text, settings_meta

INDEX = "show-index"  # a long-lived Loaded's memo: its aggregate's Index
SETTINGS_KEPT = 8  # meta.settings documents an Index keeps


@dataclass(frozen=True)
class Index:
    """The aggregate's rows by contactID, and its columns as arrays to read one row from."""

    rows: dict[str, int]
    numbers: dict[str, np.ndarray]  # orderCount, spend cents, first and last instants
    texts: dict[str, pa.Array]  # details and the latest reference
    settings: dict[int, tuple[Settings, dict[str, object]]]  # meta.settings, by id(settings)


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
    count, spend = int(n[ORDER_COUNT][row]), int(n[SPEND_CENTS][row])
    first, last = int(n[FIRST_ORDER_MS][row]), int(n[LAST_ORDER_MS][row])
    if count == 0:  # no orders: a contact's (not here), or none at all
        return None
    m = segments.Measures(  # one customer's, in plain ints (segments.first_label)
        order_count=count,  # type: ignore[arg-type]
        spend_cents=spend,  # type: ignore[arg-type]
        last_days_ago=(as_of_ms - last) // DAY_MS,  # type: ignore[arg-type]
        first_days_ago=(as_of_ms - first) // DAY_MS,  # type: ignore[arg-type]
        lifespan_days=(last - first) // DAY_MS,  # type: ignore[arg-type]
    )
    metrics = {
        "orderCount": count,
        "totalSpend": cents_text(spend),
        "lastOrderDate": format_instant(last),
        "lastOrderReference": index.texts[LAST_ORDER_REFERENCE][row].as_py(),
        "segment": segments.first_label(
            segments.segment_rules(m, settings), segments.SEGMENT_DEFAULT
        ),
        "lastOrderDaysAgo": m.last_days_ago,
        "purchaseFrequency": segments.first_label(
            segments.frequency_rules(m, settings), segments.FREQUENCY_DEFAULT
        ),
    }
    data: dict[str, object] = {key: index.texts[key][row].as_py() for key in SHOW_KEYS}
    data[METRICS] = metrics
    meta = meta_of({}, as_of_ms, None, extent[0])  # as meta_of(..., settings, ...) writes it,
    meta["settings"] = _settings_meta(index, settings)  # with the settings' part kept
    return dumps({"success": True, "data": data, "meta": meta}, pretty=False).encode()


def _settings_meta(index: Index, settings: Settings) -> dict[str, object]:
    """meta.settings for `settings`, kept per settings object: a server asks with the same one
    every time, and hashing the nested dataclass took longer than the rest of the lookup."""
    kept = index.settings.get(id(settings))
    if kept is None or kept[0] is not settings:  # the entry holds it, so its id is not reused
        if len(index.settings) >= SETTINGS_KEPT:  # a caller with a new Settings every time
            index.settings.clear()
        kept = index.settings[id(settings)] = (settings, settings_meta(settings))
    return kept[1]


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
