"""`segcli serve` under load: a server on the benchmark file, driven over loopback by a bounded
async load generator (httpx), a fixed number of requests per case, then it stops by itself.

    python benchmarks/generate.py 1000000 /tmp/bench
    python benchmarks/serve.py /tmp/bench/orders-1M.parquet --requests 2000

Cases: `show` by a random contactID, `list?segment=VIP&limit=50` and `breakdown`, each at 1, 16
and 64 concurrent clients; requests/s and p50/p99 latency as the client saw them, errors (any
status but 200, or a failed connection), and the server's own CPU time per request. Then a
reload during a run: the file is replaced by a copy with one more customer while 16 clients
list, and every answer must come whole from one snapshot or the other (its total one of the
two, its page as long as it says).

The client runs on the same 2 cores as the server, so the latencies are the pair's, not the
server's alone; the CPU time per request is the server's.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import pyarrow as pa
import pyarrow.parquet as pq

CONCURRENCY = (1, 16, 64)


def cpu_seconds(pid: int) -> float:
    """The process's user and system CPU time so far (Linux /proc): a measure of the server's
    own work per request that other load on a shared machine does not distort."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start(orders: Path, port: int, log: Path, interval: float) -> subprocess.Popen:
    env = {**os.environ, "NO_COLOR": "1"}
    env.pop("SEGCLI_TOKEN", None)
    command = [sys.executable, "-m", "segcli", "serve", "--orders", str(orders), "--port",
               str(port), "--no-cache", "--reload-interval", str(interval)]  # fmt: skip
    with log.open("wb") as stderr:
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stderr=stderr, env=env)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the server stopped: {log.read_text()}")
        try:
            if httpx.get(f"{url}/api/health", timeout=2).status_code == 200:
                return process
        except httpx.TransportError:
            time.sleep(0.2)
    raise SystemExit("the server did not start")


async def drive(url: str, paths: list[str], clients: int, check=None) -> dict[str, float]:
    """Send every path in `paths` with `clients` at a time; latencies and errors."""
    latencies: list[float] = []
    errors = 0
    queue = iter(paths)
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)

    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=60) as client:

        async def worker() -> None:
            nonlocal errors
            for path in queue:  # shared: each path is taken once
                started = time.perf_counter()
                try:
                    response = await client.get(path)
                    ok = response.status_code == 200 and (check is None or check(response))
                except httpx.HTTPError:
                    ok = False
                latencies.append(time.perf_counter() - started)
                errors += not ok

        began = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(clients)))
        took = time.perf_counter() - began
    latencies.sort()
    return {
        "requests": len(latencies),
        "rps": len(latencies) / took,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000,
        "errors": errors,
    }


def with_one_more_customer(source: Path, target: Path) -> None:
    """A copy of the Parquet file with one order of a customer it does not have."""
    table = pq.read_table(source)
    extra = table.slice(table.num_rows - 1, 1).to_pylist()[0]
    extra["contactID"], extra["orderReference"] = "bench-new-customer", "ORD-BENCH-RELOAD"
    pq.write_table(pa.concat_tables([table, pa.Table.from_pylist([extra], table.schema)]), target)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("orders", type=Path, help="a Parquet file from generate.py")
    parser.add_argument("--requests", type=int, default=2000, help="per case")
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="segcli-serve-bench-"))
    served = folder / "orders.parquet"
    shutil.copy(args.orders, served)
    log = folder / "server.log"
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    began = time.perf_counter()
    server = start(served, port, log, interval=1.0)
    print(f"server up in {time.perf_counter() - began:.1f} s on {args.orders.name}", flush=True)
    try:
        page = httpx.get(f"{url}/api/customers?limit=10000&sort=contactID", timeout=60).json()
        ids = [c["contactID"] for c in page["data"]]
        rng = random.Random(15)
        mixes = {
            "show by random id": lambda: f"/api/customers/{rng.choice(ids)}",
            "list?segment=VIP&limit=50": lambda: "/api/customers?segment=VIP&limit=50",
            "breakdown": lambda: "/api/breakdown",
        }
        print("| case | clients | requests | requests/s | p50 | p99 | errors | server CPU |")
        print("|---|---:|---:|---:|---:|---:|---:|---:|")
        for name, path in mixes.items():
            asyncio.run(drive(url, [path() for _ in range(50)], 4))  # warm-up
            for clients in CONCURRENCY:
                paths = [path() for _ in range(args.requests)]
                cpu = cpu_seconds(server.pid)
                r = asyncio.run(drive(url, paths, clients))
                cpu_ms = (cpu_seconds(server.pid) - cpu) / r["requests"] * 1000
                cells = [name, clients, f"{r['requests']:,}", f"{r['rps']:,.0f}",
                         f"{r['p50_ms']:.1f} ms", f"{r['p99_ms']:.1f} ms", r["errors"],
                         f"{cpu_ms:.1f} ms/request"]  # fmt: skip
                print("| " + " | ".join(str(c) for c in cells) + " |", flush=True)
        reload_during_load(url, args.orders, served, folder, args.requests)
    finally:
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(folder, ignore_errors=True)


def reload_during_load(url: str, original: Path, served: Path, folder: Path, n: int) -> None:
    before = httpx.get(f"{url}/api/customers?limit=1", timeout=60).json()["meta"]["total"]
    staged = folder / "next.parquet"
    with_one_more_customer(original, staged)
    totals: set[int] = set()

    def whole(response: httpx.Response) -> bool:
        document = response.json()
        totals.add(document["meta"]["total"])
        return document["meta"]["count"] == len(document["data"]) == 50

    async def run() -> dict[str, float]:
        load = asyncio.create_task(drive(url, ["/api/customers?limit=50"] * n, 16, check=whole))
        await asyncio.sleep(0.5)
        replaced = time.perf_counter()
        os.replace(staged, served)
        while True:  # until the new snapshot answers
            health = httpx.get(f"{url}/api/health", timeout=60).json()["data"]
            if health["customers"] == before + 1:
                break
            await asyncio.sleep(0.05)
        print(f"\nreload: the new snapshot answered {time.perf_counter() - replaced:.2f} s "
              "after the file was replaced (checked every 1 s)")  # fmt: skip
        return await load

    r = asyncio.run(run())
    mixed = totals - {before, before + 1}
    print(f"reload during load (16 clients, {r['requests']:,} list requests): "
          f"{r['errors']} errors, totals seen {sorted(totals)}, "
          f"mixed: {'none' if not mixed else sorted(mixed)}")  # fmt: skip


if __name__ == "__main__":
    main()
