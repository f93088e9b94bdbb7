"""JobStore on a SQLite file, and the in-process engine's restart behaviour."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from binnr.errors import Conflict, NotFound
from binnr.jobs.engine import InProcessEngine
from binnr.jobs.records import JobError
from binnr.jobs.store import JobStore
from binnr.settings import Settings


@pytest.fixture
def store(tmp_path: Path) -> JobStore:
    return JobStore(f"sqlite:///{tmp_path / 'jobs.sqlite3'}")


def test_create_and_get(store: JobStore) -> None:
    record = store.create(kind="upload", params={"table_name": "t", "api_key": "sk-1"})
    assert record.state == "queued" and record.active
    assert record.params == {"table_name": "t", "api_key": "***"}  # secrets never stored
    again = store.get(record.id)
    assert again == record
    assert again.created_at.tzinfo is not None
    with pytest.raises(NotFound):
        store.get("nope")


def test_running_progress_and_finish(store: JobStore) -> None:
    record = store.create(kind="upload", params={})
    assert store.mark_running(record.id, worker="w1")
    assert not store.mark_running(record.id, worker="w2")  # already taken
    store.set_progress(record.id, {"phase": "load", "percent": 50.0})
    running = store.get(record.id)
    assert running.state == "running" and running.worker == "w1"
    assert running.progress["percent"] == 50.0 and running.heartbeat_at is not None
    store.finish(record.id, state="succeeded", result={"rows": 3})
    done = store.get(record.id)
    assert done.state == "succeeded" and done.result == {"rows": 3}
    assert done.finished_at is not None and not done.active

    failed = store.create(kind="upload", params={})
    error = JobError(type="InvalidInput", message="bad file", hint="fix it")
    store.finish(failed.id, state="failed", error=error)
    assert store.get(failed.id).error == error


def test_list_filters_and_order(store: JobStore) -> None:
    ids = []
    for kind in ("upload", "classification_tables", "upload"):
        ids.append(store.create(kind=kind, params={}).id)
        time.sleep(0.01)
    store.finish(ids[0], state="succeeded", result={})
    assert [r.id for r in store.list()] == ids[::-1]
    assert [r.id for r in store.list(kind="upload")] == [ids[2], ids[0]]
    assert [r.id for r in store.list(states=["succeeded"])] == [ids[0]]
    assert [r.id for r in store.list(states=["queued"], kind="upload")] == [ids[2]]
    assert len(store.list(limit=1)) == 1
    assert {r.id for r in store.active()} == {ids[1], ids[2]}


def test_request_cancel(store: JobStore) -> None:
    queued = store.create(kind="sleep", params={})
    assert store.request_cancel(queued.id).state == "cancelled"
    assert not store.mark_running(queued.id, worker="w")  # cancelled before it started

    running = store.create(kind="sleep", params={})
    store.mark_running(running.id, worker="w")
    after = store.request_cancel(running.id)
    assert after.state == "running" and after.cancel_requested
    assert store.is_cancel_requested(running.id)

    done = store.create(kind="sleep", params={})
    store.finish(done.id, state="succeeded", result={})
    assert store.request_cancel(done.id).state == "succeeded"


def test_interrupt_with_staleness(store: JobStore) -> None:
    fresh = store.create(kind="sleep", params={})
    store.mark_running(fresh.id, worker="w")
    assert store.interrupt(states=("running",), stale_after=3600) == 0
    assert store.interrupt(states=("running",)) == 1
    record = store.get(fresh.id)
    assert record.state == "interrupted" and record.error is not None
    assert record.error.type == "Interrupted" and record.finished_at is not None


def test_new_engine_interrupts_running_jobs(tmp_path: Path) -> None:
    """A job left ``running`` by a dead process is ``interrupted`` when an engine starts."""
    url = f"sqlite:///{tmp_path / 'jobs.sqlite3'}"
    old = JobStore(url)
    running = old.create(kind="sleep", params={"seconds": 60})
    old.mark_running(running.id, worker="dead:1:t")
    queued = old.create(kind="sleep", params={})
    finished = old.create(kind="sleep", params={})
    old.finish(finished.id, state="succeeded", result={"slept": 0})

    engine = InProcessEngine(store=JobStore(url), settings=Settings(home=tmp_path))
    try:
        assert engine.get(running.id).state == "interrupted"
        assert engine.get(queued.id).state == "interrupted"
        assert engine.get(finished.id).state == "succeeded"
        assert engine.list_active() == []
        with pytest.raises(Conflict):
            engine.cancel(running.id)
    finally:
        engine.shutdown()


def test_engine_runs_and_cancels_sleep_jobs(tmp_path: Path) -> None:
    engine = InProcessEngine(
        store=JobStore(f"sqlite:///{tmp_path / 'jobs.sqlite3'}"),
        settings=Settings(home=tmp_path, job_workers=2),
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
