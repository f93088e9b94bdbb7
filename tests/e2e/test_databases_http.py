"""GET /data/tables with odd database names: no file, no broken warehouse (issue 11)."""

from __future__ import annotations

from tests.support.server import Server, assert_error, submit_upload, upload


def test_reserved_database_names_do_not_break_the_warehouse(server: Server) -> None:
    assert upload(server.client, b"a\n1\n", "t")["status"] == "succeeded"
    for name in ("information_schema", "pg_catalog", "system", "main", "temp"):
        response = server.client.get("/data/tables", params={"database": name})
        assert_error(response, 422, name, "database")
        assert_error(submit_upload(server.client, b"a\n1\n", "t", database=name), 422, name)
    assert [t["name"] for t in server.client.get("/data/tables").json()] == ["t", "t__rejects"]
    assert server.client.get("/data/tables/t").json()["rows"] == [{"a": "1"}]
    assert sorted(p.name for p in server.home.glob("*.duckdb")) == ["binnr.duckdb"]


def test_probing_database_names_creates_no_files(server: Server) -> None:
    for i in range(40):
        response = server.client.get("/data/tables", params={"database": f"probe_{i}"})
        assert_error(response, 404, f"probe_{i}")
    assert sorted(p.name for p in server.home.glob("*.duckdb")) == ["binnr.duckdb"]
    job = upload(server.client, b"a\n1\n", "t", database="real_db")
    assert job["status"] == "succeeded", job
    listed = server.client.get("/data/tables", params={"database": "real_db"}).json()
    assert [t["name"] for t in listed] == ["t", "t__rejects"]
