"""Structure of docker-compose.yml, .env.example and the Dockerfile.

Docker cannot run in this test environment (no daemon), so these tests only parse the files
with PyYAML and check the services, commands and settings the deployment relies on.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

yaml = pytest.importorskip("yaml")

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    assert isinstance(data, dict)
    return data


def _command(service: dict[str, Any]) -> str:
    command = service["command"]
    return command if isinstance(command, str) else " ".join(command)


def test_services_exist(compose: dict[str, Any]) -> None:
    assert {"web", "worker", "redis", "postgres"} <= set(compose["services"])


def test_web_and_worker_share_env_file_and_image(compose: dict[str, Any]) -> None:
    services = compose["services"]
    for name in ("web", "worker"):
        env_file = services[name]["env_file"]
        assert ".env" in ([env_file] if isinstance(env_file, str) else env_file)
    assert services["web"].get("build") == services["worker"].get("build")
    assert services["web"].get("image") == services["worker"].get("image")


def test_commands(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert _command(services["web"]).startswith("binnr serve --host 0.0.0.0")
    assert _command(services["worker"]).startswith("binnr worker")
    assert "8000" in str(services["web"]["ports"])


def test_shared_broker_and_job_store(compose: dict[str, Any]) -> None:
    services = compose["services"]
    for name in ("web", "worker"):
        env = services[name]["environment"]
        assert env["CELERY_BROKER_URL"].startswith("redis://redis:6379")
        assert env["BINNR_JOB_STORE"].startswith("postgresql+psycopg://")
        assert "@postgres:5432/" in env["BINNR_JOB_STORE"]
        assert {"redis", "postgres"} <= set(services[name]["depends_on"])


def test_env_example_lists_the_settings() -> None:
    text = (ROOT / ".env.example").read_text()
    keys = {
        line.split("=", 1)[0].lstrip("# ").strip()
        for line in text.splitlines()
        if "=" in line and not line.startswith("##")
    }
    expected = {"SNOWFLAKE_CONFIG", "CELERY_BROKER_URL", "CELERY_RESULT_BACKEND", "BINNR_HOME"}
    assert expected <= keys
    assert {"BINNR_JOB_STORE", "BINNR_CELERY_IN_PROCESS", "BINNR_JOB_STALE_SECONDS"} <= keys


def test_dockerfile_installs_postgres_extra() -> None:
    text = (ROOT / "Dockerfile").read_text()
    assert "binnr[postgres]" in text or ".[postgres]" in text
    assert "EXPOSE 8000" in text
