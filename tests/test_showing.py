"""The fast `show` of a long-lived snapshot (segcli/showing.py, `segcli serve`'s one customer)
writes the very bytes of the general path, for every customer, instant, settings and text."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import AS_OF_MS, csv_text
from hypothesis import given
from hypothesis import strategies as st
from strategies import PROPERTY, all_skipped, order_rows, thresholds

from segcli import api, showing
from segcli.model.settings import Settings
from segcli.output.values import cents_text, format_cents


@pytest.fixture(scope="module")
def sample() -> api.Loaded:
    return api.snapshot()


def test_every_sample_customer_at_several_instants_and_settings(sample):
    newest = sample.newest_ms
    ids = sample.aggregate["contactID"].tolist()
    tight = Settings(vip_threshold_cents=100_000, dormant_days=30, new_days=7)
    every_few = ids[::7]  # the general path takes ~10 ms a customer: all of them once
    for as_of in (newest, newest + 1, sample.as_of(None), newest + 400 * 86_400_000):
        for settings in (Settings(), tight):
            chosen = ids if (as_of, settings) == (sample.as_of(None), Settings()) else every_few
            for contact in chosen:
                fast = showing.document(sample, contact, settings, as_of)
                assert fast is not None
                slow = api.customer(sample, contact, settings, as_of).json_text().encode()
                assert fast == slow, (contact, as_of)
    assert sample.memo is not None and showing.INDEX in sample.memo


def test_the_library_call_finds_ids_as_show_does_and_falls_back_where_it_must(sample):
    as_of = sample.as_of(None)
    email_keyed = api.customer_json(sample, " c-1197 ", as_of=as_of)
    assert email_keyed == api.customer(sample, "c-1197", as_of=as_of).json_text().encode()
    with pytest.raises(api.NotFoundError, match="no customer with contactID 'nobody'"):
        api.customer_json(sample, " nobody", as_of=as_of)
    earlier = sample.newest_ms - 86_400_000  # before the newest order: the orders answer
    assert showing.document(sample, "c-1197", Settings(), earlier) is None
    assert (
        api.customer_json(sample, "c-1197", as_of=earlier)
        == api.customer(sample, "c-1197", as_of=earlier).json_text().encode()
    )
    assert showing.document(api.load(), "c-1197", Settings(), as_of) is None  # not long-lived


def test_a_contacts_file_takes_the_general_path(tmp_path, write_csv):
    orders = write_csv([{"orderReference": "o", "contactID": "c-1", "orderDate": "2025-10-01",
                         "total": "1.00"}])  # fmt: skip
    contacts = tmp_path / "contacts.csv"
    contacts.write_text("contactID,name\nc-1,One\nc-2,Two\n", encoding="utf-8")
    loaded = api.snapshot(api.Inputs(paths=(str(orders),), contacts=str(contacts)))
    assert showing.document(loaded, "c-1", Settings(), AS_OF_MS) is None
    two = api.customer_json(loaded, "c-2", as_of=AS_OF_MS)
    assert two == api.customer(loaded, "c-2", as_of=AS_OF_MS).json_text().encode()


@given(order_rows(), thresholds(), st.sampled_from([0, 1, 86_400_000, 90 * 86_400_000]))
@PROPERTY
def test_generated_exports_give_the_same_bytes(tmp_path, rows, settings, later):
    if all_skipped(rows):
        return
    path = tmp_path / "orders.csv"
    path.write_text(csv_text(rows), encoding="utf-8")
    loaded = api.snapshot(api.Inputs(paths=(str(path),)))
    as_of = max(AS_OF_MS, loaded.newest_ms or 0) + later
    for contact in loaded.aggregate["contactID"].tolist():
        fast = api.customer_json(loaded, contact, settings, as_of)
        assert fast == api.customer(loaded, contact, settings, as_of).json_text().encode()


@given(st.lists(st.integers(-(2**62), 2**62), min_size=1, max_size=50))
def test_cents_text_is_format_cents(values):
    assert [cents_text(v) for v in values] == format_cents(np.array(values)).tolist()
