"""binnr.models.registry: atomic creation, best-score activation, listing, threads."""

from __future__ import annotations

import json
import threading
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from binnr.errors import Conflict, InvalidInput, ModelError, NotFound
from binnr.models.registry import METADATA, ModelRegistry, library_versions


def _write(path: Path) -> None:
    (path / "model.txt").write_text("weights")


def _create(
    reg: ModelRegistry, name: str, f1: float | None, *, family: str = "t1", kind: str = "gbm"
) -> Any:
    metrics = {} if f1 is None else {"macro_f1": f1}
    return reg.create(
        name=name, kind=kind, family=family, metadata={"metrics": metrics}, write=_write
    )


def _active(reg: ModelRegistry) -> dict[str, bool]:
    return {r.name: r.active for r in reg.list()}


def test_first_model_is_active_and_files_are_in_place(tmp_path: Path) -> None:
    reg = ModelRegistry(tmp_path)
    record = reg.create(
        name="m1",
        kind="gbm",
        family="t1",
        metadata={"metrics": {"macro_f1": 0.5}, "params": {"seed": 0}, "name": "ignored"},
        write=_write,
    )
    assert record.active and record.name == "m1" and record.kind == "gbm"
    assert reg.path("m1") == tmp_path / "m1"
    assert (tmp_path / "m1" / "model.txt").read_text() == "weights"
    meta = json.loads((tmp_path / "m1" / METADATA).read_text())
    assert meta["name"] == "m1" and meta["params"] == {"seed": 0}
    assert set(meta["library_versions"]) >= {"python", "lightgbm", "sklearn", "numpy"}
    datetime.fromisoformat(meta["created_at"])
    data = record.to_dict()
    assert data["path"] == str(tmp_path / "m1") and data["active"] is True
    json.dumps(data)
    assert [p.name for p in tmp_path.iterdir()] == ["m1"]  # no temporary folders left


def test_best_score_activation(tmp_path: Path) -> None:
    reg = ModelRegistry(tmp_path)
    _create(reg, "m1", 0.5)
    _create(reg, "m2", 0.7)  # better: takes over
    assert _active(reg) == {"m1": False, "m2": True}
    _create(reg, "m3", 0.6)  # worse: registered, not active
    assert _active(reg) == {"m1": False, "m2": True, "m3": False}
    _create(reg, "m4", 0.7)  # equal is "not worse": takes over
    assert _active(reg) == {"m1": False, "m2": False, "m3": False, "m4": True}
    _create(reg, "m5", None)  # no score never displaces a scored model
    assert reg.active("t1").name == "m4"  # type: ignore[union-attr]


def test_families_are_independent(tmp_path: Path) -> None:
    reg = ModelRegistry(tmp_path)
    _create(reg, "a1", 0.9, family="a")
    _create(reg, "b1", 0.1, family="b")
    assert reg.active("a").name == "a1"  # type: ignore[union-attr]
    assert reg.active("b").name == "b1"  # type: ignore[union-attr]
    assert reg.active("nobody") is None


def test_activate_and_delete(tmp_path: Path) -> None:
    reg = ModelRegistry(tmp_path)
    _create(reg, "m1", 0.9)
    _create(reg, "m2", 0.1)
    assert reg.activate("m2").active
    assert _active(reg) == {"m1": False, "m2": True}
    reg.delete("m2")
    assert [r.name for r in reg.list()] == ["m1"]
    assert reg.active("t1") is None  # no silent promotion
    assert not (tmp_path / "m2").exists()
    with pytest.raises(NotFound):
        reg.delete("m2")


def test_list_newest_first_and_by_kind(tmp_path: Path) -> None:
    reg = ModelRegistry(tmp_path)
    _create(reg, "old", 0.1)
    _create(reg, "mid", 0.1, kind="llm", family="t2")
    _create(reg, "new", 0.1)
    assert [r.name for r in reg.list()] == ["new", "mid", "old"]
    assert [r.name for r in reg.list(kind="gbm")] == ["new", "old"]
    assert ModelRegistry(tmp_path / "missing").list() == []


def test_get_unknown_is_not_found_with_hint(tmp_path: Path) -> None:
    with pytest.raises(NotFound) as info:
        ModelRegistry(tmp_path).get("nope")
    assert "GET /models" in info.value.hint


@pytest.mark.parametrize("name", ["../evil", "a b", 'x"; DROP', "", "1abc", "a" * 256])
def test_invalid_names(tmp_path: Path, name: str) -> None:
    reg = ModelRegistry(tmp_path)
    with pytest.raises(InvalidInput):
        _create(reg, name, 0.5)
    with pytest.raises(InvalidInput):
        reg.get(name)


def test_duplicate_name_conflicts(tmp_path: Path) -> None:
    reg = ModelRegistry(tmp_path)
    _create(reg, "m1", 0.5)
    with pytest.raises(Conflict):
        _create(reg, "m1", 0.9)


def test_failed_write_leaves_nothing(tmp_path: Path) -> None:
    reg = ModelRegistry(tmp_path)

    def broken(path: Path) -> None:
        (path / "half.txt").write_text("x")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        reg.create(name="m1", kind="gbm", family="t1", metadata={}, write=broken)
    assert list(tmp_path.iterdir()) == []
    _create(reg, "m1", 0.5)  # the name is free again


def test_concurrent_creates_keep_one_active_model(tmp_path: Path) -> None:
    reg = ModelRegistry(tmp_path)
    errors: list[BaseException] = []

    def work(i: int) -> None:
        try:
            _create(reg, f"m{i}", i / 10)
        except BaseException as exc:  # collected, asserted below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    records = reg.list()
    assert len(records) == 8
    assert [r.name for r in records if r.active] == ["m7"]  # the best score wins


def test_library_versions() -> None:
    versions = library_versions()
    assert {"python", "lightgbm", "sklearn", "numpy"} <= set(versions)


def test_unserialisable_metadata_is_a_model_error(tmp_path: Path) -> None:
    reg = ModelRegistry(tmp_path)
    with pytest.raises(ModelError, match="JSON"):
        reg.create(name="m1", kind="gbm", family="t1", metadata={"x": {1, 2}}, write=_write)
    with pytest.raises(ModelError):
        reg.create(name="m1", kind="gbm", family="t1", metadata={"f": float("nan")}, write=_write)
    assert list(tmp_path.iterdir()) == []
