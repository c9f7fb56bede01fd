"""How long each stage took (read, parse, aggregate, classify, render), for a front end to show
(`segcli -v`). The library fills a `Timings` it is given and prints nothing; `NO_TIMINGS`, the
default, records nothing and costs a shared no-op context per stage."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext

_NOTHING: AbstractContextManager[None] = nullcontext()


class Timings:
    """Seconds per stage, in the order the stages first ran; a stage that runs again (a
    transition classifies twice) adds up."""

    enabled = True

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    @contextmanager
    def _timed(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - start

    def stage(self, name: str) -> AbstractContextManager[None]:
        """`with timings.stage("parse"): ...` adds the block's time to the stage."""
        return self._timed(name)


class _NoTimings(Timings):
    enabled = False

    def stage(self, name: str) -> AbstractContextManager[None]:
        return _NOTHING


NO_TIMINGS: Timings = _NoTimings()
