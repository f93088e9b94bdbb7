"""Parameters of the data jobs: upload, classification tables, and the ``sleep`` test job."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator

from binnr.params.base import JobParams
from binnr.params.fields import (
    MAX_FILENAME,
    MAX_TEMPLATE,
    ColumnName,
    NewTableName,
    Seed,
    TableName,
)
from binnr.prep.classification import ClassificationSpec


class UploadParams(JobParams):
    """``upload``: a file already on the server's disk → ``table_name``, replaced atomically."""

    table_name: NewTableName = Field(description="Target table (created or replaced)")
    infer_types: bool = Field(
        default=False, description="Infer column types; default: every column is text"
    )
    path: str = Field(
        max_length=4096, description="The uploaded file (a temporary file the job removes)"
    )
    filename: str | None = Field(
        default=None,
        max_length=MAX_FILENAME,
        description="The file's name on the client (its first 255 characters)",
    )

    @field_validator("filename", mode="before")
    @classmethod
    def _shorten(cls, value: Any) -> Any:
        # Only shown back in the job record: a long name is cut, not a reason to refuse.
        return value[:MAX_FILENAME] if isinstance(value, str) else value

    encoding: Literal["utf-8", "utf-16", "utf-16-le", "utf-16-be", "latin-1", "cp1252"] | None = (
        Field(
            default=None,
            description="The text file's encoding; default: detected (UTF-8, or UTF-16 by its "
            "byte-order mark)",
        )
    )


class ClassificationTablesParams(ClassificationSpec, JobParams):
    """``classification_tables``: labels, ``*_source_target``, train / validation / predict.

    The names and sizes of :class:`ClassificationSpec` are bounded here (the spec itself is
    also used by code that builds it from trusted values).
    """

    table_name: TableName = Field(description="The uploaded table")
    source_columns: list[ColumnName] = Field(
        min_length=1, max_length=100, description="Columns joined into source"
    )
    target_column: ColumnName = Field(description="The label column")
    template: str | None = Field(
        default=None,
        max_length=MAX_TEMPLATE,
        description="e.g. 'Tweet: {text}'; {{ and }} are literal braces",
    )
    seed: Seed = Field(default=0, description="Seed of the train / validation split")


class SleepParams(JobParams):
    """``sleep``: a job that only waits (engine health checks, tests, benchmarks)."""

    seconds: float = Field(default=0.0, ge=0, le=86_400, description="Total time to sleep")
    steps: int = Field(default=1, ge=1, le=100_000, description="Progress updates while asleep")
