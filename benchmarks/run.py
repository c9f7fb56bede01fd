"""Time whole segcli processes against DuckDB doing the same work, in the same run.

    pip install '.[bench]'
    python benchmarks/generate.py 1000000 /tmp/bench
    python benchmarks/run.py /tmp/bench/orders-1M.parquet /tmp/bench/orders-1M.csv --runs 5

For every input: one warm-up, then `--runs` timed runs of each case, each a fresh process;
the table shows medians, the peak resident memory of the slowest-memory run, and each segcli
case as a ratio of the DuckDB case doing the same work. Before timing, segcli's NDJSON and
DuckDB's are compared customer by customer: a benchmark of different answers is worthless.
Cold runs pass --no-cache; warm runs use a cache filled by the warm-up, in a private directory.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
AS_OF = "2025-10-23"


@dataclass(frozen=True)
class Case:
    name: str  # what the row is called
    segcli: list[str]  # segcli arguments (before --orders)
    warm: bool  # use the cache (filled by the warm-up) instead of --no-cache
    duck: str  # the DuckDB task doing the same work


def cases(contact: str) -> list[Case]:
    return [
        Case("list --format ndjson", ["list", "--format", "ndjson"], False, "ndjson"),
        Case("list --format json", ["list", "--format", "json"], False, "json"),
        Case("breakdown", ["breakdown"], False, "breakdown"),
        Case("show ID", ["show", contact, "--format", "json"], False, "show"),
        Case("warm list --format ndjson", ["list", "--format", "ndjson"], True, "ndjson"),
        Case(
            "warm list --segment VIP --format json",
            ["list", "--segment", "VIP", "--format", "json"],
            True,
            "vip",
        ),
        Case("warm breakdown", ["breakdown"], True, "breakdown"),
        Case("warm show ID", ["show", contact, "--format", "json"], True, "show"),
    ]


TIME = Path("/usr/bin/time")


def timed(command: list[str], env: dict[str, str]) -> tuple[float, int]:
    """Wall seconds and peak RSS (KiB) of one process, its output discarded.

    The peak comes from GNU time, which forks the command from its own small process: a child
    forked straight from this (large) Python process would inherit its high-water mark, since
    Linux keeps ru_maxrss across exec. Without GNU time, wait4's figure is used (an upper bound).
    """
    wrapped = [str(TIME), "-f", "%M", *command] if TIME.exists() else command
    start = time.perf_counter()
    process = subprocess.Popen(wrapped, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    stderr = process.stderr.read().decode() if process.stderr else ""
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"failed: {' '.join(command)}\n{stderr}")
    peak = int(stderr.split()[-1]) if TIME.exists() else usage.ru_maxrss
    return elapsed, peak


def measure(command: list[str], env: dict[str, str], runs: int) -> tuple[float, int]:
    timed(command, env)  # warm-up: the page cache, and for warm cases the segcli cache
    samples = [timed(command, env) for _ in range(runs)]
    return statistics.median(s[0] for s in samples), max(s[1] for s in samples)


def segcli(args: list[str], path: Path, warm: bool) -> list[str]:
    command = [sys.executable, "-m", "segcli", *args, "--orders", str(path), "--as-of", AS_OF, "-q"]
    return command if warm else [*command, "--no-cache"]


def duck(task: str, path: Path, contact: str) -> list[str]:
    return [sys.executable, str(HERE / "duck.py"), task, str(path), AS_OF, contact]


def same_customers(path: Path, env: dict[str, str]) -> tuple[int, str]:
    """Both NDJSON outputs, compared customer by customer (in a child process, so that this one
    stays small); returns the number of customers and the biggest spender's id."""
    check = subprocess.run(
        [sys.executable, str(Path(__file__)), "--compare", str(path)],
        capture_output=True, text=True, env=env,
    )  # fmt: skip
    if check.returncode != 0:
        raise SystemExit(check.stderr or check.stdout)
    count, top = check.stdout.split()
    return int(count), top


def compare(path: Path) -> int:
    env = dict(os.environ)
    ours = subprocess.run(
        segcli(["list", "--format", "ndjson"], path, warm=False),
        capture_output=True, env=env, check=True,
    ).stdout  # fmt: skip
    theirs = subprocess.run(
        duck("ndjson", path, ""), capture_output=True, env=env, check=True
    ).stdout
    a = {r["contactID"]: r for r in map(json.loads, ours.splitlines())}
    b = {r["contactID"]: r for r in map(json.loads, theirs.splitlines())}
    if a != b:
        differing = sorted(k for k in a.keys() | b.keys() if a.get(k) != b.get(k))
        print(f"{path}: segcli and DuckDB differ on {len(differing)} customers, "
              f"e.g. {differing[:3]}", file=sys.stderr)  # fmt: skip
        return 1
    print(len(a), next(iter(a)))  # the biggest spender, for `show`
    return 0


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    import duckdb
    import pandas
    import pyarrow

    return (
        f"{os.cpu_count()} cores ({cpu}), {memory:.0f} GiB, Python {platform.python_version()}, "
        f"pandas {pandas.__version__}, pyarrow {pyarrow.__version__}, "
        f"DuckDB {duckdb.__version__}"
    )


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--compare"]:
        return compare(Path(argv[1]))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("inputs", nargs="+", type=Path)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--cases", nargs="+", metavar="NAME", help="only the cases named (e.g. breakdown)"
    )
    args = parser.parse_args(argv)
    if args.runs < 5:
        parser.error("--runs must be at least 5: a median of fewer says little")
    print(f"machine: {machine()}\n")
    rows = []
    with tempfile.TemporaryDirectory() as cache_home:
        env = {**os.environ, "XDG_CACHE_HOME": cache_home}
        for path in args.inputs:
            customers, contact = same_customers(path, env)
            size = path.stat().st_size / 2**20
            print(f"{path.name}: {size:,.0f} MiB, {customers:,} customers; same as DuckDB")
            duck_times = {}
            for case in cases(contact):
                if args.cases and case.name not in args.cases:
                    continue
                if case.duck not in duck_times:
                    duck_times[case.duck] = measure(duck(case.duck, path, contact), env, args.runs)
                ours, ours_rss = measure(segcli(case.segcli, path, case.warm), env, args.runs)
                theirs, theirs_rss = duck_times[case.duck]
                rows.append((path.name, case.name, ours, ours_rss, theirs, theirs_rss))
                print(f"  {case.name:40s} {ours:6.2f} s  DuckDB {theirs:6.2f} s", flush=True)
    print()
    print("| input | case | segcli median | segcli peak RSS | DuckDB median | DuckDB peak RSS "
          "| segcli / DuckDB |")  # fmt: skip
    print("|---|---|---:|---:|---:|---:|---:|")
    for name, case, ours, ours_rss, theirs, theirs_rss in rows:
        print(
            f"| {name} | {case} | {ours:.2f} s | {ours_rss / 2**20:.2f} GiB | {theirs:.2f} s "
            f"| {theirs_rss / 2**20:.2f} GiB | {ours / theirs:.2f}x |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
