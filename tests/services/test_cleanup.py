"""Leftovers of killed jobs: temporary uploads and staging tables (real DuckDB, real store)."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from binnr.backends.duckdb.warehouse import DuckDBWarehouse
from binnr.jobs.celery_app import run_sweep
from binnr.jobs.store import JobStore
from binnr.services.cleanup import startup_sweep, sweep_leftovers
from binnr.services.job_table import JOB_KINDS
from binnr.settings import Settings


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(home=tmp_path)


@pytest.fixture
def wh(settings: Settings) -> Iterator[DuckDBWarehouse]:
    warehouse = DuckDBWarehouse(settings.duckdb_path)
    yield warehouse
    warehouse.close()


def leftovers(settings: Settings, wh: DuckDBWarehouse, *names: str) -> None:
    settings.uploads_dir.mkdir(parents=True, exist_ok=True)
    for name in names:
        (settings.uploads_dir / name).write_bytes(b"a,b\n" * 1000)
    stg = wh.staging(wh.ref("tweets"))
    wh.execute(wh.render("CREATE TABLE {t} (a INTEGER)", t=stg))


def staging_left(wh: DuckDBWarehouse) -> list[str]:
    return [t.name for t in wh.staging_tables()]


def test_no_active_job_everything_goes(settings: Settings, wh: DuckDBWarehouse) -> None:
    leftovers(settings, wh, "upload-1.csv", "upload-2.csv.utf8")
    wh.execute("CREATE TABLE keep_me (a INTEGER)")
    cleaned = sweep_leftovers(settings, [], warehouse=wh)
    assert cleaned.files == ["upload-1.csv", "upload-2.csv.utf8"]
    assert len(cleaned.tables) == 1 and "__stg_" in cleaned.tables[0]
    assert list(settings.uploads_dir.iterdir()) == [] and staging_left(wh) == []
    assert wh.table_exists(wh.ref("keep_me"))


def test_what_active_jobs_use_is_kept(settings: Settings, wh: DuckDBWarehouse) -> None:
    store = JobStore(f"sqlite:///{settings.home / 'jobs.sqlite3'}")
    leftovers(settings, wh, "upload-live.csv", "upload-live.csv.utf8", "upload-dead.csv")
    store.create(kind="upload", params={"path": str(settings.uploads_dir / "upload-live.csv")})
    cleaned = sweep_leftovers(settings, store.active(), warehouse=wh)
    assert cleaned.files == ["upload-dead.csv"] and cleaned.tables == []
    assert sorted(p.name for p in settings.uploads_dir.iterdir()) == [
        "upload-live.csv",
        "upload-live.csv.utf8",
    ]
    assert len(staging_left(wh)) == 1  # a running job may still publish it


def test_recent_files_survive_a_sweep_with_a_grace_period(
    settings: Settings, wh: DuckDBWarehouse
) -> None:
    leftovers(settings, wh, "upload-new.csv", "upload-old.csv")
    old = time.time() - 3 * 3600
    os.utime(settings.uploads_dir / "upload-old.csv", (old, old))
    cleaned = sweep_leftovers(settings, [], min_age_s=3600, warehouse=wh)
    assert cleaned.files == ["upload-old.csv"]


def test_startup_sweep_with_celery_keeps_fresh_uploads(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path, celery_broker_url="redis://unused")
    store = JobStore(f"sqlite:///{tmp_path / 'jobs.sqlite3'}")
    store.create(kind="sleep", params={})  # keeps the warehouse out of this test
    settings.uploads_dir.mkdir(parents=True)
    (settings.uploads_dir / "upload-streaming.csv").write_bytes(b"a\n")
    assert startup_sweep(settings, store.active()).files == []


def test_the_worker_reaper_runs_the_job_tables_sweep(settings: Settings) -> None:
    store = JobStore(f"sqlite:///{settings.home / 'jobs.sqlite3'}")
    settings.uploads_dir.mkdir(parents=True)
    stale = settings.uploads_dir / "upload-stale.csv"
    stale.write_bytes(b"a\n")
    old = time.time() - 2 * 3600
    os.utime(stale, (old, old))
    store.create(kind="sleep", params={})  # an active job: staging tables are left alone
    run_sweep(JOB_KINDS, settings, store)
    assert not stale.exists()


def test_staging_tables_in_other_database_files_go_too(settings: Settings) -> None:
    first = DuckDBWarehouse(settings.duckdb_path)
    ref = first.staging(first.ref("t", database="other"))
    first.ensure_schema(ref)
    first.execute(first.render("CREATE TABLE {t} (a INTEGER)", t=ref))
    first.close()
    again = DuckDBWarehouse(settings.duckdb_path)  # a restart: "other" is not attached
    try:
        assert sweep_leftovers(settings, [], warehouse=again).tables == [str(ref)]
        assert again.staging_tables() == []
    finally:
        again.close()
