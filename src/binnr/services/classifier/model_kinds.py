"""The two kinds of model the ``local`` engine trains, behind one small interface.

``auto`` (and ``linear``, ``embeddings``, ``stack``): the stacked ensemble of
:mod:`binnr.models.ensemble`. ``lightgbm``: the original text GBM of :mod:`binnr.models.gbm`.
A registered model names its artefact format in its metadata (``format``); prediction picks the
kind from it (models saved before formats were recorded are text GBMs).
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from binnr.jobs.context import JobContext
from binnr.jobs.isolated import run_isolated
from binnr.models.ensemble.chunking import Precomputed, precompute
from binnr.models.ensemble.params import AutoParams
from binnr.models.label_issues import LabelIssue
from binnr.models.metrics import summary
from binnr.models.registry import ModelRecord
from binnr.models.train_entry import fit_auto, fit_text_gbm
from binnr.params.gbm import GbmTrainParams
from binnr.services.embedding_cache import gbm_embedder
from binnr.services.label_map import LabelMap
from binnr.services.training_data import LabelledText
from binnr.warehouse.names import TableRef

Embed = Callable[[Sequence[str]], np.ndarray]
#: Artefact formats (``FORMAT`` of :mod:`binnr.models.gbm` and :mod:`binnr.models.ensemble.model`,
#: checked by a test): LightGBM and scikit-learn load only when a model is trained or loaded.
TEXT_GBM_FORMAT = "binnr.gbm/1"
AUTO_FORMAT = "binnr.auto/1"
_EMBEDDING_MODELS = frozenset({"auto", "embeddings", "stack"})


@dataclass
class TrainingData:
    """What a training job read: the table, its label map, train and evaluation rows."""

    table: TableRef
    labels: LabelMap
    train: LabelledText
    evaluation: LabelledText | None


@dataclass
class Fitted:
    """A trained model's files (in a temporary ``folder``), its metadata and (auto) its
    suspicious labels."""

    folder: Path
    metadata: dict[str, Any]
    label_issues: list[LabelIssue] | None = None

    def save(self, target: Path) -> None:
        """Move the model files into ``target`` (the registry's new model folder)."""
        target.mkdir(parents=True, exist_ok=True)
        for item in self.folder.iterdir():
            shutil.move(item, target / item.name)

    def discard(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


class Predictor(Protocol):
    """A loaded model: class probabilities and the predicted class of each text."""

    labels: list[str]

    def scores(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]: ...


class ModelKind(Protocol):
    format: str

    def fit(self, ctx: JobContext, params: GbmTrainParams, data: TrainingData) -> Fitted: ...

    def load(self, ctx: JobContext, record: ModelRecord, near: TableRef) -> Predictor: ...


def embedder(ctx: JobContext, near: TableRef) -> Embed:
    """Cached embeddings (see :mod:`binnr.services.embedding_cache`) with the job's progress."""
    return gbm_embedder(
        settings=ctx.settings,
        warehouse=ctx.warehouse,
        training=near,
        model=ctx.settings.embedding_model,
        progress=ctx.progress,
    )


def _train(
    ctx: JobContext, fn: Callable[..., dict[str, Any]], **kwargs: Any
) -> tuple[Fitted, dict[str, Any]]:
    """``fn(folder=…, **kwargs)`` (a :mod:`binnr.models.train_entry` function) with the job's
    progress; in a child process when nothing in it needs this process: no embeddings, or
    embeddings computed beforehand (:class:`Precomputed`; the embedder reads and writes the
    warehouse's cache, so it stays here). The model files wait in a temporary folder until
    the registry takes them (:meth:`Fitted.save`); returned with what ``fn`` returned, for the
    kind to turn into the model's metadata."""
    folder = Path(tempfile.mkdtemp(prefix="binnr-fit-"))
    try:
        if ctx.settings.isolate_training and isinstance(kwargs.get("embed"), Precomputed | None):
            out = run_isolated(fn, progress=ctx.progress, folder=folder, **kwargs)
        else:
            out = fn(progress=ctx.progress, folder=folder, **kwargs)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return Fitted(folder=folder, metadata={}), out


class _Scored:
    """Adapts a model with ``predict_proba`` (and maybe a decision rule) to :class:`Predictor`."""

    def __init__(self, model: Any, decide: Callable[[np.ndarray], list[str]] | None) -> None:
        self.model, self.labels, self._decide = model, list(model.labels), decide

    def scores(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        proba = self.model.predict_proba(texts) if texts else np.zeros((0, len(self.labels)))
        if self._decide is None or not len(proba):
            return proba, proba.argmax(axis=1) if len(proba) else np.zeros(0, dtype=int)
        index = {label: i for i, label in enumerate(self.labels)}
        return proba, np.array([index[label] for label in self._decide(proba)], dtype=int)


class TextGbmKind:
    """``model="lightgbm"``: the original text GBM, with its training log and importances."""

    format = TEXT_GBM_FORMAT

    def fit(self, ctx: JobContext, params: GbmTrainParams, data: TrainingData) -> Fitted:
        knobs = params.params.lightgbm
        embed = embedder(ctx, data.table) if knobs.features == "text+embeddings" else None
        fitted, out = _train(
            ctx,
            fit_text_gbm,
            texts=data.train.texts,
            labels=data.train.labels,
            eval_texts=data.evaluation.texts if data.evaluation else None,
            eval_labels=data.evaluation.labels if data.evaluation else None,
            params=knobs,
            embed=embed,
        )
        fitted.metadata = {
            "params": {**params.params.model_dump(), "model": "lightgbm"},
            "metrics": summary(out["report"]),
            "report": out["report"],
            "training_log": out["training_log"],
            "feature_importance": out["feature_importance"],
            "evaluation_policy": "validation_table" if data.evaluation else "stratified holdout",
        }
        return fitted

    def load(self, ctx: JobContext, record: ModelRecord, near: TableRef) -> Predictor:
        from binnr.models import gbm

        params = record.metadata.get("params", {})
        features = (params.get("lightgbm") or params).get("features", "text")
        embed = embedder(ctx, near) if features == "text+embeddings" else None
        return _Scored(gbm.TrainedGbm.load(ctx.models.path(record.name), embed=embed), None)


class AutoKind:
    """``model="auto"`` and the ensemble's single models: leaderboard, calibration, issues."""

    format = AUTO_FORMAT

    def fit(self, ctx: JobContext, params: GbmTrainParams, data: TrainingData) -> Fitted:
        knobs = params.params
        auto = AutoParams.model_validate(knobs.model_dump(exclude={"lightgbm"}))
        embed = embedder(ctx, data.table) if knobs.model in _EMBEDDING_MODELS else None
        eval_texts = data.evaluation.texts if data.evaluation else None
        ready = None
        if embed is not None and ctx.settings.isolate_training:
            # embedded here (the cache lives in this process's warehouse), trained in a child
            every = [*data.train.texts, *(eval_texts or [])]
            ready = precompute(embed, every, window=auto.window_words, max_chunks=auto.max_chunks)
        fitted, out = _train(
            ctx,
            fit_auto,
            texts=data.train.texts,
            labels=data.train.labels,
            params=auto,
            embed=ready or embed,
            eval_texts=eval_texts,
            eval_labels=data.evaluation.labels if data.evaluation else None,
        )
        report = out["report"]
        evaluation = report.get("eval") or {}
        calibration = report.get("calibration") or {}
        fitted.metadata = {
            "params": knobs.model_dump(),
            "chosen_model": out["chosen"],
            "bases": out["bases"],
            "metrics": {**summary(evaluation), "ece": calibration.get("ece")},
            "report": evaluation,
            "leaderboard": report.get("leaderboard"),
            "calibration": calibration,
            "ensemble": {k: v for k, v in report.items() if k not in ("eval", "calibration")},
            "evaluation_policy": report.get("eval_rows", "held-out rows"),
        }
        fitted.label_issues = out["label_issues"]
        return fitted

    def load(self, ctx: JobContext, record: ModelRecord, near: TableRef) -> Predictor:
        from binnr.models.ensemble.model import AutoModel

        needs_embed = "embeddings" in record.metadata.get("bases", [])
        embed = embedder(ctx, near) if needs_embed else None
        model = AutoModel.load(ctx.models.path(record.name), embed=embed)
        return _Scored(model, model.decide)


KINDS: dict[str, ModelKind] = {kind.format: kind for kind in (TextGbmKind(), AutoKind())}


def kind_for_training(params: GbmTrainParams) -> ModelKind:
    """``lightgbm`` is the text GBM; every other ``model`` value is the ensemble."""
    return KINDS[TEXT_GBM_FORMAT if params.params.model == "lightgbm" else AUTO_FORMAT]


def kind_of(record: ModelRecord) -> ModelKind:
    """The kind that saved ``record`` (before formats were recorded: the text GBM)."""
    return KINDS[str(record.metadata.get("format", TEXT_GBM_FORMAT))]
