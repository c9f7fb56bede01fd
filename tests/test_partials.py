"""core/partials.py: merging the aggregates of parts gives the aggregate of the whole, customer by
customer and in the same order, for orders that are in one part each (the dask engine's fast
path; no cluster here)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
from hypothesis import given
from hypothesis import strategies as st

from segcli.core import metrics, partials
from segcli.model.schema import (
    CONTACT_ID,
    CREDIT,
    DETAIL_COLUMNS,
    EMAIL,
    NAME,
    ORDER_COUNT,
    ORDER_MS,
    ORDER_REFERENCE,
    SPEND_CENTS,
    TOTAL_CENTS,
)

PLACE = "_place"
ROW_BITS = 40


def table(rows: list[tuple], place: list[int]) -> pa.Table:
    """Orders in input order: (customer, instant, cents, credit, name, email)."""
    columns: dict[str, pa.Array] = {
        CONTACT_ID: pa.array([f"c-{r[0]}" for r in rows], pa.string()),
        ORDER_REFERENCE: pa.array([f"R-{p}" for p in place], pa.string()),
        ORDER_MS: pa.array([r[1] for r in rows], pa.int64()),
        TOTAL_CENTS: pa.array([r[2] for r in rows], pa.int64()),
        CREDIT: pa.array([r[3] for r in rows], pa.bool_()),
    }
    for name in DETAIL_COLUMNS:
        columns[name] = pa.nulls(len(rows), pa.string())
    columns[NAME] = pa.array([r[4] for r in rows], pa.string())  # None: not given
    columns[EMAIL] = pa.array([r[5] for r in rows], pa.string())
    columns[PLACE] = pa.array(place, pa.int64())
    return pa.table(columns)


_orders = st.lists(
    st.tuples(
        st.integers(0, 4),  # customer
        st.integers(0, 3),  # instant: few, so that they tie within and across parts
        st.integers(-500, 5000),  # cents
        st.booleans(),  # a credit note
        st.sampled_from([None, "", "Ann", "Bob"]),
        st.sampled_from([None, "a@x", "b@x"]),
        st.integers(0, 3),  # which part
    ),
    min_size=1,
    max_size=40,
)


@given(rows=_orders, latest=st.booleans())
def test_merged_parts_are_the_whole(rows, latest):
    parts = [[r for r in rows if r[6] == k] for k in range(4)]
    ordered = [r for part in parts for r in part]  # input order: part, then row
    place = [(k << ROW_BITS) | i for k, part in enumerate(parts) for i in range(len(part))]
    whole = table(ordered, place)
    credit = np.array([r[3] for r in ordered])
    expected = metrics.per_customer(whole.drop_columns([PLACE]), latest=latest)
    aggregates = []
    for k, part in enumerate(parts):
        mine = table(part, [(k << ROW_BITS) | i for i in range(len(part))])
        aggregates.append(partials.of_part(mine, k, PLACE, latest=latest))
    merged = partials.merge(aggregates, PLACE, latest=latest)
    first = pd.Series(np.array(place)[~credit]).groupby(
        np.array([r[0] for r in ordered])[~credit], sort=False
    )
    assert len(merged) == len(expected) == first.ngroups
    got = merged.sort_values(PLACE, kind="stable").drop(columns=[PLACE])
    pd.testing.assert_frame_equal(got.reset_index(drop=True), expected, check_dtype=False)


def test_a_customer_with_only_credit_notes_in_one_part_keeps_their_spend():
    first = table([(1, 5, -300, True, None, None)], [0])
    second = table([(1, 2, 1000, False, "Ann", None)], [1 << ROW_BITS])
    merged = partials.merge(
        [
            partials.of_part(first, 0, PLACE, latest=True),
            partials.of_part(second, 1, PLACE, latest=True),
        ],
        PLACE,
        latest=True,
    )
    assert merged[[ORDER_COUNT, SPEND_CENTS, NAME]].to_dict("records") == [
        {ORDER_COUNT: 1, SPEND_CENTS: 700, NAME: "Ann"}
    ]
