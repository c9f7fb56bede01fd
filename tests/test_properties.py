"""Hypothesis: the vectorised pipeline equals the scalar reference on generated order sets."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta, timezone

import reference
from helpers import AS_OF_MS, DAY, csv_text
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from segcli import pipeline, render, rfm, summary, transitions
from segcli.schema import FREQUENCIES, PURCHASE_FREQUENCY, SEGMENT, SEGMENTS
from segcli.settings import Settings

# Ages that sit on the spec's boundaries (7/30/90-day bands, 30 and 90 days), a millisecond
# either side of them, and some anywhere.
BOUNDARY_DAYS = [0, 1, 6, 7, 8, 14, 15, 29, 30, 31, 60, 89, 90, 91, 92, 180, 181, 270, 271, 400]
NUDGES = [0, 1, -1, DAY - 1, -(DAY - 1), 3_600_000]
OFFSETS = [
    timedelta(0),
    timedelta(hours=13),
    timedelta(hours=12),
    timedelta(hours=-5),
    timedelta(hours=5, minutes=30),
    timedelta(hours=-9, minutes=-30),
]
TOTALS = [
    "5000.00",
    "5000.01",
    "4999.99",
    "2500.00",
    "2500.01",
    "2500",
    "0",
    "-30",
    "0.1",
    "-12.00",
    "1245.50",
    "1666.67",
    "1666.66",
    "0.005",
    "12.345",
    "-0.005",
    "+7",
    ".5",
    "100.",
    "0001.10",
    "-2500.005",
    "$1,245.50",
    "(12.50)",
    "($1,000,000.01)",
    "NZ$ 5000.01",
    "5,000.00 NZD",
    "-$30",
    "1 245.5",
]
BAD_TOTALS = ["abc", "1,24.50", "$", "", "  ", "1e3", "--1", ".", "(-5)", "12,5", "5 $ 5"]
BAD_DATES = [
    "",
    " ",
    "15/10/2025",
    "2025-02-30",
    "2025-10",
    "20251015",
    "2025-10-15T25:00",
    "yesterday",
    "2025-10-15T08:30:00+0575",
]
# Text that stresses CSV quoting and the JSON encoder: quotes, commas, slashes, backslashes, line
# breaks, non-ASCII, formula starts, and the very key the metrics are nested at.
TEXT = st.lists(
    st.sampled_from(list("abcXYZ 0129-_.,;'\"/\\@=+é日本🙂\n") + ['","orderCount":', "\\/"]),
    max_size=8,
).map("".join)


def render_instant(ms: int, style: int, offset: timedelta) -> str:
    moment = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=ms)
    local = moment.astimezone(timezone(offset))
    stamp = local.strftime("%Y-%m-%dT%H:%M:%S")
    ms3 = f"{ms % 1000:03d}"
    zone = local.strftime("%z")  # +1300
    return [
        f"{moment.strftime('%Y-%m-%dT%H:%M:%S')}.{ms3}Z",
        f"{stamp}.{ms3}{zone[:3]}:{zone[3:]}",
        f"{stamp}{zone}",
        moment.strftime("%Y-%m-%d %H:%M:%S"),
        moment.strftime("%Y-%m-%d"),
        f"{moment.strftime('%Y-%m-%dT%H:%M:%S')}.{ms3}123456Z",
        f"{moment.strftime('%Y-%m-%dT%H:%M')}Z",
    ][style]


@st.composite
def order_rows(draw) -> list[dict]:
    contacts = draw(
        st.lists(
            st.sampled_from(["c-1", "c-2", "C-1", " c-3 ", "4", "c-5"]),
            min_size=1,
            max_size=4,
            unique=True,
        )
    )
    rows = []
    for _ in range(draw(st.integers(0, 14))):
        if draw(st.integers(0, 15)) == 0:
            date = draw(st.sampled_from(BAD_DATES))
        else:
            ms = (
                AS_OF_MS
                - draw(st.sampled_from(BOUNDARY_DAYS)) * DAY
                + draw(st.sampled_from(NUDGES))
                + draw(st.sampled_from([0, 0, 0, 2 * DAY]))
            )
            date = render_instant(ms, draw(st.integers(0, 6)), draw(st.sampled_from(OFFSETS)))
        total = (
            draw(st.sampled_from(BAD_TOTALS))
            if draw(st.integers(0, 15)) == 0
            else draw(st.sampled_from(TOTALS))
        )
        contact = draw(st.sampled_from(contacts + ([""] if draw(st.integers(0, 20)) == 0 else [])))
        reference_text = draw(st.sampled_from(["", "ORD-1", "ORD-2", "R-3", "x/y"]))
        rows.append(
            {
                "orderReference": reference_text or f"ORD-{len(rows)}",
                "contactID": contact,
                "orderDate": date,
                "total": total,
                "name": draw(TEXT),
                "email": draw(st.sampled_from(["", "a@x.co", "b@y.co", " "])),
                "company": draw(TEXT),
                "phone": draw(st.sampled_from(["", "+64 9 555 0101", "=cmd"])),
            }
        )
    if rows and draw(st.booleans()):  # an exact tie on one customer's latest instant
        twin = dict(rows[-1], orderReference="TWIN", total="1.00")
        rows.append(twin)
    return rows


def pipeline_customers(tmp_path, rows: list[dict], as_of_ms: int = AS_OF_MS):
    path = tmp_path / "orders.csv"
    path.write_text(
        csv_text(rows, reference.REQUIRED + ("name", "email", "company", "phone")), encoding="utf-8"
    )
    result = pipeline.customers([str(path)], as_of_ms=as_of_ms)
    records = json.loads(render.records_json(result.customers, render.SHOW_KEYS))
    return {r["contactID"]: r for r in records}, result


def expected(rows: list[dict], as_of_ms: int = AS_OF_MS) -> dict[str, dict]:
    out = reference.customers(rows, as_of_ms)
    for record in out.values():  # the files written here have no account columns
        record["accountName"] = record["accountCode"] = None
    return out


PROPERTY = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@PROPERTY
@given(rows=order_rows())
@example(
    rows=[
        {
            "orderReference": "A",
            "contactID": "c-1",
            "orderDate": "2025-07-25T00:00:00.000Z",
            "total": "5000.01",
            "name": "",
            "email": "",
            "company": "",
            "phone": "",
        }
    ]
)
def test_pipeline_equals_reference(tmp_path, rows):
    got, result = pipeline_customers(tmp_path, rows)
    assert got == expected(rows)


@PROPERTY
@given(rows=order_rows())
def test_skipped_rows_are_counted_by_first_reason(tmp_path, rows):
    _, result = pipeline_customers(tmp_path, rows)
    reasons = [reference.skip_reason(r) for r in rows]
    skipped = [r for r in reasons if r is not None]
    summary = next((n for n in result.notices if n.startswith("skipped")), None)
    if not skipped:
        assert summary is None
        return
    assert summary is not None
    assert summary.startswith(f"skipped {len(skipped)} of {len(rows)} rows: ")
    for reason in set(skipped):
        first_line = reasons.index(reason) + 2
        n = skipped.count(reason)
        where = f"(first: line {first_line})" if n > 1 else f"(line {first_line})"
        assert f"{n} {reason} {where}" in summary


@PROPERTY
@given(rows=order_rows(), seed=st.integers(0, 2**32 - 1))
def test_shuffled_input_gives_reference_answer_for_that_order(tmp_path, rows, seed):
    """Row order only matters for ties on the latest instant (the later row wins); whatever the
    order, the answer is the reference's answer for the rows in that order."""
    shuffled = rows[:]
    random.Random(seed).shuffle(shuffled)
    got, _ = pipeline_customers(tmp_path, shuffled)
    assert got == expected(shuffled)


@PROPERTY
@given(rows=order_rows(), seed=st.integers(0, 2**32 - 1))
def test_shuffle_invariant_without_ties(tmp_path, rows, seed):
    """With every order at its own instant and details constant per customer, row order is
    irrelevant: shuffled input gives exactly the same customers."""
    seen, distinct = set(), []
    for row in rows:
        key = reference.parse_instant(row["orderDate"])
        if key not in seen:
            seen.add(key)
            distinct.append(dict(row, name="N", email="e@x", company="C", phone="P"))
    shuffled = distinct[:]
    random.Random(seed).shuffle(shuffled)
    assert pipeline_customers(tmp_path, distinct)[0] == pipeline_customers(tmp_path, shuffled)[0]


@PROPERTY
@given(rows=order_rows(), days_back=st.sampled_from([0, 1, 30, 31, 90, 91, 400]))
def test_as_of_cut_matches_reference(tmp_path, rows, days_back):
    as_of = AS_OF_MS - days_back * DAY
    got, result = pipeline_customers(tmp_path, rows, as_of_ms=as_of)
    assert got == expected(rows, as_of)
    later = sum(
        1
        for r in rows
        if reference.skip_reason(r) is None and reference.parse_instant(r["orderDate"]) > as_of
    )
    notice = [n for n in result.notices if n.startswith("excluded")]
    orders = "order" if later == 1 else "orders"
    assert notice == (
        [
            f"excluded {later:,} {orders} dated after the as-of instant "
            f"{reference.format_instant(as_of)}"
        ]
        if later
        else []
    )


# --- settings, RFM, transitions, cross-tab (issue 4) ------------------------------------------


@st.composite
def thresholds(draw) -> Settings:
    """Settings on and around the defaults, bands always increasing."""
    bands = sorted(
        draw(
            st.sets(
                st.sampled_from([0, 1, 6, 7, 8, 14, 29, 30, 31, 89, 90, 91, 200]),
                min_size=3,
                max_size=3,
            )
        )
    )
    return Settings(
        vip_threshold_cents=draw(st.sampled_from([0, 1, 250_000, 250_001, 499_999, 500_000])),
        dormant_days=draw(st.sampled_from([0, 1, 29, 30, 31, 90, 91, 365])),
        new_days=draw(st.sampled_from([0, 1, 7, 30, 31, 90])),
        weekly_days=bands[0],
        monthly_days=bands[1],
        quarterly_days=bands[2],
    )


def reference_thresholds(s: Settings) -> reference.Thresholds:
    return reference.Thresholds(
        vip_cents=s.vip_threshold_cents,
        dormant_days=s.dormant_days,
        new_days=s.new_days,
        weekly=s.weekly_days,
        monthly=s.monthly_days,
        quarterly=s.quarterly_days,
    )


def load_rows(tmp_path, rows: list[dict]) -> pipeline.Loaded:
    path = tmp_path / "orders.csv"
    path.write_text(
        csv_text(rows, reference.REQUIRED + ("name", "email", "company", "phone")), encoding="utf-8"
    )
    return pipeline.load_orders([str(path)])


@PROPERTY
@given(rows=order_rows(), chosen=thresholds())
def test_any_thresholds_match_reference(tmp_path, rows, chosen):
    result = pipeline.classify_at(load_rows(tmp_path, rows), AS_OF_MS, chosen)
    records = json.loads(render.records_json(result.customers, render.SHOW_KEYS))
    got = {r["contactID"]: r for r in records}
    want = reference.customers(rows, AS_OF_MS, reference_thresholds(chosen))
    for record in want.values():
        record["accountName"] = record["accountCode"] = None
    assert got == want


@PROPERTY
@given(rows=order_rows(), days_back=st.sampled_from([0, 3, 31, 91]))
def test_rfm_scores_match_reference(tmp_path, rows, days_back):
    result = pipeline.classify_at(load_rows(tmp_path, rows), AS_OF_MS - days_back * DAY)
    scored = rfm.score(result.customers, Settings())
    records = json.loads(render.records_json(scored, render.SHOW_KEYS))
    got = {r["contactID"]: r["metrics"].pop("rfm") for r in records}
    plain = json.loads(render.records_json(result.customers, render.SHOW_KEYS))
    assert records == plain  # additive: every other key is unchanged
    base = reference.customers(rows, AS_OF_MS - days_back * DAY)
    assert got == reference.rfm(base)


@PROPERTY
@given(
    rows=order_rows(),
    since=st.sampled_from([0, 1, 7, 30, 31, 90, 91, 181, 400]),
    until=st.sampled_from([0, 1, 30]),
    chosen=thresholds(),
)
def test_transitions_and_cross_tab_match_reference(tmp_path, rows, since, until, chosen):
    loaded = load_rows(tmp_path, rows)
    to_ms = AS_OF_MS - until * DAY
    from_ms = to_ms - since * DAY
    before = pipeline.classify_at(loaded, from_ms, chosen).customers
    after = pipeline.classify_at(loaded, to_ms, chosen).customers
    got = transitions.matrix(before, after).to_dict(orient="index")
    t = reference_thresholds(chosen)
    assert got == reference.transitions(rows, from_ms, to_ms, t)
    cross = summary.crosstab(after[SEGMENT], after[PURCHASE_FREQUENCY], SEGMENTS, FREQUENCIES)
    assert cross.to_dict(orient="index") == reference.cross(reference.customers(rows, to_ms, t))


@PROPERTY
@given(first=order_rows(), second=order_rows(), data=st.data())
def test_overlapping_files_match_reference(tmp_path, first, second, data):
    """A later file repeating some of an earlier file's orders exactly (and some changed)."""
    copies = data.draw(st.lists(st.sampled_from(first), max_size=6)) if first else []
    changed = [dict(r, total="999.99") for r in copies[:1]]
    first = first + first[-1:]  # a repeat inside one file counts twice
    second = second + copies + changed
    paths = []
    for name, rows in (("a.csv", first), ("b.csv", second)):
        path = tmp_path / name
        columns = reference.REQUIRED + ("name", "email", "company", "phone")
        path.write_text(csv_text(rows, columns), encoding="utf-8")
        paths.append(str(path))
    result = pipeline.customers(paths, as_of_ms=AS_OF_MS)
    records = json.loads(render.records_json(result.customers, render.SHOW_KEYS))
    want = reference.customers_from_files([first, second], AS_OF_MS)
    for record in want.values():
        record["accountName"] = record["accountCode"] = None
    assert {r["contactID"]: r for r in records} == want


@settings(max_examples=300, deadline=None)
@given(
    text=st.one_of(
        st.sampled_from(TOTALS + BAD_TOTALS),
        st.decimals(
            allow_nan=False, allow_infinity=False, places=3, min_value=-(10**9), max_value=10**9
        ).map(str),
        st.from_regex(r"[+-]?\d{0,15}(\.\d{0,5})?", fullmatch=True),
    )
)
def test_amount_parsing_matches_reference(text):
    assert pipeline.parse_amount(text) == reference.parse_cents(text)


@settings(max_examples=400, deadline=None)
@given(
    text=st.from_regex(
        r"(\$ ?)?\(?[+-]?(NZ\$|\$|€|USD )?[+-]?\d{1,4}([,. '](\d{2,4}))*([.,]\d{0,3})?"
        r"( ?(€|EUR))?\)?( EUR)?",
        fullmatch=True,
    ),
    decimal=st.sampled_from([".", ","]),
)
def test_export_amount_forms_match_reference(text, decimal):
    assert pipeline.parse_amount(text, decimal=decimal) == reference.parse_cents(text, decimal)


@settings(max_examples=300, deadline=None)
@given(
    text=st.one_of(
        st.sampled_from(BAD_DATES),
        st.from_regex(
            r"\d{4}-[01]\d-[0-3]\d([T ][0-2]\d:[0-5]\d(:[0-5]\d(\.\d{1,9})?)?"
            r"(Z|[+-](0\d|1[0-4])(:?[0-5]\d)?)?)?",
            fullmatch=True,
        ),
    )
)
def test_as_of_parsing_matches_reference(text):
    got = None
    try:
        got = pipeline.parse_as_of(text)
    except ValueError:
        pass
    assert got == reference.parse_instant(text, end_of_day=True)


def test_large_multi_chunk_file_equals_reference(tmp_path):
    """Thousands of boundary-heavy rows, so that pyarrow reads the CSV in several chunks."""
    rng = random.Random(20251023)
    rows = []
    for i in range(60_000):
        ms = (
            AS_OF_MS
            - rng.choice(BOUNDARY_DAYS) * DAY
            + rng.choice(NUDGES)
            + rng.choice([0, 0, 0, 2 * DAY])
        )
        rows.append(
            {
                "orderReference": f"ORD-{i % 7000}",
                "contactID": f"c-{rng.randrange(3000)}",
                "orderDate": render_instant(ms, rng.randrange(7), rng.choice(OFFSETS))
                if rng.random() > 0.001
                else rng.choice(BAD_DATES),
                "total": rng.choice(TOTALS) if rng.random() > 0.001 else rng.choice(BAD_TOTALS),
                "name": rng.choice(["", "Cafe", 'Bakery, "Ltd"', "日本"]),
                "email": rng.choice(["", "a@x.co"]),
                "company": "",
                "phone": rng.choice(["", "1"]),
            }
        )
    got, result = pipeline_customers(tmp_path, rows)
    path = tmp_path / "orders.csv"
    assert path.stat().st_size > 3 * 2**20  # pyarrow's blocks are 1 MiB
    assert got == expected(rows)
    assert len(got) > 2500
