"""The model registry: one folder per model under ``settings.models_dir``, no pickles.

``root/<name>/metadata.json`` holds ``name``, ``kind`` ('gbm', 'llm', ...), ``family`` (e.g. the
training table), ``created_at`` (ISO, UTC), ``active`` and whatever the trainer adds (``metrics``
summary, ``params``, ``labels``, training table and row counts, ``library_versions``, ...).
The model's own files sit next to it, written by the trainer's ``write`` callback.

A new model is written into a hidden temporary folder and renamed into place, so a reader
never sees half a model. Like PostgresML's ``best_score`` policy, it then becomes its family's
active model only if its ``metrics.macro_f1`` is not worse than the active one's (the first
model of a family is always active; a model without a score never displaces one with a
score). Deleting the active model leaves the family without one until ``activate`` is called.
"""

from __future__ import annotations

import builtins
import json
import os
import platform
import shutil
import threading
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata as importlib_metadata
from pathlib import Path
from typing import Any

from binnr.errors import Conflict, ModelError, NotFound
from binnr.warehouse.names import ident

METADATA = "metadata.json"
_RESERVED = ("name", "kind", "family", "created_at", "active")


@dataclass(frozen=True)
class ModelRecord:
    """A registered model as read from its ``metadata.json``."""

    name: str
    kind: str
    family: str
    active: bool
    created_at: str
    metadata: dict[str, Any]
    path: Path

    def to_dict(self) -> dict[str, Any]:
        return {**self.metadata, **{k: getattr(self, k) for k in _RESERVED}, "path": str(self.path)}


class ModelRegistry:
    """Models under ``root``; safe to use from several job threads at once."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._lock = threading.RLock()
        self._pending: set[str] = set()

    def create(
        self,
        *,
        name: str,
        kind: str,
        family: str,
        metadata: Mapping[str, Any],
        write: Callable[[Path], None],
    ) -> ModelRecord:
        """Write a model with ``write(folder)``, register it, maybe make it active."""
        _valid(name)
        with self._lock:
            if name in self._pending or (self.root / name).exists():
                raise Conflict(
                    f"A model named {name!r} already exists.",
                    hint="Choose another model_name or DELETE /models/{name} first.",
                )
            self._pending.add(name)
        tmp = self.root / f".tmp-{name}-{uuid.uuid4().hex}"
        try:
            tmp.mkdir(parents=True)
            write(tmp)  # outside the lock: saving a model may take a while
            meta = {k: v for k, v in metadata.items() if k not in _RESERVED}
            meta.setdefault("library_versions", library_versions())
            now = datetime.now(UTC).isoformat(timespec="microseconds")
            meta.update(name=name, kind=kind, family=family, created_at=now, active=False)
            with self._lock:
                _write_json(tmp / METADATA, meta)
                os.rename(tmp, self.root / name)
                if self._should_activate(family, meta):
                    self._set_active(name, family)
                return self.get(name)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
            with self._lock:
                self._pending.discard(name)

    def list(self, *, kind: str | None = None) -> builtins.list[ModelRecord]:
        """Registered models, newest first (optionally of one kind)."""
        with self._lock:
            if not self.root.is_dir():
                return []
            records = [
                r
                for d in self.root.iterdir()
                if not d.name.startswith(".") and (r := self._read(d)) is not None
            ]
        records = [r for r in records if kind is None or r.kind == kind]
        return sorted(records, key=lambda r: (r.created_at, r.name), reverse=True)

    def get(self, name: str) -> ModelRecord:
        """The model called ``name``, or :class:`NotFound`."""
        _valid(name)
        with self._lock:
            record = self._read(self.root / name)
        if record is None:
            raise NotFound(
                f"There is no model named {name!r}.",
                hint="GET /models lists the registered models.",
            )
        return record

    def path(self, name: str) -> Path:
        """The folder holding the model's files."""
        return self.get(name).path

    def delete(self, name: str) -> None:
        """Remove the model and its files."""
        with self._lock:
            record = self.get(name)
            trash = self.root / f".del-{name}-{uuid.uuid4().hex}"
            os.rename(record.path, trash)  # atomic: readers see it or not, never half
        shutil.rmtree(trash, ignore_errors=True)

    def activate(self, name: str) -> ModelRecord:
        """Make ``name`` its family's active model (and no other)."""
        with self._lock:
            record = self.get(name)
            self._set_active(name, record.family)
            return self.get(name)

    def active(self, family: str) -> ModelRecord | None:
        """The family's active model, if any."""
        with self._lock:
            return next((r for r in self.list() if r.family == family and r.active), None)

    def _should_activate(self, family: str, meta: Mapping[str, Any]) -> bool:
        current = next(
            (r for r in self.list() if r.family == family and r.active and r.name != meta["name"]),
            None,
        )
        if current is None:
            return True
        new, old = _score(meta), _score(current.metadata)
        return new is not None and (old is None or new >= old)

    def _set_active(self, name: str, family: str) -> None:
        for record in self.list():
            if record.family == family and record.active != (record.name == name):
                meta = {**record.metadata, "active": record.name == name}
                _write_json(record.path / METADATA, meta)

    def _read(self, folder: Path) -> ModelRecord | None:
        try:
            meta = json.loads((folder / METADATA).read_text())
        except (OSError, ValueError):
            return None  # not a model folder (or one being written): not listed
        return ModelRecord(
            name=str(meta["name"]),
            kind=str(meta.get("kind", "")),
            family=str(meta.get("family", "")),
            active=bool(meta.get("active", False)),
            created_at=str(meta.get("created_at", "")),
            metadata=meta,
            path=folder,
        )


def library_versions() -> dict[str, str]:
    """Versions of what trained a model (python, lightgbm, scikit-learn, numpy, torch)."""
    out = {"python": platform.python_version()}
    for key, dist in (
        ("lightgbm", "lightgbm"),
        ("sklearn", "scikit-learn"),
        ("numpy", "numpy"),
        ("torch", "torch"),
    ):
        try:
            out[key] = importlib_metadata.version(dist)
        except importlib_metadata.PackageNotFoundError:
            continue  # optional (torch): simply not recorded
    return out


def _valid(name: str) -> str:
    return ident(name, field="model_name", max_len=255)


def _score(meta: Mapping[str, Any]) -> float | None:
    metrics = meta.get("metrics")
    value = metrics.get("macro_f1") if isinstance(metrics, Mapping) else None
    return float(value) if isinstance(value, int | float) else None


def _write_json(path: Path, data: Mapping[str, Any]) -> None:
    """Replace ``path`` atomically (write a sibling, then rename over it)."""
    try:
        text = json.dumps(data, indent=2, sort_keys=True, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ModelError(
            f"Model metadata is not JSON-serialisable: {exc}",
            hint="Pass plain dicts, lists, strings and finite numbers as metadata.",
        ) from exc
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}")
    tmp.write_text(text)
    os.replace(tmp, path)
