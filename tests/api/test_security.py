"""API keys, the read-only key, the cross-origin write guard and CORS, on live servers."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest

from tests.support.server import Server, assert_error, start_server

ServerFactory = Callable[..., Server]
CSV = b"id,text,label\n1,good,pos\n2,bad,neg\n"
PUBLIC = ["/healthz", "/docs", "/openapi.json", "/favicon.ico", "/static/swagger/swagger-ui.css"]


@pytest.fixture(scope="module")
def keyed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """Keys from both sources (two in BINNR_API_KEY, one in the file) and a read-only key."""
    home = tmp_path_factory.mktemp("keyed")
    key_file = home / "keys.txt"
    key_file.write_text("\nfile-key\n\n")
    env = {
        "BINNR_API_KEY": "first-key,second-key",
        "BINNR_API_KEY_FILE": str(key_file),
        "BINNR_READ_ONLY_API_KEY": "reader-key",
    }
    with start_server(home, env=env) as srv:
        yield srv


def bare(srv: Server) -> httpx.Client:
    """A client that sends no key."""
    return httpx.Client(base_url=srv.url, timeout=30)


def post_upload(client: httpx.Client, table: str, **headers: str) -> httpx.Response:
    return client.post(
        "/data/upload",
        data={"table_name": table},
        files={"file": ("d.csv", CSV)},
        headers=headers,
    )


def tables(srv: Server) -> list[str]:
    response = srv.client.get("/data/tables")
    assert response.status_code == 200, response.text
    return [t["name"] for t in response.json()]


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/data/tables"), ("GET", "/jobs"), ("POST", "/jobs/x/cancel"), ("GET", "/models")],
)
def test_no_key_is_401_with_the_error_shape(keyed: Server, method: str, path: str) -> None:
    response = bare(keyed).request(method, path)
    error = assert_error(response, 401, "API key", "Authorization: Bearer")
    assert error["type"] == "Unauthorized"
    assert response.headers["www-authenticate"] == "Bearer"


def test_a_wrong_key_is_401_in_either_header(keyed: Server) -> None:
    with bare(keyed) as client:
        for headers in ({"Authorization": "Bearer nope"}, {"X-API-Key": "first-key-"}):
            assert_error(client.get("/data/tables", headers=headers), 401)
        assert_error(client.get("/data/tables", headers={"Authorization": "Basic first-key"}), 401)


@pytest.mark.parametrize("key", ["first-key", "second-key", "file-key"])
def test_every_configured_key_works_in_both_headers(keyed: Server, key: str) -> None:
    with bare(keyed) as client:
        assert client.get("/data/tables", headers={"Authorization": f"Bearer {key}"}).is_success
        assert client.get("/data/tables", headers={"X-API-Key": key}).is_success


@pytest.mark.parametrize("path", ["/", *PUBLIC])
def test_health_docs_and_schema_need_no_key(keyed: Server, path: str) -> None:
    response = bare(keyed).get(path, follow_redirects=False)
    assert response.status_code in (200, 307), (path, response.status_code)


def test_the_schema_offers_both_key_headers(keyed: Server) -> None:
    spec = bare(keyed).get("/openapi.json").json()
    schemes = spec["components"]["securitySchemes"]
    assert schemes["bearer"] == {"type": "http", "scheme": "bearer"}
    assert schemes["apiKey"]["name"] == "X-API-Key"


def test_read_only_key_reads_but_never_writes(keyed: Server) -> None:
    headers = {"X-API-Key": "reader-key"}
    with bare(keyed) as client:
        assert client.get("/data/tables", headers=headers).status_code == 200
        assert client.head("/healthz", headers=headers).status_code in (200, 405)
        error = assert_error(post_upload(client, "ro_table", **headers), 403, "read-only")
        assert error["type"] == "Forbidden"
        assert_error(client.post("/jobs/x/cancel", headers=headers), 403, "read-only")
    assert "ro_table" not in tables(keyed)


def test_the_full_key_writes(keyed: Server) -> None:
    response = post_upload(keyed.client, "rw_table")
    assert response.status_code == 202, response.text


def test_a_form_post_from_another_site_creates_no_table(server: Server) -> None:
    """Without any key: the CSRF guard alone stops a web page's form aimed at localhost."""
    with bare(server) as client:
        response = post_upload(client, "evil", Origin="http://evil.example")
        error = assert_error(response, 403, "Cross-origin", "BINNR_CORS_ORIGINS")
        assert error["type"] == "Forbidden"
        assert_error(post_upload(client, "evil", Origin="null"), 403)
        # The server's own origin (Swagger UI's "Try it out") and no Origin (curl) work.
        assert post_upload(client, "mine", Origin=server.url).status_code == 202
        assert post_upload(client, "plain").status_code == 202
    assert "evil" not in tables(server)


def test_cors_is_off_by_default(server: Server) -> None:
    response = bare(server).get("/healthz", headers={"Origin": "http://app.example"})
    assert "access-control-allow-origin" not in response.headers


def test_listed_origins_get_cors_and_may_write(server_factory: ServerFactory) -> None:
    srv = server_factory(env={"BINNR_CORS_ORIGINS": "http://app.example", "BINNR_API_KEY": "k"})
    with bare(srv) as client:
        preflight = client.options(
            "/data/upload",
            headers={
                "Origin": "http://app.example",
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "authorization",
            },
        )
        assert preflight.status_code == 200, preflight.text
        assert preflight.headers["access-control-allow-origin"] == "http://app.example"
        other = client.get("/healthz", headers={"Origin": "http://evil.example"})
        assert "access-control-allow-origin" not in other.headers
        allowed = post_upload(
            client, "from_app", Origin="http://app.example", Authorization="Bearer k"
        )
        assert allowed.status_code == 202, allowed.text
        assert allowed.headers["access-control-allow-origin"] == "http://app.example"
        assert_error(post_upload(client, "x", Origin="http://evil.example"), 403)
