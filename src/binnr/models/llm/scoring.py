"""Label scoring: the log-likelihood of each candidate completion after each prompt.

Classification never trusts free generation. For a batch of B prompts and L labels, the prompts
run once (:func:`.batching.forward_rows`: their shared beginning once, vocabulary logits only at
the last position, keys/values cached); the cache is repeated L times and all labels' tokens run
in one more forward with explicit positions, so no prompt is recomputed per label. A label's
score is the *total* log-probability of its completion tokens (answer + end-of-turn): the
probability the model gives that exact answer, which is what fine-tuning maximises; a softmax
over the L totals gives per-label probabilities. (Length-normalised scores would favour long
labels whose later tokens are near-certain once the first is chosen.)
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from transformers import PreTrainedModel

from binnr.models.llm.batching import cache_argument, forward_rows, pad


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
    n_labels, batch = len(completions), len(prefixes)
    first = forward_rows(model, prefixes, pad_id=pad_id, keep=1, use_cache=True)
    firsts = torch.tensor([c[0] for c in completions], device=device)
    totals = torch.log_softmax(first.logits[:, -1].float(), dim=-1)[:, firsts]  # (B, L)
    width = max(len(c) for c in completions) - 1
    if width == 0:
        return totals.cpu()
    cache = first.cache
    cache.batch_repeat_interleave(n_labels)
    # Inputs are each label's tokens but the last; targets are its tokens but the first.
    inputs, in_mask = pad([c[:-1] or [pad_id] for c in completions], pad_id, device, width)
    targets, t_mask = pad([c[1:] or [pad_id] for c in completions], pad_id, device, width)
    t_mask = t_mask * torch.tensor([len(c) > 1 for c in completions], device=device)[:, None]
    steps = first.lengths.repeat_interleave(n_labels)[:, None] + torch.arange(width, device=device)
    out = model(
        input_ids=inputs.repeat(batch, 1),
        attention_mask=torch.cat(
            [first.mask.repeat_interleave(n_labels, dim=0), in_mask.repeat(batch, 1)], dim=1
        ),
        position_ids=steps,
        use_cache=False,
        **{cache_argument(model): cache},
    )
    logp = torch.log_softmax(out.logits.float(), dim=-1)
    picked = logp.gather(-1, targets.repeat(batch, 1)[..., None])[..., 0]
    rest = (picked * t_mask.repeat(batch, 1)).sum(dim=1).view(batch, n_labels)
    return (totals + rest).cpu()
