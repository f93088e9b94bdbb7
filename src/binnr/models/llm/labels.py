"""Label-set helpers shared by every provider: the zero-shot instruction and answer parsing."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence

_STRIP = " \t\r\n\"'`*.,:;!?()[]{}<>"


def instruction_prompt(text: str, labels: Sequence[str]) -> str:
    """The user message that asks for exactly one of ``labels`` for ``text``."""
    listed = ", ".join(labels)
    return (
        f"Classify the text into exactly one of these labels: {listed}.\n"
        "Answer with the label only.\n\n"
        f"Text: {text}"
    )


def parse_label(text: str | None, labels: Sequence[str]) -> str | None:
    """Constrain a free-text answer to ``labels``.

    Tries, in order: an exact match, a case-insensitive match (also after stripping quotes,
    markdown and punctuation, or unwrapping ``{"label": ...}``), then the label that occurs
    first in the text as a whole word (longest wins on a tie). None when nothing matches.
    """
    if text is None or not labels:
        return None
    candidates = [text, text.strip(), text.strip(_STRIP), _json_label(text)]
    for candidate in candidates:
        if candidate in labels:
            return candidate
    folded = {label.casefold(): label for label in reversed(labels)}
    for candidate in candidates:
        if candidate is not None and candidate.casefold() in folded:
            return folded[candidate.casefold()]
    return _first_mention(text, labels)


def _json_label(text: str) -> str | None:
    """``{"label": "x"}`` (or any one-string-value object) → ``"x"``; else None."""
    stripped = text.strip().removeprefix("```json").strip("`\n ")
    if not stripped.startswith("{"):
        return None
    try:
        data = json.loads(stripped)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    value = data.get("label", next(iter(data.values()), None) if len(data) == 1 else None)
    return value.strip() if isinstance(value, str) else None


def _first_mention(text: str, labels: Sequence[str]) -> str | None:
    best: tuple[int, int, str] | None = None
    for label in labels:
        if not label.strip():
            continue
        match = re.search(rf"(?<!\w){re.escape(label)}(?!\w)", text, flags=re.IGNORECASE)
        if match:
            key = (match.start(), -len(label), label)
            best = key if best is None or key < best else best
    return best[2] if best else None
