"""The orders the server answers from: one snapshot, loaded once, swapped whole.

A request takes `Snapshots.current` once and answers from it alone, so it never sees half of a
reload. A background thread looks at the source files at most every `interval` seconds (their
size and times, not their content); when they changed, it loads a new snapshot and swaps it in
with one assignment. A reload that fails keeps the old snapshot and records the error, which
`/api/health` reports; the same failed state of the files is not retried until they change
again.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from segcli import api
from segcli.model.schema import format_instant


def now_ms() -> int:
    return time.time_ns() // 1_000_000


@dataclass(frozen=True)
class Snapshot:
    loaded: Any  # api.Loaded: orders, their aggregate, contacts
    state: tuple  # api.source_state when it was read
    loaded_at_ms: int


@dataclass(frozen=True)
class Failure:
    code: str
    message: str
    at_ms: int

    def to_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message, "at": format_instant(self.at_ms)}


Log = Callable[[str], None]


def _stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


class Snapshots:
    """The current snapshot of `inputs`, reloaded in the background when the files change."""

    def __init__(self, inputs: api.Inputs, interval: float, log: Log = _stderr) -> None:
        self.inputs = inputs
        self.interval = interval
        self.log = log
        self.current: Snapshot | None = None
        self.failure: Failure | None = None
        self._failed_state: tuple | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def load(self) -> Snapshot:
        """Read the orders now (SegcliError when they cannot be) and make them current."""
        state = api.source_state(self.inputs)
        loaded = api.snapshot(self.inputs)
        self.current = Snapshot(loaded, state, now_ms())
        return self.current

    def check(self) -> bool:
        """Reload if the source files changed since the current snapshot was read; whether a
        new snapshot was swapped in."""
        assert self.current is not None
        try:
            state = api.source_state(self.inputs)
            if state in (self.current.state, self._failed_state):
                return False
            started = time.perf_counter()
            try:
                snapshot = self.load()
            except Exception:
                self._failed_state = state
                raise
        except api.SegcliError as err:
            self._fail(err.code, err.message)
            return False
        except Exception as exc:  # never let the reloader die; the old snapshot stays
            self._fail("INTERNAL", f"unexpected {type(exc).__name__} while reloading")
            return False
        self.failure, self._failed_state = None, None
        took = time.perf_counter() - started
        self.log(
            f"reloaded: {snapshot.loaded.order_count:,} orders, "
            f"{snapshot.loaded.customer_count:,} customers in {took:.2f} s"
        )
        return True

    def _fail(self, code: str, message: str) -> None:
        self.failure = Failure(code, message, now_ms())
        self.log(f"reload failed, still serving the previous data: {message}")

    def start(self) -> None:
        """Check every `interval` seconds, in a daemon thread, until `stop`."""
        if self.interval <= 0 or self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, name="segcli-reload", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.check()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
