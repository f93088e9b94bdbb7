"""LLM service: fine-tune, predict and answer prompts with the local or openai provider.

The Cortex path (Snowflake) lives in :mod:`binnr.services.llm_cortex`; :func:`provider_name`
picks the provider from configuration and the warehouse's capabilities.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from binnr.errors import NotSupported
from binnr.jobs.registry import JobContext, job
from binnr.services.labels import LabelMap, require_columns, resolve_labels
from binnr.services.predictions import timestamp
from binnr.settings import Settings
from binnr.warehouse.base import Warehouse
from binnr.warehouse.names import TableRef, column

LLM_FIELDS = (
    pa.field("llm_response", pa.string()),
    pa.field("predicted_label", pa.string()),
    pa.field("predicted_target", pa.int64()),
)


def provider_name(settings: Settings, warehouse: Warehouse) -> str:
    """``BINNR_LLM_PROVIDER``, else Cortex on a warehouse that has it, else local."""
    return settings.llm_provider or ("cortex" if warehouse.has_cortex else "local")


def model_name_for(training_table: str) -> str:
    """``llm_<training_table>_<yyyymmddHHMMSS>``, decided when the job is submitted."""
    return f"llm_{training_table.lower()}_{timestamp()}"


def read_pairs(*, warehouse: Warehouse, ref: TableRef, label_column: str) -> list[tuple[str, str]]:
    """(prompt, completion) = (``source``, label text) for every labelled row."""
    sql = warehouse.render(
        'SELECT "source", {c} AS completion FROM {t} WHERE {c} IS NOT NULL '
        'AND "target" IS NOT NULL',
        c=label_column,
        t=ref,
    )
    return [(r["source"] or "", str(r["completion"])) for r in warehouse.query(sql)]


def check_train(*, warehouse: Warehouse, settings: Settings, params: dict[str, Any]) -> None:
    """Before queuing: tables, the label column, the provider and the model type."""
    from binnr.models.llm import get_provider, resolve_model_type

    label = column(params["target_column"], field="target_column")
    for key in ("training_table", "validation_table"):
        if params.get(key):
            require_columns(warehouse, _ref(warehouse, params, key), ("source", "target", label))
    name = provider_name(settings, warehouse)
    resolve_model_type(params.get("model_type"), settings=settings, provider=name)  # type: ignore[arg-type]
    _options(params)
    if name != "cortex" and not get_provider(settings=settings, name=name).supports_finetune:  # type: ignore[arg-type]
        raise NotSupported(
            f"The {name} LLM provider cannot fine-tune models.",
            hint="Set BINNR_LLM_PROVIDER=local (LoRA on this machine) or use Snowflake Cortex; "
            "the openai provider classifies zero-shot with POST /classification/llm/predict.",
        )


@job("llm.train")
def llm_train_job(ctx: JobContext, params: dict[str, Any]) -> dict[str, Any]:
    """Fine-tune, evaluate on the validation table, register the model."""
    if provider_name(ctx.settings, ctx.warehouse) == "cortex":
        from binnr.services.llm_cortex import cortex_train

        return cortex_train(ctx, params)
    from binnr.models.llm import get_provider, resolve_model_type

    wh, settings = ctx.warehouse, ctx.settings
    label = column(params["target_column"])
    train_ref = _ref(wh, params, "training_table")
    labels = resolve_labels(warehouse=wh, ref=train_ref, target_column=label)
    ctx.progress.phase("read", index=1, total=3)
    train = read_pairs(warehouse=wh, ref=train_ref, label_column=label)
    validation = []
    if params.get("validation_table"):
        validation = read_pairs(
            warehouse=wh, ref=_ref(wh, params, "validation_table"), label_column=label
        )
    name = provider_name(settings, wh)
    provider = get_provider(settings=settings, name=name)  # type: ignore[arg-type]
    base = resolve_model_type(params.get("model_type"), settings=settings, provider=name)  # type: ignore[arg-type]
    ctx.progress.phase("fine-tune", index=2, total=3)
    with tempfile.TemporaryDirectory(dir=settings.home) as tmp:
        meta = provider.finetune(
            base_model=base,
            train=train,
            validation=validation,
            out_dir=Path(tmp),
            options=_options(params),
            progress=ctx.progress,
        )
        ctx.progress.phase("evaluate", index=3, total=3)
        report = _evaluate(provider, Path(tmp), validation, sorted({c for _, c in train}), ctx)
        metadata = _metadata(params, meta, report, labels, train_ref, len(train), len(validation))
        record = ctx.registry.create(
            name=params["model_name"],
            kind="llm",
            family=str(train_ref).lower(),
            metadata=metadata,
            write=lambda path: _copy(Path(tmp), path),
        )
    return {"model_name": record.name, "active": record.active, "metrics": metadata["metrics"]}


def _evaluate(
    provider: Any,
    model_dir: Path,
    pairs: list[tuple[str, str]],
    labels: list[str],
    ctx: JobContext,
) -> dict[str, Any] | None:
    from binnr.models.metrics import evaluate

    if not pairs:
        return None
    answers = provider.classify(
        model_dir_or_name=model_dir,
        prompts=[p for p, _ in pairs],
        labels=labels,
        progress=ctx.progress,
    )
    probabilities = _softmax([a.scores for a in answers], labels)
    return evaluate(
        actual=[c for _, c in pairs],
        predicted=[a.label for a in answers],
        labels=labels,
        probabilities=probabilities,
    )


def _softmax(scores: list[dict[str, float] | None], labels: list[str]) -> np.ndarray | None:
    if not scores or any(s is None for s in scores):
        return None
    raw = np.array([[s[label] for label in labels] for s in scores if s is not None])
    raw = raw - raw.max(axis=1, keepdims=True)
    exp = np.exp(raw)
    return np.asarray(exp / exp.sum(axis=1, keepdims=True))


def _metadata(
    params: dict[str, Any],
    meta: dict[str, Any],
    report: dict[str, Any] | None,
    labels: LabelMap,
    train_ref: TableRef,
    n_train: int,
    n_validation: int,
) -> dict[str, Any]:
    from binnr.models.metrics import summary

    return {
        "provider": meta.get("provider", "local"),
        "model_type": params.get("model_type"),
        "base_model": meta.get("base_model"),
        "training_table": str(train_ref),
        "validation_table": params.get("validation_table"),
        "label_column": labels.column,
        "label_map": {label: number for number, label in labels.numbers.items()},
        "rows": {"train": n_train, "validation": n_validation},
        "options": meta.get("options"),
        "finetune": {k: v for k, v in meta.items() if k not in ("options", "labels")},
        "metrics": summary(report) if report else {"macro_f1": None},
        "report": report,
        "evaluation_policy": "validation_table" if report else "none (no validation table)",
    }


def _options(params: dict[str, Any]) -> Any:
    from binnr.models.llm import FinetuneOptions

    keys = ("epochs", "max_steps", "learning_rate", "lora_r", "batch_size")
    return FinetuneOptions(**{k: params[k] for k in keys if params.get(k) is not None})


def _ref(warehouse: Warehouse, params: dict[str, Any], key: str) -> TableRef:
    return warehouse.ref(params[key], database=params.get("database"), schema=params.get("schema"))


def _copy(src: Path, dest: Path) -> None:
    shutil.copytree(src, dest, dirs_exist_ok=True)
