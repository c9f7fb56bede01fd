"""New exports added to old ones: the per-customer aggregate of a list of files, from the cached
aggregate of the list without its newest files and those files read alone.

The aggregate merges: counts and cents add, the first order is a minimum, the last a maximum,
and the latest reference and each detail go by (instant, file, row), as reading the files
together picks them. What a merge needs beyond a whole-input entry (cache.py) is kept in the
entry's side file, written whenever an entry of several files is: the account of what loading
found (accounts.py, so that the merged notices are the full read's, word for word), a hash of
every order reference (an order repeated across files is only told apart by reading them
together; kept in runs, files of their own: see Side), the spend of customers with credit notes
but no order, and the newest instant.

What a merge costs grows with the new files, and with the folder's customers only where it must:
the entry is read (the columns shown, memory-mapped), the new files' customers are found by the
entry's id hashes, only their rows change, and the new entry is written whole (it is sorted by
spend); the old runs are checked by their SHA-256 and searched, not read into memory or written.

`extend` tries the entries of the list's first n-1, n-2, ... files (up to MAX_NEW_FILES read
alone). It gives up, and the caller reads every file, when a new file fails to read alone, when
it may repeat an order of another file (a shared reference hash), when a new file's order is
older than the one an old detail may have come from (its instant is not kept), when the files
mix currencies, or when the as-of is before the newest order. A file that changed in any way has
another fingerprint, so the entries that held it are not used: it is read again whole.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from segcli import __version__, accounts, cache, reading
from segcli.core import metrics
from segcli.engines.hashes import distinct_sorted, text_hashes
from segcli.engines.keys import text_hashes as id_hashes  # (cache.ID_HASH's)
from segcli.input.sources import Source
from segcli.model.cache_limits import CacheLimits
from segcli.model.errors import SegcliError
from segcli.model.notices import Notice
from segcli.model.options import ExportOptions, ParseOptions
from segcli.model.schema import (
    CONTACT_ID,
    CREDIT,
    CUSTOMER_COLUMNS,
    DETAIL_COLUMNS,
    FIRST_ORDER_MS,
    LAST_ORDER_MS,
    LAST_ORDER_REFERENCE,
    ORDER_COUNT,
    ORDER_MS,
    ORDER_REFERENCE,
    SPEND_CENTS,
    TOTAL_CENTS,
)
from segcli.model.timings import NO_TIMINGS, Timings

MAX_NEW_FILES = 8  # files read alone on top of a cached entry; with more, one full read
SIDE_FORMAT = 2  # 2: the hashes in runs, files of their own beside the side file
MAX_RUNS = 32  # runs a side file keeps; one more, and they are merged into one
UNKNOWN_MS = np.iinfo(np.int64).min  # a detail's instant that an entry does not keep
_CHECKSUM_CHARS = 64  # a side file starts with the SHA-256 of the rest, in hex
_HASHES = np.dtype("<u8")  # a run's bytes: its hashes, little-endian
_INTEGERS = (ORDER_COUNT, SPEND_CENTS, FIRST_ORDER_MS, LAST_ORDER_MS)
_COLUMNS = list(CUSTOMER_COLUMNS)
ID_HASH = cache.ID_HASH
# the instant each detail came from, in per_customer(instants=True)'s columns
_AT = {name: metrics.instant_of(name) for name in DETAIL_COLUMNS}


@dataclass(frozen=True)
class Run:
    """Sorted, distinct hashes (engines.hashes) of the order references of some of an entry's
    files: the files read together, or one added since. An order in two runs is an order two
    files share."""

    hashes: np.ndarray  # uint64
    digest: str  # the SHA-256 of its bytes (_HASHES)
    path: Path | None = None  # where it is stored: a new entry's side file links it, unwritten


def _run(hashes: np.ndarray) -> Run:
    data = np.ascontiguousarray(hashes, dtype=_HASHES)
    return Run(data, hashlib.sha256(data).hexdigest())


@dataclass(frozen=True)
class Side:
    """An entry's side file. Adding a file to an entry stores the entry's runs again as they
    are (hard links: not read whole, not written) and one run more, the new file's; past
    MAX_RUNS they are merged into one, which is then written."""

    account: accounts.Account
    runs: tuple[Run, ...]  # every order reference's hash is in one of them
    credits: pd.Series  # contactID -> cents, customers with credit notes and no order
    newest_ms: int | None


@dataclass(frozen=True)
class Extended:
    """The aggregate of every file, merged; what loading says about them; and what `-v` says."""

    customers: pd.DataFrame
    newest_ms: int | None
    notices: tuple[Notice, ...]
    currency: str | None
    held: tuple[str, ...]


def credit_only(orders: pa.Table, customers: pd.DataFrame) -> pd.Series:
    """contactID -> the cents of customers whose only rows are credit notes."""
    if CREDIT not in orders.column_names:
        return pd.Series([], dtype="int64", index=pd.Index([], dtype="str"))
    credit = orders[CREDIT].to_numpy(zero_copy_only=False).astype(bool)
    rows = orders.filter(pa.array(credit))
    contacts = pd.Series(pc.cast(rows[CONTACT_ID], pa.string()).to_pandas(), dtype="str")
    spent = pd.Series(rows[TOTAL_CENTS].to_numpy(), index=contacts).groupby(level=0, sort=False)
    spent = spent.sum().astype("int64")
    return spent[~spent.index.isin(customers[CONTACT_ID])]


def store(
    key: cache.Key,
    account: accounts.Account,
    orders: pa.Table,
    customers: pd.DataFrame,
    newest_ms: int | None,
    *,
    root=None,
    limits: CacheLimits | None = None,
) -> None:
    """Write the side file of the entry just written for `key` (several files read together)."""
    hashes = distinct_sorted(text_hashes(orders[ORDER_REFERENCE]))
    credits = credit_only(orders, customers)
    _write(key.name, Side(account, (_run(hashes),), credits, newest_ms), root, limits)


def _write(name: str, side: Side, root, limits: CacheLimits | None) -> None:
    runs = side.runs
    if len(runs) > MAX_RUNS:  # disjoint (a shared hash is a full read): merged by a sort
        runs = (_run(np.sort(np.concatenate([r.hashes for r in runs]), kind="stable")),)
    meta = {
        "format": SIDE_FORMAT,
        "version": __version__,
        "key": name,
        "account": accounts.to_json(side.account),
        "credits": [[c, int(v)] for c, v in side.credits.items()],
        "newest_ms": side.newest_ms,
        "runs": [[r.digest, len(r.hashes)] for r in runs],
    }
    data = json.dumps(meta).encode("utf-8")
    stored = [r.path or pa.py_buffer(r.hashes) for r in runs]
    with contextlib.suppress(OSError):
        checksum = hashlib.sha256(data).hexdigest().encode()
        cache.write_side(name, [checksum, data], stored, root=root)
        cache.evict(root, limits or CacheLimits())


def _read(name: str, root) -> Side | None:
    """Entry `name`'s side file, if it and each of its runs is whole and was written for it by
    this version. A run is memory-mapped: its checksum reads it once, searching it a few pages."""
    stored = cache.read_side(name, root=root)
    if stored is None:
        return None
    checksum, data = stored[:_CHECKSUM_CHARS], stored[_CHECKSUM_CHARS:]
    if hashlib.sha256(data).hexdigest().encode() != checksum:
        return None
    try:
        meta = json.loads(data)
        if (meta["format"], meta["version"], meta["key"]) != (SIDE_FORMAT, __version__, name):
            return None
        runs = []
        for n, (digest, count) in enumerate(meta["runs"]):
            path = cache.side_run(name, n, root=root)
            buffer = pa.memory_map(str(path)).read_buffer()  # mapped while it is used
            whole = buffer.size == count * _HASHES.itemsize
            if not whole or hashlib.sha256(buffer).hexdigest() != digest:
                return None
            runs.append(Run(np.frombuffer(buffer, dtype=_HASHES), digest, path))
        contacts, cents = zip(*meta["credits"], strict=True) if meta["credits"] else ((), ())
        credits = pd.Series(cents, index=pd.Index(contacts, dtype="str"), dtype="int64")
        account = accounts.from_json(meta["account"])
        return Side(account, tuple(runs), credits, meta["newest_ms"])
    except Exception:  # never trusted when it is missing or does not decode
        return None


def extend(
    found: Sequence[Source],
    prints: Sequence[dict[str, object]],
    options: Mapping[str, object],
    details: Collection[str],
    *,
    export_options: ExportOptions,
    parse_options: ParseOptions,
    strict: bool,
    as_of_ms: Callable[[], int],
    root=None,
    limits: CacheLimits | None = None,
    timings: Timings = NO_TIMINGS,
) -> Extended | None:
    """The aggregate of `found` (whose fingerprints are `prints`) from a cached entry of its
    first files and the others read alone, stored as the entry of `found` (and its side file);
    None when that cannot be done (see the module's docstring: the caller then reads every
    file)."""
    shown = (LAST_ORDER_REFERENCE, *details) if details else ()
    for k in range(len(found) - 1, max(1, len(found) - MAX_NEW_FILES - 1), -1):
        key = cache.key_of(prints[:k], options)
        side = _read(key.name, root)
        if side is None:
            continue
        with timings.stage("read cache"):
            entry = cache.lookup(key.name, root=root, columns=shown, id_hashes=True).entry
        if entry is None:  # (none, or one that lacks what is shown)
            continue
        with timings.stage(f"read {len(found) - k} new of {len(found)} files"):
            merged = _merge_new(entry, side, found[k:], details, export_options, parse_options,
                                strict)  # fmt: skip
        if merged is None:
            return _said(timings, "new files overlap old ones, or are older: full read")
        customers, hashes, side, told = merged
        newest = side.newest_ms
        if newest is not None and as_of_ms() < newest:
            return _said(timings, "the as-of is before the newest order: full read")
        currencies = side.account.shape.currencies
        if len(currencies) > 1:
            return _said(timings, "the files mix currencies: full read")
        currency = next(iter(currencies), None) or (export_options.currency or "").upper()
        extended = Extended(customers, newest, tuple(told), currency or None, shown)
        whole = cache.key_of(prints, options)
        stored = cache.Entry(customers, newest, extended.notices, None, extended.currency, shown,
                             id_hashes=hashes)  # fmt: skip
        with timings.stage("write cache"):
            labels = [s.label for s in found]
            cache.write(whole, stored, labels, root=root, limits=limits or CacheLimits())
            _write(whole.name, side, root, limits)
        return extended
    return None


def _said(timings: Timings, what: str) -> None:
    """Say with -v why the files are read together after all (as a stage of no time)."""
    with timings.stage(what):
        pass


def _merge_new(
    entry: cache.Entry,
    side: Side,
    new: Sequence[Source],
    details: Collection[str],
    export_options: ExportOptions,
    parse_options: ParseOptions,
    strict: bool,
) -> tuple[pd.DataFrame, np.ndarray, Side, list[Notice]] | None:
    """The aggregate `entry` and its `side` (of the first files) merged with the files `new`,
    read alone; with each customer's id hash (cache.ID_HASH) for the entry written next."""
    assert entry.id_hashes is not None
    merged = _columns(entry.customers, entry.id_hashes)
    credits, runs, newest = side.credits, list(side.runs), side.newest_ms
    told = [side.account]
    for source in new:
        try:
            read = reading.read_orders([source], [], export_options, parse_options, strict,
                                       details, quotes=True)  # fmt: skip
        except SegcliError:
            return None  # the full read tells (or finds it is no error among the others)
        assert read is not None
        own = distinct_sorted(text_hashes(read.orders[ORDER_REFERENCE]))
        if any(_shares(run.hashes, own) for run in runs):
            return None
        runs.append(_run(own))
        part, part_credits = partial(read.orders, latest=bool(details))
        joined = _join(merged, credits, part, part_credits)
        if joined is None:
            return None
        merged, credits = joined
        if read.orders.num_rows:
            last = int(pc.max(read.orders[ORDER_MS]).as_py())
            newest = last if newest is None else max(newest, last)
        told.append(read.account)
    account = accounts.merge(told)
    if account.open_quotes is None and account.summary() is not None:
        return None  # an old file's unterminated quote was never looked for
    frame = pd.DataFrame(
        {c: pd.Series(merged[c], dtype="int64" if c in _INTEGERS else "str") for c in _COLUMNS}
    )
    return (
        frame,
        merged[ID_HASH],
        Side(account, tuple(runs), credits, newest),
        accounts.tell(account),
    )


Columns = dict[str, np.ndarray | pa.Array]  # an aggregate being merged: numbers, text, hashes


def _columns(customers: pd.DataFrame, id_hashes: np.ndarray) -> Columns:
    """The aggregate `customers` as arrays (numbers in numpy, text in Arrow), with the instant
    of each detail (not kept: UNKNOWN_MS) and each customer's id hash."""
    columns: Columns = {
        c: customers[c].to_numpy() if c in _INTEGERS else _arrow(customers[c]) for c in _COLUMNS
    }
    columns.update({at: np.full(len(customers), UNKNOWN_MS) for at in _AT.values()})
    columns[ID_HASH] = id_hashes
    return columns


def _arrow(text: pd.Series) -> pa.Array:
    array = pa.array(text)
    return array.combine_chunks() if isinstance(array, pa.ChunkedArray) else array


def _shares(run: np.ndarray, hashes: np.ndarray) -> bool:
    """Whether the sorted `run` holds any of `hashes` (sorted too)."""
    if not len(run):
        return False
    at = np.minimum(np.searchsorted(run, hashes), len(run) - 1)
    return bool(np.any(run[at] == hashes))


def partial(orders: pa.Table, *, latest: bool) -> tuple[pd.DataFrame, pd.Series]:
    """One file's aggregate (metrics.per_customer of its orders, credit notes in spend, and the
    instant each detail came from) and the cents of its customers with credit notes only."""
    customers = metrics.per_customer(orders, latest=latest, instants=latest)
    for name in () if latest else DETAIL_COLUMNS:
        customers[_AT[name]] = UNKNOWN_MS
    return customers, credit_only(orders, customers)


def _join(
    old: Columns, old_credits: pd.Series, new: pd.DataFrame, new_credits: pd.Series
) -> tuple[Columns, pd.Series] | None:
    """The aggregate of old files then a new one (its rows come later in the input); None when
    an old detail's instant, not kept, would decide, or two ids share a hash. Only the rows of
    the new file's customers are touched (text stays in Arrow: a mask replaces those rows), and
    its new customers are appended; no column is copied but those that change."""
    new_ids = _arrow(new[CONTACT_ID])
    new_hashes = id_hashes(new_ids)
    at = _found(old, new_ids, new_hashes)
    if at is None:
        return None
    both = at >= 0
    rows, theirs = at[both], new[both]
    merged = dict(old)
    old_last = old[LAST_ORDER_MS][rows]
    new_last = theirs[LAST_ORDER_MS].to_numpy()
    for name, combine in ((ORDER_COUNT, np.add), (SPEND_CENTS, np.add),
                          (FIRST_ORDER_MS, np.minimum), (LAST_ORDER_MS, np.maximum)):  # fmt: skip
        merged[name] = old[name].copy()
        merged[name][rows] = combine(old[name][rows], theirs[name].to_numpy())
    later = new_last >= old_last  # on a tie, the later file's
    text = {name: _arrow(theirs[name]) for name in (LAST_ORDER_REFERENCE, *DETAIL_COLUMNS)}
    merged[LAST_ORDER_REFERENCE] = _replaced(
        old[LAST_ORDER_REFERENCE], rows[later], text[LAST_ORDER_REFERENCE].filter(later)
    )
    for name in DETAIL_COLUMNS:
        value, since = text[name], theirs[_AT[name]].to_numpy()
        has = value.is_valid().to_numpy(zero_copy_only=False)
        if not has.any():
            continue
        had = old[name].take(rows).is_valid().to_numpy(zero_copy_only=False)
        when = old[_AT[name]][rows]
        unknown = when == UNKNOWN_MS
        if np.any(has & had & unknown & (since < old_last)):
            return None
        wins = has & (~had | (since >= np.where(unknown, old_last, when)))
        merged[name] = _replaced(old[name], rows[wins], value.filter(wins))
        merged[_AT[name]] = old[_AT[name]].copy()
        merged[_AT[name]][rows[wins]] = since[wins]
    added = new[~both].reset_index(drop=True)
    owed = old_credits.reindex(added[CONTACT_ID]).fillna(0).to_numpy().astype(np.int64)
    added[SPEND_CENTS] = added[SPEND_CENTS].to_numpy() + owed  # their credit notes before
    credits = old_credits[~old_credits.index.isin(added[CONTACT_ID])]
    for name, column in merged.items():  # the new customers after the old
        if name == ID_HASH:
            more = new_hashes[~both]
        elif isinstance(column, np.ndarray):
            more = added[name].to_numpy()
        else:
            more = _arrow(added[name]).cast(column.type)
        concat = np.concatenate if isinstance(column, np.ndarray) else pa.concat_arrays
        merged[name] = concat([column, more])
    if len(new_credits):
        ids = _arrow(pd.Series(new_credits.index, dtype="str"))
        place = _found(merged, ids, id_hashes(ids))
        if place is None:
            return None
        known = place >= 0
        np.add.at(merged[SPEND_CENTS], place[known], new_credits.to_numpy()[known])
        rest = new_credits[~known]
        credits = pd.concat([credits, rest]).groupby(level=0, sort=False).sum().astype("int64")
    return merged, credits


def _found(columns: Columns, ids: pa.Array, hashes: np.ndarray) -> np.ndarray | None:
    """The row of each of `ids` (whose id hashes are `hashes`) in `columns`, -1 where none;
    None when an id shares its hash with another id there (the caller then reads every file)."""
    known = columns[ID_HASH]
    if not len(known):
        return np.full(len(hashes), -1)
    order = np.argsort(known)
    ordered = known[order]
    at = np.minimum(np.searchsorted(ordered, hashes), len(known) - 1)
    hit = ordered[at] == hashes
    rows = np.where(hit, order[at], -1)
    same = pc.equal(columns[CONTACT_ID].take(rows[hit]), ids.filter(pa.array(hit)))
    return rows if pc.all(same).as_py() is not False else None


def _replaced(column: pa.Array, rows: np.ndarray, values: pa.Array) -> pa.Array:
    """`column` (text) with its `rows` (distinct) set to `values`."""
    if not len(rows):
        return column
    mask = np.zeros(len(column), dtype=bool)
    mask[rows] = True
    replacements = values.take(np.argsort(rows)).cast(column.type)
    return pc.replace_with_mask(column, pa.array(mask), replacements)
