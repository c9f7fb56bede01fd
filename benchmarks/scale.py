"""Past one process's memory: `segcli breakdown` and `segcli list --format ndjson` with
--engine dask on 2 workers limited to 1.5 GB each, against the pandas engine, on a hive-
partitioned Parquet dataset of 10M and 30M orders (and sizes between with --sizes), with the
peak memory of the whole process tree (every process's RSS summed, sampled every 50 ms).

    .venv/bin/python benchmarks/scale.py /tmp/scale --chunks 3

The dataset is CHUNK orders per chunk (benchmarks/generate.py, one seed each: a shop of 1M
customers over three years), written once as year=YYYY/month=MM/chunk-K.parquet. n chunks are
the files chunk-0 .. chunk-(n-1) of every month, read through one glob. The pandas engine runs on
the first chunk (10M orders) and on the largest input, where it needs more than the workers'
total; on both, the engines must print the same bytes. Both commands run with --quiet,
--no-cache and --as-of 2025-10-23.
"""

from __future__ import annotations

import argparse
import decimal
import hashlib
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import psutil
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from generate import orders

CHUNK = 10_000_000
AS_OF = "2025-10-23"
WORKER_MEMORY = "1.5GB"
SEED = 20251023


def write_chunk(k: int, folder: Path) -> None:
    """Chunk k's orders, by the month of their date (rows stay in date order)."""
    done = folder / f".chunk-{k}"
    if done.exists():
        return
    table = orders(CHUNK, SEED + k)  # totals in cents; written as decimal(18,2), exactly
    cents = pc.cast(table["total"], pa.decimal128(19, 0))
    hundredth = pa.scalar(decimal.Decimal("0.01"), pa.decimal128(3, 2))
    table = table.set_column(
        3, "total", pc.cast(pc.multiply(cents, hundredth), pa.decimal128(18, 2))
    )
    month = pc.strftime(table["orderDate"], format="%Y-%m").to_numpy(zero_copy_only=False)
    starts = np.flatnonzero(np.r_[True, month[1:] != month[:-1]])
    for a, b in zip(starts, [*starts[1:], len(month)], strict=True):
        year, mm = month[a].split("-")
        where = folder / f"year={year}" / f"month={mm}"
        where.mkdir(parents=True, exist_ok=True)
        pq.write_table(table.slice(a, b - a), where / f"chunk-{k}.parquet")
    done.touch()


def glob(folder: Path, chunks: int) -> str:
    names = "0" if chunks == 1 else f"[0-{chunks - 1}]"
    return str(folder / "year=*" / "month=*" / f"chunk-{names}.parquet")


def measure(command: list[str], out: Path) -> tuple[float, float]:
    """Seconds and peak GiB of the process tree; stdout goes to `out` (a list of millions of
    customers would fill a pipe nobody reads while the command runs)."""
    start = time.perf_counter()
    with out.open("wb") as sink:
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=sink)
        root, peak = psutil.Process(process.pid), 0
        while process.poll() is None:
            try:
                tree = [root, *root.children(recursive=True)]
                peak = max(peak, sum(p.memory_info().rss for p in tree))
            except psutil.Error:
                pass
            time.sleep(0.05)
    return time.perf_counter() - start, peak / 2**30


def run(
    segcli: str, command: list[str], orders: str, engine: str, out: Path
) -> tuple[float, float]:
    args = [segcli, *command, "--orders", orders, "--as-of", AS_OF, "--no-cache", "--quiet"]
    if engine == "dask":
        args += ["--engine", "dask", "--workers", "2", "--worker-memory", WORKER_MEMORY]
    return measure(args, out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--chunks", type=int, default=3)
    parser.add_argument("--sizes", type=int, nargs="*", default=[], help="chunks between")
    parser.add_argument("--only", choices=["breakdown", "list ndjson"], help="one command")
    args = parser.parse_args()
    for k in range(args.chunks):
        write_chunk(k, args.folder)
    segcli = str(Path(sys.executable).with_name("segcli"))
    commands = {
        "breakdown": ["breakdown", "--format", "json"],
        "list ndjson": ["list", "--format", "ndjson"],
    }
    print("| orders | command | engine | time | peak memory (tree) |")
    print("|---|---|---|---|---|")
    for chunks in sorted({1, *args.sizes, args.chunks}):
        engines = ["dask"] if 1 < chunks < args.chunks else ["dask", "pandas"]
        for name, command in commands.items():
            if args.only and name != args.only:
                continue
            outputs = {}
            for engine in engines:
                out = args.folder / f"out-{chunks}-{command[0]}-{engine}"
                seconds, peak = run(segcli, command, glob(args.folder, chunks), engine, out)
                outputs[engine] = hashlib.sha256(out.read_bytes()).hexdigest()
                out.unlink()
                print(
                    f"| {chunks * CHUNK // 1_000_000}M | {name} | {engine} | {seconds:.1f} s "
                    f"| {peak:.2f} GiB |",
                    flush=True,
                )
            if len(outputs) == 2:
                same = outputs["dask"] == outputs["pandas"]
                size = f"{chunks * CHUNK // 1_000_000}M"
                print(f"<!-- {size} {name}: the engines print the same bytes: {same} -->")


if __name__ == "__main__":
    main()
