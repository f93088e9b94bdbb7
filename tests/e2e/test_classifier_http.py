"""The default classifier (``params.model = "auto"``), its leaderboard and label-issue report,
every forced model, and the method comparison, over HTTP and the CLI on a small synthetic set."""

from __future__ import annotations

import csv
import io
import random
from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.server import Server, prepare, run_binnr, start_server, upload, wait_job

WORDS = {
    "billing": ["invoice", "refund", "charge", "payment", "bill"],
    "shipping": ["parcel", "courier", "delivery", "tracking", "shipment"],
    "account": ["password", "login", "username", "profile", "signin"],
}
FILLER = ["please", "help", "today", "my", "the", "again", "urgent", "thanks", "hello", "issue"]
FLIPPED = {7, 19, 31, 43, 55, 67, 79, 91}  # rows whose label is deliberately wrong


def dataset(n: int = 360, seed: int = 3) -> bytes:
    rng = random.Random(seed)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["id", "text", "topic"])
    labels = list(WORDS)
    for i in range(n):
        label = labels[i % 3]
        words = rng.sample(FILLER, 4) + rng.sample(WORDS[label], 2)
        rng.shuffle(words)
        given = labels[(i + 1) % 3] if i in FLIPPED else label
        writer.writerow([i, " ".join(words), "" if i % 12 == 11 else given])
    return out.getvalue().encode()


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with start_server(tmp_path_factory.mktemp("auto-home")) as server:
        job = upload(server.client, dataset(), "tickets")
        assert job["status"] == "succeeded", job.get("error")
        body = {"table_name": "tickets", "source_columns": ["text"], "target_column": "topic"}
        assert prepare(server.client, body)["status"] == "succeeded"
        yield server


def _run(srv: Server, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = srv.client.post(path, json=body)
    assert response.status_code == 202, response.text
    job = wait_job(srv.client, response.json()["task_id"], 600)
    assert job["status"] == "succeeded", job.get("error")
    return dict(job["result"])


@pytest.fixture(scope="module")
def auto_model(srv: Server) -> str:
    result = _run(
        srv, "/classification/gbm/train", {"training_table": "tickets_source_target_train"}
    )
    return str(result["model_name"])


def test_auto_is_the_default_and_shows_its_leaderboard(srv: Server, auto_model: str) -> None:
    info = srv.client.get("/classification/gbm/info", params={"model_name": auto_model}).json()
    assert info["params"]["model"] == "auto"
    assert info["format"] == "binnr.auto/1"
    board = {row["model"]: row for row in info["leaderboard"]}
    assert {"linear", "embeddings", "stack"} <= set(board)
    assert info["chosen_model"] in board
    assert info["metrics"]["macro_f1"] > 0.8
    assert 0.0 <= info["metrics"]["ece"] <= 0.2
    assert info["calibration"]["reliability"]


def test_label_issues_rank_the_planted_flips_first(srv: Server, auto_model: str) -> None:
    found = srv.client.get(
        "/classification/gbm/label-issues", params={"model_name": auto_model, "limit": 8}
    ).json()
    assert found["table"] == "label_issues_tickets_source_target_train"
    assert [r["rank"] for r in found["rows"]] == list(range(1, len(found["rows"]) + 1))
    rows = list(csv.DictReader(io.StringIO(dataset().decode())))
    planted = {rows[i]["text"] for i in FLIPPED}
    flagged = [r["source"] for r in found["rows"]]
    # most planted flips are found, and what is flagged is planted (the rest of the set is clean)
    assert len(flagged) >= 4 and set(flagged) <= planted, (flagged, planted)
    assert all(r["given_label"] != r["suggested_label"] for r in found["rows"])
    table = srv.client.get("/data/tables/label_issues_tickets_source_target_train").json()
    assert {
        "row_number",
        "source",
        "given_label",
        "suggested_label",
        "label_quality",
        "rank",
    } <= set(table["columns"])
    out = run_binnr(srv, "label-issues", auto_model, "--limit", "3")
    assert "suggested" in out and "flagged" in out


def test_predictions_are_calibrated_probabilities(srv: Server, auto_model: str) -> None:
    body = {"model_name": auto_model, "predict_table": "tickets_source_target_predict"}
    table = _run(srv, "/classification/gbm/predict", body)["table"]
    rows = srv.client.get(f"/data/tables/{table}", params={"limit": 100}).json()["rows"]
    assert rows and all(0.0 < r["probability"] <= 1.0 for r in rows)
    assert all(r["predicted_label"] in WORDS for r in rows)


@pytest.mark.parametrize("model", ["linear", "embeddings", "stack", "lightgbm"])
def test_each_model_can_be_forced(srv: Server, model: str) -> None:
    body = {"training_table": "tickets_source_target_train", "params": {"model": model}}
    name = _run(srv, "/classification/gbm/train", body)["model_name"]
    info = srv.client.get("/classification/gbm/info", params={"model_name": name}).json()
    assert info["params"]["model"] == model
    if model == "lightgbm":  # the original text GBM keeps its training log and importances
        assert info["training_log"] and info["feature_importance"]
    else:
        assert info["chosen_model"] == model


def test_original_gbm_keys_still_mean_the_text_gbm(srv: Server) -> None:
    body = {"training_table": "tickets_source_target_train", "params": {"num_rounds": 20}}
    name = _run(srv, "/classification/gbm/train", body)["model_name"]
    info = srv.client.get("/classification/gbm/info", params={"model_name": name}).json()
    assert info["params"]["model"] == "lightgbm"
    assert info["params"]["lightgbm"]["num_rounds"] == 20


def test_compare_writes_one_row_per_method(srv: Server) -> None:
    result = _run(srv, "/classification/compare", {"input_table": "tickets_source_target"})
    methods = {row["method"]: row for row in result["methods"]}
    assert set(methods) == {
        "auto",
        "stack",
        "linear",
        "embeddings",
        "lightgbm",
        "cluster_pinned",
        "cluster_seed",
    }
    for row in methods.values():
        assert 0.0 <= row["macro_f1"] <= 1.0 and row["train_seconds"] >= 0
    assert methods["auto"]["ece"] is not None and methods["cluster_pinned"]["ece"] is None
    assert methods["auto"]["macro_f1"] > 0.8
    table = srv.client.get(f"/data/tables/{result['table']}").json()
    assert table["name"] == "compare_tickets_source_target" and len(table["rows"]) == 7
    out = run_binnr(srv, "compare", "tickets_source_target")
    assert "cluster_pinned" in out and "macro F1" in out
