"""CSV downloads of tables with nested columns: decided before streaming, JSON text in cells."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from binnr.backends.duckdb.warehouse import DuckDBWarehouse
from binnr.services.browse import csv_stream, parquet_stream


@pytest.fixture
def wh(tmp_path: Path) -> DuckDBWarehouse:
    return DuckDBWarehouse(tmp_path / "binnr.duckdb")


def test_list_struct_and_map_columns_become_json_text(wh: DuckDBWarehouse) -> None:
    wh.execute(
        "CREATE TABLE embeddings_t AS SELECT i AS id, [i * 0.5, 0.25]::FLOAT[] AS embedding, "
        "{'k': i} AS info, MAP {'a': i} AS m, NULL::INTEGER[] AS empty FROM range(3) t(i)"
    )
    body = b"".join(csv_stream(wh, wh.ref("embeddings_t"))).decode()
    rows = list(csv.DictReader(io.StringIO(body)))
    assert len(rows) == 3
    assert json.loads(rows[1]["embedding"]) == [0.5, 0.25]
    assert json.loads(rows[2]["info"]) == {"k": 2}
    assert json.loads(rows[2]["m"]) == {"a": 2}
    assert rows[0]["empty"] == ""


def test_empty_nested_table_still_has_its_header(wh: DuckDBWarehouse) -> None:
    wh.execute("CREATE TABLE e (id INTEGER, v FLOAT[])")
    assert b"".join(csv_stream(wh, wh.ref("e"))).decode().splitlines() == ['"id","v"']


def test_parquet_keeps_lists(wh: DuckDBWarehouse) -> None:
    import pyarrow.parquet as pq

    wh.execute("CREATE TABLE p AS SELECT [1.5, 2.5]::FLOAT[] AS v")
    table = pq.read_table(io.BytesIO(b"".join(parquet_stream(wh, wh.ref("p")))))
    assert table.column("v").to_pylist() == [[1.5, 2.5]]
