"""The upload's disk writer (binnr.api.upload_stream)."""

from __future__ import annotations

import os
from pathlib import Path

from binnr.api.upload_stream import _write_all


def test_a_batch_of_many_small_chunks_is_written_whole(tmp_path: Path) -> None:
    """A client sending one CSV row per chunk fills a batch with more buffers than writev takes
    (IOV_MAX): every byte still lands, in order (it failed with OSError before)."""
    rows = [f"{i},row number {i}\n".encode() for i in range(20_000)]
    path = tmp_path / "upload.csv"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT)
    try:
        _write_all(fd, [memoryview(r) for r in rows])
    finally:
        os.close(fd)
    assert path.read_bytes() == b"".join(rows)
