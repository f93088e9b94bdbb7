"""Class-aligned clustering on synthetic blobs and hand-made cases; checked against numpy."""

from __future__ import annotations

import numpy as np
import pytest

from binnr.errors import InvalidInput, JobCancelled, JobTimeout
from binnr.models.cluster import cluster, hidden_split, similarity
from binnr.progress import NullProgress


def blobs(
    *, n_per_class: int = 200, n_classes: int = 3, dim: int = 16, spread: float = 2.5, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Overlapping Gaussian blobs with a shared, elongated covariance (hard for plain KMeans)."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(n_classes, dim))
    scales = np.linspace(0.3, spread, dim)
    x = np.concatenate([c + rng.normal(size=(n_per_class, dim)) * scales for c in centres])
    y = np.repeat(np.arange(n_classes), n_per_class)
    return x, y


def masked(y: np.ndarray, *, unlabelled: float = 0.3, seed: int = 0) -> tuple[np.ndarray, ...]:
    """(targets shown to clustering, hidden mask): some rows unlabelled, 10% hidden."""
    rng = np.random.default_rng(seed)
    t = np.where(rng.random(y.size) < unlabelled, -1, y)
    hidden = hidden_split(t, fraction=0.1, seed=seed)
    return np.where(hidden, -1, t), hidden


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_pinned_beats_or_equals_seed_on_blobs(seed: int) -> None:
    x, y = blobs(seed=seed)
    t, hidden = masked(y, seed=seed)
    accuracy = {}
    for algorithm in ("pinned", "seed"):
        result = cluster(embeddings=x, targets=t, n_classes=3, algorithm=algorithm)  # type: ignore[arg-type]
        accuracy[algorithm] = float(np.mean(result.predicted[hidden] == y[hidden]))
    assert accuracy["pinned"] >= accuracy["seed"], accuracy
    assert accuracy["pinned"] > 0.8


@pytest.mark.parametrize("iterations", [1, 2, 10])
def test_pinned_keeps_labelled_rows_in_their_class(iterations: int) -> None:
    x, y = blobs(seed=3)
    t, _ = masked(y, seed=3)
    result = cluster(embeddings=x, targets=t, n_classes=3, number_of_iterations=iterations)
    labelled = t >= 0
    assert np.array_equal(result.predicted[labelled], t[labelled])
    assert np.array_equal(result.cluster_id, result.predicted)
    assert result.algorithm == "pinned"
    assert result.cluster_id.dtype == np.int64 and result.predicted.shape == t.shape


def test_similarity_matches_numpy_on_a_hand_made_case() -> None:
    x = np.array([[1.0, 0.0], [0.0, 1.0], [3.0, 1.0], [1.0, 3.0], [-1.0, -1.0]])
    t = np.array([0, 0, 1, 1, -1])
    result = cluster(embeddings=x, targets=t, n_classes=2, n_components=None)
    # labelled rows are pinned; the unlabelled row is nearest class 0's mean (0.5, 0.5)
    assert result.predicted.tolist() == [0, 0, 1, 1, 0]
    centroid0 = x[[0, 1, 4]].mean(axis=0)  # (0, 0) after the last re-estimation
    centroid1 = x[[2, 3]].mean(axis=0)  # (2, 2)
    expected = []
    for row, centroid in zip(
        x, [centroid0, centroid0, centroid1, centroid1, centroid0], strict=True
    ):
        norms = np.linalg.norm(row) * np.linalg.norm(centroid)
        expected.append(round(100 * float(row @ centroid) / norms, 2) if norms else 0.0)
    assert result.similarity.tolist() == expected
    assert result.similarity[2] == pytest.approx(100 * 8 / (np.sqrt(10) * np.sqrt(8)), abs=0.005)


def test_similarity_function() -> None:
    rows = np.array([[3.0, 4.0], [1.0, 0.0], [0.0, 0.0]])
    cents = np.array([[4.0, 3.0], [-1.0, 0.0], [1.0, 1.0]])
    assert similarity(rows, cents).tolist() == [96.0, -100.0, 0.0]


def test_seed_reproduces_the_original_on_separated_points() -> None:
    x = np.array([[0.0, 5.0], [0.2, 5.1], [5.0, 0.0], [5.1, 0.3], [0.1, 4.9], [4.9, 0.1]])
    t = np.array([0, 0, 1, 1, -1, -1])
    result = cluster(embeddings=x, targets=t, n_classes=2, n_components=None, algorithm="seed")
    assert result.predicted.tolist() == [0, 0, 1, 1, 0, 1]
    centre = x[[0, 1, 4]].mean(axis=0)
    want = 100 * (x[0] @ centre) / (np.linalg.norm(x[0]) * np.linalg.norm(centre))
    assert result.similarity[0] == pytest.approx(round(want, 2))


def test_seed_label_mapping_favours_larger_class_numbers() -> None:
    # Cluster 0 holds three class-0 rows and two class-1 rows at the same point: the votes are
    # 1 * 3 * s for class 0 and 2 * 2 * s for class 1, so the original labels it class 1.
    x = np.array([[1.0, 0.0]] * 5 + [[-1.0, 0.0]] * 3 + [[1.0, 0.1]])
    t = np.array([0, 0, 0, 1, 1, 1, 1, 1, -1])
    result = cluster(embeddings=x, targets=t, n_classes=2, n_components=None, algorithm="seed")
    assert result.cluster_id.tolist() == [0] * 5 + [1] * 3 + [0]
    assert result.predicted.tolist() == [1] * 9
    pinned = cluster(embeddings=x, targets=t, n_classes=2, n_components=None)
    assert pinned.predicted[-1] == 0  # the nearest class mean (1, 0) belongs to class 0


@pytest.mark.parametrize("algorithm", ["pinned", "seed"])
def test_single_labelled_row_per_class(algorithm: str) -> None:
    x, y = blobs(n_per_class=20, seed=4)
    t = np.full(y.size, -1)
    t[[0, 20, 40]] = [0, 1, 2]
    result = cluster(embeddings=x, targets=t, n_classes=3, algorithm=algorithm)  # type: ignore[arg-type]
    assert result.predicted.shape == (60,)
    assert set(result.predicted.tolist()) <= {0, 1, 2}
    assert np.all(np.isfinite(result.similarity))


@pytest.mark.parametrize("algorithm", ["pinned", "seed"])
def test_class_with_one_row_and_class_without_rows(algorithm: str) -> None:
    x, y = blobs(n_per_class=30, seed=5)
    t = y.copy()
    t[y == 2] = -1
    t[60] = 2  # class 2 has a single labelled row
    result = cluster(embeddings=x, targets=t, n_classes=4, algorithm=algorithm)  # type: ignore[arg-type]
    assert 3 not in result.predicted  # class 3 has no labelled rows: never predicted
    assert result.predicted[60] == 2 or algorithm == "seed"


def test_pca_is_capped_and_optional() -> None:
    x, y = blobs(n_per_class=10, dim=40, seed=6)
    assert cluster(embeddings=x, targets=y, n_classes=3).n_components == 30
    assert cluster(embeddings=x, targets=y, n_classes=3, n_components=5).n_components == 5
    assert cluster(embeddings=x, targets=y, n_classes=3, n_components=None).n_components is None


def test_identical_rows_and_single_row_do_not_crash() -> None:
    same = np.ones((6, 4))
    result = cluster(embeddings=same, targets=np.array([0, 1, -1, -1, 0, 1]), n_classes=2)
    assert result.predicted.shape == (6,)
    one = cluster(embeddings=np.array([[1.0, 2.0]]), targets=np.array([0]), n_classes=1)
    assert one.predicted.tolist() == [0] and one.similarity.tolist() == [100.0]


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"number_of_iterations": 0}, "number_of_iterations"),
        ({"targets": np.array([-1, -1, -1, -1])}, "No labelled rows"),
        ({"targets": np.array([0, 1, 5, -1])}, "class index"),
        ({"targets": np.array([0, 1])}, "one entry per row"),
        ({"targets": np.array([0.5, 1, 0, -1])}, "integer"),
        ({"embeddings": np.array([1.0, 2.0, 3.0, 4.0])}, "2-D"),
        ({"embeddings": np.array([[np.nan, 1]] * 4)}, "NaN"),
        ({"n_classes": 0}, "n_classes"),
        ({"n_components": 0}, "n_components"),
        ({"algorithm": "kmeans"}, "algorithm"),
    ],
)
def test_bad_input(kwargs: dict[str, object], fragment: str) -> None:
    args: dict[str, object] = {
        "embeddings": np.eye(4),
        "targets": np.array([0, 1, 0, -1]),
        "n_classes": 2,
    }
    with pytest.raises(InvalidInput) as info:
        cluster(**{**args, **kwargs})  # type: ignore[arg-type]
    assert fragment in info.value.message
    assert info.value.hint


def test_hidden_split_is_stratified_and_keeps_a_row_per_class() -> None:
    t = np.array([0] * 100 + [1] * 30 + [2] * 1 + [3] * 5 + [-1] * 50)
    mask = hidden_split(t, fraction=0.1, seed=7)
    assert mask.dtype == bool and mask.shape == t.shape
    assert [int(mask[t == c].sum()) for c in (0, 1, 2, 3)] == [
        10,
        3,
        0,
        1,
    ]  # 0.5 rounds up; a single row stays
    assert not mask[t == -1].any()
    assert np.array_equal(mask, hidden_split(t, fraction=0.1, seed=7))
    assert not np.array_equal(mask, hidden_split(t, fraction=0.1, seed=8))
    assert hidden_split(np.array([0, 0]), fraction=0.9).sum() == 1
    with pytest.raises(InvalidInput):
        hidden_split(t, fraction=1.0)


class StopAfter(NullProgress):
    """Progress that raises ``error`` on the ``limit``-th cancel check (a cancel or timeout)."""

    def __init__(self, limit: int, error: Exception) -> None:
        self.limit, self.error, self.checks = limit, error, 0

    def check_cancelled(self) -> None:
        self.checks += 1
        if self.checks >= self.limit:
            raise self.error


@pytest.mark.parametrize("algorithm", ["pinned", "seed"])
@pytest.mark.parametrize("error", [JobCancelled("stop"), JobTimeout("late")])
def test_long_runs_stop_on_cancel_and_time_limit(algorithm: str, error: Exception) -> None:
    """1000 iterations (the upper bound) check for cancel as they go, not only at the end.

    KMeans converges on these blobs within its first chunk, so it is stopped at the first check.
    """
    x, y = blobs(n_per_class=50, spread=4.0)
    t, _ = masked(y, unlabelled=0.6)
    progress = StopAfter(3 if algorithm == "pinned" else 1, error)
    with pytest.raises(type(error)):
        cluster(
            embeddings=x,
            targets=t,
            n_classes=3,
            number_of_iterations=1000,
            algorithm=algorithm,  # type: ignore[arg-type]
            progress=progress,
        )
    assert progress.checks == progress.limit


def test_kmeans_in_chunks_matches_one_fit_for_short_runs() -> None:
    x, y = blobs(n_per_class=60)
    t, _ = masked(y)
    plain = cluster(embeddings=x, targets=t, n_classes=3, number_of_iterations=2, algorithm="seed")
    checked = cluster(
        embeddings=x,
        targets=t,
        n_classes=3,
        number_of_iterations=2,
        algorithm="seed",
        progress=StopAfter(10**6, RuntimeError()),
    )
    assert np.array_equal(plain.cluster_id, checked.cluster_id)
