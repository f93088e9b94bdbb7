"""The openai provider against a real HTTP server on 127.0.0.1 (http.server in a thread)."""

from __future__ import annotations

import json
import logging
import socket
import threading
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from binnr.errors import InvalidInput, ModelError, NotSupported
from binnr.models.llm import FinetuneOptions, parse_label, resolve_model_type
from binnr.models.llm.openai import OpenAIClient
from binnr.services.llm.in_process import OpenAIProvider
from binnr.settings import Settings

KEY = "sk-test-secret-123"
LABELS = ["negative", "neutral", "positive"]


class FakeServer(ThreadingHTTPServer):
    calls: Counter[str]
    auth: set[str]
    lock: threading.Lock


class Handler(BaseHTTPRequestHandler):
    """POST /v1/chat/completions; the row text picks the behaviour."""

    server: FakeServer

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        text = body["messages"][-1]["content"]
        with self.server.lock:
            self.server.calls[text] += 1
            calls = self.server.calls[text]
            self.server.auth.add(self.headers.get("Authorization", ""))
        if self.path != "/v1/chat/completions" or body["model"] == "missing":
            return self._send(404, {"error": {"message": "model not found"}})
        if self.headers.get("Authorization") != f"Bearer {KEY}":
            return self._send(401, {"error": "bad key"})
        if "RATE" in text and calls == 1:
            return self._send(429, {"error": "slow down"}, {"Retry-After": "0"})
        if "FLAKY" in text and calls <= 2:
            return self._send(503, {"error": "busy"})
        if "DOWN" in text:
            return self._send(503, {"error": "down"})
        if "BROKEN" in text:
            return self._send(200, b"{not json")
        if "EMPTY" in text:
            return self._send(200, {"choices": []})
        if "Classify" not in text:
            answer = f"echo: {text}"
        elif "CHATTY" in text:
            answer = "I think the answer is **Positive**."
        elif "good" in text:
            answer = "positive"
        elif "meh" in text:
            answer = "Neutral"
        else:
            answer = "negative"
        self._send(200, {"choices": [{"message": {"role": "assistant", "content": answer}}]})

    def _send(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        self.send_response(status)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        return None


@pytest.fixture
def server() -> Iterator[FakeServer]:
    srv = FakeServer(("127.0.0.1", 0), Handler)
    srv.calls, srv.auth, srv.lock = Counter(), set(), threading.Lock()
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()


def make(server: FakeServer, tmp_path: Path, **kwargs: Any) -> OpenAIClient:
    settings = Settings(
        home=tmp_path,
        openai_base_url=f"http://127.0.0.1:{server.server_address[1]}/v1/",
        openai_api_key=KEY,
        openai_model="tiny-chat",
    )
    return OpenAIClient(settings=settings, backoff=0.01, **kwargs)


def test_classify_keeps_order_retries_and_row_errors(
    server: FakeServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    prompts = ["good RATE", "bad day", "BROKEN", "EMPTY", "meh FLAKY", "CHATTY", "good"]
    results = make(server, tmp_path).classify(
        model_dir_or_name=None, prompts=prompts, labels=LABELS
    )
    assert [r.label for r in results] == [
        "positive", "negative", None, None, "neutral", "positive", "positive",
    ]  # fmt: skip
    assert results[2].error and "malformed JSON" in results[2].error
    assert results[3].error and "without choices" in results[3].error
    assert results[5].response == "I think the answer is **Positive**."
    assert all(r.error is None for i, r in enumerate(results) if i not in (2, 3))
    rate_calls = [n for text, n in server.calls.items() if "good RATE" in text]
    assert rate_calls == [2]  # one 429, then success
    assert [n for text, n in server.calls.items() if "FLAKY" in text] == [3]
    assert server.auth == {f"Bearer {KEY}"}
    assert KEY not in caplog.text


def test_exhausted_retries_become_row_errors(server: FakeServer, tmp_path: Path) -> None:
    results = make(server, tmp_path, max_retries=1).classify(
        model_dir_or_name="tiny-chat", prompts=["DOWN", "good"], labels=LABELS
    )
    assert results[0].label is None and "HTTP 503" in (results[0].error or "")
    assert results[1].label == "positive"


def test_a_server_that_keeps_failing_stops_the_call(server: FakeServer, tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="keeps failing"):
        make(server, tmp_path, max_retries=0, max_workers=2).classify(
            model_dir_or_name=None, prompts=[f"DOWN {i}" for i in range(40)], labels=LABELS
        )


def test_unknown_model_and_bad_key_stop_the_call(server: FakeServer, tmp_path: Path) -> None:
    provider = make(server, tmp_path)
    with pytest.raises(ModelError, match="no such model"):
        provider.classify(model_dir_or_name="missing", prompts=["good"], labels=LABELS)
    provider.settings.openai_api_key = None
    with pytest.raises(ModelError, match="rejected the API key") as info:
        provider.complete(model=None, prompt="hi")
    assert KEY not in info.value.message


def test_unreachable_server_is_a_model_error(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings = Settings(home=tmp_path, openai_base_url=f"http://127.0.0.1:{port}/v1")
    provider = OpenAIClient(settings=settings, max_retries=1, backoff=0.01)
    with pytest.raises(ModelError, match="Cannot reach"):
        provider.complete(model="m", prompt="hi")


def test_complete_returns_the_answer(server: FakeServer, tmp_path: Path) -> None:
    provider = make(server, tmp_path)
    assert provider.complete(model=None, prompt="hello", temperature=0.0) == "echo: hello"
    assert (
        OpenAIProvider().client(provider.settings).complete(model=None, prompt="hi") == "echo: hi"
    )


def test_finetune_is_not_supported(server: FakeServer, tmp_path: Path) -> None:
    provider = make(server, tmp_path)
    assert provider.supports_finetune is False
    with pytest.raises(NotSupported, match="cannot fine-tune"):
        provider.finetune(
            base_model=None,
            train=[("a", "b")],
            validation=[],
            out_dir=tmp_path,
            options=FinetuneOptions(),
        )


def test_openai_model_resolution(tmp_path: Path) -> None:
    settings = Settings(
        home=tmp_path, openai_model="llama3.2:1b", llm_models={"small": "qwen:0.5b"}
    )
    assert resolve_model_type(None, settings=settings, provider="openai") == "llama3.2:1b"
    assert resolve_model_type("small", settings=settings, provider="openai") == "qwen:0.5b"
    assert resolve_model_type("gpt-4o-mini", settings=settings, provider="openai") == "gpt-4o-mini"
    with pytest.raises(InvalidInput, match="BINNR_OPENAI_MODEL"):
        resolve_model_type(None, settings=Settings(home=tmp_path), provider="openai")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("positive", "positive"),
        ("  Positive.\n", "positive"),
        ('"NEUTRAL"', "neutral"),
        ('{"label": "negative"}', "negative"),
        ("The sentiment is negative, not positive.", "negative"),
        ("neutrally speaking", None),
        ("", None),
        ("I cannot tell", None),
    ],
)
def test_parse_label(text: str, expected: str | None) -> None:
    assert parse_label(text, LABELS) == expected


def test_parse_label_prefers_the_longest_label_at_the_same_place() -> None:
    assert parse_label("very good indeed", ["good", "very good"]) == "very good"
    assert parse_label("Good", ["good", "Good"]) == "Good"
