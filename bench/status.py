"""Job-status throughput and latency against ``binnr serve`` (a script, not a test).

Raw HTTP/1.1 clients, one keep-alive connection each, in a separate process from the server:

1. throughput: clients send requests back to back for ``--seconds``; ``/healthz`` and the
   status mix (``GET /jobs/status/{id}``, every fifth ``GET /jobs/active``) run in interleaved
   rounds; the best round of each gives the ratio status ÷ healthz (target ≥ 0.8);
2. latency: ``--clients`` clients poll the status mix at ``--hz`` each (offered load below
   capacity); p50 / p99 / max (target p99 ≤ 25 ms), idle and, with ``--with-load``, while a
   GBM training and a large upload run in the same server.

    python bench/status.py [--clients 50] [--hz 4] [--seconds 8] [--rounds 3] [--with-load]

With ``--with-load`` a GBM training (``--train-rows`` rows of text, model lightgbm) and the
upload of a ``--upload-rows`` CSV (sent from a child process) run in the server during the
latency window; each load job prints how many seconds of the window it was running.
Throughput is also printed per server CPU-second (the machine may be shared).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import multiprocessing
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

from procstat import cpu_seconds

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def server(home: Path, extra: list[str]) -> Iterator[tuple[str, int, int]]:
    """``binnr serve`` from this checkout's ``src`` (not whatever ``binnr`` is on PATH)."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("BINNR_")}
    env |= {"BINNR_HOME": str(home), "BINNR_ENABLE_SQL": "true"}
    env |= dict(item.split("=", 1) for item in extra)  # --env BINNR_X=… to compare settings
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT / "src"), env.get("PYTHONPATH")]))
    cmd = [sys.executable, "-c", "from binnr.cli import app; app()", "serve"]
    proc = subprocess.Popen(
        [*cmd, "--port", str(port), "--log-level", "warning"], env=env, cwd=home
    )
    try:
        for _ in range(300):
            with contextlib.suppress(httpx.HTTPError):
                httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            time.sleep(0.2)
        yield "127.0.0.1", port, proc.pid
    finally:
        proc.terminate()
        proc.wait(30)


async def client_loop(
    host: str,
    port: int,
    paths: list[str],
    until: float,
    interval: float,
    latencies: list[float],
    phase: float = 0.0,
) -> int:
    reader, writer = await asyncio.open_connection(host, port)
    done, i = 0, 0
    # Independent pollers are not in step: each starts at its own point of the interval
    # (without this, all clients fire in the same millisecond and measure their own burst).
    next_at = time.perf_counter() + phase * interval
    await asyncio.sleep(phase * interval)
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
            client_loop(
                host, port, paths[i % 5 :] + paths[: i % 5], until, interval, latencies, i / clients
            )
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
        for job_id in ids:
            wait(c, job_id)
    return ids


def wait(c: httpx.Client, job_id: str) -> dict[str, Any]:
    while True:
        job: dict[str, Any] = c.get(f"/jobs/status/{job_id}").json()
        if job["status"] not in ("queued", "running"):
            return job
        time.sleep(0.2)


def labelled_csv(rows: int, seed: int = 0) -> bytes:
    """id,text,label: a few dozen words of text per row, three labels leaning on word choice."""
    rng = random.Random(seed)
    words = [f"w{n}" for n in range(3000)]
    texts = [" ".join(rng.choices(words, k=rng.randint(10, 40))) for _ in range(4096)]
    out = [b"id,text,label\n"]
    for i in range(rows):
        r = rng.getrandbits(30)
        out.append(f"{i},{texts[r & 4095]} w{r % 7},l{(r & 4095) % 3}\n".encode())
    return b"".join(out)


def prepare_training(base: str, rows: int) -> None:
    """The ``gbm_source_target_train`` table the training under load reads."""
    with httpx.Client(base_url=base, timeout=600) as c:
        files = {"file": ("g.csv", labelled_csv(rows))}
        wait(c, c.post("/data/upload", data={"table_name": "gbm"}, files=files).json()["task_id"])
        body = {"table_name": "gbm", "source_columns": ["text"], "target_column": "label"}
        job = wait(c, c.post("/data/create/tables/classification", json=body).json()["task_id"])
        assert job["status"] == "succeeded", job


def load(base: str, train: str, upload_rows: int, ids: Any, ready: Any) -> None:
    """(In a child process, so sending 1M rows does not slow the bench's own clients.)
    A GBM training, then a large upload, both in the server while latency is measured."""
    big = labelled_csv(upload_rows, seed=1)
    with httpx.Client(base_url=base, timeout=600) as c:
        if train:  # (--train-rows 0: the upload alone)
            body = {"training_table": "gbm_source_target_train", "params": {"model": train}}
            ids.append(c.post("/classification/gbm/train", json=body).json()["task_id"])
            time.sleep(1.0)  # the training is under way when the upload's bytes arrive
        ready.set()
        files = {"file": ("big.csv", big)}
        start = time.time()
        ids.append(
            c.post("/data/upload", data={"table_name": "big"}, files=files).json()["task_id"]
        )
        print(f"  load upload POST (transfer, {len(big) / 1e6:.0f} MB) {time.time() - start:.1f} s")


def overlap(base: str, ids: list[str], window: tuple[float, float]) -> None:
    """Each load job's state and the seconds of the latency window it was running."""
    with httpx.Client(base_url=base, timeout=60) as c:
        for job_id in ids:
            job = c.get(f"/jobs/status/{job_id}").json()
            begin = _epoch(job["started_at"]) or window[1]
            end = _epoch(job["finished_at"]) or window[1]
            ran = max(0.0, min(end, window[1]) - max(begin, window[0]))
            span = window[1] - window[0]
            print(f"  load {job['kind']:8s} {job['status']:9s} ran {ran:4.1f} of {span:.1f} s")


def _epoch(stamp: str | None) -> float | None:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp() if stamp else None


def verdict(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def latency(label: str, lat: list[float], args: argparse.Namespace) -> None:
    p99 = pct(lat, 0.99)
    print(
        f"{label}, {args.clients} clients × {args.hz:g} Hz: p50 {pct(lat, 0.5):.1f} ms, "
        f"p99 {p99:.1f} ms (target ≤ 25: {verdict(p99 <= 25)}), max {max(lat) * 1000:.1f} ms, "
        f"{len(lat)} requests"
    )


def throughput(host: str, port: int, pid: int, status: list[str], args: argparse.Namespace) -> None:
    best = {"healthz": 0.0, "status": 0.0}
    per_cpu = {"healthz": 0.0, "status": 0.0}
    for r in range(args.rounds):
        for name, paths in (("healthz", ["/healthz"] * 5), ("status", status)):
            cpu = cpu_seconds(pid)
            rate, _ = asyncio.run(run(host, port, paths, args.clients, args.seconds, 0))
            used = cpu_seconds(pid) - cpu
            best[name] = max(best[name], rate)
            per_cpu[name] = max(per_cpu[name], rate * args.seconds / max(used, 1e-3))
            print(
                f"round {r + 1} {name:8s} {rate:8.0f} req/s  {rate * args.seconds / used:6.0f} "
                "req per server CPU-s"
            )
    for label, figures in (("req/s", best), ("per server CPU-s", per_cpu)):
        ratio = figures["status"] / figures["healthz"]
        print(
            f"status ÷ healthz throughput ({label}): {ratio:.2f}  "
            f"(target ≥ 0.8: {verdict(ratio >= 0.8)})"
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--hz", type=float, default=4.0)
    ap.add_argument("--seconds", type=float, default=8.0)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--with-load", action="store_true")
    ap.add_argument("--train-rows", type=int, default=20_000)
    ap.add_argument(
        "--model",
        default="lightgbm",
        help="params.model of the training under load (auto reads embeddings: not isolated)",
    )
    ap.add_argument("--upload-rows", type=int, default=1_000_000)
    ap.add_argument("--env", action="append", default=[], help="BINNR_X=value for the server")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as home, server(Path(home), args.env) as (host, port, pid):
        base = f"http://{host}:{port}"
        ids = make_jobs(base)
        status = [f"/jobs/status/{j}" for j in ids[:4]] + ["/jobs/active"]
        throughput(host, port, pid, status, args)
        _, lat = asyncio.run(run(host, port, status, args.clients, args.seconds, args.hz))
        latency("idle", lat, args)
        if args.with_load:
            if args.train_rows:
                prepare_training(base, args.train_rows)
            with multiprocessing.Manager() as manager:
                load_ids, ready = manager.list(), manager.Event()
                child = multiprocessing.Process(
                    target=load,
                    args=(
                        base,
                        args.model if args.train_rows else "",
                        args.upload_rows,
                        load_ids,
                        ready,
                    ),
                )
                child.start()
                ready.wait()  # the training runs and the upload's bytes are on their way
                window = (time.time(), time.time() + args.seconds)
                _, lat = asyncio.run(run(host, port, status, args.clients, args.seconds, args.hz))
                window = (window[0], time.time())
                latency("under load", lat, args)
                child.join()
                overlap(base, list(load_ids), window)


if __name__ == "__main__":
    main()
