"""The Snowflake backend through the real connector against ``fakesnow.server()``.

Here the connector's own network and Arrow result paths run (``fetch_arrow_batches``), first
in-process and then inside a real ``binnr serve`` subprocess configured by ``SNOWFLAKE_CONFIG``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from binnr.backends.snowflake.warehouse import SnowflakeWarehouse
from binnr.jobs.context import JobContext
from binnr.params import ClassificationTablesParams, UploadParams
from binnr.services.tables import classification_tables_job
from binnr.services.upload import upload_job
from binnr.settings import Settings, SnowflakeConfig
from tests.support.fakesnow import FAKESNOW_CONFIG, start_fakesnow_server
from tests.support.server import start_server, upload, wait_job

SPEC = {
    "table_name": "reviews",
    "source_columns": ["text"],
    "target_column": "label",
    "create_validation": True,
    "validation_fraction": 0.25,
}
CSV = "id,Text,Label\n" + "".join(f"{i},text {i},{'ab'[i % 2]}\n" for i in range(16)) + "x,y\n"


@pytest.fixture(scope="module")
def server_config() -> Iterator[dict[str, Any]]:
    server = start_fakesnow_server()
    kwargs = server.__enter__()
    kwargs["network_timeout"] = 30
    # fakesnow's server cannot PUT to write_pandas' temporary stage: array-bound INSERTs instead
    yield {**FAKESNOW_CONFIG, **kwargs, "binnr_write": "bind"}
    server.__exit__(None, None, None)


def test_jobs_and_arrow_batches(server_config: dict[str, Any], tmp_path: Path) -> None:
    config = SnowflakeConfig.model_validate({**server_config, "schema": "INPROC"})
    wh = SnowflakeWarehouse(config)
    try:
        ctx = JobContext(job_id="t", settings=Settings(home=tmp_path, snowflake_config=config))
        ctx.__dict__["warehouse"] = wh
        (tmp_path / "r.csv").write_text(CSV)
        out = upload_job(
            ctx,
            UploadParams.model_validate({"path": str(tmp_path / "r.csv"), "table_name": "reviews"}),
        )
        assert (out["rows_loaded"], out["rows_rejected"]) == (16, 1)
        tables = classification_tables_job(ctx, ClassificationTablesParams.model_validate(SPEC))[
            "tables"
        ]
        rows = {t["role"]: t["rows"] for t in tables}
        assert (rows["train"], rows["validation"]) == (12, 4)
        sql = wh.render('SELECT * FROM {t} ORDER BY "id"', t=wh.ref("reviews_source_target"))
        batches = list(wh.iter_batches(sql, batch_size=5))
        assert [b.num_rows for b in batches] == [5, 5, 5, 1]
        assert pa.Table.from_batches(batches).column("target").to_pylist()[:2] == [1, 2]
        counts = {t.name: t.rows for t in wh.list_tables(database=None, schema="inproc")}
        assert counts["REVIEWS_SOURCE_TARGET_TRAIN"] == 12 and counts["REVIEWS"] == 16
    finally:
        wh.close()


def test_http_server(server_config: dict[str, Any], tmp_path: Path) -> None:
    env = {"SNOWFLAKE_CONFIG": json.dumps({**server_config, "schema": "HTTP"})}
    with start_server(tmp_path / "home", env) as srv:
        job = upload(srv.client, CSV.encode(), "reviews", filename="reviews.csv")
        assert job["status"] == "succeeded", job
        response = srv.client.post("/data/create/tables/classification", json=SPEC)
        assert response.status_code == 202, response.text
        job = wait_job(srv.client, response.json()["task_id"])
        assert job["status"] == "succeeded", (job, srv.log()[-2000:])
        listed = srv.client.get("/data/tables")
        assert listed.status_code == 200, listed.text
        names = json.dumps(listed.json())
        tables = ("REVIEWS", "REVIEWS__REJECTS", "REVIEWS_SOURCE_TARGET_VALIDATION")
        for name in tables:
            assert f'"{name}"' in names
