"""Label scoring: the log-likelihood of each candidate completion after each prompt.

Classification never trusts free generation. A label's score is the *total* log-probability of
its completion tokens (answer + end-of-turn): the probability the model gives that exact answer,
which is what fine-tuning maximises; a softmax over the L totals gives per-label probabilities.
(Length-normalised scores would favour long labels whose later tokens are near-certain once the
first is chosen.)

For a batch of B prompts and L labels everything runs in **one** forward pass (plus one for the
prompts' shared beginning, see :mod:`.batching`). Each row is packed as

    [left padding | own prompt tokens | label 1 tokens | label 2 tokens | ...]

with a 4-D attention mask in which a label's tokens see the row's prompt and their own earlier
tokens only, and position ids that restart after the prompt for every label. So no prompt is
recomputed per label and no key/value cache is copied L times (copying the cache cost more than
the label tokens themselves). Because the label block sits at the same columns in every row,
vocabulary logits are computed only for that block and the prompt's last column.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import torch
from transformers import PreTrainedModel

from binnr.models.llm.batching import (
    MIN_SHARED,
    accepts,
    cache_argument,
    common_prefix,
    prefix_cache,
)


@dataclass(frozen=True)
class LabelBlock:
    """Where each label's tokens sit in the packed block, and which logits score them.

    ``inputs`` are every label's tokens but its last, concatenated; ``owner[k]`` is the label of
    block column k. Score terms: the log-prob of token ``targets[t]`` at kept logit column
    ``columns[t]`` (column 0 is the prompt's last token) counts towards label ``labels[t]``.
    """

    inputs: list[int]
    owner: list[int]
    offset: list[int]  # position of each block column after the prompt (0 for a first token)
    columns: list[int]
    targets: list[int]
    labels: list[int]

    @classmethod
    def build(cls, completions: Sequence[Sequence[int]]) -> LabelBlock:
        inputs: list[int] = []
        owner: list[int] = []
        offset: list[int] = []
        columns: list[int] = []
        targets: list[int] = []
        labels: list[int] = []
        for j, tokens in enumerate(completions):
            columns.append(0)  # the prompt's last logit predicts every label's first token
            targets.append(tokens[0])
            labels.append(j)
            for k, token in enumerate(tokens[:-1]):
                inputs.append(token)
                owner.append(j)
                offset.append(k)
                columns.append(len(inputs))  # this token's logit predicts the next one
                targets.append(tokens[k + 1])
                labels.append(j)
        return cls(inputs, owner, offset, columns, targets, labels)


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
    device = next(model.parameters()).device
    block = LabelBlock.build(completions)
    shared = common_prefix(prefixes) if len(prefixes) > 1 else 0
    extra: dict[str, Any] = {}
    if shared >= MIN_SHARED:
        extra[cache_argument(model)] = prefix_cache(model, prefixes[0][:shared], len(prefixes))
    else:
        shared = 0
    tails = [list(p[shared:]) for p in prefixes]
    ids, positions, mask = _pack(tails, block, shared=shared, pad_id=pad_id)
    keep = len(block.inputs) + 1
    if accepts(model, "logits_to_keep"):
        extra["logits_to_keep"] = keep
    out = model(
        input_ids=ids.to(device),
        attention_mask=_additive(mask, _dtype(model)).to(device),
        position_ids=positions.to(device),
        use_cache=False,
        **extra,
    )
    logits = out.logits[:, -keep:].float()
    log_norm = torch.logsumexp(logits, dim=-1)  # (B, keep): log_softmax without the full copy
    columns = torch.tensor(block.columns, device=logits.device)
    targets = torch.tensor(block.targets, device=logits.device)
    terms = logits[:, columns, targets] - log_norm[:, columns]  # (B, terms)
    totals = torch.zeros((len(prefixes), len(completions)), device=logits.device)
    totals.index_add_(1, torch.tensor(block.labels, device=logits.device), terms)
    return totals.cpu()


def _pack(
    tails: Sequence[Sequence[int]], block: LabelBlock, *, shared: int, pad_id: int
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Packed ids, position ids and the boolean ``(B, 1, W, shared + W)`` may-attend mask."""
    batch, width = len(tails), max(len(t) for t in tails)
    n_block = len(block.inputs)
    total = width + n_block
    lengths = torch.tensor([len(t) for t in tails])
    ids = torch.full((batch, total), pad_id, dtype=torch.long)
    for i, tail in enumerate(tails):
        ids[i, width - len(tail) : width] = torch.tensor(list(tail), dtype=torch.long)
    ids[:, width:] = torch.tensor(block.inputs, dtype=torch.long)
    column = torch.arange(width)
    start = (width - lengths)[:, None]  # first real prompt column of each row
    real = column[None, :] >= start  # (B, width)
    positions = torch.empty((batch, total), dtype=torch.long)
    positions[:, :width] = (column[None, :] - start).clamp(min=0)
    positions[:, width:] = lengths[:, None] + torch.tensor(block.offset)[None, :]
    owner = torch.tensor(block.owner)
    offset = torch.tensor(block.offset)
    prompt = torch.zeros((batch, total, width), dtype=torch.bool)
    prompt[:, :width] = real[:, None, :] & (column[None, :, None] >= column[None, None, :])
    prompt[:, width:] = real[:, None, :]  # a label token sees its row's whole prompt
    labels = torch.zeros((total, n_block), dtype=torch.bool)
    labels[width:] = (owner[:, None] == owner[None, :]) & (offset[:, None] >= offset[None, :])
    mask = torch.cat([prompt, labels[None].expand(batch, -1, -1)], dim=2)
    mask |= torch.eye(total, dtype=torch.bool)[None]  # padding sees itself: no empty row
    head = torch.ones((batch, total, shared), dtype=torch.bool)
    return ids, positions + shared, torch.cat([head, mask], dim=2)[:, None]


def _additive(mask: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    """0 where attending is allowed, the dtype's minimum elsewhere (works for eager and sdpa)."""
    return torch.zeros(mask.shape, dtype=dtype).masked_fill_(~mask, torch.finfo(dtype).min)


def _dtype(model: torch.nn.Module) -> torch.dtype:
    return next(model.parameters()).dtype


def length_batches(lengths: Sequence[int], size: int, *, window: int = 64) -> Iterator[list[int]]:
    """Index batches of about ``size`` rows with similar lengths, so padding stays small.

    Rows are sorted within windows of ``window`` batches (not globally), so a huge input starts
    scoring at once and its progress still moves through the input in order.
    """
    span = max(1, size) * window
    for first in range(0, len(lengths), span):
        order = sorted(range(first, min(first + span, len(lengths))), key=lengths.__getitem__)
        for start in range(0, len(order), max(1, size)):
            yield order[start : start + max(1, size)]
