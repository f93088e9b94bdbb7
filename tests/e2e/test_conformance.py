"""OpenAPI conformance: schemathesis drives a live ``binnr serve`` from its own ``/openapi.json``.

Every operation gets positive and negative cases (deterministic: ``derandomize``); every
response is checked against the schema (status codes, content types, bodies, headers) and must
not be a 5xx; negative cases must be refused and positive ones accepted (but see
``PENDING_NAME_PATTERNS``). A stateful run follows the schema's links. Failures are collected,
not raised one by one, so the summary lists every failing check; the test prints the figures
(``pytest -s``) and fails if any.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.core.failures import Failure, FailureGroup

from tests.support.server import Server, start_server, upload

API_KEY = "test-key"
AUTH = {"Authorization": f"Bearer {API_KEY}"}
#: Per operation and generation mode; operations with few inputs run out of cases sooner.
MAX_EXAMPLES = 30
MIN_CASES = 1000
#: Stateful scenarios (sequences of linked calls) and their maximum length.
STATEFUL_SCENARIOS = 40
STEPS = 4
CHECK_NAMES = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "response_headers_conformance",
    "negative_data_rejection",
    "positive_data_acceptance",
)
CHECKS = tuple(getattr(schemathesis.checks, name) for name in CHECK_NAMES)
#: positive_data_acceptance (a request valid by the schema is not refused with 4xx other than
#: 401/403/404/409) runs on every operation: every name field carries ident()'s pattern and
#: length in the schema. An operation listed here would be exempt from it.
PENDING_NAME_PATTERNS: set[str] = set()
#: A 422 the schema cannot foresee: what the uploaded bytes are (a PNG is a valid "binary"),
#: or what this server's warehouse can do (engine=snowflake_ml on DuckDB). Such answers to
#: schema-valid requests are counted apart, never as passes or failures; any other 422 fails.
SEMANTIC_422 = frozenset({"FileProblem", "NotSupported"})
#: Left out, and why: a valid prompt runs the bundled LLM for up to 8192 tokens per case.
EXCLUDED = {"llm_response": "generates text with the local LLM (minutes per case on a CPU)"}


@dataclass
class Tally:
    """What the run generated and what failed, by check."""

    cases: Counter[str] = field(default_factory=Counter)
    failures: Counter[str] = field(default_factory=Counter)
    examples: dict[str, str] = field(default_factory=dict)
    no_negative: list[str] = field(default_factory=list)
    set_aside: int = 0
    pending: int = 0
    semantic: int = 0

    def record(self, check: str, label: str, exc: BaseException) -> None:
        self.failures[check] += 1
        self.examples.setdefault(f"{check} @ {label}", str(exc)[:1500])

    def report(self, seconds: float) -> str:
        lines = [
            f"schemathesis: {len(self.cases)} operations, {sum(self.cases.values())} cases, "
            f"{seconds:.0f} s",
            *(f"  {label}: {count} cases" for label, count in sorted(self.cases.items())),
            f"no negative cases possible: {', '.join(self.no_negative) or 'none'}",
            f"multipart type mutations accepted as text (set aside): {self.set_aside}",
            f"positive cases refused, pending name patterns in params: {self.pending}",
            f"positive cases refused for their content or this warehouse (422 "
            f"{'/'.join(sorted(SEMANTIC_422))}): {self.semantic}",
            "failures by check: "
            + (", ".join(f"{k}={v}" for k, v in sorted(self.failures.items())) or "none"),
            *(f"--- {where}\n{text}" for where, text in self.examples.items()),
        ]
        return "\n".join(lines)


def text_on_the_wire(case: Any, exc: BaseException) -> bool:
    """A multipart field is text: a "boolean" or "array" mutation of a name field arrives as
    text (``True``, or the field repeated) that can be a valid name again, so accepting it is
    right. Only failures that consist of nothing but such type mutations are set aside."""
    violations = re.findall(r"violates `(\w+)`", str(exc))
    return case.media_type == "multipart/form-data" and set(violations) == {"type"}


def semantic_422(response: Any) -> bool:
    if response.status_code != 422:
        return False
    try:
        return response.json()["error"]["type"] in SEMANTIC_422
    except (ValueError, KeyError, TypeError):
        return False


def operation_id(case: Any) -> str:
    return str(case.operation.definition.raw.get("operationId"))


def validate(case: Any, response: Any, tally: Tally) -> None:
    """Run each check on its own, so that every failing check is counted."""
    for name, check in zip(CHECK_NAMES, CHECKS, strict=True):
        try:
            case.validate_response(response, checks=[check], headers=AUTH)
        except (Failure, FailureGroup) as exc:
            if name == "positive_data_acceptance" and operation_id(case) in PENDING_NAME_PATTERNS:
                tally.pending += 1
                continue
            if name == "positive_data_acceptance" and semantic_422(response):
                tally.semantic += 1
                continue
            if name == "negative_data_rejection" and text_on_the_wire(case, exc):
                tally.set_aside += 1
                continue
            tally.record(name, case.operation.label, exc)


def fuzz(operation: Any, mode: GenerationMode, call: Callable[[Any], Any], tally: Tally) -> None:
    """``MAX_EXAMPLES`` cases of ``operation`` in ``mode``; no shrinking (failures are kept)."""

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=MAX_EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def run(case: Any) -> None:
        tally.cases[operation.label] += 1
        validate(case, call(case), tally)

    try:
        run()
    except Unsatisfiable:
        # No input to make invalid (e.g. GET /jobs/active): nothing to send in negative mode.
        tally.no_negative.append(operation.label)


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server with the API key on, the SQL console off (its default) and one seeded table."""
    env = {"BINNR_API_KEY": API_KEY, "BINNR_ENABLE_SQL": None}
    with start_server(tmp_path_factory.mktemp("conformance-home"), env=env) as srv:
        srv.client.headers.update(AUTH)
        job = upload(srv.client, b"id,text,label\n1,good,pos\n2,bad,neg\n3,fine,\n", "items")
        assert job["status"] == "succeeded", job
        yield srv


def test_every_operation_conforms_to_the_schema(api: Server) -> None:
    schema = schemathesis.openapi.from_url(f"{api.url}/openapi.json", headers=AUTH)
    session = requests.Session()
    session.headers.update(AUTH)

    def call(case: Any) -> Any:
        return case.call(base_url=api.url, session=session, timeout=60)

    tally = Tally()
    started = time.monotonic()
    for result in schema.get_all_operations():
        operation = result.ok()
        if str(operation.definition.raw.get("operationId")) in EXCLUDED:
            continue
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            fuzz(operation, mode, call, tally)
    report = tally.report(time.monotonic() - started)
    print(report)
    assert sum(tally.cases.values()) >= MIN_CASES, report
    assert not tally.failures, report
    assert "binnr serve exited" not in api.log()


def test_linked_operations_conform(api: Server) -> None:
    """Stateful: follow the schema's links (a queued job → its status, cancel, training check)
    with the same checks, in sequences of up to ``STEPS`` calls."""
    schema = schemathesis.openapi.from_url(f"{api.url}/openapi.json", headers=AUTH)
    schema = schema.exclude(operation_id=list(EXCLUDED))
    tally = Tally()

    class Machine(schema.as_state_machine()):  # type: ignore[misc]
        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            return {"base_url": api.url, "headers": AUTH, "timeout": 60}

        def validate_response(self, response: Any, case: Any, *args: Any, **kwargs: Any) -> None:
            tally.cases[case.operation.label] += 1
            validate(case, response, tally)

    started = time.monotonic()
    Machine.run(
        settings=settings(
            max_examples=STATEFUL_SCENARIOS,
            stateful_step_count=STEPS,
            derandomize=True,
            database=None,
            deadline=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
    )
    report = tally.report(time.monotonic() - started)
    print(report.replace("schemathesis:", "schemathesis (stateful):", 1))
    assert sum(tally.cases.values()) >= STATEFUL_SCENARIOS, report
    assert not tally.failures, report


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_download_declares_its_content_types(api: Server, fmt: str) -> None:
    """The generated names rarely hit a real table: check a real download explicitly."""
    schema = schemathesis.openapi.from_url(f"{api.url}/openapi.json", headers=AUTH)
    operation = schema["/data/tables/{name}/download"]["GET"]
    case = operation.Case(path_parameters={"name": "items"}, query={"format": fmt})
    response = case.call(base_url=api.url, headers=AUTH)
    assert response.status_code == 200, response.text
    tally = Tally()
    validate(case, response, tally)
    assert not tally.failures, tally.report(0)


def test_405_names_the_allowed_methods(api: Server) -> None:
    response = api.client.put("/healthz")
    assert response.status_code == 405
    assert response.headers.get("allow") == "GET", response.headers
    assert set(response.json()) == {"error"}


def test_error_statuses_are_declared_with_the_error_body(api: Server) -> None:
    """Every 4xx/5xx a route declares uses ErrorBody (the one error shape)."""
    document = httpx.get(f"{api.url}/openapi.json", headers=AUTH).json()
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            for status, answer in operation["responses"].items():
                if status.startswith(("4", "5")):
                    ref = answer["content"]["application/json"]["schema"]["$ref"]
                    assert ref.endswith("/ErrorBody"), (method, path, status)
