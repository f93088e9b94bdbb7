"""The local embedding provider on the real all-MiniLM-L6-v2 (no mocks, nothing downloaded)."""

from __future__ import annotations

import csv
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from binnr.errors import JobCancelled, ModelError, NotSupported
from binnr.models.embeddings import Embedder, get_embedder, resolve_model_dir
from binnr.models.embeddings.base import bundled_model_dir
from binnr.models.embeddings.local import LocalEmbedder, clear_cache, load_local
from binnr.settings import Settings
from tests.support.progress import Recorder

SENTENCES = [
    "The flight was delayed for three hours and nobody told us why.",
    "ok",
    "I absolutely love the new update, everything feels faster!!!",
    "Quarterly revenue grew 12% while operating costs fell slightly; guidance was raised.",
    "@united lost my bag again... third time this year #fail",
    "",
    "Layin n bed with a headache  ughhhh...waitin on your call...",
    " Sooo SAD I will miss you here in San Diego!!!",
]


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("embed-cache")


@pytest.fixture(scope="module")
def openvino(cache_dir: Path) -> Iterator[LocalEmbedder]:
    clear_cache()
    yield load_local(model="all-MiniLM-L6-v2", backend="openvino", cache_dir=cache_dir)
    clear_cache()


@pytest.fixture(scope="module")
def reference() -> np.ndarray:
    """sentence-transformers' own embeddings of :data:`SENTENCES`."""
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(bundled_model_dir()), device="cpu")
    return np.asarray(model.encode(SENTENCES, normalize_embeddings=True))


def test_shape_dtype_and_normalised_rows(openvino: LocalEmbedder) -> None:
    out = openvino.embed(SENTENCES)
    assert isinstance(openvino, Embedder)
    assert out.shape == (len(SENTENCES), 384) and out.dtype == np.float32
    assert openvino.dim == 384 and openvino.name == "all-MiniLM-L6-v2"
    np.testing.assert_allclose(np.linalg.norm(out, axis=1), 1.0, atol=1e-5)
    assert openvino.embed([]).shape == (0, 384)


def test_none_and_nan_embed_as_empty_text(openvino: LocalEmbedder) -> None:
    out = openvino.embed([None, "", float("nan")])  # type: ignore[list-item]
    np.testing.assert_allclose(out[0], out[1], atol=1e-6)
    np.testing.assert_allclose(out[2], out[1], atol=1e-6)


@pytest.mark.parametrize("backend", ["openvino", "torch"])
def test_agrees_with_sentence_transformers(
    backend: str, cache_dir: Path, openvino: LocalEmbedder, reference: np.ndarray
) -> None:
    embedder = load_local(model="all-MiniLM-L6-v2", backend=backend, cache_dir=cache_dir)  # type: ignore[arg-type]
    cosine = np.sum(embedder.embed(SENTENCES) * reference, axis=1)
    assert cosine.min() >= 0.999, cosine


def test_order_is_restored_after_length_sorting(openvino: LocalEmbedder) -> None:
    small = LocalEmbedder(openvino.loaded, batch_size=3)  # several batches of mixed lengths
    together = small.embed(SENTENCES)
    one_by_one = np.vstack([openvino.embed([s]) for s in SENTENCES])
    cosine = np.sum(together * one_by_one, axis=1)
    assert cosine.min() >= 0.999, cosine
    # each row is nearer its own sentence than any other row
    assert np.array_equal((together @ one_by_one.T).argmax(axis=1), np.arange(len(SENTENCES)))


def test_export_is_cached_and_reused(openvino: LocalEmbedder, cache_dir: Path) -> None:
    path = openvino.loaded.export_path
    assert path is not None and path.is_file() and path.is_relative_to(cache_dir)
    assert openvino.loaded.built_export
    mtime = path.stat().st_mtime_ns
    clear_cache()
    again = load_local(model="all-MiniLM-L6-v2", backend="openvino", cache_dir=cache_dir)
    assert again.loaded is not openvino.loaded  # really loaded a second time
    assert again.loaded.export_path == path and not again.loaded.built_export
    assert path.stat().st_mtime_ns == mtime
    assert [p.name for p in cache_dir.iterdir() if p.name.startswith(".")] == []  # no temp left
    np.testing.assert_allclose(again.embed(SENTENCES[:2]), openvino.embed(SENTENCES[:2]), atol=1e-5)


def test_loading_is_cached_and_thread_safe(openvino: LocalEmbedder, cache_dir: Path) -> None:
    loaded: list[Any] = []

    def load() -> None:
        loaded.append(load_local(model="all-MiniLM-L6-v2", backend="auto", cache_dir=cache_dir))

    threads = [threading.Thread(target=load) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({id(e.loaded) for e in loaded}) == 1
    assert loaded[0].backend == "openvino"  # auto picks the fastest backend installed


def test_progress_and_cancel(openvino: LocalEmbedder) -> None:
    progress = Recorder()
    LocalEmbedder(openvino.loaded, batch_size=2).embed(SENTENCES, progress=progress)
    assert [u["done"] for u in progress.updates] == [2, 4, 6, 8]
    assert progress.updates[-1]["message"] == "embedded 8/8"
    with pytest.raises(JobCancelled):
        LocalEmbedder(openvino.loaded, batch_size=2).embed(
            SENTENCES, progress=Recorder(cancel_after=1)
        )


def test_get_embedder_uses_the_settings_cache(tmp_path: Path, openvino: LocalEmbedder) -> None:
    settings = Settings(home=tmp_path, embedding_backend="torch", embedding_batch_size=4)
    embedder = get_embedder(settings)
    assert isinstance(embedder, LocalEmbedder)
    assert embedder.backend == "torch" and embedder.batch_size == 4
    assert embedder.embed(["hello"]).shape == (1, 384)


def test_missing_model_says_how_to_fix_it(tmp_path: Path) -> None:
    for name in (str(tmp_path / "nowhere"), "some-org/not-a-cached-model"):
        with pytest.raises(ModelError) as info:
            resolve_model_dir(name)
        assert "BINNR_EMBEDDING_MODEL" in info.value.hint
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ModelError):
        resolve_model_dir(str(empty))


def test_local_folder_model(openvino: LocalEmbedder) -> None:
    folder = bundled_model_dir()
    assert folder is not None and resolve_model_dir(str(folder)) == folder.resolve()


@pytest.mark.skipif(
    __import__("importlib.util").util.find_spec("onnx") is not None,
    reason="the onnx package is installed, so the onnx backend can export",
)
def test_onnx_backend_without_onnx_package_is_not_supported(tmp_path: Path) -> None:
    with pytest.raises(NotSupported) as info:
        load_local(model="all-MiniLM-L6-v2", backend="onnx", cache_dir=tmp_path)
    assert "openvino" in info.value.hint


@pytest.mark.shared_data
def test_real_tweets_agree_with_sentence_transformers(
    shared_data: Path, openvino: LocalEmbedder
) -> None:
    with (shared_data / "tweet_sentiment_extraction_train.csv").open(encoding="utf-8") as f:
        texts = [row["text"] for _, row in zip(range(64), csv.DictReader(f), strict=False)]
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(bundled_model_dir()), device="cpu")
    want = np.asarray(model.encode(texts, normalize_embeddings=True))
    cosine = np.sum(openvino.embed(texts) * want, axis=1)
    assert cosine.min() >= 0.999 and cosine.mean() >= 0.9999
