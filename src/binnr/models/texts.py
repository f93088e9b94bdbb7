"""Text cells as the models read them."""

from __future__ import annotations

from collections.abc import Sequence


def plain_texts(texts: Sequence[str | None]) -> list[str]:
    """None and NaN become ''; everything else its ``str``."""
    return ["" if t is None or (isinstance(t, float) and t != t) else str(t) for t in texts]
