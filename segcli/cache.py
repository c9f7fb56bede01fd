"""A per-customer aggregate of an export, kept between runs, so that repeat queries skip reading
and aggregating the orders.

An entry is one Arrow IPC file (cache_file.py: uncompressed batches, highest spend first) under
`$XDG_CACHE_HOME/segcli/` (default `~/.cache/segcli/`), named by a key that covers everything the
aggregate depends on: each input's fingerprint (resolved path, size, modification and
status-change times, inode, and a hash of samples of its content; see input/fingerprint.py), the
loading options, and segcli's version. It holds the per-customer table over *all* orders (counts,
cents, first and last instants and, where the command that wrote it computed them, the latest
reference and details), the newest order's instant, and the notices loading printed. An entry
records which of those text columns it holds (`Entry.held`): the first run costs what its
command costs, so a breakdown writes counts only, and a later command that needs more reads the
orders again and writes an entry holding both. It can serve any command, filter or threshold that
needs no more than it holds, at an as-of at or after that newest order (an earlier as-of needs
the orders themselves).

Beside each entry, `<key>.json` holds the SHA-256 of each column of each batch, checked before
the column is used: a damaged entry is removed and rebuilt, and the caller is told
(`Lookup.problem`). An entry also records what it was built from (the key's inputs), and is used
only when that is what the key names now: another entry copied onto its name is refused the same
way. An entry that cannot be read, or does not hold what this version writes, is ignored (and
replaced), never trusted.
Entries hold customers' names, emails and phones: the folder is its owner's only (0700, an older
one is closed on first use) and so are the files (0600). The cache is bounded (`CacheLimits`:
2 GiB or 20 entries by default): after each write, the least recently used entries (written or
read longest ago) are removed until the others fit. An entry of several files may have a side
file, and runs of hashes beside it (incremental.py), that are part of it: counted in its size,
removed with it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import time
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa

from segcli import __version__, cache_folder
from segcli.cache_file import DAMAGED, FORMAT, Opened, Refused, encode
from segcli.cache_folder import (  # the folder's files
    CHECK_SUFFIX,
    ENTRY_SUFFIX,
    SIDE_SUFFIX,
    TIME_FORMAT,
    directory,
    evict,
    make_private,
    place,
    remove,
)
from segcli.input.fingerprint import fingerprint
from segcli.input.sources import Source
from segcli.model.cache_limits import CacheLimits
from segcli.model.engine import PANDAS
from segcli.model.errors import Hint
from segcli.model.notices import Notice
from segcli.model.schema import (
    CONTACT_ID,
    CUSTOMER_COLUMNS,
    DETAIL_COLUMNS,
    FIRST_ORDER_MS,
    LAST_ORDER_MS,
    LAST_ORDER_REFERENCE,
    ORDER_COUNT,
    SPEND_CENTS,
)

# what `cache info` and `cache clear` use, as they always did: the folder's
Stored, clear, entries = cache_folder.Stored, cache_folder.clear, cache_folder.entries

if TYPE_CHECKING:
    import pandas as pd  # an Entry's frame; reading an entry as Arrow (read_table) needs none

FOREIGN = "built from other inputs"  # a problem: another entry was copied onto this one's name
_COLUMNS = list(CUSTOMER_COLUMNS)  # the per-customer aggregate, in its order
# Each stored customer's row in the aggregate: an entry stores its customers by spend, highest
# first (the VIPs of any threshold are its first batches: a warm VIP list, or a list's top page,
# reads their details alone), and a frame read from it is put back in the aggregate's order.
POSITION = "position"
# Each stored customer's contactID hashed (engines.keys.text_hashes, 64-bit FNV-1a): a warm `show`
# finds its customer in this column (8 bytes a customer), then reads that one batch's ids.
ID_HASH = "idHash"
_STORED = [*_COLUMNS, POSITION, ID_HASH]
_INTEGERS = (ORDER_COUNT, SPEND_CENTS, FIRST_ORDER_MS, LAST_ORDER_MS)
_KEPT = (CONTACT_ID, *_INTEGERS)  # read whatever the columns asked for
OPTIONAL = (LAST_ORDER_REFERENCE, *DETAIL_COLUMNS)  # what an entry may hold or leave missing


@dataclass(frozen=True)
class Entry:
    """What a cache entry holds."""

    customers: pd.DataFrame  # metrics.per_customer over every order of the inputs
    newest_ms: int | None  # the newest order's instant (None: no orders)
    notices: tuple[Notice, ...]  # what loading said, said again when the entry is used
    default_as_of_ms: int | None  # the bundled sample's snapshot, else None
    currency: str | None = None  # the orders' currency code, where known
    held: tuple[str, ...] = OPTIONAL  # the OPTIONAL columns computed (the others are missing)
    # each customer's ID_HASH, in the frame's order: read with lookup(id_hashes=True), and
    # given to write by one who has them (else write computes them)
    id_hashes: np.ndarray | None = None


def holds(held: Collection[str], columns: Collection[str]) -> bool:
    """Whether an entry that holds the OPTIONAL columns `held` holds every one of `columns`."""
    return all(c in held or c not in OPTIONAL for c in columns)


@dataclass(frozen=True)
class Key:
    """An entry's name, and what it names: segcli's version and entry format, the loading
    options, and each input's fingerprint. The name is a hash of `built_from`, which the entry
    records."""

    name: str
    built_from: dict[str, object]


def key_for(sources: Sequence[Source], options: Mapping[str, object]) -> Key | None:
    """The key for these inputs as they are now, and these options; None when an input cannot be
    keyed (standard input) or read (the cold path then reports the error)."""
    inputs = fingerprints(sources)
    return None if inputs is None else key_of(inputs, options)


def fingerprints(sources: Sequence[Source]) -> list[dict[str, object]] | None:
    """Each input's fingerprint, or None when one cannot be taken (see key_for)."""
    inputs = []
    for source in sources:
        if source.path is None:
            return None
        try:
            inputs.append(fingerprint(source.path))
        except OSError:
            return None
    return inputs


def key_of(inputs: Sequence[dict[str, object]], options: Mapping[str, object]) -> Key:
    """The key for inputs of these `fingerprints`, and these options."""
    built_from = {
        "version": __version__,
        "format": FORMAT,
        "options": dict(sorted(options.items())),
        "inputs": list(inputs),
    }
    built_from = json.loads(json.dumps(built_from, default=str))  # as an entry records it
    return Key(_name_of(built_from), built_from)


def _name_of(built_from: object) -> str:
    text = json.dumps(built_from, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


@dataclass(frozen=True)
class Lookup:
    """What reading an entry found: the entry, or None and why a stored one was refused when a
    user should hear of it (DAMAGED, FOREIGN)."""

    entry: Entry | None
    problem: str | None = None
    held: tuple[str, ...] = ()  # what a stored entry that lacks the columns asked for holds


def read(
    key: str, *, root: Path | None = None, columns: Collection[str] | None = None
) -> Entry | None:
    """The entry, or None if there is none or it is unusable (then it is removed)."""
    return lookup(key, root=root, columns=columns).entry


def lookup(
    key: str,
    *,
    root: Path | None = None,
    columns: Collection[str] | None = None,
    id_hashes: bool = False,
) -> Lookup:
    """The entry `key` if the bytes it uses match their checksums; else None, the entry removed,
    and the problem to tell. With `columns`, only those customer columns are read (at 10M
    orders, the details are most of an entry); the others come back missing. An entry that
    does not hold them all is not read: the Lookup says what it holds. With `id_hashes`, the
    entry's Entry.id_hashes are read too."""
    folder = root or directory()
    try:
        with open_entry(key, root=folder) as opened:
            held = opened.meta["held"]
            if columns is not None and not holds(held, columns):
                return Lookup(None, held=held)  # the orders are read for what it lacks
            wanted = _wanted(opened, columns, _KEPT)
            table = opened.table([*wanted, ID_HASH] if id_hashes else wanted)
            entry = _entry_of(table, opened.meta)
        with contextlib.suppress(OSError):
            os.utime(folder / f"{key}{ENTRY_SUFFIX}")  # its last use: the last to be evicted
        return Lookup(entry)
    except OSError:  # no entry
        return Lookup(None)
    except Refused as refused:
        problem = refused.problem
    except Exception:  # the checksums hold but the entry does not decode: never trusted
        problem = DAMAGED
    remove(folder, key)
    return Lookup(None, problem)


def open_entry(key: str, *, root: Path | None = None) -> Opened:
    """Entry `key`'s file, open, its meta verified (cache_file.Opened), and built from what
    `key` names: the inputs as they are now, as key_for saw them (another entry copied onto this
    name was built from others). Raises OSError when there is none, Refused when it must not be
    used."""
    folder = root or directory()
    with contextlib.suppress(OSError):
        make_private(folder)  # a folder an earlier segcli left readable to others
    opened = Opened(folder / f"{key}{ENTRY_SUFFIX}", folder / f"{key}{CHECK_SUFFIX}")
    try:
        meta = opened.meta
        if meta["format"] != FORMAT or meta["version"] != __version__ or opened.names != _STORED:
            raise Refused(None)  # written by another version
        if _name_of(meta["built_from"]) != key:
            raise Refused(FOREIGN)
        meta["held"] = tuple(c for c in OPTIONAL if c in meta["held"])
    except Exception:
        opened.close()
        raise
    return opened


def _wanted(opened: Opened, columns: Collection[str] | None, kept: Collection[str]) -> list[str]:
    """The columns to read: `kept`, and those of `columns` (all if None) the entry holds."""
    held = opened.meta["held"]
    wanted = [c for c in _COLUMNS if c in kept or c in held and (columns is None or c in columns)]
    return [*wanted, POSITION]


def _entry_of(table: pa.Table, meta: Mapping[str, object]) -> Entry:
    """An entry's table (with the columns read) and meta, as an Entry with a frame."""
    import pandas as pd

    position = table[POSITION].to_numpy()
    table = table.drop_columns([POSITION]).take(np.argsort(position))  # the aggregate's order
    hashes = None
    if ID_HASH in table.column_names:
        hashes = table[ID_HASH].to_numpy()
        table = table.drop_columns([ID_HASH])
    return Entry(
        customers=_frame(table, pd.RangeIndex(len(position))),
        newest_ms=meta["newest_ms"],
        notices=tuple(Notice(text, Hint(hint) if hint else None) for text, hint in meta["notices"]),
        default_as_of_ms=meta["default_as_of_ms"],
        currency=meta.get("currency"),
        held=meta["held"],
        id_hashes=hashes,
    )


def _frame(table: pa.Table, index: pd.Index) -> pd.DataFrame:
    """An entry's customers (`table`, some of its columns) as the aggregate frame has them:
    loading's columns and types, each column not read missing."""
    import pandas as pd

    frame = table.to_pandas().set_axis(index)
    missing = pd.Series(pd.NA, index=frame.index, dtype="str")
    for name in _COLUMNS:
        if name not in table.column_names:
            frame[name] = missing
    return frame[_COLUMNS].astype({c: "int64" if c in _INTEGERS else "str" for c in _COLUMNS})


def page_frame(entry: Opened, rows: np.ndarray, readable: Collection[str]) -> pd.DataFrame:
    """The customers at `rows` of an open entry, in that order, as the aggregate frame has
    them, each labelled with its place in the aggregate (as a page of it is): for a warm
    page that the full path's renderers print. Detail columns not in `readable` are missing."""
    import pandas as pd

    names = [n for n in _COLUMNS if n in _KEPT or n in readable]
    table = pa.table({name: entry.take(name, rows) for name in names})
    return _frame(table, pd.Index(entry.take(POSITION, rows).to_numpy(), dtype="int64"))


def read_table(key: str, *, root: Path | None = None) -> Opened | None:
    """Entry `key`'s file, open (`open_entry`), for a warm run that answers from it alone
    (warm.py) and reads only the columns and batches it needs, without pandas. None when there
    is no usable entry; unlike `lookup` this removes nothing and tells nothing (the full path,
    run then, does both); a damaged batch raises Refused when it is read. A use counts for
    eviction, as `lookup`'s."""
    folder = root or directory()
    try:
        opened = open_entry(key, root=folder)
    except Exception:  # missing, refused or undecodable: the full path decides and says
        return None
    with contextlib.suppress(OSError):
        os.utime(folder / f"{key}{ENTRY_SUFFIX}")  # its last use: the last to be evicted
    return opened


def options_of(input_format: str | None, encoding: str, delimiter: str | None, strict: bool,
               export_options: object, parse_options: object,
               engine: str = PANDAS) -> dict[str, object]:  # fmt: skip
    """The loading options an entry's key covers, as `key_for` takes them. Another engine than
    pandas is one of them: the dask engine says some notices per file where pandas says them
    once over all files, and an entry says again what its engine said. (The cluster it ran on
    is not: the answer does not depend on it. Pandas' keys are as they were before engines.)"""
    names = ("input_format", "encoding", "delimiter", "strict", "export", "parse")
    values = (input_format, encoding, delimiter, strict, repr(export_options), repr(parse_options))
    options = dict(zip(names, values, strict=True))
    return options if engine == PANDAS else {**options, "engine": engine}


def write(
    key: Key,
    entry: Entry,
    inputs: Sequence[str],
    *,
    root: Path | None = None,
    limits: CacheLimits | None = None,
) -> None:
    """Store an entry and its checksum, each atomically (a reader never sees half a file; one
    that reads between the two renames finds a mismatch and rebuilds), then evict the least
    recently used entries beyond `limits`; an entry larger than the limit is not stored. Failing
    to write (a read-only home, a full disk) only means the next run is cold too."""
    limits = limits or CacheLimits()
    folder = root or directory()
    meta = {
        "format": FORMAT,
        "version": __version__,
        "newest_ms": entry.newest_ms,
        "notices": [[n.text, n.hint and n.hint.value] for n in entry.notices],
        "default_as_of_ms": entry.default_as_of_ms,
        "currency": entry.currency,
        "held": list(entry.held),
        "customers": len(entry.customers),
        "inputs": list(inputs),
        "created": time.strftime(TIME_FORMAT, time.gmtime()),
        "built_from": key.built_from,
    }
    table = pa.Table.from_pandas(entry.customers[_COLUMNS], preserve_index=False)
    for name in OPTIONAL:  # a column not held is never read: stored as nothing (no offsets)
        if name not in entry.held:
            table = table.set_column(_COLUMNS.index(name), name, pa.nulls(table.num_rows))
    spend = entry.customers[SPEND_CENTS].to_numpy(dtype="int64")
    order = np.argsort(spend, kind="stable")[::-1]  # highest spend first (see POSITION)
    table = table.take(order).append_column(POSITION, pa.array(order))
    if entry.id_hashes is not None:
        hashes = entry.id_hashes[order]
    else:
        from segcli.engines.keys import text_hashes  # (pyarrow.compute: a warm breakdown has none)

        hashes = text_hashes(table[CONTACT_ID])
    table = table.append_column(ID_HASH, pa.array(hashes))
    data, check = encode(table, meta)
    fits = limits.max_entries > 0 and data.size + len(check) <= limits.max_bytes
    try:
        make_private(folder)
        if fits:
            place(folder / f"{key.name}{ENTRY_SUFFIX}", data)
            place(folder / f"{key.name}{CHECK_SUFFIX}", check)
        evict(folder, limits)
    except OSError:
        return


def write_side(
    key: str,
    parts: Sequence[bytes | pa.Buffer],
    runs: Sequence[Path | bytes | pa.Buffer] = (),
    *,
    root: Path | None = None,
) -> None:
    """Store `parts`, one after the other, as entry `key`'s side file (written as an entry is;
    raises OSError), if the entry is there (one too large for the cache was not stored); and
    before it the side file's `runs`, `<key>.<n>.hashes`: new bytes, or a file already stored
    (another entry's run), linked rather than written again."""
    folder = root or directory()
    if (folder / f"{key}{ENTRY_SUFFIX}").exists():
        make_private(folder)
        cache_folder.remove_runs(folder, key)  # those of an earlier side file of this entry
        for n, run in enumerate(runs):
            path = cache_folder.run_path(folder, key, n)
            if isinstance(run, Path):
                cache_folder.link(run, path)
            else:
                place(path, run)
        place(folder / f"{key}{SIDE_SUFFIX}", *parts)


def side_run(key: str, n: int, *, root: Path | None = None) -> Path:
    """Where run `n` of entry `key`'s side file is stored (see write_side)."""
    return cache_folder.run_path(root or directory(), key, n)


def read_side(key: str, *, root: Path | None = None) -> bytes | None:
    """Entry `key`'s side file (without its runs: side_run), if it and its entry are there."""
    folder = root or directory()
    if not (folder / f"{key}{ENTRY_SUFFIX}").exists():
        return None
    try:
        return (folder / f"{key}{SIDE_SUFFIX}").read_bytes()
    except OSError:
        return None
