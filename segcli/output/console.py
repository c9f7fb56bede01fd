"""Where output goes: results to stdout (bytes untouched, or Rich renderables), notices, errors
and progress to stderr, so that a pipe to `jq` only ever sees JSON."""

from __future__ import annotations

import errno
import os
import re
import select
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, BinaryIO

from rich.console import Console
from rich.measure import Measurement
from rich.text import Text

from segcli.output.escapes import shown

if TYPE_CHECKING:
    import pyarrow as pa

PROGRESS_AFTER_S = 1.0  # a load quicker than this shows no progress bar

UNBOUNDED = 100_000  # a width no table needs: to measure how narrow a table can be

# The end of a line: spaces, and the colour codes that may close it among them.
TRAILING_SPACES = re.compile(r"(?:\x20|\x1b\[[0-9;]*m)+$", re.M)


def terminal_width() -> int | None:
    """The width of the terminal on stdout, stderr or stdin, if any is one."""
    for fd in (1, 2, 0):
        try:
            columns = os.get_terminal_size(fd).columns
        except (OSError, ValueError):
            continue
        if columns:
            return columns
    return None


class Output:
    """Where things go: results to stdout, notices and errors to stderr."""

    def __init__(self, *, quiet: bool = False) -> None:
        self.quiet = quiet
        self.stdout = Console(soft_wrap=False)
        self.stderr = Console(stderr=True, soft_wrap=True, highlight=False)
        if self.stdout.is_dumb_terminal:
            # Rich takes a dumb terminal (TERM=dumb, as in Emacs' shell) to be 80 columns wide
            # whatever COLUMNS says; COLUMNS, else the terminal itself, knows better.
            columns = os.environ.get("COLUMNS", "")
            width = int(columns) if columns.isdigit() and int(columns) else terminal_width()
            if width:
                self.stdout.size = (width, self.stdout.height)

    def write(self, parts: Sequence[pa.Buffer | bytes]) -> None:
        """Machine-readable bytes (UTF-8), as they are, part after part."""
        sys.stdout.flush()
        buffer = getattr(sys.stdout, "buffer", None)
        if buffer is None:
            sys.stdout.write(b"".join(bytes(p) for p in parts).decode("utf-8"))
            return
        buffer.flush()
        for part in parts:
            write_all(buffer, memoryview(part))
        buffer.flush()

    def text(self, text: str) -> None:
        """Machine-readable text, written as UTF-8 bytes, untouched by Rich."""
        self.write([text.encode("utf-8")])

    @property
    def width(self) -> int:
        return self.stdout.width

    def show(self, renderable: object) -> None:
        """A Rich renderable for people, rendered first, then written whole (write_all).

        A table that cannot be narrower than the screen (the tables keep numbers whole) is
        drawn at its own width rather than cut; no line ends in spaces."""
        console = self.stdout
        size = console.size
        unbounded = console.options.update(max_width=UNBOUNDED)
        least = Measurement.get(console, unbounded, renderable).minimum  # type: ignore[arg-type]
        if least > size.width:
            console.size = (least, size.height)
        try:
            with console.capture() as captured:
                console.print(renderable)
        finally:
            console.size = size
        self.text(TRAILING_SPACES.sub(lambda tail: tail[0].replace(" ", ""), captured.get()))

    @contextmanager
    def progress(self) -> Iterator[Callable[[str, int, int], None]]:
        """A progress callback `(what, done, total)`. A bar is drawn on stderr only when it is a
        terminal, and only once the work has taken PROGRESS_AFTER_S; it is gone when done."""
        if self.quiet or not self.stderr.is_terminal:
            yield lambda what, done, total: None
            return
        from rich.progress import (  # only here: ~10% of start-up, for a bar few runs draw
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
        )

        bar = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=self.stderr,
            transient=True,
        )
        task = bar.add_task("loading", total=None)
        timer = threading.Timer(PROGRESS_AFTER_S, bar.start)
        timer.daemon = True
        timer.start()

        def update(what: str, done: int, total: int) -> None:
            bar.update(task, description=what, completed=done, total=total)

        try:
            yield update
        finally:
            timer.cancel()
            timer.join()
            bar.stop()

    def notice(self, message: str) -> None:
        if not self.quiet:
            self.stderr.print(Text(shown(message), style="dim"))

    def verbose(self, message: str) -> None:
        """What --verbose asked for: on stderr, even under --quiet."""
        self.stderr.print(Text(shown(message), style="dim"))

    def error(self, message: str) -> None:
        self.stderr.print(Text(f"error: {shown(message)}", style="bold red"))


def write_all(buffer: BinaryIO, data: memoryview) -> None:
    """Every byte of `data`, or an error. A buffered stream's `write` may write only part of a
    large buffer (a pipe whose reader went away takes 64 KiB, then nothing) and say so only by
    its return value; straight to the file descriptor, the next write raises BrokenPipeError. A
    non-blocking descriptor is waited on until it takes more."""
    try:
        fd = buffer.fileno()
    except (AttributeError, OSError, ValueError):  # an in-memory stream (tests, embedding)
        buffer.write(data)
        return
    view = data.cast("B") if data.format != "B" else data
    while view.nbytes:
        try:
            written = os.write(fd, view)
        except BlockingIOError:
            select.select([], [fd], [])
            continue
        if written == 0:
            raise OSError(errno.EIO, "stdout took no bytes")
        view = view[written:]
