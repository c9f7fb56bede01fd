"""`segcli list --format ndjson --engine dask`: the client's peak memory with the list streamed
(this checkout) against the list gathered (the code at a given git commit, on PYTHONPATH), and
the pandas engine's, on the same input, with each output's MD5.

    git archive f8324fe segcli | tar -x -C /tmp/before      # the code before streaming
    .venv/bin/python benchmarks/stream.py "/tmp/scale/year=*/month=*/chunk-0.parquet" \
        --before /tmp/before --out /tmp/stream-out

Each run is a whole `segcli` process (`python -m segcli`, --no-cache --quiet --as-of 2025-10-23,
for dask `--workers 2 --worker-memory 1.5GB` as benchmarks/scale.py runs it); the RSS of the
client (the segcli process itself) and of its whole process tree (the client, the spawner and
the workers) is sampled every 50 ms. One command at a time, in the order given by --runs.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
import time
from pathlib import Path

import psutil

AS_OF = "2025-10-23"
WORKER_MEMORY = "1.5GB"


def measure(command: list[str], out: Path, env: dict[str, str]) -> tuple[float, float, float]:
    """Seconds, the client's peak GiB and the process tree's peak GiB; stdout to `out`."""
    start = time.perf_counter()
    with out.open("wb") as sink:
        process = subprocess.Popen(  # run elsewhere: `-m` puts the working folder first
            command, stdin=subprocess.DEVNULL, stdout=sink, env=env, cwd=out.parent
        )
        root, client, tree = psutil.Process(process.pid), 0, 0
        while process.poll() is None:
            try:
                own = root.memory_info().rss
                rest = sum(p.memory_info().rss for p in root.children(recursive=True))
                client, tree = max(client, own), max(tree, own + rest)
            except psutil.Error:
                pass
            time.sleep(0.05)
    if process.returncode:
        raise SystemExit(f"{command} exited with {process.returncode}")
    return time.perf_counter() - start, client / 2**30, tree / 2**30


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("orders")
    parser.add_argument("--before", type=Path, required=True, help="segcli's code before")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--runs", nargs="*", default=["streamed", "gathered", "pandas"])
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    args.out = args.out.resolve()
    base = [sys.executable, "-m", "segcli", "list", "--format", "ndjson", "--orders",
            args.orders, "--as-of", AS_OF, "--no-cache", "--quiet"]  # fmt: skip
    dask = ["--engine", "dask", "--workers", "2", "--worker-memory", WORKER_MEMORY]
    here = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    runs = {
        "streamed": (base + dask, here),
        "gathered": (base + dask, {**here, "PYTHONPATH": str(args.before.resolve())}),
        "pandas": (base, here),
    }
    print("| run | time | client peak RSS | tree peak RSS | MD5 of stdout |")
    print("|---|---:|---:|---:|---|")
    for name in args.runs:
        command, env = runs[name]
        out = args.out / f"{name}.ndjson"
        where = [sys.executable, "-c", "import segcli.cli, sys; print(segcli.cli.__file__)"]
        used = subprocess.run(where, env=env, cwd=args.out, capture_output=True, text=True)
        print(f"<!-- {name}: {used.stdout.strip()} -->")
        seconds, client, tree = measure(command, out, env)
        digest = hashlib.md5(out.read_bytes()).hexdigest()
        load = os.getloadavg()[0]
        print(f"| {name} | {seconds:.1f} s | {client:.2f} GiB | {tree:.2f} GiB | {digest} "
              f"(load {load:.1f}) |", flush=True)  # fmt: skip
        out.unlink()


if __name__ == "__main__":
    main()
