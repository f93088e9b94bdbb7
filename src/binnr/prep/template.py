"""Source templates: ``"Tweet: {text}"`` (also the README's ``{'text'}`` form).

A template is parsed into literal text and column references; literals become bound values
and columns quoted identifiers, so nothing in a template reaches SQL as code. As in Python's
``str.format``, ``{{`` and ``}}`` are a literal ``{`` and ``}``: ``"{{label}} {text}"`` gives
``{label} <the text>``. A brace that belongs to no slot and no pair stays literal text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from binnr.errors import InvalidInput

_SLOT = re.compile(r"\{\s*(?:'([^{}']*)'|\"([^{}\"]*)\"|([^{}'\"]*?))\s*\}")
#: A doubled brace first, so ``{{x}}`` is the literal ``{x}`` and not ``{`` + slot + ``}``.
_TOKEN = re.compile(r"\{\{|\}\}|" + _SLOT.pattern)
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
    parts, pos, literal = [], 0, ""
    for match in _TOKEN.finditer(template):
        literal += template[pos : match.start()]
        pos = match.end()
        if match.group(0) in ("{{", "}}"):
            literal += match.group(0)[0]
            continue
        if literal:
            parts.append(Part(literal, False))
            literal = ""
        parts.append(Part(_column(match, columns), True))
    literal += template[pos:]
    if literal:
        parts.append(Part(literal, False))
    if not any(p.is_column for p in parts):
        raise InvalidInput(
            "The template names no column.",
            hint="Use {column} placeholders, e.g. 'Tweet: {text}' ({{ and }} are literal braces).",
        )
    return parts


def _column(match: re.Match[str], columns: list[str]) -> str:
    name = next(g for g in match.groups() if g is not None).strip().lower()
    if name not in columns:
        raise InvalidInput(
            f"The template refers to {{{name}}}, which is not a column of the table.",
            hint=f"Available columns: {', '.join(columns)}.",
        )
    return name
