"""Stream a multipart upload straight to a temporary file, checking form fields as they arrive.

Starlette's form parser would buffer the whole body before the handler runs; here every text
field is validated the moment it is complete, the file part goes to disk as it arrives, and the
size limit is enforced while streaming (``413`` without reading the rest).

The event loop only parses (:mod:`binnr.api.multipart`, whole chunks at C speed); the disk
writes run on a worker thread, about a megabyte at a time with one write in flight, so the loop
receives the next chunk (and answers other requests) while the disk takes the last one.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from python_multipart.multipart import parse_options_header
from starlette.requests import Request

from binnr.api.multipart import Event, MultipartStream, PartData, PartEnd, PartStart
from binnr.errors import InvalidInput, TooLarge
from binnr.prep.files import upload_suffix

MAX_FIELD_BYTES = 64 * 1024
#: Bytes gathered before one write is handed to the worker thread.
WRITE_BYTES = 1 << 20
_IOV_MAX = min(1024, os.sysconf("SC_IOV_MAX")) if hasattr(os, "sysconf") else 1024


@dataclass
class StreamedForm:
    """Text fields and the stored file of one upload."""

    fields: dict[str, str] = field(default_factory=dict)
    path: Path | None = None
    filename: str | None = None
    size: int = 0


def _write_all(fd: int, views: list[memoryview]) -> None:
    # writev takes at most IOV_MAX buffers (1,024 on Linux); a client sending small chunks
    # (one CSV row each) fills a batch with tens of thousands
    for start in range(0, len(views), _IOV_MAX):
        _writev_all(fd, views[start : start + _IOV_MAX])


def _writev_all(fd: int, views: list[memoryview]) -> None:
    # writev takes the received chunks as they are (no joining copy); it may write less
    # than asked (a signal, a full disk): the rest follows, or the error surfaces.
    written = os.writev(fd, views)
    for view in views:
        if written >= len(view):
            written -= len(view)
            continue
        rest = view[written:]
        while rest:
            rest = rest[os.write(fd, rest) :]
        written = 0


class _FileWriter:
    """Appends to a file on a worker thread, one batch in flight."""

    def __init__(self, path: Path) -> None:
        self._fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666)
        self._batch: list[memoryview] = []
        self._batched = 0
        self._pending: asyncio.Future[None] | None = None

    async def write(self, data: memoryview) -> None:
        self._batch.append(data)
        self._batched += len(data)
        if self._batched >= WRITE_BYTES:
            await self._flush()

    async def _flush(self) -> None:
        if self._pending is not None:
            await self._pending  # order, and at most one batch waiting in memory
            self._pending = None
        if self._batch:
            batch, self._batch, self._batched = self._batch, [], 0
            loop = asyncio.get_running_loop()
            self._pending = loop.run_in_executor(None, _write_all, self._fd, batch)

    async def close(self) -> None:
        try:
            await self._flush()
            if self._pending is not None:
                await self._pending
        finally:
            os.close(self._fd)

    def abandon(self) -> None:
        """Close without waiting (the file is about to be removed)."""
        pending = self._pending
        if pending is not None and not pending.done():
            pending.add_done_callback(lambda _: os.close(self._fd))
        else:
            os.close(self._fd)


class _Collector:
    def __init__(self, *, folder: Path, max_bytes: int, check: Callable[[str, str], None]) -> None:
        self.form = StreamedForm()
        self.folder, self.max_bytes, self.check = folder, max_bytes, check
        self._field: str | None = None
        self._buffer = bytearray()
        self._file: _FileWriter | None = None

    async def handle(self, event: Event) -> None:
        if isinstance(event, PartData):
            await self._data(event.data)
        elif isinstance(event, PartStart):
            self._begin(event.headers)
        elif isinstance(event, PartEnd):
            await self._end()

    def _begin(self, headers: dict[str, str]) -> None:
        self._field, self._buffer = None, bytearray()
        _, opts = parse_options_header(headers.get("content-disposition", ""))
        self._field = (opts.get(b"name") or b"").decode("utf-8", "replace")
        filename = opts.get(b"filename")
        if filename is not None and self._field == "file" and self.form.path is None:
            self.form.filename = filename.decode("utf-8", "replace")
            suffix = upload_suffix(self.form.filename)
            self.folder.mkdir(parents=True, exist_ok=True)
            self.form.path = self.folder / f"upload-{uuid.uuid4().hex}{suffix}"
            self._file = _FileWriter(self.form.path)

    async def _data(self, data: memoryview) -> None:
        if self._file is not None:
            self.form.size += len(data)
            if self.form.size > self.max_bytes:
                raise TooLarge(f"The upload exceeds {self.max_bytes // (1024 * 1024)} MB.")
            await self._file.write(data)
            return
        self._buffer.extend(data)
        if len(self._buffer) > MAX_FIELD_BYTES:
            raise InvalidInput(f"Form field {self._field!r} is too long.")

    async def _end(self) -> None:
        if self._file is not None:
            file, self._file = self._file, None
            await file.close()
        elif self._field:
            value = self._buffer.decode("utf-8", "replace")
            self.form.fields[self._field] = value
            self.check(self._field, value)

    def abort(self) -> None:
        if self._file is not None:
            self._file.abandon()
        if self.form.path is not None:
            self.form.path.unlink(missing_ok=True)


async def stream_upload(
    request: Request, *, folder: Path, max_bytes: int, check: Callable[[str, str], None]
) -> StreamedForm:
    """Parse a ``multipart/form-data`` request; ``check(name, value)`` runs per text field."""
    content_type, opts = parse_options_header(request.headers.get("content-type", ""))
    if content_type != b"multipart/form-data" or not opts.get(b"boundary"):
        raise InvalidInput(
            "The upload must be multipart/form-data.",
            hint="Send the file as the form field 'file' (curl -F file=@data.csv).",
        )
    declared = int(request.headers.get("content-length") or 0)
    if declared > max_bytes + MAX_FIELD_BYTES * 8:
        raise TooLarge(f"The upload ({declared:,} bytes) exceeds {max_bytes // (1024 * 1024)} MB.")
    collector = _Collector(folder=folder, max_bytes=max_bytes, check=check)
    parser = MultipartStream(opts[b"boundary"])
    try:
        async for chunk in request.stream():
            for event in parser.feed(chunk):
                await collector.handle(event)
        parser.close()
    except BaseException:
        collector.abort()
        raise
    return collector.form
