"""The cache folder's files: where it is, private modes, atomic writes, and the entries as a
whole (listing, least-recently-used eviction, clearing). What an entry holds is cache.py's."""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import stat
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import pyarrow as pa

from segcli.model.cache_limits import CacheLimits

CACHE_ENV = "XDG_CACHE_HOME"
APP_DIR = "segcli"
ENTRY_SUFFIX = ".arrow"
LEGACY_SUFFIX = ".parquet"  # entries of formats up to 5, removed by `cache clear`
CHECK_SUFFIX = ".json"  # beside each entry: the checksum of its bytes
SIDE_SUFFIX = ".partial"  # beside a multi-file entry: what adding a file needs (incremental.py)
RUN_SUFFIX = ".hashes"  # and its runs of order reference hashes, `<key>.<n>.hashes`
PARTIAL_SUFFIX = ".tmp"  # a file being written, renamed into place when complete
TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"  # when an entry was created and last used, in UTC
FOLDER_MODE = 0o700  # the cache holds personal data: its owner's only
FILE_MODE = 0o600
META_KEY = b"segcli"  # the schema metadata key of an entry's own description


def directory(env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    base = env.get(CACHE_ENV) or str(Path.home() / ".cache")
    return Path(base) / APP_DIR


def make_private(folder: Path) -> None:
    """Create the folder readable by its owner only, or make it so (and its files) if it was
    not: entries hold customers' names, emails and phones. Raises OSError."""
    folder.mkdir(mode=FOLDER_MODE, parents=True, exist_ok=True)
    if stat.S_IMODE(folder.stat().st_mode) == FOLDER_MODE:
        return
    folder.chmod(FOLDER_MODE)
    for path in folder.iterdir():
        if path.is_file():
            path.chmod(FILE_MODE)


def _private(path: str, flags: int) -> int:
    """An opener for files only their owner can read, whatever the umask or an old file's mode."""
    handle = os.open(path, flags, FILE_MODE)
    os.fchmod(handle, FILE_MODE)
    return handle


def place(path: Path, *data: bytes | pa.Buffer) -> None:
    """Write `data` (its parts in order) to `path` through a temporary file and a rename."""
    partial = path.with_name(f".{path.name}.{os.getpid()}{PARTIAL_SUFFIX}")
    try:
        with open(partial, "wb", opener=_private) as handle:
            for part in data:
                handle.write(part)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)


def remove(folder: Path, key: str) -> None:
    for suffix in (ENTRY_SUFFIX, CHECK_SUFFIX, SIDE_SUFFIX):
        with contextlib.suppress(OSError):
            (folder / f"{key}{suffix}").unlink(missing_ok=True)
    remove_runs(folder, key)


def runs_of(folder: Path, key: str) -> list[Path]:
    """The run files of entry `key`'s side file that are there (see RUN_SUFFIX)."""
    return list(folder.glob(f"{key}.*{RUN_SUFFIX}"))


def run_path(folder: Path, key: str, n: int) -> Path:
    return folder / f"{key}.{n}{RUN_SUFFIX}"


def remove_runs(folder: Path, key: str) -> None:
    for path in runs_of(folder, key):
        with contextlib.suppress(OSError):
            path.unlink(missing_ok=True)


def link(source: Path, path: Path) -> None:
    """Make `path` another name of the file `source` (a copy where the file system has no hard
    links), through a temporary name and a rename, as `place` does. Raises OSError."""
    partial = path.with_name(f".{path.name}.{os.getpid()}{PARTIAL_SUFFIX}")
    try:
        try:
            os.link(source, partial)
        except OSError:
            place(partial, source.read_bytes())
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)


@dataclass(frozen=True)
class Stored:
    """An entry as `cache info` lists it."""

    name: str
    size: int  # bytes, with its checksum's
    created: str | None
    inputs: tuple[str, ...]
    customers: int | None
    last_used: str | None = None


def entries(root: Path | None = None) -> list[Stored]:
    folder = root or directory()
    found = []
    for path in sorted(folder.glob(f"*{ENTRY_SUFFIX}")) if folder.is_dir() else []:
        held = _held(path)
        last_used = time.strftime(TIME_FORMAT, time.gmtime(held.used_ns // 1_000_000_000))
        try:
            with pa.memory_map(str(path)) as mapped:
                meta = json.loads(pa.ipc.open_file(mapped).schema.metadata[META_KEY])
            found.append(
                Stored(
                    path.name,
                    held.size,
                    meta.get("created"),
                    tuple(meta.get("inputs", ())),
                    meta.get("customers"),
                    last_used,
                )
            )
        except Exception:
            found.append(Stored(path.name, held.size, None, (), None, last_used))
    return found


def evict(root: Path | None = None, limits: CacheLimits | None = None) -> int:
    """Remove the least recently used entries until the others are within `limits`; return how
    many were removed."""
    folder = root or directory()
    limits = limits or CacheLimits()
    paths = folder.glob(f"*{ENTRY_SUFFIX}") if folder.is_dir() else []
    held = sorted(map(_held, paths), key=lambda h: h.used_ns, reverse=True)
    totals = itertools.accumulate(h.size for h in held)  # from the most recently used
    over = [
        h.key
        for rank, (h, total) in enumerate(zip(held, totals, strict=True))
        if rank >= limits.max_entries or total > limits.max_bytes
    ]  # once over, every older entry is too: the least recently used go first
    for key in over:
        remove(folder, key)
    return len(over)


class _Held(NamedTuple):
    key: str
    size: int  # the entry's bytes, its checksum's and its side file's (a run that is linked to
    # another entry's too is counted in each: the bound errs on the safe side)
    used_ns: int  # when it was last written or read (its modification time)


def _held(path: Path) -> _Held:
    try:
        entry = path.stat()
    except OSError:  # gone meanwhile
        return _Held(path.stem, 0, 0)
    size = entry.st_size
    for other in [path.with_suffix(s) for s in (CHECK_SUFFIX, SIDE_SUFFIX)] + runs_of(
        path.parent, path.stem
    ):
        with contextlib.suppress(OSError):
            size += other.stat().st_size
    return _Held(path.stem, size, entry.st_mtime_ns)


def clear(root: Path | None = None) -> int:
    """Remove every entry; return how many there were."""
    folder = root or directory()
    if not folder.is_dir():
        return 0
    removed = 0
    for path in [*folder.glob(f"*{ENTRY_SUFFIX}"), *folder.glob(f"*{LEGACY_SUFFIX}")]:
        path.unlink(missing_ok=True)
        removed += 1
    others = (f"*{CHECK_SUFFIX}", f"*{SIDE_SUFFIX}", f"*{RUN_SUFFIX}", f".*{PARTIAL_SUFFIX}")
    for path in [p for pattern in others for p in folder.glob(pattern)]:
        path.unlink(missing_ok=True)
    return removed
