"""Every data statement binnr renders, with example identifiers and bound values.

Shared by tests/backends/duckdb/test_statements_duckdb.py and
tests/backends/snowflake/test_statements_snowflake.py:
each statement is rendered for both dialects (compared with :data:`GOLDEN`) and executed, in
order, against the small :data:`FIXTURE` table by :func:`run_pipeline`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from binnr.prep import classification as stmts
from binnr.prep.template import Part
from binnr.warehouse.base import Warehouse

SRC_COLUMNS = ["id", "text", "label"]
#: 10 "a", 6 "b", 2 "c", 1 "d" (alone: never split), 2 unlabelled ('' and NULL).
FIXTURE = pa.table(
    {
        "id": [str(i) for i in range(21)],
        "text": [f"text {i}" for i in range(21)],
        "label": ["a"] * 10 + ["b"] * 6 + ["c"] * 2 + ["d"] + ["", None],
    }
)
PER_CLASS = {"a": 10, "b": 6, "c": 2, "d": 1}
PARTS = [Part(text="Review: ", is_column=False), Part(text="text", is_column=True)]
SOURCE_EXPR, SOURCE_SLOTS = stmts.source_expression(PARTS, llm_suffix=False)
SEED, FRACTION = 7, 0.25


@dataclass(frozen=True)
class Statement:
    """A template, its identifier slots (table roles) and its bound values."""

    key: str
    template: str
    tables: dict[str, str]
    columns: dict[str, str | list[str]] = field(default_factory=dict)
    params: list[Any] = field(default_factory=list)


ST_COLS = [*SRC_COLUMNS, "source", "target"]
STATEMENTS: list[Statement] = [
    Statement("count_labels", stmts.COUNT_LABELS, {"src": "reviews"}, {"target": "label"}),
    Statement("distinct_labels", stmts.DISTINCT_LABELS, {"src": "reviews"}, {"target": "label"}),
    Statement(
        "labels",
        stmts.LABELS,
        {"out": "label_target", "src": "reviews"},
        {"target": "label", "target_number": "label_number"},
    ),
    Statement(
        "source_target",
        stmts.SOURCE_TARGET.replace("{source_expr}", SOURCE_EXPR),
        {"out": "st", "src": "reviews", "labels": "label_target"},
        {"target": "label", "target_number": "label_number", **SOURCE_SLOTS},
        ["Review: "],
    ),
    Statement(
        "train",
        stmts.TRAIN_SPLIT,
        {"out": "st_train", "src": "st"},
        {"cols": ST_COLS},
        [SEED, FRACTION],
    ),
    Statement(
        "validation",
        stmts.VALIDATION_SPLIT,
        {"out": "st_validation", "src": "st"},
        {"cols": ST_COLS},
        [SEED, FRACTION],
    ),
    Statement("all_labelled", stmts.ALL_LABELLED, {"out": "st_all", "src": "st"}),
    Statement("unlabelled", stmts.UNLABELLED, {"out": "st_predict", "src": "st"}),
    Statement(
        "labels_list",
        "SELECT {t}, {n} FROM {ref} ORDER BY {n}",
        {"ref": "label_target"},
        {"t": "label", "n": "label_number"},
    ),
    Statement("row_count", "SELECT COUNT(*) AS n FROM {t}", {"t": "st_train"}),
    Statement("page", "SELECT * FROM {t} LIMIT ? OFFSET ?", {"t": "st"}, params=[5, 2]),
    Statement("drop", "DROP TABLE IF EXISTS {t}", {"t": "st_all"}),
]


def render(wh: Warehouse, st: Statement) -> str:
    """``st`` rendered for ``wh`` with its tables in ``wh``'s default schema."""
    refs: dict[str, Any] = {slot: wh.ref(name) for slot, name in st.tables.items()}
    return wh.render(st.template, **refs, **st.columns)


def run_pipeline(wh: Warehouse) -> dict[str, Any]:
    """Load :data:`FIXTURE` as ``reviews``, run every statement in order; results by key."""
    wh.write_batches(wh.ref("reviews"), FIXTURE.to_batches(), schema=FIXTURE.schema)
    out: dict[str, Any] = {}
    for st in STATEMENTS:
        sql = render(wh, st)
        if sql.lstrip().upper().startswith(("CREATE", "DROP")):
            wh.execute(sql, st.params)
            out[st.key] = None
        else:
            out[st.key] = wh.query(sql, st.params)
    out["tables"] = {
        name: wh.query(wh.render("SELECT * FROM {t}", t=wh.ref(name)))
        for name in ("label_target", "st", "st_train", "st_validation", "st_predict")
    }
    out["st_all_exists"] = wh.table_exists(wh.ref("st_all"))
    return out


def check_pipeline(out: dict[str, Any]) -> None:
    """Assertions that hold on every backend (the split's order differs by hash function)."""
    assert int(out["count_labels"][0]["n"]) == 4
    assert [r["label"] for r in out["distinct_labels"]] == ["a", "b", "c", "d"]
    assert [(r["label"], int(r["label_number"])) for r in out["labels_list"]] == [
        ("a", 1), ("b", 2), ("c", 3), ("d", 4)
    ]  # fmt: skip
    tables = out["tables"]
    st = {r["id"]: r for r in tables["st"]}
    assert len(st) == 21
    assert st["0"]["source"] == "Review: text 0" and int(st["0"]["target"]) == 1
    assert st["19"]["target"] is None and st["20"]["target"] is None
    train, valid = _per_class(tables["st_train"]), _per_class(tables["st_validation"])
    for label, n in PER_CLASS.items():
        number = "abcd".index(label) + 1
        if n < 2:
            assert valid.get(number, 0) == 0 and train[number] == n
            continue
        assert abs(valid[number] - n * FRACTION) <= 1, (label, valid)
        assert valid[number] >= 1 and train[number] >= 1 and valid[number] + train[number] == n
    train_ids = {r["id"] for r in tables["st_train"]}
    assert not train_ids & {r["id"] for r in tables["st_validation"]}
    assert {r["id"] for r in tables["st_predict"]} == {"19", "20"}
    assert int(out["row_count"][0]["n"]) == len(tables["st_train"])
    assert len(out["page"]) == 5
    assert out["st_all_exists"] is False


def _per_class(rows: list[dict[str, Any]]) -> dict[int, int]:
    counts: dict[int, int] = {}
    for r in rows:
        counts[int(r["target"])] = counts.get(int(r["target"]), 0) + 1
    return counts


#: The rendered statements (DuckDB file binnr.duckdb; Snowflake database BINNR, schema PUBLIC).
GOLDEN: dict[str, dict[str, str]] = {
    "all_labelled": {
        "duckdb": 'CREATE TABLE "binnr"."main"."st_all" AS SELECT * FROM '
        '"binnr"."main"."st" WHERE NOT "target" IS NULL',
        "snowflake": 'CREATE TABLE "BINNR"."PUBLIC"."ST_ALL" AS SELECT * FROM '
        '"BINNR"."PUBLIC"."ST" WHERE NOT "target" IS NULL',
    },
    "count_labels": {
        "duckdb": 'SELECT COUNT(DISTINCT "label") AS n FROM '
        '"binnr"."main"."reviews" WHERE NOT "label" IS NULL AND '
        "TRIM(\"label\") <> ''",
        "snowflake": 'SELECT COUNT(DISTINCT "label") AS n FROM '
        '"BINNR"."PUBLIC"."REVIEWS" WHERE NOT "label" IS NULL AND '
        "TRIM(\"label\") <> ''",
    },
    "distinct_labels": {
        "duckdb": 'SELECT DISTINCT "label" AS label FROM '
        '"binnr"."main"."reviews" WHERE NOT "label" IS NULL AND '
        "TRIM(\"label\") <> '' ORDER BY label",
        "snowflake": 'SELECT DISTINCT "label" AS label FROM '
        '"BINNR"."PUBLIC"."REVIEWS" WHERE NOT "label" IS NULL AND '
        "TRIM(\"label\") <> '' ORDER BY label",
    },
    "drop": {
        "duckdb": 'DROP TABLE IF EXISTS "binnr"."main"."st_all"',
        "snowflake": 'DROP TABLE IF EXISTS "BINNR"."PUBLIC"."ST_ALL"',
    },
    "labels": {
        "duckdb": 'CREATE TABLE "binnr"."main"."label_target" AS SELECT label AS "label", '
        'ROW_NUMBER() OVER (ORDER BY label) AS "label_number" FROM (SELECT '
        'DISTINCT "label" AS label FROM "binnr"."main"."reviews" WHERE NOT '
        '"label" IS NULL AND TRIM("label") <> \'\') AS d',
        "snowflake": 'CREATE TABLE "BINNR"."PUBLIC"."LABEL_TARGET" AS SELECT label AS '
        '"label", ROW_NUMBER() OVER (ORDER BY label) AS "label_number" FROM '
        '(SELECT DISTINCT "label" AS label FROM "BINNR"."PUBLIC"."REVIEWS" '
        'WHERE NOT "label" IS NULL AND TRIM("label") <> \'\') AS d',
    },
    "labels_list": {
        "duckdb": 'SELECT "label", "label_number" FROM "binnr"."main"."label_target" '
        'ORDER BY "label_number"',
        "snowflake": 'SELECT "label", "label_number" FROM '
        '"BINNR"."PUBLIC"."LABEL_TARGET" ORDER BY "label_number"',
    },
    "page": {
        "duckdb": 'SELECT * FROM "binnr"."main"."st" LIMIT ? OFFSET ?',
        "snowflake": 'SELECT * FROM "BINNR"."PUBLIC"."ST" LIMIT ? OFFSET ?',
    },
    "row_count": {
        "duckdb": 'SELECT COUNT(*) AS n FROM "binnr"."main"."st_train"',
        "snowflake": 'SELECT COUNT(*) AS n FROM "BINNR"."PUBLIC"."ST_TRAIN"',
    },
    "source_target": {
        "duckdb": 'CREATE TABLE "binnr"."main"."st" AS SELECT s.*, ? || '
        'COALESCE(CAST(s."text" AS TEXT), \'\') AS "source", '
        'l."label_number" AS "target" FROM "binnr"."main"."reviews" AS s '
        'LEFT JOIN "binnr"."main"."label_target" AS l ON s."label" = '
        'l."label"',
        "snowflake": 'CREATE TABLE "BINNR"."PUBLIC"."ST" AS SELECT s.*, CONCAT(?, '
        'COALESCE(CAST(s."text" AS VARCHAR), \'\')) AS "source", '
        'l."label_number" AS "target" FROM "BINNR"."PUBLIC"."REVIEWS" '
        'AS s LEFT JOIN "BINNR"."PUBLIC"."LABEL_TARGET" AS l ON '
        's."label" = l."label"',
    },
    "train": {
        "duckdb": 'CREATE TABLE "binnr"."main"."st_train" AS SELECT "id", "text", "label", '
        '"source", "target" FROM (SELECT "id", "text", "label", "source", '
        '"target", ROW_NUMBER() OVER (PARTITION BY "target" ORDER BY HASH("id", '
        '"text", "label", "source", "target", ?)) AS binnr_rn, COUNT(*) OVER '
        '(PARTITION BY "target") AS binnr_n, ROUND(COUNT(*) OVER (PARTITION BY '
        '"target") * CAST(? AS DOUBLE)) AS binnr_k FROM "binnr"."main"."st" WHERE NOT "target" '
        "IS NULL) AS x WHERE binnr_rn > CASE WHEN binnr_n < 2 THEN 0 WHEN "
        "binnr_k < 1 THEN 1 WHEN binnr_k > binnr_n - 1 THEN binnr_n - 1 ELSE "
        "binnr_k END",
        "snowflake": 'CREATE TABLE "BINNR"."PUBLIC"."ST_TRAIN" AS SELECT "id", "text", '
        '"label", "source", "target" FROM (SELECT "id", "text", "label", '
        '"source", "target", ROW_NUMBER() OVER (PARTITION BY "target" ORDER '
        'BY HASH("id", "text", "label", "source", "target", ?)) AS binnr_rn, '
        'COUNT(*) OVER (PARTITION BY "target") AS binnr_n, ROUND(COUNT(*) '
        'OVER (PARTITION BY "target") * CAST(? AS DOUBLE)) AS binnr_k FROM '
        '"BINNR"."PUBLIC"."ST" WHERE NOT "target" IS NULL) AS x WHERE '
        "binnr_rn > CASE WHEN binnr_n < 2 THEN 0 WHEN binnr_k < 1 THEN 1 WHEN "
        "binnr_k > binnr_n - 1 THEN binnr_n - 1 ELSE binnr_k END",
    },
    "unlabelled": {
        "duckdb": 'CREATE TABLE "binnr"."main"."st_predict" AS SELECT * FROM '
        '"binnr"."main"."st" WHERE "target" IS NULL',
        "snowflake": 'CREATE TABLE "BINNR"."PUBLIC"."ST_PREDICT" AS SELECT * FROM '
        '"BINNR"."PUBLIC"."ST" WHERE "target" IS NULL',
    },
    "validation": {
        "duckdb": 'CREATE TABLE "binnr"."main"."st_validation" AS SELECT "id", '
        '"text", "label", "source", "target" FROM (SELECT "id", "text", '
        '"label", "source", "target", ROW_NUMBER() OVER (PARTITION BY '
        '"target" ORDER BY HASH("id", "text", "label", "source", "target", '
        '?)) AS binnr_rn, COUNT(*) OVER (PARTITION BY "target") AS binnr_n, '
        'ROUND(COUNT(*) OVER (PARTITION BY "target") * CAST(? AS DOUBLE)) AS binnr_k FROM '
        '"binnr"."main"."st" WHERE NOT "target" IS NULL) AS x WHERE '
        "binnr_rn <= CASE WHEN binnr_n < 2 THEN 0 WHEN binnr_k < 1 THEN 1 "
        "WHEN binnr_k > binnr_n - 1 THEN binnr_n - 1 ELSE binnr_k END",
        "snowflake": 'CREATE TABLE "BINNR"."PUBLIC"."ST_VALIDATION" AS SELECT "id", '
        '"text", "label", "source", "target" FROM (SELECT "id", "text", '
        '"label", "source", "target", ROW_NUMBER() OVER (PARTITION BY '
        '"target" ORDER BY HASH("id", "text", "label", "source", '
        '"target", ?)) AS binnr_rn, COUNT(*) OVER (PARTITION BY '
        '"target") AS binnr_n, ROUND(COUNT(*) OVER (PARTITION BY '
        '"target") * CAST(? AS DOUBLE)) AS binnr_k FROM "BINNR"."PUBLIC"."ST" WHERE NOT '
        '"target" IS NULL) AS x WHERE binnr_rn <= CASE WHEN binnr_n < 2 '
        "THEN 0 WHEN binnr_k < 1 THEN 1 WHEN binnr_k > binnr_n - 1 THEN "
        "binnr_n - 1 ELSE binnr_k END",
    },
}
