"""Time adding one daily export to a folder of 365 against a full cold run of the folder.

    python benchmarks/generate.py 10000000 /tmp/bench
    python benchmarks/incremental.py /tmp/bench/orders-10M.parquet /tmp/inc --runs 3

The export is cut into 366 files of consecutive rows (the benchmark file is in date order, so
each is about one day of a shop's orders): `day-001` … `day-365` make the folder, `day-366` is
the new file. Cases, each a fresh process and the median of `--runs`:

- cold: `list --format ndjson --no-cache` on the folder of 365 (the reference; `--command
  breakdown` runs `breakdown --format json` in every case instead);
- first: the same with the cache, in an empty cache (it also stores what the next run merges);
- incremental: the folder with `day-366` added (and removed after the run), the cache
  holding the entry the first run left for the folder of 365 (copied before each run), so that
  only the new file is read;
- warm: the same command again on the 366 files, answered by the entry the incremental run
  wrote: what the command itself costs once its aggregate is known (the floor of the
  incremental case).

The cases run interleaved, each round one of each, so that they meet the same load on a
shared machine; the CPU time (user + system) of each process is shown as well.

Outputs are compared: the incremental and warm runs' outputs must equal `--no-cache` on the 366
files.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

FILES = 366  # 365 in the folder, and the one added
AS_OF = "2025-10-23"
COMMANDS = {  # --command: what is run on the folder
    "list": ["list", "--format", "ndjson", "--as-of", AS_OF],
    "breakdown": ["breakdown", "--format", "json", "--as-of", AS_OF],
}


def split(source: Path, folder: Path, fmt: str) -> None:
    """Cut `source` into FILES files of consecutive rows, once."""
    if (folder / f"day-{FILES:03d}.{fmt}").exists():
        return
    folder.mkdir(parents=True, exist_ok=True)
    table = pq.read_table(source) if source.suffix == ".parquet" else pa_csv.read_csv(source)
    size = -(-table.num_rows // FILES)
    for k in range(FILES):
        part = table.slice(k * size, size)
        path = folder / f"day-{k + 1:03d}.{fmt}"
        if fmt == "parquet":
            pq.write_table(part, path)
        else:
            pa_csv.write_csv(part, path)


def run(command: list[str], orders: Path, cache: Path | None) -> tuple[float, float, bytes]:
    """(wall seconds, CPU seconds of the process, stdout) of one segcli run."""
    env = dict(os.environ)
    args = [sys.executable, "-m", "segcli", *command, "--orders", str(orders)]
    if cache is None:
        args.append("--no-cache")
    else:
        env["XDG_CACHE_HOME"] = str(cache)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(args, env=env, capture_output=True, stdin=subprocess.DEVNULL, check=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return wall, cpu, done.stdout


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path)
    parser.add_argument("work", type=Path)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--format", choices=("parquet", "csv"), default="parquet")
    parser.add_argument("--command", choices=tuple(COMMANDS), default="list")
    args = parser.parse_args(argv)
    fmt, command = args.format, COMMANDS[args.command]
    days = args.work / f"days-{fmt}"
    split(args.source, days, fmt)
    folder, new = args.work / f"folder-{fmt}", days / f"day-{FILES:03d}.{fmt}"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    for k in range(1, FILES):
        os.link(days / f"day-{k:03d}.{fmt}", folder / f"day-{k:03d}.{fmt}")
    filled, cache = args.work / "cache-365", args.work / "cache"
    added = folder / new.name  # the same folder: an entry is for files at their paths
    os.link(new, added)
    _, _, expected = run(command, folder, None)
    added.unlink()
    cold, first, incremental, warm = [], [], [], []
    for _ in range(args.runs):  # interleaved, so that each case meets the same machine load
        cold.append(run(command, folder, None)[:2])
        shutil.rmtree(filled, ignore_errors=True)
        first.append(run(command, folder, filled)[:2])
        shutil.rmtree(cache, ignore_errors=True)
        shutil.copytree(filled, cache)
        os.link(new, added)
        for times in (incremental, warm):
            wall, cpu, out = run(command, folder, cache)
            if out != expected:
                print("output differs from --no-cache", file=sys.stderr)
                return 1
            times.append((wall, cpu))
        added.unlink()
    digest = hashlib.md5(expected).hexdigest()
    reference = statistics.median(w for w, _ in cold)
    cpu_reference = statistics.median(c for _, c in cold)
    print(f"load average {os.getloadavg()[0]:.2f}; {args.command} md5 {digest}")
    case = f"{args.command} ({fmt}, {FILES - 1} files + 1)"
    print(f"| {case} | median s | x cold | CPU s | CPU x cold |")
    print("|---|---:|---:|---:|---:|")
    for name, times in (("cold (--no-cache)", cold), ("first (empty cache)", first),
                        ("add one file", incremental), ("warm (366 files)", warm)):  # fmt: skip
        wall = statistics.median(w for w, _ in times)
        cpu = statistics.median(c for _, c in times)
        print(f"| {name} | {wall:.2f} | {wall / reference:.2f} | {cpu:.2f} | "
              f"{cpu / cpu_reference:.2f} |")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
