"""Stacking features: TF-IDF + LogisticRegression class probabilities, and out-of-fold scores.

The ``text+embeddings`` GBM variant (:mod:`binnr.models.gbm`) feeds LightGBM these
probabilities (out-of-fold for the training rows) next to sentence embeddings. Stored as JSON
(no pickle).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.linear_model import LogisticRegression


class LinearScores:
    """TF-IDF + LogisticRegression class probabilities: the stacked variant's text features."""

    def __init__(self, *, coef: Any, intercept: Any, classes: Any, n_labels: int) -> None:
        self.coef = np.asarray(coef, dtype=np.float64)
        self.intercept = np.asarray(intercept, dtype=np.float64)
        self.classes = np.asarray(classes, dtype=np.int64)
        self.n_labels = n_labels

    @classmethod
    def fit(cls, x: sp.csr_matrix, y: np.ndarray, *, n_labels: int, seed: int) -> LinearScores:
        present = np.unique(y)
        if len(present) < 2:  # a fold with one class: that class, with certainty
            return cls(
                coef=np.zeros((1, x.shape[1])), intercept=[0.0], classes=present, n_labels=n_labels
            )
        lr = LogisticRegression(max_iter=1000, random_state=seed).fit(x, y)
        return cls(coef=lr.coef_, intercept=lr.intercept_, classes=lr.classes_, n_labels=n_labels)

    def proba(self, x: sp.csr_matrix) -> np.ndarray:
        """(rows × n_labels) probabilities; what sklearn's ``predict_proba`` returns."""
        z = np.asarray(x @ self.coef.T) + self.intercept
        if len(self.classes) == 1:
            p = np.ones((x.shape[0], 1))
        elif len(self.classes) == 2:
            p1 = 1.0 / (1.0 + np.exp(-z[:, 0]))
            p = np.column_stack([1.0 - p1, p1])
        else:
            e = np.exp(z - z.max(axis=1, keepdims=True))
            p = e / e.sum(axis=1, keepdims=True)
        out = np.zeros((x.shape[0], self.n_labels))
        out[:, self.classes] = p
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "format": "binnr.linear_scores/1",
            "coef": self.coef.tolist(),
            "intercept": self.intercept.tolist(),
            "classes": self.classes.tolist(),
            "n_labels": self.n_labels,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> LinearScores:
        return cls(
            coef=data["coef"],
            intercept=data["intercept"],
            classes=data["classes"],
            n_labels=int(data["n_labels"]),
        )


def out_of_fold(
    x: sp.csr_matrix, y: np.ndarray, *, n_labels: int, folds: int, seed: int
) -> np.ndarray:
    """Each row's LinearScores probabilities from a model fitted on the other folds."""
    rng = np.random.default_rng(seed)
    fold = np.zeros(len(y), dtype=np.int64)
    for c in np.unique(y):  # stratified: deal each class's shuffled rows round-robin
        idx = np.flatnonzero(y == c)
        fold[rng.permutation(idx)] = np.arange(len(idx)) % folds
    out = np.zeros((len(y), n_labels))
    for f in range(folds):
        test = fold == f
        if test.any() and (~test).any():
            scores = LinearScores.fit(x[~test], y[~test], n_labels=n_labels, seed=seed)
            out[test] = scores.proba(x[test])
    return out
