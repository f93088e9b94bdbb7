"""Item 9: a request cannot make the server load, or tell apart, paths outside the model roots."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.server import Server, assert_error, prepare, start_server, upload

CSV = b"id,text,sentiment\n" + b"".join(
    f"{i},tweet {i},{['pos', 'neg', ''][i % 3]}\n".encode() for i in range(30)
)
PROBES = ["/etc/ssl", "/root", "~", "/tmp", "/no/such/folder"]


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with start_server(tmp_path_factory.mktemp("paths")) as server:
        assert upload(server.client, CSV, "t")["status"] == "succeeded"
        body = {"table_name": "t", "source_columns": ["text"], "target_column": "sentiment"}
        assert prepare(server.client, body)["status"] == "succeeded"
        yield server


def _same_for_all(srv: Server, path: str, field: str, base: dict[str, object]) -> str:
    texts = set()
    for name in PROBES:
        response = srv.client.post(path, json={**base, field: name})
        error = assert_error(response, 422)
        texts.add(f"{error['message']} {error['hint']}".replace(repr(name), "<name>"))
    assert len(texts) == 1, texts
    return texts.pop()


def test_llm_model_type_paths_are_refused_alike(srv: Server) -> None:
    body = {"training_table": "t_source_target_train", "target_column": "sentiment"}
    text = _same_for_all(srv, "/classification/llm/train", "model_type", body)
    assert "BINNR_MODEL_ROOTS" in text and str(srv.home) not in text


def test_embedding_model_paths_are_refused_alike(srv: Server) -> None:
    body = {"input_table": "t_source_target"}
    text = _same_for_all(srv, "/classification/embeddings/cluster", "embedding_model", body)
    assert "was not found" in text and str(srv.home) not in text


def test_free_prompt_model_paths_are_refused(srv: Server) -> None:
    for name in ("/etc/ssl", "/no/such/folder"):
        response = srv.client.get(
            "/classification/llm/response", params={"llm_prompt": "hi", "model_name": name}
        )
        assert_error(response, 422)
