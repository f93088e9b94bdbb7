"""The LLM jobs (train, predict), their checks, and the free-prompt answer."""

from __future__ import annotations

from typing import Any

from binnr.jobs.context import JobContext
from binnr.models.registry import ModelRegistry
from binnr.params.gbm import PredictParams
from binnr.params.llm import LlmPromptParams, LlmTrainJobParams, LlmTrainParams
from binnr.services.label_map import require_columns
from binnr.services.llm.providers import provider_for
from binnr.services.predictions import model_name_for
from binnr.settings import Settings
from binnr.warehouse.base import Warehouse
from binnr.warehouse.names import column


def llm_train_job(ctx: JobContext, params: LlmTrainJobParams) -> dict[str, Any]:
    """Fine-tune with the configured provider; the model name was set at submit."""
    return provider_for(ctx.settings, ctx.warehouse).train(ctx, params)


def llm_predict_job(ctx: JobContext, params: PredictParams) -> dict[str, Any]:
    """Classify every row of ``predict_table`` into ``llm_<predict_table>_<ts>``."""
    require_columns(ctx.warehouse, params.ref(ctx.warehouse, params.predict_table), ("source",))
    return provider_for(ctx.settings, ctx.warehouse).predict(ctx, params)


def prepare_train(
    *, warehouse: Warehouse, settings: Settings, params: LlmTrainParams
) -> LlmTrainJobParams:
    """Check before queuing, then name the model (``llm_<training_table>_<ts>``)."""
    label = column(params.target_column, field="target_column")
    for table in (params.training_table, params.validation_table):
        if table:
            require_columns(warehouse, params.ref(warehouse, table), ("source", "target", label))
    provider_for(settings, warehouse).check_train(settings=settings, params=params)
    name = model_name_for("llm", params.training_table)
    return LlmTrainJobParams(**params.model_dump(), model_name=name)


def check_predict(
    *, warehouse: Warehouse, registry: ModelRegistry, settings: Settings, params: PredictParams
) -> None:
    """Before queuing: the model (unless the provider serves it) and the ``source`` column."""
    provider_for(settings, warehouse).check_predict(registry=registry, params=params)
    require_columns(warehouse, params.ref(warehouse, params.predict_table), ("source",))


def respond(
    *, warehouse: Warehouse, registry: ModelRegistry, settings: Settings, params: LlmPromptParams
) -> dict[str, Any]:
    """The original's ``/classification/llm/response``: one completion, values bound."""
    return provider_for(settings, warehouse).respond(
        warehouse=warehouse, registry=registry, settings=settings, params=params
    )
