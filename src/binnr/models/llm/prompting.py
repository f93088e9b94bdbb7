"""Prompts to token ids and label scores to answers, for the local provider (:mod:`.local`)."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from transformers import PreTrainedTokenizerBase

from binnr.errors import InvalidInput
from binnr.models.llm import lora
from binnr.models.llm.base import Classification
from binnr.models.llm.chat import ChatFormat
from binnr.progress import Progress


def encode_pairs(
    fmt: ChatFormat, pairs: Sequence[tuple[str, str]], labels: Sequence[str]
) -> list[lora.Example]:
    """Training examples: each prompt's ids (with the label list) and its completion's ids."""
    completions: dict[str, list[int]] = {}
    out: list[lora.Example] = []
    for prompt, completion in pairs:
        if completion not in completions:
            completions[completion] = fmt.completion_ids(completion)
        out.append((fmt.prefix_ids(fmt.user_text(prompt, labels)), completions[completion]))
    return out


def prompt_ids(
    fmt: ChatFormat, prompts: Sequence[str], shown: Sequence[str], progress: Progress
) -> list[list[int]]:
    """Every prompt's token ids, checking for cancellation between chunks."""
    out: list[list[int]] = []
    for start in range(0, len(prompts), 1024):
        progress.check_cancelled()
        out.extend(fmt.prefix_ids(fmt.user_text(p, shown)) for p in prompts[start : start + 1024])
    return out


def classification(totals: torch.Tensor, labels: Sequence[str]) -> Classification:
    best = int(torch.argmax(totals))
    scores = {label: round(float(t), 4) for label, t in zip(labels, totals, strict=True)}
    return Classification(response=labels[best], label=labels[best], scores=scores)


def pad_id(tokenizer: PreTrainedTokenizerBase) -> int:
    pad = tokenizer.pad_token_id
    return int(pad) if pad is not None else int(tokenizer.eos_token_id or 0)


def check_sampling(*, temperature: float, max_tokens: int, top_p: float) -> None:
    if not 0 <= temperature <= 2:
        raise InvalidInput(f"temperature {temperature} is out of range.", hint="Use 0 to 2.")
    if not 0 < top_p <= 1:
        raise InvalidInput(f"top_p {top_p} is out of range.", hint="Use a value in (0, 1].")
    if not 1 <= max_tokens <= 8192:
        raise InvalidInput(f"max_tokens {max_tokens} is out of range.", hint="Use 1 to 8192.")
