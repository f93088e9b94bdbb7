"""Browser fixtures for the dashboard tests: the ones of tests/api (system chromium, module
browser, fresh page, console errors) plus a screenshot folder that the run prints."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.api.conftest import (  # noqa: F401  (fixtures, re-exported for this folder)
    browser,
    browser_type_launch_args,
    chromium_executable,
    console_errors,
    page,
)


@pytest.fixture(scope="session")
def screenshots(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``$BINNR_SCREENSHOTS`` or a temporary folder; its path is printed even without ``-s``."""
    folder = Path(os.environ.get("BINNR_SCREENSHOTS") or tmp_path_factory.mktemp("screenshots"))
    folder.mkdir(parents=True, exist_ok=True)
    plugins = request.config.pluginmanager
    reporter, capture = plugins.get_plugin("terminalreporter"), plugins.get_plugin("capturemanager")
    if reporter is not None and capture is not None:
        # Output is captured while fixtures run; this line must reach the terminal anyway.
        with capture.global_and_fixture_disabled():
            reporter.write_line(f"\ndashboard screenshots: {folder}")
    return folder
