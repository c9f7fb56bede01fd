"""The exports segcli knows by name: which header plays which role in each, how each system
writes line items, statuses and credit notes. Data only (no pandas or pyarrow), so that the CLI
can offer the names while it parses options; `plan.py` and `shape.py` use the table.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from segcli.model.options import DAY_FIRST, MONTH_FIRST
from segcli.model.schema import (
    COMPANY,
    CONTACT_ID,
    CURRENCY,
    EMAIL,
    NAME,
    ORDER_DATE,
    ORDER_REFERENCE,
    PHONE,
    STATUS,
    TOTAL,
)

# Roles a preset reads besides the canonical columns; they never leave the input stage.
CANCELLED_AT = "_cancelledAt"
KIND = "_kind"
FIRST_NAME = "_firstName"
LAST_NAME = "_lastName"
REFUNDED = "_refunded"  # an amount refunded on the order, subtracted from its total
KEY_PHONE = "_phone"  # the customer's own phone (Shopify's `Phone`), before the billing phone
AUXILIARY = (STATUS, CANCELLED_AT, KIND, FIRST_NAME, LAST_NAME, REFUNDED, CURRENCY, KEY_PHONE)
# Where a file keys customers by email, a row without one is keyed by these, in this order.
KEY_FALLBACKS = (EMAIL, KEY_PHONE, PHONE, NAME)

# Statuses (lower case) whose orders do not count, in any export that maps a status column
# (SPEC §1); `--include-cancelled` counts them.
NOT_COUNTED = frozenset(
    {"cancelled", "canceled", "voided", "refunded", "failed", "deleted", "draft", "trash"}
)

CANCELLED = "cancelled"  # how an order with a `Cancelled at` date is counted in the report
STATUS_PREFIX = "wc-"  # WooCommerce plugins write `wc-cancelled` as well as `cancelled`


@dataclass(frozen=True)
class Preset:
    """How one system's export maps to orders."""

    name: str
    title: str  # 'Shopify orders export'
    columns: Mapping[str, str | tuple[str, ...]]  # role -> its header (or the variants of it)
    signature: tuple[str | tuple[str, ...], ...]  # headers that, all present, identify the
    # export; a tuple is the variants of one header (export plugins name columns differently)
    line_items: bool = False  # several rows per orderReference; the first carries the order
    key_by_email: bool = False  # the customer is their normalised email
    excluded: frozenset[str] = NOT_COUNTED  # statuses (lower case) whose orders do not count
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
        REFUNDED: "Refunded Amount",
        KEY_PHONE: "Phone",
        CURRENCY: "Currency",
    },
    signature=("Name", "Email", "Financial Status", "Created at", "Total", "Lineitem name"),
    line_items=True,
    key_by_email=True,  # `pending` is a normal state for cash-on-delivery shops: it counts
)
WOOCOMMERCE = Preset(
    name="woocommerce",
    title="WooCommerce orders export",
    columns={
        ORDER_REFERENCE: ("order_number", "order_id"),
        EMAIL: ("customer_email", "billing_email"),
        ORDER_DATE: ("order_date", "date_created"),
        TOTAL: "order_total",
        COMPANY: "billing_company",
        PHONE: "billing_phone",
        STATUS: ("status", "order_status"),
        CURRENCY: ("order_currency", "currency"),
        FIRST_NAME: "billing_first_name",
        LAST_NAME: "billing_last_name",
    },
    signature=(
        ("order_id", "order_number"),
        ("order_date", "date_created"),
        "order_total",
        ("customer_email", "billing_email"),
    ),
    line_items=True,
    key_by_email=True,
    excluded=NOT_COUNTED | {"pending"},  # unpaid checkouts, as WooCommerce Analytics excludes
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
        CURRENCY: "CurrencyCode",
    },
    signature=("ContactName", "InvoiceNumber", "InvoiceDate", "Total"),
    line_items=True,
    credit_kinds=frozenset({"sales credit note", "accreccredit", "credit note"}),
    date_order=DAY_FIRST,
)
PRESETS: dict[str, Preset] = {p.name: p for p in (SHOPIFY, WOOCOMMERCE, XERO)}
PRESET_NAMES: tuple[str, ...] = tuple(PRESETS)  # what --preset accepts, in this order


def variants(wanted: str | tuple[str, ...]) -> tuple[str, ...]:
    """The headers a preset's column may have, in order of preference."""
    return (wanted,) if isinstance(wanted, str) else wanted
