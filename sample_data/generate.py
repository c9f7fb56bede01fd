"""Regenerate the bundled sample: a packaging-products wholesaler's order history.

    python sample_data/generate.py            # writes sample_data/orders.csv and orders.parquet

Deterministic: every random number comes from `random.Random(SEED).random()`, whose sequence
Python guarantees across versions, so the CSV is byte-for-byte reproducible (a test checks this).
The customers are cafes, bakeries and restaurants around New Zealand, ordering in business hours
(NZ time, stored in UTC) over two years up to the snapshot date SNAPSHOT. The archetypes below are
chosen so that, as of SNAPSHOT, every segment and every purchase frequency has customers.
"""

from __future__ import annotations

import csv
import io
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

SNAPSHOT = "2025-10-23"  # the as-of date of the sample; keep segcli.load.SAMPLE_AS_OF equal
SEED = 20251023
HERE = Path(__file__).resolve().parent
NZ = ZoneInfo("Pacific/Auckland")
COLUMNS = (
    "orderReference",
    "contactID",
    "orderDate",
    "total",
    "name",
    "email",
    "company",
    "phone",
    "accountName",
    "accountCode",
)

PLACES = (
    "Harbour",
    "Kauri",
    "Ponsonby",
    "Wharf",
    "Mediterranean",
    "Golden",
    "Little",
    "Corner",
    "Rata",
    "Pohutukawa",
    "Southern",
    "Hillside",
    "Riverside",
    "Totara",
    "Seaside",
    "Parnell",
    "Kingsland",
    "Devonport",
    "Mt Eden",
    "Grey Lynn",
    "Papanui",
    "Cuba Street",
    "Lambton",
    "Karaka",
    "Manuka",
    "Kowhai",
    "Tui",
    "Morning",
    "Sunrise",
    "Old Mill",
    "Blue Door",
    "Red Brick",
    "Green Fern",
    "Matariki",
    "Ferry",
    "Lighthouse",
    "Station",
    "Market",
)
KINDS = (
    "Cafe",
    "Bakery",
    "Espresso Bar",
    "Kitchen",
    "Bistro",
    "Deli",
    "Pizzeria",
    "Noodle House",
    "Patisserie",
    "Eatery",
    "Coffee Roasters",
    "Catering",
    "Sushi Bar",
    "Burger Co",
    "Dumpling House",
    "Juice Bar",
    "Food Truck",
    "Brasserie",
    "Taqueria",
    "Creamery",
)
CITY_AREA_CODES = ("9", "4", "3", "7", "6")  # Auckland, Wellington, Christchurch, Hamilton, ...


@dataclass(frozen=True)
class Archetype:
    """How one group of customers orders: first and last order (days before the snapshot), the
    average gap between orders (days) and the usual order value (dollars)."""

    label: str
    customers: int
    start_days: tuple[float, float]
    end_days: tuple[float, float]
    gap_days: tuple[float, float]
    order_value: tuple[float, float]


ARCHETYPES = (
    Archetype("weekly regulars", 18, (600, 730), (0, 6), (4.0, 6.5), (120, 260)),
    Archetype("weekly, started this season", 8, (40, 80), (0, 5), (3.0, 6.0), (50, 110)),
    Archetype("weekly, brand new", 6, (8, 28), (0, 3), (2.0, 5.0), (40, 120)),
    Archetype("monthly, long-standing", 40, (400, 730), (0, 25), (14, 27), (150, 400)),
    Archetype("monthly, small", 35, (200, 700), (0, 40), (15, 28), (40, 120)),
    Archetype("quarterly", 40, (250, 730), (0, 60), (35, 80), (100, 400)),
    Archetype("quarterly, large orders", 6, (300, 730), (0, 60), (40, 80), (900, 1800)),
    Archetype("occasional", 25, (300, 730), (0, 85), (100, 220), (80, 500)),
    Archetype("churned", 45, (300, 730), (95, 400), (10, 150), (50, 400)),
    Archetype("churned, large", 5, (500, 730), (100, 300), (14, 30), (300, 600)),
    Archetype("one order", 60, (0, 720), (0, 0), (1, 1), (60, 700)),
    Archetype("new this month", 15, (0, 30), (0, 0), (2, 10), (40, 300)),
    Archetype("one large order", 2, (20, 200), (0, 0), (1, 1), (5200, 7500)),
)
REFUND_RATE = 0.015  # share of orders followed by a partial refund
EMAIL_CHANGE_RATE = 0.12  # customers whose email changed along the way
BLANK_COMPANY_RATE = 0.2  # customers who never gave a company
BLANK_EMAIL_ORDER_RATE = 0.03  # orders entered without an email
SAME_DAY_REPEAT_RATE = 0.02  # orders followed by a second one the same day


class Draw:
    """Random draws built only on random.random(), whose sequence Python guarantees."""

    def __init__(self, seed: int) -> None:
        self._rng = random.Random(seed)

    def unit(self) -> float:
        return self._rng.random()

    def between(self, low: float, high: float) -> float:
        return low + (high - low) * self.unit()

    def index(self, n: int) -> int:
        return min(int(self.unit() * n), n - 1)

    def pick(self, items):
        return items[self.index(len(items))]

    def chance(self, p: float) -> bool:
        return self.unit() < p


def _business_names(draw: Draw, n: int) -> list[str]:
    names: list[str] = []
    while len(names) < n:
        name = f"{draw.pick(PLACES)} {draw.pick(KINDS)}"
        if name not in names:
            names.append(name)
    return names


def _slug(name: str) -> str:
    return "".join(ch for ch in name.lower() if ch.isalnum())


def _order_instant(draw: Draw, snapshot_end: datetime, days_before: float) -> datetime:
    """An instant in NZ business hours (7:00-17:00 local) on the day `days_before` the snapshot."""
    day = (snapshot_end - timedelta(days=days_before)).astimezone(NZ).date()
    minutes = int(draw.between(7 * 60, 17 * 60))
    local = datetime(
        day.year,
        day.month,
        day.day,
        minutes // 60,
        minutes % 60,
        int(draw.between(0, 60)),
        tzinfo=NZ,
    )
    instant = local.astimezone(UTC).replace(microsecond=int(draw.between(0, 1000)) * 1000)
    return instant if instant <= snapshot_end else instant - timedelta(days=1)


def generate() -> list[dict[str, str]]:
    draw = Draw(SEED)
    snapshot_end = datetime.fromisoformat(SNAPSHOT).replace(
        hour=23, minute=59, second=59, tzinfo=UTC
    )
    total_customers = sum(a.customers for a in ARCHETYPES)
    names = _business_names(draw, total_customers)
    rows = []
    number = 0
    for archetype in ARCHETYPES:
        for _ in range(archetype.customers):
            number += 1
            contact = f"c-{1000 + number}"
            name = names[number - 1]
            company = "" if draw.chance(BLANK_COMPANY_RATE) else f"{name} Ltd"
            email = f"{draw.pick(('orders', 'hello', 'accounts', 'kitchen'))}@{_slug(name)}.co.nz"
            old_email = f"{_slug(name)}{draw.index(90) + 10}@gmail.com"
            changes_email = draw.chance(EMAIL_CHANGE_RATE)
            area = draw.pick(CITY_AREA_CODES)
            phone = f"+64 {area} {draw.index(900) + 100} {draw.index(9000) + 1000}"
            account_code = f"CUS-{number:04d}"

            start = draw.between(*archetype.start_days)
            end = min(start, draw.between(*archetype.end_days))
            gap = draw.between(*archetype.gap_days)
            value = draw.between(*archetype.order_value)
            days = [start]
            if archetype.label == "new this month":
                count = 1 + draw.index(3)
                days = [start - (start - end) * k / max(count - 1, 1) for k in range(count)]
            elif archetype.gap_days != (1, 1):
                while days[-1] - gap > end:
                    days.append(days[-1] - gap * draw.between(0.6, 1.4))
            for position, before in enumerate(days):
                when = _order_instant(draw, snapshot_end, max(before, 0))
                switched = changes_email and position >= len(days) // 2
                order_email = email if (switched or not changes_email) else old_email
                if draw.chance(BLANK_EMAIL_ORDER_RATE):
                    order_email = ""
                amount = round(value * draw.between(0.7, 1.3), 2)
                repeats = [when]
                if draw.chance(SAME_DAY_REPEAT_RATE):
                    repeats.append(when + timedelta(minutes=int(draw.between(5, 240))))
                rows.extend(
                    _row(
                        instant,
                        contact,
                        amount,
                        name,
                        order_email,
                        company,
                        phone,
                        account_code,
                        prefix="ORD",
                    )
                    for instant in repeats
                )
                if draw.chance(REFUND_RATE):
                    refund_at = when + timedelta(days=draw.between(1, 10))
                    if refund_at <= snapshot_end:
                        refund = -round(amount * draw.between(0.1, 0.5), 2)
                        rows.append(
                            _row(
                                refund_at,
                                contact,
                                refund,
                                name,
                                order_email,
                                company,
                                phone,
                                account_code,
                                prefix="RFD",
                            )
                        )
    rows.sort(key=lambda r: (r["orderDate"], r["contactID"], r["orderReference"]))
    for number, row in enumerate(rows, start=12001):  # number the orders in date order
        prefix, _, epoch_ms = row["orderReference"].split("-")
        row["orderReference"] = f"{prefix}-{number}-{epoch_ms}"
    return rows


def _row(
    instant: datetime,
    contact: str,
    amount: float,
    name: str,
    email: str,
    company: str,
    phone: str,
    account_code: str,
    *,
    prefix: str,
) -> dict[str, str]:
    epoch_ms = int(instant.timestamp() * 1000)
    return {
        "orderReference": f"{prefix}--{epoch_ms}",  # numbered once all orders are sorted
        "contactID": contact,
        "orderDate": instant.strftime("%Y-%m-%dT%H:%M:%S.") + f"{instant.microsecond // 1000:03d}Z",
        "total": f"{amount:.2f}",
        "name": name,
        "email": email,
        "company": company,
        "phone": phone,
        "accountName": company or name,
        "accountCode": account_code,
    }


def to_csv(rows: list[dict[str, str]]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def write(directory: Path = HERE) -> tuple[Path, Path]:
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    rows = generate()
    csv_path = directory / "orders.csv"
    csv_path.write_text(to_csv(rows), encoding="utf-8")
    columns = {name: pa.array([r[name] for r in rows], pa.string()) for name in COLUMNS}
    columns["orderDate"] = pc.cast(columns["orderDate"], pa.timestamp("ms", tz="UTC"))
    columns["total"] = pc.cast(columns["total"], pa.decimal128(12, 2))
    for name in ("name", "email", "company", "phone", "accountName", "accountCode"):
        columns[name] = pc.if_else(pc.equal(columns[name], ""), None, columns[name])
    parquet_path = directory / "orders.parquet"
    pq.write_table(pa.table(columns), parquet_path, compression="zstd")
    return csv_path, parquet_path


if __name__ == "__main__":
    for path in write():
        print(f"wrote {path}")
