"""``binnr serve`` refuses an open address without a key; client commands send the key."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
import typer

from binnr.cli.server import is_loopback, refuse_open_bind
from binnr.settings import Settings
from tests.support.server import Server, binnr_exe, free_port, server_env

ServerFactory = Callable[..., Server]


def run(
    args: list[str], home: Path, env: dict[str, str | None], timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """``binnr <args>`` in ``home``; output captured as text."""
    extra = {"COLUMNS": "250", "NO_COLOR": "1", "TERM": "dumb", **env}
    return subprocess.run(
        [binnr_exe(), *args],
        env=server_env(home, extra),
        cwd=str(home),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.0.2.10", "example.com"])
def test_serve_refuses_an_open_address_without_a_key(tmp_path: Path, host: str) -> None:
    out = run(["serve", "--host", host, "--port", str(free_port())], tmp_path, {})
    assert out.returncode == 2, out.stdout + out.stderr
    message = " ".join((out.stdout + out.stderr).split())
    assert "without an API key" in message
    assert "BINNR_API_KEY" in message and "--insecure" in message


def test_serve_refuses_an_unreadable_key_file(tmp_path: Path) -> None:
    env = {"BINNR_API_KEY_FILE": str(tmp_path / "missing.txt")}
    out = run(["serve", "--host", "0.0.0.0", "--port", str(free_port())], tmp_path, env)
    assert out.returncode == 2 and "BINNR_API_KEY_FILE" in out.stdout + out.stderr


@pytest.mark.parametrize(
    ("host", "loopback"),
    [("127.0.0.1", True), ("127.0.0.2", True), ("localhost", True), ("::1", True),
     ("[::1]", True), ("0.0.0.0", False), ("::", False), ("10.0.0.1", False),
     ("my-host", False)],
)  # fmt: skip
def test_loopback_addresses(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_client_commands_send_the_key(server_factory: ServerFactory, tmp_path: Path) -> None:
    srv = server_factory(env={"BINNR_API_KEY": "s3cret,other"})
    base = ["tables", "--url", srv.url]
    denied = run(base, tmp_path, {})
    assert denied.returncode == 1 and "401 Unauthorized" in denied.stderr, denied.stderr
    assert run([*base, "--api-key", "s3cret"], tmp_path, {}).returncode == 0
    by_env = run(base, tmp_path, {"BINNR_API_KEY": "other"})
    assert by_env.returncode == 0, by_env.stderr
    key_file = tmp_path / "keys"
    key_file.write_text("s3cret\n")
    by_file = run(base, tmp_path, {"BINNR_API_KEY_FILE": str(key_file)})
    assert by_file.returncode == 0, by_file.stderr


ROOT = Path(__file__).resolve().parents[2]


def test_compose_requires_a_key_for_web_and_worker() -> None:
    yaml = pytest.importorskip("yaml")
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    for name in ("web", "worker"):
        value = services[name]["environment"]["BINNR_API_KEY"]
        assert value.startswith("${BINNR_API_KEY:?"), value  # compose stops when unset/empty


def test_the_image_serves_on_all_interfaces_only_with_a_key() -> None:
    """The CMD binds 0.0.0.0 without --insecure, which `serve` refuses without a key (above)."""
    cmd = next(
        line for line in (ROOT / "Dockerfile").read_text().splitlines() if line.startswith("CMD")
    )
    assert '"0.0.0.0"' in cmd and "--insecure" not in cmd


@pytest.mark.parametrize(
    ("env", "insecure", "refused"),
    [({}, False, True), ({}, True, False), ({"api_key": "k"}, False, False),
     ({"read_only_api_key": "r"}, False, False)],
)  # fmt: skip
def test_refuse_open_bind_needs_a_key_or_insecure(
    tmp_path: Path, env: dict[str, str], insecure: bool, refused: bool
) -> None:
    settings = Settings(home=tmp_path, **env)  # type: ignore[arg-type]
    if refused:
        with pytest.raises(typer.Exit) as info:
            refuse_open_bind("0.0.0.0", settings, insecure=insecure)
        assert info.value.exit_code == 2
    else:
        refuse_open_bind("0.0.0.0", settings, insecure=insecure)
    refuse_open_bind("127.0.0.1", Settings(home=tmp_path), insecure=False)  # loopback: always
