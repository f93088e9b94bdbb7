"""Out-of-fold scores of each base model, and the stack's meta-model.

:func:`cross_fit` trains one base model ``folds`` times, each time without one fold, and keeps
(a) every training row's scores from the model that did not see it and (b) the evaluation rows'
scores averaged over the fold models; given several fold assignments (few rows,
:mod:`.pooling`), (a) once per assignment and (b) from the first. A linear model's
regularisation ``C`` is chosen from a small grid (lowest log-loss after temperature scaling) on
the first fold, or on every fold of the first assignment when there are several, and kept for
the other folds and the refit: sparse n-grams want very different ``C`` on tweets and on
articles, so no single value is right for text in general. LightGBM early-stops on each held-out
fold; the refit uses the median of the best round counts.

The meta-model (:class:`Blend`) is a weighted sum of the base models' temperature-scaled
log-probabilities (a product of experts), one non-negative weight per base fitted on the
out-of-fold rows. A multinomial logistic regression on the same inputs (bases × labels
features, labels² × bases weights) was tried first: it fitted 200-row training sets and
77-class problems poorly and its solver converged slowly on log-probability inputs.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np
from scipy.optimize import minimize

from binnr.models.calibration import Temperature, log_loss, softmax
from binnr.models.ensemble.bases import TRAIN_THREADS, GbmScorer, LinearScorer
from binnr.models.ensemble.params import AutoParams

C_GRID = {"linear": (0.1, 0.3, 1.0), "embeddings": (1.0, 8.0)}
KIND = {"linear": "svm", "embeddings": "logreg"}
_FLOOR = np.log(1e-6)  # log-probabilities below this carry no extra information


@dataclass
class CrossFit:
    """One base model's held-out scores and the setting its refit uses.

    ``oof`` and ``eval_scores`` come from the first cross-fitting; ``repeats`` holds the
    training rows' out-of-fold scores of the further ones (few rows, see :mod:`.pooling`).
    """

    name: str
    oof: np.ndarray
    eval_scores: np.ndarray
    setting: dict[str, Any]
    seconds: float
    temperature: Temperature = field(default_factory=Temperature)
    repeats: list[np.ndarray] = field(default_factory=list)

    def proba(self, scores: np.ndarray) -> np.ndarray:
        return self.temperature.apply(softmax(scores))

    def all_oof(self) -> list[np.ndarray]:
        """The training rows' out-of-fold scores of every cross-fitting, the first first."""
        return [self.oof, *self.repeats]


@dataclass
class _Run:
    """One cross-fitting: out-of-fold scores, the fold models' mean on the eval rows."""

    oof: np.ndarray
    eval_scores: np.ndarray
    models: list[Any]


def cross_fit(
    name: str,
    x: Any,
    y: np.ndarray,
    x_eval: Any,
    folds: list[np.ndarray],
    p: AutoParams,
    n_labels: int,
    check: Callable[[], None],
) -> CrossFit:
    """Cross-fit once per fold assignment in ``folds`` (more than one: few rows, repeated)."""
    start = time.perf_counter()
    run = partial(_run, x=x, y=y, x_eval=x_eval, n_labels=n_labels, check=check)
    if name == "lightgbm":
        runs = [run(f, lambda t: _fold_gbm(x, y, t, p, n_labels)) for f in folds]
        rounds = [m.rounds for r in runs for m in r.models]
        setting: dict[str, Any] = {"rounds": int(np.median(rounds)) if rounds else p.gbm_rounds}
    else:
        first, setting = _first_linear(name, run, x, y, folds[0], n_labels, len(folds) > 1)
        fitter = _linear_fitter(name, x, y, setting["c"], n_labels)
        runs = [first] + [run(f, fitter) for f in folds[1:]]
    fit = CrossFit(
        name,
        runs[0].oof,
        runs[0].eval_scores,
        setting,
        time.perf_counter() - start,
        repeats=[r.oof for r in runs[1:]],
    )
    # every cross-fitting's rows: on a few hundred rows one fit of T is noisy (package doc)
    seen = np.tile(representative(y), len(runs))
    fit.temperature = Temperature.fit(
        softmax(np.vstack(fit.all_oof())[seen]), np.tile(y, len(runs))[seen]
    )
    return fit


def _run(
    fold: np.ndarray,
    fit: Callable[[np.ndarray], Any],
    *,
    x: Any,
    y: np.ndarray,
    x_eval: Any,
    n_labels: int,
    check: Callable[[], None],
) -> _Run:
    """Each fold's rows scored by ``fit(held_out_mask)``, fitted without them."""
    oof = np.zeros((len(y), n_labels))
    eval_sum = np.zeros((x_eval.shape[0], n_labels))
    models = []
    for f in range(int(fold.max(initial=0)) + 1):
        check()
        test = fold == f
        if not test.any() or not (~test).any():
            continue
        model = fit(test)
        oof[test] = model.scores(x[test])
        eval_sum += model.scores(x_eval)
        models.append(model)
    return _Run(oof, eval_sum / max(len(models), 1), models)


def _linear_fitter(
    name: str, x: Any, y: np.ndarray, c: float, n_labels: int
) -> Callable[[np.ndarray], LinearScorer]:
    return lambda test: LinearScorer.fit(
        x[~test], y[~test], kind=KIND[name], c=c, n_labels=n_labels
    )


def _first_linear(
    name: str,
    run: Callable[[np.ndarray, Callable[[np.ndarray], Any]], _Run],
    x: Any,
    y: np.ndarray,
    fold: np.ndarray,
    n_labels: int,
    repeated: bool,
) -> tuple[_Run, dict[str, Any]]:
    """The first cross-fitting of a linear model and the ``C`` it chose.

    Repeated (few rows): each grid ``C`` is cross-fitted on every fold and the lowest
    temperature-scaled log-loss over all of them wins, since the first fold alone holds a few
    dozen rows (40 of 200) and its choice is a coin toss. Otherwise ``C`` is chosen on the
    first fold and kept for the others (on large data a full cross-fitting per ``C`` would
    triple the cost).
    """
    if repeated:
        runs = {c: run(fold, _linear_fitter(name, x, y, c, n_labels)) for c in C_GRID[name]}
        best = min(runs, key=lambda c: _scaled_loss(runs[c].oof, y))
        return runs[best], {"c": best}
    chosen: dict[str, Any] = {}

    def fit(test: np.ndarray) -> LinearScorer:
        if not chosen:  # the first fold picks C
            model, setting = _pick_c(name, x, y, test, n_labels)
            chosen.update(setting)
            return model
        return _linear_fitter(name, x, y, chosen["c"], n_labels)(test)

    return run(fold, fit), chosen


def _scaled_loss(scores: np.ndarray, y: np.ndarray) -> float:
    """Log-loss of ``softmax(scores)`` after its own best temperature."""
    proba = softmax(scores)
    return log_loss(Temperature.fit(proba, y).apply(proba), y)


def representative(y: np.ndarray) -> np.ndarray:
    """Rows whose class has another row: the fold model that predicted them knew their class.

    A class with one labelled row is never known to the model that predicts it out of fold, so
    that row is always wrong there, while the final model (trained on every row) knows it. On
    a few hundred rows, three such rows were enough to make the fitted temperature (and the
    meta-model's weights) markedly under-confident on new rows: they are left out of both.
    """
    seen = np.asarray(np.bincount(y)[y] > 1)
    return seen if seen.any() else np.ones(len(y), dtype=bool)  # every class a single row


def _fold_gbm(x: Any, y: np.ndarray, test: np.ndarray, p: AutoParams, n: int) -> GbmScorer:
    """LightGBM without the held-out fold, early-stopping on it."""
    return GbmScorer.fit(
        x[~test],
        y[~test],
        n_labels=n,
        features=p.gbm_features,
        rounds=p.gbm_rounds,
        seed=p.seed,
        threads=TRAIN_THREADS,
        valid=(x[test], y[test]),
    )


def _pick_c(
    name: str, x: Any, y: np.ndarray, test: np.ndarray, n_labels: int
) -> tuple[LinearScorer, dict[str, Any]]:
    """The grid's ``C`` with the lowest temperature-scaled log-loss on the held-out fold."""
    best: tuple[float, LinearScorer, float] | None = None
    for c in C_GRID[name]:
        model = LinearScorer.fit(x[~test], y[~test], kind=KIND[name], c=c, n_labels=n_labels)
        loss = _scaled_loss(model.scores(x[test]), y[test])
        if best is None or loss < best[0]:
            best = (loss, model, c)
    assert best is not None
    return best[1], {"c": best[2]}


def meta_features(probas: list[np.ndarray]) -> np.ndarray:
    """The meta-model's input: each base's log-probabilities side by side."""
    return np.hstack([np.maximum(np.log(np.clip(q, 1e-300, 1.0)), _FLOOR) for q in probas])


class Blend:
    """``softmax(Σ_b w_b · log p_b)`` with one weight ``w_b ≥ 0`` per base model.

    As many parameters as base models: it cannot over-fit a few hundred rows or many classes,
    and the weights' scale doubles as a temperature.
    """

    def __init__(self, weights: Any) -> None:
        self.weights = np.asarray(weights, dtype=np.float64).reshape(-1)

    @classmethod
    def fit(cls, z: np.ndarray, y: np.ndarray, n_labels: int) -> Blend:
        """The weights with the lowest log-loss of ``z`` (:func:`meta_features`) on ``y``."""
        n_bases = z.shape[1] // n_labels
        start = np.full(n_bases, 1.0 / n_bases)
        best = minimize(
            lambda w: log_loss(softmax(cls(w).scores(z)), y),
            start,
            method="L-BFGS-B",
            bounds=[(0.0, 10.0)] * n_bases,
        )
        return cls(best.x)

    def scores(self, z: np.ndarray) -> np.ndarray:
        parts = z.reshape(z.shape[0], len(self.weights), z.shape[1] // len(self.weights))
        return np.asarray(np.einsum("nbk,b->nk", parts, self.weights))

    def arrays(self) -> dict[str, Any]:
        return {"weights": self.weights}

    @classmethod
    def from_arrays(cls, a: Any) -> Blend:
        return cls(a["weights"])


def meta_oof(z: np.ndarray, y: np.ndarray, fold: np.ndarray, n_labels: int) -> np.ndarray:
    """The stack's own out-of-fold probabilities (meta-model refitted per fold)."""
    out = np.full((len(y), n_labels), 1.0 / n_labels)
    for f in np.unique(fold):
        test = fold == f
        if (~test).any():
            fit = ~test & representative(y)
            out[test] = softmax(Blend.fit(z[fit], y[fit], n_labels).scores(z[test]))
    return out
