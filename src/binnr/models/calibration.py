"""Probability calibration: temperature scaling, expected calibration error, reliability table.

A classifier's top probability should match how often it is right: of the rows predicted with
0.8, about 80% should be correct. :func:`expected_calibration_error` measures the gap (top-label
ECE: rows binned by their highest probability into ``bins`` equal-width bins; the row-weighted
mean of |accuracy − mean confidence| per bin), :func:`reliability_table` lists the bins.

:class:`Temperature` fixes the gap with one number: ``softmax(log p / T)``. ``T`` is fitted by
minimising the log-loss on held-out predictions (out-of-fold or an evaluation split), never on
rows the model was trained on, whose probabilities are over-confident. One parameter cannot
over-fit a few hundred rows and keeps the ranking of classes (argmax) unchanged.
"""

from __future__ import annotations

from typing import Any

import numpy as np

_EPS = 1e-12


def softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return np.asarray(e / e.sum(axis=1, keepdims=True))


def log_loss(proba: np.ndarray, y: np.ndarray) -> float:
    """Mean negative log-probability of the true class (``y``: class indices)."""
    picked = proba[np.arange(len(y)), y]
    return float(-np.mean(np.log(np.clip(picked, _EPS, 1.0))))


class Temperature:
    """``softmax(log p / T)``; ``T > 1`` softens over-confident probabilities."""

    def __init__(self, value: float = 1.0) -> None:
        self.value = float(value)

    @classmethod
    def fit(cls, proba: np.ndarray, y: np.ndarray) -> Temperature:
        """The ``T`` in [0.05, 20] with the lowest log-loss of held-out ``proba`` on ``y``."""
        if len(y) == 0:
            return cls(1.0)
        logp = np.log(np.clip(proba, _EPS, 1.0))

        def loss(log_t: float) -> float:
            return log_loss(softmax(logp / np.exp(log_t)), y)

        from scipy.optimize import (
            minimize_scalar,  # scipy loads with the first fit, not at start-up
        )

        best = minimize_scalar(loss, bounds=(np.log(0.05), np.log(20.0)), method="bounded")
        return cls(float(np.exp(best.x)))

    def apply(self, proba: np.ndarray) -> np.ndarray:
        if self.value == 1.0:
            return proba
        return softmax(np.log(np.clip(proba, _EPS, 1.0)) / self.value)


def reliability_table(proba: np.ndarray, y: np.ndarray, *, bins: int = 10) -> list[dict[str, Any]]:
    """One row per non-empty bin of top probability: its range, rows, confidence, accuracy."""
    confidence = proba.max(axis=1)
    correct = proba.argmax(axis=1) == y
    # bin b holds (b/bins, (b+1)/bins]; a confidence of exactly 0 joins the first bin
    which = np.clip(np.ceil(confidence * bins).astype(int) - 1, 0, bins - 1)
    rows = []
    for b in range(bins):
        inside = which == b
        if inside.any():
            rows.append(
                {
                    "low": b / bins,
                    "high": (b + 1) / bins,
                    "count": int(inside.sum()),
                    "confidence": float(confidence[inside].mean()),
                    "accuracy": float(correct[inside].mean()),
                }
            )
    return rows


def expected_calibration_error(proba: np.ndarray, y: np.ndarray, *, bins: int = 10) -> float:
    """Top-label ECE (module docstring); 0 for no rows."""
    if len(y) == 0:
        return 0.0
    table = reliability_table(proba, y, bins=bins)
    gaps = [r["count"] * abs(r["accuracy"] - r["confidence"]) for r in table]
    return float(sum(gaps) / len(y))
