"""The one error boundary: the library raises SegcliError; here it becomes one stderr line, a
JSON error object on stdout when the format is JSON, and the exit code. A closed stdout ends the
command quietly with 141, as a filter killed by SIGPIPE; Ctrl-C with 130.

This is also where the library's hints are worded as this front end's flags.
"""

from __future__ import annotations

import os
import shlex
import stat
import sys
import time
from collections.abc import Callable, Iterable
from typing import Any, NoReturn

import typer

from segcli import api
from segcli.model.errors import Hint, SegcliError, UsageError
from segcli.model.notices import Notice
from segcli.model.timings import NO_TIMINGS, Timings
from segcli.output.console import Output
from segcli.output.escapes import shown

EXIT_INTERRUPTED = 130
EXIT_BROKEN_PIPE = 141  # what a shell reports for a process ended by SIGPIPE
DEBUG_ENV = "SEGCLI_DEBUG"  # set to 1 to see the traceback of an unexpected error
JSON_FORMATS = frozenset({"json"})  # formats whose errors are also written as a JSON object

# Each hint as the CLI words it, appended to the message that carries it.
HINTS: dict[Hint, str] = {
    Hint.STRICT: " (--strict allows none)",
    Hint.INCLUDE_CANCELLED: "; --include-cancelled counts them",
    Hint.INPUT_FORMAT: "; pass --input-format csv or --input-format parquet",
    Hint.INPUT_FORMAT_CSV: "; if it is CSV, pass --input-format csv",
    Hint.ENCODING_UTF16: " (if it is UTF-16 text, pass --encoding utf-16)",
    Hint.ENCODING_LEGACY: (
        "; if it was saved by Excel or an older system, try --encoding cp1252 (or latin-1)"
    ),
    Hint.MAPPING: (
        f"; for a shop's own export pass --preset {'|'.join(api.PRESET_NAMES)}, "
        "or map columns with --column orderDate='Invoice Date'"
    ),
    Hint.OWN_ORDERS: "; pass --orders FILE or set SEGCLI_ORDERS to read your own",
    Hint.DELIMITER: "; --delimiter overrides",
    Hint.DATE_ORDER: "; --dayfirst or --monthfirst overrides",
    Hint.CURRENCY: "; --currency CODE keeps one",
    Hint.AS_OF: " (--as-of sets the day to look from)",
    Hint.COLUMN: "; --column ROLE=HEADER overrides",
    Hint.LINE_TOTALS: "; --line-totals sum|once overrides",
}


def worded(text: str, hint: Hint | None) -> str:
    """A message with its hint, if any, in this front end's words."""
    return text if hint is None else text + HINTS[hint]


def proposed(mapping: dict[str, str | None] | None) -> str:
    """A library's proposed column mapping as --column flags to paste: `; map them with
    --column orderDate=Created --column total=HEADER (or ...)`."""
    if not mapping:
        return ""
    flags = " ".join(
        f"--column {role}={shlex.quote(header) if header is not None else 'HEADER'}"
        for role, header in mapping.items()
    )
    presets = "|".join(api.PRESET_NAMES)
    return f"; map them with {flags} (or pass --preset {presets} for a shop's own export)"


def tell(out: Output, notices: Iterable[Notice]) -> None:
    """Notices to stderr, each with its hint worded."""
    for notice in notices:
        out.notice(worded(notice.text, notice.hint))


def answered(out: Output, answer: object, render: Callable[[Any], None] | None = None) -> bool:
    """Print a warm answer (`api.warm`: notices, then stdout, or its result given to `render`)
    as the full path prints the same; False when there is none."""
    if answer is None:
        return False
    tell(out, answer.loading)  # type: ignore[attr-defined]
    tell(out, answer.notices)  # type: ignore[attr-defined]
    result = answer.result  # type: ignore[attr-defined]
    if result is None:
        out.write(answer.parts)  # type: ignore[attr-defined]
    elif render is not None:
        render(result)
    else:
        raise AssertionError("a warm result with no renderer")
    return True


def run(
    quiet: bool,
    output_format: str,
    work: Callable[[Output], None],
    timings: Timings = NO_TIMINGS,
) -> None:
    """Run a command's body inside the error boundary; with `timings` (--verbose), then say on
    stderr how long each stage took."""
    out = Output(quiet=quiet)
    started = time.perf_counter()
    try:
        work(out)
        if timings.enabled:
            out.verbose(timing_line(timings.seconds, time.perf_counter() - started))
    except UsageError as err:  # a bad argument found only after loading: Click reports it
        raise typer.BadParameter(err.message, param_hint=f"'--{err.option}'") from None
    except SegcliError as err:
        proposal = proposed(getattr(err, "proposal", None))
        message = err.message + proposal if proposal else worded(err.message, err.hint)
        fail(out, output_format, err.code, message, err.exit_code)
    except (typer.Exit, typer.BadParameter):
        raise
    except BrokenPipeError:
        # The reader went away (`| head`): stop quietly, as a SIGPIPE'd tool would.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        raise typer.Exit(EXIT_BROKEN_PIPE) from None
    except KeyboardInterrupt:
        raise typer.Exit(EXIT_INTERRUPTED) from None
    except Exception as exc:
        if os.environ.get(DEBUG_ENV):
            raise
        message = f"unexpected {type(exc).__name__}: {exc} (set {DEBUG_ENV}=1 for details)"
        fail(out, output_format, "INTERNAL", message, 1)


def timing_line(seconds: dict[str, float], total: float) -> str:
    """`timings: read 0.012 s, parse 0.030 s, ...; command 0.080 s`."""
    stages = ", ".join(f"{name} {spent:.3f} s" for name, spent in seconds.items())
    return f"timings: {stages or 'no stage ran'}; command {total:.3f} s"


def fail(out: Output, output_format: str, code: str, message: str, exit_code: int) -> NoReturn:
    """One error line on stderr, the same message in the JSON error object, and the exit code.
    Control characters (from a file's name, or a library's message) are shown as escapes in
    both, so that the two say the same."""
    from segcli.output.json import error_json

    message = shown(message)
    out.error(message)
    if output_format in JSON_FORMATS:
        out.text(error_json(code, message))
    raise typer.Exit(exit_code)


STDOUT_FD = 1


def is_pipe(fd: int) -> bool:
    try:
        return stat.S_ISFIFO(os.fstat(fd).st_mode)
    except OSError:
        return False


def is_devnull(fd: int) -> bool:
    try:
        now, null = os.fstat(fd), os.stat(os.devnull)
    except OSError:
        return False
    return (now.st_dev, now.st_ino) == (null.st_dev, null.st_ino)
