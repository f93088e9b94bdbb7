"""Helpers shared by the test packages: real ``binnr serve`` processes, ports, job polling.

Nothing here mocks binnr: :func:`start_server` runs the ``binnr`` console script as a
subprocess with its own ``BINNR_HOME``, and the tests talk to it over real HTTP.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from binnr.jobs.records import FINAL_STATES

REPO_ROOT = Path(__file__).resolve().parents[2]
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"


def binnr_exe() -> str:
    """The ``binnr`` console script of the running interpreter's environment."""
    beside = Path(sys.executable).parent / "binnr"
    if beside.exists():
        return str(beside)
    found = shutil.which("binnr")
    if found is None:  # pragma: no cover - the venv always has it
        raise RuntimeError("the binnr console script is not installed")
    return found


def free_port() -> int:
    """A TCP port that was free a moment ago on 127.0.0.1."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    """A running ``binnr serve`` process."""

    url: str
    home: Path
    client: httpx.Client
    process: subprocess.Popen[bytes]
    log_path: Path
    #: The first of ``BINNR_API_KEY`` when the server was started with keys; ``client`` sends it.
    api_key: str | None = None

    def log(self) -> str:
        """What the server printed so far (stdout and stderr)."""
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def kill(self) -> None:
        """SIGKILL the server (no shutdown hooks run), and wait for it."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=30)


#: Test servers and workers embed in fp32: the int8 default quantises MiniLM on first use in
#: each fresh BINNR_HOME (a minute or more of calibration on two cores). int8 itself is covered
#: on a tiny model (tests/models/embeddings/test_int8.py); pass ``env`` to override.
FP32_FOR_TESTS = "fp32"


def server_env(home: Path, env: Mapping[str, str | None] | None = None) -> dict[str, str]:
    """The environment for a server or CLI subprocess using ``home``; ``None`` unsets a name."""
    out = {k: v for k, v in os.environ.items() if not k.startswith("BINNR_")}
    out.update(
        {
            "BINNR_HOME": str(home),
            "BINNR_ENABLE_SQL": "true",
            "BINNR_EMBEDDING_PRECISION": FP32_FOR_TESTS,
            "HF_HUB_OFFLINE": "1",
            "TRANSFORMERS_OFFLINE": "1",
        }
    )
    for key, value in (env or {}).items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = value
    return out


@contextlib.contextmanager
def start_server(
    home: Path,
    env: Mapping[str, str | None] | None = None,
    *,
    timeout: float = 60.0,
    client_timeout: float = 120.0,
) -> Iterator[Server]:
    """Start ``binnr serve --port <free>`` with ``BINNR_HOME=home``; kill it on exit.

    ``env`` adds, overrides or (with ``None``) removes variables, e.g.
    ``{"BINNR_ENABLE_SQL": None}``. The process runs in ``home`` so that no ``.env`` of the
    repository leaks into it (binnr reads ``.env`` from its working directory). With
    ``BINNR_API_KEY`` in ``env``, ``server.client`` sends its first key as a Bearer token.
    """
    home.mkdir(parents=True, exist_ok=True)
    port = free_port()
    log_path = home / f"server-{port}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [binnr_exe(), "serve", "--port", str(port), "--log-level", "warning"],
            env=server_env(home, env),
            cwd=str(home),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    api_key = ((env or {}).get("BINNR_API_KEY") or "").split(",")[0].strip() or None
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    client = httpx.Client(base_url=url, timeout=client_timeout, headers=headers)
    server = Server(
        url=url, home=home, client=client, process=process, log_path=log_path, api_key=api_key
    )
    try:
        _wait_healthy(server, timeout)
        yield server
    finally:
        client.close()
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=15)


def _wait_healthy(server: Server, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"binnr serve exited ({server.process.returncode}):\n{server.log()}")
        try:
            if server.client.get("/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"binnr serve did not become healthy in {timeout}s:\n{server.log()}")


def wait_job(client: httpx.Client, task_id: str, timeout: float = 120.0) -> dict[str, Any]:
    """Poll ``GET /jobs/status/{task_id}`` until the job ends; its JSON."""
    deadline = time.monotonic() + timeout
    delay = 0.05
    while True:
        response = _get_retrying(client, f"/jobs/status/{task_id}")
        response.raise_for_status()
        job: dict[str, Any] = response.json()
        if job["status"] in FINAL_STATES:
            return job
        if time.monotonic() > deadline:
            raise TimeoutError(f"job {task_id} still {job['status']} after {timeout}s: {job}")
        time.sleep(delay)
        delay = min(delay * 1.5, 0.5)


def _get_retrying(client: httpx.Client, path: str, attempts: int = 5) -> httpx.Response:
    """A GET that survives a keep-alive connection the busy server closed under it."""
    for attempt in range(attempts):
        try:
            return client.get(path)
        except (httpx.ReadError, httpx.RemoteProtocolError, httpx.ConnectError):
            if attempt == attempts - 1:
                raise
            time.sleep(0.5)
    raise AssertionError("unreachable")


def submit_upload(
    client: httpx.Client,
    file: Path | bytes,
    table: str,
    *,
    filename: str = "data.csv",
    **fields: str,
) -> httpx.Response:
    """``POST /data/upload`` with a path or raw bytes; the raw response."""
    content = file.read_bytes() if isinstance(file, Path) else file
    name = file.name if isinstance(file, Path) else filename
    data = {"table_name": table, **fields}
    return client.post("/data/upload", data=data, files={"file": (name, content)})


def upload(
    client: httpx.Client,
    file: Path | bytes,
    table: str,
    *,
    filename: str = "data.csv",
    timeout: float = 120.0,
    **fields: str,
) -> dict[str, Any]:
    """Upload and wait; the finished job's JSON (any final state)."""
    response = submit_upload(client, file, table, filename=filename, **fields)
    assert response.status_code == 202, response.text
    return wait_job(client, response.json()["task_id"], timeout)


def sql(client: httpx.Client, statement: str, limit: int = 100_000) -> list[dict[str, Any]]:
    """Run one statement through ``POST /data/sql``; its rows."""
    response = client.post("/data/sql", json={"sql": statement, "limit": limit})
    assert response.status_code == 200, response.text
    rows: list[dict[str, Any]] = response.json()["rows"]
    return rows


def prepare(client: httpx.Client, body: dict[str, Any], timeout: float = 120.0) -> dict[str, Any]:
    """``POST /data/create/tables/classification`` and wait; the finished job's JSON."""
    response = client.post("/data/create/tables/classification", json=body)
    assert response.status_code == 202, response.text
    return wait_job(client, response.json()["task_id"], timeout)


def assert_error(response: httpx.Response, status: int, *fragments: str) -> dict[str, str]:
    """Check the status and the ``{"error": {type, message, hint}}`` shape; the error."""
    assert response.status_code == status, (response.status_code, response.text)
    body = response.json()
    assert set(body) == {"error"}, body
    error: dict[str, str] = body["error"]
    assert set(error) == {"type", "message", "hint"}, error
    assert error["message"] and error["hint"], error
    text = f"{error['message']} {error['hint']}"
    for fragment in fragments:
        assert fragment in text, (fragment, error)
    return error


def run_binnr(srv: Server, *args: str, timeout: float = 600) -> str:
    """Run ``binnr <args> --url <server>``, require exit code 0, return its stdout."""
    out = subprocess.run(
        [binnr_exe(), *args, "--url", srv.url],
        env=server_env(srv.home, {"BINNR_API_KEY": srv.api_key}),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert out.returncode == 0, out.stderr + out.stdout
    return out.stdout
