"""Upload files: format detection, header reading and header normalisation."""

from __future__ import annotations

import csv
import gzip
import io
import json
import re
from pathlib import Path
from typing import IO, Literal

from binnr.errors import InvalidInput

FileFormat = Literal["csv", "parquet", "jsonl"]

_SUFFIXES: dict[str, FileFormat] = {
    ".csv": "csv",
    ".csv.gz": "csv",
    ".txt": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".jsonl.gz": "jsonl",
    ".ndjson.gz": "jsonl",
}


def upload_suffix(filename: str | None) -> str:
    """The known suffix of ``filename`` (``.csv.gz`` counts as one), else ``''``."""
    name = (filename or "").lower()
    for suffix in sorted(_SUFFIXES, key=len, reverse=True):
        if name.endswith(suffix):
            return suffix
    return ""


def detect_format(path: Path) -> FileFormat:
    """By the file's suffix, else by sniffing its first bytes."""
    suffix = upload_suffix(path.name)
    if suffix:
        return _SUFFIXES[suffix]
    with path.open("rb") as fh:
        head = fh.read(4)
    if head == b"PAR1":
        return "parquet"
    text = _peek_text(path)
    return "jsonl" if text.lstrip().startswith("{") else "csv"


def is_gzip(path: Path) -> bool:
    """Whether the file starts with gzip's magic bytes."""
    with path.open("rb") as fh:
        return fh.read(2) == b"\x1f\x8b"


def _open_text(path: Path) -> IO[str]:
    # The wrapper owns and closes the raw stream.
    raw: IO[bytes] = gzip.open(path, "rb") if is_gzip(path) else path.open("rb")  # type: ignore[assignment]  # noqa: SIM115
    return io.TextIOWrapper(raw, encoding="utf-8-sig", errors="replace", newline="")


def _peek_text(path: Path, size: int = 4096) -> str:
    with _open_text(path) as fh:
        return fh.read(size)


def read_header(path: Path, fmt: FileFormat, *, delimiter: str = ",") -> list[str]:
    """The column names as the file has them; :class:`InvalidInput` for an empty file."""
    if path.stat().st_size == 0:
        raise InvalidInput("The file is empty.", hint="Upload a file with a header row and data.")
    if fmt == "parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        try:
            return list(pq.read_schema(path).names)
        except (pa.ArrowException, OSError) as exc:
            raise InvalidInput(
                f"The Parquet file cannot be read: {str(exc)[:200]}",
                hint="Check that the file is a complete Parquet file.",
            ) from exc
    if fmt == "jsonl":
        return _jsonl_keys(path)
    try:
        with _open_text(path) as fh:
            header = next(csv.reader(fh, delimiter=delimiter), None)
    except csv.Error as exc:  # e.g. a field over the csv module's 131,072 character limit
        raise InvalidInput(
            "The first line cannot be read as a header row: a field is longer than "
            f"{csv.field_size_limit():,} characters ({exc}).",
            hint="The first line must name the columns (short names separated by commas); "
            "check that the file is a CSV with a header row.",
        ) from exc
    if not header or all(not h.strip() for h in header):
        raise InvalidInput(
            "The file has no header row.", hint="The first line must name the columns."
        )
    return header


def _jsonl_keys(path: Path, sample: int = 1000) -> list[str]:
    keys: dict[str, None] = {}
    with _open_text(path) as fh:
        for i, line in enumerate(fh):
            if i >= sample:
                break
            if line.strip():
                try:
                    obj = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise InvalidInput(
                        f"Line {i + 1} is not valid JSON: {exc.msg}.",
                        hint="Each line of a .jsonl file must be one JSON object.",
                    ) from exc
                keys.update(dict.fromkeys(obj))
    if not keys:
        raise InvalidInput("The file is empty.", hint="Upload a file with at least one object.")
    return list(keys)


def normalise_headers(names: list[str]) -> list[str]:
    """Trim, lowercase, other characters → ``_``, blank → ``col_<n>``, duplicates ``_2``, ``_3``."""
    out: list[str] = []
    seen: set[str] = set()
    for position, name in enumerate(names, start=1):
        base = re.sub(r"[^a-z0-9_]", "_", name.strip().lower())[:200]
        if not base.strip("_"):
            base = f"col_{position}"
        candidate, n = base, 1
        while candidate in seen:
            n += 1
            candidate = f"{base}_{n}"
        seen.add(candidate)
        out.append(candidate)
    return out
