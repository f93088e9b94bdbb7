"""A seeded, stratified train/test split of labelled texts, with the timings of one method."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from binnr.errors import InvalidInput


@dataclass
class Split:
    """Texts and labels on each side; ``start``/``mark_trained`` time one method."""

    texts: list[str]
    labels_of_rows: list[str]
    train: np.ndarray
    test: np.ndarray
    labels: list[str]
    _t0: float = field(default=0.0, repr=False)
    _t1: float = field(default=0.0, repr=False)

    @property
    def train_texts(self) -> list[str]:
        return [self.texts[i] for i in self.train]

    @property
    def train_labels(self) -> list[str]:
        return [self.labels_of_rows[i] for i in self.train]

    @property
    def test_texts(self) -> list[str]:
        return [self.texts[i] for i in self.test]

    @property
    def test_labels(self) -> list[str]:
        return [self.labels_of_rows[i] for i in self.test]

    def start(self) -> None:
        self._t0 = self._t1 = time.perf_counter()

    def mark_trained(self) -> None:
        self._t1 = time.perf_counter()

    def timings(self) -> tuple[float, float]:
        """(train seconds, predict seconds) of the method timed since :meth:`start`."""
        now = time.perf_counter()
        return self._t1 - self._t0, now - self._t1


def stratified_split(
    texts: list[str], labels: list[str], *, test_fraction: float, seed: int
) -> Split:
    """Per class, ``round(test_fraction * n)`` rows go to the test side (a class keeps at least
    one training row; a class of one row is train-only)."""
    rng = np.random.default_rng(seed)
    y = np.asarray(labels, dtype=object)
    classes = sorted(set(labels))
    train: list[int] = []
    test: list[int] = []
    for label in classes:
        rows = np.flatnonzero(y == label)
        rng.shuffle(rows)
        k = min(round(test_fraction * len(rows)), len(rows) - 1)
        test.extend(rows[:k].tolist())
        train.extend(rows[k:].tolist())
    if len({labels[i] for i in train}) < 2 or not test:
        raise InvalidInput(
            f"{len(labels)} labelled rows of {len(classes)} class(es) cannot be split for "
            "a comparison.",
            hint="Label more rows (at least two classes, a few rows each), then retry.",
        )
    return Split(texts, list(labels), np.array(sorted(train)), np.array(sorted(test)), classes)
