"""The Snowflake backend on fakesnow's patch mode: upload, classification tables, catalog."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from binnr.backends.snowflake.warehouse import SnowflakeWarehouse
from binnr.errors import InvalidInput, NotFound
from binnr.jobs.context import JobContext
from binnr.params import ClassificationTablesParams, UploadParams
from binnr.services.tables import classification_tables_job
from binnr.services.upload import upload_job
from binnr.settings import SnowflakeConfig
from binnr.warehouse.base import LoadSpec

ROWS = [f'{i},"text {i}, quoted",{"pos" if i % 2 else "neg"}' for i in range(20)]


def write_csv(path: Path, rows: list[str]) -> Path:
    path.write_text("\n".join(["id,Text,Label", *rows]) + "\n")
    return path


def upload(ctx: JobContext, tmp_path: Path, rows: list[str], table: str = "reviews") -> Any:
    path = write_csv(tmp_path / f"{table}.csv", rows)
    return upload_job(ctx, UploadParams(path=str(path), table_name=table))


def test_upload_keeps_rejected_rows(ctx: JobContext, wh: SnowflakeWarehouse, tmp_path: Path):
    out = upload(ctx, tmp_path, [*ROWS[:10], "99,ragged", "100,a,b,c", *ROWS[10:]])
    assert (out["rows_loaded"], out["rows_rejected"]) == (20, 2)
    assert out["table"] == "REVIEWS" and out["rejects_table"] == "REVIEWS__REJECTS"
    rejects = wh.query('SELECT * FROM "BINNR"."PUBLIC"."REVIEWS__REJECTS" ORDER BY "line"')
    assert [(r["line"], r["raw"]) for r in rejects] == [(12, "99,ragged"), (13, "100,a,b,c")]
    assert "expected 3 fields" in rejects[0]["reason"]
    rows = wh.query('SELECT "text" FROM "BINNR"."PUBLIC"."REVIEWS" WHERE "id" = ?', ["3"])
    assert rows == [{"text": "text 3, quoted"}]


def test_upload_replaces_table(ctx: JobContext, wh: SnowflakeWarehouse, tmp_path: Path) -> None:
    upload(ctx, tmp_path, ROWS)
    upload(ctx, tmp_path, ROWS[:5])
    assert wh.row_count(wh.ref("reviews")) == 5
    names = [t.name for t in wh.list_tables(database=None, schema=None)]
    assert names == ["REVIEWS", "REVIEWS__REJECTS"]  # no staging or _old tables left


def test_classification_tables(ctx: JobContext, wh: SnowflakeWarehouse, tmp_path: Path):
    upload(ctx, tmp_path, [*ROWS, "50,unlabelled,"])
    spec = {"table_name": "reviews", "source_columns": ["text"], "target_column": "label",
            "create_validation": True, "validation_fraction": 0.2}  # fmt: skip
    out = classification_tables_job(ctx, ClassificationTablesParams.model_validate(spec))
    rows = {t["role"]: t["rows"] for t in out["tables"]}
    assert rows == {"labels": 2, "source_target": 21, "train": 16, "validation": 4, "predict": 1}
    assert out["labels"] == [{"label": "neg", "number": 1}, {"label": "pos", "number": 2}]
    tables = {t.name: t for t in wh.list_tables(database=None, schema=None)}
    assert tables["REVIEWS_SOURCE_TARGET"].columns == ["id", "text", "label", "source", "target"]
    assert tables["REVIEWS_SOURCE_TARGET_VALIDATION"].rows == 4
    batches = list(wh.iter_batches(wh.render("SELECT * FROM {t}", t=wh.ref("label_target"))))
    assert pa.Table.from_batches(batches).column("label").to_pylist() == ["neg", "pos"]


def test_columns_and_missing_tables(wh: SnowflakeWarehouse) -> None:
    table = pa.table({"id": [1, None], "name": ["a", "b"], "score": [0.5, None]})
    assert wh.write_batches(wh.ref("t1"), table.to_batches(), schema=table.schema) == 2
    assert [(c.name, c.type) for c in wh.columns(wh.ref("T1"))][:1] == [("id", "NUMBER")]
    assert wh.table_exists(wh.ref("t1")) and not wh.table_exists(wh.ref("t2"))
    assert wh.query(wh.render("SELECT * FROM {t} ORDER BY 1", t=wh.ref("t1")))[1]["id"] is None
    with pytest.raises(NotFound):
        wh.columns(wh.ref("t2"))
    with pytest.raises(NotFound):
        wh.row_count(wh.ref("t2"))
    assert wh.fetch_arrow(wh.render("SELECT * FROM {t} WHERE 1 = 0", t=wh.ref("t1"))).num_rows == 0


def test_parquet_upload(ctx: JobContext, wh: SnowflakeWarehouse, tmp_path: Path) -> None:
    path = tmp_path / "p.parquet"
    pq.write_table(pa.table({"Id": [1, 2], "Text": ["x", "y"]}), path)
    out = upload_job(
        ctx,
        UploadParams.model_validate({"path": str(path), "table_name": "pq", "infer_types": False}),
    )
    assert out["rows_loaded"] == 2
    assert wh.query(wh.render("SELECT * FROM {t} ORDER BY 1", t=wh.ref("pq")))[0] == {
        "id": "1", "text": "x"
    }  # fmt: skip


@pytest.mark.parametrize(
    "name", ['x"; DROP TABLE y; --', "a.b", "1abc", "", "a b", "x" * 300, "t;"]
)
def test_injection_is_rejected(wh: SnowflakeWarehouse, name: str) -> None:
    with pytest.raises(InvalidInput):
        wh.ref(name)
    with pytest.raises(InvalidInput):
        wh.use_context(warehouse=name or "x;")


def test_use_context_and_settings(wh: SnowflakeWarehouse, sf_config: SnowflakeConfig) -> None:
    wh.use_context(warehouse="other_wh", role="analyst")  # USE WAREHOUSE / USE ROLE accepted
    assert (wh.default_database, wh.default_schema) == ("BINNR", "PUBLIC")
    assert (wh.load_method, wh.swap) == ("local", False)
    assert SnowflakeWarehouse.identifier_case == "upper"
    other = SnowflakeWarehouse(sf_config, database="db2", schema="s2")
    assert (other.default_database, other.default_schema) == ("DB2", "S2")
    other.close()


class Recording(SnowflakeWarehouse):
    """Records statements instead of running them (the Snowflake-only SQL paths)."""

    def __init__(self) -> None:
        self.default_database, self.default_schema = "BINNR", "PUBLIC"
        self.load_method, self.swap, self.sql = "stage", True, []

    def execute(self, statement: str, params: Any = ()) -> None:
        self.sql.append(statement)

    def execute_returning_id(self, statement: str, params: Any = ()) -> str:
        self.sql.append(statement)
        return "01b2c3d4-0000-1111-0000-000000000001"

    def table_exists(self, ref: Any) -> bool:
        return True

    def query(self, statement: str, params: Any = ()) -> list[dict[str, Any]]:
        self.sql.append(statement)
        return [{"n": 1}] if "COUNT" in statement else [{"line": 3, "reason": "r", "raw": "x"}]


def test_snowflake_publish_swaps() -> None:
    rec = Recording()
    rec.publish([(rec.ref("__stg_1_t"), rec.ref("t"))])
    assert rec.sql == [
        'ALTER TABLE "BINNR"."PUBLIC"."__STG_1_T" SWAP WITH "BINNR"."PUBLIC"."T"',
        'DROP TABLE IF EXISTS "BINNR"."PUBLIC"."__STG_1_T"',
    ]


def test_snowflake_stage_load_statements(tmp_path: Path) -> None:
    rec = Recording()
    spec = LoadSpec(path=write_csv(tmp_path / "f.csv", ROWS), format="csv", columns=["id", "text"],
                    source_columns=["id", "Text"], infer_types=False, target=rec.ref("t"),
                    rejects=rec.ref("t__rejects"))  # fmt: skip
    result = rec.load_file(spec)
    assert (result.rows_loaded, result.rows_rejected) == (1, 1)
    kinds = [" ".join(s.split(" ")[:2])[:12] for s in rec.sql]
    assert kinds[:6] == ["CREATE TEMPO", "PUT 'file://", "CREATE OR", "COPY INTO",
                         "CREATE OR", "INSERT INTO"]  # fmt: skip
    assert "ON_ERROR = CONTINUE" in rec.sql[3] and '("id" VARCHAR, "text" VARCHAR)' in rec.sql[2]
    assert 'TABLE(VALIDATE("BINNR"."PUBLIC"."T", JOB_ID => \'01b2c3d4-' in rec.sql[5]
    assert any(s.startswith("DROP STAGE IF EXISTS") for s in rec.sql)
