"""Query parameters -> the library's values, with the CLI's rules and words: labels in any case,
amounts and instants by the library's own parsers. A bad value is BadParameter (400)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from segcli import api
from segcli.model.schema import FREQUENCIES, NOT_YET, SEGMENTS, SORT_FIELDS
from segcli.model.settings import RFM_SCALES
from segcli.serve.errors import BadParameter


def label(name: str, value: str, labels: Sequence[str], kind: str) -> str:
    lookup = {known.casefold(): known for known in labels}
    try:
        return lookup[value.strip().casefold()]
    except KeyError:
        raise BadParameter(
            name, f"'{value}' is not {kind}; choose from {', '.join(labels)}"
        ) from None


def labels(name: str, values: Sequence[str] | None, known: Sequence[str], kind: str) -> tuple:
    return tuple(label(name, v, known, kind) for v in values or ())


def segments(name: str, values: Sequence[str] | None) -> tuple[str, ...]:
    return labels(name, values, SEGMENTS, "a segment")


def frequencies(name: str, values: Sequence[str] | None) -> tuple[str, ...]:
    return labels(name, values, FREQUENCIES, "a purchase frequency")


def sort_field(value: str) -> str:
    return label("sort", value, tuple(SORT_FIELDS), "a sort field")


def movement(value: str | None) -> tuple[str, str] | None:
    """`list=FROM:TO` (`transitions --list`): the segment at `from` (or `(none)`), then at `to`."""
    if value is None:
        return None
    source, sep, target = value.partition(":")
    if not sep:
        raise BadParameter("list", f"'{value}' is not FROM:TO (e.g. VIP:Dormant)")
    return label("list", source, (*SEGMENTS, NOT_YET), "a segment"), label(
        "list", target, SEGMENTS, "a segment"
    )


def money(name: str, value: str | None) -> int | None:
    if value is None:
        return None
    try:
        return api.parse_money(value)
    except ValueError as exc:
        raise BadParameter(name, str(exc)) from None


def instant(name: str, value: str | None) -> int | None:
    if value is None:
        return None
    try:
        return api.parse_as_of(value)
    except ValueError as exc:
        raise BadParameter(name, str(exc)) from None


def rfm_scale(name: str, settings: api.Settings, value: int | None) -> api.Settings:
    """The served settings, on the RFM scale asked for (`--rfm-scale`); None: as served."""
    if value is None:
        return settings
    if value not in RFM_SCALES:
        raise BadParameter(name, f"must be {' or '.join(map(str, RFM_SCALES))} (got {value})")
    return replace(settings, rfm_scale=value)
