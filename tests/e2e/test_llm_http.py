"""The original's LLM routes over HTTP and the CLI, offline, with a tiny local causal LM.

The model is built in the test from a config (random weights, a BPE tokenizer trained on the
fly) so the real fine-tuning, scoring and generation code runs in seconds; learning is asserted
on easy synthetic data, not on tweets.
"""

from __future__ import annotations

import csv
import io
import json
import time
from collections.abc import Iterator

import pytest

from tests.support.server import (
    Server,
    assert_error,
    prepare,
    run_binnr,
    sql,
    start_server,
    upload,
    wait_job,
)
from tests.support.tiny_llm import build_tiny_model, synthetic

LABELS = {"negative", "positive"}


def _csv(n: int) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["id", "Review", "label"])
    for i, (text, label) in enumerate(synthetic(n, seed=1)):
        writer.writerow([i, text, "" if i % 10 == 9 else label])
    return out.getvalue().encode()


@pytest.fixture(scope="module")
def llm_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    tiny = build_tiny_model(tmp_path_factory.mktemp("tiny") / "model")
    env = {"BINNR_LLM_MODELS": json.dumps({"tiny": str(tiny)})}
    with start_server(tmp_path_factory.mktemp("llm-home"), env) as srv:
        assert upload(srv.client, _csv(400), "reviews")["status"] == "succeeded"
        body = {
            "table_name": "reviews",
            "source_columns": ["review"],
            "target_column": "label",
            "create_validation": True,
            "validation_fraction": 0.2,
        }
        assert prepare(srv.client, body)["status"] == "succeeded"
        yield srv


@pytest.fixture(scope="module")
def trained(llm_server: Server) -> dict[str, str]:
    body = {
        "training_table": "reviews_source_target_train",
        "validation_table": "reviews_source_target_validation",
        "target_column": "label",
        "model_type": "tiny",
        "max_steps": 60,
        "batch_size": 16,
        "learning_rate": 0.01,
        "lora_r": 16,
        "warehouse": "wh",
        "role": "r",
    }
    response = llm_server.client.post("/classification/llm/train", json=body)
    assert response.status_code == 202, response.text
    accepted = response.json()
    assert accepted["job_id"] == accepted["task_id"]
    assert accepted["model_name"].startswith("llm_reviews_source_target_train_")
    assert accepted["notes"], "warehouse/role are ignored on DuckDB and the answer says so"
    seen, state = set(), {}
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        state = llm_server.client.get(
            "/classification/llm/train/check", params={"job_id": accepted["job_id"]}
        ).json()
        seen.add((state["job_status"], state["step"]))
        if state["job_status"] in ("SUCCESS", "ERROR", "CANCELLED"):
            break
        time.sleep(0.2)
    assert state["job_status"] == "SUCCESS", state
    assert state["progress"] == 1.0 and state["total_steps"] == 60
    assert len({step for _, step in seen if step}) > 1, f"progress never moved: {seen}"
    return {"model_name": accepted["model_name"], "job_id": accepted["job_id"]}


def test_model_learned_and_is_registered(llm_server: Server, trained: dict[str, str]) -> None:
    record = llm_server.client.get(f"/models/{trained['model_name']}").json()
    assert record["kind"] == "llm"
    report = record["metadata"]["report"]
    assert report["accuracy"] >= 0.9, report
    assert record["metadata"]["label_map"] == {"negative": 1, "positive": 2}


def test_predict_labels_in_label_set(llm_server: Server, trained: dict[str, str]) -> None:
    body = {"model_name": trained["model_name"], "predict_table": "reviews_source_target_predict"}
    response = llm_server.client.post("/classification/llm/predict", json=body)
    assert response.status_code == 202, response.text
    job = wait_job(llm_server.client, response.json()["task_id"], 600)
    assert job["status"] == "succeeded", job
    table = job["result"]["table"]
    assert table.startswith("llm_reviews_source_target_predict_")
    rows = sql(llm_server.client, f"SELECT * FROM {table}")
    assert len(rows) == 40
    assert {r["predicted_label"] for r in rows} <= LABELS
    assert all(
        r["predicted_target"] == {"negative": 1, "positive": 2}[r["predicted_label"]] for r in rows
    )
    assert all(r["llm_response"] for r in rows)


def test_response_and_errors(llm_server: Server, trained: dict[str, str]) -> None:
    client = llm_server.client
    params = {"model_name": trained["model_name"], "llm_prompt": "good day", "llm_max_tokens": 5}
    answer = client.get("/classification/llm/response", params=params)
    assert answer.status_code == 200, answer.text
    assert isinstance(answer.json()["response"], str)
    body = {
        "training_table": "reviews_source_target_train",
        "target_column": "label",
        "model_type": "llama3-8b",
    }
    error = assert_error(client.post("/classification/llm/train", json=body), 422)
    assert "smollm2-135m" in error["message"] and "tiny" in error["message"]
    assert_error(client.get("/classification/llm/train/check", params={"job_id": "nope"}), 404)


def test_unseen_validation_labels_are_reported(llm_server: Server) -> None:
    sql(
        llm_server.client,
        "CREATE TABLE val_unseen AS SELECT * REPLACE ('neutral' AS label) "
        "FROM reviews_source_target_validation LIMIT 5",
    )
    body = {
        "training_table": "reviews_source_target_train",
        "validation_table": "val_unseen",
        "target_column": "label",
        "model_type": "tiny",
        "max_steps": 2,
    }
    response = llm_server.client.post("/classification/llm/train", json=body)
    job = wait_job(llm_server.client, response.json()["task_id"], 600)
    assert job["status"] == "succeeded", job
    record = llm_server.client.get(f"/models/{job['result']['model_name']}").json()
    assert record["metadata"]["report"]["unseen_labels"] == ["neutral"]


def test_cli(llm_server: Server, trained: dict[str, str]) -> None:
    assert "SUCCESS" in run_binnr(llm_server, "llm", "check", trained["job_id"])
    assert (
        run_binnr(
            llm_server,
            "llm",
            "ask",
            "good day",
            "--model-name",
            trained["model_name"],
            "--max-tokens",
            "3",
        )
        is not None
    )
    out = run_binnr(
        llm_server,
        "train",
        "llm",
        "reviews_source_target_train",
        "--target-column",
        "label",
        "--model-type",
        "tiny",
        "--max-steps",
        "3",
    )
    assert "model_name: llm_reviews_source_target_train_" in out and "SUCCESS" in out
