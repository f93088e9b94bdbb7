"""A real Redis (the ``redis_url`` fixture) and real ``binnr worker`` processes, for job tests.

Redis: ``REDIS_URL`` if set, else a throw-away ``redis-server`` on a free port (no persistence).
Tests that need it skip with a visible reason when neither is available. Workers are
subprocesses sharing a temp SQLite job store with the test process; every one is killed at
teardown.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from binnr.jobs.celery_app import CeleryOptions
from binnr.jobs.engine import JobEngine
from binnr.jobs.records import FINAL_STATES, JobRecord
from binnr.settings import Settings
from tests.support.server import FP32_FOR_TESTS, free_port

#: Short heartbeats so the fault tests run in seconds (production: 10 s / 120 s).
HEARTBEAT_SECONDS = 0.3
STALE_SECONDS = 2.0
BINNR = Path(sys.executable).with_name("binnr")


def _wait_for_redis(port: int, proc: subprocess.Popen[bytes], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"redis-server exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("redis-server did not start")


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """A Redis URL: ``REDIS_URL`` or a private ``redis-server``."""
    if os.environ.get("REDIS_URL"):
        yield os.environ["REDIS_URL"]
        return
    exe = shutil.which("redis-server")
    if exe is None:
        pytest.skip("Celery tests need Redis: install redis-server or set REDIS_URL")
    port = free_port()
    cmd = [exe, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_for_redis(port, proc)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.kill()
        proc.wait(timeout=10)


def make_settings(home: Path, store_url: str, broker: str | None = None) -> Settings:
    """Settings isolated from the environment and any ``.env`` file."""
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        home=home,
        warehouse="duckdb",
        job_workers=2,
        job_store=store_url,
        embedding_precision=FP32_FOR_TESTS,
        celery_broker_url=broker,
        celery_result_backend=None,
        celery_in_process=False,
    )


def make_options(queue: str) -> CeleryOptions:
    """Celery options for tests: a private queue, fast heartbeats, DuckDB check overridden."""
    return CeleryOptions(
        _env_file=None,  # type: ignore[call-arg]
        celery_queue=queue,
        celery_allow_duckdb=True,  # the sleep job never opens the warehouse
        job_heartbeat_seconds=HEARTBEAT_SECONDS,
        job_stale_seconds=STALE_SECONDS,
    )


def worker_env(settings: Settings, options: CeleryOptions) -> dict[str, str]:
    """The environment of a ``binnr worker`` subprocess for ``settings`` and ``options``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BINNR_", "CELERY_"))}
    env.update(
        BINNR_HOME=str(settings.home),
        BINNR_WAREHOUSE=settings.warehouse_kind,
        BINNR_EMBEDDING_PRECISION=settings.embedding_precision,
        BINNR_JOB_STORE=settings.job_store or "",
        CELERY_BROKER_URL=settings.celery_broker_url or "",
        BINNR_CELERY_QUEUE=options.celery_queue,
        BINNR_CELERY_ALLOW_DUCKDB=str(options.celery_allow_duckdb).lower(),
        BINNR_JOB_HEARTBEAT_SECONDS=str(options.job_heartbeat_seconds),
        BINNR_JOB_STALE_SECONDS=str(options.job_stale_seconds),
    )
    return env


class Workers:
    """``binnr worker`` subprocesses; :meth:`close` kills whatever is left."""

    def __init__(self, env: dict[str, str], cwd: Path) -> None:
        self.env, self.cwd = env, cwd
        self.procs: list[subprocess.Popen[bytes]] = []

    def start(self, *, concurrency: int = 2, timeout: float = 30.0) -> subprocess.Popen[bytes]:
        """Start one worker and wait until it consumes."""
        log = self.cwd / f"worker-{len(self.procs)}.log"
        cmd = [str(BINNR), "worker", f"--concurrency={concurrency}", "--loglevel=info"]
        with log.open("wb") as fh:
            proc = subprocess.Popen(cmd, env=self.env, cwd=self.cwd, stdout=fh, stderr=fh)
        self.procs.append(proc)
        deadline = time.monotonic() + timeout
        while " ready." not in log.read_text(errors="replace"):
            if proc.poll() is not None or time.monotonic() > deadline:
                self.close()
                raise RuntimeError(f"worker did not start:\n{log.read_text()[-3000:]}")
            time.sleep(0.05)
        return proc

    def close(self) -> None:
        """SIGTERM, then SIGKILL after a few seconds."""
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)


def wait_for(
    engine: JobEngine, job_id: str, states: tuple[str, ...] = FINAL_STATES, timeout: float = 20.0
) -> JobRecord:
    """Poll until the job is in one of ``states``; fail with its record on timeout."""
    deadline = time.monotonic() + timeout
    record = engine.get(job_id)
    while record.state not in states:
        if time.monotonic() > deadline:
            pytest.fail(f"job {job_id} still {record.state} after {timeout} s: {record}")
        time.sleep(0.02)
        record = engine.get(job_id)
    return record
