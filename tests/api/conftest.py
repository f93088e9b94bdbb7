"""Playwright fixtures for the browser tests: Debian's chromium and a console-error log.

Playwright's own browser downloads cannot run here, so the tests drive the system chromium
that `.ci/run` installs with apt.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, sync_playwright

INSTALL_HINT = "chromium not found: apt-get install chromium (.ci/run installs it)"


def find_chromium() -> str | None:
    """The system chromium executable, or None."""
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return None


@pytest.fixture(scope="session")
def chromium_executable() -> str:
    """The chromium to drive; CI must have it, elsewhere the browser tests skip."""
    found = find_chromium()
    if found is None:
        # CI without a browser would otherwise go green without ever rendering /docs.
        if os.environ.get("CI"):
            pytest.fail(INSTALL_HINT)
        pytest.skip(INSTALL_HINT)
    return found


@pytest.fixture(scope="session")
def browser_type_launch_args(
    browser_type_launch_args: dict[str, Any], chromium_executable: str
) -> dict[str, Any]:
    """pytest-playwright's launch arguments, pointed at the system chromium."""
    return {**browser_type_launch_args, "executable_path": chromium_executable}


# pytest-playwright's own browser, context and page hang off a session-scoped Playwright. While
# sync Playwright is started, its event loop counts as running in the main thread, so any test
# after these (in any folder) calling asyncio.run() would fail. These overrides start Playwright
# per module instead, and still honour pytest-playwright's launch options (--headed, --slowmo).
@pytest.fixture(scope="module")
def browser(browser_type_launch_args: dict[str, Any]) -> Iterator[Browser]:
    """The system chromium, for the tests of one module."""
    with sync_playwright() as started:
        launched = started.chromium.launch(**browser_type_launch_args)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A page in a fresh browser context (no cookies or storage shared between tests)."""
    context = browser.new_context()
    yield context.new_page()
    context.close()


@pytest.fixture
def console_errors(page: Page) -> list[str]:
    """Every console error and uncaught exception of ``page`` (a failed asset load too)."""
    errors: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            errors.append(f"console: {message.text} ({message.location.get('url')})")

    page.on("console", on_console)
    page.on("pageerror", lambda exc: errors.append(f"uncaught: {exc}"))
    return errors
