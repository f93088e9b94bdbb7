"""Labelled rows whose given label is probably wrong (confident learning, via ``cleanlab``).

Input: each labelled row's *held-out* class probabilities (out-of-fold: from a model that did
not train on that row; in-sample probabilities have memorised the given label and hide its
errors). ``cleanlab.filter.find_label_issues`` (``prune_by_noise_rate``) estimates, per pair of
classes, how many rows labelled *i* really belong to *j* and flags that many of the least
likely ones; ``cleanlab.rank.get_label_quality_scores`` (self-confidence: the probability of the
given label) orders them. cleanlab is used rather than a home-made version because its
per-class thresholds are the published method (Northcutt et al., 2021) and are tested upstream.
The ``auto`` classifier passes the probabilities of :mod:`binnr.models.ensemble.restack` (its base
models' held-out probabilities re-stacked out of fold) where they have the lower log-loss.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np


@dataclass
class LabelIssue:
    """One suspicious row: its position, given and suggested label, quality (0–1), rank (1 =
    most suspicious)."""

    index: int
    given: str
    suggested: str
    quality: float
    rank: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def find_label_issues(
    y: np.ndarray, proba: np.ndarray, labels: Sequence[str], *, limit: int | None = None
) -> list[LabelIssue]:
    """Flagged rows of ``y`` (class indices into ``labels``), lowest label quality first.

    ``limit`` keeps the first ``limit`` of them. Rows of a class with a single example are never
    flagged (there is nothing to compare them with).
    """
    from cleanlab.filter import find_label_issues as cl_find
    from cleanlab.rank import get_label_quality_scores

    y = np.asarray(y, dtype=np.int64)
    if len(y) == 0:
        return []
    proba = np.clip(np.asarray(proba, dtype=np.float64), 1e-12, 1.0)
    proba = proba / proba.sum(axis=1, keepdims=True)
    with warnings.catch_warnings():  # cleanlab warns about tiny classes; they are handled below
        warnings.simplefilter("ignore")
        flagged = cl_find(y, proba, filter_by="prune_by_noise_rate", n_jobs=1)
        quality = get_label_quality_scores(y, proba, method="self_confidence")
    counts = np.bincount(y, minlength=len(labels))
    flagged &= counts[y] > 1
    order = [int(i) for i in np.flatnonzero(flagged)[np.argsort(quality[flagged], kind="stable")]]
    if limit is not None:
        order = order[: max(limit, 0)]
    suggested = proba.argmax(axis=1)
    return [
        LabelIssue(
            index=i,
            given=labels[y[i]],
            suggested=labels[int(suggested[i])],
            quality=float(quality[i]),
            rank=r + 1,
        )
        for r, i in enumerate(order)
    ]
