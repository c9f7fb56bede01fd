"""Where orders come from: the paths a user gives (files, folders, glob patterns, `-` for
standard input) resolved to `Source` values, each with its format, and the sample data set that
ships inside the package. Nothing here reads a file's contents but standard input's."""

from __future__ import annotations

import bz2
import glob
import gzip
import io
import lzma
import os
import select
import stat
import sys
import time
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import IO, BinaryIO

from segcli.model.errors import Hint, UnreadableError
from segcli.model.options import CSV, DEFAULT_ENCODING, PARQUET

STDIN = "-"
PIPE_CHUNK = 1 << 20
PIPE_WAIT_S = 5.0  # how long a named pipe may wait for its writer
PIPE_POLL_S = 0.05

TAB = "\t"
_TEXT_BASES = {".csv": None, ".tsv": TAB, ".tab": TAB}  # CSV files, and their default delimiter
COMPRESSIONS = ("", ".gz", ".bz2", ".xz")
_EXTENSIONS = {base + packed: CSV for base in _TEXT_BASES for packed in COMPRESSIONS} | {
    ".parquet": PARQUET,
    ".pq": PARQUET,
}
# The first bytes of each compressed stream segcli unpacks, whatever the file's name.
MAGIC: dict[str, bytes] = {"gzip": b"\x1f\x8b", "bz2": b"BZh", "xz": b"\xfd7zXZ\x00"}

# The sample data set that ships inside the package, and the day it is a snapshot of.
SAMPLE_FILE = "orders.parquet"

SAMPLE_AS_OF = "2025-10-23"


@dataclass(frozen=True)
class Source:
    """One input: a file path, or the bytes read from standard input."""

    label: str  # how messages name it
    format: str  # CSV or PARQUET
    path: Path | None = None
    data: bytes | None = field(default=None, repr=False)
    encoding: str = DEFAULT_ENCODING
    delimiter: str | None = None  # CSV's field separator; None: told by the header (readers)


def format_for(path: str, input_format: str | None) -> str:
    if input_format is not None:
        return input_format
    if path == STDIN:
        return CSV
    lower = path.lower()
    for ext in sorted(_EXTENSIONS, key=len, reverse=True):
        if lower.endswith(ext):
            return _EXTENSIONS[ext]
    raise UnreadableError(
        f"{path}: cannot tell the file format from its name", hint=Hint.INPUT_FORMAT
    )


def resolve_sources(
    paths: Sequence[str | Path],
    *,
    input_format: str | None = None,
    encoding: str = DEFAULT_ENCODING,
    stdin: BinaryIO | None = None,
    delimiter: str | None = None,
) -> list[Source]:
    """Turn the paths a user gave into sources; '-' reads standard input once, into memory. A
    folder stands for the order files in it and a glob pattern (`exports/2025-*.csv`) for the
    files it matches, each in name order."""
    sources = []
    for raw in paths:
        text = str(raw)
        if text == STDIN:
            fmt = format_for(text, input_format)
            stream = stdin if stdin is not None else sys.stdin.buffer
            data = stream.read()
            if not data:
                raise UnreadableError("no input on stdin")
            sources.append(
                Source("<stdin>", fmt, data=data, encoding=encoding, delimiter=delimiter)
            )
            continue
        for path in _expand(text, input_format):
            fmt = format_for(str(path), input_format)
            separator = delimiter or _default_delimiter(path.name)
            if _is_pipe(path):  # read once, like standard input (and never cached)
                data = _read_pipe(path)
                sources.append(Source(str(path), fmt, None, data, encoding, separator))
            else:
                sources.append(Source(str(path), fmt, path, None, encoding, separator))
    return sources


FileState = tuple[str, int, int, int, int]  # path, size, mtime_ns, inode, ctime_ns


def file_states(
    paths: Sequence[str | Path], input_format: str | None = None
) -> tuple[FileState, ...]:
    """Each file the paths name now (folders and globs expanded, standard input left out) with
    its size, modification time, inode and status-change time: a change to any of them, or a
    file added to a folder, changes the result. Reads no file's content."""
    states = []
    for raw in paths:
        if str(raw) == STDIN:
            continue
        for path in _expand(str(raw), input_format):
            try:
                found = path.stat()
            except OSError as exc:
                raise UnreadableError(f"{path}: cannot be read ({exc.strerror})") from None
            states.append(
                (str(path), found.st_size, found.st_mtime_ns, found.st_ino, found.st_ctime_ns)
            )
    return tuple(states)


def _default_delimiter(name: str) -> str | None:
    """A tab for `.tsv` and `.tab` files (compressed or not); else None (the header tells)."""
    lower = name.lower()
    for packed in COMPRESSIONS:
        lower = lower.removesuffix(packed) if packed and lower.endswith(packed) else lower
    return next((sep for base, sep in _TEXT_BASES.items() if lower.endswith(base)), None)


def _is_pipe(path: Path) -> bool:
    """A named pipe (or `<(command)`) is read once as a stream; any other file that is not a
    regular file (a device such as /dev/zero, a socket) is refused: it may never end."""
    try:
        mode = path.stat().st_mode
    except OSError as exc:
        raise UnreadableError(f"{path}: cannot be read ({exc.strerror})") from None
    if stat.S_ISFIFO(mode):
        return True
    if not stat.S_ISREG(mode):
        raise UnreadableError(f"{path}: not a regular file (a device or socket); not read")
    return False


def _read_pipe(path: Path) -> bytes:
    """A named pipe's bytes until its writer closes it. Opened without waiting for a writer: a
    writer has PIPE_WAIT_S to send its first bytes, and a pipe nobody writes to reads as empty
    instead of hanging."""
    chunks: list[bytes] = []
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    deadline = time.monotonic() + PIPE_WAIT_S
    try:
        while True:
            try:
                chunk = os.read(fd, PIPE_CHUNK)
            except BlockingIOError:  # a writer is there, with nothing to say yet
                select.select([fd], [], [])
                continue
            if chunk:
                chunks.append(chunk)
            elif chunks or time.monotonic() > deadline:
                return b"".join(chunks)
            else:  # no writer yet
                time.sleep(PIPE_POLL_S)
    finally:
        os.close(fd)


def _expand(text: str, input_format: str | None) -> list[Path]:
    """One path, the order files of a folder, or the files a glob pattern matches."""
    path = Path(text)
    if path.is_dir():
        found = sorted(
            p for p in path.iterdir() if p.is_file() and _known_extension(p.name, input_format)
        )
        if not found:
            kinds = ", ".join(sorted(_EXTENSIONS))
            raise UnreadableError(f"{text}: a folder with no order files in it ({kinds})")
        return found
    if path.exists():
        return [path]
    if glob.has_magic(text):
        matched = sorted(Path(p) for p in glob.glob(text) if Path(p).is_file())
        if matched:
            return matched
        if "*" in text or "?" in text:
            raise UnreadableError(f"{text}: no such file, and no files match it as a pattern")
        # Only brackets: `data[1].csv` is far more often a file's name than a character class.
    raise UnreadableError(f"{text}: no such file")


def _known_extension(name: str, input_format: str | None) -> bool:
    lower = name.lower()
    return any(
        lower.endswith(ext) and (input_format is None or fmt == input_format)
        for ext, fmt in _EXTENSIONS.items()
    )


def sample_source() -> Source:
    """The sample data set bundled with segcli (inside the wheel, or sample_data/ in a checkout)."""
    packaged = resources.files("segcli") / "sample_data" / SAMPLE_FILE
    if packaged.is_file():
        path = Path(str(packaged))
    else:  # running from a source checkout
        path = Path(__file__).resolve().parents[2] / "sample_data" / SAMPLE_FILE
    if not path.is_file():
        raise UnreadableError("the bundled sample data is missing from this installation")
    return Source(f"sample data ({SAMPLE_FILE})", PARQUET, path=path)


def one_line(exc: BaseException) -> str:
    """An exception's message on one line, at most 200 characters."""
    text = " ".join(str(exc).split())
    return text if len(text) <= 200 else text[:197] + "..."


def open_bytes(source: Source, stack: ExitStack) -> IO[bytes]:
    """A source's bytes, gzip, bzip2 or xz unpacked; `stack` closes what was opened."""
    if source.data is not None:
        raw: IO[bytes] = io.BytesIO(source.data)
    else:
        assert source.path is not None
        raw = stack.enter_context(source.path.open("rb"))
    packed = compression(raw)
    if packed == "gzip":
        raw = stack.enter_context(gzip.GzipFile(fileobj=raw))
    elif packed == "bz2":
        raw = stack.enter_context(bz2.BZ2File(raw))
    elif packed == "xz":
        raw = stack.enter_context(lzma.LZMAFile(raw))
    return raw


def compression(raw: IO[bytes]) -> str | None:
    """How a stream of bytes is compressed, by its first bytes (MAGIC), or None; the stream is
    left at its start."""
    start = raw.read(max(len(m) for m in MAGIC.values()))
    raw.seek(0)
    return next((name for name, magic in MAGIC.items() if start.startswith(magic)), None)
