"""Malformed and alternative upload files: reconciled counts, clear failures, atomic replace."""

from __future__ import annotations

import gzip
import io
import json
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.support.malformed import CORPUS, Case
from tests.support.server import (
    Server,
    assert_error,
    sql,
    start_server,
    submit_upload,
    upload,
    wait_job,
)


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with start_server(tmp_path_factory.mktemp("malformed")) as server:
        yield server


def uploads_left(server: Server) -> list[str]:
    folder = server.home / "uploads"
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


LOADS = {
    "bom": b"\xef\xbb\xbfName,Text\na,b\nc,d\n",
    "ragged": b"a,b,c\n1,2,3\n1,2\n1,2,3,4\n5,6,7\n",
    "dup_blank_headers": b"x,X, ,x,\n1,2,3,4,5\n",
    "quoted_newlines": b'a,b\n1,"line1\nline2"\n2,"say ""hi"""\n',
}
OUTCOMES: dict[str, tuple[str, str]] = {}


@pytest.mark.parametrize("case", CORPUS, ids=[c.kind for c in CORPUS])
def test_corpus(srv: Server, case: Case) -> None:
    """Every file kind ends in a full, reconciled load, a named failure or a 4xx."""
    table = f"corpus_{case.kind}"
    response = submit_upload(srv.client, case.data, table, filename=case.filename, **case.fields)
    if case.status is not None:
        error = assert_error(response, case.status, case.fails or "")
        assert "Fix the named field" not in error["hint"], error
        assert uploads_left(srv) == []
        OUTCOMES[case.kind] = (case.expected(), f"HTTP {case.status}: {error['message']}")
        return
    assert response.status_code == 202, response.text
    job = wait_job(srv.client, response.json()["task_id"])
    if case.fails is not None:
        assert job["status"] == "failed", job
        error = job["error"]
        assert case.fails in error["message"], error
        assert error["hint"] and error["type"] in ("InvalidInput", "FileProblem"), error
        assert "Fix the named field" not in error["hint"], error
        assert str(srv.home) not in error["message"] and "uploads/" not in error["message"]
        assert table not in [t["name"] for t in srv.client.get("/data/tables").json()]
        OUTCOMES[case.kind] = (case.expected(), f"failed: {error['message']}")
        return
    assert job["status"] == "succeeded", job
    result = job["result"]
    assert result["rows_loaded"] + result["rows_rejected"] == case.records, result
    assert result["format"] == case.format
    columns = srv.client.get(f"/data/tables/{table}").json()["columns"]
    assert not any("\x00" in c for c in columns), columns
    if case.columns is not None:
        assert tuple(columns) == case.columns
    rows = sql(srv.client, f"SELECT * FROM {table}")
    assert len(rows) == result["rows_loaded"]
    assert not any("\x00" in str(v) for r in rows for v in r.values()), rows
    OUTCOMES[case.kind] = (
        case.expected(),
        f"loaded {result['rows_loaded']}, rejected {result['rows_rejected']}",
    )


def test_corpus_table_is_printed() -> None:
    """Prints the table ``file kind → outcome`` (run with -s); ≥ 20 kinds."""
    assert len(CORPUS) >= 20
    width = max(len(c.kind) for c in CORPUS)
    print(f"\n{'file kind':<{width}} | outcome")
    for case in CORPUS:
        seen = OUTCOMES.get(case.kind, ("", "not run"))[1]
        print(f"{case.kind:<{width}} | {seen}")


def test_encodings_and_delimiters_give_clean_values(srv: Server) -> None:
    by_kind = {c.kind: c for c in CORPUS}
    for kind, table, expected in [
        ("utf16_le_bom", "enc16", {"a": "foo", "b": "bär"}),
        ("latin1_declared", "enc_l1", {"a": "1", "b": "café"}),
        ("cp1252_declared", "enc_1252", {"a": "1", "b": "5 €"}),
        ("semicolon_delimited", "semis", {"a": "1", "b": "2", "c": "3"}),
    ]:
        case = by_kind[kind]
        job = upload(srv.client, case.data, table, **case.fields)
        assert job["status"] == "succeeded", job
        assert sql(srv.client, f"SELECT * FROM {table} LIMIT 1") == [expected]
    assert sql(srv.client, "SELECT b FROM semis WHERE a = '4'") == [{"b": "5,5"}]


def test_unterminated_quote_names_the_line_and_keeps_the_old_table(srv: Server) -> None:
    assert upload(srv.client, b"a,b\n1,x\n", "unterm")["status"] == "succeeded"
    job = upload(srv.client, next(c for c in CORPUS if "10k" in c.kind).data, "unterm")
    assert job["status"] == "failed"
    assert "Line 7" in job["error"]["message"]
    assert "quote on line 7" in job["error"]["hint"]
    assert sql(srv.client, "SELECT * FROM unterm") == [{"a": "1", "b": "x"}]


def test_cut_raw_is_flagged(srv: Server) -> None:
    case = next(c for c in CORPUS if c.kind == "rejected_line_over_10k_chars")
    job = upload(srv.client, case.data, "longraw")
    assert job["result"]["rows_rejected"] == 1
    assert job["result"]["sample_errors"][0]["raw_truncated"] is True
    reject = sql(srv.client, "SELECT raw, reason FROM longraw__rejects")[0]
    assert len(reject["raw"]) == 10_000 and "raw is cut" in reject["reason"]
    ragged = upload(srv.client, LOADS["ragged"], "shortraw")
    assert not any(e["raw_truncated"] for e in ragged["result"]["sample_errors"])
    assert "cut" not in json.dumps(sql(srv.client, "SELECT reason FROM shortraw__rejects"))


def test_all_rejected_upload_keeps_the_good_table(srv: Server) -> None:
    good = b"a,b\n" + "".join(f"{i},t{i}\n" for i in range(10_000)).encode()
    assert upload(srv.client, good, "keepgood")["result"]["rows_loaded"] == 10_000
    bad = b"a,b\n" + b"1,2,3\n" * 50
    job = upload(srv.client, bad, "keepgood")
    assert job["status"] == "failed", job
    assert "Every one of the 50 data rows" in job["error"]["message"]
    assert "line 2" in job["error"]["message"] and "TOO MANY COLUMNS" in job["error"]["message"]
    assert sql(srv.client, "SELECT COUNT(*) AS n FROM keepgood") == [{"n": 10_000}]
    assert uploads_left(srv) == []


def test_bom_is_not_part_of_the_first_header(srv: Server) -> None:
    job = upload(srv.client, LOADS["bom"], "bom2")
    assert [c["column"] for c in job["result"]["columns"]] == ["name", "text"]
    assert [c["original"] for c in job["result"]["columns"]] == ["Name", "Text"]
    assert sql(srv.client, "SELECT name, text FROM bom2 ORDER BY name") == [
        {"name": "a", "text": "b"},
        {"name": "c", "text": "d"},
    ]


def test_ragged_rows_are_rejected_with_line_and_reason(srv: Server) -> None:
    job = upload(srv.client, LOADS["ragged"], "ragged2")
    assert job["result"]["rows_loaded"] == 2 and job["result"]["rows_rejected"] == 2
    rejects = sql(srv.client, "SELECT line, raw, reason FROM ragged2__rejects ORDER BY line")
    assert [(r["line"], r["raw"]) for r in rejects] == [(3, "1,2"), (4, "1,2,3,4")]
    assert "MISSING COLUMNS" in rejects[0]["reason"]
    assert "TOO MANY COLUMNS" in rejects[1]["reason"]
    assert [e["line"] for e in job["result"]["sample_errors"]] == [3, 4]


def test_duplicate_and_blank_headers(srv: Server) -> None:
    job = upload(srv.client, LOADS["dup_blank_headers"], "dups")
    assert job["result"]["columns"] == [
        {"original": "x", "column": "x"},
        {"original": "X", "column": "x_2"},
        {"original": " ", "column": "col_3"},
        {"original": "x", "column": "x_3"},
        {"original": "", "column": "col_5"},
    ]
    assert sql(srv.client, "SELECT * FROM dups") == [
        {"x": "1", "x_2": "2", "col_3": "3", "x_3": "4", "col_5": "5"}
    ]


def test_quoted_values_survive(srv: Server) -> None:
    upload(srv.client, LOADS["quoted_newlines"], "quoted")
    assert sql(srv.client, "SELECT b FROM quoted ORDER BY a") == [
        {"b": "line1\nline2"},
        {"b": 'say "hi"'},
    ]


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        (b"", "empty"),
        (b"a,b\n", "no data rows"),
        (b"a,b\r\n", "no data rows"),
        (b"\n\n", "no header"),
    ],
    ids=["empty", "header_only", "header_only_crlf", "blank_lines_only"],
)
def test_unloadable_csv_fails_the_job_clearly(srv: Server, data: bytes, fragment: str) -> None:
    job = upload(srv.client, data, "never")
    assert job["status"] == "failed", job
    assert fragment in job["error"]["message"]
    assert job["error"]["hint"] and job["error"]["type"] == "InvalidInput"
    assert job["result"] is None
    names = [t["name"] for t in srv.client.get("/data/tables").json()]
    assert "never" not in names and "never__rejects" not in names
    assert not any(n.startswith("__stg_") for n in names)


def test_corrupt_parquet_fails_with_readable_message(srv: Server) -> None:
    job = upload(srv.client, b"this is not parquet", "badpq", filename="x.parquet")
    assert job["status"] == "failed"
    assert "parquet" in job["error"]["message"].lower()


# -- other formats -----------------------------------------------------------------------------
CSV = b"id,Text,label\n" + b"".join(f"{i},hello {i},{'ab'[i % 2]}\n".encode() for i in range(50))


def test_csv_gz_upload(srv: Server) -> None:
    job = upload(srv.client, gzip.compress(CSV), "gz", filename="data.csv.gz")
    assert job["status"] == "succeeded", job
    assert job["result"]["rows_loaded"] == 50 and job["result"]["format"] == "csv"
    assert sql(srv.client, "SELECT text FROM gz WHERE id = '7'") == [{"text": "hello 7"}]


def test_parquet_upload_text_and_inferred(srv: Server) -> None:
    buf = io.BytesIO()
    big = 123456789012345678
    pq.write_table(pa.table({"id": [1, 2, 3], "Text": ["a", None, "c"], "big": [big] * 3}), buf)
    job = upload(srv.client, buf.getvalue(), "pq", filename="data.parquet")
    assert job["status"] == "succeeded", job
    assert job["result"]["format"] == "parquet" and job["result"]["rows_loaded"] == 3
    rows = sql(srv.client, "SELECT * FROM pq ORDER BY id")
    assert rows[1] == {"id": "2", "text": None, "big": str(big)}  # text columns by default
    job = upload(srv.client, buf.getvalue(), "pqi", filename="data.parquet", infer_types="true")
    types = {r["column_name"]: r["column_type"] for r in sql(srv.client, "DESCRIBE pqi")}
    assert types == {"id": "BIGINT", "text": "VARCHAR", "big": "BIGINT"}


def test_jsonl_upload(srv: Server) -> None:
    lines = [{"id": 1, "Text": "a"}, {"id": 2, "Text": 'b "q"', "extra": True}]
    data = "".join(json.dumps(x) + "\n" for x in lines).encode()
    job = upload(srv.client, data, "jl", filename="data.jsonl")
    assert job["status"] == "succeeded", job
    assert [c["column"] for c in job["result"]["columns"]] == ["id", "text", "extra"]
    assert sql(srv.client, "SELECT * FROM jl ORDER BY id") == [
        {"id": "1", "text": "a", "extra": None},
        {"id": "2", "text": 'b "q"', "extra": "true"},
    ]
    bad = upload(srv.client, b'{"a": 1}\nnot json\n', "jl_bad", filename="data.jsonl")
    assert bad["status"] == "failed" and "Line 2" in bad["error"]["message"]


# -- atomic replace and temp files --------------------------------------------------------------
def test_failed_reupload_leaves_previous_table(srv: Server) -> None:
    first = upload(srv.client, b"a,b\n1,x\n2,y\n3,z\n", "keep")
    assert first["status"] == "succeeded"
    before = sql(srv.client, "SELECT * FROM keep ORDER BY a")
    for data, name in [
        (b"a,b\n", "x.csv"),  # fails after the header is read
        (b"".join(b'{"a": 1}\n' for _ in range(1200)) + b"nope\n", "x.jsonl"),  # fails in load
        (b"junk", "x.parquet"),  # fails reading the header
    ]:
        job = upload(srv.client, data, "keep", filename=name)
        assert job["status"] == "failed", job
        assert sql(srv.client, "SELECT * FROM keep ORDER BY a") == before
        assert sql(srv.client, "SELECT COUNT(*) AS n FROM keep__rejects") == [{"n": 0}]
    names = [t["name"] for t in srv.client.get("/data/tables").json()]
    assert not any(n.startswith("__stg_") for n in names)
    assert "__stg_" not in json.dumps(sql(srv.client, "SELECT table_name FROM duckdb_tables()"))
    replaced = upload(srv.client, b"c\nnew\n", "keep")
    assert replaced["status"] == "succeeded"
    assert sql(srv.client, "SELECT * FROM keep") == [{"c": "new"}]


def test_temp_upload_file_removed_after_success_and_failure(srv: Server) -> None:
    """Every upload file under BINNR_HOME/uploads is gone once its job has ended."""
    ok = upload(srv.client, b"a\n1\n", "tmpcheck")
    assert ok["status"] == "succeeded"
    assert not Path(ok["params"]["path"]).exists()
    assert uploads_left(srv) == []
    bad = upload(srv.client, b"a\n", "tmpcheck")
    assert bad["status"] == "failed"
    assert not Path(bad["params"]["path"]).exists()
    assert uploads_left(srv) == []
    # refused before queuing (table_name checked after the file part arrived)
    response = srv.client.post(
        "/data/upload",
        files=[("file", ("a.csv", b"a\n1\n")), ("table_name", (None, "x; DROP TABLE t"))],
    )
    assert_error(response, 422, "table_name")
    assert uploads_left(srv) == []


def test_upload_size_limit(tmp_path: Path) -> None:
    with start_server(tmp_path / "home", env={"BINNR_MAX_UPLOAD_MB": "1"}) as server:
        line = b"x" * 100 + b",y\n"
        big = b"a,b\n" + line * (2 * 1024 * 1024 // len(line))
        error = assert_error(submit_upload(server.client, big, "big"), 413, "1 MB")
        assert error["type"] == "TooLarge"
        # without a Content-Length the limit is enforced while streaming
        boundary = "binnrtestboundary"
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="table_name"\r\n\r\nbig\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
            f'filename="big.csv"\r\nContent-Type: text/csv\r\n\r\n'
        ).encode()
        tail = f"\r\n--{boundary}--\r\n".encode()

        def chunks() -> Iterator[bytes]:
            yield head
            for i in range(0, len(big), 64 * 1024):
                yield big[i : i + 64 * 1024]
            yield tail

        response = server.client.post(
            "/data/upload",
            content=chunks(),
            headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
        )
        assert_error(response, 413, "1 MB")
        assert server.client.get("/jobs").json() == []
        small = upload(server.client, b"a,b\n" + line * 1000, "small")
        assert small["status"] == "succeeded" and small["result"]["rows_loaded"] == 1000
        assert uploads_left(server) == []  # nothing left behind by the refused uploads
