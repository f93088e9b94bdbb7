"""The API-key prompt: a 401 makes the page ask once, keep the key in sessionStorage only and
send it as ``Authorization: Bearer``.

The server is started with ``BINNR_API_KEY``. Where the auth middleware is not in this branch
yet (the server answers without a key), the test plays the middleware with ``page.route``:
every API request without the right header gets the 401 error body. Either way the page logic
under test is the same; the test says which one ran.
"""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import Page, Route, expect

from tests.support.server import Server

KEY = "s3cret-key"
#: The page and its assets must load before it can ask for a key.
OPEN = ("/ui", "/favicon.ico", "/openapi.json", "/healthz")


def simulate_auth(page: Page, server: Server, seen: list[str]) -> None:
    """Answer 401 to API requests without the key, as the middleware does."""

    def handle(route: Route) -> None:
        url = route.request.url
        path = url.removeprefix(server.url).split("?")[0]
        seen.append(route.request.headers.get("authorization", ""))
        if path.startswith(OPEN) or route.request.headers.get("authorization") == f"Bearer {KEY}":
            route.continue_()
            return
        body = '{"error": {"type": "Unauthorized", "message": "API key required", "hint": "h"}}'
        route.fulfill(status=401, body=body, content_type="application/json")

    page.route(f"{server.url}/**", handle)


def test_key_prompt(
    page: Page, console_errors: list[str], server_factory: Callable[..., Server]
) -> None:
    server = server_factory(env={"BINNR_API_KEY": KEY, "BINNR_ENABLE_SQL": None})
    enforced = server.client.get("/data/tables").status_code == 401
    print("auth middleware enforced by the server" if enforced else "auth simulated (page.route)")
    headers: list[str] = []
    urls: list[str] = []
    page.on("request", lambda request: urls.append(request.url))
    if not enforced:
        simulate_auth(page, server, headers)
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
    if not enforced:
        assert f"Bearer {KEY}" in headers
    # Exactly the one refused request before the key was given (the page's first call).
    refused = [e for e in console_errors if "status of 401" in e]
    assert len(refused) == 1 and len(refused) == len(console_errors), console_errors
