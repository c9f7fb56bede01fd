"""The scalar oracle: SPEC §1-3 read row by row, with datetime, Decimal and Fraction.

Slow and obvious on purpose. It shares no code with segcli: the vectorised pipeline is checked
against it (tests/test_properties.py). It takes rows of raw strings, as a CSV has them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

DAY = 86_400_000
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
REQUIRED = ("orderReference", "contactID", "orderDate", "total")
DETAILS = ("name", "email", "company", "phone", "accountName", "accountCode")

_INSTANT = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})"
    r"(?:[T ]([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:\.([0-9]+))?)?"
    r"( ?(?:Z|[+-][0-9]{2}(?::?[0-9]{2})?))?)?"
)
_AMOUNT = re.compile(r"([+-]?)([0-9]*)(?:\.([0-9]*))?")


def clean(value: str | None) -> str | None:
    """Trimmed text; empty or white space only counts as missing."""
    if value is None:
        return None
    value = value.strip()
    return value or None


def parse_instant(text: str | None, *, end_of_day: bool = False) -> int | None:
    """ISO 8601 as SPEC §1 lists it -> ms since the epoch, UTC; None if it does not parse."""
    text = clean(text)
    if text is None:
        return None
    m = _INSTANT.fullmatch(text)
    if not m:
        return None
    year, month, day, hour, minute, second, fraction, zone = m.groups()
    zone = zone.lstrip(" ") if zone else zone
    try:
        day_start = datetime.combine(date(int(year), int(month), int(day)), datetime.min.time())
    except ValueError:
        return None
    h, mi, s = int(hour or 0), int(minute or 0), int(second or 0)
    if h > 23 or mi > 59 or s > 59:
        return None
    offset_minutes = 0
    if zone and zone != "Z":
        digits = zone[1:].replace(":", "")
        offset_minutes = int(digits[:2]) * 60 + int(digits[2:] or 0)
        if int(digits[2:] or 0) > 59:
            return None
        if zone[0] == "-":
            offset_minutes = -offset_minutes
    local = day_start.replace(tzinfo=UTC) + timedelta(hours=h, minutes=mi, seconds=s)
    ms = (local - EPOCH) // timedelta(milliseconds=1)
    ms += int((fraction or "")[:3].ljust(3, "0"))  # below the millisecond is dropped
    ms -= offset_minutes * 60_000
    if end_of_day and hour is None:
        ms += DAY - 1
    return ms


CURRENCY_SYMBOLS = "$€£¥₹"
GROUPING = {".": ", '\u00a0\u202f", ",": ". '\u00a0\u202f"}


def _strip_currency(text: str) -> str:
    """`-NZ$ 12` -> `-12`, `12.00 EUR` -> `12.00`: a symbol (after up to 3 capitals) or a 3-letter
    code and a space before the number, or a symbol or a space and a 3-letter code after it."""
    sign = ""
    if text[:1] in ("+", "-"):
        sign, text = text[0], text[1:].lstrip(" \t")
    capitals = 0
    while capitals < min(3, len(text)) and "A" <= text[capitals] <= "Z":
        capitals += 1
    if capitals < len(text) and text[capitals] in CURRENCY_SYMBOLS:
        text = text[capitals + 1 :].lstrip(" \t")
    elif capitals == 3 and text[3:4] in (" ", "\t"):
        text = text[4:].lstrip(" \t")
    if text[-1:] in CURRENCY_SYMBOLS:
        text = text[:-1].rstrip(" \t")
    elif len(text) >= 4 and all("A" <= c <= "Z" for c in text[-3:]) and text[-4] in (" ", "\t"):
        text = text[:-4].rstrip(" \t")
    return sign + text


def parse_cents(text: str | None, decimal: str = ".") -> int | None:
    """An amount -> integer cents, rounded half away from zero; None if not a number.

    Accepted around the decimal number: parentheses for a negative, a currency symbol or code,
    and thousands grouped in threes by one of GROUPING[decimal]."""
    text = clean(text)
    if text is None:
        return None
    text = _strip_currency(text)  # a currency may sit outside the parentheses or inside
    negative = len(text) >= 2 and text[0] == "(" and text[-1] == ")"
    if negative:
        text = _strip_currency(text[1:-1].strip(" \t"))
    sign = text[:1] if text[:1] in ("+", "-") else ""
    body = text[len(sign) :]
    if negative and sign:
        return None
    whole, mark, fraction = body.partition(decimal)
    separators = GROUPING[decimal]
    if any(c in separators for c in whole):
        groups = re.split("[" + re.escape(separators) + "]", whole)
        if not (1 <= len(groups[0]) <= 3 and all(len(g) == 3 for g in groups[1:])):
            return None
        whole = "".join(groups)
    if not whole.isdigit() and whole != "":
        return None
    if not (fraction.isdigit() or fraction == ""):
        return None
    plain = f"{sign}{whole}{'.' if mark else ''}{fraction}"
    m = _AMOUNT.fullmatch(plain)
    if not m or not re.search(r"[0-9]", plain) or not whole.isascii() or not fraction.isascii():
        return None
    if len(m.group(2).lstrip("0")) > 13:  # segcli's documented limit on whole digits
        return None
    amount = Decimal(plain).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return int(-amount * 100 if negative else amount * 100)


def format_instant(ms: int) -> str:
    moment = EPOCH + timedelta(milliseconds=ms)
    return f"{moment.year:04d}-" + moment.strftime("%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def format_cents(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    return f"{sign}{abs(cents) // 100}.{abs(cents) % 100:02d}"


@dataclass
class Thresholds:
    vip_cents: int = 500_000
    dormant_days: int = 90
    new_days: int = 30
    weekly: int = 7
    monthly: int = 30
    quarterly: int = 90


@dataclass
class _Customer:
    orders: list[tuple[int, int, dict]] = field(default_factory=list)  # (ms, input index, row)


def skip_reason(row: dict) -> str | None:
    """The first reason a row is skipped, in the order SPEC §1 lists the columns."""
    if clean(row.get("orderReference")) is None:
        return "empty orderReference"
    if clean(row.get("contactID")) is None:
        return "empty contactID"
    if clean(row.get("orderDate")) is None:
        return "empty orderDate"
    if parse_instant(row["orderDate"]) is None:
        return "unparseable orderDate"
    if clean(row.get("total")) is None:
        return "empty total"
    if parse_cents(row["total"]) is None:
        return "unparseable total"
    return None


_NUMERIC_DATE = re.compile(
    r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?"
)
_ISO_SHAPED = re.compile(r"\d{4}-\d{2}-\d{2}([T ].*)?")


def with_inferred_dates(rows: list[dict]) -> list[dict]:
    """A file with no ISO-shaped date whose day/month/year dates prove their order (a first
    number above 12 is a day, a second one a month; not both) has them read in that order:
    rewritten here as ISO dates. Any other file is returned as it is."""
    dates = [clean(r.get("orderDate")) for r in rows]
    if any(d is not None and _ISO_SHAPED.fullmatch(d) for d in dates):
        return rows
    found = [m for d in dates if d is not None and (m := _NUMERIC_DATE.fullmatch(d))]
    day_first = any(int(m.group(1)) > 12 for m in found)
    month_first = any(int(m.group(2)) > 12 for m in found)
    if day_first == month_first:
        return rows
    out = []
    for row, text in zip(rows, dates, strict=True):
        m = _NUMERIC_DATE.fullmatch(text) if text is not None else None
        if m is None:
            out.append(row)
            continue
        a, b, year, hour, minute, second = m.groups()
        day, month = (a, b) if day_first else (b, a)
        iso = f"{year}-{int(month):02d}-{int(day):02d}"
        if hour is not None:
            iso += f" {int(hour):02d}:{minute}:{second or '00'}"
        out.append(dict(row, orderDate=iso))
    return out


NOT_COUNTED = {"cancelled", "canceled", "voided", "refunded", "failed", "deleted", "draft", "trash"}
_PLAIN = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)")


def counted_rows(rows: list[dict]) -> list[dict]:
    """Rows whose `status` (if any; a `wc-` prefix ignored) is not one that does not count, each
    with a `total` of quantity x unit price (exact, half away from zero) where it has none."""
    out = []
    for row in rows:
        status = (clean(row.get("status")) or "").lower().removeprefix("wc-")
        if status in NOT_COUNTED:
            continue
        if "total" not in row and "quantity" in row:
            q, p = clean(row.get("quantity")), clean(row.get("unitPrice"))
            if q is None or p is None:
                total = ""
            elif not (_PLAIN.fullmatch(q) and _PLAIN.fullmatch(p)):
                total = "abc"
            else:
                product = (Decimal(q) * Decimal(p)).quantize(Decimal("0.01"), ROUND_HALF_UP)
                total = format_cents(int(product * 100))
            row = dict(row, total=total)
        out.append(row)
    return out


def fold_lines(rows: list[dict], line_totals: str | None = None) -> list[dict]:
    """One file's rows as orders (SPEC §1, issue 12): rows identical in every column count once;
    rows sharing a reference are the lines of one order, which counts at its earliest line with
    the sum of its lines' totals, or the one total they repeat when every multi-line order repeats
    one total (`line_totals` 'sum' or 'once' says instead); an order with a skipped line, or whose
    lines name different customers, is skipped whole. Each order is its first line's row, with
    its instant and total rewritten; rows with no reference pass through (and are skipped)."""
    if line_totals is None and rows and all("total" not in r and "quantity" in r for r in rows):
        line_totals = "sum"  # quantity x unit price is a line's amount, unless the user says
    rows = counted_rows(with_inferred_dates(rows))
    unique, seen = [], set()
    for row in rows:
        identity = tuple(sorted(row.items()))
        if clean(row.get("orderReference")) is not None and identity in seen:
            continue
        seen.add(identity)
        unique.append(row)
    groups: dict[str, list[dict]] = {}
    for row in unique:
        ref = clean(row.get("orderReference"))
        if ref is not None:
            groups.setdefault(ref, []).append(row)
    counted = {}
    for ref, lines in groups.items():
        contacts = {clean(r.get("contactID")) for r in lines} - {None}
        if len(contacts) <= 1 and all(skip_reason(r) is None for r in lines):
            counted[ref] = lines
    multi = [lines for lines in counted.values() if len(lines) > 1]
    repeated = all(len({parse_cents(r["total"]) for r in lines}) == 1 for lines in multi)
    once = line_totals == "once" or (line_totals is None and repeated)
    orders = []
    for row in unique:
        ref = clean(row.get("orderReference"))
        if ref is None:
            orders.append(row)
            continue
        lines = counted.get(ref) or groups[ref]
        if row is not lines[0]:
            continue
        if ref not in counted:  # skipped whole: a row that cannot count stands for it
            orders.append(dict(row, orderReference=""))
            continue
        cents = [parse_cents(r["total"]) for r in lines]
        earliest = min(parse_instant(r["orderDate"]) for r in lines)
        total = cents[0] if once else sum(cents)
        orders.append(dict(row, orderDate=format_instant(earliest), total=format_cents(total)))
    return orders


def line_skips(rows: list[dict]) -> tuple[list[str | None], int, int | None]:
    """Per row of one file, why it is skipped (None: counted, or counted once as a duplicate),
    the number of duplicate rows, and, where rows share references, how many orders the
    skipped rows make (None: no reference repeats)."""
    rows = with_inferred_dates(rows)
    refs = [clean(r.get("orderReference")) for r in rows]
    present = [ref for ref in refs if ref is not None]
    folded = len(set(present)) < len(present)
    seen, duplicate = set(), []
    for row, ref in zip(rows, refs, strict=True):
        identity = tuple(sorted(row.items()))
        duplicate.append(folded and ref is not None and identity in seen)
        seen.add(identity)
    reasons = [None if dup else skip_reason(r) for r, dup in zip(rows, duplicate, strict=True)]
    if not folded:
        return reasons, 0, None
    lines: dict[str, list[int]] = {}
    for i, ref in enumerate(refs):
        if ref is not None and not duplicate[i]:
            lines.setdefault(ref, []).append(i)
    own = list(reasons)
    for members in lines.values():
        contacts = {clean(rows[i].get("contactID")) for i in members} - {None}
        lost = any(own[i] is not None for i in members)
        for i in members:
            if own[i] is None and len(contacts) > 1:
                reasons[i] = "conflicting contactID"
            elif own[i] is None and lost:
                reasons[i] = "rows of an order with a skipped row"
    orders = {refs[i] if refs[i] is not None else f"#{i}" for i, r in enumerate(reasons) if r}
    return reasons, sum(duplicate), len(orders)


def customers(
    rows: list[dict], as_of_ms: int, t: Thresholds | None = None, *, fold: bool = True
) -> dict[str, dict]:
    """Every customer as the API shows it (show's keys), by contactID, from one file's rows."""
    t = t or Thresholds()
    if fold:
        rows = fold_lines(rows)
    by_contact: dict[str, _Customer] = {}
    for index, row in enumerate(rows):
        if skip_reason(row) is not None:
            continue
        ms = parse_instant(row["orderDate"])
        if ms > as_of_ms:
            continue
        contact = clean(row["contactID"])
        by_contact.setdefault(contact, _Customer()).orders.append((ms, index, row))

    result = {}
    for contact, customer in by_contact.items():
        orders = sorted(customer.orders, key=lambda o: (o[0], o[1]))  # latest last
        count = len(orders)
        spend = sum(parse_cents(o[2]["total"]) for o in orders)
        first, last = orders[0][0], orders[-1][0]
        details = {}
        for name in DETAILS:
            values = [clean(o[2].get(name)) for o in orders]
            present = [v for v in values if v is not None]
            details[name] = present[-1] if present else None
        days_ago = (as_of_ms - last) // DAY
        first_days_ago = (as_of_ms - first) // DAY
        result[contact] = {
            "contactID": contact,
            **details,
            "metrics": {
                "orderCount": count,
                "totalSpend": format_cents(spend),
                "lastOrderDate": format_instant(last),
                "lastOrderReference": clean(orders[-1][2]["orderReference"]),
                "segment": segment(count, spend, days_ago, first_days_ago, t),
                "lastOrderDaysAgo": days_ago,
                "purchaseFrequency": frequency(count, (last - first) // DAY, t),
            },
        }
    return result


def segment(count: int, spend: int, days_ago: int, first_days_ago: int, t: Thresholds) -> str:
    if count == 0:
        return "New"
    if spend > t.vip_cents:
        return "VIP"
    if days_ago > t.dormant_days:
        return "Dormant"
    if first_days_ago <= t.new_days:
        return "New"
    return "Active"


def frequency(count: int, lifespan_days: int, t: Thresholds) -> str:
    if count == 0:
        return "None"
    if count == 1:
        return "One-time"
    avg = Fraction(lifespan_days, count - 1)
    if avg <= t.weekly:
        return "Weekly"
    if avg <= t.monthly:
        return "Monthly"
    if avg <= t.quarterly:
        return "Quarterly"
    return "Occasional"


# --- RFM, transitions and the cross-tab (issue 4) --------------------------------------------

# The default table, copied from the issues' text: (name, recency, frequency, monetary ranges).
RFM_TABLE = [  # issue 12's order: every named row can match
    ("Champions", (4, 5), (4, 5), (4, 5)),
    ("Loyal Customers", (2, 5), (3, 5), (3, 5)),
    ("New Customers", (4, 5), (1, 1), (1, 1)),
    ("Promising", (3, 4), (1, 1), (1, 1)),
    ("Potential Loyalist", (3, 5), (1, 3), (1, 3)),
    ("Need Attention", (2, 3), (2, 3), (2, 3)),
    ("About To Sleep", (2, 3), (1, 2), (1, 2)),
    ("Can't Lose Them", (1, 1), (4, 5), (4, 5)),
    ("At Risk", (1, 2), (2, 5), (2, 5)),
    ("Lost", (1, 2), (1, 2), (1, 2)),
]


def _worse_count(value, values, worse) -> int:
    return sum(1 for other in values if worse(other, value))


def rfm_table_10(table=RFM_TABLE) -> list:
    """The table on the 1-10 scale, as issue 17 words it: lo..hi on 1-5 becomes 2lo-1..2hi."""
    return [(name, *[(2 * lo - 1, 2 * hi) for lo, hi in ranges]) for name, *ranges in table]


def rfm(customers: dict[str, dict], table=RFM_TABLE, scale: int = 5) -> dict[str, dict]:
    """Each customer's rfm object: for each measure, 1 + floor(scale * w / n), w = how many
    customers are strictly worse. Recency is lastOrderDaysAgo (more days is worse, no orders is
    worst). The score is "545" on scale 5 and "10-9-7" on scale 10."""
    n = len(customers)
    days = {c: m["metrics"]["lastOrderDaysAgo"] for c, m in customers.items()}
    counts = {c: m["metrics"]["orderCount"] for c, m in customers.items()}
    spends = {c: parse_cents(m["metrics"]["totalSpend"]) for c, m in customers.items()}

    def more_days(a, b):  # is a worse than b on recency?
        if a is None:
            return b is not None
        return b is not None and a > b

    out = {}
    for contact in customers:
        r = 1 + scale * _worse_count(days[contact], days.values(), more_days) // n
        f = 1 + scale * _worse_count(counts[contact], counts.values(), lambda a, b: a < b) // n
        m = 1 + scale * _worse_count(spends[contact], spends.values(), lambda a, b: a < b) // n
        name = "Others"
        for label, rr, fr, mr in table:
            if rr[0] <= r <= rr[1] and fr[0] <= f <= fr[1] and mr[0] <= m <= mr[1]:
                name = label
                break
        out[contact] = {
            "recency": r,
            "frequency": f,
            "monetary": m,
            "score": f"{r}{f}{m}" if scale == 5 else f"{r}-{f}-{m}",
            "segment": name,
        }
    return out


SEGMENT_LABELS = ("VIP", "Active", "New", "Dormant")
FREQUENCY_LABELS = ("Weekly", "Monthly", "Quarterly", "Occasional", "One-time", "None")


def transitions(rows: list[dict], from_ms: int, to_ms: int, t: Thresholds | None = None):
    """{from segment or '(none)': {to segment: count}} for every customer who exists at to_ms."""
    before = customers(rows, from_ms, t)
    after = customers(rows, to_ms, t)  # folded by each
    matrix = {r: dict.fromkeys(SEGMENT_LABELS, 0) for r in (*SEGMENT_LABELS, "(none)")}
    for contact, record in after.items():
        source = before[contact]["metrics"]["segment"] if contact in before else "(none)"
        matrix[source][record["metrics"]["segment"]] += 1
    return matrix


def cross(customers_by_id: dict[str, dict]):
    """{segment: {purchaseFrequency: count}}, every label present."""
    matrix = {s: dict.fromkeys(FREQUENCY_LABELS, 0) for s in SEGMENT_LABELS}
    for record in customers_by_id.values():
        metrics = record["metrics"]
        matrix[metrics["segment"]][metrics["purchaseFrequency"]] += 1
    return matrix


def customers_from_files(
    files: list[list[dict]], as_of_ms: int, t: Thresholds | None = None
) -> dict[str, dict]:
    """Several files read as one table. Rows inside one file are folded into orders first
    (fold_lines). An order is its reference and its customer: copies of it in several files
    that all have the same instant and total count once, as the first; copies that differ count
    as the latest file's copy. The same reference for another customer is another order."""
    files = [fold_lines(rows) for rows in files]
    copies: dict[tuple, list[tuple[int, int, tuple]]] = {}
    for k, rows in enumerate(files):
        for i, row in enumerate(rows):
            if skip_reason(row) is None:
                key = (clean(row["orderReference"]), clean(row["contactID"]))
                value = (parse_instant(row["orderDate"]), parse_cents(row["total"]))
                copies.setdefault(key, []).append((k, i, value))
    keep = set()
    for found in copies.values():
        if len({value for _, _, value in found}) == 1:
            keep.add(found[0][:2])
        else:
            keep.add(max(found)[:2])  # the latest file's copy
    counted = []
    for k, rows in enumerate(files):
        for i, row in enumerate(rows):
            if skip_reason(row) is not None or (k, i) in keep:
                counted.append(row)
    return customers(counted, as_of_ms, t, fold=False)


def segment_history(
    rows: list[tuple[str, int, int, bool]], as_of_ms: int, t: Thresholds | None = None
) -> dict[str, list[tuple[str, int, int, bool]]]:
    """{contactID: [(segment, from, to, ongoing), ...]} from normalised rows (contactID, ms,
    cents, is_credit): a customer's segment can change only at a row, at the end of its first
    new_days days, and dormant_days after an order; it is evaluated at each such instant from
    the rows up to it, and runs of one segment are joined. The last period ends at the as-of."""
    t = t or Thresholds()
    rows = [r for r in rows if r[1] <= as_of_ms]
    result = {}
    for contact in dict.fromkeys(r[0] for r in rows):
        mine = [r for r in rows if r[0] == contact]
        order_times = sorted(r[1] for r in mine if not r[3])
        if not order_times:
            continue
        first = order_times[0]
        candidates = {r[1] for r in mine} | {first + (t.new_days + 1) * DAY}
        candidates |= {o + (t.dormant_days + 1) * DAY for o in order_times}
        instants = sorted(c for c in candidates if first <= c <= as_of_ms)
        labels = []
        for at in instants:
            so_far = [r for r in mine if r[1] <= at]
            orders_at = [r[1] for r in so_far if not r[3]]
            spend = sum(r[2] for r in so_far)
            days_ago = (at - max(orders_at)) // DAY
            first_days_ago = (at - min(orders_at)) // DAY
            labels.append(segment(len(orders_at), spend, days_ago, first_days_ago, t))
        periods = []
        for at, label in zip(instants, labels, strict=True):
            if periods and periods[-1][0] == label:
                continue
            if periods:
                periods[-1] = (*periods[-1][:2], at, False)
            periods.append((label, at, as_of_ms, True))
        result[contact] = periods
    return result
