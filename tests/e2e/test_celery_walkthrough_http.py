"""The walkthrough on Celery workers: server submits, a ``binnr worker`` process runs the jobs.

The real scale-out shape on one machine: Redis as broker, the job store on PostgreSQL (a real
server, :mod:`tests.support.postgres`) shared by the server and the worker, and Snowflake
(fakesnow's server, reached over HTTP by both processes) as the warehouse. A shared SQLite job
store is covered by the engine contract (``tests/jobs/test_contract.py``).
Upload → classification tables → GBM train → predict all run on the worker.
"""

from __future__ import annotations

import csv
import io
import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.celery import Workers
from tests.support.fakesnow import FAKESNOW_CONFIG, start_fakesnow_server
from tests.support.postgres import fresh_schema_url
from tests.support.server import Server, prepare, start_server, upload, wait_job

pytestmark = pytest.mark.celery


def _csv(n: int) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["id", "text", "label"])
    for i in range(n):
        label = "positive" if i % 2 else "negative"
        word = (
            ["great fun", "lovely day"][i % 4 // 2]
            if i % 2
            else ["awful mess", "sad day"][i % 4 // 2]
        )
        writer.writerow([i, f"{word} number {i}", "" if i % 10 == 0 else label])
    return out.getvalue().encode()


@pytest.fixture(scope="module")
def celery_server(
    redis_url: str, postgres_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    fake = start_fakesnow_server()
    kwargs = fake.__enter__()
    home = tmp_path_factory.mktemp("celery-home")
    config = {
        **FAKESNOW_CONFIG,
        **kwargs,
        "network_timeout": 30,
        "binnr_write": "bind",
        "schema": "CELERY",
    }
    env = {
        "SNOWFLAKE_CONFIG": json.dumps(config),
        "CELERY_BROKER_URL": redis_url,
        "BINNR_CELERY_QUEUE": f"walk-{uuid.uuid4().hex[:8]}",
        "BINNR_JOB_STORE": fresh_schema_url(postgres_url),
    }
    from tests.support.server import server_env

    workers = Workers(server_env(home, env), home)
    try:
        workers.start(concurrency=2)
        with start_server(home, env) as srv:
            yield srv
    finally:
        workers.close()
        fake.__exit__(None, None, None)


def _on_worker(srv: Server, job: dict[str, Any]) -> None:
    """The job ran in another process than the server (``host:pid:thread``)."""
    pid = int(job["worker"].split(":")[1])
    assert pid != srv.process.pid, job["worker"]


def _run(srv: Server, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = srv.client.post(path, json=body)
    assert response.status_code == 202, response.text
    job = wait_job(srv.client, response.json()["task_id"], 600)
    assert job["status"] == "succeeded", (job["error"], srv.log()[-2000:])
    _on_worker(srv, job)
    return job


def test_walkthrough_runs_on_celery_workers(celery_server: Server) -> None:
    client = celery_server.client
    job = upload(client, _csv(200), "reviews", filename="reviews.csv")
    assert job["status"] == "succeeded", job
    _on_worker(celery_server, job)
    body = {
        "table_name": "reviews",
        "source_columns": ["text"],
        "target_column": "label",
        "create_validation": True,
    }
    assert prepare(client, body)["status"] == "succeeded"
    trained = _run(
        celery_server,
        "/classification/gbm/train",
        {"training_table": "reviews_source_target_train", "params": {"num_rounds": 20}},
    )["result"]
    predicted = _run(
        celery_server,
        "/classification/gbm/predict",
        {"model_name": trained["model_name"], "predict_table": "reviews_source_target_predict"},
    )["result"]
    assert predicted["rows"] == 20
    listed = client.get("/jobs", params={"limit": 10}).json()
    assert {j["kind"] for j in listed} >= {"upload", "classification_tables", "gbm.train"}
    assert all(j["created_at"].endswith(("+00:00", "Z")) for j in listed), listed
