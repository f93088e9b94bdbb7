"""A real PostgreSQL for the job-store tests (the ``postgres_url`` fixture).

``BINNR_TEST_POSTGRES_URL`` if set (a SQLAlchemy URL whose user may create schemas), else a
throw-away cluster: Debian's ``initdb`` and ``pg_ctl`` from ``/usr/lib/postgresql/*/bin``, trust
authentication, a free port on 127.0.0.1, a temporary data folder, no fsync. PostgreSQL refuses
to run as root, so under root (CI) the cluster runs as the ``postgres`` OS user the Debian
package creates. Without PostgreSQL the tests skip with the reason, except under ``CI``, where
they fail: CI installs it.

Each store gets its own schema (:func:`fresh_schema_url`), so tests never see each other's jobs.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.support.server import free_port

ENV_URL = "BINNR_TEST_POSTGRES_URL"
OS_USER = "postgres"
DB_USER = "binnr"


def pg_bin() -> Path | None:
    """The newest installed PostgreSQL's ``bin`` folder (Debian layout), or None."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=_version)
    return Path(found[-1]).parent if found else None


def _version(path: str) -> float:
    try:
        return float(Path(path).parts[-3])
    except ValueError:
        return 0.0


def unavailable(reason: str) -> None:
    """Skip with ``reason``; under ``CI`` fail instead (CI must run these tests)."""
    message = f"{reason}: install Debian's postgresql package or set {ENV_URL}"
    if os.environ.get("CI"):
        pytest.fail(f"CI is set and PostgreSQL is missing. {message}", pytrace=False)
    pytest.skip(message)


def _as_owner(cmd: list[str]) -> list[str]:
    """``cmd`` as the ``postgres`` OS user when running as root (PostgreSQL refuses root)."""
    if os.geteuid() != 0:
        return cmd
    try:
        pwd.getpwnam(OS_USER)
    except KeyError:
        pytest.fail(f"running as root and there is no {OS_USER!r} user to run PostgreSQL as")
    return ["runuser", "-u", OS_USER, "--", *cmd]


def _run(cmd: list[str]) -> None:
    # cwd: the postgres user may not be allowed into the checkout.
    done = subprocess.run(
        _as_owner(cmd), capture_output=True, text=True, timeout=120, cwd=tempfile.gettempdir()
    )
    if done.returncode != 0:
        output = f"{done.stdout}{done.stderr}"
        raise RuntimeError(f"{' '.join(cmd)} failed ({done.returncode}):\n{output}")


@contextlib.contextmanager
def temporary_cluster(bin_dir: Path) -> Iterator[str]:
    """initdb + pg_ctl start in a temp folder; yields the URL; stops and removes it after."""
    root = Path(tempfile.mkdtemp(prefix="binnr-pg-"))
    if os.geteuid() == 0:
        shutil.chown(root, user=OS_USER)
    data, port = root / "data", free_port()
    try:
        _run([str(bin_dir / "initdb"), "-D", str(data), "-A", "trust", "-U", DB_USER, "--no-sync"])
        options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off"
        log = root / "postgres.log"
        _run([str(bin_dir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(log), "-w",
              "start"])  # fmt: skip
        yield f"postgresql+psycopg://{DB_USER}@127.0.0.1:{port}/postgres"
    finally:
        if (data / "postmaster.pid").exists():
            with contextlib.suppress(RuntimeError, subprocess.TimeoutExpired):
                _run([str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"])
        shutil.rmtree(root, ignore_errors=True)


def fresh_schema_url(url: str) -> str:
    """A new, empty schema on ``url``'s server; the URL that uses it (``search_path``)."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    finally:
        engine.dispose()
    joiner = "&" if "?" in url else "?"
    return f"{url}{joiner}options=-csearch_path%3D{schema}"


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A PostgreSQL server's SQLAlchemy URL (psycopg 3): given, or a private cluster."""
    try:
        import psycopg  # noqa: F401
    except ImportError:
        unavailable("psycopg is not installed (pip install -e '.[dev]')")
    if os.environ.get(ENV_URL):
        yield os.environ[ENV_URL]
        return
    bin_dir = pg_bin()
    if bin_dir is None:
        unavailable("PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb)")
        return
    with temporary_cluster(bin_dir) as url:
        yield url


@pytest.fixture
def postgres_schema_url(postgres_url: str) -> str:
    """A fresh schema for one test."""
    return fresh_schema_url(postgres_url)
