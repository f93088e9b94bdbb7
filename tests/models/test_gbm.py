"""binnr.models.gbm and text_features: real training on small synthetic data, no mocks."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError
from sklearn.feature_extraction.text import CountVectorizer

from binnr.errors import InvalidInput, JobCancelled, ModelError
from binnr.models import gbm
from binnr.models.gbm import GbmParams, TrainedGbm, train
from binnr.models.stacking import LinearScores
from binnr.models.text_features import SelectedTfidf, Vocabulary
from tests.support.progress import Recorder

CUES = {
    "pos": ["great", "lovely", "awesome", "brilliant"],
    "neg": ["awful", "terrible", "horrid", "dreadful"],
    "neu": ["table", "window", "schedule", "invoice"],
}
FILLER = ["the", "a", "we", "it", "was", "is", "today", "really", "so", "and", "then", "our"]
# one LightGBM thread: tiny data gains nothing from two, and a busy CI machine hurts them
FAST = {"num_rounds": 60, "early_stopping_rounds": 10, "num_threads": 1}


def make(n: int, seed: int, classes: Mapping[str, list[str]] = CUES) -> tuple[list[str], list[str]]:
    """Texts of filler words with one class cue word somewhere (and 10% label noise-free)."""
    rng = np.random.default_rng(seed)
    names = list(classes)
    texts, labels = [], []
    for i in range(n):
        label = names[i % len(names)]
        words = list(rng.choice(FILLER, size=rng.integers(4, 10)))
        words.insert(int(rng.integers(0, len(words))), str(rng.choice(classes[label])))
        texts.append(" ".join(words).capitalize() + rng.choice(["", "!", " :)", "..."]))
        labels.append(label)
    return texts, labels


@pytest.fixture(scope="module")
def data() -> tuple[list[str], list[str]]:
    return make(450, seed=1)


@pytest.fixture(scope="module")
def trained(data: tuple[list[str], list[str]]) -> tuple[TrainedGbm, Recorder]:
    texts, labels = data
    recorder = Recorder()
    return train(texts=texts, labels=labels, params=FAST, progress=recorder), recorder


def test_learns_the_cue_words(trained: tuple[TrainedGbm, Recorder]) -> None:
    model, _ = trained
    fresh, truth = make(300, seed=99)
    accuracy = np.mean(np.array(model.predict(fresh)) == np.array(truth))
    assert accuracy > 0.9  # chance is 1/3
    assert model.labels == ["neg", "neu", "pos"]
    assert model.report["accuracy"] > 0.85 and model.report["n"] == 90  # 20% of 450
    assert model.report["split"] == "stratified 20% holdout"
    assert model.report["best_iteration"] >= 1
    json.dumps(model.report, allow_nan=False)


def test_probabilities_are_well_formed_and_batch_independent(
    trained: tuple[TrainedGbm, Recorder], data: tuple[list[str], list[str]]
) -> None:
    model, _ = trained
    texts = data[0][:50]
    whole = model.predict_proba(texts)
    assert whole.shape == (50, 3)
    np.testing.assert_allclose(whole.sum(axis=1), 1.0)
    halves = np.vstack([model.predict_proba(texts[:17]), model.predict_proba(texts[17:])])
    np.testing.assert_array_equal(whole, halves)
    assert model.predict_proba([]).shape == (0, 3)


def test_chunked_parallel_predict_equals_single_thread(
    trained: tuple[TrainedGbm, Recorder], data: tuple[list[str], list[str]], monkeypatch: Any
) -> None:
    model, _ = trained
    single = model.predict_proba(data[0])
    monkeypatch.setattr(gbm, "_CHUNK", 64)  # many chunks on two threads
    monkeypatch.setattr(model, "params", model.params.model_copy(update={"num_threads": 2}))
    np.testing.assert_array_equal(model.predict_proba(data[0]), single)


def test_progress_log_and_importance(trained: tuple[TrainedGbm, Recorder]) -> None:
    model, recorder = trained
    assert recorder.phases == ["vectorise", "select", "train", "evaluate", "refit"]
    assert recorder.checks > 0
    log = model.training_log
    assert log and set(log[0]) == {"iteration", "train_loss", "eval_loss"}
    assert [e["iteration"] for e in log] == list(range(1, len(log) + 1))
    assert log[-1]["train_loss"] < log[0]["train_loss"]
    assert any(set(m) == {"iteration", "train_loss", "eval_loss"} for m in recorder.metrics)
    importance = model.feature_importance
    assert set(importance) == {"neg", "neu", "pos"}
    top_pos = " ".join(f["feature"] for f in importance["pos"][:8])
    assert any(cue[:4] in top_pos for cue in CUES["pos"]), top_pos
    json.dumps(importance)


def test_save_load_round_trip_without_pickles(
    trained: tuple[TrainedGbm, Recorder], data: tuple[list[str], list[str]], tmp_path: Path
) -> None:
    model, _ = trained
    model.save(tmp_path / "m")
    files = sorted(p.name for p in (tmp_path / "m").iterdir())
    assert files == ["gbm.json", "model.txt", "vectorizer.json"]
    for name in ("gbm.json", "vectorizer.json"):
        json.loads((tmp_path / "m" / name).read_text())
    loaded = TrainedGbm.load(tmp_path / "m")
    texts = [*data[0][:40], "", "Brand new words never seen", None]
    np.testing.assert_array_equal(loaded.predict_proba(texts), model.predict_proba(texts))
    assert loaded.predict(texts) == model.predict(texts)
    assert loaded.labels == model.labels and loaded.report == model.report
    assert loaded.metadata()["metrics"]["macro_f1"] == model.report["macro_f1"]


def test_load_rejects_a_broken_folder(tmp_path: Path) -> None:
    with pytest.raises(ModelError):
        TrainedGbm.load(tmp_path)


def test_unknown_params_key_raises() -> None:
    texts, labels = make(30, seed=2)
    with pytest.raises(InvalidInput, match="learning_rat"):
        train(texts=texts, labels=labels, params={"learning_rat": 0.1})
    with pytest.raises(ValidationError):
        GbmParams(num_leaves=31, colour="blue")  # type: ignore[call-arg]
    with pytest.raises(InvalidInput):
        train(texts=texts, labels=labels, params={"num_leaves": 1})


def test_one_class_raises_model_error() -> None:
    with pytest.raises(ModelError, match="at least 2 classes"):
        train(texts=["a b", "c d", "e f"], labels=["x", "x", "x"])
    with pytest.raises(ModelError):
        train(texts=["a", "b"], labels=[None, "x"])


def test_single_row_class_empty_texts_and_missing_labels() -> None:
    texts, labels = make(150, seed=3)
    texts[:6] = [None, "", "   ", None, "", "\t"]  # type: ignore[list-item]
    texts.append("a lonely example")
    labels.append("rare")
    texts.append("no label here")
    labels.append(None)  # type: ignore[arg-type]
    model = train(texts=texts, labels=labels, params=FAST)
    warnings = " ".join(model.report["warnings"])
    assert "'rare' has 1 row" in warnings and "1 rows without a label" in warnings
    assert "rare" in model.labels
    proba = model.predict_proba([None, "", "great day"])
    assert proba.shape == (3, 4) and np.isfinite(proba).all()


def test_given_eval_set_binary_and_balanced_weights() -> None:
    texts, labels = make(200, seed=4, classes={"spam": ["winner", "prize"], "ham": ["meeting"]})
    eval_texts, eval_labels = make(60, seed=5, classes={"spam": ["winner"], "ham": ["meeting"]})
    params = {**FAST, "class_weight": "balanced"}
    model = train(
        texts=texts, labels=labels, eval_texts=eval_texts, eval_labels=eval_labels, params=params
    )
    assert model.report["split"] == "eval set" and model.report["n"] == 60
    assert model.report["accuracy"] > 0.9
    assert model.info["rows"] == {"train": 200, "eval": 60, "refit": 260}
    assert model.predict_proba(["you are a winner"]).shape == (1, 2)
    assert model.feature_importance["ham"] == model.feature_importance["spam"]  # one tree/round


def test_cancel_from_the_training_callback() -> None:
    texts, labels = make(90, seed=6)
    with pytest.raises(JobCancelled):
        train(texts=texts, labels=labels, params=FAST, progress=Recorder(cancel_after_checks=3))


def _embeddings(labels: list[str], seed: int) -> np.ndarray:
    """A weak class signal in 8 noisy dimensions, like a sentence encoder's."""
    rng = np.random.default_rng(seed)
    names = sorted(CUES)
    signal = np.eye(8)[[names.index(label) for label in labels]]
    return signal * 0.5 + rng.normal(size=(len(labels), 8))


def test_stacked_variant_with_arrays_and_callable(tmp_path: Path) -> None:
    texts, labels = make(300, seed=7)
    params = {**FAST, "features": "text+embeddings"}
    model = train(texts=texts, labels=labels, params=params, embeddings=_embeddings(labels, 0))
    assert model.report["accuracy"] > 0.85
    fresh, truth = make(60, seed=8)
    emb = _embeddings(truth, 1)
    assert np.mean(np.array(model.predict(fresh, embeddings=emb)) == np.array(truth)) > 0.85
    assert {f["kind"] for fs in model.feature_importance.values() for f in fs} <= {
        "lr",
        "embedding",
    }
    with pytest.raises(ModelError, match="embeddings"):
        model.predict(fresh)
    model.save(tmp_path / "s")
    assert (tmp_path / "s" / "linear.json").exists()
    lookup = dict(zip(fresh, emb, strict=True))
    loaded = TrainedGbm.load(tmp_path / "s", embed=lambda ts: np.array([lookup[t] for t in ts]))
    np.testing.assert_allclose(
        loaded.predict_proba(fresh), model.predict_proba(fresh, embeddings=emb)
    )
    with pytest.raises(ModelError, match="embeddings"):
        train(texts=texts, labels=labels, params=params)


def test_linear_scores_match_sklearn() -> None:
    texts, labels = make(120, seed=9)
    vec = Vocabulary(texts).select(
        labels=np.array([sorted(CUES).index(v) for v in labels]), max_features=300
    )
    x = vec.normalised(vec.transform(texts))
    y = np.array([sorted(CUES).index(v) for v in labels])
    from sklearn.linear_model import LogisticRegression

    for classes in (3, 2):
        keep = y < classes
        ours = LinearScores.fit(x[keep], y[keep], n_labels=classes, seed=0)
        ref = LogisticRegression(max_iter=1000, random_state=0).fit(x[keep], y[keep])
        # float32 features: sklearn computes in float32, we in float64
        np.testing.assert_allclose(ours.proba(x[keep]), ref.predict_proba(x[keep]), atol=1e-6)
        again = LinearScores.from_json(json.loads(json.dumps(ours.to_json())))
        np.testing.assert_array_equal(again.proba(x), ours.proba(x))


TRICKY = [
    "Hello, World!! hello world",
    "  leading and   trailing spaces\t\tand\ttabs\n\nnew lines ",
    "İstanbul ΣΊΣΥΦΟΣ Straße café naïve",
    "日本語のテキスト and 中文 mixed",
    "emoji 😀😀 ok_ok __init__ snake_case 42 3.14 a b c",
    "x",
    "",
    "a" * 40,
    "don't won't can't isn't",
    "\u3000ideographic\u3000space\u00a0nbsp",
]


def test_counts_equal_sklearn_countvectorizer() -> None:
    corpus = make(200, seed=10)[0] + TRICKY * 2
    y = np.arange(len(corpus)) % 3
    vec = Vocabulary(corpus).select(labels=y, max_features=4000)
    ours = vec.transform(corpus)
    words = CountVectorizer(ngram_range=(1, 2), vocabulary=vec.words).transform(corpus)
    chars = CountVectorizer(analyzer="char_wb", ngram_range=(2, 5), vocabulary=vec.chars)
    counts = np.hstack([words.toarray(), chars.transform(corpus).toarray()]).astype(float)
    idf = np.concatenate([vec.word_idf, vec.char_idf])
    expected = np.where(counts > 0, (1 + np.log(np.maximum(counts, 1))) * idf, 0.0)
    np.testing.assert_allclose(ours[:, : vec.n_ngrams].toarray(), expected, rtol=1e-6)
    lengths = ours[:, vec.n_ngrams :].toarray()
    np.testing.assert_array_equal(lengths[:, 0], [len(t.lower()) for t in corpus])
    np.testing.assert_array_equal(lengths[:, 1], [len(t.split()) for t in corpus])


def test_pruned_vectoriser_keeps_used_columns_only() -> None:
    texts, labels = make(120, seed=11)
    y = np.array([sorted(CUES).index(v) for v in labels])
    vec = Vocabulary(texts).select(labels=y, max_features=500)
    used = [0, 3, len(vec.words) + 2, len(vec.words) + 7]
    pruned = vec.pruned(used)
    full, part = vec.transform(texts).toarray(), pruned.transform(texts).toarray()
    keep = [*used, vec.n_ngrams, vec.n_ngrams + 1]
    np.testing.assert_array_equal(part[:, keep], full[:, keep])
    assert not np.delete(part, keep, axis=1).any()
    again = SelectedTfidf.from_json(json.loads(json.dumps(pruned.to_json())))
    np.testing.assert_array_equal(again.transform(texts).toarray(), part)


@pytest.mark.shared_data
def test_tweet_sentiment_sample(shared_data: Path) -> None:
    frame = pd.read_csv(
        shared_data / "tweet_sentiment_extraction_train.csv", dtype=str, keep_default_na=False
    ).sample(n=4000, random_state=0)
    texts, labels = frame["text"].tolist(), frame["sentiment"].tolist()
    params = {"num_rounds": 150, "num_threads": 1}
    model = train(texts=texts[:3200], labels=labels[:3200], params=params)
    predicted = model.predict(texts[3200:])
    accuracy = np.mean(np.array(predicted) == np.array(labels[3200:]))
    assert accuracy > 0.6  # three classes, chance is about 0.4
    assert model.report["macro_f1"] > 0.55
