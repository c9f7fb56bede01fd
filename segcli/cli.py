"""The `segcli` command: parse options, call the pipeline, pick a renderer, print.

This is the one error boundary: core code raises SegcliError; here it becomes one stderr line,
a JSON error object on stdout when --format json, and the exit code.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from segcli import __version__, pipeline, render, select, summary
from segcli.errors import SegcliError
from segcli.schema import FREQUENCIES, SEGMENTS

EXIT_INTERRUPTED = 130
EXIT_BROKEN_PIPE = 141  # what a shell reports for a process ended by SIGPIPE
DEBUG_ENV = "SEGCLI_DEBUG"  # set to 1 to see the traceback of an unexpected error

app = typer.Typer(
    name="segcli",
    help="Customer intelligence from order exports: metrics, purchase cadence and segments.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,  # locals hold customers' personal data
    context_settings={"help_option_names": ["-h", "--help"]},
)


class Format(StrEnum):
    table = "table"
    json = "json"


class ListFormat(StrEnum):
    table = "table"
    json = "json"
    ndjson = "ndjson"
    csv = "csv"


class By(StrEnum):
    segment = "segment"
    frequency = "frequency"


InputFormat = StrEnum(  # type: ignore[misc]  # built from the one list in load.py
    "InputFormat", [(name, name) for name in pipeline.INPUT_FORMATS]
)


def _choice(kind: str, labels: tuple[str, ...]) -> Callable[[str], str]:
    """A parser that accepts any case and names the valid labels, in their order, when it fails."""
    lookup = {label.casefold(): label for label in labels}

    def parse(value: str) -> str:
        try:
            return lookup[value.casefold()]
        except KeyError:
            valid = ", ".join(labels)
            raise typer.BadParameter(f"'{value}' is not a {kind}; choose from {valid}") from None

    return parse


# Choices come from the one list of labels in schema.py (and the sort fields in select.py).
_segment = _choice("segment", SEGMENTS)
_frequency = _choice("purchase frequency", FREQUENCIES)
_sort_field = _choice("sort field", tuple(select.SORT_FIELDS))


def _as_of(value: str) -> int:
    try:
        return pipeline.parse_as_of(value)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None


def _money(value: str) -> int:
    cents = pipeline.parse_amount(value)
    if cents is None:
        raise typer.BadParameter(f"'{value}' is not an amount (e.g. 5000 or 1245.50)")
    return cents


OrdersOpt = Annotated[
    list[Path] | None,
    typer.Option(
        "--orders",
        "-o",
        metavar="PATH",
        envvar="SEGCLI_ORDERS",
        show_envvar=True,
        help="Orders file (.csv, .csv.gz, .parquet, or - for CSV on stdin); repeat to combine. "
        "Default: the bundled sample.",
    ),
]
AsOfOpt = Annotated[
    int | None,
    typer.Option(
        parser=_as_of,
        help="Measure ages from this ISO date (its end, UTC) or datetime. Default: now.",
        metavar="DATE",
    ),
]
InputFormatOpt = Annotated[
    InputFormat | None,
    typer.Option(
        case_sensitive=False,
        help="Read the orders as this format, whatever their extension.",
    ),
]
EncodingOpt = Annotated[str, typer.Option(help="Text encoding of CSV input.")]
StrictOpt = Annotated[bool, typer.Option("--strict", help="Fail (exit 1) if any row is skipped.")]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="No notices on stderr.")]
PrettyOpt = Annotated[bool, typer.Option("--pretty", help="Indent JSON output.")]
FormatOpt = Annotated[Format, typer.Option("--format", "-f", help="Output format.")]


@dataclass(frozen=True)
class Common:
    """The options every command takes."""

    orders: list[Path] | None
    as_of: int | None
    input_format: InputFormat | None
    encoding: str
    strict: bool
    quiet: bool
    format: str
    pretty: bool

    def load(self, out: render.Output) -> pipeline.Result:
        result = pipeline.customers(
            [str(p) for p in self.orders or ()],
            as_of_ms=self.as_of,
            input_format=self.input_format.value if self.input_format else None,
            encoding=self.encoding,
            strict=self.strict,
        )
        for notice in result.notices:
            out.notice(notice)
        return result


def _run(common: Common, work: Callable[[render.Output], None]) -> None:
    """Run a command's body inside the error boundary."""
    out = render.Output(quiet=common.quiet)
    try:
        work(out)
    except SegcliError as err:
        _fail(out, common, err.code, err.message, err.exit_code)
    except typer.Exit:
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
        _fail(out, common, "INTERNAL", message, 1)


def _fail(out: render.Output, common: Common, code: str, message: str, exit_code: int) -> None:
    out.error(message)
    if common.format == Format.json.value:
        out.text(render.error_json(code, message))
    raise typer.Exit(exit_code)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"segcli {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    version: Annotated[
        bool | None,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = None,
) -> None:
    """segcli turns an order export into per-customer metrics and lifecycle segments."""


@app.command("list")
def list_customers(
    segment: Annotated[
        list[str] | None,
        typer.Option(
            parser=_segment,
            metavar="SEGMENT",
            help=f"Only this segment (repeat for several): {', '.join(SEGMENTS)}.",
        ),
    ] = None,
    frequency: Annotated[
        list[str] | None,
        typer.Option(
            parser=_frequency,
            metavar="FREQUENCY",
            help=f"Only this purchase frequency (repeat for several): {', '.join(FREQUENCIES)}.",
        ),
    ] = None,
    min_days: Annotated[int | None, typer.Option(min=0, help="lastOrderDaysAgo at least.")] = None,
    max_days: Annotated[int | None, typer.Option(min=0, help="lastOrderDaysAgo at most.")] = None,
    min_spend: Annotated[
        int | None, typer.Option(parser=_money, help="totalSpend at least.", metavar="AMOUNT")
    ] = None,
    max_spend: Annotated[
        int | None, typer.Option(parser=_money, help="totalSpend at most.", metavar="AMOUNT")
    ] = None,
    sort: Annotated[
        str,
        typer.Option(
            parser=_sort_field,
            metavar="FIELD",
            help=f"Sort by one of {', '.join(select.SORT_FIELDS)}; ties by contactID.",
        ),
    ] = select.DEFAULT_SORT,
    descending: Annotated[bool, typer.Option("--desc/--asc", help="Sort direction.")] = True,
    limit: Annotated[
        int | None,
        typer.Option(
            min=0, help=f"At most N customers (table default {render.DEFAULT_TABLE_ROWS})."
        ),
    ] = None,
    offset: Annotated[int, typer.Option(min=0, help="Skip the first N matches.")] = 0,
    orders: OrdersOpt = None,
    as_of: AsOfOpt = None,
    input_format: InputFormatOpt = None,
    encoding: EncodingOpt = pipeline.DEFAULT_ENCODING,
    strict: StrictOpt = False,
    quiet: QuietOpt = False,
    pretty: PrettyOpt = False,
    output_format: Annotated[
        ListFormat, typer.Option("--format", "-f", help="Output format.")
    ] = ListFormat.table,
) -> None:
    """List customers, filtered and sorted."""
    common = Common(
        orders, as_of, input_format, encoding, strict, quiet, output_format.value, pretty
    )
    filters = select.Filters(
        segments=tuple(segment or ()),
        frequencies=tuple(frequency or ()),
        min_days=min_days,
        max_days=max_days,
        min_spend_cents=min_spend,
        max_spend_cents=max_spend,
    )

    def work(out: render.Output) -> None:
        customers = common.load(out).customers
        shown: int | None = limit
        if output_format is ListFormat.table and limit is None:
            shown = render.DEFAULT_TABLE_ROWS
        page, total = select.select(
            customers, filters, sort=sort, descending=descending, limit=shown, offset=offset
        )
        if output_format is ListFormat.table:
            out.show(render.list_table(page, total, offset, width=out.width))
        elif output_format is ListFormat.json:
            out.text(render.list_json(page, total, pretty=pretty))
        elif output_format is ListFormat.ndjson:
            out.text(render.list_ndjson(page))
        else:
            out.text(render.list_csv(page))

    _run(common, work)


@app.command()
def show(
    contact_id: Annotated[str, typer.Argument(metavar="CONTACT_ID", help="The customer's id.")],
    orders: OrdersOpt = None,
    as_of: AsOfOpt = None,
    input_format: InputFormatOpt = None,
    encoding: EncodingOpt = pipeline.DEFAULT_ENCODING,
    strict: StrictOpt = False,
    quiet: QuietOpt = False,
    pretty: PrettyOpt = False,
    output_format: FormatOpt = Format.table,
) -> None:
    """Show one customer, with phone and account fields."""
    common = Common(
        orders, as_of, input_format, encoding, strict, quiet, output_format.value, pretty
    )

    def work(out: render.Output) -> None:
        customer = select.find(common.load(out).customers, contact_id)
        if output_format is Format.json:
            out.text(render.show_json(customer, pretty=pretty))
        else:
            out.show(render.show_table(customer))

    _run(common, work)


@app.command()
def breakdown(
    by: Annotated[
        list[By] | None,
        typer.Option(help="Break down by segment or frequency (default: both)."),
    ] = None,
    orders: OrdersOpt = None,
    as_of: AsOfOpt = None,
    input_format: InputFormatOpt = None,
    encoding: EncodingOpt = pipeline.DEFAULT_ENCODING,
    strict: StrictOpt = False,
    quiet: QuietOpt = False,
    pretty: PrettyOpt = False,
    output_format: FormatOpt = Format.table,
) -> None:
    """Count, share, total and average spend per segment and per purchase frequency."""
    common = Common(
        orders, as_of, input_format, encoding, strict, quiet, output_format.value, pretty
    )
    wanted = [b.value for b in By if b in (by or list(By))]

    def work(out: render.Output) -> None:
        result = common.load(out)
        tables = {b: summary.breakdown(result.customers, b) for b in wanted}
        total = len(result.customers)
        if output_format is Format.json:
            out.text(render.breakdown_json(tables, total, result.as_of_ms, pretty=pretty))
        else:
            out.show(render.breakdown_tables(tables, total, result.as_of_ms))

    _run(common, work)


def main() -> None:
    app()
