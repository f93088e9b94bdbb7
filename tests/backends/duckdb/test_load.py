"""Loading CSV into DuckDB: every record loaded or rejected, cut raws flagged, quotes fail."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from binnr.backends.duckdb.warehouse import DuckDBWarehouse
from binnr.errors import FileProblem
from binnr.warehouse.base import LoadSpec


@pytest.fixture
def wh(tmp_path: Path) -> Iterator[DuckDBWarehouse]:
    warehouse = DuckDBWarehouse(tmp_path / "binnr.duckdb")
    yield warehouse
    warehouse.close()


def load(wh: DuckDBWarehouse, path: Path, delimiter: str = ",") -> tuple[int, int]:
    spec = LoadSpec(
        path=path,
        format="csv",
        columns=["a", "b"],
        source_columns=["a", "b"],
        infer_types=False,
        target=wh.ref("t"),
        rejects=wh.ref("t__rejects"),
        delimiter=delimiter,
    )
    result = wh.load_file(spec)
    return result.rows_loaded, result.rows_rejected


def test_unterminated_quote_fails_naming_the_line(wh: DuckDBWarehouse, tmp_path: Path) -> None:
    lines = ["a,b", *(f"{i},text {i}" for i in range(1, 10_001))]
    lines[6] = '6,"unterminated start'
    path = tmp_path / "u.csv"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(FileProblem, match="Line 7 opens a quoted value") as info:
        load(wh, path)
    assert "quote on line 7" in info.value.hint


def test_cut_raw_is_said_in_the_reason(wh: DuckDBWarehouse, tmp_path: Path) -> None:
    path = tmp_path / "long.csv"
    path.write_text("a,b\n1,2\n3," + "x" * 30_000 + ",extra\n4,5,6\n")
    assert load(wh, path) == (1, 2)
    rows = wh.query("SELECT line, length(raw) AS n, reason FROM t__rejects ORDER BY line")
    assert rows[0]["n"] == 10_000 and "raw is cut" in rows[0]["reason"]
    assert "cut" not in rows[1]["reason"]


def test_the_sniffed_delimiter_is_used(wh: DuckDBWarehouse, tmp_path: Path) -> None:
    path = tmp_path / "semi.csv"
    path.write_text("a;b\n1;2,5\n3;4\n")
    assert load(wh, path, ";") == (2, 0)
    assert wh.query("SELECT b FROM t ORDER BY a") == [{"b": "2,5"}, {"b": "4"}]
