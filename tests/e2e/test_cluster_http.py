"""Embeddings clustering over HTTP and the CLI on a 2,000-row slice of the tweet dataset."""

from __future__ import annotations

import csv
import io
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


def _slice(path: Path, rows: int) -> bytes:
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        out = io.StringIO()
        writer = csv.writer(out)
        for i, row in enumerate(reader):
            if i > rows:
                break
            writer.writerow(row)
    return out.getvalue().encode()


@pytest.fixture(scope="module")
def cluster_server(tmp_path_factory: pytest.TempPathFactory, shared_data: Path) -> Iterator[Server]:
    data = _slice(shared_data / "tweet_sentiment_extraction_train.csv", 2000)
    with start_server(tmp_path_factory.mktemp("cluster-home")) as srv:
        assert upload(srv.client, data, "tweets")["status"] == "succeeded"
        sql(srv.client, "UPDATE tweets SET sentiment = NULL WHERE hash(textid) % 100 < 20")
        body = {"table_name": "tweets", "source_columns": ["text"], "target_column": "sentiment"}
        assert prepare(srv.client, body)["status"] == "succeeded"
        yield srv


def _cluster(srv: Server, **extra: Any) -> dict[str, Any]:
    body = {"input_table": "tweets_source_target", "number_of_iterations": 2, **extra}
    response = srv.client.post("/classification/embeddings/cluster", json=body)
    assert response.status_code == 202, response.text
    job = wait_job(srv.client, response.json()["task_id"], 900)
    assert job["status"] == "succeeded", (job, srv.log()[-3000:])
    return dict(job["result"])


def test_cluster_writes_both_tables_and_reuses_embeddings(cluster_server: Server) -> None:
    client = cluster_server.client
    first = _cluster(cluster_server)
    assert first["texts_embedded"] > 1900 and first["texts_reused"] == 0
    names = {t["role"]: t["name"] for t in first["tables"]}
    assert names == {
        "embeddings": "embeddings_tweets_source_target",
        "clustered": "embeddings_clustered_tweets_source_target",
    }
    emb = client.get("/data/tables/embeddings_tweets_source_target", params={"limit": 2}).json()
    assert emb["total"] == 2000
    assert {"source", "target", "embedding", "source_hash"} <= set(emb["columns"])
    assert len(emb["rows"][0]["embedding"]) == 384
    out = client.get(
        "/data/tables/embeddings_clustered_tweets_source_target", params={"limit": 2000}
    ).json()
    assert out["columns"] == [
        "source",
        "target",
        "cluster_id",
        "similarity",
        "predicted_target",
        "predicted_label",
    ]
    assert out["total"] == 2000
    assert {r["predicted_label"] for r in out["rows"]} <= {"negative", "neutral", "positive"}
    assert all(-100 <= r["similarity"] <= 100 for r in out["rows"])
    assert all(round(r["similarity"], 2) == r["similarity"] for r in out["rows"])
    evaluation = first["evaluation"]
    assert evaluation["hidden_rows"] > 100 and evaluation["accuracy"] > 0.45
    again = _cluster(cluster_server, algorithm="seed")
    assert again["texts_embedded"] == 0 and again["texts_reused"] > 1900


def test_bad_input(cluster_server: Server) -> None:
    client = cluster_server.client
    post = client.post
    assert_error(post("/classification/embeddings/cluster", json={"input_table": "nope"}), 404)
    assert_error(
        post("/classification/embeddings/cluster", json={"input_table": "tweets"}), 422, "source"
    )
    body = {"input_table": "tweets_source_target", "number_of_iterations": 0}
    assert_error(post("/classification/embeddings/cluster", json=body), 422)
    body = {"input_table": "tweets_source_target_predict"}
    assert_error(post("/classification/embeddings/cluster", json=body), 422, "labelled")


def test_cli(cluster_server: Server) -> None:
    out = run_binnr(
        cluster_server, "cluster", "tweets_source_target", "--iterations", "1", timeout=900
    )
    assert '"texts_embedded": 0' in out
