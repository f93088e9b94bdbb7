"""The original walkthrough on the Snowflake backend, over HTTP, through fakesnow's server.

A real ``binnr serve`` subprocess gets ``SNOWFLAKE_CONFIG`` pointing at ``fakesnow.server()``
(the real connector over HTTP, Arrow fetches) and runs upload → classification tables → GBM
(local engine) train → predict → accuracy through the same routes as on DuckDB.
"""

from __future__ import annotations

import csv
import io
import json
import random
from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.fakesnow import FAKESNOW_CONFIG, register_cortex, start_fakesnow_server
from tests.support.server import Server, prepare, start_server, upload, wait_job

WORDS = {
    "positive": ["great", "love", "happy", "fine"],
    "negative": ["awful", "hate", "sad", "bad"],
}


def _csv(n: int) -> bytes:
    rng = random.Random(3)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["ID", "Text", "Label"])
    for i in range(n):
        label = "positive" if i % 2 else "negative"
        words = rng.sample(WORDS[label], 2) + rng.sample(["the", "day", "film", "it", "was"], 3)
        writer.writerow([i, " ".join(words), "" if i % 9 == 0 else label])
    return out.getvalue().encode()


@pytest.fixture(scope="module")
def sf_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = start_fakesnow_server()
    kwargs = server.__enter__()
    config = {
        **FAKESNOW_CONFIG,
        **kwargs,
        "network_timeout": 30,
        "binnr_write": "bind",
        "schema": "WALK",
    }
    env = {"SNOWFLAKE_CONFIG": json.dumps(config)}
    _register_cortex(kwargs)
    try:
        with start_server(tmp_path_factory.mktemp("sf-home"), env) as srv:
            yield srv
    finally:
        server.__exit__(None, None, None)


def _register_cortex(kwargs: dict[str, Any]) -> None:
    """Cortex stand-ins in the fakesnow server's shared DuckDB (no model behind them)."""
    import fakesnow.server
    import snowflake.connector

    conn = snowflake.connector.connect(**kwargs)
    try:
        register_cortex(conn.cursor(), fakesnow.server.shared_fs.duck_conn)
    finally:
        conn.close()


def _run(srv: Server, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = srv.client.post(path, json=body)
    assert response.status_code == 202, response.text
    job = wait_job(srv.client, response.json()["task_id"], 600)
    assert job["status"] == "succeeded", (job["error"], srv.log()[-3000:])
    return dict(job["result"])


@pytest.fixture(scope="module")
def sf_tables(sf_server: Server) -> dict[str, Any]:
    """The upload and the classification tables every test here reads (made once, so any test
    also runs alone): the two job results."""
    loaded = upload(sf_server.client, _csv(300), "reviews", filename="reviews.csv")
    body = {
        "table_name": "reviews",
        "source_columns": ["text"],
        "target_column": "label",
        "template": "Review: {text}",
        "create_validation": True,
        "validation_fraction": 0.2,
    }
    return {"loaded": loaded, "tables": prepare(sf_server.client, body)}


def test_walkthrough_gbm_on_snowflake(sf_server: Server, sf_tables: dict[str, Any]) -> None:
    client = sf_server.client
    assert client.get("/healthz").json()["warehouse"] == "snowflake"
    loaded, tables = sf_tables["loaded"], sf_tables["tables"]
    assert loaded["status"] == "succeeded" and loaded["result"]["rows_loaded"] == 300
    assert tables["status"] == "succeeded", tables
    rows = {t["role"]: t["rows"] for t in tables["result"]["tables"]}
    assert rows["predict"] == 34 and rows["train"] + rows["validation"] == 266
    trained = _run(
        sf_server,
        "/classification/gbm/train",
        {
            "training_table": "reviews_source_target_train",
            "validation_table": "reviews_source_target_validation",
            "params": {"num_rounds": 30},
        },
    )
    assert trained["metrics"]["accuracy"] >= 0.9
    model = trained["model_name"]
    result = _run(
        sf_server,
        "/classification/gbm/predict",
        {"model_name": model, "predict_table": "reviews_source_target_validation"},
    )
    assert result["table"].startswith("GBM_RESULTS_REVIEWS_SOURCE_TARGET_VALIDATION_")
    scored = client.get(
        "/classification/gbm/accuracy",
        params={"model_name": model, "results_table": result["table"]},
    ).json()
    assert scored["accuracy"] >= 0.9 and scored["n"] == rows["validation"]
    page = client.get(f"/data/tables/{result['table']}", params={"limit": 3}).json()
    assert page["columns"][-4:] == [
        "predicted_target",
        "predicted_label",
        "probability",
        "predictions",
    ]


@pytest.mark.usefixtures("sf_tables")
def test_cluster_with_cortex_embeddings(sf_server: Server) -> None:
    result = _run(
        sf_server,
        "/classification/embeddings/cluster",
        {"input_table": "reviews_source_target", "n_components": 20},
    )
    assert result["embedding_model"] == "snowflake-arctic-embed-m"
    assert result["texts_embedded"] > 0
    names = {t["role"]: t["name"] for t in result["tables"]}
    assert names["clustered"] == "EMBEDDINGS_CLUSTERED_REVIEWS_SOURCE_TARGET"
    page = sf_server.client.get(f"/data/tables/{names['clustered']}", params={"limit": 5}).json()
    assert page["total"] == 300
    again = _run(
        sf_server,
        "/classification/embeddings/cluster",
        {"input_table": "reviews_source_target", "n_components": 20},
    )
    assert again["texts_embedded"] == 0


@pytest.mark.usefixtures("sf_tables")
def test_llm_with_cortex(sf_server: Server) -> None:
    client = sf_server.client
    body = {
        "training_table": "reviews_source_target_train",
        "validation_table": "reviews_source_target_validation",
        "target_column": "label",
    }
    response = client.post("/classification/llm/train", json=body)
    assert response.status_code == 202, response.text
    accepted = response.json()
    job = wait_job(client, accepted["task_id"], 120)
    assert job["status"] == "succeeded", job["error"]
    assert job["result"]["cortex_job_id"].startswith("ft_")
    check = client.get("/classification/llm/train/check", params={"job_id": accepted["job_id"]})
    assert check.json()["job_status"] == "SUCCESS" and check.json()["progress"] == 1.0
    model = accepted["model_name"]
    result = _run(
        sf_server,
        "/classification/llm/predict",
        {"model_name": model, "predict_table": "reviews_source_target_validation"},
    )
    table = result["table"]
    assert table.startswith("LLM_REVIEWS_SOURCE_TARGET_VALIDATION_")
    page = client.get(f"/data/tables/{table}", params={"limit": 100}).json()
    assert page["columns"][-3:] == ["llm_response", "predicted_label", "predicted_target"]
    assert {r["predicted_label"] for r in page["rows"]} <= {"positive", "negative"}
    scored = client.get(f"/models/{model}/accuracy", params={"results_table": table}).json()
    assert scored["accuracy"] >= 0.9
    answer = client.get(
        "/classification/llm/response", params={"model_name": model, "llm_prompt": "I love it"}
    ).json()
    assert answer == {"model_name": model, "provider": "cortex", "response": "positive"}


@pytest.mark.usefixtures("sf_tables")
def test_snowflake_ml_engine_fails_clearly_on_fakesnow(sf_server: Server) -> None:
    """fakesnow has no SNOWFLAKE.ML: the original's statements run and fail with a clear error.

    The statements themselves are golden-tested in tests/gbm/test_snowflake_ml.py.
    """
    body = {"training_table": "reviews_source_target_train", "engine": "snowflake_ml"}
    response = sf_server.client.post("/classification/gbm/train", json=body)
    assert response.status_code == 202, response.text
    job = wait_job(sf_server.client, response.json()["task_id"], 120)
    assert job["status"] == "failed"
    assert job["error"]["type"] == "WarehouseError"
    assert "CLASSIFICATION" in job["error"]["message"].upper()
    tables = sf_server.client.get("/data/tables").json()
    assert not any("ML_INPUT" in t["name"] for t in tables), "scratch table left behind"
