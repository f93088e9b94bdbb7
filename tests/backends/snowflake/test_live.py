"""A small live suite against a real Snowflake account.

Runs only when ``BINNR_LIVE_SNOWFLAKE_CONFIG`` holds a ``SNOWFLAKE_CONFIG``-style JSON object
for a scratch schema; everywhere else (CI included: there is no account here) it is skipped with
that reason. It exercises the paths fakesnow cannot: stage + PUT + COPY with VALIDATE, SWAP WITH
and write_pandas.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from binnr.backends.snowflake.warehouse import SnowflakeWarehouse
from binnr.jobs.context import JobContext
from binnr.params import ClassificationTablesParams, UploadParams
from binnr.services.tables import classification_tables_job
from binnr.services.upload import upload_job
from binnr.settings import Settings, SnowflakeConfig

LIVE = os.environ.get("BINNR_LIVE_SNOWFLAKE_CONFIG")
pytestmark = pytest.mark.skipif(
    not LIVE, reason="no real Snowflake account: set BINNR_LIVE_SNOWFLAKE_CONFIG to run"
)

CSV = "id,Text,Label\n" + "".join(f"{i},text {i},{'ab'[i % 2]}\n" for i in range(40)) + "x,y\n"


def test_upload_and_tables_on_real_snowflake(tmp_path: Path) -> None:
    config = SnowflakeConfig.model_validate(json.loads(LIVE or "{}"))
    wh = SnowflakeWarehouse(config)
    try:
        ctx = JobContext(job_id="live", settings=Settings(home=tmp_path, snowflake_config=config))
        ctx.__dict__["warehouse"] = wh
        (tmp_path / "r.csv").write_text(CSV)
        out = upload_job(
            ctx,
            UploadParams.model_validate(
                {"path": str(tmp_path / "r.csv"), "table_name": "binnr_live"}
            ),
        )
        assert (out["rows_loaded"], out["rows_rejected"]) == (40, 1)
        (tmp_path / "r.csv").write_text(CSV)  # the job removed its input file
        again = upload_job(
            ctx,
            UploadParams.model_validate(
                {"path": str(tmp_path / "r.csv"), "table_name": "binnr_live"}
            ),
        )
        assert again["rows_loaded"] == 40  # replaced through SWAP WITH
        spec = {
            "table_name": "binnr_live",
            "source_columns": ["text"],
            "target_column": "label",
            "create_validation": True,
        }
        tables = classification_tables_job(ctx, ClassificationTablesParams.model_validate(spec))[
            "tables"
        ]
        rows = {t["role"]: t["rows"] for t in tables}
        assert rows["train"] + rows["validation"] == 40
    finally:
        wh.close()
