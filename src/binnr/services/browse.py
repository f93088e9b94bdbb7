"""Reading tables for people: pages of rows, and the opt-in SQL console."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import sqlglot

from binnr.errors import InvalidInput
from binnr.warehouse.base import Warehouse
from binnr.warehouse.names import TableRef


def jsonable(value: Any) -> Any:
    """A JSON-safe rendering of a warehouse value (big integers stay exact as strings)."""
    if isinstance(value, int) and abs(value) > 2**53:
        return str(value)
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return str(value)
    return value


def page_rows(*, warehouse: Warehouse, ref: TableRef, limit: int, offset: int) -> dict[str, Any]:
    """Rows ``offset .. offset+limit`` of a table, in storage order."""
    columns = [c.name for c in warehouse.columns(ref)]
    rows = warehouse.query(
        warehouse.render("SELECT * FROM {t} LIMIT ? OFFSET ?", t=ref), [limit, offset]
    )
    return {
        "name": ref.name,
        "columns": columns,
        "rows": [{k: jsonable(v) for k, v in r.items()} for r in rows],
        "limit": limit,
        "offset": offset,
        "total": warehouse.row_count(ref),
    }


def run_sql(*, warehouse: Warehouse, sql: str, limit: int) -> dict[str, Any]:
    """Run exactly one statement in the warehouse's own dialect and return up to ``limit`` rows."""
    try:
        statements = [s for s in sqlglot.parse(sql, read=warehouse.dialect) if s is not None]
    except sqlglot.errors.ParseError as exc:
        raise InvalidInput(f"The statement could not be parsed: {str(exc)[:300]}") from exc
    if len(statements) != 1:
        raise InvalidInput(
            f"Send exactly one statement (got {len(statements)}).",
            hint="Split the script and send the statements one by one.",
        )
    if not _returns_rows(statements[0]):
        warehouse.execute(sql)
        return {"columns": [], "rows": [], "truncated": False}
    rows: list[dict[str, Any]] = []
    columns: list[str] = []
    for batch in warehouse.iter_batches(sql, batch_size=limit + 1):
        columns = [c.lower() for c in batch.schema.names]
        rows.extend({k.lower(): v for k, v in r.items()} for r in batch.to_pylist())
        if len(rows) > limit:
            break
    return {
        "columns": columns,
        "rows": [{k: jsonable(v) for k, v in r.items()} for r in rows[:limit]],
        "truncated": len(rows) > limit,
    }


def _returns_rows(tree: sqlglot.exp.Expr) -> bool:
    return isinstance(tree, sqlglot.exp.Query | sqlglot.exp.Describe | sqlglot.exp.Show)


def _select_all(warehouse: Warehouse, ref: TableRef) -> str:
    return warehouse.render("SELECT * FROM {t}", t=ref)


def csv_stream(warehouse: Warehouse, ref: TableRef) -> Iterator[bytes]:
    """The whole table as CSV chunks (one per Arrow batch; the header once).

    Columns the CSV writer cannot write (lists such as embeddings, structs, maps) are sent as
    JSON text. That is decided here, before the response starts: a type found unwritable
    mid-stream would cut the body after the ``200`` was sent.
    """
    schema = warehouse.fetch_arrow(warehouse.render("SELECT * FROM {t} LIMIT 0", t=ref)).schema
    as_json = frozenset(f.name for f in schema if not _csv_writable(f.type))
    return _csv_chunks(warehouse, ref, schema, as_json)


def _csv_writable(typ: pa.DataType) -> bool:
    try:
        pacsv.write_csv(pa.table({"c": pa.array([], typ)}), io.BytesIO())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return False
    return True


def _as_json_text(column: pa.Array | pa.ChunkedArray) -> pa.Array:
    values = column.to_pylist()
    if pa.types.is_map(column.type):  # Arrow gives a map as key/value pairs
        values = [None if v is None else dict(v) for v in values]
    return pa.array([None if v is None else json.dumps(jsonable(v)) for v in values], pa.string())


def _csv_chunks(
    warehouse: Warehouse, ref: TableRef, schema: pa.Schema, as_json: frozenset[str]
) -> Iterator[bytes]:
    first = True
    batches = warehouse.iter_batches(_select_all(warehouse, ref))
    for table in (pa.Table.from_batches([b]) for b in batches):
        yield _csv_bytes(table, as_json, header=first)
        first = False
    if first:  # an empty table still gets its header
        yield _csv_bytes(schema.empty_table(), as_json, header=True)


def _csv_bytes(table: pa.Table, as_json: frozenset[str], *, header: bool) -> bytes:
    for name in as_json:
        index = table.schema.get_field_index(name)
        table = table.set_column(index, name, _as_json_text(table.column(index)))
    buf = io.BytesIO()
    pacsv.write_csv(table, buf, write_options=pacsv.WriteOptions(include_header=header))
    return buf.getvalue()


def parquet_stream(warehouse: Warehouse, ref: TableRef) -> Iterator[bytes]:
    """The whole table as one Parquet file, streamed as row groups are written."""
    buf = io.BytesIO()
    writer: pq.ParquetWriter | None = None
    for batch in warehouse.iter_batches(_select_all(warehouse, ref)):
        if writer is None:
            writer = pq.ParquetWriter(buf, batch.schema)
        writer.write_batch(batch)
        yield _drain(buf)
    if writer is None:
        writer = pq.ParquetWriter(buf, warehouse.fetch_arrow(_select_all(warehouse, ref)).schema)
    writer.close()
    yield _drain(buf)


def _drain(buf: io.BytesIO) -> bytes:
    data = buf.getvalue()
    buf.seek(0)
    buf.truncate()
    return data
