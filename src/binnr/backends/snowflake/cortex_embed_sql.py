"""Snowflake Cortex embeddings: SQL builders only (the caller executes them).

The original binnr embedded a table's ``SOURCE`` column with
``SNOWFLAKE.CORTEX.EMBED_TEXT_768('snowflake-arctic-embed-m', source)``; :func:`embed_sql` builds
that statement as one ``CREATE OR REPLACE TABLE ... AS SELECT``. :func:`select_embeddings_sql`
reads the vectors back as arrays, for clustering in binnr (:mod:`binnr.models.cluster`).

Every builder returns ``(sql, params)`` for the ``qmark`` paramstyle. Identifiers are validated
with :func:`binnr.warehouse.names.ident` and double-quoted: tables fold to upper case
(``"DB"."SCH"."T"``), columns stay lower case as upload stores them. The model name is a string
literal, not a bound value, because Cortex resolves the model when the statement compiles; it is
checked against :data:`_MODEL` (lower-case letters, digits, dots and dashes), so it cannot carry
a quote.
"""

from __future__ import annotations

import re
from typing import Any

from binnr.errors import InvalidInput
from binnr.warehouse.names import MAX_DERIVED_NAME, TableRef, ident

Sql = tuple[str, list[Any]]
DEFAULT_MODEL = "snowflake-arctic-embed-m"
EMBEDDING_DIM = 768
_MODEL = re.compile(r"^[a-z0-9][a-z0-9.-]{0,99}$")


def embed_sql(
    *,
    source_table: TableRef,
    out_table: TableRef,
    id_column: str = "id",
    source_column: str = "source",
    embedding_column: str = "embedding",
    model: str = DEFAULT_MODEL,
) -> Sql:
    """Create ``out_table(id, embedding VECTOR(FLOAT, 768))`` from ``source_table``.

    NULL text embeds as ``''``, like the local provider.
    """
    row_id, src = _column(id_column, "id column"), _column(source_column, "source column")
    emb = _column(embedding_column, "embedding column")
    sql = (
        f"CREATE OR REPLACE TABLE {table_sql(out_table)} AS "
        f'SELECT "{row_id}", SNOWFLAKE.CORTEX.EMBED_TEXT_768({_literal(model)}, '
        f'COALESCE(TO_VARCHAR("{src}"), \'\')) AS "{emb}" '
        f"FROM {table_sql(source_table)}"
    )
    return sql, []


def select_embeddings_sql(
    *, table: TableRef, id_column: str = "id", embedding_column: str = "embedding"
) -> Sql:
    """``id`` and the embedding as an ARRAY of floats, in ``id`` order."""
    row_id = _column(id_column, "id column")
    emb = _column(embedding_column, "embedding column")
    sql = (
        f'SELECT "{row_id}", "{emb}"::ARRAY AS "{emb}" FROM {table_sql(table)} ORDER BY "{row_id}"'
    )
    return sql, []


def table_sql(ref: TableRef) -> str:
    """``"DB"."SCH"."T"``: each part validated, upper-cased and quoted."""
    parts = [ident(ref.name, field="table name", max_len=MAX_DERIVED_NAME)]
    if ref.schema is not None:
        parts.insert(0, ident(ref.schema, field="schema"))
    if ref.database is not None:
        parts.insert(0, ident(ref.database, field="database"))
    return ".".join(f'"{part.upper()}"' for part in parts)


def _column(name: str, field: str) -> str:
    return ident(name, field=field).lower()


def _literal(model: str) -> str:
    if not isinstance(model, str) or not _MODEL.match(model):
        raise InvalidInput(
            f"Embedding model {str(model)[:60]!r} is not a valid Cortex model name.",
            hint=f"Use a Cortex EMBED_TEXT_768 model such as {DEFAULT_MODEL!r} "
            "(lower-case letters, digits, dots and dashes).",
        )
    return f"'{model}'"
