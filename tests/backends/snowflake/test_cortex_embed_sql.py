"""Golden SQL for the Cortex embedding builders, and the names they refuse."""

from __future__ import annotations

import pytest

from binnr.backends.snowflake.cortex_embed_sql import embed_sql, select_embeddings_sql, table_sql
from binnr.errors import InvalidInput
from binnr.warehouse.names import TableRef

SRC = TableRef("reviews", schema="public", database="binnr")
OUT = TableRef("embeddings_reviews", schema="public", database="binnr")


def test_embed_sql_golden() -> None:
    sql, params = embed_sql(source_table=SRC, out_table=OUT)
    assert sql == (
        'CREATE OR REPLACE TABLE "BINNR"."PUBLIC"."EMBEDDINGS_REVIEWS" AS '
        "SELECT \"id\", SNOWFLAKE.CORTEX.EMBED_TEXT_768('snowflake-arctic-embed-m', "
        'COALESCE(TO_VARCHAR("source"), \'\')) AS "embedding" '
        'FROM "BINNR"."PUBLIC"."REVIEWS"'
    )
    assert params == []


def test_embed_sql_custom_columns_and_model() -> None:
    sql, _ = embed_sql(
        source_table=TableRef("t"),
        out_table=TableRef("t_emb", schema="s"),
        id_column="Row_ID",
        source_column="text",
        embedding_column="vec",
        model="e5-base-v2",
    )
    assert sql == (
        'CREATE OR REPLACE TABLE "S"."T_EMB" AS '
        "SELECT \"row_id\", SNOWFLAKE.CORTEX.EMBED_TEXT_768('e5-base-v2', "
        'COALESCE(TO_VARCHAR("text"), \'\')) AS "vec" FROM "T"'
    )


def test_select_embeddings_sql_golden() -> None:
    sql, params = select_embeddings_sql(table=OUT)
    assert sql == (
        'SELECT "id", "embedding"::ARRAY AS "embedding" '
        'FROM "BINNR"."PUBLIC"."EMBEDDINGS_REVIEWS" ORDER BY "id"'
    )
    assert params == []


@pytest.mark.parametrize(
    "kwargs",
    [
        {"source_column": 'source"; DROP TABLE x; --'},
        {"id_column": "id col"},
        {"embedding_column": ""},
        {"model": "snowflake-arctic-embed-m'); DROP TABLE x; --"},
        {"model": "Arctic Embed"},
    ],
)
def test_bad_names_are_refused(kwargs: dict[str, str]) -> None:
    with pytest.raises(InvalidInput) as info:
        embed_sql(source_table=SRC, out_table=OUT, **kwargs)
    assert info.value.hint


def test_table_sql_revalidates_parts() -> None:
    ref = TableRef("ok")
    object.__setattr__(ref, "name", 'x"; DROP TABLE y; --')  # bypass the dataclass check
    with pytest.raises(InvalidInput):
        table_sql(ref)
