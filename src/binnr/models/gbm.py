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
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

# LightGBM's OpenMP threads spin while they wait. On a busy or oversubscribed machine (two job
# threads, neighbours) that made 2-thread training 14x slower than 1 thread on 2k rows and 2.8x
# on 22k rows (measured on 2 shared cores); passive waiting removes it. Only takes effect if no
# OpenMP runtime was loaded before; set it in the service's environment to be sure.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import lightgbm as lgb
import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from binnr.errors import InvalidInput, ModelError
from binnr.jobs.progress import NullProgress, Progress
from binnr.models import metrics
from binnr.models.text_features import LinearScores, SelectedTfidf, Vocabulary, out_of_fold

Embed = Callable[[Sequence[str]], np.ndarray]
FORMAT = "binnr.gbm/1"
MAX_BIN = 15
_CHUNK = 4096  # rows per predict chunk (cache-sized); chunks run on num_threads threads
_TOP_FEATURES = 20


class GbmParams(BaseModel):
    """Training parameters; unknown keys are rejected."""

    model_config = ConfigDict(extra="forbid")

    features: Literal["text", "text+embeddings"] = Field(
        "text", description="'text': selected TF-IDF n-grams; 'text+embeddings': stacked."
    )
    max_features: int = Field(5000, ge=1, le=200_000, description="n-grams kept by chi².")
    num_leaves: int = Field(31, ge=2, le=1024, description="Leaves per LightGBM tree.")
    learning_rate: float = Field(
        0.3,
        gt=0,
        le=1,
        description="Shrinkage; 0.3 needs half the trees of 0.15 (faster "
        "training and prediction) for about 0.002 less macro-F1 on tweets.",
    )
    num_rounds: int = Field(300, ge=1, le=10_000, description="Most boosting rounds.")
    early_stopping_rounds: int = Field(
        20, ge=1, description="Stop when the eval loss has not improved for this many rounds."
    )
    feature_fraction: float = Field(0.5, gt=0, le=1, description="Features tried per tree.")
    class_weight: Literal["balanced"] | None = Field(
        None, description="'balanced' weighs rows inversely to their class frequency."
    )
    eval_fraction: float = Field(
        0.2, gt=0, lt=1, description="Stratified holdout share when no eval set is given."
    )
    seed: int = Field(0, description="Seed for the split, folds and LightGBM.")
    num_threads: int = Field(2, ge=1, le=64, description="Threads for training and predict.")


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


def _clean(texts: Sequence[str | None]) -> list[str]:
    """None and NaN become ''; everything else its ``str``."""
    return ["" if t is None or (isinstance(t, float) and t != t) else str(t) for t in texts]


def _embeddings(texts: list[str], given: np.ndarray | None, embed: Embed | None) -> np.ndarray:
    if given is not None:
        emb = np.asarray(given, dtype=np.float64)
    elif embed is not None:
        emb = np.asarray(embed(texts), dtype=np.float64)
    else:
        raise ModelError(
            "features='text+embeddings' needs sentence embeddings.",
            hint="Pass embeddings=<array> or an embed=<callable> (see binnr.models.gbm).",
        )
    if emb.ndim != 2 or emb.shape[0] != len(texts):
        raise ModelError(
            f"Embeddings have shape {emb.shape}; expected ({len(texts)}, dim).",
            hint="Pass one embedding row per text.",
        )
    return emb


def _as_proba(raw: np.ndarray, n_labels: int) -> np.ndarray:
    """LightGBM's output as an (n, K) matrix (the binary objective returns P(class 1))."""
    if n_labels == 2:
        raw = np.column_stack([1.0 - raw, raw])
    return np.asarray(raw, dtype=np.float64).reshape(-1, n_labels)


@dataclass
class _Data:
    """Cleaned rows (train first, then eval) with integer labels and the evaluation split."""

    texts: list[str]
    y: np.ndarray
    labels: list[str]
    train: np.ndarray
    eval: np.ndarray
    emb: np.ndarray | None
    source: str
    warnings: list[str] = field(default_factory=list)


@dataclass
class _Fitted:
    vectorizer: SelectedTfidf
    linear: LinearScores | None
    booster: Any
    log: list[dict[str, Any]]
    eval_x: Any = None


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
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise InvalidInput(
            f"Invalid GBM params: {problems}",
            hint=f"Allowed keys: {', '.join(GbmParams.model_fields)}.",
        ) from exc


def _prepare(
    texts: Sequence[str | None],
    labels: Sequence[str | None],
    eval_texts: Sequence[str | None] | None,
    eval_labels: Sequence[str | None] | None,
    p: GbmParams,
    embed: Embed | None,
    embeddings: np.ndarray | None,
    eval_embeddings: np.ndarray | None,
) -> _Data:
    given = eval_texts is not None or eval_labels is not None
    extra_t, extra_l = list(eval_texts or []), list(eval_labels or [])
    if len(texts) != len(labels) or len(extra_t) != len(extra_l):
        raise InvalidInput(
            "texts and labels (and eval_texts and eval_labels) must have the same length.",
            hint="Pass one label per text.",
        )
    all_texts, raw = _clean([*texts, *extra_t]), [*labels, *extra_l]
    keep = np.array([v is not None and v == v for v in raw], dtype=bool)  # v != v: NaN
    warnings = [] if keep.all() else [f"{int((~keep).sum())} rows without a label were skipped."]
    emb = None
    if p.features == "text+embeddings":
        pieces = [e for e in (embeddings, eval_embeddings) if e is not None]
        emb = _embeddings(all_texts, np.vstack(pieces) if pieces else None, embed)[keep]
    names = [str(v) for v, k in zip(raw, keep, strict=True) if k]
    classes = sorted(set(names))
    if len(classes) < 2:
        raise ModelError(
            f"Training needs at least 2 classes; the labels hold {len(classes)}.",
            hint="Check the label column: a classifier needs examples of several labels.",
        )
    index = {c: i for i, c in enumerate(classes)}
    y = np.array([index[v] for v in names], dtype=np.int64)
    kept = [t for t, k in zip(all_texts, keep, strict=True) if k]
    if given:
        is_train = (np.arange(len(raw)) < len(texts))[keep]
        train, held = np.flatnonzero(is_train), np.flatnonzero(~is_train)
        missing = sorted(set(classes) - {classes[i] for i in y[train]})
        warnings += [f"Class {c!r} occurs only in the eval set." for c in missing]
    else:
        train, held = _holdout(y, classes, p.eval_fraction, p.seed, warnings)
    source = "eval set" if given else f"stratified {p.eval_fraction:.0%} holdout"
    return _Data(kept, y, classes, train, held, emb, source, warnings)


def _holdout(
    y: np.ndarray, classes: list[str], fraction: float, seed: int, warnings: list[str]
) -> tuple[np.ndarray, np.ndarray]:
    """A stratified split that copes with tiny classes (a 1-row class stays in training)."""
    rng = np.random.default_rng(seed)
    held = np.zeros(len(y), dtype=bool)
    for c, name in enumerate(classes):
        rows = rng.permutation(np.flatnonzero(y == c))
        if len(rows) < 2:
            warnings.append(f"Class {name!r} has 1 row: it is trained on but not evaluated.")
            continue
        held[rows[: min(max(round(fraction * len(rows)), 1), len(rows) - 1)]] = True
    return np.flatnonzero(~held), np.flatnonzero(held)


def _fit(
    data: _Data,
    rows: np.ndarray,
    p: GbmParams,
    progress: Progress,
    *,
    rounds: int,
    step: Callable[[str], None],
    valid: bool = False,
) -> _Fitted:
    """Vocabulary, selection, (stacking), trees: the whole recipe on ``rows``."""
    texts, y, n_labels = [data.texts[i] for i in rows], data.y[rows], len(data.labels)
    step("vectorise")
    vocabulary = Vocabulary(texts)
    step("select")
    progress.update(message=f"choosing {p.max_features} of {vocabulary.size} n-grams")
    vectorizer = vocabulary.select(labels=y, max_features=p.max_features)
    del vocabulary  # the full matrix is large; free it before boosting
    x, linear = vectorizer.transform(texts), None
    if data.emb is not None:
        scaled = vectorizer.normalised(x)
        oof = out_of_fold(scaled, y, n_labels=n_labels, folds=5, seed=p.seed)
        linear = LinearScores.fit(scaled, y, n_labels=n_labels, seed=p.seed)
        x = np.hstack([oof, data.emb[rows]])
    eval_x = None
    if valid:
        eval_emb = None if data.emb is None else data.emb[data.eval]
        eval_x = _features(vectorizer, linear, [data.texts[i] for i in data.eval], eval_emb)
    step("train")
    booster, log = _boost(x, y, p, n_labels, progress, rounds=rounds, valid=eval_x, data=data)
    return _Fitted(vectorizer, linear, booster, log, eval_x)


def _boost(
    x: Any,
    y: np.ndarray,
    p: GbmParams,
    n_labels: int,
    progress: Progress,
    *,
    rounds: int,
    valid: Any,
    data: _Data,
) -> tuple[Any, list[dict[str, Any]]]:
    weight = None
    if p.class_weight == "balanced":
        counts = np.bincount(y, minlength=n_labels)
        weight = len(y) / (np.count_nonzero(counts) * counts[y])
    binary = n_labels == 2
    params = {
        "objective": "binary" if binary else "multiclass",
        "metric": "binary_logloss" if binary else "multi_logloss",
        "num_class": 1 if binary else n_labels,
        "learning_rate": p.learning_rate,
        "num_leaves": p.num_leaves,
        "feature_fraction": p.feature_fraction,
        "max_bin": MAX_BIN,
        "seed": p.seed,
        "num_threads": p.num_threads,
        "deterministic": True,
        "force_col_wise": True,
        "verbose": -1,
    }
    train_set = lgb.Dataset(x, label=y, weight=weight, params={"max_bin": MAX_BIN, "verbose": -1})
    sets, names = [train_set], ["train"]
    log: list[dict[str, Any]] = []
    callbacks: list[Any] = [_Record(progress, log, rounds)]
    if valid is not None:
        sets.append(lgb.Dataset(valid, label=data.y[data.eval], reference=train_set))
        names.append("eval")
        callbacks.append(lgb.early_stopping(p.early_stopping_rounds, verbose=False))
    booster = lgb.train(
        params,
        train_set,
        num_boost_round=rounds,
        valid_sets=sets,
        valid_names=names,
        callbacks=callbacks,
    )
    return booster, log


class _Record:
    """LightGBM callback: log the losses, report progress, honour a cancel request."""

    order = 10  # before early stopping (30), so the last round is logged too
    before_iteration = False

    def __init__(self, progress: Progress, log: list[dict[str, Any]], total: int) -> None:
        self.progress, self.log, self.total = progress, log, total

    def __call__(self, env: Any) -> None:
        self.progress.check_cancelled()
        losses = {item[0]: float(item[2]) for item in env.evaluation_result_list}
        entry = {
            "iteration": env.iteration + 1,
            "train_loss": losses.get("train"),
            "eval_loss": losses.get("eval"),
        }
        self.log.append(entry)
        self.progress.update(done=env.iteration + 1, total=self.total, metrics=entry)


def _features(
    vectorizer: SelectedTfidf, linear: LinearScores | None, texts: list[str], emb: Any
) -> Any:
    """The booster's input for ``texts``: n-grams, or LR probabilities + embeddings."""
    x = vectorizer.transform(texts)
    return x if linear is None else np.hstack([linear.proba(vectorizer.normalised(x)), emb])


def _report(data: _Data, fitted: _Fitted, best: int, threads: int) -> dict[str, Any]:
    if fitted.eval_x is None:
        data.warnings.append("No rows were left for evaluation; the report is empty.")
        return metrics.evaluate(actual=[], predicted=[], labels=data.labels)
    raw = fitted.booster.predict(fitted.eval_x, num_iteration=best, num_threads=threads)
    proba = _as_proba(raw, len(data.labels))
    return metrics.evaluate(
        actual=[data.labels[i] for i in data.y[data.eval]],
        predicted=[data.labels[i] for i in proba.argmax(axis=1)],
        labels=data.labels,
        probabilities=proba,
    )


def _importance(fitted: _Fitted, labels: list[str]) -> dict[str, list[dict[str, Any]]]:
    """Top features per class by split gain (multiclass: tree i belongs to class i % K)."""
    if fitted.linear is None:
        names = fitted.vectorizer.names()
    else:
        names = [("lr", f"P({label})") for label in labels]
        names += [
            ("embedding", f"dim {i}") for i in range(fitted.booster.num_feature() - len(names))
        ]
    per_tree = 1 if len(labels) == 2 else len(labels)
    gains = np.zeros((per_tree, len(names)))
    for tree in fitted.booster.dump_model()["tree_info"]:
        stack = [tree["tree_structure"]]
        while stack:
            node = stack.pop()
            if "split_feature" in node:
                gains[tree["tree_index"] % per_tree, node["split_feature"]] += node["split_gain"]
                stack += [node["left_child"], node["right_child"]]
    out = {}
    for k, label in enumerate(labels):
        g = gains[k % per_tree]
        top = [j for j in np.argsort(-g, kind="stable")[:_TOP_FEATURES] if g[j] > 0]
        out[label] = [
            {"feature": names[j][1], "kind": names[j][0], "gain": round(float(g[j]), 4)}
            for j in top
        ]
    return out
