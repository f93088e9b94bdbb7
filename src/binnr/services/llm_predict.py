"""LLM predictions into ``llm_<predict_table>_<ts>``, and free prompts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa

from binnr.errors import NotFound
from binnr.jobs.progress import NullProgress
from binnr.jobs.registry import JobContext, job
from binnr.models.registry import ModelRecord, ModelRegistry
from binnr.services.labels import require_columns, resolve_labels
from binnr.services.llm import LLM_FIELDS, provider_name
from binnr.services.predictions import timestamp, write_results
from binnr.settings import Settings
from binnr.warehouse.base import Warehouse
from binnr.warehouse.names import TableRef


def find_model(registry: ModelRegistry, name: str, *, provider: str) -> ModelRecord | None:
    """The registered LLM ``name``; with the openai provider an unregistered name is a server
    model (zero-shot), so ``None`` is returned instead of ``404``."""
    try:
        record = registry.get(name)
    except NotFound:
        if provider == "openai":
            return None
        raise
    return record


def label_set(
    *, warehouse: Warehouse, record: ModelRecord | None, predict: TableRef
) -> tuple[list[str], dict[str, int]]:
    """Labels and their numbers: the model's, or (zero-shot) the predict table's."""
    if record is not None:
        label_map: dict[str, int] = {k: int(v) for k, v in record.metadata["label_map"].items()}
    else:
        found = resolve_labels(warehouse=warehouse, ref=predict)
        label_map = {label: number for number, label in found.numbers.items()}
    return sorted(label_map, key=label_map.__getitem__), label_map


def check_predict(
    *, warehouse: Warehouse, registry: ModelRegistry, settings: Settings, params: dict[str, Any]
) -> None:
    """Before queuing: the model (unless zero-shot) and the table's ``source`` column."""
    find_model(registry, params["model_name"], provider=provider_name(settings, warehouse))
    require_columns(warehouse, _ref(warehouse, params), ("source",))


@job("llm.predict")
def llm_predict_job(ctx: JobContext, params: dict[str, Any]) -> dict[str, Any]:
    """Classify every row of ``predict_table`` with the model's label set."""
    wh, provider = ctx.warehouse, provider_name(ctx.settings, ctx.warehouse)
    if provider == "cortex":
        from binnr.services.llm_cortex import cortex_predict

        return cortex_predict(ctx, params)
    from binnr.models.llm import get_provider

    record = find_model(ctx.registry, params["model_name"], provider=provider)
    source = _ref(wh, params)
    require_columns(wh, source, ("source",))
    labels, label_map = label_set(warehouse=wh, record=record, predict=source)
    client = get_provider(settings=ctx.settings, name=provider)  # type: ignore[arg-type]
    model: str | Path = ctx.registry.path(record.name) if record else params["model_name"]

    def score(batch: pa.RecordBatch) -> dict[str, pa.Array]:
        prompts = [t or "" for t in batch.column("source").to_pylist()]
        answers = client.classify(
            model_dir_or_name=model, prompts=prompts, labels=labels, progress=NullProgress()
        )
        return {
            "llm_response": pa.array(
                [a.response if a.error is None else f"ERROR: {a.error}" for a in answers],
                pa.string(),
            ),
            "predicted_label": pa.array([a.label for a in answers], pa.string()),
            "predicted_target": pa.array(
                [label_map.get(a.label) if a.label else None for a in answers], pa.int64()
            ),
        }

    out = wh.derived(source, prefix="llm_", suffix=f"_{timestamp()}")
    ctx.progress.phase("predict", index=1, total=1)
    rows = write_results(
        warehouse=wh,
        source=source,
        out=out,
        fields=LLM_FIELDS,
        score=score,
        progress=ctx.progress,
        batch_size=256,
    )
    return {"table": out.name, "rows": rows, "model_name": params["model_name"]}


def respond(
    *, warehouse: Warehouse, registry: ModelRegistry, settings: Settings, params: dict[str, Any]
) -> dict[str, Any]:
    """The original's ``/classification/llm/response``: one completion, values bound."""
    provider = provider_name(settings, warehouse)
    if provider == "cortex":
        from binnr.services.llm_cortex import cortex_respond

        return cortex_respond(warehouse=warehouse, registry=registry, params=params)
    from binnr.models.llm import get_provider

    name = params.get("model_name")
    record = find_model(registry, name, provider=provider) if name else None
    model: str | Path | None = registry.path(record.name) if record else name
    text = get_provider(settings=settings, name=provider).complete(  # type: ignore[arg-type]
        model=model,
        prompt=params["llm_prompt"],
        role=params.get("llm_role", "user"),
        temperature=float(params.get("llm_temperature", 0.1)),
        max_tokens=int(params.get("llm_max_tokens", 100)),
        top_p=_top_p(params.get("llm_top_p")),
    )
    return {"model_name": name, "provider": provider, "response": text}


def _ref(warehouse: Warehouse, params: dict[str, Any]) -> TableRef:
    return warehouse.ref(
        params["predict_table"], database=params.get("database"), schema=params.get("schema")
    )


def _top_p(value: Any) -> float:
    # The original's default top_p is 0, which Cortex reads as "no nucleus filter".
    top_p = float(value) if value is not None else 1.0
    return top_p if top_p > 0 else 1.0
