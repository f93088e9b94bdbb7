"""The LLM provider table: one lookup picks the provider; Cortex is a provider like the others."""

from __future__ import annotations

from pathlib import Path

import pytest

from binnr.backends.duckdb.warehouse import DuckDBWarehouse
from binnr.errors import NotSupported
from binnr.params import LlmTrainParams
from binnr.services.llm.cortex import CortexProvider
from binnr.services.llm.in_process import LocalProvider, OpenAIProvider
from binnr.services.llm.providers import PROVIDERS, provider_for
from binnr.settings import Settings


@pytest.fixture
def duck(tmp_path: Path) -> DuckDBWarehouse:
    return DuckDBWarehouse.from_settings(Settings(home=tmp_path))


def test_every_provider_is_in_the_table() -> None:
    assert {name: type(p) for name, p in PROVIDERS.items()} == {
        "local": LocalProvider,
        "openai": OpenAIProvider,
        "cortex": CortexProvider,
    }


def test_default_follows_the_warehouse_capability(tmp_path: Path, duck: DuckDBWarehouse) -> None:
    assert not duck.has_cortex
    assert provider_for(Settings(home=tmp_path), duck).name == "local"
    chosen = provider_for(Settings(home=tmp_path, llm_provider="cortex"), duck)
    assert isinstance(chosen, CortexProvider)


def test_a_provider_that_cannot_fine_tune_says_so(tmp_path: Path) -> None:
    params = LlmTrainParams(training_table="t_train", target_column="label", model_type="m")
    with pytest.raises(NotSupported, match="cannot fine-tune"):
        OpenAIProvider().check_train(settings=Settings(home=tmp_path), params=params)
