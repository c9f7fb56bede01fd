"""Output options every command takes: the format (and its shortcuts), quiet, pretty JSON, and
how CSV is written."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from segcli.cli import completion
from segcli.cli.parsers import enum_choice
from segcli.cli.printing import Format, ListFormat
from segcli.model.schema import DETAIL_COLUMNS, LIST_DETAILS, RFM_COLUMNS
from segcli.output.fields import RECORD_FIELDS

QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", metavar="", help="No notices on stderr.")]

VerboseOpt = Annotated[
    bool,
    typer.Option(
        "--verbose",
        "-v",
        metavar="",
        help="Show on stderr how long each stage took (import, read, parse, aggregate, "
        "classify, select, render).",
    ),
]

PrettyOpt = Annotated[bool, typer.Option("--pretty", metavar="", help="Indent JSON output.")]

_OUTPUT = "Output"

SHORTCUTS = {"--json": Format.json, "--nl": Format.ndjson, "--csv": Format.csv, "--tsv": Format.tsv}


def _shortcut(flag: str) -> Any:
    return typer.Option(
        flag, metavar="", help=f"Same as --format {SHORTCUTS[flag]}.", rich_help_panel=_OUTPUT
    )


JsonOpt = Annotated[bool, _shortcut("--json")]

LinesOpt = Annotated[bool, _shortcut("--nl")]

CsvOpt = Annotated[bool, _shortcut("--csv")]

TsvOpt = Annotated[bool, _shortcut("--tsv")]

HeadersOpt = Annotated[
    bool,
    typer.Option(
        "--headers/--no-headers", metavar="", help="CSV/TSV: a header row.", rich_help_panel=_OUTPUT
    ),
]

BomOpt = Annotated[
    bool,
    typer.Option(
        "--bom",
        "--excel",
        metavar="",
        help="CSV/TSV: start with a UTF-8 BOM, so that Excel shows 'Bäckerei' as written.",
        rich_help_panel=_OUTPUT,
    ),
]

GuardOpt = Annotated[
    bool,
    typer.Option(
        "--formula-guard/--no-formula-guard",
        metavar="",
        help="CSV/TSV: prefix with ' the cells a spreadsheet would run as a formula.",
        rich_help_panel=_OUTPUT,
    ),
]

FormatOpt = Annotated[
    Format,
    typer.Option(
        "--format",
        "-f",
        parser=enum_choice("format", Format),
        autocompletion=completion.formats,
        metavar="|".join(Format),
        help="Output format (any case).",
    ),
]

ListFormatOpt = Annotated[
    ListFormat,
    typer.Option(
        "--format",
        "-f",
        parser=enum_choice("format", ListFormat),
        autocompletion=completion.formats,
        metavar="|".join(ListFormat),
        help="Output format (any case).",
    ),
]


def shortcut_format(as_json: bool, as_lines: bool, as_csv: bool, as_tsv: bool) -> Format | None:
    chosen = [
        fmt
        for fmt, on in zip(SHORTCUTS.values(), (as_json, as_lines, as_csv, as_tsv), strict=True)
        if on
    ]
    if len(chosen) > 1:
        raise typer.BadParameter(f"choose one of {', '.join(SHORTCUTS)}")
    return chosen[0] if chosen else None


ColumnsOpt = Annotated[
    str | None,
    typer.Option(
        "--columns",
        "-c",
        metavar="FIELD,...",
        help=f"Table, CSV, TSV or markdown: these fields, in this order ({', '.join(RECORD_FIELDS)}"
        f"; {', '.join(RFM_COLUMNS)} imply --rfm). Not with JSON.",
        rich_help_panel=_OUTPUT,
    ),
]

NOT_WITH_COLUMNS = frozenset({Format.json, Format.ndjson})  # JSON keeps the API's shape


def parse_columns(text: str | None, valid: tuple[str, ...], fmt: Format) -> tuple[str, ...]:
    """`--columns a,b,c` -> the fields, spelt as the record spells them (any case); an unknown
    name, a repeated one, or JSON output is a usage error (exit 2)."""
    if text is None:
        return ()
    if fmt in NOT_WITH_COLUMNS:
        raise typer.BadParameter(
            f"picks the columns of a table, CSV, TSV or markdown; {fmt} keeps the API's fields "
            "(use jq to pick them)",
            param_hint="'--columns'",
        )
    lookup = {name.casefold(): name for name in valid}
    names = [name.strip() for name in text.split(",")]
    unknown = [name for name in names if name.casefold() not in lookup]
    if unknown or not any(names):
        raise typer.BadParameter(
            f"'{', '.join(unknown) or text}' is not a field; choose from {', '.join(valid)}",
            param_hint="'--columns'",
        )
    fields = tuple(lookup[name.casefold()] for name in names)
    if len(set(fields)) < len(fields):
        raise typer.BadParameter(f"'{text}' names a field twice", param_hint="'--columns'")
    return fields


def details_for(fields: tuple[str, ...]) -> tuple[str, ...]:
    """The details a list reads: those it shows by default, and any other `--columns` names."""
    return (*LIST_DETAILS, *(f for f in DETAIL_COLUMNS if f in fields and f not in LIST_DETAILS))
