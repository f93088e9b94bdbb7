"""Fixtures for the whole suite: shared datasets, free ports and real ``binnr serve`` processes.

Plain helpers live in :mod:`tests.support` (``from tests.support.server import start_server``);
the Redis fixture is a plugin module so that job tests and end-to-end tests share it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack
from pathlib import Path

import pytest

from tests.support.server import FP32_FOR_TESTS, SHARED_DATA, Server, start_server

# In-process Settings() too (see FP32_FOR_TESTS); tests of the default clear it themselves.
os.environ.setdefault("BINNR_EMBEDDING_PRECISION", FP32_FOR_TESTS)

pytest_plugins = ["tests.support.celery", "tests.support.postgres"]

ServerFactory = Callable[..., Server]


def shared_data_dir() -> Path:
    """``../shared/data`` beside the repository, or skip the calling test."""
    if not SHARED_DATA.is_dir():
        pytest.skip("../shared/data not present (a fresh clone has no shared datasets)")
    return SHARED_DATA


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The shared datasets folder (skips when a fresh clone has none)."""
    return shared_data_dir()


@pytest.fixture
def server_factory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerFactory]:
    """Start servers with their own env: ``server_factory(env={...}, home=None)``.

    Every server started through the factory is killed at the end of the test.
    """
    with ExitStack() as stack:

        def start(env: dict[str, str | None] | None = None, home: Path | None = None) -> Server:
            folder = home or tmp_path_factory.mktemp("binnr-home")
            cm: AbstractContextManager[Server] = start_server(folder, env=env)
            return stack.enter_context(cm)

        yield start


@pytest.fixture
def server(server_factory: ServerFactory) -> Server:
    """A fresh server (own BINNR_HOME, SQL console on) for one test."""
    return server_factory()


@pytest.fixture(scope="module")
def module_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One server shared by the tests of a module (use distinct table names per test)."""
    with start_server(tmp_path_factory.mktemp("binnr-home")) as srv:
        yield srv
