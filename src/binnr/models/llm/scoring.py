"""Label scoring: the log-likelihood of each candidate completion after each prompt.

Classification never trusts free generation. For a batch of B prompts and L labels, the
prompts run once (right-padded, caching keys/values); the cache is repeated L times and every
label's tokens run in one more forward with explicit positions, so a prompt is never recomputed
per label. A label's score is the *total* log-probability of its completion tokens (answer +
end-of-turn): the probability the model gives that exact answer, which is what fine-tuning
maximises; a softmax over the L totals gives per-label probabilities.
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence

import torch
from transformers import PreTrainedModel


@torch.inference_mode()
def score_labels(
    model: PreTrainedModel,
    *,
    prefixes: Sequence[Sequence[int]],
    completions: Sequence[Sequence[int]],
    pad_id: int,
) -> torch.Tensor:
    """``(B, L)`` total log-probs of each completion (token ids) after each prefix."""
    if any(len(c) == 0 for c in completions) or any(len(p) == 0 for p in prefixes):
        raise ValueError("prefixes and completions must be non-empty")
    device = model.device
    n_labels = len(completions)
    ids, mask = _pad(prefixes, pad_id, device)
    lengths = mask.sum(dim=1)
    out = model(input_ids=ids, attention_mask=mask, use_cache=True)
    last = out.logits[torch.arange(len(prefixes), device=device), lengths - 1]
    firsts = torch.tensor([c[0] for c in completions], device=device)
    totals = torch.log_softmax(last.float(), dim=-1)[:, firsts]  # (B, L)
    width = max(len(c) for c in completions) - 1
    if width == 0:
        return totals.cpu()
    name = _cache_arg(model)
    cache = getattr(out, name)
    cache.batch_repeat_interleave(n_labels)
    # Inputs are each label's tokens but the last; targets are its tokens but the first.
    inputs, in_mask = _pad([c[:-1] or [pad_id] for c in completions], pad_id, device, width)
    targets, t_mask = _pad([c[1:] or [pad_id] for c in completions], pad_id, device, width)
    t_mask = t_mask * torch.tensor([len(c) > 1 for c in completions], device=device)[:, None]
    batch = len(prefixes)
    positions = lengths.repeat_interleave(n_labels)[:, None] + torch.arange(width, device=device)
    out2 = model(
        input_ids=inputs.repeat(batch, 1),
        attention_mask=torch.cat(
            [mask.repeat_interleave(n_labels, dim=0), in_mask.repeat(batch, 1)], dim=1
        ),
        position_ids=positions,
        use_cache=False,
        **{name: cache},
    )
    logp = torch.log_softmax(out2.logits.float(), dim=-1)
    picked = logp.gather(-1, targets.repeat(batch, 1)[..., None])[..., 0]
    rest = (picked * t_mask.repeat(batch, 1)).sum(dim=1).view(batch, n_labels)
    return (totals + rest).cpu()


def _cache_arg(model: PreTrainedModel) -> str:
    """transformers 5.x renamed ``past_key_values`` to ``cache`` (argument and output)."""
    params = inspect.signature(model.forward).parameters
    return "cache" if "cache" in params else "past_key_values"


def _pad(
    rows: Sequence[Sequence[int]], pad_id: int, device: torch.device, width: int | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """Right-padded ids and their 0/1 attention mask."""
    width = width or max(len(r) for r in rows)
    ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for i, row in enumerate(rows):
        ids[i, : len(row)] = torch.tensor(list(row), dtype=torch.long)
        mask[i, : len(row)] = 1
    return ids.to(device), mask.to(device)
