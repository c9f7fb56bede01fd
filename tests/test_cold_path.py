"""The fast cold path's own machinery, against plain answers: Parquet read in row-group runs by
several threads, customer keys hashed in parts and their dictionaries merged, decimals read from
Arrow's buffers, and the aggregate's renumbering when rows are dropped after encoding.

The thresholds that switch these paths on (a million rows) are lowered here, so that small
inputs take them; the Hypothesis property checks the whole pipeline against the reference."""

from __future__ import annotations

import decimal
import subprocess
import sys

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
import reference
from helpers import AS_OF_MS, DAY, api_customers, classified, csv_text
from hypothesis import assume, given
from hypothesis import strategies as st
from strategies import COLUMNS, PROPERTY, all_skipped, expected, order_rows

from segcli import api
from segcli.core import metrics, normalise
from segcli.core.amounts import parse_amounts
from segcli.engines import keys
from segcli.engines.arrow import text_column
from segcli.input import parquet, readers, sources
from segcli.model.schema import CONTACT_ID, LAST_ORDER_REFERENCE, NAME


@pytest.fixture
def threaded(monkeypatch):
    """Every input, however small, read and encoded the way a 10M-order file is."""
    monkeypatch.setattr(parquet, "THREADED_READ_ROWS", 1)
    monkeypatch.setattr(keys, "THREADED_ENCODE_ROWS", 1)


def _customers(paths) -> dict[str, dict]:
    return api_customers(paths, AS_OF_MS)


@PROPERTY
@given(rows=order_rows(), group_rows=st.integers(1, 4))
def test_threaded_csv_and_parquet_runs_equal_reference(tmp_path, threaded, rows, group_rows):
    """Keys split across threads and row-group runs, with ` c-3 ` and blank keys among them,
    give the reference's customers from CSV and from Parquet of any row-group size."""
    assume(not all_skipped(rows))
    csv_path = tmp_path / "orders.csv"
    csv_path.write_text(csv_text(rows, COLUMNS), encoding="utf-8")
    parquet_path = tmp_path / "orders.parquet"
    table = pa.table({c: pa.array([r[c] for r in rows], pa.string()) for c in COLUMNS})
    pq.write_table(table, parquet_path, row_group_size=group_rows)
    want = expected(rows)
    assert _customers([csv_path]) == want
    assert _customers([parquet_path]) == want


def test_row_group_runs_split_rows_evenly(tmp_path, threaded):
    path = tmp_path / "o.parquet"
    pq.write_table(pa.table({"a": pa.array(range(10))}), path, row_group_size=2)
    assert parquet.row_group_runs(pq.ParquetFile(path).metadata) == [[0, 1, 2], [3, 4]]
    pq.write_table(pa.table({"a": pa.array(range(3))}), path, row_group_size=3)
    assert parquet.row_group_runs(pq.ParquetFile(path).metadata) == [[0]]


def test_reader_encodes_keys_per_run(tmp_path, threaded):
    path = tmp_path / "o.parquet"
    pq.write_table(pa.table({"k": ["b", "a", "b", "c", "a", "d"]}), path, row_group_size=2)
    source = sources.resolve_sources([path])[0]
    table = readers.read_orders([source], [{"k": CONTACT_ID}], encoded=(CONTACT_ID,)).tables[0]
    column = table[CONTACT_ID]
    assert pa.types.is_dictionary(column.type)
    assert column.to_pylist() == ["b", "a", "b", "c", "a", "d"]
    # two runs, each encoded by its reading thread, merged in order of first appearance
    merged = normalise.key_column([column])
    assert merged.chunks[0].dictionary.to_pylist() == ["b", "a", "c", "d"]
    assert merged.chunks[0].indices.to_pylist() == [0, 1, 0, 2, 1, 3]


def test_key_column_merges_runs_trims_and_nulls_blanks(threaded):
    first = pa.chunked_array(
        [
            pa.array([" a", "b", "b"]).dictionary_encode(),
            pa.array(["c ", ""]).dictionary_encode(),
        ]
    )
    second = pa.chunked_array([pa.array(["a", "  ", None, "d", "b"], pa.large_string())])
    keys = normalise.key_column([first, second])
    values = keys.chunks[0].dictionary.to_pylist()
    assert values == ["a", "b", "c", "d"]
    assert keys.to_pylist() == ["a", "b", "b", "c", None, "a", None, None, "d", "b"]


def test_key_column_reads_integer_ids_as_text():
    keys = normalise.key_column([pa.array([7, 8, 7], pa.int64())])
    assert keys.to_pylist() == ["7", "8", "7"]


def _decimals(values, type_):
    return pa.array([None if v is None else decimal.Decimal(v) for v in values], type_)


def test_decimal128_cents_from_buffers():
    column = pa.chunked_array(
        [
            _decimals(["-123.58", "0.01", None, "9999999999999.99"], pa.decimal128(18, 2)),
            _decimals(["10000000000000.00", "-0.10", "5000.00", "7"], pa.decimal128(18, 2)).slice(
                1
            ),  # a chunk that starts inside its buffer
        ]
    )
    cents, empty, bad, rounded = parse_amounts(column)
    assert cents.tolist() == [-12358, 1, 0, 999999999999999, -10, 500000, 700]
    assert empty.tolist() == [False, False, True, False, False, False, False]
    assert not bad.any() and not rounded.any()
    too_big = parse_amounts(_decimals(["10000000000000.00"], pa.decimal128(18, 2)))
    assert too_big[2].tolist() == [True]


def test_decimal128_beyond_int64_and_other_scales():
    # (2**64 + 5) at scale 1: its low word alone reads as 50; only the high word shows the overflow
    wide = _decimals([str(2**64 + 5), "-1", "12.5", str(-(2**64) + 5)], pa.decimal128(38, 1))
    cents, empty, bad, _ = parse_amounts(wide)
    assert bad.tolist() == [True, False, False, True]
    assert cents.tolist() == [0, -100, 1250, 0]
    whole = _decimals(["-3", "42"], pa.decimal128(10, 0))
    assert parse_amounts(whole)[0].tolist() == [-300, 4200]


def test_customers_keep_first_appearance_when_their_first_row_is_skipped(tmp_path):
    """`a` appears first, but its first row has a bad date: among counted rows `b` is first."""
    rows = [
        {"orderReference": "1", "contactID": "a", "orderDate": "bad", "total": "1"},
        {"orderReference": "2", "contactID": "b", "orderDate": "2025-10-01", "total": "1"},
        {"orderReference": "3", "contactID": "a", "orderDate": "2025-10-02", "total": "1"},
    ]
    path = tmp_path / "o.csv"
    path.write_text(csv_text(rows, reference.REQUIRED), encoding="utf-8")
    result = classified([path])
    assert _counts(result.frame) == {"b": 1, "a": 1}
    # and after an as-of cut that drops `b` entirely: no customer with no orders is left behind
    early = classified([path], api.parse_as_of("2025-10-01") - DAY)
    assert _counts(early.frame) == {}


def test_categorical_parquet_keys_in_first_appearance_order(tmp_path):
    """A pandas categorical column comes back with its categories sorted (and one unused):
    customers still come in order of first appearance, and unused categories are no one."""
    ids = pa.DictionaryArray.from_arrays(pa.array([2, 0, 2]), pa.array(["a", "unused", "z"]))
    table = pa.table(
        {
            "orderReference": ["1", "2", "3"],
            "contactID": ids,
            "orderDate": ["2025-10-01", "2025-10-02", "2025-10-03"],
            "total": ["1", "2", "3"],
        }
    )
    path = tmp_path / "o.parquet"
    pq.write_table(table, path)
    assert _counts(classified([path]).frame) == {"z": 2, "a": 1}  # no customer "unused"


def _counts(customers) -> dict[str, int]:
    return dict(zip(customers[CONTACT_ID], customers["orderCount"], strict=True))


def test_first_appearance_check():
    check = keys.in_first_appearance_order
    assert check(np.array([0, 1, 0, 2, 1]), 3)
    assert not check(np.array([0, 2, 1]), 3)  # 2 before 1
    assert not check(np.array([0, 0, 1]), 3)  # 2 never occurs
    assert not check(np.array([1, 0]), 2)


def test_first_appearance_check_across_blocks(monkeypatch):
    monkeypatch.setattr(keys, "BLOCK_ROWS", 2)
    check = keys.in_first_appearance_order
    assert check(np.array([0, 0, 1, 0, 2, 2, 3]), 4)
    assert not check(np.array([0, 0, 2, 1]), 3)  # the jump is at a block's start
    assert not check(np.array([0, 1, 1, 3, 2]), 4)


def test_counts_only_aggregate_leaves_references_and_details_missing(tmp_path):
    rows = [
        {"orderReference": "1", "contactID": "a", "orderDate": "2025-10-01", "total": "1",
         "name": "Ann"},
        {"orderReference": "2", "contactID": "a", "orderDate": "2025-10-02", "total": "2",
         "name": "Ann"},
    ]  # fmt: skip
    path = tmp_path / "o.csv"
    path.write_text(csv_text(rows), encoding="utf-8")
    loaded = api.load(api.Inputs(paths=(path,)))
    full = metrics.per_customer(loaded.orders)
    counts = metrics.per_customer(loaded.orders, latest=False)
    assert full[LAST_ORDER_REFERENCE].tolist() == ["2"] and full[NAME].tolist() == ["Ann"]
    assert counts[LAST_ORDER_REFERENCE].isna().all() and counts[NAME].isna().all()
    same = [c for c in full.columns if c not in (LAST_ORDER_REFERENCE, *reference.DETAILS)]
    assert counts[same].equals(full[same])


# Characters around which trimming decides: ASCII and Unicode white space, separators Python
# calls space but Arrow may not, non-ASCII letters whose bytes look like a space's, and letters.
EDGE_TEXT = st.lists(
    st.sampled_from(
        [
            " ",
            "\t",
            "\n",
            "\r",
            "\x0b",
            "\x0c",
            "\x1c",
            "\x1f",
            "\u0085",
            "\u00a0",
            "\u1680",
            "\u2000",
            "\u200a",
            "\u2028",
            "\u202f",
            "\u205f",
            "\u3000",
            "\u180e",
            "\ufeff",
            "é",
            "É",
            "€",
            "日",
            "a",
            "Z",
            "0",
        ]
    ),  # fmt: skip
    max_size=5,
).map("".join)


def _plain_text_column(column):
    """The obvious rule: trim every value, then make the empty ones null."""
    trimmed = pc.utf8_trim_whitespace(column)
    return pc.if_else(pc.equal(trimmed, ""), pa.scalar(None, pa.string()), trimmed)


@PROPERTY
@given(
    values=st.lists(st.one_of(st.none(), EDGE_TEXT), max_size=12),
    cut=st.integers(0, 12),
    skip=st.integers(0, 3),
)
def test_text_column_equals_trimming_everything(values, cut, skip):
    """Skipping the trim when no value's edges could be white space changes nothing, on chunks
    that start inside their buffers too."""
    whole = pa.array(values, pa.string()).slice(min(skip, len(values)))
    column = pa.chunked_array([whole.slice(0, cut), whole.slice(cut)], pa.string())
    assert text_column(column).to_pylist() == _plain_text_column(column).to_pylist()
    assert text_column(whole).to_pylist() == _plain_text_column(whole).to_pylist()
    for value in values:  # alone, where no other value's edges make the column trimmed anyway
        for alone in (pa.array(["x", value]), pa.array(["", "x", value, ""]).slice(1)):
            got = text_column(alone).to_pylist()
            assert got == _plain_text_column(alone).to_pylist()


def _orders(contacts, cents):
    from segcli.model.schema import DETAIL_COLUMNS, ORDER_MS, ORDER_REFERENCE, TOTAL_CENTS

    n = len(contacts)
    columns = {
        CONTACT_ID: pa.array(contacts).dictionary_encode(),
        ORDER_REFERENCE: pa.array([str(i) for i in range(n)]),
        ORDER_MS: pa.array(np.arange(n, dtype=np.int64)),
        TOTAL_CENTS: pa.array(np.array(cents, dtype=np.int64)),
    }
    columns.update({name: pa.nulls(n) for name in DETAIL_COLUMNS})
    return pa.table(columns)


def test_spend_is_exact_where_a_float_would_not_be():
    big = 4 * 10**18  # the largest value times the count is past int64; the true sum is not
    out = metrics.per_customer(_orders(["a", "a", "a", "b"], [big, big, 1, 2**53 + 1]))
    assert out["totalSpendCents"].tolist() == [2 * big + 1, 2**53 + 1]


def test_totals_past_int64_are_an_error_not_a_wrapped_sum():
    from segcli.model.errors import InvalidInputError

    big = 4 * 10**18
    with pytest.raises(InvalidInputError, match="too large to sum exactly"):
        metrics.per_customer(_orders(["a", "b", "c"], [big, -big, big]))


POOL = "import pyarrow as pa, sys; print(pa.default_memory_pool().backend_name, file=sys.stderr)"


def _pool_after(code: str) -> str:
    """Arrow's memory pool in a fresh interpreter after `code` has run."""
    done = subprocess.run(
        [sys.executable, "-c", f"{code}\n{POOL}"],
        capture_output=True,
        text=True,
        check=True,
        stdin=subprocess.DEVNULL,
    )
    return done.stderr.split()[-1]


def test_the_library_leaves_the_memory_pool_alone():
    """Importing segcli and using its API changes no process-wide state: Arrow's pool stays the
    default. The segcli command itself switches to jemalloc (where the build has it)."""
    default = _pool_after("")
    used = "from segcli import api\napi.customers(api.load())"
    assert _pool_after(used) == default
    cli = "from segcli.cli import main\nimport sys\nsys.argv = ['segcli', 'breakdown', '-q']\n"
    cli += "try:\n    main()\nexcept SystemExit:\n    pass"
    try:
        pa.jemalloc_memory_pool()  # a pool object; the process keeps its own
    except NotImplementedError:  # a pyarrow built without jemalloc: the command keeps the default
        assert _pool_after(cli) == default
    else:
        assert _pool_after(cli) == "jemalloc"


@PROPERTY
@given(first=order_rows(), second=order_rows())
def test_parquet_and_csv_sources_together_equal_both_as_csv(tmp_path, threaded, first, second):
    """A Parquet source, whose keys the reader encodes in runs, beside a CSV one whose keys are
    text: the merged keys give what two CSV files give."""
    assume(not all_skipped(first + second))
    first_csv, second_csv = tmp_path / "a.csv", tmp_path / "b.csv"
    first_csv.write_text(csv_text(first, COLUMNS), encoding="utf-8")
    second_csv.write_text(csv_text(second, COLUMNS), encoding="utf-8")
    first_parquet = tmp_path / "a.parquet"
    table = pa.table({c: pa.array([r[c] for r in first], pa.string()) for c in COLUMNS})
    pq.write_table(table, first_parquet, row_group_size=2)
    assert _customers([first_parquet, second_csv]) == _customers([first_csv, second_csv])
