"""Fixtures for the Snowflake backend, run against fakesnow (patch mode and server mode).

What fakesnow lacks and the Cortex stand-ins are described in :mod:`tests.support.fakesnow`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import fakesnow
import pytest

from binnr.backends.snowflake.warehouse import SnowflakeWarehouse
from binnr.jobs.context import JobContext
from binnr.settings import Settings, SnowflakeConfig
from tests.support.fakesnow import FAKESNOW_CONFIG, register_cortex


@pytest.fixture
def sf_config() -> SnowflakeConfig:
    return SnowflakeConfig.model_validate(FAKESNOW_CONFIG)


@pytest.fixture
def fs_patch() -> Iterator[None]:
    with fakesnow.patch():
        yield


@pytest.fixture
def wh(fs_patch: None, sf_config: SnowflakeConfig) -> Iterator[SnowflakeWarehouse]:
    warehouse = SnowflakeWarehouse(sf_config)
    yield warehouse
    warehouse.close()


@pytest.fixture
def cortex(wh: SnowflakeWarehouse) -> SnowflakeWarehouse:
    """``wh`` with the Cortex stand-ins registered (patch mode: the connection's DuckDB)."""
    conn: Any = wh.connection()
    register_cortex(conn.cursor(), conn._duck_conn)
    return wh


@pytest.fixture
def settings(tmp_path: Path, sf_config: SnowflakeConfig) -> Settings:
    return Settings(home=tmp_path, warehouse="snowflake", snowflake_config=sf_config)


@pytest.fixture
def ctx(settings: Settings, wh: SnowflakeWarehouse) -> JobContext:
    """A job context whose warehouse is ``wh``."""
    context = JobContext(job_id="test", settings=settings)
    context.__dict__["warehouse"] = wh
    return context
