"""After kill -9, a restart removes temporary uploads and staging tables (issue 11)."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

from tests.support.server import Server, sql, start_server, upload

BOUNDARY = "binnrleftovers"


def _slow_body(stop: threading.Event) -> Iterator[bytes]:
    yield (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="table_name"\r\n\r\nbig\r\n'
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; '
        'filename="big.csv"\r\nContent-Type: text/csv\r\n\r\na,b\n'
    ).encode()
    while not stop.is_set():
        yield b"1,two\n" * 20_000
        time.sleep(0.05)


def _upload_until_killed(server: Server, stop: threading.Event) -> None:
    headers = {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}
    with contextlib.suppress(httpx.HTTPError):  # the server dies under it
        httpx.post(f"{server.url}/data/upload", content=_slow_body(stop), headers=headers)


def _wait_for_upload_file(home: Path) -> Path:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        files = list((home / "uploads").glob("upload-*")) if (home / "uploads").exists() else []
        if files and files[0].stat().st_size > 1_000_000:
            return files[0]
        time.sleep(0.1)
    raise AssertionError("no upload file appeared")


def test_restart_after_kill_removes_upload_files_and_staging_tables(tmp_path: Path) -> None:
    home = tmp_path / "home"
    with start_server(home) as server:
        assert upload(server.client, b"a\n1\n", "kept")["status"] == "succeeded"
        # what a kill -9 during a table build leaves behind
        sql(server.client, "CREATE TABLE __stg_0123456789_kept (a INTEGER)")
        stop = threading.Event()
        sender = threading.Thread(target=_upload_until_killed, args=(server, stop))
        sender.start()
        leftover = _wait_for_upload_file(home)
        server.kill()
        stop.set()
        sender.join(timeout=30)
        assert leftover.exists()
    with start_server(home) as again:
        assert not leftover.exists()
        assert list((home / "uploads").iterdir()) == []
        tables = sql(again.client, "SELECT table_name FROM duckdb_tables() ORDER BY 1")
        assert tables == [{"table_name": "kept"}, {"table_name": "kept__rejects"}]
        log = again.log()
        assert leftover.name in log and "__stg_0123456789_kept" in log
        assert str(home) not in log.split("removed leftovers", 1)[1].splitlines()[0]
