"""Where orders come from: the paths a user gives (files, folders, glob patterns, `-` for
standard input) resolved to `Source` values, each with its format, and the sample data set that
ships inside the package. Nothing here reads a file's contents but standard input's."""

from __future__ import annotations

import glob
import gzip
import io
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
GZIP_MAGIC = b"\x1f\x8b"
PIPE_WAIT_S = 5.0  # how long a named pipe may wait for its writer
PIPE_POLL_S = 0.05

_EXTENSIONS = {".csv": CSV, ".csv.gz": CSV, ".parquet": PARQUET, ".pq": PARQUET}

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
            sources.append(Source("<stdin>", fmt, data=data, encoding=encoding))
            continue
        for path in _expand(text, input_format):
            fmt = format_for(str(path), input_format)
            if _is_pipe(path):  # read once, like standard input (and never cached)
                sources.append(Source(str(path), fmt, data=_read_pipe(path), encoding=encoding))
            else:
                sources.append(Source(str(path), fmt, path=path, encoding=encoding))
    return sources


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
        if not matched:
            raise UnreadableError(f"{text}: no such file, and no files match it as a pattern")
        return matched
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
    """A source's bytes, gzip unwrapped; `stack` closes what was opened."""
    if source.data is not None:
        raw: IO[bytes] = io.BytesIO(source.data)
    else:
        assert source.path is not None
        raw = stack.enter_context(source.path.open("rb"))
    if peek_gzip(raw):
        raw = stack.enter_context(gzip.GzipFile(fileobj=raw))
    return raw


def peek_gzip(raw: IO[bytes]) -> bool:
    start = raw.read(2)
    raw.seek(0)
    return start == GZIP_MAGIC
