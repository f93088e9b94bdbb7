"""/data/tables: list, page through and download tables; /data/sql for trusted users."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Literal

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse

from binnr.api.deps import LocationDep, SettingsDep, WarehouseDep
from binnr.api.schemas import SqlRequest, SqlResult, TableRows, TableSummary
from binnr.errors import Forbidden, InvalidInput, WarehouseError
from binnr.services.browse import page_rows, run_sql
from binnr.warehouse.base import Warehouse
from binnr.warehouse.names import TableRef

router = APIRouter(prefix="/data", tags=["tables"])


@router.get("/tables", response_model=list[TableSummary], operation_id="list_tables")
def list_tables(
    location: LocationDep,
    warehouse: WarehouseDep,
) -> list[TableSummary]:
    """Every table of a schema with its row count and columns."""
    infos = warehouse.list_tables(database=location.database, schema=location.schema)
    return [TableSummary(name=i.name, rows=i.rows, columns=i.columns) for i in infos]


@router.get("/tables/{name}", response_model=TableRows, operation_id="show_table")
def show_table(
    location: LocationDep,
    name: str,
    warehouse: WarehouseDep,
    limit: int = Query(default=100, ge=1, le=10_000),
    offset: int = Query(default=0, ge=0),
) -> TableRows:
    """A page of rows as JSON objects."""
    ref = warehouse.ref(name, database=location.database, schema=location.schema)
    return TableRows.model_validate(
        page_rows(warehouse=warehouse, ref=ref, limit=limit, offset=offset)
    )


@router.get("/tables/{name}/download", operation_id="download_table")
def download_table(
    location: LocationDep,
    name: str,
    warehouse: WarehouseDep,
    format: Literal["csv", "parquet"] = "csv",
) -> StreamingResponse:
    """The whole table, streamed as CSV or Parquet."""
    ref = warehouse.ref(name, database=location.database, schema=location.schema)
    warehouse.columns(ref)  # 404 before the response starts
    stream = _csv_stream(warehouse, ref) if format == "csv" else _parquet_stream(warehouse, ref)
    media = "text/csv" if format == "csv" else "application/vnd.apache.parquet"
    headers = {"Content-Disposition": f'attachment; filename="{ref.name}.{format}"'}
    return StreamingResponse(stream, media_type=media, headers=headers)


def _select_all(warehouse: Warehouse, ref: TableRef) -> str:
    return warehouse.render("SELECT * FROM {t}", t=ref)


def _csv_stream(warehouse: Warehouse, ref: TableRef) -> Iterator[bytes]:
    first = True
    for batch in warehouse.iter_batches(_select_all(warehouse, ref)):
        buf = io.BytesIO()
        options = pacsv.WriteOptions(include_header=first)
        pacsv.write_csv(pa.Table.from_batches([batch]), buf, write_options=options)
        first = False
        yield buf.getvalue()
    if first:  # an empty table still gets its header
        empty = warehouse.fetch_arrow(_select_all(warehouse, ref))
        buf = io.BytesIO()
        pacsv.write_csv(empty, buf)
        yield buf.getvalue()


def _parquet_stream(warehouse: Warehouse, ref: TableRef) -> Iterator[bytes]:
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


@router.post("/sql", response_model=SqlResult, operation_id="run_sql")
def sql(body: SqlRequest, warehouse: WarehouseDep, settings: SettingsDep) -> SqlResult:
    """Run one statement on the warehouse (off unless ``BINNR_ENABLE_SQL=true``)."""
    if not settings.enable_sql:
        raise Forbidden(
            "The SQL console is off.",
            hint="Start binnr with BINNR_ENABLE_SQL=true to run SQL (for trusted users only).",
        )
    try:
        return SqlResult.model_validate(
            run_sql(warehouse=warehouse, sql=body.sql, limit=body.limit)
        )
    except WarehouseError as exc:
        raise InvalidInput(exc.message, hint="Check the statement's syntax and names.") from exc
