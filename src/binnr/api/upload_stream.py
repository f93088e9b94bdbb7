"""Stream a multipart upload straight to a temporary file, checking form fields as they arrive.

Starlette's form parser would buffer the whole body before the handler runs; here every text
field is validated the moment it is complete, the file part goes to disk chunk by chunk, and the
size limit is enforced while streaming (``413`` without reading the rest).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import Request

from binnr.errors import InvalidInput, TooLarge
from binnr.prep.files import upload_suffix

MAX_FIELD_BYTES = 64 * 1024


@dataclass
class StreamedForm:
    """Text fields and the stored file of one upload."""

    fields: dict[str, str] = field(default_factory=dict)
    path: Path | None = None
    filename: str | None = None
    size: int = 0


class _Collector:
    def __init__(self, *, folder: Path, max_bytes: int, check: Callable[[str, str], None]) -> None:
        self.form = StreamedForm()
        self.folder, self.max_bytes, self.check = folder, max_bytes, check
        self._headers: dict[str, str] = {}
        self._name = self._value = b""
        self._field: str | None = None
        self._buffer = bytearray()
        self._file: IO[bytes] | None = None

    def callbacks(self) -> dict[str, Any]:
        return {
            "on_part_begin": self._begin,
            "on_header_field": lambda d, s, e: setattr(self, "_name", self._name + d[s:e]),
            "on_header_value": lambda d, s, e: setattr(self, "_value", self._value + d[s:e]),
            "on_header_end": self._header_end,
            "on_part_data": self._data,
            "on_part_end": self._end,
        }

    def _begin(self) -> None:
        self._headers, self._field, self._buffer = {}, None, bytearray()

    def _header_end(self) -> None:
        name = self._name.decode("latin-1").lower()
        self._headers[name] = self._value.decode("latin-1")
        self._name = self._value = b""
        if name != "content-disposition":
            return
        _, opts = parse_options_header(self._headers[name])
        self._field = (opts.get(b"name") or b"").decode("utf-8", "replace")
        filename = opts.get(b"filename")
        if filename is not None and self._field == "file" and self._file is None:
            self.form.filename = filename.decode("utf-8", "replace")
            suffix = upload_suffix(self.form.filename)
            self.folder.mkdir(parents=True, exist_ok=True)
            self.form.path = self.folder / f"upload-{uuid.uuid4().hex}{suffix}"
            self._file = self.form.path.open("wb")

    def _data(self, data: bytes, start: int, end: int) -> None:
        chunk = data[start:end]
        if self._file is not None:
            self.form.size += len(chunk)
            if self.form.size > self.max_bytes:
                raise TooLarge(f"The upload exceeds {self.max_bytes // (1024 * 1024)} MB.")
            self._file.write(chunk)
            return
        self._buffer.extend(chunk)
        if len(self._buffer) > MAX_FIELD_BYTES:
            raise InvalidInput(f"Form field {self._field!r} is too long.")

    def _end(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
        elif self._field:
            value = self._buffer.decode("utf-8", "replace")
            self.form.fields[self._field] = value
            self.check(self._field, value)

    def abort(self) -> None:
        if self._file is not None:
            self._file.close()
        if self.form.path is not None:
            self.form.path.unlink(missing_ok=True)


async def stream_upload(
    request: Request, *, folder: Path, max_bytes: int, check: Callable[[str, str], None]
) -> StreamedForm:
    """Parse a ``multipart/form-data`` request; ``check(name, value)`` runs per text field."""
    content_type, opts = parse_options_header(request.headers.get("content-type", ""))
    if content_type != b"multipart/form-data" or b"boundary" not in opts:
        raise InvalidInput(
            "The upload must be multipart/form-data.",
            hint="Send the file as the form field 'file' (curl -F file=@data.csv).",
        )
    declared = int(request.headers.get("content-length") or 0)
    if declared > max_bytes + MAX_FIELD_BYTES * 8:
        raise TooLarge(f"The upload ({declared:,} bytes) exceeds {max_bytes // (1024 * 1024)} MB.")
    collector = _Collector(folder=folder, max_bytes=max_bytes, check=check)
    parser = MultipartParser(opts[b"boundary"], collector.callbacks())  # type: ignore[arg-type]
    try:
        async for chunk in request.stream():
            parser.write(chunk)
        parser.finalize()
    except BaseException:
        collector.abort()
        raise
    return collector.form
