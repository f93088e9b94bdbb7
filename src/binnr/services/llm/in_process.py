"""Providers whose model runs in this process or behind an HTTP API: local and OpenAI-compatible.

Both drive an in-process client (:class:`binnr.models.llm.LLMClient`): rows are read from the
warehouse, classified here, and written back. They differ only in class constants.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any, ClassVar

import pyarrow as pa

from binnr.errors import NotSupported
from binnr.jobs.context import JobContext
from binnr.models.llm.base import LLMClient, ProviderName, resolve_model_type
from binnr.models.metrics import evaluate, summary
from binnr.models.registry import ModelRegistry
from binnr.params.gbm import PredictParams
from binnr.params.llm import LlmPromptParams, LlmTrainJobParams, LlmTrainParams
from binnr.progress import NullProgress
from binnr.services.label_map import LabelMap, resolve_labels
from binnr.services.llm.common import LLM_FIELDS, find_model, label_set, read_pairs, softmax
from binnr.services.predictions import results_table, write_results
from binnr.settings import Settings
from binnr.warehouse.base import Warehouse
from binnr.warehouse.names import TableRef, column


class InProcessProvider:
    """Train, predict and answer through an :class:`LLMClient`."""

    name: ClassVar[ProviderName]
    supports_finetune: ClassVar[bool]
    #: An unregistered model name is a model the server knows (zero-shot), not a 404.
    serves_own_models: ClassVar[bool]

    def client(self, settings: Settings) -> LLMClient:
        raise NotImplementedError

    def check_train(self, *, settings: Settings, params: LlmTrainParams) -> None:
        resolve_model_type(params.model_type, settings=settings, provider=self.name)
        if not self.supports_finetune:
            raise NotSupported(
                f"The {self.name} LLM provider cannot fine-tune models.",
                hint="Set BINNR_LLM_PROVIDER=local (LoRA on this machine) or use Snowflake "
                "Cortex; the openai provider classifies zero-shot with POST "
                "/classification/llm/predict.",
            )

    def train(self, ctx: JobContext, params: LlmTrainJobParams) -> dict[str, Any]:
        """Fine-tune, evaluate on the validation table, register the model."""
        wh, settings = ctx.warehouse, ctx.settings
        label = column(params.target_column)
        train_ref = params.ref(wh, params.training_table)
        labels = resolve_labels(warehouse=wh, ref=train_ref, target_column=label)
        ctx.progress.phase("read", index=1, total=3)
        train = read_pairs(warehouse=wh, ref=train_ref, label_column=label)
        validation = []
        if params.validation_table:
            val_ref = params.ref(wh, params.validation_table)
            validation = read_pairs(warehouse=wh, ref=val_ref, label_column=label)
        client = self.client(settings)
        # Fail before the slow part; the client resolves the name itself (an operator's alias
        # may point outside the model roots, its resolved path would not pass a second time).
        resolve_model_type(params.model_type, settings=settings, provider=self.name)
        ctx.progress.phase("fine-tune", index=2, total=3)
        with tempfile.TemporaryDirectory(dir=settings.home) as tmp:
            meta = client.finetune(
                base_model=params.model_type,
                train=train,
                validation=validation,
                out_dir=Path(tmp),
                options=params.options(),
                progress=ctx.progress,
            )
            ctx.progress.phase("evaluate", index=3, total=3)
            report = _evaluate(client, Path(tmp), validation, sorted({c for _, c in train}), ctx)
            metadata = _metadata(params, meta, report, labels, train_ref, len(train), validation)
            record = ctx.models.create(
                name=params.model_name,
                kind="llm",
                family=str(train_ref).lower(),
                metadata=metadata,
                write=lambda path: _copy(Path(tmp), path),
            )
        return {"model_name": record.name, "active": record.active, "metrics": metadata["metrics"]}

    def check_predict(self, *, registry: ModelRegistry, params: PredictParams) -> None:
        find_model(registry, params.model_name, unregistered_ok=self.serves_own_models)

    def predict(self, ctx: JobContext, params: PredictParams) -> dict[str, Any]:
        """Classify every row of ``predict_table`` with the model's label set."""
        wh = ctx.warehouse
        record = find_model(ctx.models, params.model_name, unregistered_ok=self.serves_own_models)
        source = params.ref(wh, params.predict_table)
        labels = label_set(warehouse=wh, record=record, predict=source)
        client = self.client(ctx.settings)
        model: str | Path = ctx.models.path(record.name) if record else params.model_name

        def score(batch: pa.RecordBatch) -> dict[str, pa.Array]:
            prompts = [t or "" for t in batch.column("source").to_pylist()]
            answers = client.classify(
                model_dir_or_name=model,
                prompts=prompts,
                labels=labels.labels,
                progress=NullProgress(),
            )
            responses = [a.response if a.error is None else f"ERROR: {a.error}" for a in answers]
            return _columns(responses, [a.label for a in answers], labels)

        return _write(ctx, source, score, batch_size=256, model_name=params.model_name)

    def respond(
        self,
        *,
        warehouse: Warehouse,
        registry: ModelRegistry,
        settings: Settings,
        params: LlmPromptParams,
    ) -> dict[str, Any]:
        """One completion for a free prompt."""
        name = params.model_name
        record = (
            find_model(registry, name, unregistered_ok=self.serves_own_models) if name else None
        )
        model: str | Path | None = registry.path(record.name) if record else name
        text = self.client(settings).complete(
            model=model,
            prompt=params.llm_prompt,
            role=params.llm_role,
            temperature=params.llm_temperature,
            max_tokens=params.llm_max_tokens,
            top_p=params.top_p,
        )
        return {"model_name": name, "provider": self.name, "response": text}


class LocalProvider(InProcessProvider):
    """transformers + LoRA on this machine (the bundled SmolLM2 by default)."""

    name: ClassVar[ProviderName] = "local"
    supports_finetune = True
    serves_own_models = False

    def client(self, settings: Settings) -> LLMClient:
        from binnr.models.llm.local import LocalClient  # torch + transformers: seconds to load

        return LocalClient(settings=settings)


class OpenAIProvider(InProcessProvider):
    """Any OpenAI-compatible server, zero-shot (vLLM, Ollama, llama.cpp, OpenAI)."""

    name: ClassVar[ProviderName] = "openai"
    supports_finetune = False
    serves_own_models = True

    def client(self, settings: Settings) -> LLMClient:
        from binnr.models.llm.openai import OpenAIClient

        return OpenAIClient(settings=settings)


def _columns(responses: list[str], predicted: list[str | None], labels: LabelMap) -> dict[str, Any]:
    return {
        "llm_response": pa.array(responses, pa.string()),
        "predicted_label": pa.array(predicted, pa.string()),
        "predicted_target": pa.array([labels.number(p) for p in predicted], pa.int64()),
    }


def _write(
    ctx: JobContext, source: TableRef, score: Any, *, batch_size: int, model_name: str
) -> dict[str, Any]:
    """``llm_<predict_table>_<ts>`` = the rows of ``source`` + the LLM columns."""
    out = results_table(ctx.warehouse, source, prefix="llm_")
    ctx.progress.phase("predict", index=1, total=1)
    rows = write_results(
        warehouse=ctx.warehouse,
        source=source,
        out=out,
        fields=LLM_FIELDS,
        score=score,
        progress=ctx.progress,
        batch_size=batch_size,
    )
    return {"table": out.name, "rows": rows, "model_name": model_name}


def _evaluate(
    client: LLMClient,
    model_dir: Path,
    pairs: list[tuple[str, str]],
    labels: list[str],
    ctx: JobContext,
) -> dict[str, Any] | None:
    if not pairs:
        return None
    answers = client.classify(
        model_dir_or_name=model_dir,
        prompts=[p for p, _ in pairs],
        labels=labels,
        progress=ctx.progress,
    )
    return evaluate(
        actual=[c for _, c in pairs],
        predicted=[a.label for a in answers],
        labels=labels,
        probabilities=softmax([a.scores for a in answers], labels),
    )


def _metadata(
    params: LlmTrainJobParams,
    meta: dict[str, Any],
    report: dict[str, Any] | None,
    labels: LabelMap,
    train_ref: TableRef,
    n_train: int,
    validation: list[tuple[str, str]],
) -> dict[str, Any]:
    return {
        "provider": meta.get("provider", "local"),
        "model_type": params.model_type,
        "base_model": meta.get("base_model"),
        "training_table": str(train_ref),
        "validation_table": params.validation_table,
        "label_column": labels.column,
        "label_map": labels.to_metadata(),
        "rows": {"train": n_train, "validation": len(validation)},
        "options": meta.get("options"),
        "finetune": {k: v for k, v in meta.items() if k not in ("options", "labels")},
        "metrics": summary(report) if report else {"macro_f1": None},
        "report": report,
        "evaluation_policy": "validation_table" if report else "none (no validation table)",
    }


def _copy(src: Path, dest: Path) -> None:
    shutil.copytree(src, dest, dirs_exist_ok=True)
