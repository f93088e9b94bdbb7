"""int8 embeddings (``BINNR_EMBEDDING_PRECISION=int8``) on a tiny BERT built from a config.

The tiny model borrows the bundled MiniLM tokenizer files and gets random weights, so NNCF has a
real sentence-transformers folder to quantise in seconds.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

pytest.importorskip("nncf")

from binnr.errors import ModelError
from binnr.models.embeddings import get_embedder, quantize, vector_key
from binnr.models.embeddings.base import bundled_model_dir
from binnr.models.embeddings.calibration import calibration_texts
from binnr.models.embeddings.local import LocalEmbedder, clear_cache, load_local
from binnr.models.embeddings.runners import SyncSession, run_one
from binnr.settings import Settings

SENTENCES = [
    "The flight was delayed for three hours and nobody told us why.",
    "ok",
    "Quarterly revenue grew 12% while operating costs fell slightly; guidance was raised.",
    "@united lost my bag again... third time this year #fail",
    "",
]
TOKENIZER_FILES = (
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "vocab.txt",
)


@pytest.fixture(scope="module")
def tiny_bert(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import torch
    from transformers import BertConfig, BertModel

    folder = tmp_path_factory.mktemp("tiny-bert")
    source = bundled_model_dir()
    assert source is not None
    for name in TOKENIZER_FILES:
        shutil.copy(source / name, folder / name)
    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=30522,
        hidden_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        intermediate_size=128,
        max_position_embeddings=128,
    )
    BertModel(config).save_pretrained(folder)
    (folder / "1_Pooling").mkdir()
    (folder / "1_Pooling" / "config.json").write_text(
        json.dumps({"pooling_mode_mean_tokens": True})
    )
    (folder / "sentence_bert_config.json").write_text(json.dumps({"max_seq_length": 128}))
    return folder


@pytest.fixture(scope="module")
def pair(tiny_bert: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[LocalEmbedder, ...]:
    cache = tmp_path_factory.mktemp("int8-cache")
    clear_cache()
    fp32 = load_local(model=str(tiny_bert), backend="openvino", cache_dir=cache)
    int8 = load_local(model=str(tiny_bert), backend="openvino", cache_dir=cache, precision="int8")
    return fp32, int8


def test_int8_model_is_quantised_and_close_to_fp32(pair: tuple[LocalEmbedder, ...]) -> None:
    import openvino as ov

    fp32, int8 = pair
    assert fp32.loaded.precision == "fp32" and int8.loaded.precision == "int8"
    path = int8.loaded.export_path
    assert path is not None and int8.loaded.built_export
    ops = {op.get_type_name() for op in ov.Core().read_model(str(path)).get_ops()}
    assert "FakeQuantize" in ops  # activations are quantised, not only the weights
    a, b = fp32.embed(SENTENCES), int8.embed(SENTENCES)
    assert b.shape == a.shape and b.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(b, axis=1), 1.0, atol=1e-5)
    assert np.sum(a * b, axis=1).min() >= 0.97


def test_int8_is_cached_beside_the_fp32_export(pair: tuple[LocalEmbedder, ...]) -> None:
    fp32, int8 = pair
    fp32_path, int8_path = fp32.loaded.export_path, int8.loaded.export_path
    assert fp32_path is not None and int8_path is not None
    assert int8_path.parent.parent == fp32_path.parent  # <fp32 export>/int8-<digest>/model.xml
    mtime = int8_path.stat().st_mtime_ns
    clear_cache()
    again = load_local(
        model=str(fp32.loaded.spec.folder),
        backend="openvino",
        cache_dir=fp32_path.parent.parent,
        precision="int8",
    )
    assert again.loaded.export_path == int8_path and not again.loaded.built_export
    assert int8_path.stat().st_mtime_ns == mtime


def test_int8_key_follows_the_calibration_texts(tmp_path: Path) -> None:
    texts = calibration_texts(20)
    assert quantize.int8_folder(tmp_path, texts) == quantize.int8_folder(tmp_path, list(texts))
    assert quantize.int8_folder(tmp_path, texts) != quantize.int8_folder(tmp_path, texts[:-1])


def test_calibration_texts_are_deterministic_and_varied() -> None:
    texts = calibration_texts(150)
    assert texts == calibration_texts(150) and len(texts) == 150
    words = [len(t.split()) for t in texts]
    assert min(words) <= 2 and max(words) >= 150  # from one-word posts to 256-token paragraphs


def _broken(*args: object, **kwargs: object) -> None:
    raise RuntimeError("no int8 today")


def test_failed_quantisation_falls_back_to_fp32(
    tiny_bert: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(quantize, "quantize_openvino", _broken)
    clear_cache()
    embedder = load_local(
        model=str(tiny_bert), backend="openvino", cache_dir=tmp_path, precision="int8"
    )
    assert embedder.loaded.precision == "fp32"
    assert embedder.embed(["hello"]).shape == (1, 64)
    clear_cache()


def test_vectors_are_keyed_by_the_precision_that_runs(
    pair: tuple[LocalEmbedder, ...],
    tiny_bert: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fp32, int8 = pair
    assert vector_key(fp32) == fp32.name and vector_key(int8) == f"{int8.name}@int8"
    monkeypatch.setattr(quantize, "quantize_openvino", _broken)
    clear_cache()
    fallback = load_local(
        model=str(tiny_bert), backend="openvino", cache_dir=tmp_path, precision="int8"
    )
    assert vector_key(fallback) == fallback.name  # it runs fp32, so its vectors are fp32 ones
    clear_cache()


def test_a_graph_wrong_at_one_width_is_refused(
    pair: tuple[LocalEmbedder, ...], monkeypatch: pytest.MonkeyPatch
) -> None:
    """OpenVINO 2026.4's int8 attention was wrong at exactly 32 tokens: the check pads to 32."""
    from binnr.models.embeddings import local

    fp32, _ = pair

    class WrongAt32:
        backend = "openvino"

        def session(self) -> SyncSession:
            def run(batch: dict[str, np.ndarray]) -> np.ndarray:
                out = run_one(fp32.loaded.runner, batch)
                return out[:, ::-1].copy() if batch["input_ids"].shape[1] == 32 else out

            return SyncSession(run)

    with pytest.raises(ModelError, match="disagrees"):
        local._verify(WrongAt32(), fp32.loaded.spec, fp32.loaded.tokens)  # type: ignore[arg-type]


def test_settings_choose_the_precision(
    tiny_bert: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("BINNR_EMBEDDING_PRECISION", raising=False)  # tests pin fp32 (conftest)
    assert Settings(_env_file=None, home=tmp_path).embedding_precision == "int8"  # type: ignore[call-arg]
    settings = Settings(home=tmp_path, embedding_model=str(tiny_bert), embedding_precision="fp32")
    embedder = get_embedder(settings)
    assert isinstance(embedder, LocalEmbedder) and embedder.loaded.precision == "fp32"
    torch_settings = settings.model_copy(
        update={"embedding_backend": "torch", "embedding_precision": "int8"}
    )
    embedder = get_embedder(torch_settings)  # int8 is an OpenVINO graph: torch stays fp32
    assert isinstance(embedder, LocalEmbedder) and embedder.loaded.precision == "fp32"
