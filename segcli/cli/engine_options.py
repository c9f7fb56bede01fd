"""The engine options every command takes beside the shared ones (options.py): which engine
computes the per-customer aggregate, and on which Dask cluster."""

from __future__ import annotations

import inspect
import typing
from dataclasses import replace
from enum import StrEnum
from typing import Annotated, Any

import typer

from segcli import api
from segcli.cli.options import Options, shared_options_from_flags
from segcli.cli.signature import with_options
from segcli.model.engine import ENGINES, PANDAS, SCHEDULER_ENV

_ENGINE = "Engine"

EngineName = StrEnum(  # type: ignore[misc]  # built from the one list in model/engine.py
    "EngineName", [(name, name) for name in ENGINES]
)

EngineOpt = Annotated[
    EngineName | None,
    typer.Option(
        "--engine",
        show_default=False,
        help="Compute per-customer metrics in this process (pandas), or on a Dask cluster "
        "(dask; pip install 'segcli[dask]'). Default: the config file's engine, else pandas.",
        rich_help_panel=_ENGINE,
    ),
]
SchedulerOpt = Annotated[
    str | None,
    typer.Option(
        "--scheduler",
        envvar=SCHEDULER_ENV,
        show_envvar=True,
        metavar="ADDRESS",
        help="With --engine dask: a running Dask scheduler (tcp://host:8786). Default: a local "
        "cluster started for the command.",
        rich_help_panel=_ENGINE,
    ),
]
WorkersOpt = Annotated[
    int | None,
    typer.Option(
        "--workers",
        min=1,
        metavar="N",
        help="With --engine dask and no scheduler: worker processes. Default: one per core.",
        rich_help_panel=_ENGINE,
    ),
]
WorkerMemoryOpt = Annotated[
    str | None,
    typer.Option(
        "--worker-memory",
        metavar="SIZE",
        help="With --engine dask and no scheduler: each worker's memory (1.5GB); beyond it, "
        "workers spill to a temporary folder. Default: an even share of 80% of the memory.",
        rich_help_panel=_ENGINE,
    ),
]


def engine_from_flags(
    engine: EngineOpt = None,
    scheduler: SchedulerOpt = None,
    workers: WorkersOpt = None,
    worker_memory: WorkerMemoryOpt = None,
    *,
    configured: str | None = None,
) -> api.Engine:
    """The engine the flags choose, else the config file's (`configured`), else pandas."""
    name = engine.value if engine is not None else configured or PANDAS
    return api.Engine(name, scheduler or None, workers, worker_memory)


_ENGINE_FLAGS = [
    p for p in inspect.signature(engine_from_flags).parameters.values() if p.name != "configured"
]


def options_from_flags(**values: Any) -> Options:
    """The shared options, with the engine in their inputs."""
    flags = {p.name: values.pop(p.name) for p in _ENGINE_FLAGS}
    options = shared_options_from_flags(**values)
    engine = engine_from_flags(**flags, configured=options.resolved.engine)
    return replace(options, inputs=replace(options.inputs, engine=engine))


options_from_flags.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
    [*inspect.signature(shared_options_from_flags).parameters.values(), *_ENGINE_FLAGS]
)
options_from_flags.__annotations__ = {
    **typing.get_type_hints(shared_options_from_flags, include_extras=True),
    **typing.get_type_hints(engine_from_flags, include_extras=True),
}

shared_options = with_options(options_from_flags, "options")
