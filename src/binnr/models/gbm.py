"""binnr's text-aware gradient-boosted classifier (LightGBM on selected n-grams).

Design (``features="text"``, the default): TF-IDF word 1–2-grams and ``char_wb`` 2–5-grams
(sublinear tf, ``min_df=2``); chi² keeps the top ``max_features`` (5,000); LightGBM learns a
multiclass model on them (``max_bin=15``, 31 leaves, feature fraction 0.5, learning rate 0.3,
early stopping; see :class:`GbmParams`). :mod:`binnr.models.text_features` explains the
feature values (no row normalisation, two length columns) and the fast numpy transform. A
saved model matches only the n-grams its trees split on.

``features="text+embeddings"`` stacks: 5-fold out-of-fold probabilities of TF-IDF +
LogisticRegression, concatenated with sentence embeddings, are LightGBM's features.

Evaluation and refit policy: the evaluation split is a stratified ``eval_fraction`` holdout of
the training rows (or the given eval set). Vocabulary, selection and trees are learned on the
rest, LightGBM early-stops on the evaluation split, and the report is computed there. Then the
whole recipe runs again on all rows (train + eval) for the best iteration count: the saved
model has seen every row; the report describes the same recipe on rows it had not seen.

Prediction is stateless per call (stream batches through it); a call is cut into cache-sized
chunks that run on ``num_threads`` threads (numpy and LightGBM release the GIL).

Storage: ``model.txt`` (LightGBM's text format), ``vectorizer.json``, ``linear.json`` (stacked
variant only) and ``gbm.json`` (labels, params, report, log, importance). No pickles.

Training internals (data preparation, fitting, boosting, report, importance) live in
:mod:`binnr.models.gbm_training`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import lightgbm as lgb
import numpy as np
from pydantic import ValidationError

from binnr.errors import InvalidInput, ModelError, describe_validation_error
from binnr.models import metrics
from binnr.models.gbm_params import GbmParams
from binnr.models.gbm_training import (
    Embed,
    _as_proba,
    _clean,
    _embeddings,
    _features,
    _fit,
    _importance,
    _prepare,
    _report,
)
from binnr.models.stacking import LinearScores
from binnr.models.text_features import SelectedTfidf
from binnr.progress import NullProgress, Progress

FORMAT = "binnr.gbm/1"
_CHUNK = 4096  # rows per predict chunk (cache-sized); chunks run on num_threads threads


class TrainedGbm:
    """A trained model: predict in batches, save to and load from a folder."""

    def __init__(
        self,
        *,
        booster: Any,
        vectorizer: SelectedTfidf,
        labels: Sequence[str],
        params: GbmParams,
        info: dict[str, Any],
        linear: LinearScores | None = None,
        embed: Embed | None = None,
    ) -> None:
        self.booster, self.vectorizer, self.linear = booster, vectorizer, linear
        self.labels, self.params, self.info, self.embed = list(labels), params, info, embed

    @property
    def report(self) -> dict[str, Any]:
        return dict(self.info["report"])

    @property
    def training_log(self) -> list[dict[str, Any]]:
        return list(self.info["training_log"])

    @property
    def feature_importance(self) -> dict[str, list[dict[str, Any]]]:
        return dict(self.info["feature_importance"])

    def predict_proba(
        self, texts: Sequence[str | None], *, embeddings: np.ndarray | None = None
    ) -> np.ndarray:
        """Class probabilities (rows × labels, rows sum to 1). Stateless: call per batch."""
        clean = _clean(texts)
        stacked = self.params.features == "text+embeddings"
        emb = _embeddings(clean, embeddings, self.embed) if stacked else None
        chunks = [(i, min(i + _CHUNK, len(clean))) for i in range(0, len(clean), _CHUNK)]
        if len(chunks) <= 1 or self.params.num_threads == 1:
            parts = [self._proba(clean[a:b], emb, a, self.params.num_threads) for a, b in chunks]
        else:  # numpy and LightGBM release the GIL: chunks run side by side
            with ThreadPoolExecutor(self.params.num_threads) as pool:
                parts = list(
                    pool.map(lambda c: self._proba(clean[c[0] : c[1]], emb, c[0], 1), chunks)
                )
        if not parts:
            return np.zeros((0, len(self.labels)))
        return np.vstack(parts)

    def predict(
        self, texts: Sequence[str | None], *, embeddings: np.ndarray | None = None
    ) -> list[str]:
        """The most probable label of each text."""
        proba = self.predict_proba(texts, embeddings=embeddings)
        return [self.labels[i] for i in proba.argmax(axis=1)]

    def _proba(
        self, texts: list[str], emb: np.ndarray | None, start: int, threads: int
    ) -> np.ndarray:
        part = None if emb is None else emb[start : start + len(texts)]
        x = _features(self.vectorizer, self.linear, texts, part)
        return _as_proba(self.booster.predict(x, num_threads=threads), len(self.labels))

    def metadata(self) -> dict[str, Any]:
        """What the model registry stores next to the files."""
        return {
            "metrics": metrics.summary(self.info["report"]),
            "params": self.params.model_dump(),
            "labels": self.labels,
            "label_map": {label: i for i, label in enumerate(self.labels)},
            "rows": self.info["rows"],
            "best_iteration": self.info["best_iteration"],
        }

    def save(self, path: Path) -> None:
        """Write the model files into the folder ``path`` (created if needed)."""
        path.mkdir(parents=True, exist_ok=True)
        self.booster.save_model(str(path / "model.txt"))
        (path / "vectorizer.json").write_text(json.dumps(self.vectorizer.to_json()))
        if self.linear is not None:
            (path / "linear.json").write_text(json.dumps(self.linear.to_json()))
        meta = {"format": FORMAT, "labels": self.labels, "params": self.params.model_dump()}
        (path / "gbm.json").write_text(json.dumps({**meta, **self.info}, allow_nan=False))

    @classmethod
    def load(cls, path: Path, *, embed: Embed | None = None) -> TrainedGbm:
        """Read a model saved by :meth:`save` (``embed`` for the stacked variant)."""
        try:
            meta = json.loads((path / "gbm.json").read_text())
            if meta.get("format") != FORMAT:
                raise ValueError(f"it holds a {meta.get('format')!r} model, not {FORMAT!r}")
            params = GbmParams.model_validate(meta["params"])
            vectorizer = SelectedTfidf.from_json(json.loads((path / "vectorizer.json").read_text()))
            booster = lgb.Booster(model_file=str(path / "model.txt"))
            linear_file = path / "linear.json"
            linear = (
                LinearScores.from_json(json.loads(linear_file.read_text()))
                if linear_file.exists()
                else None
            )
        except (OSError, ValueError, KeyError, lgb.basic.LightGBMError) as exc:
            raise ModelError(
                f"Cannot read the GBM model in {path.name}: {exc}",
                hint="Retrain the model; its files are missing or from another version.",
            ) from exc
        info = {k: v for k, v in meta.items() if k not in ("format", "labels", "params")}
        return cls(
            booster=booster,
            vectorizer=vectorizer,
            labels=meta["labels"],
            params=params,
            info=info,
            linear=linear,
            embed=embed,
        )


def train(
    *,
    texts: Sequence[str | None],
    labels: Sequence[str | None],
    eval_texts: Sequence[str | None] | None = None,
    eval_labels: Sequence[str | None] | None = None,
    params: GbmParams | dict[str, Any] | None = None,
    progress: Progress = NullProgress(),
    embed: Embed | None = None,
    embeddings: np.ndarray | None = None,
    eval_embeddings: np.ndarray | None = None,
) -> TrainedGbm:
    """Train, evaluate on the holdout (or eval set), then refit on all rows (module docstring).

    ``embed`` (texts → array) or ``embeddings``/``eval_embeddings`` (one row per text) feed the
    ``text+embeddings`` variant; ``embed`` is kept on the model for predicting.
    """
    p = _params(params)
    data = _prepare(texts, labels, eval_texts, eval_labels, p, embed, embeddings, eval_embeddings)
    stages = {"vectorise": 1, "select": 2, "train": 3}

    def step(name: str) -> None:
        progress.check_cancelled()
        progress.phase(name, index=stages[name], total=5)

    def refit_step(name: str) -> None:
        progress.check_cancelled()
        progress.update(message=f"refit: {name}")

    has_eval = len(data.eval) > 0
    first = _fit(data, data.train, p, progress, rounds=p.num_rounds, step=step, valid=has_eval)
    progress.phase("evaluate", index=4, total=5)
    best = first.booster.best_iteration or p.num_rounds
    report = _report(data, first, best, p.num_threads)
    report |= {"best_iteration": best, "warnings": data.warnings, "split": data.source}
    progress.phase("refit", index=5, total=5)
    final = _fit(data, np.arange(len(data.y)), p, progress, rounds=best, step=refit_step)
    if final.linear is None:  # match only the n-grams the trees split on
        split_counts = final.booster.feature_importance(importance_type="split")
        final.vectorizer = final.vectorizer.pruned(np.flatnonzero(split_counts > 0).tolist())
    info = {
        "report": report,
        "training_log": first.log,
        "feature_importance": _importance(final, data.labels),
        "best_iteration": best,
        "rows": {"train": len(data.train), "eval": len(data.eval), "refit": len(data.y)},
        "split": data.source,
    }
    return TrainedGbm(
        booster=final.booster,
        vectorizer=final.vectorizer,
        labels=data.labels,
        params=p,
        info=info,
        linear=final.linear,
        embed=embed,
    )


def _params(params: GbmParams | dict[str, Any] | None) -> GbmParams:
    if isinstance(params, GbmParams):
        return params
    try:
        return GbmParams.model_validate(params or {})
    except ValidationError as exc:
        raise InvalidInput(
            f"Invalid GBM params: {describe_validation_error(exc)}",
            hint=f"Allowed keys: {', '.join(GbmParams.model_fields)}.",
        ) from exc
