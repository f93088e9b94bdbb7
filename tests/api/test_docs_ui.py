"""The Swagger UI in a real browser: it renders binnr's OpenAPI 3.1 and Try it out works."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any, Protocol

import httpx
from playwright.sync_api import Locator, Page, expect

#: Generous: the 1.5 MB bundle loads and renders on a busy CI machine (expect's default is 5 s).
_UI_MS = 30_000

#: States a job ends in; the test polls until one of them.
_FINAL = ("succeeded", "failed", "cancelled", "interrupted")


class Server(Protocol):
    """What these tests use of the ``server`` fixture (a running ``binnr serve``)."""

    url: str
    client: httpx.Client


#: [method, path] of every operation block Swagger UI rendered.
_RENDERED_OPERATIONS = """
blocks => blocks.map(block => [
  block.querySelector('.opblock-summary-method').textContent.toLowerCase(),
  block.querySelector('.opblock-summary-path').dataset.path,
])
"""


def _spec_operations(server: Server) -> set[tuple[str, str]]:
    spec = server.client.get("/openapi.json").json()
    assert spec["openapi"].startswith("3.1"), spec["openapi"]
    return {(method, path) for path, ops in spec["paths"].items() for method in ops}


def _try_it_out(page: Page, tag: str, operation_id: str) -> Locator:
    """Expand one operation and switch it to Try it out; the operation's block."""
    block = page.locator(f"#operations-{tag}-{operation_id}")
    block.locator(".opblock-summary").click()
    block.locator(".try-out__btn").click()
    return block


def _execute(block: Locator) -> tuple[str, str]:
    """Press Execute; the live response's status code and body text."""
    block.locator(".execute").click()
    live = block.locator(".live-responses-table .response")
    expect(live).to_be_visible(timeout=_UI_MS)
    status = live.locator(".response-col_status").inner_text().strip()
    body = live.locator(".response-col_description pre").first.inner_text()
    return status, body


def _wait_job(client: httpx.Client, task_id: str, timeout: float = 60.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        job: dict[str, Any] = client.get(f"/jobs/status/{task_id}").json()
        if job["status"] in _FINAL or time.monotonic() > deadline:
            return job
        time.sleep(0.2)


def test_docs_render_every_operation(server: Server, page: Page, console_errors: list[str]) -> None:
    # / leads to the dashboard, whose every page links the Swagger UI.
    page.goto(f"{server.url}/")
    expect(page).to_have_url(f"{server.url}/ui", timeout=_UI_MS)
    page.get_by_role("link", name="API docs (Swagger)").click()
    expect(page).to_have_url(f"{server.url}/docs", timeout=_UI_MS)
    expect(page.locator(".info .version-stamp")).to_contain_text("OAS 3.1", timeout=_UI_MS)
    expected = _spec_operations(server)
    blocks = page.locator(".opblock")
    expect(blocks).to_have_count(len(expected), timeout=_UI_MS)
    rendered = {tuple(op) for op in blocks.evaluate_all(_RENDERED_OPERATIONS)}
    assert rendered == expected
    assert "Unable to render" not in page.content()
    assert console_errors == []


def test_try_it_out_get(server: Server, page: Page, console_errors: list[str]) -> None:
    page.goto(f"{server.url}/docs")
    status, body = _execute(_try_it_out(page, "health", "healthz"))
    assert status == "200", body
    assert json.loads(body)["status"] == "ok"
    assert console_errors == []


def test_try_it_out_multipart_upload(
    server: Server, page: Page, console_errors: list[str], tmp_path: Path
) -> None:
    csv = tmp_path / "docs_items.csv"
    csv.write_text("id,text\n1,hello\n2,world\n")
    page.goto(f"{server.url}/docs")
    block = _try_it_out(page, "data", "upload_data")
    block.locator("tr[data-property-name=table_name] input").fill("docs_items")
    block.locator("tr[data-property-name=file] input[type=file]").set_input_files(csv)
    status, body = _execute(block)
    assert status == "202", body
    job = _wait_job(server.client, json.loads(body)["task_id"])
    assert job["status"] == "succeeded", job
    assert job["result"]["rows_loaded"] == 2
    assert console_errors == []
