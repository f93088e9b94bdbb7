"""Cortex SQL builders: golden strings, bound values, and injection attempts refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from binnr.backends.snowflake import cortex_llm_sql as cortex
from binnr.errors import InvalidInput
from binnr.models.llm import resolve_model_type
from binnr.settings import Settings
from binnr.warehouse.names import TableRef

TRAIN = TableRef("tweets_train", schema="sch", database="db")
VALID = TableRef("tweets_valid", schema="sch", database="db")
MODEL = TableRef("sentiment_model", schema="sch", database="db")


def test_finetune_create_golden() -> None:
    sql, params = cortex.finetune_create_sql(
        model=MODEL, base_model="llama3-8b", train=TRAIN, label_column="sentiment", validation=VALID
    )
    assert sql == "SELECT SNOWFLAKE.CORTEX.FINETUNE('CREATE', ?, ?, ?, ?)"
    assert params == [
        "DB.SCH.SENTIMENT_MODEL",
        "llama3-8b",
        'SELECT "source" AS prompt, TO_VARCHAR("sentiment") AS completion '
        'FROM "DB"."SCH"."TWEETS_TRAIN" WHERE "source" IS NOT NULL AND "sentiment" IS NOT NULL',
        'SELECT "source" AS prompt, TO_VARCHAR("sentiment") AS completion '
        'FROM "DB"."SCH"."TWEETS_VALID" WHERE "source" IS NOT NULL AND "sentiment" IS NOT NULL',
    ]


def test_finetune_create_without_validation_and_custom_source() -> None:
    sql, params = cortex.finetune_create_sql(
        model=TableRef("m"), base_model="mistral-7b", train=TableRef("t"), label_column="Label",
        source_column="Body",
    )  # fmt: skip
    assert sql == "SELECT SNOWFLAKE.CORTEX.FINETUNE('CREATE', ?, ?, ?)"
    assert params == [
        "M",
        "mistral-7b",
        'SELECT "body" AS prompt, TO_VARCHAR("label") AS completion FROM "T" '
        'WHERE "body" IS NOT NULL AND "label" IS NOT NULL',
    ]


def test_describe_and_cancel_bind_the_job_id() -> None:
    job = "ft_6556e15c-8f12-4d94-8cb0-87e6f2fd2299"
    assert cortex.finetune_describe_sql(job_id=job) == (
        "SELECT SNOWFLAKE.CORTEX.FINETUNE('DESCRIBE', ?)",
        [job],
    )
    assert cortex.finetune_cancel_sql(job_id=job) == (
        "SELECT SNOWFLAKE.CORTEX.FINETUNE('CANCEL', ?)",
        [job],
    )


def test_complete_table_golden() -> None:
    sql, params = cortex.complete_table_sql(
        model="DB.SCH.SENTIMENT_MODEL",
        source=TableRef("tweets_test", schema="sch", database="db"),
        dest=TableRef("tweets_test_pred", schema="sch", database="db"),
    )
    assert sql == (
        'CREATE TABLE "DB"."SCH"."TWEETS_TEST_PRED" AS SELECT t.*, '
        "SNOWFLAKE.CORTEX.COMPLETE(?, [{'role': 'user', 'content': t.\"source\"}], "
        "{'temperature': ?}):choices[0]:messages::VARCHAR AS \"response\" "
        'FROM "DB"."SCH"."TWEETS_TEST" AS t'
    )
    assert params == ["DB.SCH.SENTIMENT_MODEL", 0.1]
    replaced, _ = cortex.complete_table_sql(
        model="llama3-8b", source=TableRef("a"), dest=TableRef("b"), replace=True, temperature=0
    )
    assert replaced.startswith('CREATE OR REPLACE TABLE "B" AS')


def test_complete_prompt_golden() -> None:
    sql, params = cortex.complete_prompt_sql(
        model="llama3-8b", prompt="Say 'hi'; DROP TABLE x", role="system", max_tokens=50
    )
    assert sql == (
        "SELECT SNOWFLAKE.CORTEX.COMPLETE(?, [{'role': ?, 'content': ?}], "
        "{'temperature': ?, 'max_tokens': ?, 'top_p': ?}) AS response"
    )
    assert params == ["llama3-8b", "system", "Say 'hi'; DROP TABLE x", 0.1, 50, 1.0]


@pytest.mark.parametrize(
    "call",
    [
        lambda: cortex.finetune_create_sql(
            model=MODEL, base_model="llama3-8b", train=TRAIN, label_column='x" FROM y --'
        ),
        lambda: cortex.finetune_create_sql(
            model=MODEL, base_model="llama3-8b'); DROP TABLE t; --", train=TRAIN, label_column="x"
        ),
        lambda: cortex.finetune_create_sql(
            model=MODEL, base_model="llama3-8b", train=TRAIN, label_column="x", source_column="a;b"
        ),
        lambda: cortex.finetune_create_sql(
            model=TableRef("m"), base_model="llama3-8b", train=TableRef("t"), label_column="a b"
        ),
        lambda: cortex.finetune_describe_sql(job_id="x'); SELECT 1; --"),
        lambda: cortex.finetune_cancel_sql(job_id=""),
        lambda: cortex.complete_table_sql(
            model="m", source=TableRef("a"), dest=TableRef("b"), source_column='s"--'
        ),
        lambda: cortex.complete_table_sql(
            model="m", source=TableRef("a"), dest=TableRef("b"), output_column="o; drop"
        ),
        lambda: cortex.complete_table_sql(model="m'||x", source=TableRef("a"), dest=TableRef("b")),
        lambda: cortex.complete_table_sql(
            model="m", source=TableRef("a"), dest=TableRef("b"), temperature=1.5
        ),
        lambda: cortex.complete_prompt_sql(model="m", prompt="p", role="admin"),  # type: ignore[arg-type]
        lambda: cortex.complete_prompt_sql(model="m", prompt="p", max_tokens=0),
        lambda: cortex.complete_prompt_sql(model="m", prompt="p", top_p=2),
        lambda: cortex.complete_prompt_sql(model="m", prompt=""),
        lambda: cortex.table_sql(TableRef('t"; DROP TABLE x; --')),
    ],
)
def test_injection_and_bad_values_are_invalid_input(call: object) -> None:
    with pytest.raises(InvalidInput):
        call()  # type: ignore[operator]


def test_parse_complete_response() -> None:
    raw = '{"choices": [{"messages": " positive"}], "created": 1, "model": "m", "usage": {}}'
    assert cortex.parse_complete_response(raw) == " positive"
    assert cortex.parse_complete_response({"choices": [{"messages": "x"}]}) == "x"
    assert cortex.parse_complete_response("plain text") == "plain text"


def test_parse_describe() -> None:
    done = cortex.parse_describe(
        '{"id": "ft_1", "status": "SUCCESS", "progress": 1.0, "model": "DB.SCH.M",'
        ' "trained_tokens": 2670734,'
        ' "training_result": {"validation_loss": 1.01, "training_loss": 0.64}}'
    )
    assert done == {
        "status": "SUCCESS",
        "done": True,
        "progress": 1.0,
        "metrics": {"training_loss": 0.64, "validation_loss": 1.01, "trained_tokens": 2670734},
        "model": "DB.SCH.M",
        "error": None,
    }
    failed = cortex.parse_describe({"status": "ERROR", "error": {"code": "X", "message": "bad"}})
    assert failed["done"] and failed["error"] == "bad"
    assert cortex.parse_describe({"status": "IN_PROGRESS", "progress": 0.4})["done"] is False


def test_cortex_model_resolution(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path)
    assert resolve_model_type(None, settings=settings, provider="cortex") == "llama3-8b"
    assert resolve_model_type("mistral-7b", settings=settings, provider="cortex") == "mistral-7b"
    with pytest.raises(InvalidInput, match=r"llama3-8b.*mixtral-8x7b"):
        resolve_model_type("gpt-4", settings=settings, provider="cortex")
