"""`api.snapshot` (what `segcli serve` answers from): the orders and their aggregate both, a
classification reused only while it holds, and `api.source_state` telling changed files."""

from __future__ import annotations

import os
from pathlib import Path

from helpers import DAY, csv_text, examples_at_most, order
from hypothesis import given, settings
from hypothesis import strategies as st

from segcli import api
from segcli.loading import classify_at
from segcli.model.settings import Settings

T0 = 1_750_000_000_000
ORDERS = [
    order("a", T0, "10.00"),
    order("a", T0 + 3 * DAY + 1234, "6000.00"),
    order("b", T0 + DAY // 2, "20.00"),
    order("c", T0 - 40 * DAY + 7, "30.00"),
    order("c", T0 - 95 * DAY, "30.00"),
    order("d", T0 + 3 * DAY + 5000, "1.00"),
]
NEWEST = T0 + 3 * DAY + 5000


def write(tmp_path: Path) -> Path:
    path = tmp_path / "orders.csv"
    path.write_text(csv_text(ORDERS), encoding="utf-8")
    return path


def test_a_snapshot_holds_the_orders_and_their_aggregate(tmp_path):
    path = write(tmp_path)
    for cache in (True, False):  # a cache entry alone is never enough
        for _ in range(2):
            loaded = api.snapshot(api.Inputs(paths=(str(path),), cache=cache))
            assert loaded.order_count == len(ORDERS)
            assert loaded.customer_count == 4
            assert loaded.newest_ms == NEWEST
    earlier = api.transitions(loaded, T0, NEWEST)  # needs the orders themselves
    assert earlier.total == 4


# As-of instants after the newest order, each a step after the one before: steps within a day,
# onto a day boundary of the orders (5000 ms into the day) and a millisecond before it.
steps = st.one_of(
    st.integers(0, DAY),
    st.integers(0, 3).map(lambda d: d * DAY + 5000),
    st.integers(0, 3).map(lambda d: d * DAY + 4999),
    st.integers(0, 3).map(lambda d: d * DAY + DAY // 2),
)
offsets = st.lists(steps, min_size=1, max_size=12).map(
    lambda s: [sum(s[: i + 1]) % (120 * DAY) for i in range(len(s))]
)


# Each example is a walk of up to 12 instants with four classifications at each (197 s for
# 150 examples on a shared 2-core machine, the suite's slowest test): the `ci` profile runs 50.
@settings(max_examples=examples_at_most(50))
@given(offsets=offsets)
def test_a_kept_classification_answers_exactly_as_a_fresh_one(tmp_path_factory, offsets):
    path = write(tmp_path_factory.mktemp("snapshot"))
    inputs = api.Inputs(paths=(str(path),))
    kept, fresh = api.snapshot(inputs), api.load(inputs)
    assert fresh.memo is None
    settings = Settings()
    for offset in offsets:
        at = NEWEST + offset
        assert (
            api.customers(kept, settings, at, rfm=True).json_text()
            == api.customers(fresh, settings, at, rfm=True).json_text()
        )
        assert api.breakdown(kept, settings, at).json_text() == (
            api.breakdown(fresh, settings, at).json_text()
        )


def test_a_classification_is_kept_until_the_next_day_boundary(tmp_path):
    loaded = api.snapshot(api.Inputs(paths=(str(write(tmp_path)),)))
    first = classify_at(loaded, NEWEST + 10, Settings())
    start, end, _ = loaded.memo[Settings()]
    assert start <= NEWEST + 10 < end
    assert start == NEWEST  # d's order: at the as-of minus 10 ms it is 0 days old
    assert end == T0 + 3 * DAY + DAY // 2  # b's order, half a day into its day, ages next
    assert classify_at(loaded, end - 1, Settings()).customers is first.customers
    assert classify_at(loaded, end, Settings()).customers is not first.customers
    assert classify_at(loaded, NEWEST + 10, Settings(vip_threshold_cents=1)).customers is not (
        first.customers
    )  # other settings, another table


def test_source_state_changes_with_the_files(tmp_path):
    path = write(tmp_path)
    inputs = api.Inputs(paths=(str(tmp_path),))  # a folder: a new file in it counts too
    before = api.source_state(inputs)
    assert api.source_state(inputs) == before
    os.utime(path, ns=(1, 1))
    touched = api.source_state(inputs)
    assert touched != before
    (tmp_path / "more.csv").write_text(csv_text(ORDERS[:1]), encoding="utf-8")
    assert len(api.source_state(inputs)) == 2
