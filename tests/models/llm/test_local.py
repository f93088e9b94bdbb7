"""The local provider end to end on a tiny random Llama: LoRA learns, scoring is exact."""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import torch

from binnr.errors import InvalidInput, JobCancelled
from binnr.models.llm import FinetuneOptions, lora, resolve_model_type
from binnr.models.llm.batching import MIN_SHARED, common_prefix
from binnr.models.llm.chat import ChatFormat
from binnr.models.llm.local import LocalClient, read_metadata
from binnr.models.llm.scoring import score_labels
from binnr.services.llm.in_process import LocalProvider
from binnr.settings import Settings
from tests.support.progress import Recorder
from tests.support.tiny_llm import synthetic

LABELS = ["negative", "positive"]
OPTIONS = FinetuneOptions(max_steps=60, learning_rate=1e-2, batch_size=16, lora_r=16, seed=0)


@dataclass
class Tuned:
    out_dir: Path
    meta: dict[str, Any]
    progress: Recorder
    settings: Settings


@pytest.fixture(scope="module")
def tuned(tiny_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Tuned:
    root = tmp_path_factory.mktemp("tuned")
    settings = Settings(home=root / "home", model_roots=[tiny_model_dir])
    progress = Recorder()
    meta = LocalClient(settings=settings).finetune(
        base_model=str(tiny_model_dir),
        train=synthetic(256, seed=1),
        validation=synthetic(32, seed=2),
        out_dir=root / "model",
        options=OPTIONS,
        progress=progress,
    )
    return Tuned(root / "model", meta, progress, settings)


def test_finetune_lowers_loss_and_reports_each_step(tuned: Tuned) -> None:
    metrics = tuned.meta["metrics"]
    assert metrics["train_loss"] < 0.3 * metrics["first_train_loss"]
    assert metrics["eval_loss"] < 0.5
    steps = [u for u in tuned.progress.updates if u["done"] is not None]
    assert [u["done"] for u in steps] == list(range(1, 61))
    assert steps[-1]["metrics"].keys() >= {"step", "total_steps", "train_loss"}
    assert any("eval_loss" in u["metrics"] for u in tuned.progress.updates)


def test_model_folder_holds_only_adapter_and_metadata(tuned: Tuned, tiny_model_dir: Path) -> None:
    files = {p.name for p in tuned.out_dir.iterdir()}
    assert files == {"adapter", "llm.json"}
    assert (tuned.out_dir / "adapter" / "adapter_config.json").is_file()
    meta = read_metadata(tuned.out_dir)
    assert meta["labels"] == LABELS
    assert meta["base_ref"] == str(tiny_model_dir)
    assert len(meta["loss_history"]) == 60
    assert json.loads((tuned.out_dir / "llm.json").read_text())["format"] == "binnr-llm/1"


def test_classify_is_accurate_on_held_out_rows(tuned: Tuned) -> None:
    test = synthetic(40, seed=3)
    progress = Recorder()
    results = LocalClient(settings=tuned.settings, predict_batch_size=16).classify(
        model_dir_or_name=tuned.out_dir, prompts=[p for p, _ in test], labels=[], progress=progress
    )
    assert all(r.label in LABELS and r.response == r.label and r.error is None for r in results)
    accuracy = sum(r.label == y for r, (_, y) in zip(results, test, strict=True)) / len(test)
    assert accuracy >= 0.9
    for r in results:  # scores are log-probabilities, the chosen label's the highest
        assert r.scores and max(r.scores, key=r.scores.__getitem__) == r.label
        assert all(v <= 0 for v in r.scores.values())
    assert [u["done"] for u in progress.updates] == [16, 32, 40]


def test_reloaded_adapter_gives_the_same_predictions(tuned: Tuned) -> None:
    prompts = [p for p, _ in synthetic(12, seed=4)]
    first = LocalClient(settings=tuned.settings).classify(
        model_dir_or_name=tuned.out_dir, prompts=prompts, labels=LABELS
    )
    again = (
        LocalProvider()
        .client(tuned.settings)
        .classify(model_dir_or_name=str(tuned.out_dir), prompts=prompts, labels=LABELS)
    )
    assert [r.label for r in first] == [r.label for r in again]
    for a, b in zip(first, again, strict=True):
        assert a.scores == pytest.approx(b.scores, abs=1e-3)


def test_cancel_during_training_raises(tiny_model_dir: Path, settings: Settings) -> None:
    progress = Recorder(cancel_after=3)
    with pytest.raises(JobCancelled):
        LocalClient(settings=settings).finetune(
            base_model=str(tiny_model_dir),
            train=synthetic(32, seed=1),
            validation=[],
            out_dir=settings.home / "cancelled",
            options=OPTIONS,
            progress=progress,
        )
    assert not (settings.home / "cancelled" / "llm.json").exists()


def test_cancel_during_classify_raises(tuned: Tuned) -> None:
    with pytest.raises(JobCancelled):
        LocalClient(settings=tuned.settings, predict_batch_size=2).classify(
            model_dir_or_name=tuned.out_dir,
            prompts=["good day"] * 10,
            labels=LABELS,
            progress=Recorder(cancel_after=2),
        )


def test_training_is_deterministic(tiny_model_dir: Path, settings: Settings) -> None:
    options = OPTIONS.model_copy(update={"max_steps": 4})
    histories = []
    for run in range(2):
        LocalClient(settings=settings).finetune(
            base_model=str(tiny_model_dir),
            train=synthetic(32, seed=1),
            validation=[],
            out_dir=settings.home / f"run{run}",
            options=options,
        )
        histories.append(read_metadata(settings.home / f"run{run}")["loss_history"])
    assert histories[0] == histories[1]


def test_complete_returns_text_for_base_and_adapter(tuned: Tuned, tiny_model_dir: Path) -> None:
    provider = LocalClient(settings=tuned.settings)
    for model in (str(tiny_model_dir), tuned.out_dir):
        text = provider.complete(model=model, prompt="good day", temperature=0, max_tokens=5)
        assert isinstance(text, str)
    sampled = provider.complete(model=tuned.out_dir, prompt="x", temperature=0.7, top_p=0.9)
    assert isinstance(sampled, str)
    with pytest.raises(InvalidInput):
        provider.complete(model=tuned.out_dir, prompt="x", top_p=0)


@pytest.fixture(scope="module")
def tiny(tiny_model_dir: Path) -> tuple[Any, Any]:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    return AutoModelForCausalLM.from_pretrained(tiny_model_dir).eval(), tokenizer


@pytest.mark.parametrize("style", ["raw", "instruct"])  # instruct: long shared beginning
def test_cached_prefix_scoring_matches_full_sequences(tiny: tuple[Any, Any], style: str) -> None:
    model, tokenizer = tiny
    fmt = ChatFormat(tokenizer, prompt_style=style)  # type: ignore[arg-type]
    texts = ["good", "a very long bad film today", "nice it"]
    prefixes = [fmt.prefix_ids(fmt.user_text(t, LABELS)) for t in texts]
    assert (common_prefix(prefixes) >= MIN_SHARED) == (style == "instruct")
    completions = [fmt.completion_ids(x) for x in ["positive", "neg", "really quite awful"]]
    got = score_labels(model, prefixes=prefixes, completions=completions)
    for i, prefix in enumerate(prefixes):
        for j, completion in enumerate(completions):
            ids = torch.tensor([[*prefix, *completion]])
            with torch.no_grad():
                logp = torch.log_softmax(model(input_ids=ids).logits[0], dim=-1)
            start = len(prefix)
            expected = sum(float(logp[start - 1 + k, t]) for k, t in enumerate(completion))
            assert float(got[i, j]) == pytest.approx(expected, abs=1e-3)


@pytest.mark.parametrize("style", ["raw", "instruct"])
def test_batch_loss_and_gradients_match_plain_padded_loss(
    tiny: tuple[Any, Any], style: str
) -> None:
    model, tokenizer = tiny
    fmt = ChatFormat(tokenizer, prompt_style=style)  # type: ignore[arg-type]
    batch = [
        (fmt.prefix_ids(fmt.user_text(p, LABELS)), fmt.completion_ids(c))
        for p, c in [*synthetic(3, seed=5), ("x", "really quite awful")]
    ]
    tuned = lora.add_lora(copy.deepcopy(model), OPTIONS)
    for param in tuned.parameters():  # non-zero B so gradients reach every LoRA matrix
        if param.requires_grad:
            torch.nn.init.normal_(param, std=0.05)
    ours = lora.batch_loss(tuned, batch, pad_id=0)
    ours_grads = torch.autograd.grad(ours, [p for p in tuned.parameters() if p.requires_grad])
    width = max(len(p) + len(c) for p, c in batch)
    ids = torch.zeros((len(batch), width), dtype=torch.long)
    labels = torch.full_like(ids, -100)
    for i, (p, c) in enumerate(batch):
        ids[i, : len(p) + len(c)] = torch.tensor([*p, *c])
        labels[i, len(p) : len(p) + len(c)] = torch.tensor(c)
    reference = tuned(input_ids=ids, attention_mask=(labels != -100) | (ids != 0), labels=labels)
    ref_grads = torch.autograd.grad(
        reference.loss, [p for p in tuned.parameters() if p.requires_grad]
    )
    assert float(ours.detach()) == pytest.approx(float(reference.loss.detach()), abs=1e-4)
    for a, b in zip(ours_grads, ref_grads, strict=True):
        assert torch.allclose(a, b, atol=1e-5, rtol=1e-3)


def test_unknown_base_model_is_invalid_input(settings: Settings) -> None:
    with pytest.raises(InvalidInput, match="smollm2-135m"):
        LocalClient(settings=settings).finetune(
            base_model="llama3-8b",
            train=[("a", "b")],
            validation=[],
            out_dir=settings.home / "x",
            options=OPTIONS,
        )


def test_local_model_resolution(settings: Settings, tiny_model_dir: Path) -> None:
    gguf = resolve_model_type(None, settings=settings, provider="local")
    assert gguf.endswith("SmolLM2-135M-Instruct.Q4_1.gguf") and Path(gguf).is_file()
    assert resolve_model_type(str(tiny_model_dir), settings=settings, provider="local") == str(
        tiny_model_dir
    )
    assert resolve_model_type("org/model", settings=settings, provider="local") == "org/model"
    configured = settings.model_copy(update={"llm_models": {"llama3-8b": str(tiny_model_dir)}})
    assert resolve_model_type("llama3-8b", settings=configured, provider="local") == str(
        tiny_model_dir
    )
    with pytest.raises(InvalidInput, match=r"'llama3-8b'.*configured: smollm2-135m\.") as info:
        resolve_model_type("llama3-8b", settings=settings, provider="local")
    assert "BINNR_LLM_MODELS" in info.value.hint


def test_free_text_completions_train_raw(tiny_model_dir: Path, settings: Settings) -> None:
    pairs = [(f"row {i}", f"answer {i}") for i in range(101)]
    meta = LocalClient(settings=settings).finetune(
        base_model=str(tiny_model_dir),
        train=pairs,
        validation=[],
        out_dir=settings.home / "free",
        options=OPTIONS.model_copy(update={"max_steps": 2}),
    )
    assert meta["prompt_style"] == "raw" and len(meta["labels"]) == 101
