"""The upload job: a file on disk → a warehouse table, atomically, with rejected rows kept."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from binnr.errors import InvalidInput
from binnr.jobs.context import JobContext
from binnr.params.data import UploadParams
from binnr.prep.files import detect_format, normalise_headers, read_header
from binnr.warehouse.base import LoadSpec


def upload_job(ctx: JobContext, params: UploadParams) -> dict[str, Any]:
    """Load the uploaded file into ``table_name``; the temp file is removed afterwards."""
    path = Path(params.path)
    try:
        return _load(ctx, path=path, params=params)
    finally:
        path.unlink(missing_ok=True)


def _load(ctx: JobContext, *, path: Path, params: UploadParams) -> dict[str, Any]:
    wh, progress = ctx.warehouse, ctx.progress
    progress.phase("read header", index=1, total=3)
    fmt = detect_format(path)
    original = read_header(path, fmt)
    columns = normalise_headers(original)
    target = params.ref(wh, params.table_name)
    rejects = wh.derived(target, suffix="__rejects")
    wh.ensure_schema(target)
    staging, staging_rejects = wh.staging(target), wh.staging(rejects)
    progress.phase("load", index=2, total=3)
    progress.update(message=f"loading {fmt} file of {path.stat().st_size:,} bytes")
    spec = LoadSpec(
        path=path,
        format=fmt,
        columns=columns,
        source_columns=original,
        infer_types=params.infer_types,
        target=staging,
        rejects=staging_rejects,
    )
    try:
        loaded = wh.load_file(spec)
        if loaded.rows_loaded + loaded.rows_rejected == 0:
            raise InvalidInput(
                "The file has a header row but no data rows.",
                hint="Add data rows below the header and upload again.",
            )
        progress.phase("publish", index=3, total=3)
        wh.publish([(staging, target), (staging_rejects, rejects)])
    except BaseException:
        wh.drop_table(staging)
        wh.drop_table(staging_rejects)
        raise
    return {
        "table": target.name,
        "database": target.database,
        "schema": target.schema,
        "format": fmt,
        "rows_loaded": loaded.rows_loaded,
        "rows_rejected": loaded.rows_rejected,
        "rejects_table": rejects.name,
        "sample_errors": loaded.sample_errors,
        "columns": [{"original": o, "column": c} for o, c in zip(original, columns, strict=True)],
    }
