"""What tells one state of an input file from another without reading all of it: what the cache
keys an entry by.

A file's fingerprint is its resolved path, size, modification time, inode and status-change time
(`st_ctime_ns`, which, unlike the modification time, no user can set back: git's index relies on
it the same way), and a hash of samples of its content: the first and last MiB and evenly spaced
64 KiB windows between them (the whole file when it is small). An edit that keeps the size and
restores the modification time still changes the status-change time; an edit that somehow keeps
both still changes the hash if it touches a sample. Reading the samples costs a few ms at 500 MB.
"""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path

HEAD_BYTES = 1 << 20  # hashed from the start of a file
TAIL_BYTES = 1 << 20  # and from its end
WINDOW_BYTES = 64 << 10  # each window between them
WINDOWS = 16  # how many windows a large file's middle is sampled at
WHOLE_BELOW = HEAD_BYTES + TAIL_BYTES + WINDOWS * WINDOW_BYTES  # smaller files: hashed whole

Span = tuple[int, int]  # (offset, length)


def spans(size: int) -> list[Span]:
    """The parts of a file of `size` bytes that are hashed, in file order, without overlap."""
    if size <= WHOLE_BELOW:
        return [(0, size)]
    middle_start, middle_end = HEAD_BYTES, size - TAIL_BYTES
    stride = (middle_end - middle_start - WINDOW_BYTES) // (WINDOWS - 1)
    windows = [(middle_start + i * stride, WINDOW_BYTES) for i in range(WINDOWS)]
    return [(0, HEAD_BYTES), *windows, (middle_end, TAIL_BYTES)]


def sampled_digest(path: Path, size: int) -> str:
    """A hash of the `spans` of the file at `path` (which holds `size` bytes). Raises OSError."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for offset, length in spans(size):
            handle.seek(offset)
            digest.update(handle.read(length))
    return digest.hexdigest()


def fingerprint(path: Path) -> dict[str, object]:
    """The file's identity and sampled content, as JSON-ready values. Raises OSError."""
    resolved = path.resolve()
    stat = resolved.stat()
    return {
        "path": str(resolved),
        "size": stat.st_size,
        "mtime_ns": stat.st_mtime_ns,
        "inode": stat.st_ino,
        "ctime_ns": stat.st_ctime_ns,
        "sampled_sha256": _digest_of(
            str(resolved), stat.st_size, stat.st_mtime_ns, stat.st_ino, stat.st_ctime_ns
        ),
    }


@functools.lru_cache(maxsize=4096)
def _digest_of(path: str, size: int, mtime_ns: int, inode: int, ctime_ns: int) -> str:
    """sampled_digest of a file in this state, taken once per process: a run that tries the warm
    path and then the full path (a folder of 366 daily files: 0.55 GB hashed twice) keys its
    entry twice. A file changed since has another state (its status-change time at least)."""
    return sampled_digest(Path(path), size)
