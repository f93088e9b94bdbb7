"""The in-process engine: start-up interrupts, running and cancelling jobs."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from binnr.errors import Conflict
from binnr.jobs.engine import InProcessEngine
from binnr.jobs.runner import run_job
from binnr.jobs.store import JobStore
from binnr.services.job_table import JOB_KINDS
from binnr.settings import Settings


def test_new_engine_interrupts_running_jobs(tmp_path: Path, store_url: str) -> None:
    """A job left ``running`` by a dead process is ``interrupted`` when an engine starts."""
    url = store_url
    old = JobStore(url)
    running = old.create(kind="sleep", params={"seconds": 60})
    old.mark_running(running.id, worker="dead:1:t")
    queued = old.create(kind="sleep", params={})
    finished = old.create(kind="sleep", params={})
    old.finish(finished.id, state="succeeded", result={"slept": 0})

    engine = InProcessEngine(store=JobStore(url), settings=Settings(home=tmp_path), kinds=JOB_KINDS)
    try:
        assert engine.get(running.id).state == "interrupted"
        assert engine.get(queued.id).state == "interrupted"
        assert engine.get(finished.id).state == "succeeded"
        assert engine.list_active() == []
        with pytest.raises(Conflict):
            engine.cancel(running.id)
    finally:
        engine.shutdown()


def test_engine_runs_and_cancels_sleep_jobs(tmp_path: Path, store_url: str) -> None:
    engine = InProcessEngine(
        store=JobStore(store_url),
        settings=Settings(home=tmp_path, job_workers=2),
        kinds=JOB_KINDS,
    )
    try:
        quick = engine.submit(kind="sleep", params={"seconds": 0.05, "steps": 2})
        slow = engine.submit(kind="sleep", params={"seconds": 30, "steps": 300})
        deadline = time.monotonic() + 20
        while engine.get(slow.id).state != "running" and time.monotonic() < deadline:
            time.sleep(0.02)
        engine.cancel(slow.id)
        while engine.get(slow.id).active and time.monotonic() < deadline:
            time.sleep(0.05)
        assert engine.get(slow.id).state == "cancelled"
        while engine.get(quick.id).active and time.monotonic() < deadline:
            time.sleep(0.02)
        done = engine.get(quick.id)
        assert done.state == "succeeded" and done.result == {"slept": 0.05, "steps": 2}
        assert done.progress["percent"] == 100.0
        with pytest.raises(Conflict):
            engine.cancel(quick.id)
    finally:
        engine.shutdown()


def test_a_record_from_another_version_fails_clearly(tmp_path: Path, store_url: str) -> None:
    """A stored record whose parameters this version does not know fails when it starts."""
    url = store_url
    engine = InProcessEngine(store=JobStore(url), settings=Settings(home=tmp_path), kinds=JOB_KINDS)
    try:
        old = engine.store.create(kind="sleep", params={"seconds": 0, "legacy_knob": 3})
        engine._pool.submit(
            run_job, old.id, store=engine.store, settings=engine.settings, kinds=JOB_KINDS
        )
        deadline = time.monotonic() + 20
        while engine.get(old.id).active and time.monotonic() < deadline:
            time.sleep(0.05)
        failed = engine.get(old.id)
        assert failed.state == "failed"
        assert failed.error is not None and failed.error.type == "InvalidInput"
        assert "legacy_knob" in failed.error.message
        assert "another binnr version" in (failed.error.hint or "")
    finally:
        engine.shutdown()
