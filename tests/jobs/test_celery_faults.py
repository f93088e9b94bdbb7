"""Celery engine faults: killed workers, silent jobs, redelivered messages, start-up refusal.

Choice under test: a worker killed mid-job leaves its job ``interrupted`` (no automatic retry);
the stale-heartbeat reaper guarantees it never stays ``running``. Heartbeats here are 0.3 s and
the stale limit 2 s (see ``conftest``) so the test takes seconds.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from binnr.errors import ConfigError
from binnr.jobs.celery_app import CeleryOptions, check_duckdb, execute_job
from binnr.jobs.celery_engine import CeleryEngine
from binnr.jobs.records import FINAL_STATES
from binnr.jobs.store import JobStore
from binnr.services.job_table import JOB_KINDS
from tests.support.celery import (
    BINNR,
    HEARTBEAT_SECONDS,
    STALE_SECONDS,
    Workers,
    make_options,
    make_settings,
    wait_for,
    worker_env,
)

pytestmark = pytest.mark.celery


@dataclass
class Rig:
    """A Celery engine on a private queue plus a way to start workers for it."""

    engine: CeleryEngine
    workers: Workers


@pytest.fixture
def rig(redis_url: str, tmp_path: Path) -> Iterator[Rig]:
    store = JobStore(f"sqlite:///{tmp_path / 'jobs.sqlite3'}")
    settings = make_settings(tmp_path / "home", store.url, redis_url)
    options = make_options(f"faults-{tmp_path.name}")
    engine = CeleryEngine(store=store, settings=settings, kinds=JOB_KINDS, options=options)
    workers = Workers(worker_env(settings, options), tmp_path)
    try:
        yield Rig(engine, workers)
    finally:
        engine.shutdown()
        workers.close()


def test_sigkill_mid_job_interrupts_and_fresh_worker_finishes_queue(rig: Rig) -> None:
    engine, workers = rig.engine, rig.workers
    first = workers.start(concurrency=1)
    doomed = engine.submit(kind="sleep", params={"seconds": 60.0, "steps": 600})
    wait_for(engine, doomed.id, ("running",))
    queued = [engine.submit(kind="sleep", params={"seconds": 0.0}) for _ in range(5)]
    os.kill(first.pid, signal.SIGKILL)
    first.wait(timeout=5)

    ended = wait_for(engine, doomed.id, timeout=STALE_SECONDS * 4)
    assert ended.state == "interrupted"
    assert ended.error is not None and ended.error.type == "Interrupted"
    assert all(engine.get(r.id).state == "queued" for r in queued)

    workers.start(concurrency=2)
    for record in queued:
        assert wait_for(engine, record.id).state == "succeeded"
    assert engine.get(doomed.id).state == "interrupted"


def test_heartbeat_keeps_a_silent_job_alive(rig: Rig) -> None:
    """One step longer than the stale limit: only the heartbeat thread keeps it ``running``."""
    rig.workers.start(concurrency=1)
    record = rig.engine.submit(kind="sleep", params={"seconds": STALE_SECONDS * 1.75})
    seen = set()
    while (state := rig.engine.get(record.id).state) not in FINAL_STATES:
        seen.add(state)
        time.sleep(0.05)
    assert "interrupted" not in seen and state == "succeeded", (seen, state)


def test_redelivered_message_for_ended_job_is_ignored(tmp_path: Path) -> None:
    """A message redelivered after its job was interrupted (or cancelled) does not rerun it."""
    store = JobStore(f"sqlite:///{tmp_path / 'jobs.sqlite3'}")
    settings = make_settings(tmp_path, store.url, "redis://unused:1/0")
    options = make_options("unused")
    record = store.create(kind="sleep", params={"seconds": 0.0})
    assert store.mark_running(record.id, worker="gone")
    store.interrupt(states=("running",))
    assert (
        execute_job(record.id, store=store, settings=settings, kinds=JOB_KINDS, options=options)
        == "interrupted"
    )
    assert store.get(record.id).state == "interrupted"
    assert (
        execute_job("missing", store=store, settings=settings, kinds=JOB_KINDS, options=options)
        == "missing"
    )
    fresh = store.create(kind="sleep", params={"seconds": HEARTBEAT_SECONDS * 2})
    assert (
        execute_job(fresh.id, store=store, settings=settings, kinds=JOB_KINDS, options=options)
        == "succeeded"
    )


def test_duckdb_is_refused_unless_in_process_or_overridden(tmp_path: Path) -> None:
    duck = make_settings(tmp_path, "sqlite://", "redis://unused:1/0")
    strict = CeleryOptions(_env_file=None)  # type: ignore[call-arg]
    with pytest.raises(ConfigError, match="DuckDB allows one process"):
        check_duckdb(duck, strict, role="server")
    with pytest.raises(ConfigError):
        check_duckdb(duck.model_copy(update={"celery_in_process": True}), strict, role="worker")
    check_duckdb(duck.model_copy(update={"celery_in_process": True}), strict, role="server")
    check_duckdb(duck.model_copy(update={"warehouse": "snowflake"}), strict, role="worker")
    check_duckdb(duck, make_options("q"), role="worker")  # BINNR_CELERY_ALLOW_DUCKDB=true

    with pytest.raises(ConfigError):
        CeleryEngine(store=JobStore("sqlite://"), settings=duck, kinds=JOB_KINDS, options=strict)


def test_binnr_worker_refuses_duckdb(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, "sqlite://", "redis://127.0.0.1:1/0")
    env = worker_env(settings, make_options("q"))
    env["BINNR_CELERY_ALLOW_DUCKDB"] = "false"
    proc = subprocess.run(
        [str(BINNR), "worker"], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 2
    assert "DuckDB allows one process" in proc.stderr
    assert "BINNR_CELERY_IN_PROCESS=true" in proc.stderr
