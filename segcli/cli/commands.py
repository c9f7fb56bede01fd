"""The `segcli` commands. Each one parses its options, calls `segcli.api`, and prints the result
with the renderer for the format asked for; the error boundary (boundary.py) turns failures into
one stderr line, a JSON error and an exit code."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from segcli import __version__, api
from segcli.cli import boundary, completion, histories, housekeeping, listing, predicting, serving
from segcli.cli import output_options as oo
from segcli.cli import predict_options as po
from segcli.cli.boundary import EXIT_BROKEN_PIPE, STDOUT_FD, is_devnull, is_pipe, run, tell
from segcli.cli.engine_options import shared_options
from segcli.cli.histories import HistoryOpt
from segcli.cli.options import By, Options
from segcli.cli.output_options import ColumnsOpt, FormatOpt, ListFormatOpt, parse_columns
from segcli.cli.parsers import (
    choice,
    enum_choice,
    parse_as_of,
    parse_frequency,
    parse_money,
    parse_segment,
    parse_sort_field,
)
from segcli.cli.printing import (
    Format,
    ListFormat,
    print_breakdown,
    print_customer,
    print_list,
    print_matrix,
)
from segcli.model.schema import (
    DEFAULT_SORT,
    DEFAULT_TABLE_ROWS,
    DETAIL_COLUMNS,
    FREQUENCIES,
    LIST_SORT_FIELDS,
    NOT_YET,
    PREDICTION_SORTS,
    RFM_COLUMNS,
    SEGMENTS,
)
from segcli.output.console import Output
from segcli.output.fields import list_fields, prediction_fields

app = typer.Typer(
    name="segcli",
    help="Customer intelligence from order exports: metrics, purchase cadence and segments.",
    cls=housekeeping.Group,
    add_completion=True,  # --install-completion / --show-completion; values: cli/completion.py
    pretty_exceptions_show_locals=False,  # locals hold customers' personal data
    context_settings={"help_option_names": ["-h", "--help"]},
)
app.add_typer(housekeeping.config_app, name="config")
app.add_typer(housekeeping.cache_app, name="cache")


_process = {"tune": False}  # main() runs as the segcli process: tune Arrow's pool once, on load


def _load(out: Output, options: Options, details=DETAIL_COLUMNS, *, keep_orders=False, only=None):
    """Load the orders (or their cached aggregate) with a progress bar; tell the notices."""
    if _process["tune"]:
        api.tune_for_cli()
        _process["tune"] = False
    with out.progress() as progress:
        loaded = api.load(
            options.inputs,
            details=details,
            as_of=options.as_of,
            keep_orders=keep_orders,
            progress=progress,
            timings=options.timings if options.timings.enabled else None,
            only=only,  # `show`: the customer a cold read may look for alone
        )
    tell(out, loaded.notices)
    return loaded


def _version(value: bool) -> None:
    if value:
        typer.echo(f"segcli {__version__}")
        raise typer.Exit()


@app.callback(invoke_without_command=True)
def main_options(
    ctx: typer.Context,
    version: Annotated[
        bool | None,
        typer.Option(
            "--version",
            "-V",
            metavar="",
            callback=_version,
            is_eager=True,
            help="Show the version.",
        ),
    ] = None,
) -> None:
    """segcli turns an order export into per-customer metrics and lifecycle segments."""
    housekeeping.help_without_a_command(ctx)


@app.command("list", cls=housekeeping.Command)
@shared_options
def list_customers(
    segment: Annotated[
        list[str] | None,
        typer.Option(
            parser=parse_segment,
            autocompletion=completion.segments,
            metavar="SEGMENT",
            help=f"Only this segment (repeat for several): {', '.join(SEGMENTS)}.",
        ),
    ] = None,
    frequency: Annotated[
        list[str] | None,
        typer.Option(
            parser=parse_frequency,
            autocompletion=completion.frequencies,
            metavar="FREQUENCY",
            help=f"Only this purchase frequency (repeat for several): {', '.join(FREQUENCIES)}.",
        ),
    ] = None,
    min_days: Annotated[int | None, typer.Option(min=0, help="lastOrderDaysAgo at least.")] = None,
    max_days: Annotated[int | None, typer.Option(min=0, help="lastOrderDaysAgo at most.")] = None,
    min_spend: Annotated[
        int | None, typer.Option(parser=parse_money, help="totalSpend at least.", metavar="AMOUNT")
    ] = None,
    max_spend: Annotated[
        int | None, typer.Option(parser=parse_money, help="totalSpend at most.", metavar="AMOUNT")
    ] = None,
    rfm_scores: Annotated[
        bool, typer.Option("--rfm", metavar="", help="Add RFM scores and segment to each customer.")
    ] = False,
    rfm_segment: Annotated[
        list[str] | None,
        typer.Option(
            metavar="RFM_SEGMENT",
            autocompletion=completion.rfm_segments,
            help="Only this RFM segment (repeat for several; implies --rfm).",
        ),
    ] = None,
    sort: Annotated[
        str,
        typer.Option(
            parser=parse_sort_field,
            autocompletion=completion.sort_fields,
            metavar="FIELD",
            help=f"Sort by one of {', '.join(LIST_SORT_FIELDS)}; ties by contactID.",
        ),
    ] = DEFAULT_SORT,
    descending: Annotated[
        bool, typer.Option("--desc/--asc", metavar="", help="Sort direction.")
    ] = True,
    limit: Annotated[
        int | None,
        typer.Option(min=0, help=f"At most N customers (table default {DEFAULT_TABLE_ROWS})."),
    ] = None,
    offset: Annotated[int, typer.Option(min=0, help="Skip the first N matches.")] = 0,
    predict: po.PredictOpt = False,
    horizon: po.HorizonOpt = 365,
    discount_rate: po.DiscountRateOpt = 0.0,
    min_churn: po.MinChurnOpt = None,
    max_churn: po.MaxChurnOpt = None,
    min_clv: po.MinClvOpt = None,
    output_format: ListFormatOpt = ListFormat.table,
    columns: ColumnsOpt = None,
    options: Options = None,  # type: ignore[assignment]  # given by @shared_options
) -> None:
    """List customers, filtered and sorted."""
    rfm_labels = choice("RFM segment", options.settings.rfm_labels())
    filters = api.Filters(
        segments=tuple(segment or ()),
        frequencies=tuple(frequency or ()),
        min_days=min_days,
        max_days=max_days,
        min_spend_cents=min_spend,
        max_spend_cents=max_spend,
        rfm_segments=tuple(rfm_labels(s) for s in rfm_segment or ()),
        min_churn=min_churn,
        max_churn=max_churn,
        min_clv_cents=min_clv,
    )
    fmt = options.chosen(output_format)
    fields = parse_columns(columns, list_fields(rfm=True) + prediction_fields(), fmt)
    wanted = predict or filters.predicted() or sort in PREDICTION_SORTS
    forecast = po.forecast(wanted, fields, horizon, discount_rate, options.timings.enabled)
    table_rows = DEFAULT_TABLE_ROWS if fmt is ListFormat.table else None
    rfm = rfm_scores or bool(set(fields) & set(RFM_COLUMNS))
    details = oo.details_for(fields)
    page = {"sort": sort, "descending": descending, "offset": offset,
            "limit": limit if limit is not None else table_rows}  # fmt: skip

    def work(out: Output) -> None:
        def render(result: Any) -> None:  # a warm answer's page, or the full path's
            with options.timings.stage("render"):
                print_list(out, result, fmt, pretty=options.pretty, dialect=options.dialect,
                           fields=fields)  # fmt: skip

        if forecast is None and (boundary.answered(out, api.warm(
            options.inputs, "customers", options.as_of, options.settings, filters=filters,
            details=details, rfm=rfm, fmt=fmt.value, pretty=options.pretty,
            timings=options.timings, **page), render) or listing.streamed(out, options, fmt,
            details, fields, {"filters": filters, "rfm": rfm, **page})):  # fmt: skip
            return
        loaded = _load(out, options, details, keep_orders=forecast is not None)
        result = api.customers(
            loaded, options.settings, options.as_of, filters=filters, rfm=rfm, forecast=forecast,
            **page,
        )  # fmt: skip
        del loaded  # the orders: freed before the output is built
        tell(out, result.notices)
        render(result)

    run(options.quiet, fmt.value, work, options.timings)


@app.command(cls=housekeeping.Command)
@shared_options
def show(
    contact_id: Annotated[str, typer.Argument(metavar="CONTACT_ID", help="The customer's id.")],
    output_format: FormatOpt = Format.table,
    options: Options = None,  # type: ignore[assignment]  # given by @shared_options
) -> None:
    """Show one customer, with phone and account fields."""
    fmt = options.chosen(output_format)

    def work(out: Output) -> None:
        def render(result: Any) -> None:  # a warm answer's customer, or the full path's
            with options.timings.stage("render"):
                print_customer(out, result, fmt, pretty=options.pretty, dialect=options.dialect)

        if boundary.answered(out, api.warm(
            options.inputs, "customer", options.as_of, options.settings, contact_id=contact_id,
            fmt=fmt.value, pretty=options.pretty, timings=options.timings), render):  # fmt: skip
            return
        loaded = _load(out, options, only=contact_id)
        result = api.customer(loaded, contact_id, options.settings, options.as_of)
        del loaded  # the orders: freed before the output is built
        tell(out, result.notices)
        render(result)

    run(options.quiet, fmt.value, work, options.timings)


@app.command(cls=housekeeping.Command)
@shared_options
def breakdown(
    by: Annotated[
        list[By] | None,
        typer.Option(
            parser=enum_choice("breakdown", By),
            metavar="|".join(By),
            help="Break down by segment or frequency (default: both).",
        ),
    ] = None,
    cross: Annotated[
        bool,
        typer.Option("--cross", metavar="", help="Count segment x purchase frequency instead."),
    ] = False,
    predict: po.PredictOpt = False,
    horizon: po.HorizonOpt = 365,
    discount_rate: po.DiscountRateOpt = 0.0,
    history: HistoryOpt = False,
    output_format: FormatOpt = Format.table,
    options: Options = None,  # type: ignore[assignment]  # given by @shared_options
) -> None:
    """Count, share, total and average spend per segment and per purchase frequency."""
    fmt = options.chosen(output_format)
    wanted = [b.value for b in by or list(By)]
    if history and fmt not in (Format.table, Format.json):
        raise typer.BadParameter("prints as a table or as JSON", param_hint="'--history'")
    forecast = po.forecast(
        predict and not cross, (), horizon, discount_rate, options.timings.enabled
    )

    def work(out: Output) -> None:
        orders = forecast is not None or (history and not cross)

        def render(result: Any) -> None:  # a warm answer's result, or the full path's
            with options.timings.stage("render"):
                if isinstance(result, api.Matrix):
                    print_matrix(out, result, fmt, pretty=options.pretty, dialect=options.dialect)
                else:
                    print_breakdown(
                        out, result, fmt, pretty=options.pretty, dialect=options.dialect
                    )

        if not orders and boundary.answered(out, api.warm(
            options.inputs, "breakdown", options.as_of, options.settings, by=wanted, cross=cross,
            fmt=fmt.value, pretty=options.pretty, timings=options.timings), render):  # fmt: skip
            return
        loaded = _load(out, options, details=(), keep_orders=orders)
        result = api.breakdown(
            loaded,
            options.settings,
            options.as_of,
            by=wanted,
            cross=cross,
            forecast=forecast,
            history=history and not cross,
        )
        del loaded  # the orders: freed before the output is built
        tell(out, result.notices)
        render(result)

    run(options.quiet, fmt.value, work, options.timings)


@app.command("rfm", cls=housekeeping.Command)
@shared_options
def rfm_command(
    output_format: FormatOpt = Format.table,
    options: Options = None,  # type: ignore[assignment]  # given by @shared_options
) -> None:
    """Customers per RFM segment: recency, frequency and monetary scored 1-5 (or 1-10)."""
    fmt = options.chosen(output_format)

    def work(out: Output) -> None:
        loaded = _load(out, options, details=())
        result = api.rfm(loaded, options.settings, options.as_of)
        del loaded  # the orders: freed before the output is built
        tell(out, result.notices)
        with options.timings.stage("render"):
            print_breakdown(out, result, fmt, pretty=options.pretty, dialect=options.dialect)

    run(options.quiet, fmt.value, work, options.timings)


_from_segment = choice("segment", (*SEGMENTS, NOT_YET))


def _movement(value: str) -> tuple[str, str]:
    """`--list FROM:TO` -> (from segment or (none), to segment)."""
    source, sep, target = value.partition(":")
    if not sep:
        raise typer.BadParameter(
            f"'{value}' is not FROM:TO (e.g. VIP:Dormant)", param_hint="'--list'"
        )
    try:
        return _from_segment(source.strip()), parse_segment(target.strip())
    except typer.BadParameter as exc:
        raise typer.BadParameter(exc.message, param_hint="'--list'") from None


@app.command("transitions", cls=housekeeping.Command)
@shared_options
def transitions_command(
    since: Annotated[
        int,
        typer.Option("--from", parser=parse_as_of, metavar="DATE", help="The earlier instant."),
    ],
    until: Annotated[
        int | None,
        typer.Option(
            "--to",
            parser=parse_as_of,
            metavar="DATE",
            help="The later instant. Default: --as-of, else now (the sample's date for the "
            "sample).",
        ),
    ] = None,
    movement: Annotated[
        str | None,
        typer.Option(
            "--list",
            metavar="FROM:TO",
            help="List the customers who moved FROM:TO (e.g. VIP:Dormant, '(none):New').",
        ),
    ] = None,
    sort: Annotated[
        str,
        typer.Option(
            parser=parse_sort_field,
            autocompletion=completion.sort_fields,
            metavar="FIELD",
            help="With --list: sort by FIELD.",
        ),
    ] = DEFAULT_SORT,
    descending: Annotated[
        bool, typer.Option("--desc/--asc", metavar="", help="Sort direction.")
    ] = True,
    limit: Annotated[int | None, typer.Option(min=0, help="With --list: at most N.")] = None,
    offset: Annotated[int, typer.Option(min=0, help="With --list: skip the first N.")] = 0,
    output_format: ListFormatOpt = ListFormat.table,
    columns: ColumnsOpt = None,
    options: Options = None,  # type: ignore[assignment]  # given by @shared_options
) -> None:
    """How customers moved between segments from one date to another."""
    pair = _movement(movement) if movement is not None else None
    fmt = options.chosen(output_format)
    if columns is not None and not pair:
        raise typer.BadParameter("picks the columns of --list", param_hint="'--columns'")
    fields = parse_columns(columns, list_fields(rfm=False), fmt)
    table_rows = DEFAULT_TABLE_ROWS if fmt is ListFormat.table else None

    def work(out: Output) -> None:
        loaded = _load(out, options, oo.details_for(fields) if pair else (), keep_orders=True)
        to = until if until is not None else options.as_of
        shown = limit if limit is not None else table_rows
        result = api.transitions(
            loaded,
            since,
            to,
            options.settings,
            movement=pair,
            sort=sort,
            descending=descending,
            limit=shown,
            offset=offset,
        )
        del loaded  # the orders: freed before the output is built
        tell(out, result.notices)
        with options.timings.stage("render"):
            if isinstance(result, api.Matrix):
                print_matrix(out, result, fmt, pretty=options.pretty, dialect=options.dialect)
            else:
                print_list(
                    out, result, fmt, pretty=options.pretty, dialect=options.dialect, fields=fields
                )

    run(options.quiet, fmt.value, work, options.timings)


app.command("serve")(serving.serve)
app.command("predict", cls=housekeeping.Command)(predicting.predict)
app.command("history", cls=housekeeping.Command)(histories.history)


def main() -> None:
    """The `segcli` executable. Unlike a command run in-process (tests, other programs), it may
    tune process-wide state: Arrow's memory pool, when a command first loads orders."""
    _process["tune"] = True
    piped = is_pipe(STDOUT_FD)
    try:
        app()
    except SystemExit as done:
        # Help and usage errors are printed by Typer through Rich, which ends a closed pipe
        # (`segcli --help | head -1`) with 1 after pointing stdout at /dev/null; a closed pipe
        # is 141 everywhere in segcli, as for a filter killed by SIGPIPE.
        if done.code == 1 and piped and is_devnull(STDOUT_FD):
            raise SystemExit(EXIT_BROKEN_PIPE) from None
        raise
