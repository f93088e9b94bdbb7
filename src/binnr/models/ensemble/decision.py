"""Turning calibrated probabilities into labels for macro-F1.

The most probable label maximises accuracy, and on imbalanced data it rarely picks a small
class: macro-F1, which weighs every class alike, suffers. The rule here predicts
``argmax(log p − α·log prior)``: ``α = 0`` is the plain argmax, ``α = 1`` divides by the class
frequency (a balanced decision). ``α`` comes from a short grid, chosen by macro-F1 on held-out
predictions; one number cannot over-fit. Probabilities themselves stay calibrated.
"""

from __future__ import annotations

import numpy as np

ALPHAS = (0.0, 0.25, 0.5, 0.75, 1.0)


def prior_offsets(y: np.ndarray, n_labels: int, alpha: float) -> np.ndarray:
    """``−α·log prior`` per label (add-one smoothed, so an unseen label stays finite), except
    that a label with a single row gets no more than the most frequent label.

    The fold model that predicts a one-row label's row never saw it, so no held-out row can show
    that favouring it pays, and the rule would favour it most of all (its prior is the
    smallest). On bbc_news_train, three one-row labels ('Business', 'Tech', 'Politics', beside
    'business', 'tech', 'politics') drew enough predictions of rows of their lower-case twins
    to take the linear model's test macro-F1 from 0.958 to 0.850.
    """
    counts = np.bincount(y, minlength=n_labels)
    offsets = -alpha * np.log((counts + 1.0) / (len(y) + n_labels))
    several = counts > 1
    if several.any():
        offsets[~several] = np.minimum(offsets[~several], offsets[several].min())
    return np.asarray(offsets)


def decide(proba: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """The predicted label index of each row."""
    return np.asarray((np.log(np.clip(proba, 1e-300, 1.0)) + offsets).argmax(axis=1))


def fit_alpha(proba: np.ndarray, y: np.ndarray, n_labels: int) -> tuple[float, float]:
    """(α, macro-F1) with the best held-out macro-F1; ties go to the smaller α."""
    best = (0.0, -1.0)
    for alpha in ALPHAS:
        pred = decide(proba, prior_offsets(y, n_labels, alpha))
        score = macro_f1(y, pred, n_labels)
        if score > best[1] + 1e-9:
            best = (alpha, score)
    return best


def macro_f1(
    y: np.ndarray, pred: np.ndarray, n_labels: int, weights: np.ndarray | None = None
) -> float:
    """Macro-F1 over the labels present in ``y`` or ``pred`` (scikit-learn's set), optionally
    with row ``weights`` (bootstrap counts); numpy only, fast enough to resample."""
    cells = np.bincount(y * n_labels + pred, weights=weights, minlength=n_labels * n_labels)
    confusion = cells.reshape(n_labels, n_labels)
    tp = np.diag(confusion)
    actual, predicted = confusion.sum(axis=1), confusion.sum(axis=0)
    present = (actual + predicted) > 0
    f1 = 2 * tp[present] / (actual[present] + predicted[present])
    return float(f1.mean()) if present.any() else 0.0


def difference_se(
    y: np.ndarray, a: np.ndarray, b: np.ndarray, n_labels: int, *, rounds: int = 200
) -> float:
    """Bootstrap standard error of ``macro_f1(a) − macro_f1(b)`` over the same resampled rows."""
    rng = np.random.default_rng(0)
    diffs = []
    for _ in range(rounds):
        w = np.bincount(rng.integers(0, len(y), len(y)), minlength=len(y)).astype(np.float64)
        diffs.append(macro_f1(y, a, n_labels, w) - macro_f1(y, b, n_labels, w))
    return float(np.std(diffs))
