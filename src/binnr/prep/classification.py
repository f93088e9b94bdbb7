"""Classification tables: labels, ``*_source_target`` and the train / validation / predict split.

All statements are Snowflake-dialect templates rendered per backend (see
:mod:`binnr.warehouse.sql`); literal text and parameters are bound values.
"""

from __future__ import annotations

from pydantic import AliasChoices, BaseModel, Field

from binnr.prep.template import Part

LLM_SUFFIX = (
    ". Respond only with: {labels}. **NO ELABORATE SENTENCES. ONLY SPECIFIC WORD(S) FROM THE LIST**"
)


class ClassificationSpec(BaseModel):
    """What ``POST /data/create/tables/classification`` asks for (the original's fields)."""

    table_name: str
    source_columns: list[str] = Field(min_length=1)
    target_column: str
    template: str | None = None
    create_validation: bool = False
    llm_train_source: bool = Field(
        default=False,
        validation_alias=AliasChoices("llm_train_source", "llm_calssification_train_source"),
    )
    validation_fraction: float = Field(default=0.1, gt=0, lt=1)
    seed: int = 0

    model_config = {"populate_by_name": True}


LABELS = (
    "CREATE TABLE {out} AS SELECT label AS {target}, ROW_NUMBER() OVER (ORDER BY label) AS "
    "{target_number} FROM (SELECT DISTINCT {target} AS label FROM {src} "
    "WHERE {target} IS NOT NULL AND TRIM({target}) <> '') AS d"
)
DISTINCT_LABELS = (
    "SELECT DISTINCT {target} AS label FROM {src} "
    "WHERE {target} IS NOT NULL AND TRIM({target}) <> '' ORDER BY label"
)
SOURCE_TARGET = (
    'CREATE TABLE {out} AS SELECT s.*, {source_expr} AS "source", l.{target_number} AS '
    '"target" FROM {src} AS s LEFT JOIN {labels} AS l ON s.{target} = l.{target}'
)
_SPLIT = (
    "CREATE TABLE {out} AS SELECT {cols} FROM (SELECT {cols}, ROW_NUMBER() OVER "
    '(PARTITION BY "target" ORDER BY HASH({cols}, ?)) AS binnr_rn, '
    'COUNT(*) OVER (PARTITION BY "target") AS binnr_n, '
    'ROUND(COUNT(*) OVER (PARTITION BY "target") * CAST(? AS DOUBLE)) AS binnr_k FROM {src} '
    'WHERE "target" IS NOT NULL) AS x WHERE binnr_rn {op} CASE WHEN binnr_n < 2 THEN 0 '
    "WHEN binnr_k < 1 THEN 1 WHEN binnr_k > binnr_n - 1 THEN binnr_n - 1 ELSE binnr_k END"
)
TRAIN_SPLIT = _SPLIT.replace("{op}", ">")
VALIDATION_SPLIT = _SPLIT.replace("{op}", "<=")
ALL_LABELLED = 'CREATE TABLE {out} AS SELECT * FROM {src} WHERE "target" IS NOT NULL'
UNLABELLED = 'CREATE TABLE {out} AS SELECT * FROM {src} WHERE "target" IS NULL'
COUNT_LABELS = (
    "SELECT COUNT(DISTINCT {target}) AS n FROM {src} "
    "WHERE {target} IS NOT NULL AND TRIM({target}) <> ''"
)


def source_expression(parts: list[Part], llm_suffix: bool) -> tuple[str, dict[str, str]]:
    """The ``source`` expression text and its column slots.

    Literal parts become ``?`` (bound), columns ``COALESCE(CAST(s.{cN} AS VARCHAR), '')`` so a
    NULL becomes the empty string; the LLM suffix is one more bound value.
    """
    pieces: list[str] = []
    slots: dict[str, str] = {}
    for i, part in enumerate(parts):
        if part.is_column:
            slots[f"c{i}"] = part.text
            pieces.append(f"COALESCE(CAST(s.{{c{i}}} AS VARCHAR), '')")
        else:
            pieces.append("?")
    if llm_suffix:
        pieces.append("?")
    return "CONCAT(" + ", ".join(pieces) + ")", slots
