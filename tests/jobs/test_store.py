"""Job store units: secret redaction, interrupt(), stale heartbeats, the worker heartbeat."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from binnr.jobs.celery_app import heartbeat, reap_stale, touch
from binnr.jobs.store import JobStore, jobs_table


@pytest.fixture
def store(tmp_path: Path) -> JobStore:
    return JobStore(f"sqlite:///{tmp_path / 'jobs.sqlite3'}")


def _set_heartbeat(store: JobStore, job_id: str, seconds_ago: float) -> None:
    when = datetime.now(UTC) - timedelta(seconds=seconds_ago)
    with store.engine.begin() as conn:
        conn.execute(
            sa.update(jobs_table).where(jobs_table.c.id == job_id).values(heartbeat_at=when)
        )


def _running(store: JobStore, *, seconds_ago: float = 0.0) -> str:
    record = store.create(kind="sleep", params={})
    assert store.mark_running(record.id, worker="test")
    _set_heartbeat(store, record.id, seconds_ago)
    return record.id


def test_secrets_in_params_are_redacted_before_storage(store: JobStore) -> None:
    params = {
        "table": "t",
        "password": "hunter2",
        "options": {"api_key": "sk-123", "Private_Key": "pk", "depth": {"token": "tk"}},
        "client_secret": "cs",
    }
    record = store.create(kind="sleep", params=params)
    assert record.params["table"] == "t"
    assert record.params["password"] == "***" and record.params["client_secret"] == "***"
    assert record.params["options"]["api_key"] == "***"
    assert record.params["options"]["Private_Key"] == "***"
    assert record.params["options"]["depth"]["token"] == "***"
    with store.engine.connect() as conn:
        raw = conn.execute(sa.select(jobs_table.c.params)).scalar_one()
    for secret in ("hunter2", "sk-123", "pk", "tk", "cs"):
        assert f'"{secret}"' not in raw
    assert params["password"] == "hunter2"  # the caller's dict is untouched


def test_interrupt_marks_only_the_given_states(store: JobStore) -> None:
    queued = store.create(kind="sleep", params={}).id
    running = _running(store)
    done = store.create(kind="sleep", params={}).id
    store.finish(done, state="succeeded", result={"ok": True})
    assert store.interrupt(states=("queued", "running")) == 2
    for job_id in (queued, running):
        record = store.get(job_id)
        assert record.state == "interrupted" and record.finished_at is not None
        assert record.error is not None and record.error.type == "Interrupted"
        assert record.error.hint
    assert store.get(done).state == "succeeded"
    assert store.active() == []


def test_stale_heartbeat_detection(store: JobStore) -> None:
    stale = _running(store, seconds_ago=300)
    fresh = _running(store, seconds_ago=1)
    queued_long_ago = store.create(kind="sleep", params={}).id
    assert reap_stale(store, stale_after=60) == 1
    assert store.get(stale).state == "interrupted"
    assert store.get(fresh).state == "running"
    assert store.get(queued_long_ago).state == "queued"  # only running jobs can go stale


def test_progress_is_a_heartbeat(store: JobStore) -> None:
    job_id = _running(store, seconds_ago=300)
    store.set_progress(job_id, {"phase": "x", "percent": 5.0})
    assert reap_stale(store, stale_after=60) == 0
    assert store.get(job_id).state == "running"


def test_touch_and_heartbeat_thread_move_the_heartbeat(store: JobStore) -> None:
    job_id = _running(store, seconds_ago=300)
    touch(store, job_id)
    assert reap_stale(store, stale_after=60) == 0
    _set_heartbeat(store, job_id, 300)
    with heartbeat(store, job_id, every=0.05):
        time.sleep(0.3)
    beat = store.get(job_id).heartbeat_at
    assert beat is not None and datetime.now(UTC) - beat < timedelta(seconds=5)


def test_touch_does_not_revive_ended_jobs(store: JobStore) -> None:
    job_id = _running(store, seconds_ago=300)
    reap_stale(store, stale_after=60)
    touch(store, job_id)
    record = store.get(job_id)
    assert record.state == "interrupted"
    assert record.heartbeat_at is not None
    assert datetime.now(UTC) - record.heartbeat_at > timedelta(seconds=200)


def test_mark_running_refuses_a_cancelled_job(store: JobStore) -> None:
    job_id = store.create(kind="sleep", params={}).id
    assert store.request_cancel(job_id).state == "cancelled"
    assert not store.mark_running(job_id, worker="w")
