"""`list` with the Dask engine as NDJSON, CSV or TSV, written as it comes: the customers stay on
the cluster, and this process holds one range of the sorted list at a time, never all of them.

The aggregate's buckets (scaling.aggregated) are classified at the as-of on the workers, with
the very code the pandas engine runs: a customer's segment and frequency need only that
customer and the as-of. Each bucket is filtered and sorted there (core/select.py), and a few of
its sort keys, evenly spaced in its order, come back with its count of matches and the instants
loading's notices need. From the samples this process chooses the boundaries of ranges of
about RANGE customers; each bucket's matches are cut at the boundaries (by the same sort, run
over the boundaries and the bucket together, so that a customer falls where the pandas engine
would put it, ties by contactID), the pieces of each range meet on one worker and are sorted
there. The ranges' counts give each one's share of `--offset` and `--limit`: a range outside
them is never rendered nor fetched. The rest are rendered on the workers (output/), AHEAD
ranges ahead of the one written, and their bytes fetched one range at a time, in order (a CSV
header once).

What is global cannot stream, and gathers every customer as the pandas engine holds them (the
CLI's other path): RFM scores (quintiles over all customers), a contacts file (its customers
with no orders, and the notice of those with no record, are counted over all of them), the JSON
document (one envelope around the list) and the table (its widths).
"""

from __future__ import annotations

import functools
import math
import operator
from collections import deque
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from segcli import reports, scaling
from segcli.core import segments, select
from segcli.engines import dask as dask_engine
from segcli.model.notices import Notice
from segcli.model.schema import (
    CONTACT_ID,
    DEFAULT_SORT,
    LAST_ORDER_MS,
    LIST_SORT_FIELDS,
    ORDER_COUNT,
    SORT_FIELDS,
)
from segcli.model.settings import Settings
from segcli.output.dialect import Dialect

RANGE = 100_000  # customers per range of the sort, about: what this process holds at a time
AHEAD = 2  # ranges rendered on the workers ahead of the one being written
SAMPLES = 1024  # sort keys sampled per bucket, evenly in its order, to choose the boundaries
FORMATS = ("ndjson", "csv", "tsv")  # what streams: records one after another


@dataclass(frozen=True)
class Stream:
    """What a streamed list says (loading's notices, then the classification's), how many
    customers matched, and stdout's bytes, a range at a time."""

    notices: tuple[Notice, ...]
    total: int
    parts: Iterator[bytes]


@dataclass(frozen=True)
class _Said:
    """What a bucket tells this process: its matches, its newest counted order, and the sort
    keys (contactID and the sort's column) of up to SAMPLES matches, in sort order."""

    matched: int
    newest_ms: int | None
    sample: pd.DataFrame


def streams(inputs: Any, fmt: str, filters: select.Filters, rfm: bool, sort: str) -> bool:
    """Whether a list with these inputs and choices can stream (see the module's docstring)."""
    return (
        inputs.engine.is_dask
        and fmt in FORMATS
        and not rfm
        and not filters.rfm_segments
        and not filters.predicted()
        and sort in SORT_FIELDS
        and inputs.contacts is None
        and inputs.rejects is None
    )


def stream(
    inputs: Any,
    as_of_ms: int | None,
    settings: Settings,
    *,
    fmt: str,
    rfm: bool,
    dialect: Dialect,
    fields: Sequence[str] = (),
    **asked: Any,
) -> AbstractContextManager[Stream] | None:
    """`listed` where the list can stream (`streams`), rendered in `fmt` (with the CSV
    `dialect` and `fields`); None where only the path that gathers every customer
    (api.customers) answers, or where a cache entry does (no cluster is needed)."""
    if not streams(inputs, fmt, asked["filters"], rfm, asked.get("sort", DEFAULT_SORT)):
        return None
    if scaling.cached(inputs, as_of_ms, asked["details"]):
        return None  # the cache answers, with no cluster (scaling.load_orders)
    csv = None if fmt == "ndjson" else dialect
    render = functools.partial(render_records, dialect=csv, fields=tuple(fields))
    return listed(inputs, as_of_ms, settings, render=render, **asked)


@contextmanager
def listed(
    inputs: Any,
    as_of_ms: int | None,
    settings: Settings,
    *,
    details: Collection[str],
    filters: select.Filters,
    render: Callable[[pd.DataFrame, bool], bytes],
    sort: str = DEFAULT_SORT,
    descending: bool = True,
    limit: int | None = None,
    offset: int = 0,
) -> Iterator[Stream]:
    """The customers of `inputs` (an api.Inputs with the dask engine) as of `as_of_ms`, as
    `api.customers` has them with these filters and this page, each range rendered on a worker
    by `render(page, first)` (`first`: the first bytes of the output). The cluster stays
    connected while the context lasts: consume `parts` inside it."""
    reading = scaling.reading_of(inputs)  # (no contacts file: `streams`)
    with scaling.aggregated(inputs.paths, **reading, as_of_ms=as_of_ms, details=details) as found:
        at_ms = as_of_ms
        if at_ms is None:
            at_ms = found.default_as_of_ms if found.default_as_of_ms is not None else found.cut_ms
        order = {"sort": sort, "descending": descending}
        connected, buckets = found.connected, list(found.buckets)
        found.buckets.clear()  # held by the next step's tasks only, until they are done
        prepare = functools.partial(
            _prepare, at_ms=at_ms, settings=settings, filters=filters, samples=SAMPLES, **order
        )
        done = dask_engine.each(connected, prepare, buckets)
        del buckets
        matches = dask_engine.each(connected, operator.itemgetter(0), done)
        said: list[_Said] = dask_engine.gather(
            connected, dask_engine.each(connected, operator.itemgetter(1), done)
        )
        del done
        notices = list(found.notices)
        newest = [s.newest_ms for s in said if s.newest_ms is not None]
        if as_of_ms is None and found.default_as_of_ms is None and newest:
            notices.extend(reports.stale(max(newest), at_ms, settings.dormant_days))
        total = sum(s.matched for s in said)
        bounds = boundaries(said, max(1, math.ceil(total / RANGE)), **order)
        cut = functools.partial(_cut, **order)
        shared = dask_engine.broadcast(connected, bounds)
        split = dask_engine.each(connected, cut, matches, [shared] * len(matches))
        del matches
        ranges = dask_engine.exchange(
            connected, split, len(bounds) + 1, functools.partial(_merged, **order)
        )
        del split
        counts = dask_engine.gather(connected, dask_engine.each(connected, len, ranges))
        chosen = page_of(counts, offset, limit)
        kept = {r: ranges[r] for r, _, _ in chosen}  # the others are let go, never rendered
        del ranges
        yield Stream(tuple(notices), total, _fetched(connected, kept, chosen, render))


def _fetched(
    connected: Any,
    ranges: dict[int, Any],
    chosen: list[tuple[int, int, int]],
    render: Callable[[pd.DataFrame, bool], bytes],
) -> Iterator[bytes]:
    """The `chosen` rows of each range rendered on a worker, AHEAD ranges ahead of the one
    fetched, and their bytes fetched one range at a time, in order; each range let go once
    rendered, its bytes once fetched."""
    pending: deque = deque()
    for k, (r, start, stop) in enumerate(chosen):
        rows = [slice(start, stop)]
        pending.extend(
            dask_engine.each(connected, _rendered, [ranges.pop(r)], rows, [k == 0], [render])
        )
        if len(pending) > AHEAD:
            yield dask_engine.gather(connected, [pending.popleft()])[0]
    while pending:
        yield dask_engine.gather(connected, [pending.popleft()])[0]


def page_of(counts: list[int], offset: int, limit: int | None) -> list[tuple[int, int, int]]:
    """The ranges (range, start, stop within it) that hold matches `offset` to `offset + limit`
    of ranges of `counts` matches each; the first range, empty, when none does (a CSV header
    is still written)."""
    ends = np.cumsum(counts)
    starts = ends - np.asarray(counts, dtype=np.int64)
    stop = ends[-1] if limit is None else min(int(ends[-1]), offset + limit)
    first = np.clip(offset - starts, 0, counts)
    last = np.clip(stop - starts, 0, counts)
    chosen = np.flatnonzero(last > first)
    if not len(chosen):
        return [(0, 0, 0)]
    return list(zip(chosen.tolist(), first[chosen].tolist(), last[chosen].tolist(), strict=True))


def boundaries(said: list[_Said], ranges: int, *, sort: str, descending: bool) -> pd.DataFrame:
    """The sort keys that cut the matches into `ranges` ranges of about equal size, chosen from
    the buckets' samples (each sample stands for its bucket's matches over its samples), in
    sort order, without repeats; none for one range."""
    samples = [s for s in said if len(s.sample)]
    if ranges < 2 or not samples:
        return said[0].sample.iloc[:0]
    keys = pd.concat([s.sample for s in samples], ignore_index=True)
    weight = np.concatenate([np.full(len(s.sample), s.matched / len(s.sample)) for s in samples])
    order = select.sort_order(keys, sort, descending=descending)
    seen = np.cumsum(weight[order])
    wanted = seen[-1] * np.arange(1, ranges) / ranges
    picked = np.unique(np.minimum(np.searchsorted(seen, wanted), len(order) - 1))
    return keys.iloc[order[picked]].reset_index(drop=True)


def _columns(sort: str) -> list[str]:
    """What the sort reads: contactID (the ties) and the sort's column."""
    return list(dict.fromkeys((CONTACT_ID, LIST_SORT_FIELDS[sort])))


def _prepare(
    bucket: pd.DataFrame,
    *,
    at_ms: int,
    settings: Settings,
    filters: select.Filters,
    samples: int,
    sort: str,
    descending: bool,
) -> tuple[pd.DataFrame, _Said]:
    """On a worker: a bucket's customers classified at `at_ms` as the pandas engine classifies
    them, filtered and sorted, and what this process needs of them."""
    customers = scaling.as_pandas_engine_does(bucket)
    counted = customers[ORDER_COUNT].to_numpy() > 0
    last = customers[LAST_ORDER_MS].to_numpy(dtype=np.int64, na_value=0)[counted]
    table = segments.classify(customers, at_ms, settings)
    matched = table.iloc[np.flatnonzero(select.kept(table, filters))]
    columns = _columns(sort)
    matched = matched.iloc[select.sort_order(matched[columns], sort, descending=descending)]
    n = len(matched)
    evenly = np.unique(np.linspace(0, n - 1, min(n, samples)).round().astype(np.int64))
    sample = matched[columns].iloc[evenly].reset_index(drop=True)
    return matched, _Said(n, int(last.max()) if len(last) else None, sample)


def _cut(
    matched: pd.DataFrame, bounds: pd.DataFrame, *, sort: str, descending: bool
) -> list[pd.DataFrame]:
    """On a worker: a bucket's matches cut into the ranges `bounds` delimit. The sort runs over
    the boundaries and the matches together (the boundaries first, so that a customer who is
    a boundary goes after it): each customer's range is the number of boundaries before it."""
    if not len(bounds):
        return [matched]
    keys = pd.concat([bounds, matched[_columns(sort)]], ignore_index=True)
    order = select.sort_order(keys, sort, descending=descending)
    boundary = order < len(bounds)
    ranges = np.empty(len(matched), dtype=np.int64)
    ranges[order[~boundary] - len(bounds)] = np.cumsum(boundary)[~boundary]
    rows = np.argsort(ranges, kind="stable")
    edges = np.searchsorted(ranges[rows], np.arange(len(bounds) + 2))
    return [matched.iloc[rows[edges[r] : edges[r + 1]]] for r in range(len(bounds) + 1)]


def _merged(*pieces: pd.DataFrame, sort: str, descending: bool) -> pd.DataFrame:
    """On a worker: one range's pieces from every bucket, sorted as the pandas engine sorts."""
    together = pd.concat(pieces, ignore_index=True)
    return together.iloc[select.sort_order(together[_columns(sort)], sort, descending=descending)]


def _rendered(
    customers: pd.DataFrame, rows: slice, first: bool, render: Callable[[pd.DataFrame, bool], bytes]
) -> bytes:
    """On a worker: rows of a sorted range, rendered."""
    return render(customers.iloc[rows], first)


def render_records(
    page: pd.DataFrame, first: bool, *, dialect: Dialect | None, fields: Sequence[str]
) -> bytes:
    """A page as NDJSON (`dialect` None) or as CSV in `dialect`, with `fields` (output/csv.py),
    its header and BOM only at the `first` bytes of the output."""
    from segcli.output import csv, json

    if dialect is None:
        return b"".join(bytes(part) for part in json.list_ndjson_bytes(page))
    if not first:
        dialect = replace(dialect, headers=False, bom=False)
    return csv.list_csv(page, dialect, fields=fields).encode("utf-8")
