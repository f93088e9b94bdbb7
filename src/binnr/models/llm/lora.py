"""LoRA fine-tuning with a plain, cooperative torch loop (AdamW, linear warmup and decay).

The loss counts only completion tokens. Each step reports ``step``, ``total_steps`` and
``train_loss`` and checks for cancellation; ``eval_loss`` is computed on the validation pairs
at the end (and every ``eval_every`` steps when set).
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator, Sequence
from typing import Any

import torch
import torch.nn.functional as F
from peft import LoraConfig, PeftModel, get_peft_model
from transformers import PreTrainedModel

from binnr.errors import ModelError
from binnr.models.llm.base import FinetuneOptions
from binnr.models.llm.batching import forward_rows
from binnr.progress import NullProgress, Progress

Example = tuple[list[int], list[int]]  # (prefix ids, completion ids)
ATTENTION_PROJECTIONS = ("q_proj", "k_proj", "v_proj", "o_proj")
IGNORE = -100


def add_lora(model: PreTrainedModel, options: FinetuneOptions) -> PeftModel:
    """Wrap ``model`` with fresh LoRA adapters on the attention projections."""
    names = {name.rsplit(".", 1)[-1] for name, _ in model.named_modules()}
    targets = [t for t in ATTENTION_PROJECTIONS if t in names] or None  # None: PEFT's default
    config = LoraConfig(
        r=options.lora_r,
        lora_alpha=options.lora_alpha or 2 * options.lora_r,
        lora_dropout=options.lora_dropout,
        target_modules=targets,
        task_type="CAUSAL_LM",
    )
    torch.manual_seed(options.seed)
    try:
        return get_peft_model(model, config)  # type: ignore[return-value]
    except ValueError as exc:
        raise ModelError(
            f"LoRA cannot target this model: {exc}",
            hint="Use a llama/mistral/qwen-style base model with q/k/v/o projections.",
        ) from exc


def train(
    model: PeftModel,
    *,
    train: Sequence[Example],
    validation: Sequence[Example],
    options: FinetuneOptions,
    pad_id: int,
    progress: Progress,
) -> dict[str, Any]:
    """Run the loop; returns metrics (final ``train_loss``, ``eval_loss``, steps, history)."""
    steps = total_steps(len(train), options)
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=options.learning_rate, weight_decay=0.0)
    warmup = min(options.warmup_steps, steps // 10)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer,
        lambda s: (s + 1) / (warmup + 1) if s < warmup else (steps - s) / (steps - warmup),
    )
    order = _batches(len(train), options.batch_size, random.Random(options.seed))
    history: list[dict[str, float]] = []
    recent: list[float] = []
    model.train()
    for step in range(1, steps + 1):
        progress.check_cancelled()
        loss = batch_loss(model, [train[i] for i in next(order)], pad_id)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        optimizer.step()
        schedule.step()
        optimizer.zero_grad(set_to_none=True)
        recent = [*recent[-9:], float(loss.detach())]
        metrics: dict[str, float] = {"step": step, "total_steps": steps, "train_loss": recent[-1]}
        if options.eval_every and step % options.eval_every == 0 and step < steps and validation:
            metrics["eval_loss"] = evaluate(
                model, validation, pad_id, options.batch_size, progress=progress
            )
            model.train()
        history.append(metrics)
        progress.update(done=step, total=steps, message=f"step {step}/{steps}", metrics=metrics)
    model.eval()
    result: dict[str, Any] = {"steps": steps, "train_loss": sum(recent) / max(len(recent), 1)}
    result["first_train_loss"] = history[0]["train_loss"] if history else None
    if validation:
        progress.check_cancelled()
        result["eval_loss"] = evaluate(
            model, validation, pad_id, options.batch_size, progress=progress
        )
        progress.update(metrics={"eval_loss": result["eval_loss"]})
    result["history"] = history
    return result


def total_steps(n_train: int, options: FinetuneOptions) -> int:
    """``max_steps`` if set, else ``epochs`` over the data."""
    if n_train == 0:
        raise ModelError("No training rows.", hint="Give at least one (prompt, completion) pair.")
    if options.max_steps:
        return options.max_steps
    return max(1, math.ceil(options.epochs * n_train / options.batch_size))


def batch_loss(model: torch.nn.Module, batch: Sequence[Example], pad_id: int) -> torch.Tensor:
    """Mean cross-entropy over the completion tokens of ``batch``.

    Every completion ends its row, so only the last ``keep`` positions need vocabulary logits
    (skipping most of the large output projection), and the rows' shared beginning runs once.
    """
    rows = [[*p, *c] for p, c in batch]
    keep = max(len(c) for _, c in batch) + 1
    logits = forward_rows(model, rows, pad_id=pad_id, keep=keep).logits
    keep = logits.shape[1]
    targets = torch.full((len(batch), keep), IGNORE, dtype=torch.long, device=logits.device)
    for i, (_, completion) in enumerate(batch):
        # The logit at position t predicts the token at t + 1: the last logit predicts nothing.
        targets[i, keep - 1 - len(completion) : keep - 1] = torch.tensor(completion)
    return F.cross_entropy(
        logits.reshape(-1, logits.shape[-1]).float(), targets.reshape(-1), ignore_index=IGNORE
    )


@torch.inference_mode()
def evaluate(
    model: torch.nn.Module,
    pairs: Sequence[Example],
    pad_id: int,
    batch_size: int,
    *,
    progress: Progress = NullProgress(),
) -> float:
    """Completion-token-weighted mean loss over ``pairs`` (checks cancel per batch)."""
    model.eval()
    total, count = 0.0, 0
    for start in range(0, len(pairs), batch_size):
        progress.check_cancelled()
        batch = pairs[start : start + batch_size]
        n_tokens = sum(len(c) for _, c in batch)
        total += float(batch_loss(model, batch, pad_id)) * n_tokens
        count += n_tokens
    return total / max(count, 1)


def _batches(n: int, size: int, rng: random.Random) -> Iterator[list[int]]:
    """Endless shuffled index batches; each epoch is a fresh permutation."""
    while True:
        order = list(range(n))
        rng.shuffle(order)
        for start in range(0, n, size):
            chunk = order[start : start + size]
            if len(chunk) < size and n >= size:  # keep batches full: top up from the front
                chunk += order[: size - len(chunk)]
            yield chunk
