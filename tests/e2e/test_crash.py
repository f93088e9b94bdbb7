"""kill -9 in the middle of work, restart on the same ``BINNR_HOME``: nothing half-done remains.

Each test kills a real ``binnr serve`` (SIGKILL: no shutdown hook runs) while it is streaming an
upload, loading one, building classification tables or training a GBM, then starts a new server
on the same home and checks what a user would find: the job ``interrupted``, the tables that
existed before unchanged, no ``__stg_`` staging table, no temporary upload file, and a DuckDB
file that opens.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import httpx
import pytest

from tests.support.server import Server, prepare, start_server, submit_upload, upload

#: How long a job may take to reach the state the test kills it in.
REACH_TIMEOUT = 30.0
WORDS = ("good", "great", "fine", "bad", "awful", "poor", "calm", "loud", "fast", "slow")


def csv_rows(n: int, *, blank_every: int = 10) -> Iterator[str]:
    """``id,text,label`` rows with learnable labels; every ``blank_every``-th label empty."""
    yield "id,text,label\n"
    for i in range(n):
        words = " ".join(WORDS[(i * k) % len(WORDS)] for k in (1, 3, 7))
        label = "pos" if WORDS.index(words.split()[0]) < 3 else "neg"
        yield f"{i},{words} item {i},{'' if i % blank_every == 0 else label}\n"


def csv_bytes(n: int) -> bytes:
    """``n`` rows (rounded up to a thousand): one block of a thousand, repeated (fast to build
    at tens of MB; the repeated ids do not matter here)."""
    header, *block = csv_rows(1000)
    return (header + "".join(block) * max(1, -(-n // 1000))).encode()


def seed(srv: Server, table: str, rows: int) -> None:
    job = upload(srv.client, csv_bytes(rows), table)
    assert job["status"] == "succeeded", job


def wait_running(srv: Server, task_id: str, *, phase: str | None = None) -> dict[str, Any]:
    """Poll until the job runs (in ``phase`` if given); fail if it ends first."""
    deadline = time.monotonic() + REACH_TIMEOUT
    while time.monotonic() < deadline:
        job: dict[str, Any] = srv.client.get(f"/jobs/status/{task_id}").json()
        if job["status"] not in ("queued", "running"):
            pytest.fail(f"the job ended before the kill; make its input larger: {job}")
        if job["status"] == "running" and (phase is None or job["progress"].get("phase") == phase):
            return job
        time.sleep(0.02)
    pytest.fail(f"job {task_id} did not reach {phase or 'running'} in {REACH_TIMEOUT}s")


def snapshot(srv: Server) -> dict[str, Any]:
    """Every listed table: its row count and first 100 rows (to compare before and after)."""
    response = srv.client.get("/data/tables")
    assert response.status_code == 200, response.text
    out = {}
    for table in response.json():
        page = srv.client.get(f"/data/tables/{table['name']}", params={"limit": 100}).json()
        out[table["name"]] = (table["rows"], page["rows"])
    return out


def leftovers(home: Path) -> dict[str, list[str]]:
    """What a crash could leave behind: staging tables and temporary files.

    Opens the DuckDB file directly (the server must be stopped): it must open, and no table
    of any schema may carry the staging prefix.
    """
    with duckdb.connect(str(home / "binnr.duckdb"), read_only=True) as conn:
        tables = [
            str(r[0]) for r in conn.execute("SELECT table_name FROM duckdb_tables()").fetchall()
        ]
    uploads = home / "uploads"
    models = home / "models"
    return {
        "staging tables": [t for t in tables if t.lower().startswith("__stg_")],
        "upload files": sorted(p.name for p in uploads.iterdir()) if uploads.exists() else [],
        "model temp folders": sorted(
            p.name for p in models.glob(".*") if p.name.startswith((".tmp-", ".del-"))
        )
        if models.exists()
        else [],
    }


def restart_and_check(
    home: Path, task_id: str | None, before: dict[str, Any], *, models: list[str] | None = None
) -> None:
    """Start again on ``home``: the job is interrupted, tables unchanged, nothing left over
    (and, if given, exactly ``models`` registered)."""
    with start_server(home) as srv:
        if models is not None:
            assert [m["name"] for m in srv.client.get("/models").json()] == models
        if task_id is not None:
            job = srv.client.get(f"/jobs/status/{task_id}").json()
            assert job["status"] == "interrupted", job
            assert job["error"]["type"] == "Interrupted" and job["error"]["hint"], job
        after = snapshot(srv)
        assert {name: after.get(name) for name in before} == before
        assert srv.client.get("/jobs/active").json() == []
    left = leftovers(home)
    assert not any(left.values()), left


def test_kill_while_an_upload_streams(tmp_path: Path) -> None:
    """Killed mid-body: the partial temp file is gone after the restart, the table unchanged."""
    home = tmp_path / "home"
    with start_server(home) as srv:
        seed(srv, "items", 50)
        before = snapshot(srv)
        sent = threading.Event()

        def slow_body() -> Iterator[bytes]:
            for i, row in enumerate(csv_rows(10_000_000)):
                if i % 2000 == 0:  # ~100 kB, then a pause: a slow client
                    time.sleep(0.01)
                if i == 10_000:
                    sent.set()
                yield row.encode()

        thread = threading.Thread(target=_post_streaming, args=(srv, slow_body()), daemon=True)
        thread.start()
        assert sent.wait(REACH_TIMEOUT), "the upload did not start"
        _wait_for_partial_file(home / "uploads")
        srv.kill()
        thread.join(timeout=10)
    restart_and_check(home, None, before)


def _post_streaming(srv: Server, body: Iterator[bytes]) -> None:
    """A multipart upload whose file part is produced slowly (it never finishes)."""
    boundary = "crashtestboundary"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="table_name"\r\n\r\nitems\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.csv"\r\n'
        "Content-Type: text/csv\r\n\r\n"
    ).encode()

    def parts() -> Iterator[bytes]:
        yield head
        yield from body

    headers = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
    with contextlib.suppress(httpx.HTTPError):  # the server is killed under it: expected
        httpx.post(f"{srv.url}/data/upload", content=parts(), headers=headers, timeout=60)


def _wait_for_partial_file(folder: Path) -> None:
    deadline = time.monotonic() + REACH_TIMEOUT
    while time.monotonic() < deadline:
        if folder.exists() and any(p.stat().st_size > 0 for p in folder.iterdir()):
            return
        time.sleep(0.02)
    pytest.fail(f"no partial upload file appeared in {folder}")


def test_kill_while_an_upload_loads(tmp_path: Path) -> None:
    """Killed while the job loads into a staging table: old rows kept, job interrupted."""
    home = tmp_path / "home"
    big = csv_bytes(600_000)
    with start_server(home) as srv:
        seed(srv, "items", 50)
        before = snapshot(srv)
        response = submit_upload(srv.client, big, "items")
        assert response.status_code == 202, response.text
        task_id = response.json()["task_id"]
        wait_running(srv, task_id, phase="load")
        srv.kill()
    restart_and_check(home, task_id, before)


def test_kill_while_classification_tables_build(tmp_path: Path) -> None:
    """Killed mid-build: the tables of the previous build are whole and unchanged."""
    home = tmp_path / "home"
    body = {"table_name": "reviews", "source_columns": ["text"], "target_column": "label",
            "create_validation": True}  # fmt: skip
    with start_server(home) as srv:
        seed(srv, "reviews", 200_000)
        assert prepare(srv.client, body)["status"] == "succeeded"
        before = snapshot(srv)
        response = srv.client.post("/data/create/tables/classification", json=body)
        assert response.status_code == 202, response.text
        task_id = response.json()["task_id"]
        # The second statement: the first one's staging table exists by now.
        wait_running(srv, task_id, phase="create reviews_source_target")
        srv.kill()
    restart_and_check(home, task_id, before)


def test_kill_while_a_gbm_trains(tmp_path: Path) -> None:
    """Killed mid-training: no model is registered and no half-written model folder remains."""
    home = tmp_path / "home"
    body = {"table_name": "reviews", "source_columns": ["text"], "target_column": "label"}
    with start_server(home) as srv:
        seed(srv, "reviews", 5000)
        assert prepare(srv.client, body)["status"] == "succeeded"
        before = snapshot(srv)
        train = {"training_table": "reviews_source_target_train", "params": {"num_rounds": 2000}}
        response = srv.client.post("/classification/gbm/train", json=train)
        assert response.status_code == 202, response.text
        task_id = response.json()["task_id"]
        wait_running(srv, task_id, phase="train")  # the boosting rounds
        srv.kill()
    restart_and_check(home, task_id, before, models=[])
