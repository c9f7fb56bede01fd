"""The Dask engine's plumbing: a client for a running cluster or a local one, parts loaded and
worked on where they are, and an all-to-all exchange that brings each bucket's rows together.

Dask and distributed come with the `dask` extra and are imported by these functions only, so that
the pandas engine never pays for them. What a part holds and how a customer is aggregated are the
caller's (segcli/scaling.py); this module knows frames and callables, nothing of orders.
"""

from __future__ import annotations

import logging
import operator
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from typing import TYPE_CHECKING, Any

from segcli import __version__
from segcli.model.engine import MEMORY_SHARE, Engine
from segcli.model.errors import InvalidInputError, MissingDependencyError, UsageError

if TYPE_CHECKING:
    from distributed import Client, Future

INSTALL = "pip install 'segcli[dask]'"
CONNECT_TIMEOUT_S = 10


def require() -> None:
    """Raise MissingDependencyError, naming the install command, unless the extra is installed."""
    try:
        import dask.dataframe  # noqa: F401
        import distributed  # noqa: F401
    except ImportError as error:
        missing = error.name or "dask"
        raise MissingDependencyError(
            f"the dask engine needs {missing.split('.')[0]}: {INSTALL}"
        ) from None


def even_share(workers: int) -> int:
    """Bytes per worker: an even share of MEMORY_SHARE of this machine's memory."""
    total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    return int(total * MEMORY_SHARE) // workers


def worker_version() -> str:
    """segcli's version where this runs (a worker); importing it proves segcli is there."""
    return __version__


@contextmanager
def client(engine: Engine) -> Iterator[Client]:
    """A client of the cluster at `engine.scheduler`, else of a local cluster started for the
    duration (spilling to a temporary folder), with segcli's version checked on every worker."""
    require()
    from dask.utils import parse_bytes
    from distributed import Client, LocalCluster

    with ExitStack() as stack:
        if engine.scheduler:
            try:
                connected = stack.enter_context(
                    Client(engine.scheduler, timeout=CONNECT_TIMEOUT_S, set_as_default=False)
                )
            except (OSError, TimeoutError, ValueError) as error:
                raise InvalidInputError(
                    f"cannot reach the Dask scheduler at {engine.scheduler}: {error}"
                ) from None
        else:
            workers = engine.workers or os.cpu_count() or 1
            try:
                memory = (
                    parse_bytes(engine.worker_memory)
                    if engine.worker_memory
                    else even_share(workers)
                )
            except (ValueError, TypeError):
                raise UsageError(
                    "worker-memory", f"'{engine.worker_memory}' is not a size such as 1.5GB"
                ) from None
            spill = stack.enter_context(tempfile.TemporaryDirectory(prefix="segcli-dask-"))
            cluster = stack.enter_context(
                LocalCluster(
                    n_workers=workers,
                    threads_per_worker=1,
                    processes=engine.processes,
                    memory_limit=memory,
                    local_directory=spill,
                    dashboard_address=":0",  # any free port: 8787 may be taken
                    scheduler_kwargs={"dashboard": False},
                    silence_logs=logging.CRITICAL,  # a failed part is the error, not a log
                )
            )
            connected = stack.enter_context(Client(cluster, set_as_default=False))
        check_versions(connected)
        yield connected


def check_versions(connected: Client) -> None:
    """Refuse a cluster whose workers lack segcli, or run another version of it."""
    try:
        versions = connected.run(worker_version)
    except (ImportError, AttributeError):  # the workers cannot import segcli.engines.dask
        raise InvalidInputError(
            f"segcli is not installed on the Dask workers; install segcli {__version__} on each"
        ) from None
    other = sorted({v for v in versions.values() if v != __version__})
    if other:
        raise InvalidInputError(
            f"the Dask workers run segcli {other[0]}, this is segcli {__version__}; "
            "install the same version on each"
        )
    if not versions:
        raise InvalidInputError("the Dask cluster has no workers")


def workers(connected: Client) -> int:
    """How many workers the cluster has now."""
    return max(1, len(connected.scheduler_info().get("workers", {})))


def load(
    connected: Client, load: Callable[[int], tuple[Any, Any]], parts: int
) -> tuple[list[Future], list[Any]]:
    """Load `parts` parts on the workers (`load(k)`: a part's rows and a small report): the
    rows stay there (futures), the reports come back, in part order."""
    loaded = connected.map(load, range(parts), pure=False)
    rows = connected.map(operator.itemgetter(0), loaded, pure=False)
    said = connected.map(operator.itemgetter(1), loaded, pure=False)
    del loaded  # each part's rows and report are held apart; the pair is let go
    return rows, connected.gather(said)


def each(connected: Client, function: Callable[..., Any], *columns: list[Any]) -> list[Future]:
    """function(*row) on the workers for each row of `columns` (futures or values), as futures:
    where a part's rows are, there they are worked on."""
    return connected.map(function, *columns, pure=False)


def exchange(
    connected: Client, split: list[Future], buckets: int, combine: Callable[..., Any]
) -> list[Future]:
    """All-to-all: each of `split` is a part's rows cut into `buckets` pieces; bucket b's pieces
    from every part meet on one worker, as combine(*pieces). Only the pieces travel."""
    combined = []
    for b in range(buckets):
        pieces = [connected.submit(operator.itemgetter(b), s, pure=False) for s in split]
        combined.append(connected.submit(combine, *pieces, pure=False))
    return combined


def gather(connected: Client, futures: list[Future]) -> list[Any]:
    """The results of `futures`, brought to this process."""
    return connected.gather(futures)


def broadcast(connected: Client, value: Any) -> Future:
    """`value` on every worker, to pass to tasks. Under a key of its own, not its hash: two
    commands on one cluster scatter the same value (no conflicted customers), and a key one
    client lets go while another scatters it can be cancelled under the other
    (dask/distributed#4612)."""
    return connected.scatter(value, broadcast=True, hash=False)
