"""/data/tables: list, page through and download tables; /data/sql for trusted users."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse

from binnr.api.deps import LocationDep, SettingsDep, WarehouseDep
from binnr.api.errors import errors
from binnr.api.schemas import SqlRequest, SqlResult, TableRows, TableSummary
from binnr.api.types import TableNamePath
from binnr.errors import Forbidden, InvalidInput, WarehouseError
from binnr.services.browse import csv_stream, page_rows, parquet_stream, run_sql

router = APIRouter(prefix="/data", tags=["tables"])

#: The download's bodies: ``format=csv`` or ``format=parquet``, as an attachment.
_DOWNLOAD: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The whole table as a file (``Content-Disposition: attachment``)",
        "content": {
            "text/csv": {"schema": {"type": "string"}},
            "application/vnd.apache.parquet": {"schema": {"type": "string", "format": "binary"}},
        },
    }
}


@router.get(
    "/tables",
    response_model=list[TableSummary],
    operation_id="list_tables",
    responses=errors(404, 422, 502),
)
def list_tables(
    location: LocationDep,
    warehouse: WarehouseDep,
) -> list[TableSummary]:
    """Every table of a schema with its row count and columns."""
    infos = warehouse.list_tables(database=location.database, schema=location.schema)
    return [TableSummary(name=i.name, rows=i.rows, columns=i.columns) for i in infos]


@router.get(
    "/tables/{name}",
    response_model=TableRows,
    operation_id="show_table",
    responses=errors(404, 422, 502),
)
def show_table(
    location: LocationDep,
    name: TableNamePath,
    warehouse: WarehouseDep,
    limit: int = Query(default=100, ge=1, le=10_000),
    offset: int = Query(default=0, ge=0, le=10**12),
) -> TableRows:
    """A page of rows as JSON objects."""
    ref = warehouse.ref(name, database=location.database, schema=location.schema)
    return TableRows.model_validate(
        page_rows(warehouse=warehouse, ref=ref, limit=limit, offset=offset)
    )


@router.get(
    "/tables/{name}/download",
    operation_id="download_table",
    response_class=StreamingResponse,
    responses={**_DOWNLOAD, **errors(404, 422, 502)},
)
def download_table(
    location: LocationDep,
    name: TableNamePath,
    warehouse: WarehouseDep,
    format: Literal["csv", "parquet"] = "csv",
) -> StreamingResponse:
    """The whole table, streamed as CSV or Parquet."""
    ref = warehouse.ref(name, database=location.database, schema=location.schema)
    warehouse.columns(ref)  # 404 before the response starts
    stream = csv_stream(warehouse, ref) if format == "csv" else parquet_stream(warehouse, ref)
    media = "text/csv" if format == "csv" else "application/vnd.apache.parquet"
    headers = {"Content-Disposition": f'attachment; filename="{ref.name}.{format}"'}
    return StreamingResponse(stream, media_type=media, headers=headers)


@router.post(
    "/sql", response_model=SqlResult, operation_id="run_sql", responses=errors(400, 403, 422, 502)
)
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
