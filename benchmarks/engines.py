"""Times `segcli breakdown` with the pandas engine and with --engine dask (a LocalCluster of
worker processes, and in-process worker threads), and the peak memory of the whole process tree
(the sum of every process's RSS, sampled every 50 ms), on a folder of Parquet files.

    .venv/bin/python benchmarks/engines.py /tmp/bench/orders-10M.parquet /tmp/bench/parts-10M

The input file is first split (in order) into 8 Parquet files in the folder, once.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import pyarrow.parquet as pq
from scale import measure  # seconds and the peak of the process tree

PARTS = 8
AS_OF = "2025-10-23"
THREADED = (
    "import sys; from segcli import api;"
    "e = api.Engine('dask', workers=2, processes=False);"
    "l = api.load(api.Inputs(paths=(sys.argv[1],), engine=e), details=(), as_of=sys.argv[2]);"
    "print(api.breakdown(l, as_of=sys.argv[2]).to_dict()['meta']['total'])"
)


def split(source: Path, folder: Path) -> None:
    if folder.exists():
        return
    folder.mkdir(parents=True)
    table = pq.read_table(source)
    step = -(-table.num_rows // PARTS)
    for k in range(PARTS):
        pq.write_table(table.slice(k * step, step), folder / f"part-{k}.parquet")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("parquet", type=Path)
    parser.add_argument("folder", type=Path)
    args = parser.parse_args()
    split(args.parquet, args.folder)
    segcli = str(Path(sys.executable).with_name("segcli"))
    base = [segcli, "breakdown", "--json", "--no-cache", "--orders", str(args.folder)]
    cases = {
        "pandas": [*base, "--as-of", AS_OF],
        "dask, 2 worker processes": [*base, "--as-of", AS_OF, "--engine", "dask", "--workers", "2"],
        "dask, 2 worker threads": [sys.executable, "-c", THREADED, str(args.folder), AS_OF],
    }
    outputs = {}
    for name, command in cases.items():
        with tempfile.TemporaryDirectory() as scratch:  # a file: a pipe read after the exit fills
            out = Path(scratch) / "breakdown.json"
            seconds, peak = measure(command, out)
            outputs[name] = out.read_bytes()
        print(f"| {name} | {seconds:.1f} s | {peak:.2f} GiB |", flush=True)
    same = outputs["pandas"] == outputs["dask, 2 worker processes"]
    print(f"pandas and dask (processes) print the same breakdown: {same}")


if __name__ == "__main__":
    main()
