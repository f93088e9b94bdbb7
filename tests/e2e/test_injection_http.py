"""Names and templates from users never reach SQL as code; checks before queuing are precise."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.server import (
    Server,
    assert_error,
    prepare,
    sql,
    start_server,
    submit_upload,
    upload,
)

BAD_NAMES = ["x; DROP TABLE tweets", "a b", '"q"', "../etc", "x" * 300, "t'--", "a.b", ""]
CSV = b"id,text,sentiment,other\n" + b"".join(
    f"{i},tweet {i},{['neg', 'pos', ''][i % 3]},o{i}\n".encode() for i in range(30)
)


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with start_server(tmp_path_factory.mktemp("injection")) as server:
        job = upload(server.client, CSV, "tweets")
        assert job["status"] == "succeeded", job
        yield server


def snapshot(srv: Server) -> tuple[Any, ...]:
    """Tables, the tweets rows and the number of jobs: what must not change."""
    tables = srv.client.get("/data/tables").json()
    rows = sql(srv.client, "SELECT * FROM tweets ORDER BY id")
    jobs = len(srv.client.get("/jobs", params={"limit": 1000}).json())
    return tables, rows, jobs


UPLOAD_CASES = [
    (field, value)
    for field in ("table_name", "database", "schema")
    for value in BAD_NAMES
    if value or field == "table_name"  # an empty database/schema means the default
]


@pytest.mark.parametrize(("field", "value"), UPLOAD_CASES, ids=lambda v: repr(v[:20]))
def test_upload_rejects_bad_names_before_queuing(srv: Server, field: str, value: str) -> None:
    before = snapshot(srv)
    fields = {"table_name": "tweets", field: value}
    table = fields.pop("table_name")
    response = submit_upload(srv.client, b"id\n1\n", table, **fields)
    assert_error(response, 422, field)
    assert snapshot(srv) == before


CLASSIFY = {
    "table_name": "tweets",
    "source_columns": ["text"],
    "target_column": "sentiment",
    "template": "Tweet: {text}",
}


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"table_name": "x; DROP TABLE tweets"}, "not a valid name"),
        ({"table_name": "../etc"}, "not a valid name"),
        ({"table_name": "x" * 300}, "the limit is"),
        ({"database": "a b"}, "'a b' is not a valid name"),
        ({"schema": '"q"'}, "'\"q\"' is not a valid name"),
        ({"source_columns": ['text"; DROP TABLE tweets; --']}, "source_columns"),
        ({"source_columns": ["text", "a b"]}, "source_columns"),
        ({"target_column": "sentiment) OR 1=1 --"}, "target_column"),
        ({"template": "Tweet: {text; DROP TABLE tweets}"}, "Available columns"),
        ({"template": "{'text\"); DROP TABLE tweets; --'}"}, "Available columns"),
        ({"template": "no placeholder at all"}, "names no column"),
        ({"source_columns": []}, "source_columns"),
    ],
    ids=lambda v: str(v)[:30] if isinstance(v, dict) else None,
)
def test_classification_rejects_injection(
    srv: Server, change: dict[str, Any], fragment: str
) -> None:
    before = snapshot(srv)
    response = srv.client.post("/data/create/tables/classification", json={**CLASSIFY, **change})
    assert_error(response, 422, fragment)
    assert snapshot(srv) == before


def test_template_literal_text_is_bound_not_executed(srv: Server) -> None:
    literal = "He said \"hi\" & it's '); DROP TABLE tweets; -- {not a slot"
    template = f"{literal} | {{text}} | ''\"\"; --"
    job = prepare(srv.client, {**CLASSIFY, "template": template})
    assert job["status"] == "succeeded", job
    rows = sql(srv.client, "SELECT text, source FROM tweets_source_target ORDER BY id")
    assert len(rows) == 30
    for row in rows:
        assert row["source"] == f"{literal} | {row['text']} | ''\"\"; --"
    assert len(sql(srv.client, "SELECT * FROM tweets")) == 30


@pytest.mark.parametrize("name", ["x; DROP TABLE tweets", "a b", '"q"'])
def test_browse_routes_validate_names(srv: Server, name: str) -> None:
    assert_error(srv.client.get(f"/data/tables/{name}"), 422)
    assert_error(srv.client.get(f"/data/tables/{name}/download"), 422)
    assert_error(srv.client.get("/data/tables", params={"schema": name}), 422)
    assert len(sql(srv.client, "SELECT * FROM tweets")) == 30


# -- checks before queuing ----------------------------------------------------------------------
def test_unknown_table_is_404(srv: Server) -> None:
    error = assert_error(
        srv.client.post(
            "/data/create/tables/classification", json={**CLASSIFY, "table_name": "nope"}
        ),
        404,
        "nope",
    )
    assert error["type"] == "NotFound"


def test_unknown_column_lists_columns(srv: Server) -> None:
    response = srv.client.post(
        "/data/create/tables/classification",
        json={**CLASSIFY, "source_columns": ["body"], "template": None},
    )
    error = assert_error(response, 422, "body")
    assert error["hint"] == "Available columns: id, text, sentiment, other."
    response = srv.client.post(
        "/data/create/tables/classification", json={**CLASSIFY, "target_column": "label"}
    )
    assert "label" in assert_error(response, 422, "Available columns: id, text")["message"]
    response = srv.client.post(
        "/data/create/tables/classification", json={**CLASSIFY, "template": "T: {body}"}
    )
    assert_error(response, 422, "{body}", "Available columns: id, text, sentiment, other.")


def test_target_among_sources(srv: Server) -> None:
    response = srv.client.post(
        "/data/create/tables/classification",
        json={**CLASSIFY, "source_columns": ["text", "sentiment"], "template": None},
    )
    assert_error(response, 422, "sentiment", "also a source column")


def test_fewer_than_two_labels(srv: Server) -> None:
    sql(srv.client, "CREATE OR REPLACE TABLE one_label AS SELECT * FROM tweets")
    sql(srv.client, "UPDATE one_label SET sentiment = 'pos' WHERE sentiment = 'neg'")
    response = srv.client.post(
        "/data/create/tables/classification", json={**CLASSIFY, "table_name": "one_label"}
    )
    assert_error(response, 422, "1 distinct", "at least 2")
    sql(srv.client, "UPDATE one_label SET sentiment = '  '")
    response = srv.client.post(
        "/data/create/tables/classification", json={**CLASSIFY, "table_name": "one_label"}
    )
    assert_error(response, 422, "0 distinct")


@pytest.mark.parametrize("reserved", ["source", "target"])
def test_existing_source_or_target_column(srv: Server, reserved: str) -> None:
    name = f"has_{reserved}"
    sql(srv.client, f"CREATE OR REPLACE TABLE {name} AS SELECT *, 'x' AS {reserved} FROM tweets")
    response = srv.client.post(
        "/data/create/tables/classification", json={**CLASSIFY, "table_name": name}
    )
    assert_error(response, 422, f"already has column(s) {reserved}", "Rename")
