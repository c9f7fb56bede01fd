"""The options commands share, as Typer declares them, and the values they become: `Options`
(an `api.Inputs`, the as-of, the output switches and the resolved settings). Parsers here turn
a bad value into a usage error (exit 2) that names the flag."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from segcli import api
from segcli.cli import completion
from segcli.cli.output_options import (
    BomOpt,
    CsvOpt,
    GuardOpt,
    HeadersOpt,
    JsonOpt,
    LinesOpt,
    PrettyOpt,
    QuietOpt,
    TsvOpt,
    VerboseOpt,
    shortcut_format,
)
from segcli.cli.parsers import (
    column_mapping,
    date_format_or_none,
    enum_choice,
    order_paths,
    parse_as_of,
    parse_delimiter,
    parse_encoding,
    timezone_or_none,
)
from segcli.cli.printing import Format
from segcli.cli.settings_options import (
    ConfigOpt,
    DormantOpt,
    MonthlyOpt,
    NewOpt,
    QuarterlyOpt,
    RfmScaleOpt,
    VipOpt,
    WeeklyOpt,
    settings_from_flags,
)
from segcli.model.options import (
    DAY_FIRST,
    DECIMAL_MARKS,
    DEFAULT_ENCODING,
    INPUT_FORMATS,
    LINE_TOTALS,
    MONTH_FIRST,
    ExportOptions,
    ParseOptions,
)
from segcli.model.settings import Settings
from segcli.model.timings import NO_TIMINGS, Timings
from segcli.output.dialect import CSV, Dialect


class By(StrEnum):
    segment = "segment"
    frequency = "frequency"


InputFormat = StrEnum(  # type: ignore[misc]  # built from the one list in model/options.py
    "InputFormat", [(name, name) for name in INPUT_FORMATS]
)


# --- options every command shares -----------------------------------------------------------

OrdersOpt = Annotated[
    list[Path] | None,
    typer.Option(
        "--orders",
        "-o",
        metavar="PATH",
        help="Orders file, folder or glob (.csv, .csv.gz, .parquet, or - for CSV on stdin); "
        "repeat to combine. Default: CSV piped to stdin, else $SEGCLI_ORDERS (paths separated "
        "by :), else the bundled sample.",
    ),
]
AsOfOpt = Annotated[
    int | None,
    typer.Option(
        parser=parse_as_of,
        help="Measure ages from this ISO date (its end, UTC) or datetime. Default: now.",
        metavar="DATE",
    ),
]
InputFormatOpt = Annotated[
    InputFormat | None,
    typer.Option(
        parser=enum_choice("input format", InputFormat),
        metavar="|".join(InputFormat),
        help="Read the orders as this format, whatever their extension.",
    ),
]

EncodingOpt = Annotated[
    str, typer.Option(parser=parse_encoding, metavar="ENCODING", help="Text encoding of CSV input.")
]
StrictOpt = Annotated[
    bool, typer.Option("--strict", metavar="", help="Fail (exit 1) if any row is skipped.")
]

_READING = "Reading exports"
Preset = StrEnum(  # type: ignore[misc]  # built from the presets table (input/presets.py)
    "Preset", [(name, name) for name in api.PRESET_NAMES]
)
PresetOpt = Annotated[
    Preset | None,
    typer.Option(
        parser=enum_choice("preset", Preset),
        autocompletion=completion.presets,
        metavar="|".join(Preset),
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
    typer.Option(
        "--dayfirst", metavar="", help="Read 03/04/2025 as 3 April.", rich_help_panel=_READING
    ),
]
MonthFirstOpt = Annotated[
    bool,
    typer.Option(
        "--monthfirst", metavar="", help="Read 03/04/2025 as 4 March.", rich_help_panel=_READING
    ),
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
LineTotals = StrEnum("LineTotals", [(name, name) for name in LINE_TOTALS])  # type: ignore[misc]
LineTotalsOpt = Annotated[
    LineTotals | None,
    typer.Option(
        parser=enum_choice("line-totals", LineTotals),
        metavar="|".join(LineTotals),
        help=(
            "Rows sharing an order reference are one order's lines: sum their totals, or count "
            "the repeated order total once (decided from the file when not given)."
        ),
        rich_help_panel=_READING,
    ),
]
CurrencyOpt = Annotated[
    str | None,
    typer.Option(
        metavar="CODE",
        help="Keep the orders in this currency when an export mixes several (never summed).",
        rich_help_panel=_READING,
    ),
]
IncludeCancelledOpt = Annotated[
    bool,
    typer.Option(
        "--include-cancelled",
        metavar="",
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

DelimiterOpt = Annotated[
    str | None,
    typer.Option(
        "--delimiter",
        "-d",
        parser=parse_delimiter,
        metavar="CHAR",
        help="CSV field separator (default: a tab for .tsv/.tab, else what the header uses: "
        "',', ';' or tab).",
        rich_help_panel=_READING,
    ),
]
TabsOpt = Annotated[
    bool,
    typer.Option(
        "--tabs",
        "-t",
        metavar="",
        help="CSV fields are separated by tabs.",
        rich_help_panel=_READING,
    ),
]
RejectsOpt = Annotated[
    Path | None,
    typer.Option(
        "--rejects",
        metavar="FILE",
        help="Write every skipped row to FILE as CSV: source, line or row, reason, column, and "
        "the row's values (written under --strict too).",
        rich_help_panel=_READING,
    ),
]
NoCacheOpt = Annotated[
    bool,
    typer.Option(
        "--no-cache",
        metavar="",
        help="Neither use nor store the per-customer cache ($XDG_CACHE_HOME/segcli).",
        rich_help_panel=_READING,
    ),
]


@dataclass(frozen=True)
class Options:
    """The options every command takes: where the orders come from, the as-of, the output
    switches, and the settings resolved from flags, config file and defaults."""

    inputs: api.Inputs
    as_of: int | None
    quiet: bool
    pretty: bool
    resolved: api.Resolved
    shortcut: Format | None = None  # --json, --nl, --csv or --tsv
    dialect: Dialect = CSV
    timings: Timings = NO_TIMINGS  # --verbose: filled as the stages run

    @property
    def settings(self) -> Settings:
        return self.resolved.settings

    def chosen(self, given: Format) -> Format:
        """The output format: a shortcut flag's, else --format's."""
        return self.shortcut or given


def shared_options_from_flags(
    orders: OrdersOpt = None,
    as_of: AsOfOpt = None,
    input_format: InputFormatOpt = None,
    encoding: EncodingOpt = DEFAULT_ENCODING,
    delimiter: DelimiterOpt = None,
    tabs: TabsOpt = False,
    strict: StrictOpt = False,
    quiet: QuietOpt = False,
    verbose: VerboseOpt = False,
    pretty: PrettyOpt = False,
    as_json: JsonOpt = False,
    as_lines: LinesOpt = False,
    as_csv: CsvOpt = False,
    as_tsv: TsvOpt = False,
    headers: HeadersOpt = True,
    bom: BomOpt = False,
    formula_guard: GuardOpt = True,
    preset: PresetOpt = None,
    column: ColumnOpt = None,
    date_format: DateFormatOpt = None,
    dayfirst: DayFirstOpt = False,
    monthfirst: MonthFirstOpt = False,
    timezone: TimezoneOpt = None,
    decimal: DecimalOpt = ".",
    include_cancelled: IncludeCancelledOpt = False,
    line_totals: LineTotalsOpt = None,
    currency: CurrencyOpt = None,
    customers: CustomersOpt = None,
    rejects: RejectsOpt = None,
    no_cache: NoCacheOpt = False,
    config_file: ConfigOpt = None,
    vip_threshold: VipOpt = None,
    dormant_days: DormantOpt = None,
    new_days: NewOpt = None,
    weekly_days: WeeklyOpt = None,
    monthly_days: MonthlyOpt = None,
    quarterly_days: QuarterlyOpt = None,
    rfm_scale: RfmScaleOpt = None,
) -> Options:
    resolved = settings_from_flags(
        config_file,
        vip_threshold,
        dormant_days,
        new_days,
        weekly_days,
        monthly_days,
        quarterly_days,
        rfm_scale,
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
        columns=column_mapping(column or []),
        include_cancelled=include_cancelled,
        line_totals=line_totals.value if line_totals else None,
        currency=currency.strip().upper() if currency and currency.strip() else None,
    )
    parse_options = ParseOptions(
        date_format=date_format_or_none(date_format),
        date_order=DAY_FIRST if dayfirst else MONTH_FIRST if monthfirst else None,
        timezone=timezone_or_none(timezone),
        decimal=decimal,
    )
    if tabs and delimiter not in (None, "\t"):
        raise typer.BadParameter("choose one of --tabs and --delimiter", param_hint="'--tabs'")
    inputs = api.Inputs(
        paths=order_paths(orders),
        delimiter="\t" if tabs else delimiter,
        input_format=input_format.value if input_format else None,
        encoding=encoding,
        strict=strict,
        export=export_options,
        parse=parse_options,
        contacts=str(customers) if customers is not None else None,
        cache=not no_cache,
        rejects=str(rejects) if rejects is not None else None,
        cache_limits=resolved.cache_limits,
    )
    return Options(
        inputs=inputs,
        as_of=as_of,
        quiet=quiet,
        pretty=pretty,
        resolved=resolved,
        shortcut=shortcut_format(as_json, as_lines, as_csv, as_tsv),
        dialect=Dialect(headers=headers, bom=bom, guard=formula_guard),
        timings=Timings() if verbose else NO_TIMINGS,
    )
