"""Which engine computes the per-customer aggregate, and where: in this process (pandas), or on
a Dask cluster (a running one at `scheduler`, else a local one started for the command)."""

from __future__ import annotations

from dataclasses import dataclass

PANDAS = "pandas"
DASK = "dask"
ENGINES: tuple[str, ...] = (PANDAS, DASK)
SCHEDULER_ENV = "DASK_SCHEDULER_ADDRESS"  # the address Dask's own tools read too
MEMORY_SHARE = 0.8  # the part of this machine's memory local workers share evenly


@dataclass(frozen=True)
class Engine:
    """`name` is pandas or dask. For dask: `scheduler` is a running cluster's address
    (tcp://host:8786); without it a local cluster of `workers` processes (None: one per core)
    with `worker_memory` each (text such as '1.5GB'; None: an even share of 80% of the memory),
    spilling to a temporary folder. `processes=False` runs the local workers as threads of this
    process (the library's and the tests' choice, never the command line's)."""

    name: str = PANDAS
    scheduler: str | None = None
    workers: int | None = None
    worker_memory: str | None = None
    processes: bool = True

    def __post_init__(self) -> None:
        if self.name not in ENGINES:
            engines = ", ".join(ENGINES)
            raise ValueError(f"'{self.name}' is not an engine; the engines are {engines}")
        if self.workers is not None and self.workers < 1:
            raise ValueError("a cluster needs at least one worker")

    @property
    def is_dask(self) -> bool:
        return self.name == DASK
