"""Job engines: submit→finish latency and throughput, in-process vs Celery (1 and 2 workers).

    python bench/jobs.py [--latency-jobs 30] [--jobs 200] [--concurrency 2]

Uses ``REDIS_URL`` or starts a private ``redis-server``; job records go to a temp SQLite store
shared with the ``binnr worker`` subprocesses. Every engine gets ``--concurrency`` job threads
per process. The job is ``sleep`` with ``seconds=0``, so the numbers are pure engine overhead.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from binnr.jobs.celery_app import CeleryOptions
from binnr.jobs.engine import InProcessEngine, JobEngine
from binnr.jobs.store import JobStore
from binnr.settings import Settings

BINNR = Path(sys.executable).with_name("binnr")


@contextmanager
def redis() -> Iterator[str]:
    """``REDIS_URL`` or a throw-away redis-server."""
    if os.environ.get("REDIS_URL"):
        yield os.environ["REDIS_URL"]
        return
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    exe = shutil.which("redis-server") or sys.exit("needs redis-server on PATH or REDIS_URL")
    cmd = [exe, "--port", str(port), "--save", "", "--appendonly", "no"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL)
    try:
        time.sleep(0.3)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.kill()
        proc.wait()


@contextmanager
def workers(n: int, env: dict[str, str], cwd: Path, concurrency: int) -> Iterator[None]:
    """``n`` ``binnr worker`` processes, ready when the block starts, killed after it."""
    procs, logs = [], []
    for i in range(n):
        log = cwd / f"worker-{i}.log"
        with log.open("wb") as fh:
            cmd = [str(BINNR), "worker", f"--concurrency={concurrency}", "--loglevel=warning"]
            procs.append(subprocess.Popen(cmd, env=env, cwd=cwd, stdout=fh, stderr=fh))
        logs.append(log)
    try:
        time.sleep(0.5)
        _wait_ready(env)
        yield
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()


def _wait_ready(env: dict[str, str]) -> None:
    from celery import Celery

    app = Celery(broker=env["CELERY_BROKER_URL"], set_as_current=False)
    for _ in range(100):
        if app.control.ping(timeout=0.5):
            return
    sys.exit("workers did not start")


def wait_idle(store: JobStore, poll: float) -> None:
    """Until no job is queued or running."""
    while store.list(states=["queued", "running"], limit=1):
        time.sleep(poll)


def latency(engine: JobEngine, n: int) -> list[float]:
    """Seconds from submit to a final state, one job at a time."""
    out = []
    for _ in range(n):
        start = time.perf_counter()
        job_id = engine.submit(kind="sleep", params={"seconds": 0.0}).id
        while engine.get(job_id).state in ("queued", "running"):
            time.sleep(0.002)
        out.append(time.perf_counter() - start)
    return out


def throughput(engine: JobEngine, n: int) -> float:
    """Jobs per second for ``n`` jobs submitted at once."""
    start = time.perf_counter()
    ids = [engine.submit(kind="sleep", params={"seconds": 0.0}).id for _ in range(n)]
    wait_idle(engine.store, 0.01)
    elapsed = time.perf_counter() - start
    failed = [r for r in engine.store.list(limit=n) if r.id in ids and r.state != "succeeded"]
    assert not failed, failed[:3]
    return n / elapsed


def measure(name: str, make: Callable[[], JobEngine], args: argparse.Namespace) -> dict[str, float]:
    engine = make()
    try:
        latency(engine, 3)  # warm-up
        lat = latency(engine, args.latency_jobs)
        rate = throughput(engine, args.jobs)
    finally:
        engine.shutdown()
    row = {
        "p50_ms": statistics.median(lat) * 1000,
        "p90_ms": statistics.quantiles(lat, n=10)[-1] * 1000,
        "jobs_s": rate,
    }
    print(
        f"{name:<22} p50 {row['p50_ms']:7.1f} ms  p90 {row['p90_ms']:7.1f} ms  "
        f"{args.jobs} jobs: {rate:7.1f} jobs/s",
        flush=True,
    )
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency-jobs", type=int, default=30)
    parser.add_argument("--jobs", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=2)
    args = parser.parse_args()
    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        broker = stack.enter_context(redis())
        results = run_all(args, tmp, broker)
    base = results["in-process"]
    print("\nratios vs in-process (latency p50: higher is slower; throughput: higher is faster)")
    for name, row in results.items():
        print(
            f"{name:<22} latency x{row['p50_ms'] / base['p50_ms']:6.2f}   "
            f"throughput x{row['jobs_s'] / base['jobs_s']:5.2f}"
        )


def run_all(args: argparse.Namespace, tmp: Path, broker: str) -> dict[str, dict[str, float]]:
    from binnr.jobs.celery_engine import CeleryEngine

    results = {}
    url = f"sqlite:///{tmp / 'inproc.sqlite3'}"
    settings = Settings(_env_file=None, home=tmp, job_workers=args.concurrency)  # type: ignore[call-arg]
    results["in-process"] = measure(
        "in-process", lambda: InProcessEngine(store=JobStore(url), settings=settings), args
    )
    for n in (1, 2):
        store_url = f"sqlite:///{tmp / f'celery{n}.sqlite3'}"
        cfg = settings.model_copy(update={"celery_broker_url": broker, "job_store": store_url})
        options = CeleryOptions(_env_file=None, celery_queue=f"bench{n}", celery_allow_duckdb=True)  # type: ignore[call-arg]
        env = {k: v for k, v in os.environ.items() if not k.startswith(("BINNR_", "CELERY_"))}
        env |= {
            "BINNR_HOME": str(tmp),
            "BINNR_JOB_STORE": store_url,
            "CELERY_BROKER_URL": broker,
            "BINNR_CELERY_QUEUE": options.celery_queue,
            "BINNR_CELERY_ALLOW_DUCKDB": "true",
        }
        with workers(n, env, tmp, args.concurrency):
            results[f"celery {n} worker(s)"] = measure(
                f"celery {n} worker(s)",
                lambda: CeleryEngine(store=JobStore(store_url), settings=cfg, options=options),  # noqa: B023
                args,
            )
    return results


if __name__ == "__main__":
    main()
