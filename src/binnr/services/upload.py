"""The upload job: a file on disk → a warehouse table, atomically, with rejected rows kept.

The file's content decides how it is read (:mod:`binnr.prep.sniff`); a UTF-16, Latin-1 or
mixed-line-ending text file is first rewritten as UTF-8 beside it. A load that keeps no row at
all fails and leaves the previous table as it was: replacing a good table with an empty one is
never what an upload means.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from binnr.errors import FileProblem, InvalidInput
from binnr.jobs.context import JobContext
from binnr.params.data import UploadParams
from binnr.prep.files import normalise_headers, read_header
from binnr.prep.sniff import Sniffed, rewrite_utf8, sniff
from binnr.warehouse.base import LoadResult, LoadSpec
from binnr.warehouse.names import TableRef


def upload_job(ctx: JobContext, params: UploadParams) -> dict[str, Any]:
    """Load the uploaded file into ``table_name``; the temp file (and any rewrite) is removed."""
    path = Path(params.path)
    rewritten = path.with_name(path.name + ".utf8")
    try:
        return _load(ctx, path=path, rewritten=rewritten, params=params)
    finally:
        path.unlink(missing_ok=True)
        rewritten.unlink(missing_ok=True)


def _readable(
    ctx: JobContext, path: Path, rewritten: Path, params: UploadParams
) -> tuple[Path, Sniffed]:
    """The file to load (the upload or its UTF-8 rewrite) and what it is."""
    sniffed = sniff(path, encoding=params.encoding)
    if sniffed.format != "parquet" and sniffed.needs_rewrite:
        ctx.progress.update(message=f"rewriting {sniffed.encoding} text as UTF-8")
        return rewrite_utf8(path, sniffed, rewritten), sniffed
    return path, sniffed


def _load(ctx: JobContext, *, path: Path, rewritten: Path, params: UploadParams) -> dict[str, Any]:
    wh, progress = ctx.warehouse, ctx.progress
    progress.phase("read header", index=1, total=3)
    if path.stat().st_size == 0:
        raise InvalidInput("The file is empty.", hint="Upload a file with a header row and data.")
    source, sniffed = _readable(ctx, path, rewritten, params)
    fmt = sniffed.format
    original = read_header(source, fmt, delimiter=sniffed.delimiter)
    columns = normalise_headers(original)
    target = params.ref(wh, params.table_name)
    rejects = wh.derived(target, suffix="__rejects")
    wh.ensure_schema(target)
    staging, staging_rejects = wh.staging(target), wh.staging(rejects)
    progress.phase("load", index=2, total=3)
    progress.update(message=f"loading {fmt} file of {source.stat().st_size:,} bytes")
    spec = LoadSpec(
        path=source,
        format=fmt,
        columns=columns,
        source_columns=original,
        infer_types=params.infer_types,
        target=staging,
        rejects=staging_rejects,
        delimiter=sniffed.delimiter,
    )
    try:
        loaded = wh.load_file(spec)
        _check_loaded(loaded)
        progress.phase("publish", index=3, total=3)
        wh.publish([(staging, target), (staging_rejects, rejects)])
    except BaseException:
        wh.drop_table(staging)
        wh.drop_table(staging_rejects)
        raise
    return _summary(target, rejects.name, sniffed, loaded, original, columns)


def _summary(
    target: TableRef,
    rejects: str,
    sniffed: Sniffed,
    loaded: LoadResult,
    original: list[str],
    columns: list[str],
) -> dict[str, Any]:
    return {
        "table": target.name,
        "database": target.database,
        "schema": target.schema,
        "format": sniffed.format,
        "encoding": sniffed.encoding,
        "delimiter": sniffed.delimiter if sniffed.format == "csv" else None,
        "rows_loaded": loaded.rows_loaded,
        "rows_rejected": loaded.rows_rejected,
        "rejects_table": rejects,
        "sample_errors": loaded.sample_errors,
        "columns": [{"original": o, "column": c} for o, c in zip(original, columns, strict=True)],
    }


def _check_loaded(loaded: LoadResult) -> None:
    if loaded.rows_loaded + loaded.rows_rejected == 0:
        raise InvalidInput(
            "The file has a header row but no data rows.",
            hint="Add data rows below the header and upload again.",
        )
    if loaded.rows_loaded == 0:
        first = "; ".join(
            f"line {e['line']}: {str(e['reason'])[:200]}" for e in loaded.sample_errors[:3]
        )
        raise FileProblem(
            f"Every one of the {loaded.rows_rejected:,} data rows was rejected, so the table "
            f"was left as it was. First errors: {first}.",
            hint="Check that the header matches the rows (same delimiter, same number of "
            "fields), fix the file and upload again.",
        )
