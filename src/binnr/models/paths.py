"""Where model files may be read from, so a request cannot make the server probe its disk.

A model named by a request is a configured name, a bundled model, a hub id (read offline from
the local cache), or a path inside an *allowed root*: ``$BINNR_HOME/models`` and the folders of
``BINNR_MODEL_ROOTS``. A path outside them is refused with the same message as one that does
not exist, and messages show the name as the client sent it, never a resolved server path.
Names the operator configured (``BINNR_LLM_MODELS``, ``BINNR_EMBEDDING_MODEL``) are trusted.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path, PurePath

from binnr.settings import Settings

#: How much of a client-sent name a message repeats.
SHOWN_NAME = 100


def model_roots(settings: Settings) -> list[Path]:
    """The allowed roots, resolved (symlinks followed), ``$BINNR_HOME/models`` first."""
    return [p.expanduser().resolve() for p in (settings.models_dir, *settings.model_roots)]


def is_path_like(name: str) -> bool:
    """Absolute, home-relative, dot-relative or climbing names are paths, never hub ids."""
    return name.startswith(("/", "~", ".", "\\")) or ":" in name or ".." in PurePath(name).parts


def _inside(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def find_model_path(name: str, *, roots: Sequence[Path]) -> Path | None:
    """The existing path ``name`` names inside an allowed root, or None.

    A path-like name must resolve into a root; any other name is looked up under each root
    (``models/<name>``). Resolving first means a symlink or ``..`` cannot lead outside.
    """
    if is_path_like(name):
        path = Path(name).expanduser().resolve()
        return path if path.exists() and any(_inside(path, r) for r in roots) else None
    for root in roots:
        candidate = (root / name).resolve()
        if _inside(candidate, root) and candidate.exists():
            return candidate
    return None


def shown(name: str) -> str:
    """A client-sent name, shortened for a message."""
    return repr(name[:SHOWN_NAME] + ("…" if len(name) > SHOWN_NAME else ""))
