"""End to end on the shared datasets: upload → SQL → classification tables, over real HTTP."""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from tests.support.server import Server, prepare, sql, start_server, upload

pytestmark = pytest.mark.shared_data

TWEETS = "tweet_sentiment_extraction_train.csv"
AIRLINE = "airline_tweets.csv"
LLM_TAIL = (
    ". Respond only with: negative or neutral or positive. "
    "**NO ELABORATE SENTENCES. ONLY SPECIFIC WORD(S) FROM THE LIST**"
)


def read_csv(path: Path) -> list[dict[str, str]]:
    """The file as Python's csv module reads it (the reference for every count)."""
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def table(server: Server, name: str) -> list[dict[str, Any]]:
    """Every row of a table, through the Parquet download."""
    response = server.client.get(f"/data/tables/{name}/download", params={"format": "parquet"})
    assert response.status_code == 200, response.text
    rows: list[dict[str, Any]] = pq.read_table(io.BytesIO(response.content)).to_pylist()
    return rows


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory, shared_data: Path) -> Iterator[Server]:
    with start_server(tmp_path_factory.mktemp("e2e")) as server:
        yield server


@pytest.fixture(scope="module")
def tweets(srv: Server, shared_data: Path) -> dict[str, Any]:
    """``tweets`` uploaded, ~7% of sentiment blanked, classification tables created (seed 0)."""
    job = upload(srv.client, shared_data / TWEETS, "tweets")
    assert job["status"] == "succeeded", job
    sql(srv.client, "UPDATE tweets SET sentiment = NULL WHERE hash(textid) % 100 < 7")
    prepared = prepare(
        srv.client,
        {
            "table_name": "tweets",
            "source_columns": ["text"],
            "target_column": "sentiment",
            "template": "Tweet: {text}",
            "create_validation": True,
        },
    )
    assert prepared["status"] == "succeeded", prepared
    return {"upload": job["result"], "prepare": prepared["result"]}


def test_upload_result_and_contents(srv: Server, tweets: dict[str, Any], shared_data: Path) -> None:
    result = tweets["upload"]
    assert result["rows_loaded"] == 27481 and result["rows_rejected"] == 0
    assert result["table"] == "tweets" and result["format"] == "csv"
    assert result["columns"] == [
        {"original": "textID", "column": "textid"},
        {"original": "text", "column": "text"},
        {"original": "selected_text", "column": "selected_text"},
        {"original": "sentiment", "column": "sentiment"},
    ]
    expected = read_csv(shared_data / TWEETS)
    rows = {r["textid"]: r for r in table(srv, "tweets")}
    assert len(rows) == len(expected) == 27481
    for ref in expected:  # every value as text, exactly; an empty field is NULL
        row = rows[ref["textID"]]
        assert (row["text"] or "") == ref["text"]
        assert (row["selected_text"] or "") == ref["selected_text"]
    assert table(srv, "tweets__rejects") == []


def test_sql_blanked_about_seven_percent(srv: Server, tweets: dict[str, Any]) -> None:
    n = sql(srv.client, "SELECT COUNT(*) AS n FROM tweets WHERE sentiment IS NULL")[0]["n"]
    assert 0.06 * 27481 < n < 0.08 * 27481


def test_labels_table(srv: Server, tweets: dict[str, Any]) -> None:
    labels = sorted(table(srv, "sentiment_target"), key=lambda r: r["sentiment_number"])
    assert [(r["sentiment"], r["sentiment_number"]) for r in labels] == [
        ("negative", 1),
        ("neutral", 2),
        ("positive", 3),
    ]
    assert tweets["prepare"]["labels"] == [
        {"label": "negative", "number": 1},
        {"label": "neutral", "number": 2},
        {"label": "positive", "number": 3},
    ]


def test_source_target_table(srv: Server, tweets: dict[str, Any]) -> None:
    numbers = {"negative": 1, "neutral": 2, "positive": 3}
    source = {r["textid"]: r for r in table(srv, "tweets")}
    st = table(srv, "tweets_source_target")
    assert len(st) == len(source) == 27481
    assert list(st[0]) == ["textid", "text", "selected_text", "sentiment", "source", "target"]
    nulls = 0
    for row in st:
        original = source[row["textid"]]
        assert row["text"] == original["text"]
        assert row["source"] == "Tweet: " + (row["text"] or "")
        if original["sentiment"] is None:
            assert row["target"] is None
            nulls += 1
        else:
            assert row["target"] == numbers[original["sentiment"]]
    assert any(r["text"] is None and r["source"] == "Tweet: " for r in st)
    assert nulls == sum(1 for r in source.values() if r["sentiment"] is None)


def test_train_validation_predict_split(srv: Server, tweets: dict[str, Any]) -> None:
    st = table(srv, "tweets_source_target")
    labelled = {r["textid"] for r in st if r["target"] is not None}
    unlabelled = {r["textid"] for r in st if r["target"] is None}
    train = table(srv, "tweets_source_target_train")
    validation = table(srv, "tweets_source_target_validation")
    predict = table(srv, "tweets_source_target_predict")
    train_ids, val_ids = {r["textid"] for r in train}, {r["textid"] for r in validation}
    assert len(train_ids) == len(train) and len(val_ids) == len(validation)
    assert not train_ids & val_ids
    assert train_ids | val_ids == labelled
    assert {r["textid"] for r in predict} == unlabelled and len(predict) == len(unlabelled)
    assert all(r["target"] is None for r in predict)

    per_class = Counter(r["target"] for r in st if r["target"] is not None)
    val_class = Counter(r["target"] for r in validation)
    train_class = Counter(r["target"] for r in train)
    for label, total in per_class.items():
        assert abs(val_class[label] - 0.1 * total) <= 1, (label, val_class[label], total)
        assert val_class[label] > 0 and train_class[label] > 0
    rows = {t["role"]: t["rows"] for t in tweets["prepare"]["tables"]}
    assert rows == {
        "labels": 3,
        "source_target": 27481,
        "train": len(train),
        "validation": len(validation),
        "predict": len(predict),
    }


def _split(srv: Server, table_name: str, seed: int) -> set[str]:
    job = prepare(
        srv.client,
        {
            "table_name": table_name,
            "source_columns": ["text"],
            "target_column": "sentiment",
            "template": "Tweet: {'text'}",
            "create_validation": True,
            "seed": seed,
        },
    )
    assert job["status"] == "succeeded", job
    return {r["textid"] for r in table(srv, f"{table_name}_source_target_validation")}


def test_split_is_reproducible_and_seeded(srv: Server, tweets: dict[str, Any]) -> None:
    sql(srv.client, "CREATE OR REPLACE TABLE tweets_seed AS SELECT * FROM tweets")
    first = _split(srv, "tweets_seed", 0)
    assert first == {r["textid"] for r in table(srv, "tweets_source_target_validation")}
    assert _split(srv, "tweets_seed", 0) == first
    other = _split(srv, "tweets_seed", 7)
    assert other != first and len(other) == len(first)


@pytest.mark.parametrize("flag", ["llm_train_source", "llm_calssification_train_source"])
def test_llm_train_source(srv: Server, tweets: dict[str, Any], flag: str) -> None:
    name = f"tweets_{flag[:12]}"
    sql(srv.client, f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM tweets LIMIT 500")
    job = prepare(
        srv.client,
        {
            "table_name": name,
            "source_columns": ["text"],
            "target_column": "sentiment",
            "template": "Tweet: {text}",
            flag: True,
        },
    )
    assert job["status"] == "succeeded", job
    rows = table(srv, f"{name}_source_target")
    assert len(rows) == 500
    for row in rows:
        assert row["source"] == "Tweet: " + (row["text"] or "") + LLM_TAIL


def test_airline_quoted_newlines_and_big_ids(srv: Server, shared_data: Path) -> None:
    expected = read_csv(shared_data / AIRLINE)
    job = upload(srv.client, shared_data / AIRLINE, "airline")
    assert job["status"] == "succeeded", job
    assert job["result"]["rows_loaded"] == len(expected) and job["result"]["rows_rejected"] == 0
    rows = table(srv, "airline")
    assert len(rows) == len(expected)
    assert sum("\n" in (r["text"] or "") for r in rows) == sum("\n" in r["text"] for r in expected)
    assert all(len(r["tweet_id"]) == 18 for r in expected)
    # the 18-digit ids survive as exact text (the file repeats some tweets: compare multisets)
    fields = [c for c in expected[0] if c]
    got = Counter(tuple(r[c] or "" for c in fields) for r in rows)
    assert got == Counter(tuple(r[c] for c in fields) for r in expected)
    # JSON rows keep it exact too
    page = srv.client.get("/data/tables/airline", params={"limit": 3}).json()
    assert [r["tweet_id"] for r in page["rows"]] == [r["tweet_id"] for r in expected[:3]]

    prepared = prepare(
        srv.client,
        {
            "table_name": "airline",
            "source_columns": ["airline", "text"],
            "target_column": "airline_sentiment",
        },
    )
    assert prepared["status"] == "succeeded", prepared
    st = table(srv, "airline_source_target")
    assert len(st) == len(expected)
    for row in st:
        assert row["source"] == f"{row['airline'] or ''} : {row['text'] or ''}"
    labels = table(srv, "airline_sentiment_target")
    assert sorted(r["airline_sentiment"] for r in labels) == ["negative", "neutral", "positive"]
    train = table(srv, "airline_source_target_train")
    assert len(train) == len(expected)  # no validation asked: every labelled row trains
