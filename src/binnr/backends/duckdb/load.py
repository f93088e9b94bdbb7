"""Loading a file into DuckDB with its own readers; unparsable CSV rows go to a rejects table."""

from __future__ import annotations

from typing import Any

import duckdb

from binnr.prep.files import is_gzip
from binnr.warehouse.base import LoadResult, LoadSpec
from binnr.warehouse.sql import qualified, quote_ident

_CSV_OPTIONS = (
    "auto_detect=false, header=true, delim=',', quote='\"', escape='\"', strict_mode=true, "
    "store_rejects=true, rejects_table=?, rejects_scan=?, max_line_size=?"
)


def load_file(cur: duckdb.DuckDBPyConnection, spec: LoadSpec, *, max_line_bytes: int) -> LoadResult:
    """Create ``spec.target`` from the file (text columns unless ``infer_types``)."""
    if spec.format == "csv":
        return _load_csv(cur, spec, max_line_bytes=max_line_bytes)
    reader = (
        "read_parquet(?)"
        if spec.format == "parquet"
        else "read_json(?, format='newline_delimited')"
    )
    cols = ", ".join(
        _cast(quote_ident(src), spec.infer_types) + f" AS {quote_ident(dst)}"
        for src, dst in zip(spec.source_columns, spec.columns, strict=True)
    )
    cur.execute(
        f"CREATE OR REPLACE TABLE {qualified(spec.target)} AS SELECT {cols} FROM {reader}",
        [str(spec.path)],
    )
    _create_rejects(cur, spec)
    rows = cur.execute(f"SELECT COUNT(*) FROM {qualified(spec.target)}").fetchone()
    return LoadResult(rows_loaded=int(rows[0]) if rows else 0, rows_rejected=0)


def _cast(expr: str, infer_types: bool) -> str:
    return expr if infer_types else f"CAST({expr} AS VARCHAR)"


def _load_csv(cur: duckdb.DuckDBPyConnection, spec: LoadSpec, *, max_line_bytes: int) -> LoadResult:
    rejects_table, rejects_scan = "binnr_reject_errors", "binnr_reject_scans"
    cur.execute(f"DROP TABLE IF EXISTS {rejects_table}")
    cur.execute(f"DROP TABLE IF EXISTS {rejects_scan}")
    # DuckDB picks compression from the extension; the bytes decide here.
    options_extra = ", compression='gzip'" if is_gzip(spec.path) else ""
    if spec.infer_types:
        options = _CSV_OPTIONS.replace("auto_detect=false", "auto_detect=true") + ", names=?"
        params: list[Any] = [
            str(spec.path),
            rejects_table,
            rejects_scan,
            max_line_bytes,
            spec.columns,
        ]
    else:
        options = _CSV_OPTIONS + ", columns=?"
        columns = {name: "VARCHAR" for name in spec.columns}
        params = [str(spec.path), rejects_table, rejects_scan, max_line_bytes, columns]
    cur.execute(
        f"CREATE OR REPLACE TABLE {qualified(spec.target)} AS SELECT * FROM "
        f"read_csv(?, {options}{options_extra})",
        params,
    )
    _create_rejects(cur, spec)
    cur.execute(
        f"INSERT INTO {qualified(spec.rejects)} SELECT line, min(csv_line), "
        f"string_agg(DISTINCT error_type || ': ' || error_message, '; ') "
        f"FROM {rejects_table} GROUP BY line ORDER BY line"
    )
    loaded = cur.execute(f"SELECT COUNT(*) FROM {qualified(spec.target)}").fetchone()
    rejected = cur.execute(f"SELECT COUNT(*) FROM {qualified(spec.rejects)}").fetchone()
    samples = cur.execute(
        f"SELECT line, reason, raw FROM {qualified(spec.rejects)} ORDER BY line LIMIT 5"
    ).fetchall()
    return LoadResult(
        rows_loaded=int(loaded[0]) if loaded else 0,
        rows_rejected=int(rejected[0]) if rejected else 0,
        sample_errors=[
            {"line": int(r[0]), "reason": r[1], "raw": str(r[2])[:200]} for r in samples
        ],
    )


def _create_rejects(cur: duckdb.DuckDBPyConnection, spec: LoadSpec) -> None:
    cur.execute(
        f"CREATE OR REPLACE TABLE {qualified(spec.rejects)} "
        "(line BIGINT, raw VARCHAR, reason VARCHAR)"
    )
