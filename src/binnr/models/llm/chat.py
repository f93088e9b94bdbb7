"""Turning (prompt, completion) pairs into token ids the same way for training and scoring.

With a chat template the prompt is the user turn and the completion the assistant turn; the
prefix is the rendering up to the generation prompt, the completion tokens are what the full
rendering adds (the answer plus the end-of-turn marker, so a label that is a prefix of another
still scores apart). Without a template: ``prompt + "\\n"`` then ``completion + eos``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from transformers import PreTrainedTokenizerBase

from binnr.models.llm.base import PromptStyle
from binnr.models.llm.labels import instruction_prompt

_PROBE = "\x00probe\x00"


@dataclass
class ChatFormat:
    """Prompt/completion tokenisation for one tokenizer."""

    tokenizer: PreTrainedTokenizerBase
    max_prompt_tokens: int = 256
    prompt_style: PromptStyle = "raw"

    @property
    def has_template(self) -> bool:
        return bool(getattr(self.tokenizer, "chat_template", None))

    def user_text(self, prompt: str, labels: Sequence[str]) -> str:
        """The user turn: the row itself, or wrapped in the label-listing instruction."""
        text = self._truncate("" if prompt is None else str(prompt))  # tolerate NULL cells
        return instruction_prompt(text, labels) if self.prompt_style == "instruct" else text

    def prefix_ids(self, user_text: str, *, role: str = "user") -> list[int]:
        """Tokens of everything before the answer."""
        if not self.has_template:
            return self._encode(f"{user_text}\n", special=True)
        text = self.tokenizer.apply_chat_template(
            [{"role": role, "content": user_text}], tokenize=False, add_generation_prompt=True
        )
        return self._encode(str(text), special=False)

    def completion_ids(self, answer: str) -> list[int]:
        """Tokens of the assistant answer including its end-of-turn marker."""
        return self._encode(self.completion_text(answer), special=False)

    def completion_text(self, answer: str) -> str:
        eos = self.tokenizer.eos_token or ""
        if not self.has_template:
            return f"{answer}{eos}"
        user = [{"role": "user", "content": _PROBE}]
        prefix = str(
            self.tokenizer.apply_chat_template(user, tokenize=False, add_generation_prompt=True)
        )
        full = str(
            self.tokenizer.apply_chat_template(
                [*user, {"role": "assistant", "content": answer}], tokenize=False
            )
        )
        # Templates that rewrite earlier turns (rare) fall back to answer + eos.
        return full[len(prefix) :] if full.startswith(prefix) else f"{answer}{eos}"

    def _truncate(self, text: str) -> str:
        if len(text.encode()) <= self.max_prompt_tokens:  # tokens ≲ bytes: skip the tokenizer
            return text
        ids = self.tokenizer(text, add_special_tokens=False)["input_ids"]
        if len(ids) <= self.max_prompt_tokens:
            return text
        return str(self.tokenizer.decode(ids[: self.max_prompt_tokens]))

    def _encode(self, text: str, *, special: bool) -> list[int]:
        return list(self.tokenizer(text, add_special_tokens=special)["input_ids"])
