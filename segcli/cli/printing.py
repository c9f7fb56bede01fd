"""Results -> the renderer for the format asked for -> stdout. Each dispatch is exhaustive over
its format enum (`assert_never`): a new format that no branch prints fails type checking and
the test that renders every format, rather than falling through to another format's output."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from enum import StrEnum
from typing import TYPE_CHECKING, assert_never

from segcli.model.schema import format_instant
from segcli.output.console import Output
from segcli.output.dialect import CSV, Dialect

if TYPE_CHECKING:
    from segcli.api import Breakdown, Customer, CustomerList, History, Matrix, Prediction


class Format(StrEnum):
    """What every command can print: a table for people, the API's JSON, or its records as JSON
    lines, CSV, TSV or a markdown pipe table."""

    table = "table"
    json = "json"
    ndjson = "ndjson"
    csv = "csv"
    tsv = "tsv"
    markdown = "markdown"


ListFormat = Format  # the formats of a command that prints customers: the same

WIDTH_HINT = "widen the terminal or pick them with --columns"


def dialect_for(fmt: Format, dialect: Dialect) -> Dialect:
    return replace(dialect, separator="\t") if fmt is Format.tsv else dialect


def _records(out: Output, records: list[dict], fmt: Format, dialect: Dialect) -> None:
    """A few records (categories, cells, one customer) as JSON lines, CSV, TSV or markdown."""
    import json

    from segcli.output.csv import records_csv
    from segcli.output.markdown import records_markdown

    if fmt is Format.ndjson:
        lines = [json.dumps(r, ensure_ascii=False, separators=(",", ":")) + "\n" for r in records]
        out.text("".join(lines))
    elif fmt is Format.markdown:
        out.text(records_markdown(records))
    else:
        out.text(records_csv(records, dialect_for(fmt, dialect)))


def print_list(
    out: Output,
    result: CustomerList,
    fmt: ListFormat,
    *,
    pretty: bool,
    dialect: Dialect = CSV,
    fields: Sequence[str] = (),
) -> None:
    """Customers in `fmt`; `fields` picks and orders the columns of a table, CSV, TSV or
    markdown (JSON keeps the API's shape)."""
    from segcli.output import csv, json, markdown, tables

    page = result.frame
    match fmt:
        case ListFormat.table:
            table = tables.list_table(
                page,
                result.total,
                result.offset,
                width=out.width,
                fields=fields,
                hint=WIDTH_HINT,
                currency=result.meta.get("currency"),
            )
            out.show(table)
        case ListFormat.json if pretty:
            out.text(result.json_text(pretty=True))
        case ListFormat.json:
            out.write(result.json_parts())
        case ListFormat.ndjson:
            out.write(json.list_ndjson_bytes(page))
        case ListFormat.csv | ListFormat.tsv:
            out.text(csv.list_csv(page, dialect_for(fmt, dialect), fields=fields))
        case ListFormat.markdown:
            out.text(markdown.list_markdown(page, fields=fields))
        case _:
            assert_never(fmt)


def print_customer(
    out: Output, result: Customer, fmt: Format, *, pretty: bool, dialect: Dialect = CSV
) -> None:
    from segcli.output import csv, markdown, tables
    from segcli.output.values import SHOW_KEYS

    match fmt:
        case Format.table:
            out.show(tables.show_table(result.frame, width=out.width))
        case Format.json:
            out.text(result.json_text(pretty=pretty))
        case Format.ndjson:
            _records(out, result.records(), fmt, dialect)
        case Format.csv | Format.tsv:
            out.text(csv.list_csv(result.frame, dialect_for(fmt, dialect), SHOW_KEYS))
        case Format.markdown:
            out.text(markdown.list_markdown(result.frame, SHOW_KEYS))
        case _:
            assert_never(fmt)


def print_history(
    out: Output, result: History, fmt: Format, *, pretty: bool, dialect: Dialect = CSV
) -> None:
    """One customer's periods: a timeline table, the JSON document, or one record per period."""
    match fmt:
        case Format.table:
            from segcli.output import timeline

            out.show(
                timeline.history_table(
                    result.customer, result.frame, result.as_of_ms, width=out.width
                )
            )
        case Format.json:
            out.text(result.json_text(pretty=pretty))
        case Format.ndjson | Format.csv | Format.tsv | Format.markdown:
            _records(out, result.records(), fmt, dialect)
        case _:
            assert_never(fmt)


def print_breakdown(
    out: Output, result: Breakdown, fmt: Format, *, pretty: bool, dialect: Dialect = CSV
) -> None:
    from segcli.output import tables

    match fmt:
        case Format.table:
            out.show(
                tables.breakdown_tables(
                    result.tables,
                    result.total,
                    result.as_of_ms,
                    width=out.width,
                    currency=result.meta.get("currency"),
                )
            )
            spent = result.history_dict()
            if spent is not None:
                from segcli.output import timeline

                out.show(timeline.durations_tables(spent))
        case Format.json:
            out.text(result.json_text(pretty=pretty))
        case Format.ndjson | Format.csv | Format.tsv | Format.markdown:
            _records(out, result.records(), fmt, dialect)
        case _:
            assert_never(fmt)


def print_matrix(
    out: Output, result: Matrix, fmt: Format, *, pretty: bool, dialect: Dialect = CSV
) -> None:
    """A segment × frequency matrix (with an as-of), or a transitions matrix (from, to) and its
    biggest movements."""
    from segcli.output import tables

    match fmt:
        case Format.table if result.movements is not None:
            since, until = result.fields["from"], result.fields["to"]
            title = f"Segment at {since} (rows) → at {until} (columns)"
            grid = tables.matrix_table(
                result.frame, title, "From \\ To", diagonal=True, width=out.width
            )
            out.show(grid)
            out.show(tables.movements_table(result.movements, "Biggest movements"))
        case Format.table:
            when = format_instant(result.as_of_ms) if result.as_of_ms is not None else "now"
            title = f"Segment × purchase frequency — {result.total:,} customers as of {when}"
            out.show(tables.matrix_table(result.frame, title, "Segment", width=out.width))
        case Format.json:
            out.text(result.json_text(pretty=pretty))
        case Format.ndjson | Format.csv | Format.tsv | Format.markdown:
            _records(out, result.records(), fmt, dialect)
        case _:
            assert_never(fmt)


def print_prediction(
    out: Output, result: Prediction, fmt: Format, *, pretty: bool, dialect: Dialect = CSV
) -> None:
    """The fitted parameters and the goodness-of-fit rows; records are those rows."""
    from segcli.output.prediction import holdout_table, prediction_tables

    match fmt:
        case Format.table:
            fit = result.fit
            fitted_at = result.holdout_ms or result.as_of_ms
            out.show(
                prediction_tables(result.model, fit.frequencies, fit.log_likelihood, fitted_at)
            )
            if result.holdout is not None:
                out.show(holdout_table(result.holdout_dict(), format_instant(result.as_of_ms)))
        case Format.json:
            out.text(result.json_text(pretty=pretty))
        case Format.ndjson | Format.csv | Format.tsv | Format.markdown:
            _records(out, result.records(), fmt, dialect)
        case _:
            assert_never(fmt)
