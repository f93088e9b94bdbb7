"""The LLM provider interface and the table of providers.

``BINNR_LLM_PROVIDER`` names one; by default a warehouse with Cortex (``has_cortex``) uses
``cortex`` and every other warehouse ``local``.
"""

from __future__ import annotations

from typing import Any, ClassVar, Protocol

from binnr.jobs.context import JobContext
from binnr.models.llm.base import ProviderName
from binnr.models.registry import ModelRegistry
from binnr.params.gbm import PredictParams
from binnr.params.llm import LlmPromptParams, LlmTrainJobParams, LlmTrainParams
from binnr.services.llm.cortex import CortexProvider
from binnr.services.llm.in_process import LocalProvider, OpenAIProvider
from binnr.settings import Settings
from binnr.warehouse.base import Warehouse


class LLMProvider(Protocol):
    """Fine-tune from tables, label a table, answer a free prompt."""

    name: ClassVar[ProviderName]
    supports_finetune: ClassVar[bool]

    def check_train(self, *, settings: Settings, params: LlmTrainParams) -> None:
        """Provider-specific checks before a training job is queued."""
        ...

    def check_predict(self, *, registry: ModelRegistry, params: PredictParams) -> None:
        """The model exists (or the provider serves it)."""
        ...

    def train(self, ctx: JobContext, params: LlmTrainJobParams) -> dict[str, Any]:
        """Fine-tune, register the model, return the job result."""
        ...

    def predict(self, ctx: JobContext, params: PredictParams) -> dict[str, Any]:
        """Write ``llm_<predict_table>_<ts>``; return the job result."""
        ...

    def respond(
        self,
        *,
        warehouse: Warehouse,
        registry: ModelRegistry,
        settings: Settings,
        params: LlmPromptParams,
    ) -> dict[str, Any]:
        """One completion: ``model_name``, ``provider``, ``response``."""
        ...


PROVIDERS: dict[str, LLMProvider] = {
    p.name: p for p in (LocalProvider(), OpenAIProvider(), CortexProvider())
}


def provider_for(settings: Settings, warehouse: Warehouse) -> LLMProvider:
    """``BINNR_LLM_PROVIDER``, else Cortex on a warehouse that has it, else local."""
    default = "cortex" if warehouse.has_cortex else "local"
    return PROVIDERS[settings.llm_provider or default]
