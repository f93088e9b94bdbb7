"""Databases on DuckDB: reads create nothing, reserved names are refused, attachments bounded."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from binnr.backends.duckdb.catalogs import RESERVED_DATABASES
from binnr.backends.duckdb.warehouse import DuckDBWarehouse
from binnr.errors import Conflict, InvalidInput, NotFound


@pytest.fixture
def wh(tmp_path: Path) -> Iterator[DuckDBWarehouse]:
    warehouse = DuckDBWarehouse(tmp_path / "binnr.duckdb", max_attached=3)
    yield warehouse
    warehouse.close()


def files(wh: DuckDBWarehouse) -> list[str]:
    return sorted(p.name for p in wh.home.glob("*.duckdb"))


@pytest.mark.parametrize("name", sorted(RESERVED_DATABASES))
def test_reserved_names_are_refused_and_break_nothing(wh: DuckDBWarehouse, name: str) -> None:
    with pytest.raises(InvalidInput, match="reserves"):
        wh.list_tables(database=name, schema=None)
    with pytest.raises(InvalidInput, match="reserves"):
        wh.ensure_schema(wh.ref("t", database=name))
    assert files(wh) == ["binnr.duckdb"]
    wh.execute("CREATE TABLE t (a INTEGER)")
    assert [t.name for t in wh.list_tables(database=None, schema=None)] == ["t"]


def test_reads_of_a_missing_database_create_nothing(wh: DuckDBWarehouse) -> None:
    for i in range(10):
        with pytest.raises(NotFound, match=f"probe_{i}"):
            wh.list_tables(database=f"probe_{i}", schema=None)
        ref = wh.ref("t", database=f"probe_{i}")
        assert wh.table_exists(ref) is False
        with pytest.raises(NotFound):
            wh.columns(ref)
    assert files(wh) == ["binnr.duckdb"]
    attached = wh.query("SELECT database_name FROM duckdb_databases() WHERE NOT internal")
    assert attached == [{"database_name": "binnr"}]


def test_a_write_creates_the_database_and_reads_find_it_after_reopening(tmp_path: Path) -> None:
    wh = DuckDBWarehouse(tmp_path / "binnr.duckdb")
    ref = wh.ref("t", database="other")
    wh.ensure_schema(ref)
    wh.execute(wh.render("CREATE TABLE {t} (a INTEGER)", t=ref))
    wh.close()
    again = DuckDBWarehouse(tmp_path / "binnr.duckdb")
    assert [t.name for t in again.list_tables(database="other", schema=None)] == ["t"]
    assert again.table_exists(ref)
    again.close()


def test_attached_databases_are_bounded(wh: DuckDBWarehouse) -> None:
    for i in range(3):
        wh.ensure_schema(wh.ref("t", database=f"db_{i}"))
    with pytest.raises(Conflict, match="3 databases are open") as info:
        wh.ensure_schema(wh.ref("t", database="db_3"))
    assert "BINNR_MAX_ATTACHED_DATABASES" in info.value.hint
    assert "db_3.duckdb" not in files(wh)
    wh.list_tables(database="db_0", schema=None)  # the open ones keep working
