"""Out-of-range values are a 422 with the one error shape, never a 500 or a failed job."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.server import (
    Server,
    assert_error,
    prepare,
    sql,
    start_server,
    submit_upload,
    upload,
)

CSV = b"id,text,sentiment\n" + b"".join(
    f"{i},tweet {i},{'pos' if i % 2 else 'neg'}\n".encode() for i in range(12)
)
LLM = {"training_table": "t_source_target_train", "target_column": "sentiment"}
CLUSTER = {"input_table": "t_source_target"}


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with start_server(tmp_path_factory.mktemp("bounds")) as server:
        yield server


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/classification/embeddings/cluster", {**CLUSTER, "number_of_iterations": 10**9},
         "number_of_iterations"),
        ("/classification/embeddings/cluster", {**CLUSTER, "n_components": 10**9},
         "n_components"),
        ("/classification/llm/train", {**LLM, "epochs": 1e12}, "epochs"),
        ("/classification/llm/train", {**LLM, "learning_rate": "inf"}, "learning_rate"),
        ("/classification/llm/train", {**LLM, "lora_r": 100_000}, "lora_r"),
        ("/classification/llm/train", {**LLM, "batch_size": 100_000}, "batch_size"),
        ("/classification/llm/train", {**LLM, "model_type": "m" * 2000}, "model_type"),
        ("/classification/gbm/train", {"training_table": "t", "params": {"seed": -1}}, "seed"),
        ("/classification/gbm/predict", {"model_name": "m;", "predict_table": "t"},
         "model_name"),
        ("/data/create/tables/classification",
         {"table_name": "t", "source_columns": ["text"], "target_column": "x", "seed": -5},
         "seed"),
        ("/data/create/tables/classification",
         {"table_name": "t" * 300, "source_columns": ["text"], "target_column": "x"},
         "table_name"),
        ("/data/sql", {"sql": "select 1", "database": "a b"}, "database"),
    ],
)  # fmt: skip
def test_out_of_range_bodies_are_422(srv: Server, path: str, body: Any, field: str) -> None:
    error = assert_error(srv.client.post(path, json=body), 422, field)
    assert error["type"] == "InvalidInput"


def test_json_infinity_and_huge_numbers_are_422(srv: Server) -> None:
    headers = {"content-type": "application/json"}
    for raw in (b'"learning_rate": Infinity', b'"learning_rate": NaN', b'"epochs": 1e400'):
        body = b'{"training_table": "t", "target_column": "c", ' + raw + b"}"
        response = srv.client.post("/classification/llm/train", content=body, headers=headers)
        assert_error(response, 422)


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/classification/llm/response", {"llm_prompt": "hi", "llm_max_tokens": 8192}),
        ("/classification/llm/response", {"llm_prompt": "hi", "llm_temperature": "nan"}),
        ("/data/tables", {"database": "x;y"}),
        ("/data/tables/" + "a" * 300, {}),
        ("/data/tables/t", {"offset": 10**13}),
        ("/jobs/status/" + "x" * 100, {}),
        ("/classification/gbm/info", {"model_name": "a b"}),
        ("/models/" + "m" * 300, {}),
    ],
)
def test_out_of_range_queries_are_422(srv: Server, path: str, params: dict[str, Any]) -> None:
    assert_error(srv.client.get(path, params=params), 422)


def test_infer_types_must_be_a_boolean(srv: Server) -> None:
    response = submit_upload(srv.client, CSV, "typed", infer_types="banana")
    error = assert_error(response, 422, "infer_types", "true")
    assert error["type"] == "InvalidInput"
    job = upload(srv.client, CSV, "typed", infer_types="TRUE")
    assert job["status"] == "succeeded", job
    assert job["params"]["infer_types"] is True


def test_doubled_braces_in_a_template_are_literal(srv: Server) -> None:
    assert upload(srv.client, CSV, "braces")["status"] == "succeeded"
    body = {
        "table_name": "braces",
        "source_columns": ["text"],
        "target_column": "sentiment",
        "template": "{{sentiment}}: {text} {{}}",
    }
    job = prepare(srv.client, body)
    assert job["status"] == "succeeded", job
    rows = sql(srv.client, "SELECT text, source FROM braces_source_target ORDER BY id")
    assert [r["source"] for r in rows] == [f"{{sentiment}}: {r['text']} {{}}" for r in rows]
