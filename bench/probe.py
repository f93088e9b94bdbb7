"""The paired linear-probe comparison of two embeddings of the same rows (bench/embeddings.py).

One 80/20 split scores ~600 test rows on a 3,000-row sample: one row is 0.17 point, so a
"drop" of 0.67 point can be four rows of noise. Instead both embeddings are scored on the same
repeated stratified k-fold splits (``RepeatedStratifiedKFold``, fixed seed): every row is a test
row once per repeat, each split fits one logistic regression per embedding on identical rows,
and the drop is the mean of the per-split differences (paired, so the noise of the split itself
cancels). Its standard error uses the Nadeau-Bengio correction for the overlap of training sets
between splits (a plain std/sqrt(n) would be far too optimistic): var * (1/n + test/train).
Classes with fewer rows than folds cannot be stratified and are left out of the probe.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import RepeatedStratifiedKFold


@dataclass(frozen=True)
class Paired:
    """Probe accuracies of embeddings ``a`` and ``b`` on the same splits, in points."""

    a: float
    b: float
    drop: float  # mean over splits of accuracy(a) - accuracy(b)
    se: float  # corrected standard error of ``drop``
    splits: int
    rows: int

    def describe(self, names: tuple[str, str] = ("fp32", "int8")) -> str:
        return (
            f"probe {names[0]} {self.a:.2f} {names[1]} {self.b:.2f} "
            f"drop {self.drop:+.2f} ± {self.se:.2f} (95% upper {self.drop + 1.96 * self.se:+.2f}; "
            f"{self.splits} paired splits, {self.rows} rows)"
        )


def accuracy(x: np.ndarray, y: np.ndarray, train: np.ndarray, test: np.ndarray) -> float:
    clf = LogisticRegression(max_iter=3000).fit(x[train], y[train])
    return float(np.mean(clf.predict(x[test]) == y[test]))


def paired_probe(
    a: np.ndarray, b: np.ndarray, y: np.ndarray, *, folds: int = 5, repeats: int = 2
) -> Paired:
    """Repeated stratified k-fold probe accuracy of ``a`` and ``b`` (module docstring)."""
    counts = np.bincount(y)
    keep = np.flatnonzero(counts[y] >= folds)  # a class needs a row in every fold
    y = y[keep]
    cv = RepeatedStratifiedKFold(n_splits=folds, n_repeats=repeats, random_state=0)
    pairs = np.array(
        [
            (accuracy(a[keep], y, tr, te), accuracy(b[keep], y, tr, te))
            for tr, te in cv.split(np.zeros(len(y)), y)
        ]
    )
    diff = 100 * (pairs[:, 0] - pairs[:, 1])
    n = len(diff)
    se = float(np.sqrt(np.var(diff, ddof=1) * (1 / n + 1 / (folds - 1))))
    return Paired(
        a=100 * float(pairs[:, 0].mean()),
        b=100 * float(pairs[:, 1].mean()),
        drop=float(diff.mean()),
        se=se,
        splits=n,
        rows=len(y),
    )
