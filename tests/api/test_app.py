"""Docs, OpenAPI, error shape, the SQL switch, browsing, downloads, notes and the jobs API."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from binnr.jobs.store import JobStore
from tests.support.server import Server, assert_error, prepare, start_server, upload, wait_job

ROWS = 25
CSV = "id,Text,label\n" + "".join(
    f'{i},"row {i}, with comma",{"neg" if i % 2 else "pos"}\n' for i in range(ROWS)
)

ORIGINAL_ROUTES = {
    ("POST", "/data/upload"): "upload_data",
    ("POST", "/data/create/tables/classification"): "create_classification_tables",
    ("GET", "/jobs/status/{task_id}"): "job_status",
    ("POST", "/classification/gbm/train"): "gbm_train",
    ("POST", "/classification/gbm/predict"): "gbm_predict",
    ("GET", "/classification/gbm/info"): "gbm_info",
    ("GET", "/classification/gbm/accuracy"): "gbm_accuracy",
    ("POST", "/classification/llm/train"): "llm_train",
    ("GET", "/classification/llm/train/check"): "llm_train_check",
    ("POST", "/classification/llm/predict"): "llm_predict",
    ("GET", "/classification/llm/response"): "llm_response",
    ("POST", "/classification/embeddings/cluster"): "embeddings_cluster",
}
BINNR_ROUTES = {
    ("GET", "/data/tables"): "list_tables",
    ("GET", "/data/tables/{name}"): "show_table",
    ("GET", "/data/tables/{name}/download"): "download_table",
    ("POST", "/data/sql"): "run_sql",
    ("GET", "/jobs/active"): "active_jobs",
    ("GET", "/jobs"): "list_jobs",
    ("POST", "/jobs/{task_id}/cancel"): "cancel_job",
    ("GET", "/healthz"): "healthz",
}


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with start_server(tmp_path_factory.mktemp("misc")) as server:
        job = upload(server.client, CSV.encode(), "items")
        assert job["status"] == "succeeded", job
        yield server


def test_root_redirects_to_the_dashboard(srv: Server) -> None:
    response = srv.client.get("/", follow_redirects=False)
    assert response.status_code in (307, 302) and response.headers["location"] == "/ui"


def test_docs_are_served_offline(srv: Server) -> None:
    response = srv.client.get("/docs")
    assert response.status_code == 200 and "text/html" in response.headers["content-type"]
    html = response.text
    assert not re.search(r"https?://", html), "the docs page must not load anything external"
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert any(a.endswith(".js") for a in assets) and any(a.endswith(".css") for a in assets)
    for asset in assets:
        assert asset.startswith("/static/"), asset
        fetched = srv.client.get(asset)
        assert fetched.status_code == 200 and len(fetched.content) > 100, asset
    assert "/openapi.json" in html


def test_openapi_has_every_route_with_stable_operation_ids(srv: Server) -> None:
    spec = srv.client.get("/openapi.json").json()
    found = {
        (method.upper(), path): op.get("operationId")
        for path, methods in spec["paths"].items()
        for method, op in methods.items()
    }
    for route, op_id in {**ORIGINAL_ROUTES, **BINNR_ROUTES}.items():
        assert found.get(route) == op_id, (route, found.get(route))
    ids = [op for op in found.values() if op]
    assert len(ids) == len(set(ids)), "operation ids must be unique"
    upload_body = spec["paths"]["/data/upload"]["post"]["requestBody"]["content"]
    props = upload_body["multipart/form-data"]["schema"]["properties"]
    assert {"file", "table_name", "database", "schema", "warehouse", "role"} <= set(props)


def test_errors_have_one_shape(srv: Server) -> None:
    assert_error(srv.client.get("/no/such/route"), 404)
    assert_error(srv.client.get("/jobs/status/unknown"), 404, "unknown")
    error = assert_error(srv.client.post("/data/create/tables/classification", json={}), 422)
    assert "table_name" in error["message"] and "target_column" in error["message"]
    assert_error(srv.client.get("/data/tables/items", params={"limit": 0}), 422, "limit")
    assert_error(srv.client.get("/data/tables/missing_table"), 404, "missing_table")
    assert_error(srv.client.post("/data/sql", json={"sql": "SELEC 1"}), 422)
    assert_error(srv.client.post("/data/sql", json={"sql": "SELECT 1; SELECT 2"}), 422, "one")
    assert_error(srv.client.post("/data/upload", data={"table_name": "t"}), 422, "multipart")
    assert_error(srv.client.post("/data/upload", files={"table_name": (None, "t")}), 422, "file")


def test_sql_console_off_without_the_setting(server_factory: Callable[..., Server]) -> None:
    server = server_factory(env={"BINNR_ENABLE_SQL": None})
    response = server.client.post("/data/sql", json={"sql": "SELECT 1"})
    error = assert_error(response, 403, "BINNR_ENABLE_SQL=true")
    assert error["type"] == "Forbidden"


def test_sql_console(srv: Server) -> None:
    response = srv.client.post("/data/sql", json={"sql": "SELECT id FROM items ORDER BY id"})
    assert response.status_code == 200
    body = response.json()
    assert body["columns"] == ["id"] and len(body["rows"]) == ROWS and not body["truncated"]
    limited = srv.client.post("/data/sql", json={"sql": "SELECT * FROM items", "limit": 5})
    assert len(limited.json()["rows"]) == 5 and limited.json()["truncated"]


def test_table_pages(srv: Server) -> None:
    tables = {t["name"]: t for t in srv.client.get("/data/tables").json()}
    assert tables["items"] == {"name": "items", "rows": ROWS, "columns": ["id", "text", "label"]}
    seen = []
    for offset in range(0, ROWS, 10):
        page = srv.client.get("/data/tables/items", params={"limit": 10, "offset": offset})
        body = page.json()
        assert body["total"] == ROWS and body["limit"] == 10 and body["offset"] == offset
        assert body["columns"] == ["id", "text", "label"]
        seen.extend(r["id"] for r in body["rows"])
    assert seen == [str(i) for i in range(ROWS)]
    empty = srv.client.get("/data/tables/items", params={"offset": 1000}).json()
    assert empty["rows"] == [] and empty["total"] == ROWS


def test_download_csv_and_parquet(srv: Server) -> None:
    expected = list(csv.DictReader(io.StringIO(CSV)))
    response = srv.client.get("/data/tables/items/download", params={"format": "csv"})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    assert 'filename="items.csv"' in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [(r["id"], r["text"], r["label"]) for r in rows] == [
        (r["id"], r["Text"], r["label"]) for r in expected
    ]
    response = srv.client.get("/data/tables/items/download", params={"format": "parquet"})
    assert response.status_code == 200
    table = pq.read_table(io.BytesIO(response.content))
    assert table.column_names == ["id", "text", "label"]
    assert table.column("text").to_pylist() == [r["Text"] for r in expected]
    assert_error(srv.client.get("/data/tables/nope/download"), 404)
    assert_error(srv.client.get("/data/tables/items/download", params={"format": "xml"}), 422)


def test_download_empty_table(srv: Server) -> None:
    response = srv.client.post(
        "/data/sql", json={"sql": "CREATE OR REPLACE TABLE empty_t AS SELECT * FROM items LIMIT 0"}
    )
    assert response.status_code == 200
    as_csv = srv.client.get("/data/tables/empty_t/download", params={"format": "csv"})
    assert as_csv.text.strip().replace('"', "") == "id,text,label"
    as_pq = srv.client.get("/data/tables/empty_t/download", params={"format": "parquet"})
    table = pq.read_table(io.BytesIO(as_pq.content))
    assert table.num_rows == 0 and table.column_names == ["id", "text", "label"]


def test_warehouse_and_role_are_noted_as_ignored(srv: Server) -> None:
    response = srv.client.post(
        "/data/upload",
        data={"table_name": "noted", "warehouse": "COMPUTE_WH", "role": "SYSADMIN"},
        files={"file": ("n.csv", b"a,b\n1,x\n2,y\n")},
    )
    assert response.status_code == 202
    notes = response.json()["notes"]
    assert len(notes) == 1 and "ignored" in notes[0] and "warehouse" in notes[0]
    assert wait_job(srv.client, response.json()["task_id"])["status"] == "succeeded"
    plain = srv.client.post(
        "/data/upload", data={"table_name": "noted"}, files={"file": ("n.csv", b"a\n1\n")}
    )
    assert plain.json()["notes"] == []
    wait_job(srv.client, plain.json()["task_id"])
    body = {
        "table_name": "items",
        "source_columns": ["text"],
        "target_column": "label",
        "role": "ANALYST",
    }
    response = srv.client.post("/data/create/tables/classification", json=body)
    assert response.status_code == 202 and "ignored" in response.json()["notes"][0]
    assert wait_job(srv.client, response.json()["task_id"])["status"] == "succeeded"


def test_jobs_listing_filters_and_cancel(srv: Server) -> None:
    done = upload(srv.client, b"a\n1\n", "jobs_t")
    failed = upload(srv.client, b"a\n", "jobs_t")
    prepared = prepare(
        srv.client, {"table_name": "items", "source_columns": ["text"], "target_column": "label"}
    )
    assert failed["status"] == "failed" and prepared["status"] == "succeeded"
    recent = srv.client.get("/jobs", params={"limit": 3}).json()
    assert [j["task_id"] for j in recent] == [
        prepared["task_id"],
        failed["task_id"],
        done["task_id"],
    ]
    failures = srv.client.get("/jobs", params={"state": "failed"}).json()
    assert failed["task_id"] in {j["task_id"] for j in failures}
    assert all(j["status"] == "failed" for j in failures)
    uploads = srv.client.get("/jobs", params={"kind": "upload", "limit": 1000}).json()
    assert all(j["kind"] == "upload" for j in uploads)
    assert prepared["task_id"] not in {j["task_id"] for j in uploads}
    combined = srv.client.get("/jobs", params={"kind": "upload", "state": "succeeded"}).json()
    assert done["task_id"] in {j["task_id"] for j in combined}
    assert all(j["kind"] == "upload" and j["status"] == "succeeded" for j in combined)
    assert_error(srv.client.get("/jobs", params={"state": "bogus"}), 422, "state")
    assert_error(srv.client.get("/jobs", params={"limit": 0}), 422, "limit")
    assert srv.client.get("/jobs/active").json() == []

    error = assert_error(srv.client.post(f"/jobs/{done['task_id']}/cancel"), 409, "already ended")
    assert error["type"] == "Conflict"
    assert_error(srv.client.post("/jobs/nope/cancel"), 404)

    status = srv.client.get(f"/jobs/status/{done['task_id']}").json()
    assert status["status"] == "succeeded" and status["kind"] == "upload"
    assert status["result"]["rows_loaded"] == 1
    assert status["progress"]["percent"] == 100.0
    assert status["created_at"] <= status["started_at"] <= status["finished_at"]


def test_jobs_survive_restart_and_running_ones_become_interrupted(tmp_path: Path) -> None:
    home = tmp_path / "home"
    with start_server(home) as server:
        done = upload(server.client, b"a,b\n1,x\n", "kept")
        assert done["status"] == "succeeded"
        server.kill()  # SIGKILL: no shutdown hooks
    # A job the killed process was running (as its record says).
    store = JobStore(f"sqlite:///{(home / 'jobs.sqlite3').resolve()}")
    running = store.create(kind="upload", params={"table_name": "late"})
    assert store.mark_running(running.id, worker="dead:1:binnr-job_0")
    store.set_progress(running.id, {"phase": "load", "percent": 40.0})
    store.engine.dispose()

    with start_server(home) as server:
        again = server.client.get(f"/jobs/status/{done['task_id']}").json()
        assert again["status"] == "succeeded" and again["result"] == done["result"]
        interrupted = server.client.get(f"/jobs/status/{running.id}").json()
        assert interrupted["status"] == "interrupted"
        assert interrupted["error"]["type"] == "Interrupted"
        assert "stopped" in interrupted["error"]["message"]
        assert server.client.get("/jobs/active").json() == []
        assert server.client.get("/data/tables/kept").json()["rows"] == [{"a": "1", "b": "x"}]
        assert_error(server.client.post(f"/jobs/{running.id}/cancel"), 409)
