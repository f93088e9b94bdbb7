"""/data: upload, classification tables, table browsing and the opt-in SQL console."""

from __future__ import annotations

from fastapi import APIRouter, Request, status
from starlette.concurrency import run_in_threadpool

from binnr.api.deps import EngineDep, SettingsDep, WarehouseDep, accepted, location_notes
from binnr.api.errors import errors
from binnr.api.links import queued
from binnr.api.schemas import ClassificationTablesRequest, TaskAccepted
from binnr.api.types import NAME_PATTERN, OPTIONAL_NAME_PATTERN
from binnr.api.upload_stream import StreamedForm, stream_upload
from binnr.errors import InvalidInput
from binnr.jobs.engine import JobEngine
from binnr.params import ClassificationTablesParams, UploadParams
from binnr.prep.sniff import ENCODINGS, canonical_encoding, sniff
from binnr.services.tables import check_spec
from binnr.warehouse.base import Warehouse
from binnr.warehouse.names import MAX_USER_NAME, ident

router = APIRouter(prefix="/data", tags=["data"])

_UPLOAD_FIELDS = (
    "table_name",
    "database",
    "schema",
    "warehouse",
    "role",
    "infer_types",
    "encoding",
)
#: The same rule as ``ident()``; an optional location field may also be "" (the default).
_NAME = {"type": "string", "minLength": 1, "maxLength": MAX_USER_NAME, "pattern": NAME_PATTERN}
_LOCATION = {"type": "string", "maxLength": MAX_USER_NAME, "pattern": OPTIONAL_NAME_PATTERN}
_UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file", "table_name"],
                    "properties": {
                        "table_name": {**_NAME, "description": "Target table"},
                        # "" (the configured location) rather than Swagger UI's sample
                        # value "string", which Try it out would send as a real name.
                        "database": {**_LOCATION, "default": ""},
                        "schema": {**_LOCATION, "default": ""},
                        "warehouse": {**_LOCATION, "default": ""},
                        "role": {**_LOCATION, "default": ""},
                        "infer_types": {"type": "boolean", "default": False},
                        "encoding": {
                            "type": "string",
                            "default": "",
                            "enum": ["", *sorted(set(ENCODINGS.values()))],
                            "description": 'The text\'s encoding; default (""): detected',
                        },
                        "file": {"type": "string", "format": "binary"},
                    },
                }
            }
        },
    }
}


_TRUE, _FALSE = ("true", "1", "yes", "on"), ("false", "0", "no", "off", "")


def _form_bool(name: str, value: str | None) -> bool:
    """A form field as a boolean; anything but a yes/no word is refused, never taken as false."""
    word = (value or "").strip().lower()
    if word in _TRUE or word in _FALSE:
        return word in _TRUE
    raise InvalidInput(
        f"The form field {name} is {(value or '')[:40]!r}, not a boolean.",
        hint=f"Send {name}=true or {name}=false.",
    )


def _check_upload_field(name: str, value: str) -> None:
    if name == "infer_types":
        _form_bool(name, value)
    elif name == "table_name":
        ident(value, field="table_name")
    elif name in ("database", "schema", "warehouse", "role") and value:
        ident(value, field=name)
    elif name == "encoding" and value:
        canonical_encoding(value)


@router.post(
    "/upload",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=TaskAccepted,
    operation_id="upload_data",
    responses={**queued(), **errors(400, 413, 422, 502)},
    openapi_extra=_UPLOAD_BODY,
    summary="Upload a CSV / CSV.gz / Parquet / JSONL file into a table (replacing it atomically)",
)
async def upload(
    request: Request, settings: SettingsDep, engine: EngineDep, warehouse: WarehouseDep
) -> TaskAccepted:
    form = await stream_upload(
        request,
        folder=settings.uploads_dir,
        max_bytes=settings.max_upload_mb * 1024 * 1024,
        check=_check_upload_field,
    )
    # Sniffing reads the file and queuing writes the job store: blocking IO, off the loop.
    return await run_in_threadpool(_queue_upload, form, engine, warehouse)


def _queue_upload(form: StreamedForm, engine: JobEngine, warehouse: Warehouse) -> TaskAccepted:
    """Check the received form and queue the upload job; the file is removed on any error."""
    try:
        if "table_name" not in form.fields:
            raise InvalidInput("The form field table_name is missing.", hint="Add -F table_name=…")
        if form.path is None:
            raise InvalidInput("The form field file is missing.", hint="Add -F file=@data.csv")
        fields = {k: form.fields.get(k) or None for k in _UPLOAD_FIELDS}
        if fields["database"]:
            warehouse.check_database(fields["database"])
        params = UploadParams(
            table_name=fields["table_name"] or "",
            database=fields["database"],
            schema_=fields["schema"],
            infer_types=_form_bool("infer_types", fields["infer_types"]),
            path=str(form.path),
            filename=form.filename,
            encoding=canonical_encoding(fields["encoding"]) if fields["encoding"] else None,
        )
        sniff(form.path, encoding=params.encoding)  # a binary file is a 422 now, not a job
        record = engine.submit(kind="upload", params=params)
    except BaseException:
        if form.path is not None:
            form.path.unlink(missing_ok=True)
        raise
    notes = location_notes(warehouse, warehouse_name=fields["warehouse"], role=fields["role"])
    return TaskAccepted(task_id=record.id, notes=notes)


@router.post(
    "/create/tables/classification",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=TaskAccepted,
    operation_id="create_classification_tables",
    responses={**queued(), **errors(400, 404, 422, 502)},
    summary="Create labels, source_target, train, validation and predict tables",
)
def create_classification_tables(
    body: ClassificationTablesRequest, engine: EngineDep, warehouse: WarehouseDep
) -> TaskAccepted:
    params = body.job_params(ClassificationTablesParams)
    check_spec(warehouse=warehouse, spec=params)
    record = engine.submit(kind="classification_tables", params=params)
    return accepted(record, warehouse, body)
