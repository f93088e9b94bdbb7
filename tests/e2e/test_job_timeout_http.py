"""``BINNR_JOB_TIMEOUT`` over HTTP: a job past its limit ends ``failed`` with the reason."""

from __future__ import annotations

from collections.abc import Callable

from tests.support.server import Server, submit_upload, wait_job

ServerFactory = Callable[..., Server]
CSV = b"id,text,label\n" + b"".join(f"{i},row {i},{'ab'[i % 2]}\n".encode() for i in range(50))


def test_a_job_past_the_time_limit_fails_with_job_timeout(server_factory: ServerFactory) -> None:
    """A limit of 1 ms: the classification-tables job stops at its first cancel check."""
    srv = server_factory(env={"BINNR_JOB_TIMEOUT": "0.001"})
    uploaded = wait_job(srv.client, submit_upload(srv.client, CSV, "t").json()["task_id"])
    if uploaded["status"] == "failed":  # the upload checked first: the same rule
        job = uploaded
    else:
        body = {"table_name": "t", "source_columns": ["text"], "target_column": "label"}
        response = srv.client.post("/data/create/tables/classification", json=body)
        assert response.status_code == 202, response.text
        job = wait_job(srv.client, response.json()["task_id"])
    assert job["status"] == "failed", job
    assert job["error"]["type"] == "JobTimeout"
    assert "BINNR_JOB_TIMEOUT" in job["error"]["message"] + job["error"]["hint"]
