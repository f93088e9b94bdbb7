"""The original README's GBM steps over HTTP and the CLI, on the tweet dataset."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

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


@pytest.fixture(scope="module")
def gbm_server(tmp_path_factory: pytest.TempPathFactory, shared_data: Path) -> Iterator[Server]:
    """A server with the tweet dataset uploaded, 7% of labels blanked and tables created."""
    with start_server(tmp_path_factory.mktemp("gbm-home")) as srv:
        job = upload(srv.client, shared_data / "tweet_sentiment_extraction_train.csv", "tweets")
        assert job["status"] == "succeeded", job
        sql(srv.client, "UPDATE tweets SET sentiment = NULL WHERE hash(textid) % 100 < 7")
        body = {
            "table_name": "tweets",
            "source_columns": ["text"],
            "target_column": "sentiment",
            "template": "Tweet: {text}",
            "create_validation": True,
        }
        assert prepare(srv.client, body)["status"] == "succeeded"
        yield srv


def _run(srv: Server, path: str, body: dict[str, Any], timeout: float = 600) -> dict[str, Any]:
    response = srv.client.post(path, json=body)
    assert response.status_code == 202, response.text
    job = wait_job(srv.client, response.json()["task_id"], timeout)
    assert job["status"] == "succeeded", job
    return job["result"]


@pytest.fixture(scope="module")
def trained(gbm_server: Server) -> str:
    result = _run(
        gbm_server,
        "/classification/gbm/train",
        {
            "training_table": "tweets_source_target_train",
            "validation_table": "tweets_source_target_validation",
            # the original text GBM: this module walks the original README on 27k tweets; the
            # auto default is exercised end to end in test_classifier_http.py
            "params": {"model": "lightgbm"},
        },
    )
    assert result["model_name"].startswith("gbm_tweets_source_target_train_")
    assert result["active"] is True
    return str(result["model_name"])


def test_train_info_and_validation_accuracy(gbm_server: Server, trained: str) -> None:
    info = gbm_server.client.get("/classification/gbm/info", params={"model_name": trained})
    assert info.status_code == 200, info.text
    report = info.json()["report"]
    assert report["accuracy"] >= 0.68  # majority class is 0.40
    assert {c["label"] for c in report["per_class"]} == {"negative", "neutral", "positive"}
    assert report["confusion_matrix"]["labels"] == ["negative", "neutral", "positive"]
    assert info.json()["training_log"] and info.json()["feature_importance"]
    accuracy = gbm_server.client.get("/classification/gbm/accuracy", params={"model_name": trained})
    assert accuracy.json()["accuracy"] == pytest.approx(report["accuracy"])


def test_predict_validation_and_predict_tables(gbm_server: Server, trained: str) -> None:
    client = gbm_server.client
    body = {"model_name": trained, "predict_table": "tweets_source_target_predict"}
    table = _run(gbm_server, "/classification/gbm/predict", body)["table"]
    assert table.startswith("gbm_results_tweets_source_target_predict_")
    page = client.get(f"/data/tables/{table}", params={"limit": 5}).json()
    n_predict = sql(client, "SELECT COUNT(*) AS n FROM tweets_source_target_predict")[0]["n"]
    assert page["total"] == n_predict
    assert page["columns"][-4:] == [
        "predicted_target",
        "predicted_label",
        "probability",
        "predictions",
    ]
    for row in page["rows"]:
        assert row["predicted_label"] in {"negative", "neutral", "positive"}
        assert 0.33 <= row["probability"] <= 1.0
        assert f'"class": "{row["predicted_label"]}"' in row["predictions"]
    body["predict_table"] = "tweets_source_target_validation"
    scored = _run(gbm_server, "/classification/gbm/predict", body)["table"]
    result = client.get(
        "/classification/gbm/accuracy", params={"model_name": trained, "results_table": scored}
    ).json()
    assert result["accuracy"] >= 0.68 and result["n"] > 2000


def test_model_survives_restart(gbm_server: Server, trained: str) -> None:
    gbm_server.kill()
    with start_server(gbm_server.home) as again:
        gbm_server.client = again.client
        gbm_server.url = again.url
        record = again.client.get(f"/models/{trained}").json()
        assert record["kind"] == "gbm" and record["active"] is True
        body = {"model_name": trained, "predict_table": "tweets_source_target_validation"}
        assert _run(again, "/classification/gbm/predict", body)["rows"] > 2000
        _bad_input(again, trained)
        _cli(again, trained)


def _bad_input(srv: Server, model: str) -> None:
    client = srv.client
    predict = {"model_name": "gbm_nope", "predict_table": "tweets_source_target_predict"}
    assert_error(client.post("/classification/gbm/predict", json=predict), 404)
    assert_error(client.get("/classification/gbm/info", params={"model_name": "gbm_nope"}), 404)
    assert_error(
        client.post("/classification/gbm/train", json={"training_table": "tweets"}), 422, "source"
    )
    sql(
        client,
        "CREATE TABLE one_class AS SELECT * FROM tweets_source_target_train WHERE target = 1",
    )
    assert_error(
        client.post("/classification/gbm/train", json={"training_table": "one_class"}), 422, "2"
    )
    body = {"model_name": model, "predict_table": "tweets"}
    assert_error(client.post("/classification/gbm/predict", json=body), 422, "source")
    body = {"training_table": "tweets_source_target_train", "engine": "snowflake_ml"}
    assert_error(client.post("/classification/gbm/train", json=body), 422, "Snowflake")
    body = {"training_table": "tweets_source_target_train", "params": {"bogus": 1}}
    assert_error(client.post("/classification/gbm/train", json=body), 422, "bogus")


def _cli(srv: Server, model: str) -> None:
    assert model in run_binnr(srv, "models")
    assert "gbm_results_tweets_source_target_validation_" in run_binnr(
        srv, "predict", model, "tweets_source_target_validation"
    )
    assert '"macro_f1"' in run_binnr(srv, "accuracy", model)
    trained = run_binnr(
        srv, "train", "gbm", "tweets_source_target_train", "--params", '{"num_rounds": 20}'
    )
    assert '"model_name": "gbm_tweets_source_target_train_' in trained
