"""Job-status throughput and latency against ``binnr serve`` (a script, not a test).

Raw HTTP/1.1 clients, one keep-alive connection each, in a separate process from the server:

1. throughput: clients send requests back to back for ``--seconds``; ``/healthz`` and the
   status mix (``GET /jobs/status/{id}``, every fifth ``GET /jobs/active``) run in interleaved
   rounds; the best round of each gives the ratio status ÷ healthz (target ≥ 0.8);
2. latency: ``--clients`` clients poll the status mix at ``--hz`` each (offered load below
   capacity); p50 / p99 / max (target p99 ≤ 25 ms), idle and, with ``--with-load``, while a
   GBM training and a large upload run in the same server.

    python bench/status.py [--clients 50] [--hz 4] [--seconds 8] [--rounds 3] [--with-load]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def server(home: Path) -> Iterator[tuple[str, int]]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("BINNR_")}
    env |= {"BINNR_HOME": str(home), "BINNR_ENABLE_SQL": "true"}
    binnr = Path(os.sys.executable).with_name("binnr")  # type: ignore[attr-defined]
    proc = subprocess.Popen(
        [str(binnr), "serve", "--port", str(port), "--log-level", "warning"], env=env, cwd=home
    )
    try:
        for _ in range(300):
            with contextlib.suppress(httpx.HTTPError):
                httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            time.sleep(0.2)
        yield "127.0.0.1", port
    finally:
        proc.terminate()
        proc.wait(30)


async def client_loop(
    host: str, port: int, paths: list[str], until: float, interval: float, latencies: list[float]
) -> int:
    reader, writer = await asyncio.open_connection(host, port)
    done, i = 0, 0
    next_at = time.perf_counter()
    while time.perf_counter() < until:
        path = paths[i % len(paths)]
        i += 1
        start = time.perf_counter()
        writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
        await writer.drain()
        length = 0
        while True:
            line = await reader.readline()
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
            if line in (b"\r\n", b""):
                break
        await reader.readexactly(length)
        latencies.append(time.perf_counter() - start)
        done += 1
        if interval:
            next_at += interval
            await asyncio.sleep(max(0.0, next_at - time.perf_counter()))
    writer.close()
    return done


async def run(
    host: str, port: int, paths: list[str], clients: int, seconds: float, hz: float
) -> tuple[float, list[float]]:
    until = time.perf_counter() + seconds
    latencies: list[float] = []
    interval = 1.0 / hz if hz else 0.0
    counts = await asyncio.gather(
        *(
            client_loop(host, port, paths[i % 5 :] + paths[: i % 5], until, interval, latencies)
            for i in range(clients)
        )
    )
    return sum(counts) / seconds, latencies


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def make_jobs(base: str, n: int = 20) -> list[str]:
    csv = b"id,text\n" + b"".join(f"{i},row {i}\n".encode() for i in range(200))
    ids = []
    with httpx.Client(base_url=base, timeout=60) as c:
        for k in range(n):
            r = c.post("/data/upload", data={"table_name": f"t{k}"}, files={"file": ("a.csv", csv)})
            ids.append(r.json()["task_id"])
        time.sleep(2)
    return ids


def start_load(base: str, rows: int) -> None:
    """A GBM training and a large upload in the server, running while latency is measured."""
    csv = b"id,text,label\n" + b"".join(
        f"{i},text about {'apples' if i % 2 else 'pears'} number {i % 997},"
        f"{'a' if i % 2 else 'b'}\n".encode()
        for i in range(rows)
    )
    with httpx.Client(base_url=base, timeout=600) as c:
        job = c.post("/data/upload", data={"table_name": "big"}, files={"file": ("b.csv", csv)})
        while c.get(f"/jobs/status/{job.json()['task_id']}").json()["status"] == "running":
            time.sleep(0.5)
        body = {"table_name": "big", "source_columns": ["text"], "target_column": "label"}
        job = c.post("/data/create/tables/classification", json=body).json()["task_id"]
        while c.get(f"/jobs/status/{job}").json()["status"] in ("queued", "running"):
            time.sleep(0.5)
        c.post(
            "/classification/gbm/train",
            json={"training_table": "big_source_target_train", "params": {"model": "lightgbm"}},
        )
        c.post("/data/upload", data={"table_name": "big2"}, files={"file": ("c.csv", csv)})


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--hz", type=float, default=4.0)
    ap.add_argument("--seconds", type=float, default=8.0)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--with-load", action="store_true")
    ap.add_argument("--load-rows", type=int, default=300_000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as home, server(Path(home)) as (host, port):
        base = f"http://{host}:{port}"
        ids = make_jobs(base)
        status = [f"/jobs/status/{j}" for j in ids[:4]] + ["/jobs/active"]
        best = {"healthz": 0.0, "status": 0.0}
        for r in range(args.rounds):
            for name, paths in (("healthz", ["/healthz"] * 5), ("status", status)):
                rate, _ = asyncio.run(run(host, port, paths, args.clients, args.seconds, 0))
                best[name] = max(best[name], rate)
                print(f"round {r + 1} {name:8s} {rate:8.0f} req/s")
        ratio = best["status"] / best["healthz"]
        print(f"status ÷ healthz throughput: {ratio:.2f}  (target ≥ 0.8)")
        _, lat = asyncio.run(run(host, port, status, args.clients, args.seconds, args.hz))
        print(
            f"idle, {args.clients} clients × {args.hz:g} Hz: p50 {pct(lat, 0.5):.1f} ms, "
            f"p99 {pct(lat, 0.99):.1f} ms (target ≤ 25), max {max(lat) * 1000:.1f} ms"
        )
        if args.with_load:
            start_load(base, args.load_rows)
            _, lat = asyncio.run(run(host, port, status, args.clients, args.seconds, args.hz))
            print(
                f"under load: p50 {pct(lat, 0.5):.1f} ms, p99 {pct(lat, 0.99):.1f} ms "
                f"(target ≤ 25), max {max(lat) * 1000:.1f} ms"
            )


if __name__ == "__main__":
    main()
