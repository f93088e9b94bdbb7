"""Training internals of :mod:`binnr.models.gbm`, plus the input/output helpers prediction shares.

:func:`binnr.models.gbm.train` runs the recipe here: :func:`_prepare` cleans the rows and picks
the evaluation split (the given eval set, or a stratified holdout via :func:`_holdout`);
:func:`_fit` learns vocabulary, chi² selection, (stacking) and trees on a set of rows;
:func:`_report` evaluates the first fit on the split, :func:`_importance` ranks the refit's
features. Import it through :mod:`binnr.models.gbm`, which sets ``OMP_WAIT_POLICY`` before
LightGBM loads.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import lightgbm as lgb
import numpy as np

from binnr.errors import InvalidInput, ModelError
from binnr.models import metrics
from binnr.models.gbm_params import GbmParams
from binnr.models.stacking import LinearScores, out_of_fold
from binnr.models.text_features import SelectedTfidf, Vocabulary
from binnr.models.texts import plain_texts as _clean
from binnr.progress import Progress

Embed = Callable[[Sequence[str]], np.ndarray]
MAX_BIN = 15
_TOP_FEATURES = 20


def encode_classes(names: Sequence[str]) -> tuple[list[str], np.ndarray]:
    """Sorted class names and each row's class index; fewer than two classes is an error."""
    classes = sorted(set(names))
    if len(classes) < 2:
        raise ModelError(
            f"Training needs at least 2 classes; the labels hold {len(classes)}.",
            hint="Check the label column: a classifier needs examples of several labels.",
        )
    index = {c: i for i, c in enumerate(classes)}
    return classes, np.array([index[v] for v in names], dtype=np.int64)


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
    classes, y = encode_classes(names)
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
