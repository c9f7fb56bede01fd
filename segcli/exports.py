"""Exports as they come -> the canonical columns.

Shops and accounting systems do not write segcli's columns: they write their own headers, one row
per line item, cancelled orders beside real ones, credit notes beside invoices. This stage sits
between reading and parsing, in two steps:

- `plan()` reads a file's header and decides which of its columns plays which role: a preset
  (Shopify, WooCommerce, Xero; given, or detected from the header), the canonical names, and the
  user's `--column ROLE=HEADER` mapping on top.
- `shape()` takes the columns read and returns canonical tables: each order once (a line item row
  after its order's first row is folded into it), orders that were cancelled, voided or refunded
  set aside (unless asked to count them), customers keyed by normalised email where the file has
  no id, names joined from first and last, credit notes marked to reduce spend. Every row set
  aside is counted in the report, and row locations stay those of the file.

Vectorised with pyarrow compute and pandas; no Python loop touches a row.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from segcli.errors import MissingColumnError
from segcli.load import RawOrders
from segcli.normalise import CREDIT, as_numpy, found_list, match_columns, text_column
from segcli.options import DAY_FIRST, MONTH_FIRST, ExportOptions, ParseOptions
from segcli.schema import (
    COMPANY,
    CONTACT_ID,
    DETAIL_COLUMNS,
    EMAIL,
    NAME,
    ORDER_DATE,
    ORDER_REFERENCE,
    PHONE,
    REQUIRED_COLUMNS,
    TOTAL,
)

# Roles a preset reads besides the canonical columns; they never leave this module.
STATUS = "_status"
CANCELLED_AT = "_cancelledAt"
KIND = "_kind"
FIRST_NAME = "_firstName"
LAST_NAME = "_lastName"
_AUXILIARY = (STATUS, CANCELLED_AT, KIND, FIRST_NAME, LAST_NAME)

CANCELLED = "cancelled"  # how an order with a `Cancelled at` date is counted in the report
STATUS_PREFIX = "wc-"  # WooCommerce plugins write `wc-cancelled` as well as `cancelled`


@dataclass(frozen=True)
class Preset:
    """How one system's export maps to orders."""

    name: str
    title: str  # 'Shopify orders export'
    columns: Mapping[str, str]  # role -> the header it has in this export
    signature: tuple[str, ...]  # headers that, all present, identify the export
    line_items: bool = False  # several rows per orderReference; the first carries the order
    key_by_email: bool = False  # the customer is their normalised email
    excluded: frozenset[str] = frozenset()  # statuses (lower case) whose orders do not count
    credit_kinds: frozenset[str] = frozenset()  # KIND values (lower case) that reduce spend
    date_order: str | None = None  # how numeric dates such as 10/07/2025 are read


SHOPIFY = Preset(
    name="shopify",
    title="Shopify orders export",
    columns={
        ORDER_REFERENCE: "Name",
        EMAIL: "Email",
        ORDER_DATE: "Created at",
        TOTAL: "Total",
        NAME: "Billing Name",
        COMPANY: "Billing Company",
        PHONE: "Billing Phone",
        STATUS: "Financial Status",
        CANCELLED_AT: "Cancelled at",
    },
    signature=("Name", "Email", "Financial Status", "Created at", "Total", "Lineitem name"),
    line_items=True,
    key_by_email=True,
    excluded=frozenset({"voided", "refunded"}),
)
WOOCOMMERCE = Preset(
    name="woocommerce",
    title="WooCommerce orders export",
    columns={
        ORDER_REFERENCE: "order_number",
        EMAIL: "customer_email",
        ORDER_DATE: "order_date",
        TOTAL: "order_total",
        COMPANY: "billing_company",
        PHONE: "billing_phone",
        STATUS: "status",
        FIRST_NAME: "billing_first_name",
        LAST_NAME: "billing_last_name",
    },
    signature=("order_id", "order_date", "order_total", "customer_email"),
    line_items=True,
    key_by_email=True,
    excluded=frozenset({"cancelled", "refunded", "failed"}),
    date_order=MONTH_FIRST,
)
XERO = Preset(
    name="xero",
    title="Xero sales invoices export",
    columns={
        ORDER_REFERENCE: "InvoiceNumber",
        CONTACT_ID: "ContactName",
        NAME: "ContactName",
        EMAIL: "EmailAddress",
        ORDER_DATE: "InvoiceDate",
        TOTAL: "Total",
        STATUS: "Status",
        KIND: "Type",
    },
    signature=("ContactName", "InvoiceNumber", "InvoiceDate", "Total"),
    line_items=True,
    excluded=frozenset({"voided", "deleted"}),
    credit_kinds=frozenset({"sales credit note", "accreccredit", "credit note"}),
    date_order=DAY_FIRST,
)
PRESETS: dict[str, Preset] = {p.name: p for p in (SHOPIFY, WOOCOMMERCE, XERO)}
# Fallbacks: a role whose usual header is missing may come from another one.
_FALLBACK_HEADERS = {("woocommerce", ORDER_REFERENCE): "order_id"}


@dataclass(frozen=True)
class Plan:
    """Which column of one file plays which role."""

    mapping: dict[str, str]  # header in the file -> the role it is read as
    roles: dict[str, str]  # role -> header (several roles may share one header)
    preset: Preset | None = None
    detected: bool = False
    key_by_email: bool = False

    def reading(self, details: Collection[str]) -> Plan:
        """This plan, reading only the `details` wanted of the detail columns (a command that
        shows no names need not read them); the email stays when it keys the customers."""
        keep = set(details) | ({EMAIL} if self.key_by_email else set())
        if NAME in keep:
            keep |= {FIRST_NAME, LAST_NAME}
        roles = {
            role: name
            for role, name in self.roles.items()
            if role in keep or (role not in DETAIL_COLUMNS and role not in (FIRST_NAME, LAST_NAME))
        }
        return replace(self, mapping=read_as(roles), roles=roles)

    def parse_options(self, given: ParseOptions) -> ParseOptions:
        """The user's parse options, with the preset's date order when the user gave none."""
        if self.preset is None or given.date_format or given.date_order:
            return given
        return replace(given, date_order=self.preset.date_order)


def _key(header: str) -> str:
    """Headers compare ignoring case, surrounding space and an import template's leading `*`."""
    return header.strip().lstrip("*").strip().casefold()


def plan(header: Sequence[str], label: str, options: ExportOptions | None = None) -> Plan:
    """Decide the roles of a file's columns; raise MissingColumnError naming what is missing."""
    options = options or ExportOptions()
    overrides = _find_overrides(header, label, options.columns)
    if options.preset is not None:
        return _preset_plan(header, label, PRESETS[options.preset], overrides, detected=False)
    try:
        roles = match_columns(header, label, overrides=overrides, email_key=True)
    except MissingColumnError as missing:
        for preset in PRESETS.values():
            present = {_key(h) for h in header}
            if all(_key(h) in present for h in preset.signature):
                return _preset_plan(header, label, preset, overrides, detected=True)
        raise MissingColumnError(
            f"{missing.message}; for a shop's own export pass --preset "
            f"{'|'.join(PRESETS)}, or map columns with --column orderDate='Invoice Date'"
        ) from None
    return Plan(read_as(roles), roles, key_by_email=CONTACT_ID not in roles)


def read_as(roles: Mapping[str, str]) -> dict[str, str]:
    """{header: role} for reading: a header shared by several roles is read once, as the first."""
    mapping: dict[str, str] = {}
    for role, name in roles.items():
        mapping.setdefault(name, role)
    return mapping


def _find_overrides(
    header: Sequence[str], label: str, columns: Mapping[str, str]
) -> dict[str, str]:
    """The user's --column mapping as {role: header in this file}; an unknown header is an
    error that lists the file's columns."""
    found = {}
    for role, wanted in columns.items():
        matches = [h for h in header if h == wanted] or [
            h for h in header if _key(h) == _key(wanted)
        ]
        if not matches:
            raise MissingColumnError(
                f"{label}: no column '{wanted}' for --column {role} (found: {found_list(header)})"
            )
        found[role] = matches[0]
    return found


def _preset_plan(
    header: Sequence[str],
    label: str,
    preset: Preset,
    overrides: Mapping[str, str],
    *,
    detected: bool,
) -> Plan:
    by_key = {}
    for name in header:
        by_key.setdefault(_key(name), name)
    roles: dict[str, str] = {}
    for role, wanted in preset.columns.items():
        name = by_key.get(_key(wanted))
        fallback = _FALLBACK_HEADERS.get((preset.name, role))
        if name is None and fallback is not None:
            name = by_key.get(_key(fallback))
        if name is not None:
            roles[role] = name
    roles.update(overrides)
    key_by_email = preset.key_by_email and CONTACT_ID not in overrides
    needed = [r for r in REQUIRED_COLUMNS if not (r == CONTACT_ID and key_by_email)]
    if key_by_email:
        needed.append(EMAIL)
    missing = [r for r in needed if r not in roles]
    if missing:
        names = ", ".join(f"'{preset.columns.get(r, r)}'" for r in missing)
        raise MissingColumnError(
            f"{label}: not a {preset.title}: missing {names} (found: {found_list(header)})"
        )
    return Plan(read_as(roles), roles, preset=preset, detected=detected, key_by_email=key_by_email)


# --- shaping the tables read ------------------------------------------------------------------


@dataclass(frozen=True)
class ShapeReport:
    """What shaping set aside or changed, for the notices."""

    folded: int = 0  # line-item rows after their order's first row
    excluded: Mapping[str, int] = field(default_factory=dict)  # status -> orders not counted
    included: Mapping[str, int] = field(default_factory=dict)  # same, counted on request
    credits: int = 0  # credit notes, counted as negative
    keyed_by_email: tuple[str, ...] = ()  # labels of the sources keyed by email
    detected: tuple[tuple[str, str], ...] = ()  # (label, preset title)


def shape(
    raw: RawOrders, plans: Sequence[Plan], *, include_cancelled: bool = False
) -> tuple[RawOrders, ShapeReport]:
    """Canonical tables from the roles read: see the module's docstring."""
    tables, kept_parts = [], []
    folded, credits = 0, 0
    excluded: dict[str, int] = {}
    included: dict[str, int] = {}
    any_set_aside = False
    for table, p in zip(raw.tables, plans, strict=True):
        keep = np.ones(table.num_rows, dtype=bool)
        columns = _canonical_columns(table, p)
        if p.preset is not None and p.preset.line_items:
            reference = pd.Series(columns[ORDER_REFERENCE].to_pandas())
            later_rows = (reference.duplicated(keep="first") & reference.notna()).to_numpy()
            folded += int(later_rows.sum())
            keep &= ~later_rows
        status = _not_counted(table, p)
        if status is not None:
            flagged = status.notna().to_numpy() & keep
            counts = status[flagged].value_counts()
            target = included if include_cancelled else excluded
            for name, n in counts.items():
                target[str(name)] = target.get(str(name), 0) + int(n)
            if not include_cancelled:
                keep &= ~flagged
        if p.preset is not None and p.preset.credit_kinds and KIND in table.column_names:
            kind = pc.utf8_lower(text_column(table[KIND]))
            credit = as_numpy(
                pc.fill_null(pc.is_in(kind, pa.array(sorted(p.preset.credit_kinds))), False)
            )
            credits += int((credit & keep).sum())
            columns[CREDIT] = pa.array(credit)
        shaped = pa.table(columns)
        if not keep.all():
            any_set_aside = True
            shaped = shaped.filter(pa.array(keep))
        tables.append(shaped)
        kept_parts.append(keep)
    report = ShapeReport(
        folded=folded,
        excluded=excluded,
        included=included,
        credits=credits,
        keyed_by_email=tuple(
            label for label, p in zip(raw.labels, plans, strict=True) if p.key_by_email
        ),
        detected=tuple(
            (label, p.preset.title)
            for label, p in zip(raw.labels, plans, strict=True)
            if p.detected and p.preset is not None
        ),
    )
    kept = raw.kept  # row numbers are only remapped when rows were set aside
    if any_set_aside:
        kept = np.flatnonzero(np.concatenate(kept_parts))
        kept = kept if raw.kept is None else raw.kept[kept]
    shaped_raw = replace(raw, tables=tuple(tables), kept=kept)
    return shaped_raw, report


def _canonical_columns(table: pa.Table, p: Plan) -> dict[str, pa.ChunkedArray]:
    """The canonical columns of one table (auxiliary roles consumed)."""
    columns = {name: table[name] for name in table.column_names if name not in _AUXILIARY}
    for role, name in p.roles.items():  # a role sharing its header with another (Xero's name)
        if role not in _AUXILIARY and p.mapping[name] != role:
            columns[role] = table[p.mapping[name]]
    if p.key_by_email:
        columns[CONTACT_ID] = pc.utf8_lower(text_column(table[EMAIL]))
    if FIRST_NAME in table.column_names or LAST_NAME in table.column_names:
        parts = [text_column(table[c]) for c in (FIRST_NAME, LAST_NAME) if c in table.column_names]
        joined = pc.binary_join_element_wise(*parts, " ", null_handling="skip")
        columns[NAME] = text_column(joined)
    return columns


def _not_counted(table: pa.Table, p: Plan) -> pd.Series | None:
    """Per row, why its order does not count ('refunded', 'cancelled', ...), else missing."""
    if p.preset is None:
        return None
    reason = pd.Series(pd.NA, index=range(table.num_rows), dtype="str")
    if STATUS in table.column_names and p.preset.excluded:
        status = pd.Series(pc.utf8_lower(text_column(table[STATUS])).to_pandas(), dtype="str")
        status = status.str.removeprefix(STATUS_PREFIX)
        reason = status.where(status.isin(sorted(p.preset.excluded)))
    if CANCELLED_AT in table.column_names:
        cancelled = as_numpy(pc.is_valid(text_column(table[CANCELLED_AT])))
        reason = reason.mask(cancelled & reason.isna().to_numpy(), CANCELLED)
    return reason
