"""Time whole segcli processes against DuckDB doing the same work, in the same run.

    pip install '.[bench]'
    python benchmarks/generate.py 1000000 /tmp/bench
    python benchmarks/run.py /tmp/bench/orders-1M.parquet /tmp/bench/orders-1M.csv --runs 5

For every input: one warm-up, then `--runs` timed runs of each case, each a fresh process;
the table shows medians, the peak resident memory of the slowest-memory run, and each segcli
case as a ratio of the DuckDB case doing the same work, and the CPU time (user + system) of the
median run: on a shared machine it varies far less than the wall time. Before timing, segcli's
NDJSON and DuckDB's are compared customer by customer: a benchmark of different answers is
worthless. Cold runs pass --no-cache; warm runs use a cache filled by the warm-up, in a private
directory; "first" runs use the cache, each in a new, empty directory: what a user waits for the
first time a command meets a file (compare with the cold case of the same command).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
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
    first: bool = False  # use the cache, each run in an empty one: the first run on a file


def cases(contact: str) -> list[Case]:
    return [
        Case("list --format ndjson", ["list", "--format", "ndjson"], False, "ndjson"),
        Case("list --format json", ["list", "--format", "json"], False, "json"),
        Case("breakdown", ["breakdown"], False, "breakdown"),
        Case("show ID", ["show", contact, "--format", "json"], False, "show"),
        Case("first list --format ndjson", ["list", "--format", "ndjson"], True, "ndjson", True),
        Case("first breakdown", ["breakdown"], True, "breakdown", True),
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


def timed(command: list[str], env: dict[str, str], first: bool = False) -> tuple[float, int, float]:
    """Wall seconds, peak RSS (KiB) and CPU seconds of one process, its output discarded; with
    `first`, in a new, empty cache.

    The peak comes from GNU time, which forks the command from its own small process: a child
    forked straight from this (large) Python process would inherit its high-water mark, since
    Linux keeps ru_maxrss across exec. Without GNU time, wait4's figure is used (an upper bound).
    """
    if first:
        with tempfile.TemporaryDirectory() as empty:
            return timed(command, {**env, "XDG_CACHE_HOME": empty})
    wrapped = [str(TIME), "-f", "%M %U %S", *command] if TIME.exists() else command
    start = time.perf_counter()
    process = subprocess.Popen(wrapped, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    stderr = process.stderr.read().decode() if process.stderr else ""
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"failed: {' '.join(command)}\n{stderr}")
    if TIME.exists():
        peak, user, system = stderr.split()[-3:]
        return elapsed, int(peak), float(user) + float(system)
    return elapsed, usage.ru_maxrss, usage.ru_utime + usage.ru_stime


def measure(
    command: list[str], env: dict[str, str], runs: int, first: bool = False
) -> tuple[float, int, float]:
    """The median wall time, the largest peak RSS, and the CPU time of the median run."""
    timed(command, env)  # warm-up: the page cache, and for warm cases the segcli cache
    samples = sorted(timed(command, env, first) for _ in range(runs))
    return samples[len(samples) // 2][0], max(s[1] for s in samples), samples[len(samples) // 2][2]


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
    if args.runs < 3:
        parser.error("--runs must be at least 3: a median of fewer says little")
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
                command = segcli(case.segcli, path, case.warm)
                ours, ours_rss, ours_cpu = measure(command, env, args.runs, case.first)
                theirs, theirs_rss, theirs_cpu = duck_times[case.duck]
                rows.append((path.name, case.name, ours, ours_rss, ours_cpu, theirs, theirs_rss,
                             theirs_cpu))  # fmt: skip
                print(f"  {case.name:40s} {ours:6.2f} s  DuckDB {theirs:6.2f} s", flush=True)
    print(f"\nmedians of {args.runs} runs\n")
    print("| input | case | segcli median | segcli CPU | segcli peak RSS | DuckDB median "
          "| DuckDB CPU | DuckDB peak RSS | segcli / DuckDB |")  # fmt: skip
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for name, case, ours, ours_rss, ours_cpu, theirs, theirs_rss, theirs_cpu in rows:
        print(
            f"| {name} | {case} | {ours:.2f} s | {ours_cpu:.2f} s | {ours_rss / 2**20:.2f} GiB "
            f"| {theirs:.2f} s | {theirs_cpu:.2f} s | {theirs_rss / 2**20:.2f} GiB "
            f"| {ours / theirs:.2f}x |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
