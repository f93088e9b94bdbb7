"""Job store units: secret redaction, interrupt(), stale heartbeats, the worker heartbeat."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from binnr.errors import NotFound
from binnr.jobs.celery_app import heartbeat, reap_stale, touch
from binnr.jobs.records import JobError, JobRecord
from binnr.jobs.store import JobStore, jobs_table


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


def test_times_are_utc_and_odd_keys_match_nothing(store: JobStore) -> None:
    """PostgreSQL answers in its session's zone and refuses NUL in a parameter; the store
    hides both differences."""
    record = store.create(kind="sleep", params={"note": "a\x00b"})
    assert record.created_at.utcoffset() == timedelta(0)
    assert record.params == {"note": "a\x00b"}
    with pytest.raises(NotFound):
        store.get("a\x00b")
    assert store.list(kind="sl\x00eep") == []
    assert store.list(kind="sleep") == [record]


def test_a_cancel_is_not_lost_when_the_job_starts_meanwhile(store: JobStore) -> None:
    """The job starts between the cancel request's read and its write: still flagged."""
    job_id = store.create(kind="sleep", params={}).id
    read = store.get

    def read_then_start(key: str) -> JobRecord:
        record = read(key)
        store.mark_running(key, worker="w")  # a worker picks the job up right now
        return record

    store.get = read_then_start  # type: ignore[method-assign]
    store.request_cancel(job_id)
    store.get = read  # type: ignore[method-assign]
    record = store.get(job_id)
    assert record.state == "running" and record.cancel_requested, record
    assert store.is_cancel_requested(job_id)
