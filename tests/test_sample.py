"""The bundled sample: reproducible, consistent between CSV and Parquet, and covering every
segment and every purchase frequency at its snapshot date."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pyarrow.parquet as pq
from helpers import api_customers, classified

from segcli import api
from segcli.input.sources import SAMPLE_AS_OF
from segcli.model.schema import FREQUENCIES, SEGMENTS

SAMPLE = Path(__file__).resolve().parent.parent / "sample_data"


def generator():
    spec = importlib.util.spec_from_file_location("generate", SAMPLE / "generate.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["generate"] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_regenerating_gives_the_committed_files(tmp_path):
    gen = generator()
    assert gen.SNAPSHOT == SAMPLE_AS_OF
    csv_path, parquet_path = gen.write(tmp_path)
    assert csv_path.read_bytes() == (SAMPLE / "orders.csv").read_bytes()
    assert pq.read_table(parquet_path).equals(pq.read_table(SAMPLE / "orders.parquet"))


def test_csv_and_parquet_give_the_same_customers():
    as_of = api.parse_as_of(SAMPLE_AS_OF)
    from_csv = api_customers([SAMPLE / "orders.csv"], as_of_ms=as_of)
    from_parquet = api_customers([SAMPLE / "orders.parquet"], as_of_ms=as_of)
    assert from_csv == from_parquet and len(from_csv) > 250


def test_every_segment_and_frequency_is_present_and_nothing_is_skipped():
    result = classified(as_of_ms=None)
    customers = result.frame
    assert set(customers["segment"].astype(str)) == set(SEGMENTS)
    # "None" needs a customer without orders, which only a contacts file can bring.
    assert set(customers["purchaseFrequency"].astype(str)) == set(FREQUENCIES) - {"None"}
    assert [n.text for n in result.notices] == ["using the bundled sample data (as of 2025-10-23)"]
    assert customers["orderCount"].sum() == pq.read_metadata(SAMPLE / "orders.parquet").num_rows


def test_sample_has_vip_dormant_refunds_and_changed_details():
    records = classified(as_of_ms=None).records()
    vip_dormant = [
        r
        for r in records
        if r["metrics"]["segment"] == "VIP" and r["metrics"]["lastOrderDaysAgo"] > 90
    ]
    assert vip_dormant
    orders = pq.read_table(SAMPLE / "orders.parquet").to_pandas()
    assert (orders["total"] < 0).any()
    assert (orders.groupby("contactID")["email"].nunique() > 1).any()


def test_sample_readme_states_the_real_numbers():
    text = (SAMPLE / "README.md").read_text(encoding="utf-8")
    customers = classified(as_of_ms=None).frame
    segments = customers["segment"].value_counts()
    frequencies = customers["purchaseFrequency"].value_counts()
    facts = [
        f"{len(customers)}: " + ", ".join(f"{segments[s]} {s}" for s in SEGMENTS),
        ", ".join(f"{frequencies[f]} {f}" for f in FREQUENCIES if f != "None"),
        f"{customers['orderCount'].sum():,}",
    ]
    for fact in facts:
        assert fact in text
