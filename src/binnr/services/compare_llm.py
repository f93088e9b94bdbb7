"""The LLM rows of the method leaderboard: the local model zero-shot and LoRA-tuned.

Both label at most ``llm_max_rows`` test rows (a CPU labels a few rows a second) and give
probabilities from the label log-likelihoods.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from binnr.jobs.context import JobContext
from binnr.models.llm.base import FinetuneOptions, resolve_model_type
from binnr.params.compare import CompareParams
from binnr.services.llm.common import softmax
from binnr.services.llm.in_process import LocalProvider
from binnr.services.split import Split

Method = Callable[[Split], tuple[list[str], np.ndarray | None]]


def llm_methods(ctx: JobContext, params: CompareParams) -> dict[str, Method]:
    """``llm_zero_shot`` and ``llm_lora`` for :mod:`binnr.services.compare`."""
    return {
        "llm_zero_shot": lambda split: _run(ctx, params, split, tune=False),
        "llm_lora": lambda split: _run(ctx, params, split, tune=True),
    }


def _run(
    ctx: JobContext, params: CompareParams, split: Split, *, tune: bool
) -> tuple[list[str], np.ndarray | None]:
    client = LocalProvider().client(ctx.settings)
    base = resolve_model_type(None, settings=ctx.settings, provider="local")
    prompts = split.test_texts[: params.llm_max_rows]
    with tempfile.TemporaryDirectory(dir=ctx.settings.home) as tmp:
        model: Any = base
        if tune:
            pairs = list(zip(split.train_texts, split.train_labels, strict=True))
            options = FinetuneOptions(max_steps=params.llm_max_steps)
            client.finetune(
                base_model=base,
                train=pairs,
                validation=[],
                out_dir=Path(tmp),
                options=options,
                progress=ctx.progress,
            )
            model = Path(tmp)
        split.mark_trained()
        answers = client.classify(
            model_dir_or_name=model, prompts=prompts, labels=split.labels, progress=ctx.progress
        )
    predicted = [a.label or "" for a in answers]
    return predicted, softmax([a.scores for a in answers], split.labels)
