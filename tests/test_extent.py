"""Issue 12 items 6 and 8: the orders' currency (never two summed), the oldest and newest
orders in JSON meta, and a notice when the default as-of (now) is long after the newest order."""

from __future__ import annotations

import json

from helpers import AS_OF, AS_OF_MS, DAY, Cli, order


def rows_in(*codes: str) -> list[dict]:
    return [
        dict(order("c-1", AS_OF_MS - (k + 1) * DAY, "10.00", f"R{k}"), currency=code)
        for k, code in enumerate(codes)
    ]


def test_one_currency_is_reported_in_meta(cli: Cli, write_csv):
    result = cli("list", "--orders", str(write_csv(rows_in("nzd", "NZD"))), "--as-of", AS_OF,
                 "-f", "json")  # fmt: skip
    meta = json.loads(result.stdout)["meta"]
    assert meta["currency"] == "NZD" and list(meta)[3:6] == ["ordersFrom", "ordersTo", "currency"]


def test_mixed_currencies_are_an_error_unless_one_is_kept(cli: Cli, write_csv):
    path = str(write_csv(rows_in("NZD", "AUD", "NZD")))
    mixed = cli("list", "--orders", path, "--as-of", AS_OF, "-f", "json")
    assert mixed.exit_code == 1
    assert (
        "the orders are in 2 currencies (AUD: 1 row, NZD: 2 rows); they are never summed; "
        "--currency CODE keeps one" in mixed.stderr
    )
    kept = cli("list", "--orders", path, "--as-of", AS_OF, "-f", "json", "--currency", "aud")
    document = json.loads(kept.stdout)
    assert document["meta"]["currency"] == "AUD"
    assert document["data"][0]["metrics"]["orderCount"] == 1
    assert "set aside 2 rows in other currencies (NZD: 2)" in kept.stderr


def test_meta_gives_the_oldest_and_newest_orders_counted(cli: Cli, write_csv):
    rows = [
        order("c-1", AS_OF_MS - 40 * DAY, "1.00"),
        order("c-2", AS_OF_MS - 3 * DAY, "1.00"),
        order("c-2", AS_OF_MS + 3 * DAY, "1.00"),
    ]  # fmt: skip  (the last is after the as-of)
    meta = cli.json("breakdown", "--orders", str(write_csv(rows)), "--as-of", AS_OF)["meta"]
    assert meta["ordersFrom"] == "2025-09-13T23:59:59.999Z"
    assert meta["ordersTo"] == "2025-10-20T23:59:59.999Z"


def test_an_old_export_read_as_of_now_says_so(cli: Cli, write_csv):
    rows = [order("c-1", AS_OF_MS - 400 * DAY, "1.00")]  # newest order 2024-09-18
    path = str(write_csv(rows))
    result = cli("list", "--orders", path)
    assert "newest order 2024-09-18, " in result.stderr
    assert (
        "every customer but the VIPs is Dormant; as of 2024-09-18 the file shows its last day"
        in result.stderr
    )
    assert "(--as-of sets the day to look from)" in result.stderr
    given = cli("list", "--orders", path, "--as-of", "2030-01-01")  # asked for: no notice
    assert "newest order" not in given.stderr
