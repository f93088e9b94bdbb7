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
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line(f"dashboard screenshots: {folder}")
    return folder
