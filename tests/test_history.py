"""Segment history (issue 17): each customer's periods, checked against a scalar reference and
against the classifier itself at random instants and at every change point ±1 ms."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import reference
from hypothesis import example, given
from hypothesis import strategies as st
from strategies import PROPERTY, reference_thresholds, thresholds

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


def test_orders_after_the_as_of_are_not_history_yet():
    rows = [("c-1", START, 1_000, False), ("c-1", START + 50 * DAY_MS, 900_000, False)]
    got = as_tuples(history.periods(table(rows), START + 49 * DAY_MS, Settings()))["c-1"]
    assert [p[0] for p in got] == ["New", "Active"]


def test_the_packed_sort_key_and_the_lexsort_agree():
    """Both ways give the stable (customer, instant) order: packed when customers × span fit
    in int64, else a lexsort (instants spread 2**20 times wider)."""
    rng = np.random.default_rng(7)
    codes = rng.integers(0, 50, 2_000)
    ms = rng.integers(-(2**40), 2**40, 2_000)
    ms[:100] = ms[100:200]  # ties within customers keep the input's order
    for spread in (1, 2**20):
        assert np.array_equal(
            history._customer_time_order(codes, ms * spread), np.lexsort((ms, codes))
        )
