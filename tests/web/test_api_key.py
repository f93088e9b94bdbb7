"""The API-key prompt: a 401 makes the page ask once, keep the key in sessionStorage only and
send it as ``Authorization: Bearer``.

The server is started with ``BINNR_API_KEY``, so its auth middleware answers 401 until the
page sends the key.
"""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import Page, expect

from tests.support.server import Server

KEY = "s3cret-key"


def test_key_prompt(
    page: Page, console_errors: list[str], server_factory: Callable[..., Server]
) -> None:
    server = server_factory(env={"BINNR_API_KEY": KEY, "BINNR_ENABLE_SQL": None})
    server.client.headers.pop("Authorization", None)
    assert server.client.get("/data/tables").status_code == 401  # the server enforces the key
    urls: list[str] = []
    page.on("request", lambda request: urls.append(request.url))
    page.goto(f"{server.url}/ui#/tables")
    dialog = page.get_by_role("dialog", name="API key required")
    expect(dialog).to_be_visible()
    dialog.get_by_label("API key").fill(KEY)
    dialog.get_by_role("button", name="Use key").click()
    expect(page.get_by_text("No tables yet — upload a CSV")).to_be_visible()
    assert page.evaluate("sessionStorage.getItem('binnr.apiKey')") == KEY
    assert page.evaluate("localStorage.length") == 0
    assert not [u for u in urls if KEY in u], urls
    # Asked once: moving to another page reuses the stored key without a prompt.
    page.goto(f"{server.url}/ui#/models")
    expect(page.get_by_text("No models yet")).to_be_visible()
    expect(dialog).to_be_hidden()
    # Exactly the one refused request before the key was given (the page's first call).
    refused = [e for e in console_errors if "status of 401" in e]
    assert len(refused) == 1 and len(refused) == len(console_errors), console_errors
