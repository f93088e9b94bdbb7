"""The ``binnr`` console script against a running server (``--url``), as subprocesses."""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.server import Server, binnr_exe, free_port, server_env, start_server

LABELS = ["negative", "neutral", "positive"]
CSV = "textID,text,sentiment\n" + "".join(
    f"id{i},tweet number {i},{LABELS[i % 3] if i % 10 else ''}\n" for i in range(60)
)


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with start_server(tmp_path_factory.mktemp("cli")) as server:
        yield server


@pytest.fixture(scope="module")
def csv_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cli-data") / "tweets.csv"
    path.write_text(CSV)
    return path


def binnr(srv: Server, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run ``binnr <args> --url <server>``; output captured as text."""
    env = server_env(srv.home / "cli-home", {"COLUMNS": "250", "NO_COLOR": "1", "TERM": "dumb"})
    return subprocess.run(
        [binnr_exe(), *args, "--url", srv.url],
        env=env,
        cwd=str(srv.home),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, (result.returncode, result.stdout, result.stderr)
    return result.stdout


def test_upload_waits_and_prints_the_result(srv: Server, csv_file: Path) -> None:
    out = ok(binnr(srv, "upload", str(csv_file), "--table", "tweets"))
    result = json.loads(out[out.index("{") :])
    assert result["table"] == "tweets" and result["rows_loaded"] == 60
    assert {"original": "textID", "column": "textid"} in result["columns"]


def test_upload_no_wait_prints_the_task_id(srv: Server, csv_file: Path) -> None:
    out = ok(binnr(srv, "upload", str(csv_file), "-t", "tweets_nowait", "--no-wait"))
    match = re.search(r"task_id: ([0-9a-f]{32})", out)
    assert match, out
    watched = ok(binnr(srv, "jobs", match.group(1), "--watch"))
    assert json.loads(watched[watched.index("{") :])["table"] == "tweets_nowait"


def test_sql_prepare_tables_show(srv: Server, csv_file: Path) -> None:
    ok(binnr(srv, "upload", str(csv_file), "--table", "cli_t"))
    assert "OK" in ok(binnr(srv, "sql", "UPDATE cli_t SET text = upper(text) WHERE textid = 'id1'"))
    out = ok(binnr(srv, "sql", "SELECT textid, text FROM cli_t WHERE textid = 'id1'"))
    assert "id1" in out and "TWEET NUMBER 1" in out

    out = ok(
        binnr(
            srv,
            "prepare",
            "-t",
            "cli_t",
            "-s",
            "text",
            "--target",
            "sentiment",
            "--template",
            "Tweet: {text}",
            "--validation",
        )
    )
    result = json.loads(out[out.index("{") :])
    rows = {t["role"]: t["rows"] for t in result["tables"]}
    assert rows["source_target"] == 60 and rows["predict"] == 6
    assert rows["train"] + rows["validation"] == 54 and rows["validation"] > 0
    assert [x["label"] for x in result["labels"]] == LABELS

    out = ok(binnr(srv, "tables"))
    for name in ("cli_t", "cli_t_source_target", "cli_t_source_target_validation"):
        assert re.search(rf"\b{name}\b", out), out
    assert re.search(r"cli_t_source_target_predict\s*│\s*6\b", out), out

    out = ok(binnr(srv, "show", "cli_t_source_target", "--limit", "2"))
    assert "cli_t_source_target (60 rows)" in out
    assert re.search(r"Tweet: (tweet number|TWEET NUMBER) \d+", out), out
    out = ok(binnr(srv, "show", "cli_t", "--limit", "1", "--offset", "5"))
    assert "id5" in out and "id4" not in out


def test_jobs_list_and_one(srv: Server, csv_file: Path) -> None:
    ok(binnr(srv, "upload", str(csv_file), "--table", "jobs_t"))
    out = ok(binnr(srv, "jobs", "--limit", "50"))
    ids = re.findall(r"\b[0-9a-f]{32}\b", out)
    assert ids and "upload" in out and "succeeded" in out
    detail = json.loads(ok(binnr(srv, "jobs", ids[0])))
    assert detail["task_id"] == ids[0] and detail["status"] == "succeeded"
    watched = ok(binnr(srv, "jobs", ids[0], "--watch"))
    assert watched.strip().endswith("}")


def test_errors_exit_non_zero_with_a_message(srv: Server, csv_file: Path) -> None:
    result = binnr(srv, "show", "no_such_table")
    assert result.returncode == 1
    assert "404" in result.stderr and "no_such_table" in result.stderr
    assert "Hint:" in result.stderr

    result = binnr(srv, "upload", str(csv_file), "--table", "bad name")
    assert result.returncode == 1 and "422" in result.stderr

    header_only = csv_file.parent / "header_only.csv"
    header_only.write_text("a,b\n")
    result = binnr(srv, "upload", str(header_only), "--table", "ho")
    assert result.returncode == 1 and "failed" in result.stderr
    assert "no data rows" in result.stderr

    result = binnr(srv, "prepare", "-t", "tweets", "-s", "nope", "--target", "sentiment")
    assert result.returncode == 1 and "Available columns" in result.stderr


def test_unreachable_server_exits_2(tmp_path: Path) -> None:
    result = subprocess.run(
        [binnr_exe(), "tables", "--url", f"http://127.0.0.1:{free_port()}"],
        env=server_env(tmp_path),
        cwd=str(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2 and "Cannot reach binnr" in result.stderr
