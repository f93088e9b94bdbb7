"""Label scoring: the log-likelihood of each candidate completion after each prompt.

Classification never trusts free generation. A label's score is the *total* log-probability of
its completion tokens (answer + end-of-turn): the probability the model gives that exact answer,
which is what fine-tuning maximises; a softmax over the L totals gives per-label probabilities.
(Length-normalised scores would favour long labels whose later tokens are near-certain once the
first is chosen.)

The prompts of one classify call share their beginning (chat template, instruction, label
list: 52 of ~78 tokens per tweet for SmolLM2). :class:`LabelScorer` runs that shared part
**once per call** and keeps its key/value cache. Rows are then *packed*, not padded: several
rows go into one sequence of batch 1,

    [row 1 own tokens | row 1 label block | row 2 own tokens | row 2 label block | ...]

where a label block holds every label's tokens (:class:`LabelBlock`). A 4-D attention mask lets
each token see the shared prefix, its own row's earlier prompt tokens and, for a label token,
its own label's earlier tokens only; position ids restart after the prompt for every label.
So every token that runs is a real one (no padding, no prompt recomputed per label, no cache
copied per row), and vocabulary logits are computed only at the few scored positions.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import torch
from transformers import PreTrainedModel

from binnr.models.llm.batching import accepts, cache_argument, common_prefix

PACK_TOKENS = 512  # tokens per packed sequence: big matrix products, attention waste ~10%


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


class LabelScorer:
    """Scores every label after rows that all start with ``shared`` (run once, here)."""

    def __init__(
        self,
        model: PreTrainedModel,
        *,
        completions: Sequence[Sequence[int]],
        shared: Sequence[int] = (),
    ) -> None:
        if not completions or any(len(c) == 0 for c in completions):
            raise ValueError("completions must be non-empty")
        self.model = model
        self.completions = [list(c) for c in completions]
        self.shared_ids = list(shared)
        self.block = LabelBlock.build(completions)
        self.n_labels = len(completions)
        self.shared = len(shared)
        self.device = next(model.parameters()).device
        self.dtype = next(model.parameters()).dtype
        self.cache_name = cache_argument(model)
        self.cache = self._prefix_cache(shared) if shared else None

    @torch.inference_mode()
    def _prefix_cache(self, ids: Sequence[int]) -> Any:
        keep = {"logits_to_keep": 1} if accepts(self.model, "logits_to_keep") else {}
        first = self.model(
            input_ids=torch.tensor([list(ids)], device=self.device), use_cache=True, **keep
        )
        return getattr(first, self.cache_name)

    def row_tokens(self, own: int) -> int:
        """Tokens a row with ``own`` prompt tokens takes in a pack."""
        return own + len(self.block.inputs)

    @torch.inference_mode()
    def score(self, tails: Sequence[Sequence[int]]) -> torch.Tensor:
        """``(B, L)`` label totals for rows whose own (unshared) tokens are ``tails``."""
        if any(len(t) == 0 for t in tails):
            raise ValueError("every row needs at least one token after the shared prefix")
        pack = _pack(tails, self.block, shared=self.shared)
        extra: dict[str, Any] = {}
        if self.cache is not None:
            extra[self.cache_name] = self.cache
        if accepts(self.model, "logits_to_keep"):
            extra["logits_to_keep"] = pack.keep.to(self.device)
        try:
            out = self.model(
                input_ids=pack.ids.to(self.device),
                attention_mask=_additive(pack.mask, self.dtype).to(self.device),
                position_ids=pack.positions.to(self.device),
                use_cache=False,
                **extra,
            )
        finally:
            if self.cache is not None:  # the layers appended this pack: back to the prefix
                self.cache.crop(-pack.ids.shape[1])
        logits = out.logits[0] if "logits_to_keep" in extra else out.logits[0, pack.keep]
        return self._totals(logits.float().view(len(tails), -1, logits.shape[-1]))

    def _totals(self, logits: torch.Tensor) -> torch.Tensor:
        """Sum each label's token log-probs from ``(B, block + 1, vocab)`` kept logits."""
        log_norm = torch.logsumexp(logits, dim=-1)  # log_softmax without the full-size copy
        columns = torch.tensor(self.block.columns, device=logits.device)
        targets = torch.tensor(self.block.targets, device=logits.device)
        terms = logits[:, columns, targets] - log_norm[:, columns]  # (B, terms)
        totals = torch.zeros((logits.shape[0], self.n_labels), device=logits.device)
        totals.index_add_(1, torch.tensor(self.block.labels, device=logits.device), terms)
        return totals.cpu()


@dataclass
class Pack:
    """One packed sequence: ids, position ids, may-attend mask and the kept logit positions."""

    ids: torch.Tensor  # (1, T)
    positions: torch.Tensor  # (1, T)
    mask: torch.Tensor  # (1, 1, T, shared + T) bool
    keep: torch.Tensor  # (B * (block + 1),): each row's last prompt token, then its block


def _pack(tails: Sequence[Sequence[int]], block: LabelBlock, *, shared: int) -> Pack:
    """Rows one after another, each followed by the label block (see the module docstring)."""
    n_block = len(block.inputs)
    lengths = torch.tensor([len(t) for t in tails])
    sizes = lengths + n_block
    starts = torch.cumsum(sizes, 0) - sizes
    row = torch.repeat_interleave(torch.arange(len(tails)), sizes)
    local = torch.arange(int(sizes.sum())) - starts[row]  # column within its row
    in_block = local >= lengths[row]
    block_at = (local - lengths[row]).clamp(min=0)
    at = block_at.clamp(max=max(n_block - 1, 0))  # any valid index where not in the block
    offset = torch.tensor([*block.offset, 0])[at]
    owner = torch.where(in_block, torch.tensor([*block.owner, 0])[at], -1)
    # a row's prompt tokens sit at 0..n-1; every label token after the prompt at n + offset
    pos = torch.where(in_block, lengths[row] + offset, local)
    ids = torch.cat([torch.tensor([*t, *block.inputs], dtype=torch.long) for t in tails])
    mask = (
        (row[:, None] == row[None, :])
        & (pos[None, :] <= pos[:, None])
        & ((owner[None, :] < 0) | (owner[None, :] == owner[:, None]))
    )
    head = torch.ones((len(row), shared), dtype=torch.bool)
    keep = (starts + lengths - 1)[:, None] + torch.arange(n_block + 1)[None, :]
    return Pack(
        ids=ids[None],
        positions=(pos + shared)[None],
        mask=torch.cat([head, mask], dim=1)[None, None],
        keep=keep.reshape(-1),
    )


def _additive(mask: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    """0 where attending is allowed, the dtype's minimum elsewhere (works for eager and sdpa)."""
    return torch.zeros(mask.shape, dtype=dtype).masked_fill_(~mask, torch.finfo(dtype).min)


def packs(
    sizes: Sequence[int], *, budget: int = PACK_TOKENS, max_rows: int = 256
) -> Iterator[list[int]]:
    """Consecutive row indices whose ``sizes`` sum to at most ``budget`` (at least one row).

    Packing needs no padding, so rows stay in input order (progress moves through it in order).
    """
    current: list[int] = []
    used = 0
    for i, size in enumerate(sizes):
        if current and (used + size > budget or len(current) >= max_rows):
            yield current
            current, used = [], 0
        current.append(i)
        used += size
    if current:
        yield current


def score_labels(
    model: PreTrainedModel,
    *,
    prefixes: Sequence[Sequence[int]],
    completions: Sequence[Sequence[int]],
    budget: int = PACK_TOKENS,
) -> torch.Tensor:
    """``(B, L)`` total log-probs of each completion (token ids) after each prefix."""
    if any(len(p) == 0 for p in prefixes):
        raise ValueError("prefixes must be non-empty")
    shared = common_prefix(prefixes) if len(prefixes) > 1 else 0
    scorer = LabelScorer(model, completions=completions, shared=prefixes[0][:shared])
    tails = [p[shared:] for p in prefixes]
    out = torch.empty((len(prefixes), len(completions)))
    for rows in packs([scorer.row_tokens(len(t)) for t in tails], budget=budget):
        out[rows] = scorer.score([tails[i] for i in rows])
    return out
