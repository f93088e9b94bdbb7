"""The bundled SmolLM2-135M end to end: GGUF → HF folder, LoRA, save, reload, classify.

Set BINNR_LLM_TEST_HOME to keep the converted base folder between runs.
"""

from __future__ import annotations

import csv
import os
import time
from pathlib import Path

import pytest

from binnr.models.llm import FinetuneOptions
from binnr.models.llm.local import LocalClient, read_metadata
from binnr.settings import Settings
from tests.support.server import SHARED_DATA

DATA = SHARED_DATA / "tweet_sentiment_extraction_train.csv"
LABELS = ["negative", "neutral", "positive"]

pytestmark = pytest.mark.slow


def tweets(n: int) -> list[tuple[str, str]]:
    if not DATA.is_file():
        pytest.skip(f"tweet data not found at {DATA}")
    rows: list[tuple[str, str]] = []
    with DATA.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if row["text"].strip() and row["sentiment"] in LABELS:
                rows.append((row["text"].strip(), row["sentiment"]))
            if len(rows) == n:
                break
    return rows


def test_smollm2_lora_round_trip(tmp_path: Path) -> None:
    rows = tweets(80)
    home = Path(os.environ.get("BINNR_LLM_TEST_HOME") or tmp_path / "home")
    settings = Settings(home=home)
    provider = LocalClient(settings=settings)
    meta = provider.finetune(
        base_model="smollm2-135m",
        train=rows[:64],
        validation=rows[64:72],
        out_dir=tmp_path / "model",
        options=FinetuneOptions(max_steps=10, batch_size=8),
    )
    base = settings.models_dir / "base" / "smollm2-135m"
    assert (base / "model.safetensors").is_file() and (base / "tokenizer.json").is_file()
    assert meta["base_model"] == "smollm2-135m" and meta["labels"] == LABELS
    assert meta["metrics"]["train_loss"] < meta["metrics"]["first_train_loss"]
    assert (tmp_path / "model" / "adapter" / "adapter_model.safetensors").is_file()
    adapter_mb = (tmp_path / "model" / "adapter" / "adapter_model.safetensors").stat().st_size / 1e6
    assert adapter_mb < 10  # only the adapter is saved, not the 540 MB base

    stamp = (base / "model.safetensors").stat().st_mtime
    started = time.monotonic()
    fresh = LocalClient(settings=settings)
    prompts = [text for text, _ in rows[72:80]]
    results = fresh.classify(model_dir_or_name=tmp_path / "model", prompts=prompts, labels=[])
    assert time.monotonic() - started < 60
    assert (base / "model.safetensors").stat().st_mtime == stamp  # reused, not rebuilt
    assert all(r.label in LABELS and r.error is None for r in results)
    assert read_metadata(tmp_path / "model")["labels"] == LABELS
    answer = fresh.complete(model=tmp_path / "model", prompt="Say hello.", max_tokens=8)
    assert isinstance(answer, str)
