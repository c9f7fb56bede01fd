"""`show ID` and the warm path, timed against DuckDB in the same run (issue 18, items 3 and 4).

    python benchmarks/show.py /tmp/bench/orders-10M.parquet CONTACT_ID --runs 5
    python benchmarks/show.py /tmp/bench/orders-10M.parquet CONTACT_ID --warm-only   # minutes less

Cases, each a fresh process, the median of `--runs` after one warm-up of the page cache:
- cold show: `show ID --no-cache`; first show: with the cache on and empty (the first run);
- warm show, warm breakdown, warm VIP list: with an entry that one `list` filled;
- DuckDB: `SELECT ... WHERE contactID = ?` over the same file, the one customer's metrics (the
  fastest honest query: DuckDB pushes the filter into its scan), and duck.py's cold VIP list.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
AS_OF = "2025-10-23"

ONE_CUSTOMER = """
SELECT contactID, count(*) AS orderCount, sum(total) AS totalSpend,
       max(orderDate) AS lastOrderDate, arg_max(orderReference, orderDate) AS lastOrderReference,
       min(orderDate) AS firstOrderDate, arg_max(name, orderDate) AS name,
       arg_max(email, orderDate) AS email, arg_max(company, orderDate) AS company
FROM {source} WHERE contactID = ? GROUP BY contactID
"""


def duck_show(path: str, contact: str) -> None:
    import json

    import duckdb

    source = f"read_parquet('{path}')" if path.endswith(".parquet") else f"read_csv_auto('{path}')"
    row = duckdb.execute(ONE_CUSTOMER.format(source=source), [contact]).fetchone()
    print(json.dumps(row, default=str))


def timed(command: list[str], env: dict[str, str] | None = None) -> float:
    start = time.perf_counter()
    subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
                   stdin=subprocess.DEVNULL, check=True)  # fmt: skip
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--duck-show"]:
        duck_show(argv[1], argv[2])
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("input")
    parser.add_argument("contact")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--warm-only", action="store_true", help="only the warm cases (and DuckDB's): no cold show"
    )
    parser.add_argument(
        "--segcli", default=f"{sys.executable} -m segcli", help="the command that runs segcli"
    )
    args = parser.parse_args(argv)
    import os
    import shlex

    segcli = shlex.split(args.segcli)
    common = ["--orders", args.input, "--as-of", AS_OF, "-q", "--format", "json"]
    show = [*segcli, "show", args.contact, *common]
    duck = [sys.executable, __file__, "--duck-show", args.input, args.contact]
    vip_duck = [sys.executable, str(HERE / "duck.py"), "vip", args.input, AS_OF, ""]
    results: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "XDG_CACHE_HOME": home}
        timed(duck)  # the page cache
        fill = [*segcli, "list", *common]
        warm = {
            "warm show": show,
            "warm breakdown": [*segcli, "breakdown", *common],
            "warm list --segment VIP": [*segcli, "list", "--segment", "VIP", *common],
        }
        if args.warm_only:
            timed(fill, env)
        for _ in range(args.runs):
            results.setdefault("DuckDB show", []).append(timed(duck))
            if not args.warm_only:
                results.setdefault("cold show", []).append(timed([*show, "--no-cache"], env))
                subprocess.run(["rm", "-rf", home + "/segcli"], check=True)
                results.setdefault("first show", []).append(timed(show, env))
                timed(fill, env)
            for name, command in warm.items():
                results.setdefault(name, []).append(timed(command, env))
            results.setdefault("DuckDB VIP list", []).append(timed(vip_duck))
    medians = {name: statistics.median(times) for name, times in results.items()}
    for name, median in medians.items():
        reference = medians["DuckDB VIP list" if "VIP" in name else "DuckDB show"]
        print(f"| {Path(args.input).name} | {name} | {median:.2f} s | {median / reference:.2f}x |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
