"""Parsers for option values: each turns a bad value into a usage error (exit 2) that names
the flag, before any file is read. And where the orders come from when --orders is not given."""

from __future__ import annotations

import codecs
import io
import os
import stat
import sys
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import typer

from segcli import api
from segcli.model.options import MAPPABLE
from segcli.model.schema import FREQUENCIES, LIST_SORT_FIELDS, SEGMENTS

E = TypeVar("E", bound=StrEnum)


def choice(kind: str, labels: tuple[str, ...]) -> Callable[[str], str]:
    """A parser that accepts any case and names the valid labels, in their order, when it fails."""
    lookup = {label.casefold(): label for label in labels}

    def parse(value: str) -> str:
        try:
            return lookup[value.casefold()]
        except KeyError:
            valid = ", ".join(labels)
            article = "an" if kind[0] in "aeiouAEIOU" or kind.startswith("RFM") else "a"
            raise typer.BadParameter(
                f"'{value}' is not {article} {kind}; choose from {valid}"
            ) from None

    return parse


def enum_choice(kind: str, members: type[E]) -> Callable[[str], E]:
    """`choice` over an enum's values, giving the member: `--format JSON` is `json`."""
    parse = choice(kind, tuple(m.value for m in members))

    def parse_member(value: str | E) -> E:
        return value if isinstance(value, members) else members(parse(value))

    return parse_member


# Choices come from the one list of labels in the schema.
parse_segment = choice("segment", SEGMENTS)

parse_frequency = choice("purchase frequency", FREQUENCIES)

parse_sort_field = choice("sort field", tuple(LIST_SORT_FIELDS))


def parse_as_of(value: str) -> int:
    try:
        return api.parse_as_of(value)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None


def parse_money(value: str) -> int:
    """An amount flag (--min-spend, --max-spend): `api.parse_money`'s rules."""
    try:
        return api.parse_money(value)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None


def parse_threshold(value: str) -> int:
    """--vip-threshold: an amount by the same rules, not negative."""
    cents = parse_money(value)
    if cents < 0:
        raise typer.BadParameter(f"'{value}' must not be negative")
    return cents


def parse_encoding(value: str) -> str:
    """--encoding: a codec Python knows, checked before any file is read."""
    try:
        codecs.lookup(value)
    except LookupError:
        raise typer.BadParameter(
            f"'{value}' is not a text encoding (e.g. utf-8, cp1252, latin-1, utf-16)"
        ) from None
    return value


ORDERS_ENV = "SEGCLI_ORDERS"


def order_paths(given: list[Path] | None) -> tuple[str, ...]:
    """Where the orders come from: `--orders` > CSV piped (or redirected) to stdin >
    $SEGCLI_ORDERS > the bundled sample (no paths), as csvkit's tools read stdin."""
    if given:
        return tuple(str(p) for p in given)
    if _stdin_has_data():
        return (api.STDIN,)
    from_env = os.environ.get(ORDERS_ENV, "")
    return tuple(p for p in from_env.split(os.pathsep) if p)


def _stdin_has_data() -> bool:
    """Whether standard input is a pipe or a file (a terminal, /dev/null or no stdin at all
    is not)."""
    try:
        mode = os.fstat(sys.stdin.fileno()).st_mode
    except (OSError, ValueError, AttributeError, io.UnsupportedOperation):
        return False
    return stat.S_ISFIFO(mode) or stat.S_ISREG(mode)


def column_mapping(pairs: list[str]) -> dict[str, str]:
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


def date_format_or_none(text: str | None) -> str | None:
    if text is not None and "%" not in text:
        raise typer.BadParameter(
            f"'{text}' has no % directives (e.g. '%d/%m/%Y %H:%M')", param_hint="'--date-format'"
        )
    return text


def timezone_or_none(name: str | None) -> str | None:
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


def parse_delimiter(value: str) -> str:
    """--delimiter: one character; `tab` or `\\t` for a tab."""
    if value.lower() in {"tab", "\\t", "\t"}:
        return "\t"
    if len(value) != 1 or value in {'"', "\n", "\r"}:
        raise typer.BadParameter(f"'{value}' is not one character (e.g. ';', '|' or tab)")
    return value
