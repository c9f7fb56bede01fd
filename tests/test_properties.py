"""Hypothesis: the vectorised pipeline equals the scalar reference on generated order sets."""

from __future__ import annotations

import io
import random

import numpy as np
import pytest
import reference
from helpers import AS_OF_MS, DAY, classified, csv_text
from hypothesis import assume, example, given
from hypothesis import strategies as st
from strategies import (
    BAD_DATES,
    BAD_TOTALS,
    BOUNDARY_DAYS,
    COLUMNS,
    MANY,
    NUDGES,
    OFFSETS,
    PROPERTY,
    TOTALS,
    all_skipped,
    expected,
    order_rows,
    reference_thresholds,
    render_instant,
    thresholds,
)

from segcli import api
from segcli.analytics import summary, transitions
from segcli.core.amounts import parse_amount
from segcli.model import schema
from segcli.model.errors import InvalidInputError
from segcli.model.schema import FREQUENCIES, PURCHASE_FREQUENCY, SEGMENT, SEGMENTS
from segcli.model.settings import Settings


def in_memory(rows: list[dict]) -> api.Inputs:
    """The rows as CSV bytes read from memory (as standard input is): no file to write."""
    return api.Inputs(paths=("-",), stdin=io.BytesIO(csv_text(rows, COLUMNS).encode("utf-8")))


def pipeline_customers(rows: list[dict], as_of_ms: int = AS_OF_MS):
    inputs = in_memory(rows)
    if all_skipped(rows):  # nothing to answer: an error, never an empty answer
        nouns = "row" if len(rows) == 1 else "rows"
        skipped = sum(r is not None for r in reference.line_skips(rows)[0])
        some = "all " if skipped == len(rows) else f"{skipped} of "
        message = rf"^no valid orders: {some}{len(rows):,} {nouns} skipped \("
        with pytest.raises(InvalidInputError, match=message):
            classified(inputs.paths, as_of_ms, stdin=inputs.stdin)
        return {}, None
    result = classified(inputs.paths, as_of_ms, stdin=inputs.stdin)
    return {r["contactID"]: r for r in result.records(full=True)}, result


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
def test_pipeline_equals_reference(rows):
    got, result = pipeline_customers(rows)
    assert got == expected(rows)


@PROPERTY
@given(rows=order_rows())
def test_skipped_rows_are_counted_by_first_reason(rows):
    _, result = pipeline_customers(rows)
    if result is None:  # every row skipped: pipeline_customers checked the error
        return
    reasons, _, orders = reference.line_skips(rows)
    skipped = [r for r in reasons if r is not None]
    summary = next((n.text for n in result.notices if n.text.startswith("skipped")), None)
    if not skipped:
        assert summary is None
        return
    assert summary is not None
    what = f"{len(skipped)}"
    if orders is not None:  # rows share references: they are lines of orders
        rows_ = "row" if len(skipped) == 1 else "rows"
        what = f"{orders} {'order' if orders == 1 else 'orders'} ({len(skipped)} {rows_})"
    assert summary.startswith(f"skipped {what} of {len(rows)} rows: ")
    starts = physical_lines(rows)  # names may hold line breaks: lines are the file's own
    for reason in set(skipped):
        first_line = starts[reasons.index(reason)]
        n = skipped.count(reason)
        where = f"(first: line {first_line})" if n > 1 else f"(line {first_line})"
        assert f"{n} {reason} {where}" in summary


@PROPERTY
@given(rows=order_rows(), seed=st.integers(0, 2**32 - 1))
def test_shuffled_input_gives_reference_answer_for_that_order(rows, seed):
    """Row order only matters for ties on the latest instant (the later row wins); whatever the
    order, the answer is the reference's answer for the rows in that order."""
    shuffled = rows[:]
    random.Random(seed).shuffle(shuffled)
    got, _ = pipeline_customers(shuffled)
    assert got == expected(shuffled)


@PROPERTY
@given(rows=order_rows(), seed=st.integers(0, 2**32 - 1))
def test_shuffle_invariant_without_ties(rows, seed):
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
    assert pipeline_customers(distinct)[0] == pipeline_customers(shuffled)[0]


@PROPERTY
@given(rows=order_rows(), days_back=st.sampled_from([0, 1, 30, 31, 90, 91, 400]))
def test_as_of_cut_matches_reference(rows, days_back):
    as_of = AS_OF_MS - days_back * DAY
    got, result = pipeline_customers(rows, as_of_ms=as_of)
    assert got == expected(rows, as_of)
    later = sum(
        1
        for r in reference.fold_lines(rows)  # orders, not their lines
        if reference.skip_reason(r) is None and reference.parse_instant(r["orderDate"]) > as_of
    )
    if result is None:  # every row skipped: pipeline_customers checked the error
        return
    notice = [n.text for n in result.notices if n.text.startswith("excluded")]
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


def physical_lines(rows: list[dict]) -> list[int]:
    """The line each row starts on in the CSV written of `rows` (the header is line 1)."""
    starts, line = [], 2
    for row in rows:
        starts.append(line)
        line += csv_text([row], COLUMNS).count("\n") - 1  # less the header's line end
    return starts


def load_rows(rows: list[dict]) -> api.Loaded:
    """The rows loaded; a set whose every row is skipped is an error (pipeline_customers checks
    it), so properties over loaded rows are about the others."""
    assume(not all_skipped(rows))
    return api.load(in_memory(rows))


@PROPERTY
@given(rows=order_rows(), chosen=thresholds())
def test_any_thresholds_match_reference(rows, chosen):
    result = api.customers(load_rows(rows), chosen, AS_OF_MS)
    got = {r["contactID"]: r for r in result.records(full=True)}
    want = reference.customers(rows, AS_OF_MS, reference_thresholds(chosen))
    for record in want.values():
        record["accountName"] = record["accountCode"] = None
    assert got == want


@PROPERTY
@given(rows=order_rows(), days_back=st.sampled_from([0, 3, 31, 91]))
def test_rfm_scores_match_reference(rows, days_back):
    loaded = load_rows(rows)
    as_of = AS_OF_MS - days_back * DAY
    records = api.customers(loaded, None, as_of, rfm=True).records(full=True)
    got = {r["contactID"]: r["metrics"].pop("rfm") for r in records}
    plain = api.customers(loaded, None, as_of).records(full=True)
    assert records == plain  # additive: every other key is unchanged
    base = reference.customers(rows, AS_OF_MS - days_back * DAY)
    assert got == reference.rfm(base)


@PROPERTY
@given(rows=order_rows(), days_back=st.sampled_from([0, 31, 91]))
def test_rfm_scores_on_scale_10_match_reference(rows, days_back):
    as_of = AS_OF_MS - days_back * DAY
    records = api.customers(load_rows(rows), Settings(rfm_scale=10), as_of, rfm=True)
    got = {r["contactID"]: r["metrics"]["rfm"] for r in records.records(full=True)}
    base = reference.customers(rows, as_of)
    assert got == reference.rfm(base, reference.rfm_table_10(), scale=10)


@PROPERTY
@given(
    rows=order_rows(),
    since=st.sampled_from([0, 1, 7, 30, 31, 90, 91, 181, 400]),
    until=st.sampled_from([0, 1, 30]),
    chosen=thresholds(),
)
def test_transitions_and_cross_tab_match_reference(rows, since, until, chosen):
    loaded = load_rows(rows)
    to_ms = AS_OF_MS - until * DAY
    from_ms = to_ms - since * DAY
    before = api.customers(loaded, chosen, from_ms).frame
    after = api.customers(loaded, chosen, to_ms).frame
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
    assume(not all_skipped(first + second))
    records = classified(paths, AS_OF_MS).records(full=True)
    want = reference.customers_from_files([first, second], AS_OF_MS)
    for record in want.values():
        record["accountName"] = record["accountCode"] = None
    assert {r["contactID"]: r for r in records} == want


@MANY
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
    assert parse_amount(text) == reference.parse_cents(text)


@MANY
@given(
    text=st.from_regex(
        r"(\$ ?)?\(?[+-]?(NZ\$|\$|€|USD )?[+-]?\d{1,4}([,. '](\d{2,4}))*([.,]\d{0,3})?"
        r"( ?(€|EUR))?\)?( EUR)?",
        fullmatch=True,
    ),
    decimal=st.sampled_from([".", ","]),
)
def test_export_amount_forms_match_reference(text, decimal):
    assert parse_amount(text, decimal=decimal) == reference.parse_cents(text, decimal)


@MANY
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
        got = api.parse_as_of(text)
    except ValueError:
        pass
    assert got == reference.parse_instant(text, end_of_day=True)


def test_large_multi_chunk_file_equals_reference():
    """Thousands of boundary-heavy rows, so that pyarrow reads the CSV in several chunks (long
    company names make the blocks fill with fewer rows for the reference to check). One row in
    five is another line of the order before it, so that folding meets chunk boundaries."""
    rng = random.Random(20251023)
    companies = ["", *(f"{word} Trading Company " * 6 for word in ("Kauri", "Rimu", "Totara"))]
    rows = []
    for i in range(25_000):
        ms = (
            AS_OF_MS
            - rng.choice(BOUNDARY_DAYS) * DAY
            + rng.choice(NUDGES)
            + rng.choice([0, 0, 0, 2 * DAY])
        )
        rows.append(
            {
                "orderReference": f"ORD-{i - (i % 5 == 4)}",
                "contactID": rows[-1]["contactID"] if i % 5 == 4 else f"c-{rng.randrange(3000)}",
                "orderDate": render_instant(ms, rng.randrange(7), rng.choice(OFFSETS))
                if rng.random() > 0.001
                else rng.choice(BAD_DATES),
                "total": rng.choice(TOTALS) if rng.random() > 0.001 else rng.choice(BAD_TOTALS),
                "name": rng.choice(["", "Cafe", 'Bakery, "Ltd"', "日本"]),
                "email": rng.choice(["", "a@x.co"]),
                "company": rng.choice(companies),
                "phone": rng.choice(["", "1"]),
            }
        )
    assert len(csv_text(rows, COLUMNS).encode()) > 3 * 2**20  # pyarrow's blocks are 1 MiB
    got, result = pipeline_customers(rows)
    assert got == expected(rows)
    assert len(got) > 2500


# --- instants as text: integer arithmetic against the scalar reference and numpy's -------------


@given(
    st.lists(
        st.integers(schema.FIRST_INSTANT_MS - 10 * DAY, schema.LAST_INSTANT_MS + 10 * DAY)
        | st.sampled_from(
            [schema.FIRST_INSTANT_MS, schema.LAST_INSTANT_MS, 0, -1, 951_782_400_000]
        ),  # the first and last instants written in 24 characters, the epoch, 2000-02-29
        max_size=20,
    )
)
@example([schema.LAST_INSTANT_MS + 1, schema.FIRST_INSTANT_MS - 1, 4_107_542_399_999])
def test_instants_are_written_as_the_reference_and_numpy_write_them(instants):
    ms = np.array(instants, dtype=np.int64)
    written = schema.format_instants(ms).tolist()
    numpy_text = np.datetime_as_string(ms.astype("datetime64[ms]"), unit="ms")
    assert written == [f"{text}Z" for text in numpy_text.tolist()]
    within = [m for m in instants if schema.FIRST_INSTANT_MS <= m <= schema.LAST_INSTANT_MS]
    assert [t for t, m in zip(written, instants, strict=True) if m in within] == [
        reference.format_instant(m) for m in instants if m in within
    ]
