"""The Cortex path on Snowflake: the original's FINETUNE / DESCRIBE / COMPLETE, values bound.

Snowflake plans to retire Cortex fine-tuning in 2027; the local provider is the long-term path.
"""

from __future__ import annotations

import time
from typing import Any

import pyarrow as pa

from binnr.errors import ModelError, NotFound
from binnr.jobs.registry import JobContext
from binnr.models.llm import cortex, parse_label, resolve_model_type
from binnr.models.registry import ModelRegistry
from binnr.services.labels import require_columns, resolve_labels
from binnr.services.llm import LLM_FIELDS
from binnr.services.predictions import timestamp, write_results
from binnr.warehouse.base import Warehouse
from binnr.warehouse.names import TableRef, column

POLL_SECONDS = 5.0


def cortex_train(ctx: JobContext, params: dict[str, Any]) -> dict[str, Any]:
    """Start ``FINETUNE('CREATE', ...)``, poll ``DESCRIBE`` with progress, register the model."""
    wh = ctx.warehouse
    label = column(params["target_column"])
    train = _ref(wh, params, "training_table")
    validation = _ref(wh, params, "validation_table") if params.get("validation_table") else None
    labels = resolve_labels(warehouse=wh, ref=train, target_column=label)
    base = resolve_model_type(params.get("model_type"), settings=ctx.settings, provider="cortex")
    target = train.with_name(wh.fold(params["model_name"]))
    sql, binds = cortex.finetune_create_sql(
        model=target, base_model=base, train=train, label_column=label, validation=validation
    )
    ctx.progress.phase("fine-tune (Cortex)", index=1, total=1)
    job_id = str(next(iter(wh.query(sql, binds)[0].values())))
    state = _poll(wh, job_id, ctx)
    metadata = {
        "provider": "cortex",
        "cortex_job_id": job_id,
        "cortex_model": cortex.model_object_name(target),
        "base_model": base,
        "training_table": str(train),
        "validation_table": params.get("validation_table"),
        "label_column": label,
        "label_map": {text: number for number, text in labels.numbers.items()},
        "metrics": {**state["metrics"], "macro_f1": None},
        "evaluation_policy": "Cortex training/validation loss",
    }
    record = ctx.registry.create(
        name=params["model_name"],
        kind="llm",
        family=str(train).lower(),
        metadata=metadata,
        write=lambda path: None,
    )
    return {"model_name": record.name, "cortex_job_id": job_id, "metrics": metadata["metrics"]}


def _poll(wh: Warehouse, job_id: str, ctx: JobContext) -> dict[str, Any]:
    while True:
        sql, binds = cortex.finetune_describe_sql(job_id=job_id)
        state = cortex.parse_describe(next(iter(wh.query(sql, binds)[0].values())))
        ctx.progress.update(
            done=float(state["progress"] or 0.0),
            total=1.0,
            message=state["status"],
            metrics=state["metrics"],
        )
        if state["done"]:
            if state["status"] != "SUCCESS":
                raise ModelError(
                    f"Cortex fine-tuning ended {state['status']}: {state['error'] or 'no details'}",
                    hint="Check the training data and the base model, then retry.",
                )
            return state
        try:
            ctx.progress.check_cancelled()
        except BaseException:
            cancel, binds = cortex.finetune_cancel_sql(job_id=job_id)
            wh.query(cancel, binds)
            raise
        time.sleep(POLL_SECONDS)


def cortex_predict(ctx: JobContext, params: dict[str, Any]) -> dict[str, Any]:
    """COMPLETE over the table in Snowflake, then constrain each answer to the label set."""
    wh = ctx.warehouse
    record = ctx.registry.get(params["model_name"])
    source = _ref(wh, params, "predict_table")
    require_columns(wh, source, ("source",))
    label_map: dict[str, int] = {k: int(v) for k, v in record.metadata["label_map"].items()}
    labels = sorted(label_map, key=label_map.__getitem__)
    answered = wh.staging(wh.derived(source, prefix="llm_answers_"))
    sql, binds = cortex.complete_table_sql(
        model=record.metadata["cortex_model"],
        source=source,
        dest=answered,
        output_column="binnr_response",
    )
    ctx.progress.phase("COMPLETE (Cortex)", index=1, total=2)
    wh.execute(sql, binds)

    def score(batch: pa.RecordBatch) -> dict[str, pa.Array]:
        texts = batch.column("binnr_response").to_pylist()
        parsed = [parse_label(t, labels) for t in texts]
        return {
            "llm_response": pa.array(texts, pa.string()),
            "predicted_label": pa.array(parsed, pa.string()),
            "predicted_target": pa.array(
                [label_map.get(p) if p else None for p in parsed], pa.int64()
            ),
        }

    out = wh.derived(source, prefix="llm_", suffix=f"_{timestamp()}")
    ctx.progress.phase("labels", index=2, total=2)
    try:
        rows = write_results(
            warehouse=wh,
            source=answered,
            out=out,
            fields=LLM_FIELDS,
            score=score,
            progress=ctx.progress,
        )
    finally:
        wh.drop_table(answered)
    return {"table": out.name, "rows": rows, "model_name": record.name}


def cortex_respond(
    *, warehouse: Warehouse, registry: ModelRegistry, params: dict[str, Any]
) -> dict[str, Any]:
    """One COMPLETE call with bound prompt, role and options."""
    name = params.get("model_name") or "llama3-8b"
    try:
        model = registry.get(name).metadata.get("cortex_model") or name
    except NotFound:  # a Cortex base model name, not a registered one
        model = name
    top_p = float(params.get("llm_top_p") or 0.0)
    sql, binds = cortex.complete_prompt_sql(
        model=model,
        prompt=params["llm_prompt"],
        role=params.get("llm_role", "user"),
        temperature=float(params.get("llm_temperature", 0.1)),
        max_tokens=int(params.get("llm_max_tokens", 100)),
        top_p=top_p,
    )
    raw = next(iter(warehouse.query(sql, binds)[0].values()))
    return {
        "model_name": name,
        "provider": "cortex",
        "response": cortex.parse_complete_response(raw),
    }


def _ref(wh: Warehouse, params: dict[str, Any], key: str) -> TableRef:
    return wh.ref(params[key], database=params.get("database"), schema=params.get("schema"))
