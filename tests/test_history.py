"""Segment history (issue 17): each customer's periods, checked against a scalar reference and
against the classifier itself at random instants and at every change point ±1 ms."""

from __future__ import annotations

import json
import statistics
from collections import Counter

import numpy as np
import pyarrow as pa
import pytest
import reference
from helpers import AS_OF_MS, order, said
from hypothesis import example, given
from hypothesis import strategies as st
from strategies import PROPERTY, reference_thresholds, thresholds

from segcli import api
from segcli.core import history, metrics, segments
from segcli.model.schema import (
    CONTACT_ID,
    CREDIT,
    DAY_MS,
    FROM_MS,
    ONGOING,
    ORDER_MS,
    ORDER_REFERENCE,
    SEGMENT,
    SEGMENTS,
    TO_MS,
    TOTAL_CENTS,
)
from segcli.model.settings import Settings

START = 1_700_000_000_000
# Gaps between a customer's rows: on and around every threshold of the rules, and long ones.
GAP_DAYS = [0, 1, 7, 29, 30, 31, 32, 89, 90, 91, 92, 200, 400]

Row = tuple[str, int, int, bool]  # contactID, orderMs, cents, credit note


@st.composite
def order_histories(draw) -> tuple[list[Row], int]:
    """Up to four customers, each a run of orders (some at one instant) and credit notes,
    with gaps on the thresholds ±1 ms and spend that crosses a VIP threshold both ways."""
    rows: list[Row] = []
    customers = draw(st.integers(1, 4))
    for c in range(customers):
        at = START + draw(st.integers(0, 40)) * DAY_MS + draw(st.integers(0, DAY_MS - 1))
        for _ in range(draw(st.integers(1, 7))):
            at += draw(st.sampled_from(GAP_DAYS)) * DAY_MS + draw(st.sampled_from([-1, 0, 1, 7]))
            credit = draw(st.booleans()) and draw(st.booleans())
            cents = draw(st.sampled_from([0, 1, 99_999, 250_000, 250_001, 500_001, 800_000]))
            rows.append((f"c-{c}", at, -cents if credit else cents, credit))
    order = draw(st.permutations(range(len(rows))))  # the input's order must not matter
    rows = [rows[i] for i in order]
    last = max(r[1] for r in rows)
    as_of = last + draw(st.sampled_from([-DAY_MS, 0, 1, 30 * DAY_MS, 95 * DAY_MS, 900 * DAY_MS]))
    return rows, as_of


def table(rows: list[Row]) -> pa.Table:
    return pa.table(
        {
            CONTACT_ID: pa.array([r[0] for r in rows], pa.string()).dictionary_encode(),
            ORDER_MS: pa.array([r[1] for r in rows], pa.int64()),
            TOTAL_CENTS: pa.array([r[2] for r in rows], pa.int64()),
            ORDER_REFERENCE: pa.array([f"o-{i}" for i in range(len(rows))], pa.string()),
            CREDIT: pa.array([r[3] for r in rows], pa.bool_()),
        }
    )


def as_tuples(frame) -> dict[str, list[tuple[str, int, int, bool]]]:
    out: dict[str, list] = {}
    for contact, label, start, end, ongoing in zip(
        frame[CONTACT_ID],
        frame[SEGMENT].astype(str),
        frame[FROM_MS],
        frame[TO_MS],
        frame[ONGOING],
        strict=True,
    ):
        out.setdefault(contact, []).append((label, int(start), int(end), bool(ongoing)))
    return out


def classified_at(rows: list[Row], instants: list[int], settings: Settings) -> list[dict]:
    """What the classifier says of every customer at each instant: the pipeline's own stages
    (the cut, per_customer, measures and the segment rules, as classify runs them), with the
    instants batched into one call: customer `c` as of instant j is `c@j`, from c's rows up to
    it, and the rules read each one's days from its own as-of."""
    if not instants:
        return []
    batched = [(f"{r[0]}@{j}", *r[1:]) for j in range(len(instants)) for r in rows]
    at_of_row = np.repeat(np.array(instants, dtype=np.int64), len(rows))
    orders = table(batched)  # cut_at for each row's own instant: orders after it are gone
    orders = orders.filter(pa.array(np.array([r[1] for r in batched]) <= at_of_row))
    customers = metrics.per_customer(orders, latest=False)
    found: list[dict] = [{} for _ in instants]
    if customers.empty:
        return found
    keys = customers[CONTACT_ID].str.rsplit("@", n=1, expand=True)
    as_of = np.array(instants, dtype=np.int64)[keys[1].astype(int).to_numpy()]
    labels = segments.segment_codes(segments.measures(customers, as_of), settings)
    for contact, j, label in zip(keys[0], keys[1].astype(int), labels, strict=True):
        found[j][contact] = SEGMENTS[label]
    return found


def test_the_batched_classifier_is_the_classifier():
    rows = [("c-0", START, 600_000, False), ("c-1", START, 1_000, False)]
    rows += [("c-0", START + 95 * DAY_MS, -200_000, True), ("c-1", START + 60 * DAY_MS, 1, False)]
    instants = [START, START + 31 * DAY_MS, START + 95 * DAY_MS, START + 200 * DAY_MS]
    for at, found in zip(instants, classified_at(rows, instants, Settings()), strict=True):
        orders, _ = metrics.cut_at(table(rows), at)
        customers = segments.classify(metrics.per_customer(orders, latest=False), at, Settings())
        labels = customers[SEGMENT].astype(str)
        assert found == dict(zip(customers[CONTACT_ID], labels, strict=True)), at


def segment_in(periods: list[tuple[str, int, int, bool]], at: int) -> str | None:
    for label, start, end, ongoing in periods:
        if start <= at < end or (ongoing and start <= at <= end):
            return label
    return None


@given(order_histories(), thresholds())
@PROPERTY
def test_the_periods_equal_the_scalar_reference(history_case, settings):
    rows, as_of = history_case
    got = as_tuples(history.periods(table(rows), as_of, settings))
    assert got == reference.segment_history(rows, as_of, reference_thresholds(settings))


@given(order_histories(), thresholds(), st.lists(st.integers(0, 10**6), max_size=8))
@example(([("c-0", START, 600_000, False)], START + 40 * DAY_MS), Settings(), [])
@PROPERTY
def test_the_segment_at_any_instant_is_what_the_classifier_says(history_case, settings, picks):
    rows, as_of = history_case
    periods = as_tuples(history.periods(table(rows), as_of, settings))
    first = min(r[1] for r in rows)
    span = max(as_of - first, 1)
    instants = {first + span * p // 10**6 for p in picks}
    for spells in periods.values():  # every change point, and either side of it
        instants |= {p[1] + d for p in spells for d in (-1, 0, 1)}
        instants |= {p[2] + d for p in spells for d in (-1, 0, 1)}
    instants = sorted(i for i in instants if i <= as_of)
    for at, truth in zip(instants, classified_at(rows, instants, settings), strict=True):
        from_history = {c: segment_in(p, at) for c, p in periods.items()}
        assert {c: s for c, s in from_history.items() if s is not None} == truth, at


def test_a_customer_walks_new_active_vip_dormant():
    """One order of 100.00, then 4,900.00 forty days later (5,000.00: not VIP), then silence."""
    rows = [("c-1", START, 10_000, False), ("c-1", START + 40 * DAY_MS, 490_000, False)]
    as_of = START + 200 * DAY_MS
    got = as_tuples(history.periods(table(rows), as_of, Settings()))["c-1"]
    new_end = START + 31 * DAY_MS
    second = START + 40 * DAY_MS
    assert got == [
        ("New", START, new_end, False),
        ("Active", new_end, second + 91 * DAY_MS, False),
        ("Dormant", second + 91 * DAY_MS, as_of, True),
    ]
    # 5,000.01 in all: VIP from the second order on, and VIP even when dormant
    rows[1] = ("c-1", second, 490_001, False)
    got = as_tuples(history.periods(table(rows), as_of, Settings()))["c-1"]
    assert got == [
        ("New", START, new_end, False),
        ("Active", new_end, second, False),
        ("VIP", second, as_of, True),
    ]


def test_a_refund_takes_a_customer_back_under_the_vip_threshold():
    rows = [
        ("c-1", START, 600_000, False),
        ("c-1", START + 10 * DAY_MS, -100_000, True),  # a credit note: 5,000.00, not above
    ]
    got = as_tuples(history.periods(table(rows), START + 20 * DAY_MS, Settings()))["c-1"]
    assert [p[0] for p in got] == ["VIP", "New"]
    assert got[1][1] == START + 10 * DAY_MS


def test_credit_notes_alone_make_no_customer_and_later_orders_start_the_history():
    rows = [("c-1", START, -5_000, True), ("c-2", START, 1_000, False)]
    assert list(as_tuples(history.periods(table(rows), START + DAY_MS, Settings()))) == ["c-2"]
    rows.append(("c-1", START + 5 * DAY_MS, 1_000, False))
    got = as_tuples(history.periods(table(rows), START + 6 * DAY_MS, Settings()))["c-1"]
    assert got == [("New", START + 5 * DAY_MS, START + 6 * DAY_MS, True)]


def test_thresholds_of_any_size_are_never_reached_rather_than_overflowing():
    rows = [("c-1", START, 1_000, False), ("c-1", START + 500 * DAY_MS, 1_000, False)]
    huge = Settings(vip_threshold_cents=10**30, dormant_days=10**15, new_days=10**15)
    got = as_tuples(history.periods(table(rows), START + 900 * DAY_MS, huge))
    assert got == {"c-1": [("New", START, START + 900 * DAY_MS, True)]}


def test_orders_after_the_as_of_are_not_history_yet():
    rows = [("c-1", START, 1_000, False), ("c-1", START + 50 * DAY_MS, 900_000, False)]
    got = as_tuples(history.periods(table(rows), START + 49 * DAY_MS, Settings()))["c-1"]
    assert [p[0] for p in got] == ["New", "Active"]


def test_the_packed_sort_key_and_the_lexsort_sort_alike():
    """Both ways sort the rows by (customer, instant): packed when customers × span fit in
    int64, else a lexsort (instants spread 2**20 times wider); ties may come in any order."""
    rng = np.random.default_rng(7)
    codes = rng.integers(0, 50, 2_000)
    ms = rng.integers(-(2**40), 2**40, 2_000)
    ms[:100] = ms[100:200]
    for spread in (1, 2**20):
        order = history._customer_time_order(codes, ms * spread)
        assert sorted(order.tolist()) == list(range(len(ms)))
        pairs = list(zip(codes[order].tolist(), ms[order].tolist(), strict=True))
        assert pairs == sorted(pairs)


# --- segcli history and breakdown --history, through the library and the command line --------


@pytest.fixture(scope="module")
def sample() -> api.Loaded:
    return api.load(keep_orders=True)


def sample_rows(loaded: api.Loaded) -> list[Row]:
    orders = loaded.orders
    return list(
        zip(
            orders[CONTACT_ID].cast(pa.string()).to_pylist(),
            orders[ORDER_MS].to_pylist(),
            orders[TOTAL_CENTS].to_pylist(),
            [False] * orders.num_rows,
            strict=True,
        )
    )


def test_every_sample_customer_has_the_reference_history(sample):
    as_of = sample.as_of(None)
    periods = as_tuples(history.periods(sample.orders, as_of, Settings()))
    assert periods == reference.segment_history(sample_rows(sample), as_of)


def test_history_of_one_customer_agrees_with_show_at_every_change(sample, cli):
    document = cli.json("history", "c-1197")
    periods = document["data"]["periods"]
    assert document["data"]["contactID"] == "c-1197"
    assert document["data"]["name"] == "Red Brick Food Truck"
    assert [p["segment"] for p in periods] == [
        "New", "Active", "Dormant", "Active", "Dormant", "Active", "Dormant",
    ]  # fmt: skip
    assert [p["ongoing"] for p in periods] == [False] * 6 + [True]
    assert periods[-1]["to"] == document["meta"]["asOf"] == "2025-10-23T23:59:59.999Z"
    for before, after in zip(periods, periods[1:], strict=False):
        assert before["to"] == after["from"]
    for period in periods:
        start = api.parse_as_of(period["from"])
        end = api.parse_as_of(period["to"])
        assert period["days"] == round((end - start) / DAY_MS, 2)
        for at in {start, (start + end) // 2, end - 1 if not period["ongoing"] else end}:
            shown = api.customer(sample, "c-1197", as_of=at).to_dict()["data"]
            assert shown["metrics"]["segment"] == period["segment"], (period, at)
        if start > api.parse_as_of(periods[0]["from"]):
            earlier = api.customer(sample, "c-1197", as_of=start - 1).to_dict()["data"]
            assert earlier["metrics"]["segment"] != period["segment"]
    assert api.history(sample, "c-1197").to_dict() == document


def test_history_finds_a_customer_as_show_does_and_says_when_there_is_none(write_csv, cli):
    path = write_csv(
        [order("amy@example.com", AS_OF_MS - 40 * DAY_MS, "10.00"), order("b", AS_OF_MS, "1.00")]
    )
    as_of = "2025-10-23"
    found = cli.json("history", " Amy@Example.com", "--orders", path, "--as-of", as_of)
    assert found["data"]["contactID"] == "amy@example.com"
    assert [p["segment"] for p in found["data"]["periods"]] == ["New", "Active"]
    missing = cli("history", "nobody", "--orders", path, "--format", "json")
    assert missing.exit_code == 1
    assert json.loads(missing.stdout)["error"]["code"] == "NOT_FOUND"
    assert "no customer with contactID 'nobody'" in missing.stderr


def test_a_contact_without_orders_has_no_periods(tmp_path, write_csv, cli):
    path = write_csv([order("c-1", AS_OF_MS, "10.00")])
    contacts = tmp_path / "contacts.csv"
    contacts.write_text("contactID,name\nc-2,Quiet Shop\n", encoding="utf-8")
    args = ("--orders", path, "--customers", contacts, "--as-of", "2025-10-23")
    document = cli.json("history", "c-2", *args)
    assert document["data"] == {"contactID": "c-2", "name": "Quiet Shop", "periods": []}
    table = cli("history", "c-2", *args)
    assert table.exit_code == 0 and "no orders" in table.stdout


def test_breakdown_history_counts_spells_and_moves_as_the_reference_does(sample, cli):
    document = cli.json("breakdown", "--history")
    spent = document["data"]["history"]
    plain = cli.json("breakdown")
    assert {k: v for k, v in document["data"].items() if k != "history"} == plain["data"]
    histories = reference.segment_history(sample_rows(sample), sample.as_of(None))
    assert spent["customers"] == len(histories) == plain["meta"]["total"]
    for label in ("VIP", "Active", "New", "Dormant"):
        spells = [p for ps in histories.values() for p in ps if p[0] == label]
        row = spent["segments"][label]
        assert row["customers"] == sum(any(p[0] == label for p in ps) for ps in histories.values())
        assert row["spells"] == len(spells)
        for kind, ongoing in (("completed", False), ("ongoing", True)):
            days = [(p[2] - p[1]) / DAY_MS for p in spells if p[3] == ongoing]
            assert row[kind]["spells"] == len(days)
            if days:
                assert row[kind]["meanDays"] == round(statistics.mean(days), 2)
                assert row[kind]["medianDays"] == round(statistics.median(days), 2)
            else:
                assert row[kind]["meanDays"] is row[kind]["medianDays"] is None
        assert row["ongoing"]["spells"] == plain["data"]["segment"][label]["count"]
    moves = Counter(
        (a[0], b[0]) for ps in histories.values() for a, b in zip(ps, ps[1:], strict=False)
    )
    assert spent["moves"] == [
        {"from": a, "to": b, "count": n}
        for (a, b), n in sorted(
            moves.items(), key=lambda m: (-m[1], SEGMENTS.index(m[0][0]), SEGMENTS.index(m[0][1]))
        )
    ]


def test_breakdown_history_prints_tables_and_refuses_record_formats(cli):
    table = cli("breakdown", "--history", "--by", "segment")
    assert table.exit_code == 0
    assert "Time in each segment" in table.stdout and "Moves between segments" in table.stdout
    refused = cli("breakdown", "--history", "--format", "csv")
    assert refused.exit_code == 2
    assert "--history" in said(refused) and "table or as JSON" in said(refused)
    crossed = cli.json("breakdown", "--history", "--cross")  # a matrix has no history
    assert "history" not in crossed["data"]


def test_history_prints_a_timeline_and_records(cli):
    table = cli("history", "c-1197")
    assert table.exit_code == 0
    assert "Segment history of c-1197" in table.stdout and "█" in table.stdout
    lines = cli("history", "c-1197", "--format", "ndjson").stdout.splitlines()
    assert [json.loads(line)["segment"] for line in lines][:3] == ["New", "Active", "Dormant"]


def test_a_history_before_the_first_order_is_empty(sample):
    spent = api.breakdown(sample, as_of="2000-01-01", history=True).to_dict()["data"]["history"]
    assert spent["customers"] == 0 and spent["moves"] == []
    assert {s["spells"] for s in spent["segments"].values()} == {0}
    assert spent["segments"]["VIP"]["ongoing"]["meanDays"] is None
