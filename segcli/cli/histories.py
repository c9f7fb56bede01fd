"""`segcli history ID`: one customer's segment history, and `breakdown --history`'s option (the
time spent in each segment and the moves between segments over every customer's history)."""

from __future__ import annotations

from typing import Annotated

import typer

from segcli import api
from segcli.cli.boundary import run, tell
from segcli.cli.engine_options import shared_options
from segcli.cli.options import Options
from segcli.cli.output_options import FormatOpt
from segcli.cli.printing import Format, print_history
from segcli.output.console import Output

HistoryOpt = Annotated[
    bool,
    typer.Option(
        "--history",
        metavar="",
        help="Add the time spent in each segment (spells, mean and median days) and every move "
        "between segments over the customers' whole histories (reads every order).",
    ),
]


@shared_options
def history(
    contact_id: Annotated[str, typer.Argument(metavar="CONTACT_ID", help="The customer's id.")],
    output_format: FormatOpt = Format.table,
    options: Options = None,  # type: ignore[assignment]  # given by @shared_options
) -> None:
    """Show one customer's segment history: each period, from the first order to the as-of."""
    fmt = options.chosen(output_format)

    def work(out: Output) -> None:
        from segcli.cli.commands import _load

        loaded = _load(out, options, details=api.LIST_DETAILS, keep_orders=True)
        result = api.history(loaded, contact_id, options.settings, options.as_of)
        del loaded
        tell(out, result.notices)
        with options.timings.stage("render"):
            print_history(out, result, fmt, pretty=options.pretty, dialect=options.dialect)

    run(options.quiet, fmt.value, work, options.timings)
