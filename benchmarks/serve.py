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

The generator is several processes (`--processes`, default one per core), each with its share
of the clients and of the requests, starting together; their latencies are merged. Each client
has its own connection. It runs on the same cores as the server, and httpx spends several
times the server's CPU on a `show`, so its latencies are the pair's; `wrk` (a C client, when it
is installed) drives the same `show` mix for `--wrk-seconds` at 1, 16 and 64 connections, as a
cross-check of the server alone. The CPU time per request is the server's.
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import multiprocessing
import os
import random
import re
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


def start(
    orders: Path, port: int, log: Path, interval: float, extra: list[str]
) -> subprocess.Popen:
    env = {**os.environ, "NO_COLOR": "1"}
    env.pop("SEGCLI_TOKEN", None)
    command = [sys.executable, "-m", "segcli", "serve", "--orders", str(orders), "--port",
               str(port), "--no-cache", "--reload-interval", str(interval), *extra]  # fmt: skip
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


def drive(url: str, paths: list[str], clients: int, processes: int, whole: bool = False) -> dict:
    """Send every path in `paths` with `clients` at a time, the clients shared out among
    `processes` generator processes (each with its share of the paths), which start together;
    their latencies merged. With `whole`, each answer must be a page of 50 whose count says so,
    and the totals seen are returned too."""
    processes = max(1, min(processes, clients))
    context = multiprocessing.get_context("spawn")
    ready = context.Barrier(processes)
    results = context.Queue()
    workers = []
    for i in range(processes):
        share = clients // processes + (i < clients % processes)
        mine = paths[i::processes]
        args = (url, mine, share, ready, results, whole)
        workers.append(context.Process(target=_generator, args=args, daemon=True))
    for worker in workers:
        worker.start()
    parts = [results.get() for _ in workers]
    for worker in workers:
        worker.join()
    latencies = sorted(x for part in parts for x in part["latencies"])
    took = max(p["ended"] for p in parts) - min(p["began"] for p in parts)
    return {
        "requests": len(latencies),
        "rps": len(latencies) / took,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000,
        "errors": sum(p["errors"] for p in parts),
        "totals": set().union(*(p["totals"] for p in parts)),
        "began": min(p["began"] for p in parts),
        "ended": max(p["ended"] for p in parts),
    }


def _generator(url, paths, clients, ready, results, whole) -> None:
    """One generator process: `clients` clients, each with its own connection (one pool for
    all made httpx's pool bookkeeping the cost), taking the paths in turn."""
    import ssl

    try:
        import uvloop

        run = uvloop.run
    except ImportError:
        run = asyncio.run
    context = ssl.create_default_context()  # loaded once, not once per client: http only
    latencies: list[float] = []
    totals: set[int] = set()
    errors = 0
    queue = iter(paths)

    async def client() -> None:
        nonlocal errors
        limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
        async with httpx.AsyncClient(base_url=url, limits=limits, timeout=60, verify=context,
                                     trust_env=False) as http:  # fmt: skip
            for path in queue:  # shared: each path is taken once
                started = time.monotonic()
                try:
                    response = await http.get(path)
                    ok = response.status_code == 200 and (not whole or _whole(response, totals))
                except httpx.HTTPError:
                    ok = False
                latencies.append(time.monotonic() - started)
                errors += not ok

    async def all_clients() -> None:
        await asyncio.gather(*(client() for _ in range(clients)))

    ready.wait()
    began = time.monotonic()
    run(all_clients())
    results.put({"latencies": latencies, "errors": errors, "totals": totals, "began": began,
                 "ended": time.monotonic()})  # fmt: skip


def _whole(response: httpx.Response, totals: set[int]) -> bool:
    document = response.json()
    totals.add(document["meta"]["total"])
    return document["meta"]["count"] == len(document["data"]) == 50


def wrk(url: str, ids: list[str], connections: int, seconds: int, folder: Path) -> dict | None:
    """The same `show` mix from wrk (a C client, one thread), as a cross-check of what the
    server does when the client costs little; None without wrk."""
    if shutil.which("wrk") is None:
        return None
    listed = folder / "ids.txt"
    listed.write_text("\n".join(ids) + "\n")
    script = folder / "show.lua"
    script.write_text(
        "local ids = {}\n"
        f'for line in io.lines("{listed}") do ids[#ids + 1] = line end\n'
        "request = function() return wrk.format('GET', '/api/customers/' .. "
        "ids[math.random(#ids)]) end\n"
    )
    command = [
        "wrk",
        "-t1",
        f"-c{connections}",
        f"-d{seconds}s",
        "--latency",
        "-s",
        str(script),
        url,
    ]
    out = subprocess.run(command, capture_output=True, text=True, stdin=subprocess.DEVNULL).stdout
    found = {key: re.search(pattern, out) for key, pattern in WRK.items()}
    values = {key: m.group(1) if m else "0" for key, m in found.items()}
    errors = int(values["non2xx"]) + sum(
        int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", out)
    )
    return {"requests": int(values["requests"]), "rps": float(values["rps"]),
            "p50": values["p50"], "p99": values["p99"], "errors": errors}  # fmt: skip


WRK = {
    "requests": r"(\d+) requests in",
    "rps": r"Requests/sec:\s+([\d.]+)",
    "p50": r"50%\s+(\S+)",
    "p99": r"99%\s+(\S+)",
    "non2xx": r"Non-2xx or 3xx responses: (\d+)",
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
    parser.add_argument(
        "--processes",
        type=int,
        default=os.cpu_count() or 2,
        help="load generator processes, the clients shared out among them",
    )
    parser.add_argument("--wrk-seconds", type=int, default=10, help="0: no wrk cross-check")
    parser.add_argument("--server-args", default="", help="more `segcli serve` options")
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="segcli-serve-bench-"))
    served = folder / "orders.parquet"
    shutil.copy(args.orders, served)
    log = folder / "server.log"
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    began = time.perf_counter()
    server = start(served, port, log, interval=1.0, extra=args.server_args.split())
    print(f"server up in {time.perf_counter() - began:.1f} s on {args.orders.name}; "
          f"load average {os.getloadavg()[0]:.2f}", flush=True)  # fmt: skip
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
            drive(url, [path() for _ in range(50)], 4, 1)  # warm-up
            for clients in CONCURRENCY:
                paths = [path() for _ in range(args.requests)]
                cpu = cpu_seconds(server.pid)
                r = drive(url, paths, clients, args.processes)
                cpu_ms = (cpu_seconds(server.pid) - cpu) / r["requests"] * 1000
                cells = [name, clients, f"{r['requests']:,}", f"{r['rps']:,.0f}",
                         f"{r['p50_ms']:.1f} ms", f"{r['p99_ms']:.1f} ms", r["errors"],
                         f"{cpu_ms:.2f} ms/request"]  # fmt: skip
                print("| " + " | ".join(str(c) for c in cells) + " |", flush=True)
        for connections in CONCURRENCY if args.wrk_seconds else ():
            cpu = cpu_seconds(server.pid)
            w = wrk(url, ids, connections, args.wrk_seconds, folder)
            if w:
                cpu_ms = (cpu_seconds(server.pid) - cpu) / max(1, w["requests"]) * 1000
                cells = ["show by random id (wrk)", connections, f"{w['requests']:,}",
                         f"{w['rps']:,.0f}", w["p50"], w["p99"], w["errors"],
                         f"{cpu_ms:.2f} ms/request"]  # fmt: skip
                print("| " + " | ".join(str(c) for c in cells) + " |", flush=True)
        print(f"(load average {os.getloadavg()[0]:.2f} at the end)")
        reload_during_load(url, args.orders, served, folder, args.requests, args.processes)
    finally:
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(folder, ignore_errors=True)


def reload_during_load(
    url: str, original: Path, served: Path, folder: Path, n: int, processes: int
) -> None:
    before = httpx.get(f"{url}/api/customers?limit=1", timeout=60).json()["meta"]["total"]
    staged = folder / "next.parquet"
    with_one_more_customer(original, staged)
    paths = ["/api/customers?limit=50"] * n
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        load = pool.submit(drive, url, paths, 16, processes, True)
        time.sleep(3.0)  # the generators start (spawn, imports) and send for a while
        replaced = time.monotonic()
        os.replace(staged, served)
        while True:  # until the new snapshot answers
            health = httpx.get(f"{url}/api/health", timeout=60).json()["data"]
            if health["customers"] == before + 1:
                break
            time.sleep(0.05)
        answered = time.monotonic()
        r = load.result()
    print(f"\nreload: the new snapshot answered {answered - replaced:.2f} s after the file was "
          f"replaced (checked every 1 s); the load ran from {r['began'] - replaced:+.1f} s to "
          f"{r['ended'] - replaced:+.1f} s of the replacement")  # fmt: skip
    mixed = r["totals"] - {before, before + 1}
    print(f"reload during load (16 clients, {r['requests']:,} list requests): "
          f"{r['errors']} errors, totals seen {sorted(r['totals'])}, "
          f"mixed: {'none' if not mixed else sorted(mixed)}")  # fmt: skip


if __name__ == "__main__":
    main()
