"""What `breakdown --history` costs against a cold `breakdown` of the same file, in the same run.

    python benchmarks/history.py /tmp/bench/orders-10M.parquet --runs 5

Each run is a fresh `segcli` process with `--no-cache`; the two commands alternate, so that a
machine busy with something else slows both alike. Prints the medians, the peak resident
memory (GNU time) and the ratio. Issue 17's goal: about 2x or less at 10M orders.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

AS_OF = "2025-10-23"
TIME = Path("/usr/bin/time")
SEGCLI = Path(sys.executable).with_name("segcli")


def timed(arguments: list[str]) -> tuple[float, float]:
    """(seconds, peak RSS in GiB) of one segcli process, its output thrown away."""
    with tempfile.NamedTemporaryFile() as report:
        command = [str(SEGCLI), *arguments]
        if TIME.exists():
            command = [str(TIME), "-f", "%M", "-o", report.name, *command]
        start = time.perf_counter()
        subprocess.run(command, stdout=subprocess.DEVNULL, stdin=subprocess.DEVNULL, check=True)
        seconds = time.perf_counter() - start
        text = Path(report.name).read_text().strip() if TIME.exists() else ""
    peak = int(text.splitlines()[-1]) / 2**20 if text else float("nan")
    return seconds, peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("orders")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    base = ["breakdown", "--orders", args.orders, "--as-of", AS_OF, "--no-cache", "-q"]
    base += ["--format", "json"]
    cases = {"breakdown": base, "breakdown --history": [*base, "--history"]}
    for arguments in cases.values():  # warm-up: the file in the page cache, imports compiled
        timed(arguments)
    seconds: dict[str, list[float]] = {name: [] for name in cases}
    peaks: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(args.runs):
        for name, arguments in cases.items():
            spent, peak = timed(arguments)
            seconds[name].append(spent)
            peaks[name].append(peak)
    print(f"{args.orders}, {args.runs} runs each, {os.cpu_count()} cores")
    print("| case | median | peak RSS |")
    print("|---|---:|---:|")
    for name in cases:
        print(f"| {name} | {statistics.median(seconds[name]):.2f} s | {max(peaks[name]):.2f} GiB |")
    ratio = statistics.median(seconds["breakdown --history"]) / statistics.median(
        seconds["breakdown"]
    )
    print(f"breakdown --history / breakdown: {ratio:.2f}x")


if __name__ == "__main__":
    main()
