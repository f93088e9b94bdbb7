"""Source templates: ``"Tweet: {text}"`` (also the README's ``{'text'}`` form).

A template is parsed into literal text and column references; literals become bound values
and columns quoted identifiers, so nothing in a template reaches SQL as code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from binnr.errors import InvalidInput

_SLOT = re.compile(r"\{\s*(?:'([^{}']*)'|\"([^{}\"]*)\"|([^{}'\"]*?))\s*\}")
DEFAULT_SEPARATOR = " : "


@dataclass(frozen=True)
class Part:
    """Literal text or a column reference."""

    text: str
    is_column: bool


def parse_template(template: str | None, *, sources: list[str], columns: list[str]) -> list[Part]:
    """Parts of the source expression; with no template, ``sources`` joined by ``' : '``."""
    if not template:
        parts: list[Part] = []
        for i, col in enumerate(sources):
            if i:
                parts.append(Part(DEFAULT_SEPARATOR, False))
            parts.append(Part(col, True))
        return parts
    parts, pos = [], 0
    for match in _SLOT.finditer(template):
        if match.start() > pos:
            parts.append(Part(template[pos : match.start()], False))
        name = next(g for g in match.groups() if g is not None).strip().lower()
        if name not in columns:
            raise InvalidInput(
                f"The template refers to {{{name}}}, which is not a column of the table.",
                hint=f"Available columns: {', '.join(columns)}.",
            )
        parts.append(Part(name, True))
        pos = match.end()
    if pos < len(template):
        parts.append(Part(template[pos:], False))
    if not any(p.is_column for p in parts):
        raise InvalidInput(
            "The template names no column.",
            hint="Use {column} placeholders, e.g. 'Tweet: {text}'.",
        )
    return parts
