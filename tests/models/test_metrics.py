"""binnr.models.metrics: hand-computed values on a tiny case, edge cases, JSON shape."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from binnr.errors import InvalidInput
from binnr.models.metrics import THRESHOLDS, evaluate, summary

LABELS = ["a", "b", "c"]
ACTUAL = ["a", "a", "b", "b", "c"]
PREDICTED: list[str | None] = ["a", "b", "b", "b", None]
PROBS = np.array(
    [
        [0.7, 0.2, 0.1],
        [0.4, 0.5, 0.1],
        [0.1, 0.8, 0.1],
        [0.3, 0.6, 0.1],
        [0.3, 0.3, 0.4],
    ]
)


def _json(report: dict) -> dict:
    return json.loads(json.dumps(report, allow_nan=False))


def test_hand_computed_tiny_case() -> None:
    report = evaluate(actual=ACTUAL, predicted=PREDICTED, labels=LABELS, probabilities=PROBS)
    assert report["n"] == 5
    assert report["accuracy"] == pytest.approx(3 / 5)
    per = {row["label"]: row for row in report["per_class"]}
    # a: tp 1, fp 0, fn 1; b: tp 2, fp 1, fn 0; c: tp 0, fp 0, fn 1 (predicted None)
    assert per["a"] == {
        "label": "a",
        "precision": 1.0,
        "recall": 0.5,
        "f1": pytest.approx(2 / 3),
        "support": 2,
    }
    assert per["b"]["precision"] == pytest.approx(2 / 3)
    assert per["b"]["recall"] == 1.0 and per["b"]["f1"] == pytest.approx(0.8)
    assert per["c"] == {"label": "c", "precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 1}
    assert report["macro_f1"] == pytest.approx((2 / 3 + 0.8 + 0.0) / 3)
    assert report["weighted_f1"] == pytest.approx((2 * 2 / 3 + 2 * 0.8) / 5)
    assert report["macro_avg"]["support"] == 5
    assert report["unparsed"] == 1
    assert report["unseen_labels"] == []
    assert report["confusion_matrix"] == {
        "labels": LABELS,
        "matrix": [[1, 1, 0], [0, 2, 0], [0, 0, 0]],
    }
    expected_loss = -np.mean(np.log([0.7, 0.4, 0.8, 0.6, 0.4]))
    assert report["log_loss"] == pytest.approx(expected_loss)
    aucs = [roc_auc_score(np.array(ACTUAL) == lab, PROBS[:, k]) for k, lab in enumerate(LABELS)]
    assert report["roc_auc_ovr"] == pytest.approx(np.mean(aucs))
    _json(report)


def test_threshold_metrics_shape_and_values() -> None:
    report = evaluate(actual=ACTUAL, predicted=PREDICTED, labels=LABELS, probabilities=PROBS)
    rows = report["threshold_metrics"]
    assert len(rows) == len(LABELS) * len(THRESHOLDS) == 33
    keys = {
        "class",
        "threshold",
        "precision",
        "recall",
        "f1",
        "tpr",
        "fpr",
        "tnr",
        "accuracy",
        "support",
    }
    assert all(set(r) == keys for r in rows)
    row = next(r for r in rows if r["class"] == "b" and r["threshold"] == 0.5)
    # p(b) >= 0.5 on rows 1, 2, 3; actual b on rows 2, 3: tp 2, fp 1, fn 0, tn 2
    assert row["precision"] == pytest.approx(2 / 3) and row["recall"] == 1.0
    assert row["fpr"] == pytest.approx(1 / 3) and row["tnr"] == pytest.approx(2 / 3)
    assert row["accuracy"] == pytest.approx(4 / 5) and row["support"] == 2
    assert row["f1"] == pytest.approx(0.8)
    everything = next(r for r in rows if r["class"] == "a" and r["threshold"] == 0.0)
    assert everything["recall"] == 1.0 and everything["fpr"] == 1.0
    nothing = next(r for r in rows if r["class"] == "a" and r["threshold"] == 1.0)
    assert nothing["precision"] is None and nothing["f1"] is None and nothing["recall"] == 0.0


def test_without_probabilities_the_probability_metrics_are_none() -> None:
    report = evaluate(actual=ACTUAL, predicted=PREDICTED, labels=LABELS)
    assert report["log_loss"] is None
    assert report["roc_auc_ovr"] is None
    assert report["threshold_metrics"] is None
    assert summary(report) == {
        "accuracy": pytest.approx(0.6),
        "macro_f1": report["macro_f1"],
        "weighted_f1": report["weighted_f1"],
        "log_loss": None,
        "n": 5,
    }


def test_unseen_labels_are_reported_not_fatal() -> None:
    probs = np.array([[0.9, 0.1], [0.2, 0.8], [0.5, 0.5]])
    report = evaluate(
        actual=["x", "y", "z"], predicted=["x", "y", "x"], labels=["x", "y"], probabilities=probs
    )
    assert report["unseen_labels"] == ["z"]
    assert report["accuracy"] == pytest.approx(2 / 3)
    # the z row is left out of the log loss
    assert report["log_loss"] == pytest.approx(-np.mean(np.log([0.9, 0.8])))
    _json(report)


def test_classes_missing_from_actual_do_not_drag_the_macro_average() -> None:
    report = evaluate(actual=["a", "b"], predicted=["a", "b"], labels=["a", "b", "never"])
    assert report["macro_f1"] == 1.0
    never = next(r for r in report["per_class"] if r["label"] == "never")
    assert never["support"] == 0 and never["f1"] == 0.0


def test_roc_auc_is_none_when_undefined() -> None:
    probs = np.array([[0.6, 0.4], [0.7, 0.3]])
    report = evaluate(
        actual=["a", "a"], predicted=["a", "a"], labels=["a", "b"], probabilities=probs
    )
    assert report["roc_auc_ovr"] is None
    assert report["threshold_metrics"][0]["fpr"] is None  # no negatives at all
    _json(report)


def test_all_predictions_none() -> None:
    report = evaluate(actual=["a", "b"], predicted=[None, None], labels=["a", "b"])
    assert report["accuracy"] == 0.0 and report["unparsed"] == 2
    assert report["macro_f1"] == 0.0
    _json(report)


def test_empty_input() -> None:
    report = evaluate(actual=[], predicted=[], labels=["a", "b"])
    assert report["n"] == 0 and report["accuracy"] is None
    _json(report)


def test_two_hundred_classes_is_json_serialisable() -> None:
    rng = np.random.default_rng(0)
    labels = [f"class_{i}" for i in range(200)]
    actual = list(rng.choice(labels[:150], size=1000))
    predicted: list[str | None] = [a if rng.random() < 0.6 else None for a in actual]
    probs = rng.dirichlet(np.ones(200), size=1000)
    report = evaluate(actual=actual, predicted=predicted, labels=labels, probabilities=probs)
    data = _json(report)
    assert len(data["per_class"]) == 200
    assert len(data["threshold_metrics"]) == 200 * 11
    assert all(math.isfinite(v) for v in (data["macro_f1"], data["log_loss"]))
    assert isinstance(data["confusion_matrix"]["matrix"][0][0], int)


def test_bad_shapes_raise_invalid_input() -> None:
    with pytest.raises(InvalidInput):
        evaluate(actual=["a"], predicted=["a", "b"], labels=["a", "b"])
    with pytest.raises(InvalidInput, match="shape"):
        evaluate(actual=["a"], predicted=["a"], labels=["a", "b"], probabilities=np.ones((1, 3)))
    with pytest.raises(InvalidInput, match="duplicates"):
        evaluate(actual=["a"], predicted=["a"], labels=["a", "a"])
