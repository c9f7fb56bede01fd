"""`show ID` on a Parquet file reads the customer's rows alone where the file allows it
(segcli/pinpoint.py): the document and the notices are the full read's, and a file that does
not allow it is read in full."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from helpers import AS_OF_MS, DAY, examples_at_most
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import PROPERTY

from segcli import api

IDS = ["c-1", "c-2", "C-2", "Amy@X.com", "+8801678126000", "c 3"]
MONEY = pa.decimal128(18, 2)
# as typed, in another case (an email key), as a phone is written, unknown, with spaces
ASKED = [*IDS, "C-1", "AMY@X.COM", "+880 1678-126000", "c-9", " c-1 "]


def orders_file(path: Path, rows: list[dict], *, group_rows: int = 4, money=MONEY) -> Path:
    table = pa.table(
        {
            "orderReference": pa.array([r["ref"] for r in rows], pa.string()),
            "contactID": pa.array([r["contact"] for r in rows], pa.string()),
            "orderDate": pa.array([r["ms"] for r in rows], pa.timestamp("ms", tz="UTC")),
            "total": pa.array([r["total"] for r in rows], MONEY).cast(money),
            "name": pa.array([r.get("name") for r in rows], pa.string()),
            "email": pa.array([r.get("email") for r in rows], pa.string()),
        }
    )
    pq.write_table(table, path, row_group_size=group_rows)
    return path


def both(path: Path, contact_id: str, as_of: int | None = AS_OF_MS, **options):
    """(the pinpointed answer, the full read's answer), each as (document or error, notices), and
    whether the pinpointed load read one customer."""
    inputs = api.Inputs(paths=(str(path),), **options)
    answers = []
    pinned = None
    for only in (contact_id, None):
        loaded = api.load(inputs, as_of=as_of, only=only)
        if only is not None:
            pinned = loaded.instants is not None
        try:
            result = api.customer(loaded, contact_id, as_of=as_of)
            answer = (result.json_text(), [n.text for n in (*loaded.notices, *result.notices)])
        except api.SegcliError as error:
            answer = (str(error), [n.text for n in loaded.notices])
        answers.append(answer)
    return answers[0], answers[1], pinned


@st.composite
def order_sets(draw) -> list[dict]:
    n = draw(st.integers(1, 14))
    refs = sorted(draw(st.lists(st.integers(0, 999), min_size=n, max_size=n, unique=True)))
    return [
        {
            "ref": f"ORD-{number:04d}",
            "contact": draw(st.sampled_from(IDS)),
            "ms": AS_OF_MS - draw(st.integers(-3, 400)) * DAY + draw(st.integers(0, DAY)),
            "total": Decimal(draw(st.integers(-50_000, 600_000))) / 100,
            "name": draw(st.sampled_from([None, "Amy", "Bo"])),
            "email": draw(st.sampled_from([None, "a@x.com", "b@x.com"])),
        }
        for number in refs
    ]


# Each example writes a Parquet file and answers every id form at each as-of both ways (about
# 0.3 s): the ci profile's 150 took 48 s, the suite's slowest test by far.
@settings(PROPERTY, max_examples=examples_at_most(60))
@given(
    rows=order_sets(),
    as_of_back=st.sampled_from([-5, 0, 30, 200]),
    group_rows=st.sampled_from([1, 3, 100]),
    money=st.sampled_from([MONEY, pa.float64(), pa.decimal128(9, 1)]),  # read, or proven
)
def test_one_customer_read_alone_is_the_full_reads_answer(
    tmp_path_factory, rows, as_of_back, group_rows, money
):
    if money == pa.decimal128(9, 1):
        rows = [{**r, "total": round(r["total"], 1)} for r in rows]
    folder = tmp_path_factory.mktemp("p")
    path = orders_file(folder / "o.parquet", rows, group_rows=group_rows, money=money)
    as_of = AS_OF_MS - as_of_back * DAY
    for asked in ASKED:
        fast, full, pinned = both(path, asked, as_of)
        assert pinned  # sorted references, no gaps in the columns: the file allows it
        assert fast == full


@pytest.mark.parametrize(
    "change",
    ["shuffled", "lines", "null date", "blank key", "two files"],
)
def test_files_that_do_not_allow_it_are_read_in_full(tmp_path, change):
    rows = [
        {"ref": f"ORD-{k}", "contact": ["c-1", "c-2"][k % 2], "ms": AS_OF_MS - k * DAY,
         "total": Decimal("2600.00")}
        for k in range(6)
    ]  # fmt: skip
    if change == "shuffled":
        rows = rows[::-1]
    elif change == "lines":
        rows[3]["ref"] = rows[2]["ref"]  # a line of an order; the customers differ: skipped
    elif change == "null date":
        rows[4]["ms"] = None
    elif change == "blank key":
        rows[5]["contact"] = " "
    path = orders_file(tmp_path / "o.parquet", rows)
    if change == "two files":
        other = orders_file(tmp_path / "p.parquet", rows[:2])
        fast, full, pinned = both(tmp_path, "c-1")  # the folder: both files
        assert other.exists()
    else:
        fast, full, pinned = both(path, "c-1")
    assert not pinned
    assert fast == full


def test_a_preset_export_is_read_in_full(tmp_path):
    rows = [{"ref": f"#{k}", "contact": "c-1", "ms": AS_OF_MS - k * DAY, "total": Decimal(9)}
            for k in range(3)]  # fmt: skip
    table = pa.table(
        {
            "Name": [r["ref"] for r in rows],
            "Email": ["amy@x.com"] * 3,
            "Created at": pa.array([r["ms"] for r in rows], pa.timestamp("ms", tz="UTC")),
            "Total": pa.array([r["total"] for r in rows], MONEY),
            "Financial Status": ["paid"] * 3,
            "Lineitem name": ["tea"] * 3,
        }
    )
    pq.write_table(table, tmp_path / "shopify.parquet")
    fast, full, pinned = both(tmp_path / "shopify.parquet", "amy@x.com")
    assert not pinned
    assert fast == full


def test_show_reads_one_customer_and_says_what_the_full_read_says(tmp_path):
    rows = [
        {"ref": f"ORD-{k:02d}", "contact": ["c-1", "c-2", "c-3"][k % 3],
         "ms": AS_OF_MS - (40 - k) * DAY, "total": Decimal("1000.50")}
        for k in range(30)
    ]  # fmt: skip
    path = orders_file(tmp_path / "o.parquet", rows)
    fast, full, pinned = both(path, "c-2", AS_OF_MS - 20 * DAY)  # later orders excluded
    assert pinned
    assert fast == full
    assert any("excluded 9 orders" in n for n in fast[1])
