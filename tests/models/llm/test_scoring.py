"""Packed label scoring on a tiny random Llama: batched equals one row at a time, and precision."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch

from binnr.models.llm.batching import common_prefix
from binnr.models.llm.chat import ChatFormat
from binnr.models.llm.local import LocalClient
from binnr.models.llm.precision import inference_dtype
from binnr.models.llm.scoring import LabelBlock, LabelScorer, packs, score_labels
from binnr.settings import Settings
from tests.support.tiny_llm import synthetic

LABELS = ["negative", "positive"]


@pytest.fixture(scope="module")
def tiny(tiny_model_dir: Path) -> tuple[Any, Any]:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    return AutoModelForCausalLM.from_pretrained(tiny_model_dir).eval(), tokenizer


@pytest.mark.parametrize("style", ["raw", "instruct"])
def test_batched_scoring_equals_one_row_at_a_time(tiny: tuple[Any, Any], style: str) -> None:
    model, tokenizer = tiny
    fmt = ChatFormat(tokenizer, prompt_style=style)  # type: ignore[arg-type]
    texts = [p for p, _ in synthetic(7, seed=11)] + ["good", "a very long bad film today here"]
    prefixes = [fmt.prefix_ids(fmt.user_text(t, LABELS)) for t in texts]
    # different lengths, and two labels that share their first tokens
    answers = ["positive", "negative", "neg", "really quite awful", "really quite"]
    completions = [fmt.completion_ids(a) for a in answers]
    batched = score_labels(model, prefixes=prefixes, completions=completions)
    single = torch.cat(
        [score_labels(model, prefixes=[p], completions=completions) for p in prefixes]
    )
    assert batched.shape == (len(texts), len(answers))
    torch.testing.assert_close(batched, single, atol=1e-4, rtol=1e-4)


def test_label_block_layout() -> None:
    block = LabelBlock.build([[5, 6, 7], [8], [5, 9]])
    assert block.inputs == [5, 6, 5]  # every label's tokens but its last
    assert block.owner == [0, 0, 2] and block.offset == [0, 1, 0]
    assert block.targets == [5, 6, 7, 8, 5, 9]
    assert block.columns == [0, 1, 2, 0, 0, 3] and block.labels == [0, 0, 0, 1, 2, 2]


def test_empty_inputs_are_refused(tiny: tuple[Any, Any]) -> None:
    model, _ = tiny
    with pytest.raises(ValueError):
        score_labels(model, prefixes=[[1, 2]], completions=[[]])


def test_common_prefix_leaves_every_row_a_token() -> None:
    assert common_prefix([[1, 2, 3, 4], [1, 2, 3, 5], [1, 2, 9]]) == 2
    assert common_prefix([[1, 2, 3], [1, 2, 3, 4]]) == 2  # the shorter row keeps its last token
    assert common_prefix([[7, 1], [8, 1]]) == 0
    assert common_prefix([[1, 2, 3, 4, 5]] * 3) == 4


def test_packs_keep_rows_in_order_within_the_budget() -> None:
    sizes = [5, 1, 9, 3, 3, 7, 2, 8, 6, 40]
    got = list(packs(sizes, budget=10, max_rows=3))
    assert [i for p in got for i in p] == list(range(10))  # every row once, in input order
    assert got == [[0, 1], [2], [3, 4], [5, 6], [7], [8], [9]]  # a row over budget runs alone
    assert list(packs([1] * 7, budget=100, max_rows=3)) == [[0, 1, 2], [3, 4, 5], [6]]


@pytest.mark.parametrize("budget", [1, 40, 10_000])  # one row per pack .. everything in one
def test_packed_scores_equal_padded_per_row_scores(tiny: tuple[Any, Any], budget: int) -> None:
    """Packing and the once-per-call prefix cache change no score (vs. a plain forward)."""
    model, tokenizer = tiny
    fmt = ChatFormat(tokenizer, prompt_style="instruct")
    texts = [p for p, _ in synthetic(9, seed=5)] + ["bad", "a very long bad film today here"]
    prefixes = [fmt.prefix_ids(fmt.user_text(t, LABELS)) for t in texts]
    completions = [fmt.completion_ids(a) for a in ["positive", "negative", "pos"]]
    got = score_labels(model, prefixes=prefixes, completions=completions, budget=budget)
    want = torch.zeros_like(got)
    for i, prefix in enumerate(prefixes):
        for j, completion in enumerate(completions):
            with torch.no_grad():
                logits = model(input_ids=torch.tensor([[*prefix, *completion]])).logits[0]
            logp = torch.log_softmax(logits, dim=-1)
            start = len(prefix) - 1
            want[i, j] = sum(logp[start + k, t] for k, t in enumerate(completion))
    torch.testing.assert_close(got, want, atol=1e-4, rtol=1e-4)


def test_scorer_keeps_its_prefix_cache_between_packs(tiny: tuple[Any, Any]) -> None:
    model, tokenizer = tiny
    fmt = ChatFormat(tokenizer, prompt_style="instruct")
    prefixes = [fmt.prefix_ids(fmt.user_text(t, LABELS)) for t in ["good day", "bad film"]]
    shared = 4
    scorer = LabelScorer(
        model, completions=[fmt.completion_ids(a) for a in LABELS], shared=prefixes[0][:shared]
    )
    first = scorer.score([p[shared:] for p in prefixes])
    again = scorer.score([p[shared:] for p in prefixes])  # the cache was cut back to the prefix
    torch.testing.assert_close(first, again)
    assert scorer.cache.get_seq_length() == shared


def test_inference_dtype() -> None:
    cpu, gpu = torch.device("cpu"), torch.device("cuda")
    assert inference_dtype("fp32", cpu) == torch.float32
    assert inference_dtype("bf16", cpu) == torch.bfloat16
    assert inference_dtype("auto", gpu) == torch.float32
    assert inference_dtype("auto", cpu) in (torch.float32, torch.bfloat16)
    assert Settings().llm_precision == "auto"  # bf16 only where AMX makes it pay


@pytest.mark.parametrize("precision", ["fp32", "bf16"])
def test_provider_predicts_in_the_configured_precision(
    tiny_model_dir: Path, tmp_path: Path, precision: str
) -> None:
    settings = Settings(  # the tiny model lies in an allowed root
        home=tmp_path,
        llm_precision=precision,
        model_roots=[tiny_model_dir.parent],  # type: ignore[arg-type]
    )
    provider = LocalClient(settings=settings, device="cpu", predict_batch_size=4)
    prompts = [p for p, _ in synthetic(10, seed=3)]
    results = provider.classify(
        model_dir_or_name=str(tiny_model_dir), prompts=prompts, labels=LABELS
    )
    want = torch.bfloat16 if precision == "bf16" else torch.float32
    assert provider.load(str(tiny_model_dir)).model.dtype == want
    assert len(results) == len(prompts) and all(r.label in LABELS for r in results)
    for prompt, result in zip(prompts, results, strict=True):  # input order is kept
        alone = provider.classify(
            model_dir_or_name=str(tiny_model_dir), prompts=[prompt], labels=LABELS
        )
        assert alone[0].scores == pytest.approx(result.scores, abs=0.05)
