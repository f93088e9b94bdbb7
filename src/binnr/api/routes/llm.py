"""/classification/llm: train, train/check, predict, response (the original's routes)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from binnr.api.deps import (
    EngineDep,
    RegistryDep,
    SettingsDep,
    WarehouseDep,
    accepted,
    location_notes,
)
from binnr.api.errors import errors
from binnr.api.limits import PromptSlotsDep
from binnr.api.links import LLM_TRAIN_LINKS, queued
from binnr.api.schemas import (
    LlmResponse,
    LlmTrainAccepted,
    LlmTrainCheck,
    LlmTrainRequest,
    PredictRequest,
    TaskAccepted,
)
from binnr.api.types import JobIdQuery
from binnr.jobs.records import JobRecord
from binnr.params import LlmPromptParams, LlmTrainParams, PredictParams
from binnr.services.llm.service import check_predict, prepare_train, respond

router = APIRouter(prefix="/classification/llm", tags=["llm"])

#: binnr job states in Cortex FINETUNE('DESCRIBE') words, as the original reported them.
CORTEX_STATUS = {
    "queued": "PENDING",
    "running": "IN_PROGRESS",
    "succeeded": "SUCCESS",
    "failed": "ERROR",
    "interrupted": "ERROR",
    "cancelled": "CANCELLED",
}


@router.post(
    "/train",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=LlmTrainAccepted,
    operation_id="llm_train",
    responses={**queued(LLM_TRAIN_LINKS), **errors(400, 404, 409, 422, 502)},
)
def train(
    body: LlmTrainRequest, engine: EngineDep, warehouse: WarehouseDep, settings: SettingsDep
) -> LlmTrainAccepted:
    """Fine-tune a base model on ``source`` → ``target_column``; poll ``/train/check``."""
    params = prepare_train(
        warehouse=warehouse, settings=settings, params=body.job_params(LlmTrainParams)
    )
    record = engine.submit(kind="llm.train", params=params)
    notes = location_notes(warehouse, warehouse_name=body.warehouse, role=body.role)
    return LlmTrainAccepted(
        task_id=record.id, job_id=record.id, model_name=params.model_name, notes=notes
    )


@router.get(
    "/train/check",
    response_model=LlmTrainCheck,
    operation_id="llm_train_check",
    responses=errors(404, 422),
)
def train_check(job_id: JobIdQuery, engine: EngineDep) -> LlmTrainCheck:
    """Fine-tuning status: the original's ``job_status`` and ``progress`` plus losses."""
    return _check(engine.get(job_id))


def _check(record: JobRecord) -> LlmTrainCheck:
    progress = record.progress or {}
    metrics = progress.get("metrics") or {}
    fraction = 1.0 if record.state == "succeeded" else float(progress.get("percent") or 0) / 100
    return LlmTrainCheck(
        job_id=record.id,
        job_status=CORTEX_STATUS[record.state],
        progress=round(fraction, 4),
        step=metrics.get("step"),
        total_steps=metrics.get("total_steps"),
        train_loss=metrics.get("train_loss"),
        eval_loss=metrics.get("eval_loss"),
        eta_seconds=progress.get("eta_seconds"),
        model_name=record.params.get("model_name"),
        error=record.error.model_dump() if record.error else None,
    )


@router.post(
    "/predict",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=TaskAccepted,
    operation_id="llm_predict",
    responses={**queued(), **errors(400, 404, 422, 502)},
)
def predict(
    body: PredictRequest,
    engine: EngineDep,
    warehouse: WarehouseDep,
    registry: RegistryDep,
    settings: SettingsDep,
) -> TaskAccepted:
    """Classify a table into ``llm_<predict_table>_<yyyymmddHHMMSS>_<xxxxxx>``."""
    params = body.job_params(PredictParams)
    check_predict(warehouse=warehouse, registry=registry, settings=settings, params=params)
    record = engine.submit(kind="llm.predict", params=params)
    return accepted(record, warehouse, body)


@router.get(
    "/response",
    response_model=LlmResponse,
    operation_id="llm_response",
    responses=errors(404, 422, 502),
)
def response(
    warehouse: WarehouseDep,
    registry: RegistryDep,
    settings: SettingsDep,
    slots: PromptSlotsDep,
    params: Annotated[LlmPromptParams, Query()],
) -> LlmResponse:
    """A completion for a free prompt (the original's route; values are bound, not pasted).

    It is generated inside the request (in FastAPI's thread pool): at most
    ``BINNR_PROMPT_CONCURRENCY`` at once, others wait a few seconds, then get 429.
    """
    with slots.hold():
        answer = respond(warehouse=warehouse, registry=registry, settings=settings, params=params)
    return LlmResponse(**answer)
