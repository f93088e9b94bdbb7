"""Loading a file into DuckDB with its own readers; unparsable CSV rows go to a rejects table.

Every record of the file is either loaded or rejected: a quote that is never closed would make
DuckDB read the rest of the file as one rejected value, so that case fails the load instead,
naming the line. DuckDB keeps at most :data:`RAW_LIMIT` characters of a rejected line; a
reject whose ``raw`` was cut says so in its ``reason``.
"""

from __future__ import annotations

from typing import Any

import duckdb

from binnr.errors import FileProblem
from binnr.prep.files import is_gzip
from binnr.warehouse.base import LoadResult, LoadSpec, sample_error
from binnr.warehouse.sql import qualified, quote_ident

_CSV_OPTIONS = (
    "auto_detect=false, header=true, delim=?, quote='\"', escape='\"', strict_mode=true, "
    "store_rejects=true, rejects_table=?, rejects_scan=?, max_line_size=?"
)
#: DuckDB stores at most this many characters of a rejected line.
RAW_LIMIT = 10_000
_UNTERMINATED = "unterminated quote"


def load_file(cur: duckdb.DuckDBPyConnection, spec: LoadSpec, *, max_line_bytes: int) -> LoadResult:
    """Create ``spec.target`` from the file (text columns unless ``infer_types``)."""
    if spec.format == "csv":
        return _load_csv(cur, spec, max_line_bytes=max_line_bytes)
    gz = ", compression='gzip'" if is_gzip(spec.path) else ""
    reader = (
        "read_parquet(?)"
        if spec.format == "parquet"
        else f"read_json(?, format='newline_delimited'{gz})"
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
    head = [str(spec.path), spec.delimiter, rejects_table, rejects_scan, max_line_bytes]
    if spec.infer_types:
        options = _CSV_OPTIONS.replace("auto_detect=false", "auto_detect=true") + ", names=?"
        params: list[Any] = [*head, spec.columns]
    else:
        options = _CSV_OPTIONS + ", columns=?"
        params = [*head, {name: "VARCHAR" for name in spec.columns}]
    try:
        cur.execute(
            f"CREATE OR REPLACE TABLE {qualified(spec.target)} AS SELECT * FROM "
            f"read_csv(?, {options}{options_extra})",
            params,
        )
    except duckdb.InvalidInputException as exc:
        if "invalid state" not in str(exc):
            raise
        raise FileProblem(
            "The CSV reader lost track of the file's structure (mixed line endings, stray "
            "carriage returns or binary content past the start of the file).",
            hint="Save the file as UTF-8 CSV with one kind of line ending (Excel: 'CSV "
            "UTF-8'), or upload it as Parquet or JSONL.",
        ) from exc
    _refuse_unterminated_quote(cur, rejects_table)
    _create_rejects(cur, spec)
    cur.execute(
        f"INSERT INTO {qualified(spec.rejects)} SELECT line, min(csv_line), "
        "string_agg(DISTINCT error_type || ': ' || error_message, '; ') || "
        f"CASE WHEN max(length(csv_line)) >= {RAW_LIMIT} THEN "
        f"' (raw is cut: it holds the first {RAW_LIMIT:,} characters of the line)' ELSE '' END "
        f"FROM {rejects_table} GROUP BY line ORDER BY line"
    )
    return _counts(cur, spec)


def _refuse_unterminated_quote(cur: duckdb.DuckDBPyConnection, rejects_table: str) -> None:
    row = cur.execute(
        f"SELECT min(line) FROM {rejects_table} WHERE contains(lower(error_message), ?)",
        [_UNTERMINATED],
    ).fetchone()
    if row is None or row[0] is None:
        return
    line = int(row[0])
    raise FileProblem(
        f"Line {line} opens a quoted value that is never closed, so the reader would take the "
        "rest of the file as that one value; nothing was loaded.",
        hint=f"Close the quote on line {line} (a quote inside a quoted value is written as two "
        'quotes: "") or remove it, then upload again.',
    )


def _counts(cur: duckdb.DuckDBPyConnection, spec: LoadSpec) -> LoadResult:
    loaded = cur.execute(f"SELECT COUNT(*) FROM {qualified(spec.target)}").fetchone()
    rejected = cur.execute(f"SELECT COUNT(*) FROM {qualified(spec.rejects)}").fetchone()
    samples = cur.execute(
        f"SELECT line, reason, raw FROM {qualified(spec.rejects)} ORDER BY line LIMIT 5"
    ).fetchall()
    return LoadResult(
        rows_loaded=int(loaded[0]) if loaded else 0,
        rows_rejected=int(rejected[0]) if rejected else 0,
        sample_errors=[sample_error(int(r[0]), str(r[1]), str(r[2])) for r in samples],
    )


def _create_rejects(cur: duckdb.DuckDBPyConnection, spec: LoadSpec) -> None:
    cur.execute(
        f"CREATE OR REPLACE TABLE {qualified(spec.rejects)} "
        "(line BIGINT, raw VARCHAR, reason VARCHAR)"
    )
