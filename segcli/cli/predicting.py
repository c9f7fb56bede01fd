"""`segcli predict`: BG/NBD and Gamma-Gamma fitted to the customers (the `predict` extra).
pymc-marketing is imported by the library only when a prediction runs; here the front end keeps
PyTensor's compile cache in segcli's cache folder and its logging off the terminal unless -v."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Annotated

import typer

from segcli import api
from segcli.cli.boundary import run, tell
from segcli.cli.engine_options import shared_options
from segcli.cli.options import Options
from segcli.cli.output_options import FormatOpt
from segcli.cli.parsers import parse_as_of
from segcli.cli.printing import Format, print_prediction
from segcli.output.console import Output

PYTENSOR_FLAGS = "PYTENSOR_FLAGS"
NOISY_LOGGERS = ("pymc", "pytensor", "pymc_marketing", "pymc_extras", "arviz")


def quiet_models(verbose: bool) -> None:
    """Before the first import of PyTensor: its compiled code goes under segcli's cache folder
    (unless PYTENSOR_FLAGS says otherwise), and its and PyMC's log lines stay off stderr unless
    `verbose`. Process-wide, so the front end's to do, never the library's."""
    if PYTENSOR_FLAGS not in os.environ:
        base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
        os.environ[PYTENSOR_FLAGS] = f"base_compiledir={Path(base) / 'segcli' / 'pytensor'}"
    for name in NOISY_LOGGERS:
        logging.getLogger(name).setLevel(logging.INFO if verbose else logging.ERROR)


@shared_options
def predict(
    holdout: Annotated[
        int | None,
        typer.Option(
            parser=parse_as_of,
            metavar="DATE",
            help="Fit to the orders up to DATE (its end, UTC) and compare each customer's "
            "predicted repeat orders after it, up to the as-of, with what happened.",
        ),
    ] = None,
    output_format: FormatOpt = Format.table,
    options: Options = None,  # type: ignore[assignment]  # given by @shared_options
) -> None:
    """Fit BG/NBD (repeat orders) and Gamma-Gamma (spend per order): needs the predict extra."""
    fmt = options.chosen(output_format)

    def work(out: Output) -> None:
        from segcli.cli.commands import _load

        quiet_models(options.timings.enabled)
        loaded = _load(out, options, details=(), keep_orders=True)
        result = api.predict(loaded, options.as_of, holdout=holdout)
        del loaded
        tell(out, result.notices)
        with options.timings.stage("render"):
            print_prediction(out, result, fmt, pretty=options.pretty, dialect=options.dialect)

    run(options.quiet, fmt.value, work, options.timings)
