"""The ``openai`` provider: any OpenAI-compatible chat server (Ollama, vLLM, llama.cpp, OpenAI).

``settings.openai_base_url`` is used as given, like the OpenAI SDK: requests go to
``{base_url}/chat/completions``, so include the version prefix yourself
(``http://host:11434/v1`` for Ollama, ``http://host:8000/v1`` for vLLM); the default is
``https://api.openai.com/v1``. The key (``settings.openai_api_key``) is sent as a bearer token
and never logged.

Classification is zero-shot: one request per row (a small thread pool), asking for exactly one
label, the answer constrained with :func:`parse_label`. 429/5xx/timeouts are retried with
exponential backoff (``Retry-After`` respected). A row that still fails, or whose answer is
malformed, gets ``Classification.error``; an unreachable server, a rejected key or an unknown
model stops the whole call with :class:`ModelError`.
"""

from __future__ import annotations

import email.utils
import logging
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx

from binnr.errors import InvalidInput, ModelError, NotSupported
from binnr.models.llm.base import Classification, FinetuneOptions, Role, resolve_model_type
from binnr.models.llm.labels import instruction_prompt, parse_label
from binnr.progress import NullProgress, Progress
from binnr.settings import Settings

log = logging.getLogger(__name__)
DEFAULT_BASE_URL = "https://api.openai.com/v1"
RETRY_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})
FATAL_STATUS = {401: "rejected the API key", 403: "refused access", 404: "has no such model"}


class RowError(Exception):
    """One request failed for good; the row keeps the message."""


class OpenAIClient:
    """Chat completions against an OpenAI-compatible server."""

    name = "openai"
    supports_finetune = False

    def __init__(
        self,
        *,
        settings: Settings,
        client: httpx.Client | None = None,
        max_workers: int = 4,
        max_retries: int = 4,
        backoff: float = 0.5,
        max_wait: float = 60.0,
        timeout: float = 60.0,
        answer_tokens: int = 32,
    ) -> None:
        self.settings = settings
        self.base_url = (settings.openai_base_url or DEFAULT_BASE_URL).rstrip("/")
        self.max_workers, self.max_retries = max_workers, max_retries
        self.backoff, self.max_wait, self.answer_tokens = backoff, max_wait, answer_tokens
        self._client = client or httpx.Client(timeout=timeout)
        self._owns_client = client is None
        self._failures = 0  # consecutive rows that exhausted their retries
        self._lock = threading.Lock()

    def close(self) -> None:
        if self._owns_client:
            self._client.close()

    def finetune(
        self,
        *,
        base_model: str | None,
        train: Sequence[tuple[str, str]],
        validation: Sequence[tuple[str, str]],
        out_dir: Path,
        options: FinetuneOptions,
        progress: Progress = NullProgress(),
    ) -> dict[str, Any]:
        raise NotSupported(
            "The openai LLM provider cannot fine-tune models.",
            hint="Set BINNR_LLM_PROVIDER=local (LoRA on this machine) or cortex (Snowflake).",
        )

    def classify(
        self,
        *,
        model_dir_or_name: str | Path | None,
        prompts: Sequence[str],
        labels: Sequence[str],
        progress: Progress = NullProgress(),
    ) -> list[Classification]:
        """Zero-shot: one request per prompt; failures stay on their row."""
        if not labels:
            raise InvalidInput("No labels to classify into.", hint="Pass the label set.")
        model = resolve_model_type(
            str(model_dir_or_name) if model_dir_or_name else None,
            settings=self.settings,
            provider="openai",
        )
        chunk_size = self.max_workers * 4
        out: list[Classification] = []
        with ThreadPoolExecutor(self.max_workers, thread_name_prefix="binnr-llm") as pool:
            for start in range(0, len(prompts), chunk_size):
                progress.check_cancelled()
                chunk = prompts[start : start + chunk_size]
                out.extend(pool.map(lambda p: self._classify_one(model, p, labels), chunk))
                done = start + len(chunk)
                progress.update(done=done, total=len(prompts), message=f"{done} rows")
        return out

    def complete(
        self,
        *,
        model: str | Path | None,
        prompt: str,
        role: Role = "user",
        temperature: float = 0.1,
        max_tokens: int = 256,
        top_p: float = 1.0,
    ) -> str:
        """The answer to one free prompt; failures raise :class:`ModelError`."""
        name = resolve_model_type(
            str(model) if model else None, settings=self.settings, provider="openai"
        )
        payload: dict[str, Any] = {"model": name, "messages": [{"role": role, "content": prompt}]}
        payload |= {"temperature": temperature, "max_tokens": max_tokens, "top_p": top_p}
        try:
            return self.chat(payload)
        except RowError as exc:
            raise ModelError(f"The LLM server failed: {exc}", hint=_HINT) from exc

    def chat(self, payload: dict[str, Any]) -> str:
        """POST one chat completion (with retries) and return the answer text."""
        response = self._post(payload)
        try:
            body = response.json()
        except ValueError as exc:
            raise RowError(f"malformed JSON from the server: {response.text[:100]!r}") from exc
        choices = body.get("choices") if isinstance(body, dict) else None
        if not isinstance(choices, list) or not choices:
            raise RowError("the server answered without choices")
        message = choices[0].get("message") if isinstance(choices[0], dict) else None
        content = message.get("content") if isinstance(message, dict) else None
        if not isinstance(content, str):
            raise RowError("the server answered without message content")
        return content

    def _classify_one(self, model: str, prompt: str, labels: Sequence[str]) -> Classification:
        payload: dict[str, Any] = {
            "model": model,
            "messages": [{"role": "user", "content": instruction_prompt(prompt, labels)}],
            "temperature": 0.0,
            "max_tokens": self.answer_tokens,
        }
        try:
            text = self.chat(payload)
        except RowError as exc:
            return Classification(response="", label=None, error=str(exc))
        label = parse_label(text, labels)
        error = None if label is not None else "the answer names none of the labels"
        return Classification(response=text, label=label, error=error)

    def _post(self, payload: dict[str, Any]) -> httpx.Response:
        url = f"{self.base_url}/chat/completions"
        for attempt in range(self.max_retries + 1):
            last = attempt == self.max_retries
            try:
                response = self._client.post(url, json=payload, headers=self._headers())
            except httpx.TimeoutException as exc:
                problem, wait = f"timed out ({type(exc).__name__})", None
            except httpx.TransportError as exc:
                if last:
                    raise ModelError(
                        f"Cannot reach the LLM server at {self.base_url}: {exc}", hint=_HINT
                    ) from exc
                problem, wait = f"connection failed ({type(exc).__name__})", None
            else:
                if response.status_code < 300:
                    self._note(ok=True)
                    return response
                _raise_fatal(response, self.base_url)
                problem = f"HTTP {response.status_code}: {response.text[:200]}"
                if response.status_code not in RETRY_STATUS:
                    raise RowError(problem)
                wait = _retry_after(response)
            if not last:
                delay = min(self.max_wait, wait if wait is not None else self.backoff * 2**attempt)
                log.info("LLM request %s; retry %d in %.1fs", problem, attempt + 1, delay)
                time.sleep(delay)
        self._note(ok=False)
        raise RowError(f"{problem} (after {self.max_retries} retries)")

    def _note(self, *, ok: bool) -> None:
        """Stop the call when many rows in a row exhaust their retries: the server is down."""
        with self._lock:
            self._failures = 0 if ok else self._failures + 1
            failing = self._failures >= max(8, 2 * self.max_workers)
        if failing:
            raise ModelError("The LLM server keeps failing; stopping.", hint=_HINT)

    def _headers(self) -> dict[str, str]:
        key = self.settings.openai_api_key
        return {"Authorization": f"Bearer {key.get_secret_value()}"} if key else {}


_HINT = (
    "Check BINNR_OPENAI_BASE_URL (it must include /v1 where the server needs it), "
    "BINNR_OPENAI_API_KEY and the model name, and that the server is up."
)


def _raise_fatal(response: httpx.Response, base_url: str) -> None:
    what = FATAL_STATUS.get(response.status_code)
    if what:
        raise ModelError(
            f"The LLM server at {base_url} {what} (HTTP {response.status_code}): "
            f"{response.text[:200]}",
            hint=_HINT,
        )


def _retry_after(response: httpx.Response) -> float | None:
    """Seconds from a ``Retry-After`` header (number or HTTP date), else None."""
    value = response.headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())
