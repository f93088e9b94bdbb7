"""One evaluation report for every classification method (GBM, LLM, Snowflake, ...).

:func:`evaluate` returns a JSON-serialisable dict (plain floats, ints and lists; NaN becomes
``None``) with these keys:

- ``n``: rows evaluated; ``unparsed``: predictions that are ``None`` (e.g. an LLM answer that
  named no label; always counted wrong); ``unseen_labels``: actual labels not in ``labels``
  (their rows count as wrong, they are not an error).
- ``accuracy``, ``macro_f1``, ``weighted_f1``; ``per_class``: ``{label, precision, recall, f1,
  support}`` for every label; ``macro_avg`` and ``weighted_avg``: ``{precision, recall, f1,
  support}``. Macro averages cover the labels that occur in ``actual`` or ``predicted`` (what
  scikit-learn does without ``labels=``), so a class absent from a small evaluation set does not
  drag the average down with a meaningless zero.
- ``log_loss`` and ``roc_auc_ovr`` (macro one-vs-rest over classes that have both positive and
  negative rows): ``None`` without probabilities or when undefined. Rows with unseen labels are
  left out of the log loss.
- ``confusion_matrix``: ``{labels, matrix}`` with ``matrix[i][j]`` = rows of actual ``labels[i]``
  predicted ``labels[j]`` (rows with unseen actual or ``None`` predicted are not in it).
- ``threshold_metrics``: the shape of Snowflake's ``SHOW_THRESHOLD_METRICS``: for every class
  and threshold 0.0, 0.1, ..., 1.0 a row ``{class, threshold, precision, recall, f1, tpr, fpr,
  tnr, accuracy, support}``, where a row counts as predicted positive when its probability is
  ``>= threshold`` and ``support`` is the number of actual positives; ``None`` without
  probabilities. Undefined ratios (nothing predicted positive, ...) are ``None``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from binnr.errors import InvalidInput

THRESHOLDS = [round(i / 10, 1) for i in range(11)]
_NONE = "\x00unparsed"  # stands in for a None prediction; never equal to a real label


def evaluate(
    *,
    actual: Sequence[str],
    predicted: Sequence[str | None],
    labels: Sequence[str],
    probabilities: np.ndarray | None = None,
) -> dict[str, Any]:
    """The evaluation report described in the module docstring."""
    labels = [str(x) for x in labels]
    y_true = np.array([str(a) for a in actual], dtype=object)
    y_pred = np.array([_NONE if p is None else str(p) for p in predicted], dtype=object)
    probs = _check(y_true, y_pred, labels, probabilities)
    known = set(labels)
    per_class, macro, weighted = _per_class(y_true, y_pred, labels)
    n = len(y_true)
    return {
        "n": n,
        "accuracy": _num(float(np.mean(y_true == y_pred)) if n else None),
        "macro_f1": macro["f1"],
        "weighted_f1": weighted["f1"],
        "per_class": per_class,
        "macro_avg": macro,
        "weighted_avg": weighted,
        "log_loss": _log_loss(y_true, labels, probs),
        "roc_auc_ovr": _roc_auc(y_true, labels, probs),
        "confusion_matrix": {"labels": labels, "matrix": _confusion(y_true, y_pred, labels)},
        "threshold_metrics": _thresholds(y_true, labels, probs),
        "unparsed": int(sum(p is None for p in predicted)),
        "unseen_labels": sorted({str(a) for a in y_true} - known),
    }


def summary(report: dict[str, Any]) -> dict[str, Any]:
    """The headline numbers of a report (what the model registry ranks and lists)."""
    keys = ("accuracy", "macro_f1", "weighted_f1", "log_loss", "n")
    return {k: report.get(k) for k in keys}


def _check(
    y_true: np.ndarray, y_pred: np.ndarray, labels: list[str], probabilities: np.ndarray | None
) -> np.ndarray | None:
    if len(y_true) != len(y_pred):
        raise InvalidInput(
            f"actual has {len(y_true)} rows but predicted has {len(y_pred)}.",
            hint="Pass one prediction per actual label.",
        )
    if len(set(labels)) != len(labels):
        raise InvalidInput("labels contains duplicates.", hint="Pass each label once.")
    if probabilities is None:
        return None
    probs = np.asarray(probabilities, dtype=np.float64)
    if probs.shape != (len(y_true), len(labels)):
        raise InvalidInput(
            f"probabilities has shape {probs.shape}; expected {(len(y_true), len(labels))}.",
            hint="One row per example, one column per label in `labels` order.",
        )
    return probs


def _per_class(
    y_true: np.ndarray, y_pred: np.ndarray, labels: list[str]
) -> tuple[list[dict[str, Any]], dict[str, Any], dict[str, Any]]:
    if not labels or not len(y_true):
        empty: dict[str, Any] = {"precision": None, "recall": None, "f1": None, "support": 0}
        blank = [{"label": lab, **empty} for lab in labels]
        return blank, dict(empty), dict(empty)
    # scikit-learn takes seconds to import: the API server loads it with the first job
    # that scores, not at start-up.
    from sklearn.metrics import precision_recall_fscore_support

    p, r, f, s = precision_recall_fscore_support(y_true, y_pred, labels=labels, zero_division=0.0)
    rows: list[dict[str, Any]] = [
        {
            "label": lab,
            "precision": _num(p[i]),
            "recall": _num(r[i]),
            "f1": _num(f[i]),
            "support": int(s[i]),
        }
        for i, lab in enumerate(labels)
    ]
    present = np.isin(np.array(labels, dtype=object), np.concatenate([y_true, y_pred]))
    total = int(s.sum())

    def avg(weights: np.ndarray) -> dict[str, Any]:
        if weights.sum() <= 0:
            return {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": total}
        return {
            "precision": _num(np.average(p, weights=weights)),
            "recall": _num(np.average(r, weights=weights)),
            "f1": _num(np.average(f, weights=weights)),
            "support": total,
        }

    return rows, avg(present.astype(float)), avg(s.astype(float))


def _log_loss(y_true: np.ndarray, labels: list[str], probs: np.ndarray | None) -> float | None:
    if probs is None or len(labels) < 2:
        return None
    index = {lab: i for i, lab in enumerate(labels)}
    cols = np.array([index.get(str(a), -1) for a in y_true], dtype=np.int64)
    seen = cols >= 0
    if not seen.any():
        return None
    rows = probs[seen] / np.clip(probs[seen].sum(axis=1, keepdims=True), 1e-300, None)
    picked = np.clip(rows[np.arange(len(rows)), cols[seen]], 1e-15, 1.0)
    return _num(-np.mean(np.log(picked)))


def _roc_auc(y_true: np.ndarray, labels: list[str], probs: np.ndarray | None) -> float | None:
    if probs is None or len(labels) < 2:
        return None
    from sklearn.metrics import roc_auc_score  # see _per_class: loaded on first use

    scores = []
    for k, lab in enumerate(labels):
        positive = y_true == lab
        if positive.any() and not positive.all():
            scores.append(roc_auc_score(positive, probs[:, k]))
    return _num(float(np.mean(scores))) if scores else None


def _confusion(y_true: np.ndarray, y_pred: np.ndarray, labels: list[str]) -> list[list[int]]:
    index = {lab: i for i, lab in enumerate(labels)}
    rows = np.array([index.get(a, -1) for a in y_true], dtype=np.int64)
    cols = np.array([index.get(p, -1) for p in y_pred], dtype=np.int64)
    both = (rows >= 0) & (cols >= 0)
    matrix = np.zeros((len(labels), len(labels)), dtype=np.int64)
    np.add.at(matrix, (rows[both], cols[both]), 1)
    return matrix.tolist()


def _thresholds(
    y_true: np.ndarray, labels: list[str], probs: np.ndarray | None
) -> list[dict[str, Any]] | None:
    if probs is None:
        return None
    n = len(y_true)
    out = []
    for k, lab in enumerate(labels):
        positive = y_true == lab
        support = int(positive.sum())
        for t in THRESHOLDS:
            flagged = probs[:, k] >= t
            tp = int((flagged & positive).sum())
            fp = int((flagged & ~positive).sum())
            tn = n - support - fp
            precision, recall = _ratio(tp, tp + fp), _ratio(tp, support)
            f1 = None
            if precision is not None and recall is not None:
                f1 = (
                    0.0
                    if precision + recall == 0
                    else 2 * precision * recall / (precision + recall)
                )
            out.append(
                {
                    "class": lab,
                    "threshold": t,
                    "precision": precision,
                    "recall": recall,
                    "f1": _num(f1),
                    "tpr": recall,
                    "fpr": _ratio(fp, fp + tn),
                    "tnr": _ratio(tn, fp + tn),
                    "accuracy": _ratio(tp + tn, n),
                    "support": support,
                }
            )
    return out


def _ratio(a: int, b: int) -> float | None:
    return a / b if b else None


def _num(x: Any) -> float | None:
    """A plain float, or None for NaN/inf/None (JSON has neither)."""
    if x is None:
        return None
    value = float(x)
    return value if math.isfinite(value) else None
