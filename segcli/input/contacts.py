"""A contacts file -> customer details, and the customers who have not ordered yet.

`--customers contacts.csv` holds contactID (or, failing that, email) and any of the detail
columns. Its details win where it has them; its customers with no orders appear with 0 orders
(SPEC: New, purchase frequency None); customers with orders but no contact record still count.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from segcli.engines.arrow import text_column
from segcli.input import readers, sources
from segcli.input.headers import match_columns
from segcli.input.plan import read_as
from segcli.model.errors import Hint, UsageError
from segcli.model.notices import Notice, count
from segcli.model.options import DEFAULT_ENCODING
from segcli.model.schema import (
    CONTACT_ID,
    DETAIL_COLUMNS,
    EMAIL,
    FIRST_ORDER_MS,
    LAST_ORDER_MS,
    LAST_ORDER_REFERENCE,
    ORDER_COUNT,
    SPEND_CENTS,
)


@dataclass(frozen=True)
class Contacts:
    """One row per contact (first record of each id wins), and what reading them set aside."""

    frame: pd.DataFrame  # contactID, then the detail columns the file has (str)
    label: str
    keyed_by_email: bool
    without_id: int  # records with an empty id, not used
    repeated: int  # later records of an id already seen, not used


def from_table(table: pa.Table, roles: Mapping[str, str], label: str) -> Contacts:
    """Contacts from the columns read ({role: header}, as match_columns gives them; the table's
    columns are named by role, a header shared by two roles read once as the first)."""
    columns = {}
    for role, name in roles.items():
        read = next(r for r, n in roles.items() if n == name and r in table.column_names)
        columns[role] = text_column(table[read]).to_pandas()
    frame = pd.DataFrame(columns).astype("str")
    keyed_by_email = CONTACT_ID not in roles
    if keyed_by_email:
        frame.insert(0, CONTACT_ID, frame[EMAIL].str.lower())
    has_id = frame[CONTACT_ID].notna().to_numpy()
    with_id = frame[has_id]
    repeated = with_id[CONTACT_ID].duplicated(keep="first").to_numpy()
    details = [c for c in DETAIL_COLUMNS if c in frame.columns]
    unique = with_id[~repeated][[CONTACT_ID, *details]].reset_index(drop=True)
    return Contacts(
        frame=unique,
        label=label,
        keyed_by_email=keyed_by_email,
        without_id=int((~has_id).sum()),
        repeated=int(repeated.sum()),
    )


def attach(customers: pd.DataFrame, contacts: Contacts) -> tuple[pd.DataFrame, int]:
    """Customers (per_customer's columns) with the contacts' details, then the contacts who have
    no orders; and how many customers with orders had no contact record."""
    known = contacts.frame
    position = pd.Index(known[CONTACT_ID]).get_indexer(customers[CONTACT_ID])
    found = position >= 0
    take = np.where(found, position, 0)
    merged = customers.copy()
    for column in DETAIL_COLUMNS:
        if column in known.columns and len(known):
            from_contact = known[column].to_numpy()[take]
            use = found & pd.notna(from_contact)
            merged[column] = np.where(use, from_contact, merged[column].to_numpy())
            merged[column] = merged[column].astype("str")
    newcomers = known[~known[CONTACT_ID].isin(customers[CONTACT_ID]).to_numpy()]
    if newcomers.empty:
        return merged, int((~found).sum())
    n = len(newcomers)
    no_orders = pd.DataFrame(
        {
            CONTACT_ID: newcomers[CONTACT_ID].to_numpy(),
            **{
                c: (newcomers[c].to_numpy() if c in newcomers.columns else [pd.NA] * n)
                for c in DETAIL_COLUMNS
            },
            ORDER_COUNT: np.zeros(n, dtype=np.int64),
            SPEND_CENTS: np.zeros(n, dtype=np.int64),
            FIRST_ORDER_MS: pd.array([pd.NA] * n, dtype="Int64"),
            LAST_ORDER_MS: pd.array([pd.NA] * n, dtype="Int64"),
            LAST_ORDER_REFERENCE: pd.array([pd.NA] * n, dtype="str"),
        }
    )
    merged = merged.astype({FIRST_ORDER_MS: "Int64", LAST_ORDER_MS: "Int64"})
    no_orders = no_orders.astype(dict.fromkeys((CONTACT_ID, *DETAIL_COLUMNS), "str"))
    combined = pd.concat([merged, no_orders[list(merged.columns)]], ignore_index=True)
    return combined, int((~found).sum())


def read_file(
    path: str | Path, *, encoding: str = DEFAULT_ENCODING, delimiter: str | None = None
) -> tuple[Contacts, list[Notice]]:
    """The contacts file, and notices about the records it could not use."""
    found = sources.resolve_sources([path], encoding=encoding, delimiter=delimiter)
    if len(found) != 1:
        raise UsageError(
            "customers", f"'{path}' names {len(found)} files; contacts come from one file"
        )
    source, said = readers.settle_delimiter(found[0])
    header = readers.read_header(source)
    roles = match_columns(
        header,
        source.label,
        required=(CONTACT_ID,),
        optional=DETAIL_COLUMNS,
        email_key=True,
    )
    raw = readers.read_orders([source], [read_as(roles)])
    found = from_table(raw.tables[0], roles, source.label)
    notices = [Notice(said, hint=Hint.DELIMITER)] if said else []
    malformed = raw.malformed[0]
    if len(malformed):
        where = raw.locate_malformed(0, int(malformed[0]))
        first = "first: " if len(malformed) > 1 else ""
        notices.append(
            Notice(
                f"{source.label}: skipped {count(len(malformed), 'contact')} with the wrong "
                f"number of fields ({first}{where})"
            )
        )
    if found.keyed_by_email:
        notices.append(Notice(f"{source.label}: no contactID column; contacts are keyed by email"))
    if found.without_id:
        notices.append(
            Notice(f"{source.label}: skipped {count(found.without_id, 'contact')} with no id")
        )
    if found.repeated:
        notices.append(
            Notice(
                f"{source.label}: {count(found.repeated, 'repeated contact')} "
                "ignored (the first record of each id is used)"
            )
        )
    return found, notices
