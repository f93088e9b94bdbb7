"""Parameters of the data jobs: upload, classification tables, and the ``sleep`` test job."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from binnr.params.base import JobParams
from binnr.prep.classification import ClassificationSpec


class UploadParams(JobParams):
    """``upload``: a file already on the server's disk → ``table_name``, replaced atomically."""

    table_name: str = Field(description="Target table (created or replaced)")
    infer_types: bool = Field(
        default=False, description="Infer column types; default: every column is text"
    )
    path: str = Field(description="The uploaded file (a temporary file the job removes)")
    filename: str | None = Field(default=None, description="The file's name on the client")
    encoding: Literal["utf-8", "utf-16", "utf-16-le", "utf-16-be", "latin-1", "cp1252"] | None = (
        Field(
            default=None,
            description="The text file's encoding; default: detected (UTF-8, or UTF-16 by its "
            "byte-order mark)",
        )
    )


class ClassificationTablesParams(ClassificationSpec, JobParams):
    """``classification_tables``: labels, ``*_source_target``, train / validation / predict."""


class SleepParams(JobParams):
    """``sleep``: a job that only waits (engine health checks, tests, benchmarks)."""

    seconds: float = Field(default=0.0, ge=0, le=86_400, description="Total time to sleep")
    steps: int = Field(default=1, ge=1, le=100_000, description="Progress updates while asleep")
