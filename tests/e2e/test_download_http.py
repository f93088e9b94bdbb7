"""Downloads of tables with embedding (list) columns arrive whole (issue 11)."""

from __future__ import annotations

import csv
import io
import json

import pyarrow.parquet as pq

from tests.support.server import Server, sql


def test_csv_download_of_an_embeddings_table_is_complete(module_server: Server) -> None:
    sql(
        module_server.client,
        "CREATE TABLE embeddings_t AS SELECT i AS id, 'text ' || i AS source, "
        "[i / 4, 0.5, -1]::FLOAT[] AS embedding FROM range(70000) t(i)",
    )
    response = module_server.client.get(
        "/data/tables/embeddings_t/download", params={"format": "csv"}
    )
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert len(rows) == 70_000  # more than one Arrow batch
    assert json.loads(rows[6]["embedding"]) == [1.5, 0.5, -1.0]
    parquet = module_server.client.get(
        "/data/tables/embeddings_t/download", params={"format": "parquet"}
    )
    table = pq.read_table(io.BytesIO(parquet.content))
    assert table.num_rows == 70_000
    assert table.column("embedding")[6].as_py() == [1.5, 0.5, -1.0]
