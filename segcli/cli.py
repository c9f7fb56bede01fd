"""The `segcli` command: parse options, call the pipeline, pick a renderer, print.

This is the one error boundary: core code raises SegcliError; here it becomes one stderr line,
a JSON error object on stdout when --format json, and the exit code. Bad settings (flags or the
config file) are usage errors, exit 2, naming the key.
"""

from __future__ import annotations

import functools
import inspect
import os
import sys
import typing
from collections.abc import Callable, Collection
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import typer

from segcli import __version__, config
from segcli import settings as defaults
from segcli.errors import SegcliError
from segcli.options import (
    DAY_FIRST,
    DECIMAL_MARKS,
    DEFAULT_ENCODING,
    INPUT_FORMATS,
    MAPPABLE,
    MONTH_FIRST,
    PRESET_NAMES,
    ExportOptions,
    ParseOptions,
)
from segcli.schema import (
    DEFAULT_SORT,
    DEFAULT_TABLE_ROWS,
    DETAIL_COLUMNS,
    FREQUENCIES,
    LIST_DETAILS,
    NOT_YET,
    PURCHASE_FREQUENCY,
    SEGMENT,
    SEGMENTS,
    SORT_FIELDS,
    format_instant,
)
from segcli.settings import Settings, SettingsError, parse_money

if TYPE_CHECKING:  # the stages import pandas, pyarrow and Rich: loaded when a command runs
    from segcli import pipeline, render, select

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
config_app = typer.Typer(
    help="Settings: thresholds and the RFM segment table.", no_args_is_help=True
)
app.add_typer(config_app, name="config")


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
    "InputFormat", [(name, name) for name in INPUT_FORMATS]
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
_sort_field = _choice("sort field", tuple(SORT_FIELDS))


def _as_of(value: str) -> int:
    from segcli import pipeline

    try:
        return pipeline.parse_as_of(value)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None


def _money(value: str) -> int:
    from segcli import pipeline

    cents = pipeline.parse_amount(value)
    if cents is None:
        raise typer.BadParameter(f"'{value}' is not an amount (e.g. 5000 or 1245.50)")
    return cents


def _threshold_money(value: str) -> int:
    try:
        return parse_money(value)
    except ValueError as exc:
        raise typer.BadParameter(f"{exc}; it must not be negative") from None


# --- options every command shares -----------------------------------------------------------

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
ListFormatOpt = Annotated[ListFormat, typer.Option("--format", "-f", help="Output format.")]

_READING = "Reading exports"
Preset = StrEnum(  # type: ignore[misc]  # built from the presets in exports.py
    "Preset", [(name, name) for name in PRESET_NAMES]
)
PresetOpt = Annotated[
    Preset | None,
    typer.Option(
        case_sensitive=False,
        help="Read a shop's own export (detected from the header when not given).",
        rich_help_panel=_READING,
    ),
]
ColumnOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--column",
        metavar="ROLE=HEADER",
        help="Read ROLE (orderReference, contactID, orderDate, total, name, email, company, "
        "phone, accountName, accountCode) from the column HEADER; repeatable.",
        rich_help_panel=_READING,
    ),
]
DateFormatOpt = Annotated[
    str | None,
    typer.Option(
        metavar="FORMAT",
        help="Read orderDate with this strftime format, e.g. '%d/%m/%Y %H:%M'.",
        rich_help_panel=_READING,
    ),
]
DayFirstOpt = Annotated[
    bool,
    typer.Option("--dayfirst", help="Read 03/04/2025 as 3 April.", rich_help_panel=_READING),
]
MonthFirstOpt = Annotated[
    bool,
    typer.Option("--monthfirst", help="Read 03/04/2025 as 4 March.", rich_help_panel=_READING),
]
TimezoneOpt = Annotated[
    str | None,
    typer.Option(
        metavar="ZONE",
        help="Time zone of order times without an offset, e.g. Pacific/Auckland. Default: UTC.",
        rich_help_panel=_READING,
    ),
]
DecimalOpt = Annotated[
    str,
    typer.Option(
        metavar="MARK",
        help="Decimal mark of amounts: '.' (1,245.50) or ',' (1 245,50).",
        rich_help_panel=_READING,
    ),
]
IncludeCancelledOpt = Annotated[
    bool,
    typer.Option(
        "--include-cancelled",
        help="Count orders a shop export marks cancelled, voided, refunded or failed.",
        rich_help_panel=_READING,
    ),
]
CustomersOpt = Annotated[
    Path | None,
    typer.Option(
        "--customers",
        metavar="PATH",
        help="Contacts file (CSV or Parquet: contactID or email, plus details); its customers "
        "with no orders are listed too.",
        rich_help_panel=_READING,
    ),
]

NoCacheOpt = Annotated[
    bool,
    typer.Option(
        "--no-cache",
        help="Neither use nor store the per-customer cache ($XDG_CACHE_HOME/segcli).",
        rich_help_panel=_READING,
    ),
]

_SETTINGS = "Settings (flag > config file > default)"
ConfigOpt = Annotated[
    Path | None,
    typer.Option(
        "--config",
        metavar="PATH",
        help="TOML settings file. Default: ./segcli.toml, else "
        "$XDG_CONFIG_HOME/segcli/config.toml.",
        rich_help_panel=_SETTINGS,
    ),
]
VipOpt = Annotated[
    int | None,
    typer.Option(
        "--vip-threshold",
        parser=_threshold_money,
        metavar="AMOUNT",
        help="VIP: totalSpend above this (default 5000.00)",
        rich_help_panel=_SETTINGS,
    ),
]


def _days(flag: str, text: str, default: int) -> Any:
    return typer.Option(
        flag, min=0, metavar="DAYS", help=f"{text} (default {default})", rich_help_panel=_SETTINGS
    )


DormantOpt = Annotated[
    int | None,
    _days("--dormant-days", "Dormant: last order more days ago", defaults.DEFAULT_DORMANT_DAYS),
]
NewOpt = Annotated[
    int | None,
    _days("--new-days", "New: first order at most this many days ago", defaults.DEFAULT_NEW_DAYS),
]
WeeklyOpt = Annotated[
    int | None,
    _days("--weekly-days", "Weekly: average gap at most this", defaults.DEFAULT_WEEKLY_DAYS),
]
MonthlyOpt = Annotated[
    int | None,
    _days("--monthly-days", "Monthly: average gap at most this", defaults.DEFAULT_MONTHLY_DAYS),
]
QuarterlyOpt = Annotated[
    int | None,
    _days(
        "--quarterly-days", "Quarterly: average gap at most this", defaults.DEFAULT_QUARTERLY_DAYS
    ),
]


def _settings(
    config_file: ConfigOpt = None,
    vip_threshold: VipOpt = None,
    dormant_days: DormantOpt = None,
    new_days: NewOpt = None,
    weekly_days: WeeklyOpt = None,
    monthly_days: MonthlyOpt = None,
    quarterly_days: QuarterlyOpt = None,
) -> config.Resolved:
    """Settings from the flags, the config file and the defaults; a bad one is a usage error."""
    flags = {
        "vip-threshold": vip_threshold,
        "dormant-days": dormant_days,
        "new-days": new_days,
        "weekly-days": weekly_days,
        "monthly-days": monthly_days,
        "quarterly-days": quarterly_days,
    }
    try:
        return config.resolve(flags, config_file)
    except config.ConfigError as exc:
        hint = f"'{exc.key}' in {exc.path}" if exc.key else f"'--config' ({exc.path})"
        raise typer.BadParameter(exc.message, param_hint=hint) from None
    except SettingsError as exc:
        raise typer.BadParameter(exc.message, param_hint=f"'--{exc.key}'") from None


@dataclass(frozen=True)
class Options:
    """The options every command takes, with the settings resolved."""

    orders: list[Path] | None
    as_of: int | None
    input_format: InputFormat | None
    encoding: str
    strict: bool
    quiet: bool
    pretty: bool
    resolved: config.Resolved
    export_options: ExportOptions
    parse_options: ParseOptions
    customers_path: Path | None
    use_cache: bool

    @property
    def settings(self) -> Settings:
        return self.resolved.settings

    def load(
        self,
        out: render.Output,
        details: Collection[str] = DETAIL_COLUMNS,
        *,
        need_orders: bool = False,
    ) -> pipeline.Loaded:
        """Load the orders (or their cached aggregate, unless `need_orders`), and print the
        notices."""
        from segcli import cache, pipeline

        with out.progress() as progress:
            loaded = pipeline.load_orders(
                [str(p) for p in self.orders or ()],
                input_format=self.input_format.value if self.input_format else None,
                encoding=self.encoding,
                strict=self.strict,
                export_options=self.export_options,
                parse_options=self.parse_options,
                customers_path=self.customers_path,
                progress=progress,
                details=details,
                cache_root=cache.directory() if self.use_cache and not need_orders else None,
                as_of_ms=self.as_of,
            )
        for notice in loaded.notices:
            out.notice(notice)
        return loaded

    def at(self, out: render.Output, loaded: pipeline.Loaded, as_of: int | None) -> pipeline.Result:
        from segcli import pipeline

        result = pipeline.classify_at(loaded, as_of, self.settings)
        for notice in result.notices:
            out.notice(notice)
        return result

    def customers(
        self, out: render.Output, details: Collection[str] = DETAIL_COLUMNS
    ) -> pipeline.Result:
        """Classified customers, reading only the detail columns the command shows."""
        return self.at(out, self.load(out, details), self.as_of)


def _shared_options(
    orders: OrdersOpt = None,
    as_of: AsOfOpt = None,
    input_format: InputFormatOpt = None,
    encoding: EncodingOpt = DEFAULT_ENCODING,
    strict: StrictOpt = False,
    quiet: QuietOpt = False,
    pretty: PrettyOpt = False,
    preset: PresetOpt = None,
    column: ColumnOpt = None,
    date_format: DateFormatOpt = None,
    dayfirst: DayFirstOpt = False,
    monthfirst: MonthFirstOpt = False,
    timezone: TimezoneOpt = None,
    decimal: DecimalOpt = ".",
    include_cancelled: IncludeCancelledOpt = False,
    customers: CustomersOpt = None,
    no_cache: NoCacheOpt = False,
    config_file: ConfigOpt = None,
    vip_threshold: VipOpt = None,
    dormant_days: DormantOpt = None,
    new_days: NewOpt = None,
    weekly_days: WeeklyOpt = None,
    monthly_days: MonthlyOpt = None,
    quarterly_days: QuarterlyOpt = None,
) -> Options:
    resolved = _settings(
        config_file,
        vip_threshold,
        dormant_days,
        new_days,
        weekly_days,
        monthly_days,
        quarterly_days,
    )
    if dayfirst and monthfirst:
        raise typer.BadParameter(
            "choose one of --dayfirst and --monthfirst", param_hint="'--dayfirst'"
        )
    if decimal not in DECIMAL_MARKS:
        raise typer.BadParameter(
            f"'{decimal}' is not a decimal mark; choose . or ,", param_hint="'--decimal'"
        )
    export_options = ExportOptions(
        preset=preset.value if preset else None,
        columns=_column_mapping(column or []),
        include_cancelled=include_cancelled,
    )
    parse_options = ParseOptions(
        date_format=_date_format(date_format),
        date_order=DAY_FIRST if dayfirst else MONTH_FIRST if monthfirst else None,
        timezone=_timezone(timezone),
        decimal=decimal,
    )
    return Options(
        orders,
        as_of,
        input_format,
        encoding,
        strict,
        quiet,
        pretty,
        resolved,
        export_options,
        parse_options,
        customers,
        not no_cache,
    )


def _column_mapping(pairs: list[str]) -> dict[str, str]:
    """`--column orderDate="Invoice Date"` (repeatable) -> {canonical role: header}."""
    roles = {role.casefold(): role for role in MAPPABLE}
    mapping: dict[str, str] = {}
    for pair in pairs:
        role, sep, header = pair.partition("=")
        canonical = roles.get(role.strip().casefold())
        if not sep or not header.strip() or canonical is None:
            raise typer.BadParameter(
                f"'{pair}' is not ROLE=HEADER with ROLE one of {', '.join(MAPPABLE)}",
                param_hint="'--column'",
            )
        mapping[canonical] = header.strip()
    return mapping


def _date_format(text: str | None) -> str | None:
    if text is not None and "%" not in text:
        raise typer.BadParameter(
            f"'{text}' has no % directives (e.g. '%d/%m/%Y %H:%M')", param_hint="'--date-format'"
        )
    return text


def _timezone(name: str | None) -> str | None:
    if name is None:
        return None
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise typer.BadParameter(
            f"'{name}' is not a time zone name (e.g. Pacific/Auckland, Europe/Berlin, UTC)",
            param_hint="'--timezone'",
        ) from None
    return name


def _with(factory: Callable[..., Any], name: str) -> Callable[[Callable[..., Any]], Any]:
    """Give a command `factory`'s parameters as options, and pass it `name=factory(...)`.

    Typer reads options from a command's signature; this writes the shared ones into it once,
    instead of repeating fourteen parameters in every command.
    """

    def decorate(command: Callable[..., Any]) -> Callable[..., Any]:
        own_hints = typing.get_type_hints(command, include_extras=True)
        shared_hints = typing.get_type_hints(factory, include_extras=True)
        own = [
            p.replace(annotation=own_hints[p.name])
            for p in inspect.signature(command).parameters.values()
            if p.name != name
        ]
        shared = [
            p.replace(annotation=shared_hints[p.name], kind=inspect.Parameter.KEYWORD_ONLY)
            for p in inspect.signature(factory).parameters.values()
        ]

        @functools.wraps(command)
        def wrapper(**kwargs: Any) -> Any:
            values = {p.name: kwargs.pop(p.name) for p in shared}
            return command(**kwargs, **{name: factory(**values)})

        parameters = [p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in own] + shared
        del wrapper.__wrapped__  # Typer must read the signature below, not the command's
        wrapper.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
        wrapper.__annotations__ = {p.name: p.annotation for p in parameters}
        return wrapper

    return decorate


shared_options = _with(_shared_options, "options")
settings_options = _with(_settings, "resolved")


# --- the error boundary ---------------------------------------------------------------------


def _run(options: Options, output_format: str, work: Callable[[render.Output], None]) -> None:
    """Run a command's body inside the error boundary."""
    from segcli import render

    out = render.Output(quiet=options.quiet)
    try:
        work(out)
    except SegcliError as err:
        _fail(out, output_format, err.code, err.message, err.exit_code)
    except (typer.Exit, typer.BadParameter):
        raise  # an exit, or a usage error found only after loading: Click reports it
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
        _fail(out, output_format, "INTERNAL", message, 1)


def _fail(out: render.Output, output_format: str, code: str, message: str, exit_code: int) -> None:
    from segcli import render

    out.error(message)
    if output_format == Format.json.value:
        out.text(render.error_json(code, message))
    raise typer.Exit(exit_code)


def _print_list(
    out: render.Output,
    options: Options,
    result: pipeline.Result,
    customers: Any,
    output_format: ListFormat,
    *,
    filters: select.Filters | None = None,
    sort: str = DEFAULT_SORT,
    descending: bool = True,
    limit: int | None = None,
    offset: int = 0,
) -> None:
    """Select a page of `customers` and print it in one of the list formats."""
    from segcli import render, select

    shown = limit
    if output_format is ListFormat.table and limit is None:
        shown = DEFAULT_TABLE_ROWS
    page, total = select.select(
        customers,
        filters or select.Filters(),
        sort=sort,
        descending=descending,
        limit=shown,
        offset=offset,
    )
    if output_format is ListFormat.table:
        out.show(render.list_table(page, total, offset, width=out.width))
    elif output_format is ListFormat.json and not options.pretty:
        out.write(
            render.list_json_bytes(page, total, as_of_ms=result.as_of_ms, settings=options.settings)
        )
    elif output_format is ListFormat.json:
        text = render.list_json(
            page, total, as_of_ms=result.as_of_ms, settings=options.settings, pretty=True
        )
        out.text(text)
    elif output_format is ListFormat.ndjson:
        out.write(render.list_ndjson_bytes(page))
    else:
        out.text(render.list_csv(page))


def _version(value: bool) -> None:
    if value:
        typer.echo(f"segcli {__version__}")
        raise typer.Exit()


# --- commands -------------------------------------------------------------------------------


@app.callback()
def main_options(
    version: Annotated[
        bool | None,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = None,
) -> None:
    """segcli turns an order export into per-customer metrics and lifecycle segments."""


@app.command("list")
@shared_options
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
    rfm_scores: Annotated[
        bool, typer.Option("--rfm", help="Add RFM scores and segment to each customer.")
    ] = False,
    rfm_segment: Annotated[
        list[str] | None,
        typer.Option(
            metavar="RFM_SEGMENT",
            help="Only this RFM segment (repeat for several; implies --rfm).",
        ),
    ] = None,
    sort: Annotated[
        str,
        typer.Option(
            parser=_sort_field,
            metavar="FIELD",
            help=f"Sort by one of {', '.join(SORT_FIELDS)}; ties by contactID.",
        ),
    ] = DEFAULT_SORT,
    descending: Annotated[bool, typer.Option("--desc/--asc", help="Sort direction.")] = True,
    limit: Annotated[
        int | None,
        typer.Option(min=0, help=f"At most N customers (table default {DEFAULT_TABLE_ROWS})."),
    ] = None,
    offset: Annotated[int, typer.Option(min=0, help="Skip the first N matches.")] = 0,
    output_format: ListFormatOpt = ListFormat.table,
    options: Options = None,  # type: ignore[assignment]  # given by @shared_options
) -> None:
    """List customers, filtered and sorted."""
    from segcli import rfm, select

    labels = options.settings.rfm_labels()
    rfm_segments = tuple(_choice("RFM segment", labels)(s) for s in rfm_segment or ())
    filters = select.Filters(
        segments=tuple(segment or ()),
        frequencies=tuple(frequency or ()),
        min_days=min_days,
        max_days=max_days,
        min_spend_cents=min_spend,
        max_spend_cents=max_spend,
        rfm_segments=rfm_segments,
    )

    def work(out: render.Output) -> None:
        result = options.customers(out, LIST_DETAILS)
        customers = result.customers
        if rfm_scores or rfm_segments:
            customers = rfm.score(customers, options.settings)
        _print_list(
            out,
            options,
            result,
            customers,
            output_format,
            filters=filters,
            sort=sort,
            descending=descending,
            limit=limit,
            offset=offset,
        )

    _run(options, output_format.value, work)


@app.command()
@shared_options
def show(
    contact_id: Annotated[str, typer.Argument(metavar="CONTACT_ID", help="The customer's id.")],
    output_format: FormatOpt = Format.table,
    options: Options = None,  # type: ignore[assignment]  # given by @shared_options
) -> None:
    """Show one customer, with phone and account fields."""
    from segcli import render, select

    def work(out: render.Output) -> None:
        result = options.customers(out)
        customer = select.find(result.customers, contact_id)
        if output_format is Format.json:
            text = render.show_json(
                customer, as_of_ms=result.as_of_ms, settings=options.settings, pretty=options.pretty
            )
            out.text(text)
        else:
            out.show(render.show_table(customer))

    _run(options, output_format.value, work)


@app.command()
@shared_options
def breakdown(
    by: Annotated[
        list[By] | None,
        typer.Option(help="Break down by segment or frequency (default: both)."),
    ] = None,
    cross: Annotated[
        bool, typer.Option("--cross", help="Count segment x purchase frequency instead.")
    ] = False,
    output_format: FormatOpt = Format.table,
    options: Options = None,  # type: ignore[assignment]  # given by @shared_options
) -> None:
    """Count, share, total and average spend per segment and per purchase frequency."""
    from segcli import render, summary

    wanted = [b.value for b in By if b in (by or list(By))]

    def work(out: render.Output) -> None:
        result = options.customers(out, details=())
        customers = result.customers
        total = len(customers)
        if cross:
            table = summary.crosstab(
                customers[SEGMENT], customers[PURCHASE_FREQUENCY], SEGMENTS, FREQUENCIES
            )
            if output_format is Format.json:
                out.text(
                    render.matrix_json(
                        table,
                        {"total": total},
                        key="segmentByFrequency",
                        as_of_ms=result.as_of_ms,
                        settings=options.settings,
                        pretty=options.pretty,
                    )
                )
            else:
                title = f"Segment × purchase frequency — {total:,} customers as of " + (
                    format_instant(result.as_of_ms)
                )
                out.show(render.matrix_table(table, title, "Segment"))
            return
        tables = {b: summary.breakdown(customers, b) for b in wanted}
        if output_format is Format.json:
            text = render.breakdown_json(
                tables, total, result.as_of_ms, settings=options.settings, pretty=options.pretty
            )
            out.text(text)
        else:
            out.show(render.breakdown_tables(tables, total, result.as_of_ms))

    _run(options, output_format.value, work)


@app.command("rfm")
@shared_options
def rfm_command(
    output_format: FormatOpt = Format.table,
    options: Options = None,  # type: ignore[assignment]  # given by @shared_options
) -> None:
    """Customers per RFM segment: recency, frequency and monetary scored 1-5."""
    from segcli import render, rfm, summary

    def work(out: render.Output) -> None:
        result = options.customers(out, details=())
        scored = rfm.score(result.customers, options.settings)
        labels = options.settings.rfm_labels()
        tables = {"rfm": summary.counts_by(scored, "rfmSegment", labels, name="rfm")}
        total = len(scored)
        if output_format is Format.json:
            text = render.breakdown_json(
                tables, total, result.as_of_ms, settings=options.settings, pretty=options.pretty
            )
            out.text(text)
        else:
            out.show(render.breakdown_tables(tables, total, result.as_of_ms))

    _run(options, output_format.value, work)


def _movement(value: str) -> tuple[str, str]:
    """`--list FROM:TO` -> (from segment or (none), to segment)."""
    source, sep, target = value.partition(":")
    if not sep:
        raise typer.BadParameter(
            f"'{value}' is not FROM:TO (e.g. VIP:Dormant)", param_hint="'--list'"
        )
    try:
        return _from_segment(source.strip()), _segment(target.strip())
    except typer.BadParameter as exc:
        raise typer.BadParameter(exc.message, param_hint="'--list'") from None


_from_segment = _choice("segment", (*SEGMENTS, NOT_YET))


@app.command("transitions")
@shared_options
def transitions_command(
    since: Annotated[
        int,
        typer.Option("--from", parser=_as_of, metavar="DATE", help="The earlier instant."),
    ],
    until: Annotated[
        int | None,
        typer.Option(
            "--to",
            parser=_as_of,
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
    limit: Annotated[int | None, typer.Option(min=0, help="With --list: at most N.")] = None,
    output_format: ListFormatOpt = ListFormat.table,
    options: Options = None,  # type: ignore[assignment]  # given by @shared_options
) -> None:
    """How customers moved between segments from one date to another."""
    from segcli import pipeline, render, transitions

    pair = _movement(movement) if movement is not None else None
    if pair is None and output_format in (ListFormat.ndjson, ListFormat.csv):
        raise typer.BadParameter(
            f"{output_format.value} is a list format; use it with --list FROM:TO",
            param_hint="'--format'",
        )

    def work(out: render.Output) -> None:
        details = LIST_DETAILS if pair is not None else ()
        loaded = options.load(out, details, need_orders=True)  # one load; both cut from it
        after = options.at(out, loaded, until if until is not None else options.as_of)
        if since > after.as_of_ms:
            raise typer.BadParameter(
                f"{format_instant(since)} is after --to {format_instant(after.as_of_ms)}",
                param_hint="'--from'",
            )
        before = pipeline.classify_at(loaded, since, options.settings)
        if pair is not None:
            chosen = transitions.moved(before.customers, after.customers, *pair)
            _print_list(out, options, after, chosen, output_format, limit=limit)
            return
        table = transitions.matrix(before.customers, after.customers)
        moves = transitions.movements(table)
        since_text, until_text = (format_instant(t) for t in (since, after.as_of_ms))
        if output_format is ListFormat.json:
            text = render.matrix_json(
                table,
                {"total": len(after.customers)},
                key="matrix",
                fields={"from": since_text, "to": until_text},
                settings=options.settings,
                pretty=options.pretty,
            )
            out.text(text)
        else:
            title = f"Segment at {since_text} (rows) → at {until_text} (columns)"
            out.show(render.matrix_table(table, title, "From \\ To", diagonal=True))
            out.show(render.movements_table(moves, "Biggest movements"))

    _run(options, output_format.value, work)


@config_app.command("show")
@settings_options
def config_show(
    output_format: FormatOpt = Format.table,
    pretty: PrettyOpt = False,
    resolved: config.Resolved = None,  # type: ignore[assignment]  # given by @settings_options
) -> None:
    """Show the settings in effect, where each comes from, and the RFM segment table."""
    from segcli import render

    path = str(resolved.path) if resolved.path else None
    out = render.Output()
    if output_format is Format.json:
        out.text(render.config_json(resolved.settings, resolved.origins, path, pretty=pretty))
    else:
        out.show(render.config_tables(resolved.settings, resolved.origins, path))


cache_app = typer.Typer(help="The per-customer cache that makes repeat queries fast.")
app.add_typer(cache_app, name="cache", no_args_is_help=True)


@cache_app.command("info")
def cache_info(output_format: FormatOpt = Format.table, pretty: PrettyOpt = False) -> None:
    """Where the cache is, and what it holds."""
    from segcli import cache, render

    root = cache.directory()
    stored = cache.entries(root)
    out = render.Output()
    if output_format is Format.json:
        out.text(render.cache_json(str(root), stored, pretty=pretty))
    else:
        out.show(render.cache_table(str(root), stored))


@cache_app.command("clear")
def cache_clear(quiet: QuietOpt = False) -> None:
    """Remove every cache entry."""
    from segcli import cache, render

    root = cache.directory()
    removed = cache.clear(root)
    render.Output(quiet=quiet).notice(
        f"removed {removed} cache entr{'y' if removed == 1 else 'ies'} from {root}"
    )


def main() -> None:
    app()
