"""The golden statements rendered for DuckDB and executed on a real DuckDB file."""

from __future__ import annotations

from pathlib import Path

import pytest

from binnr.backends.duckdb.warehouse import DuckDBWarehouse
from tests.support import statements as S


@pytest.fixture
def duck(tmp_path: Path) -> DuckDBWarehouse:
    return DuckDBWarehouse(tmp_path / "binnr.duckdb")


@pytest.mark.parametrize("st", S.STATEMENTS, ids=lambda st: st.key)
def test_render_duckdb(duck: DuckDBWarehouse, st: S.Statement) -> None:
    assert S.render(duck, st) == S.GOLDEN[st.key]["duckdb"]


def test_every_statement_has_a_golden_rendering() -> None:
    assert {st.key for st in S.STATEMENTS} == set(S.GOLDEN)


def test_execute_duckdb(duck: DuckDBWarehouse) -> None:
    S.check_pipeline(S.run_pipeline(duck))
