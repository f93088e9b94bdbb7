"""Fixtures for the LLM tests: a tiny Llama built from a config (see tests.support.tiny_llm)."""

from __future__ import annotations

from pathlib import Path

import pytest

from binnr.settings import Settings
from tests.support.tiny_llm import build_tiny_model


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_model(tmp_path_factory.mktemp("tiny-llm"))


@pytest.fixture
def settings(tmp_path: Path, tiny_model_dir: Path) -> Settings:
    """Settings whose allowed model roots include the tiny model's folder (a model path
    outside $BINNR_HOME/models and BINNR_MODEL_ROOTS is refused)."""
    return Settings(home=tmp_path / "home", model_roots=[tiny_model_dir])
