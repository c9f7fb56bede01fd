"""Seeded synthetic order exports for the benchmarks, generated with numpy (no loop over rows).

    python benchmarks/generate.py 1000000 /tmp/bench      # orders-1M.csv and orders-1M.parquet

What makes them realistic enough to be a fair test: about 10 orders per customer on average but
heavily skewed (a log-normal share per customer: a few wholesale accounts order hundreds of
times, most a handful), uuid contactIDs, rows in date order as shops export them, some exact ties
on a customer's latest instant, emails that change between orders, blank companies, refunds
(negative totals), and instants over three years up to the snapshot. The CSV has ISO strings; the
Parquet file has a UTC timestamp and a decimal(18,2) total, as a warehouse export would.

    python benchmarks/generate.py 10000000 /tmp/bench --shape shuffled   # orders-10M-shuffled.*

The second shape is a different export of the same kind of shop: rows in no order (as a database
dump without ORDER BY gives them), totals as double (Parquet) and as shortest decimal text (CSV),
every one of the n/10 customers with at least one order (1M customers at 10M orders), and two
more detail columns, phone and accountCode (blank on some orders, as the company is).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

SNAPSHOT = np.datetime64("2025-10-23T23:59:59.999", "ms")
SPAN_MS = 3 * 365 * 86_400_000
ORDERS_PER_CUSTOMER = 10
TIE_SHARE = 0.005  # orders placed at exactly the instant of the customer's previous order
EMAIL_CHANGE_SHARE = 0.05  # orders that carry the customer's other email address
BLANK_COMPANY_SHARE = 0.3
REFUND_SHARE = 0.02
BLANK_PHONE_SHARE = 0.1  # shuffled shape: orders without the customer's phone
DATE_ORDER = "date"  # the first shape: rows in date order, decimal totals
SHUFFLED = "shuffled"  # the second: rows shuffled, double totals, phone and accountCode
SHAPES = (DATE_ORDER, SHUFFLED)
FIRST_NAMES = np.array(["Aroha", "Ben", "Chloe", "Dev", "Ema", "Finn", "Grace", "Hemi", "Isla"])
LAST_NAMES = np.array(["Ngata", "Smith", "Li", "Patel", "Wilson", "Tane", "Brown", "Kaur", "Ng"])
TRADES = np.array(["Cafe", "Bakery", "Deli", "Bistro", "Roasters", "Kitchen", "Noodle Bar"])


def _hex(bytes_: np.ndarray) -> np.ndarray:
    """uint8 rows -> their hex digits, as one string per row."""
    table = np.array([f"{i:02x}" for i in range(256)])
    digits = table[bytes_]
    out = digits[:, 0]
    for column in range(1, digits.shape[1]):
        out = np.char.add(out, digits[:, column])
    return out


def uuids(rng: np.random.Generator, n: int) -> np.ndarray:
    raw = rng.integers(0, 256, size=(n, 16), dtype=np.uint8)
    raw[:, 6] = (raw[:, 6] & 0x0F) | 0x40  # version 4
    raw[:, 8] = (raw[:, 8] & 0x3F) | 0x80  # RFC 4122 variant
    parts = [_hex(raw[:, a:b]) for a, b in ((0, 4), (4, 6), (6, 8), (8, 10), (10, 16))]
    out = parts[0]
    for part in parts[1:]:
        out = np.char.add(np.char.add(out, "-"), part)
    return out


def orders(n_orders: int, seed: int = 20251023, shape: str = DATE_ORDER) -> pa.Table:
    rng = np.random.default_rng(seed)
    n_customers = max(1, n_orders // ORDERS_PER_CUSTOMER)
    ids = uuids(rng, n_customers)
    first = FIRST_NAMES[rng.integers(0, len(FIRST_NAMES), n_customers)]
    last = LAST_NAMES[rng.integers(0, len(LAST_NAMES), n_customers)]
    names = np.char.add(np.char.add(first, " "), last)
    numbers = np.char.mod("%d", np.arange(n_customers))
    trades = TRADES[rng.integers(0, len(TRADES), n_customers)]
    companies = np.char.add(np.char.add(last, " "), trades)
    companies = np.where(rng.random(n_customers) < BLANK_COMPANY_SHARE, "", companies)
    email = np.char.add(np.char.add(np.char.lower(first), numbers), "@example.com")
    other_email = np.char.add(np.char.add(np.char.lower(last), numbers), "@example.net")

    weights = rng.lognormal(0.0, 1.3, n_customers)
    customer = rng.choice(n_customers, size=n_orders, p=weights / weights.sum())
    if shape == SHUFFLED:  # every customer orders at least once
        customer[rng.permutation(n_orders)[:n_customers]] = np.arange(n_customers)
    # each customer is active over a window of the span; orders fall inside it
    start = rng.integers(0, SPAN_MS, n_customers)
    length = (rng.random(n_customers) * (SPAN_MS - start)).astype(np.int64) + 1
    offset = (rng.random(n_orders) * length[customer]).astype(np.int64)
    ms = SNAPSHOT.astype(np.int64) - SPAN_MS + start[customer] + offset

    order = np.lexsort((ms, customer))  # ties: copy the previous order's instant, same customer
    tie = rng.random(n_orders) < TIE_SHARE
    same = np.r_[False, customer[order][1:] == customer[order][:-1]]
    sorted_ms = ms[order]
    at = np.flatnonzero(tie & same)
    sorted_ms[at] = sorted_ms[at - 1]
    ms[order] = sorted_ms

    by_date = np.argsort(ms, kind="stable")  # exports come in date order
    if shape == SHUFFLED:  # ... or in no order at all
        by_date = rng.permutation(n_orders)
    customer, ms = customer[by_date], ms[by_date]
    cents = np.round(rng.lognormal(5.0, 1.0, n_orders) * 100).astype(np.int64) + 100
    cents = np.where(rng.random(n_orders) < REFUND_SHARE, -(cents // 4), cents)
    changed = rng.random(n_orders) < EMAIL_CHANGE_SHARE
    emails = np.where(changed, other_email[customer], email[customer])
    references = np.char.add("ORD-", np.char.zfill(np.char.mod("%d", np.arange(n_orders)), 9))
    columns = {
        "orderReference": pa.array(references),
        "contactID": pa.array(ids[customer]),
        "orderDate": pa.array(ms.astype("datetime64[ms]"), pa.timestamp("ms", tz="UTC")),
        "total": pa.array(cents, pa.int64()),
        "name": pa.array(names[customer]),
        "email": pa.array(emails),
        "company": pa.array(companies[customer]),
    }
    if shape == SHUFFLED:
        phones = np.char.add("+64 21 ", np.char.zfill(np.char.mod("%d", np.arange(n_customers)), 7))
        codes = np.char.add("AC", np.char.zfill(np.char.mod("%d", np.arange(n_customers)), 7))
        phone = np.where(rng.random(n_orders) < BLANK_PHONE_SHARE, "", phones[customer])
        columns["phone"] = pa.array(phone)
        columns["accountCode"] = pa.array(codes[customer])
    return pa.table(columns)


def write(
    table: pa.Table, directory: Path, label: str, shape: str = DATE_ORDER
) -> tuple[Path, Path]:
    directory.mkdir(parents=True, exist_ok=True)
    cents = table["total"].to_numpy()
    parquet = directory / f"orders-{label}.parquet"
    if shape == SHUFFLED:  # doubles; the CSV writes each as its shortest text ("12.5")
        totals = pc.cast(pa.array(cents / 100), pa.string())
        pq.write_table(table.set_column(3, "total", pa.array(cents / 100)), parquet)
    else:
        magnitude = np.abs(cents)
        totals = pa.array(
            np.char.add(
                np.char.add(np.where(cents < 0, "-", ""), np.char.mod("%d", magnitude // 100)),
                np.char.add(".", np.char.zfill(np.char.mod("%d", magnitude % 100), 2)),
            )
        )
        pq.write_table(table.set_column(3, "total", pc.cast(totals, pa.decimal128(18, 2))), parquet)
    dates = pc.strftime(table["orderDate"], format="%Y-%m-%dT%H:%M:%SZ")
    text = table.set_column(2, "orderDate", dates).set_column(3, "total", totals)
    csv = directory / f"orders-{label}.csv"
    pa_csv.write_csv(text, csv)
    return csv, parquet


def label_for(n: int) -> str:
    for unit, size in (("M", 1_000_000), ("k", 1_000)):
        if n % size == 0:
            return f"{n // size}{unit}"
    return str(n)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("orders", type=int, help="number of orders, e.g. 1000000")
    parser.add_argument("directory", type=Path)
    parser.add_argument("--seed", type=int, default=20251023)
    parser.add_argument("--shape", choices=SHAPES, default=DATE_ORDER)
    args = parser.parse_args(argv)
    label = label_for(args.orders) + ("" if args.shape == DATE_ORDER else f"-{args.shape}")
    table = orders(args.orders, args.seed, args.shape)
    csv, parquet = write(table, args.directory, label, args.shape)
    for path in (csv, parquet):
        print(f"{path}  {path.stat().st_size / 2**20:,.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
