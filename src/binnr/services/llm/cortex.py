"""The Cortex provider on Snowflake: the original's FINETUNE / DESCRIBE / COMPLETE, values bound.

Everything runs inside Snowflake; the statements come from
:mod:`binnr.backends.snowflake.cortex_llm_sql`. Snowflake plans to retire Cortex fine-tuning in
2027; the local provider is the long-term path.
"""

from __future__ import annotations

import time
from typing import Any, ClassVar

import pyarrow as pa

from binnr.backends.snowflake import cortex_llm_sql as cortex
from binnr.errors import ModelError, NotFound
from binnr.jobs.context import JobContext
from binnr.models.llm.base import ProviderName, resolve_model_type
from binnr.models.llm.labels import parse_label
from binnr.models.registry import ModelRegistry
from binnr.params.gbm import PredictParams
from binnr.params.llm import LlmPromptParams, LlmTrainJobParams, LlmTrainParams
from binnr.services.label_map import LabelMap, resolve_labels
from binnr.services.llm.common import LLM_FIELDS
from binnr.services.predictions import results_table, write_results
from binnr.settings import Settings
from binnr.warehouse.base import Warehouse
from binnr.warehouse.names import column

POLL_SECONDS = 5.0
DEFAULT_PROMPT_MODEL = "llama3-8b"


class CortexProvider:
    """Snowflake Cortex: fine-tunes and completes in SQL."""

    name: ClassVar[ProviderName] = "cortex"
    supports_finetune: ClassVar[bool] = True
    serves_own_models: ClassVar[bool] = False

    def check_train(self, *, settings: Settings, params: LlmTrainParams) -> None:
        resolve_model_type(params.model_type, settings=settings, provider=self.name)

    def check_predict(self, *, registry: ModelRegistry, params: PredictParams) -> None:
        registry.get(params.model_name)

    def train(self, ctx: JobContext, params: LlmTrainJobParams) -> dict[str, Any]:
        """Start ``FINETUNE('CREATE', ...)``, poll ``DESCRIBE`` with progress, register."""
        wh = ctx.warehouse
        label = column(params.target_column)
        train = params.ref(wh, params.training_table)
        validation = params.ref(wh, params.validation_table) if params.validation_table else None
        labels = resolve_labels(warehouse=wh, ref=train, target_column=label)
        base = resolve_model_type(params.model_type, settings=ctx.settings, provider=self.name)
        target = train.with_name(wh.fold(params.model_name))
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
            "validation_table": params.validation_table,
            "label_column": label,
            "label_map": labels.to_metadata(),
            "metrics": {**state["metrics"], "macro_f1": None},
            "evaluation_policy": "Cortex training/validation loss",
        }
        record = ctx.models.create(
            name=params.model_name,
            kind="llm",
            family=str(train).lower(),
            metadata=metadata,
            write=lambda path: None,
        )
        return {"model_name": record.name, "cortex_job_id": job_id, "metrics": metadata["metrics"]}

    def predict(self, ctx: JobContext, params: PredictParams) -> dict[str, Any]:
        """COMPLETE over the table in Snowflake, then constrain each answer to the label set."""
        wh = ctx.warehouse
        record = ctx.models.get(params.model_name)
        source = params.ref(wh, params.predict_table)
        labels = LabelMap.from_metadata(record.metadata)
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
            parsed = [parse_label(t, labels.labels) for t in texts]
            return {
                "llm_response": pa.array(texts, pa.string()),
                "predicted_label": pa.array(parsed, pa.string()),
                "predicted_target": pa.array([labels.number(p) for p in parsed], pa.int64()),
            }

        out = results_table(wh, source, prefix="llm_")
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

    def respond(
        self,
        *,
        warehouse: Warehouse,
        registry: ModelRegistry,
        settings: Settings,
        params: LlmPromptParams,
    ) -> dict[str, Any]:
        """One COMPLETE call with bound prompt, role and options."""
        name = params.model_name or DEFAULT_PROMPT_MODEL
        try:
            model = registry.get(name).metadata.get("cortex_model") or name
        except NotFound:  # a Cortex base model name, not a registered one
            model = name
        sql, binds = cortex.complete_prompt_sql(
            model=model,
            prompt=params.llm_prompt,
            role=params.llm_role,
            temperature=params.llm_temperature,
            max_tokens=params.llm_max_tokens,
            top_p=params.llm_top_p,
        )
        raw = next(iter(warehouse.query(sql, binds)[0].values()))
        return {
            "model_name": name,
            "provider": self.name,
            "response": cortex.parse_complete_response(raw),
        }


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
