"""First-time work in a child process, which leaves a marker (an embedding export, the kernels)."""

from __future__ import annotations

from functools import partial
from pathlib import Path

from binnr.children import marker, prepare_in_child


def write_file(path: Path) -> None:
    path.write_text("exported")


def fail() -> None:
    raise RuntimeError("export failed")


def test_a_child_prepares_once_and_leaves_a_marker(tmp_path: Path) -> None:
    model = tmp_path / "model"
    model.mkdir()
    (model / "config.json").write_text("{}")
    done = marker(tmp_path / "cache", model, "openvino", "int8")
    out = tmp_path / "export.txt"
    assert prepare_in_child(partial(write_file, out), done)
    assert out.read_text() == "exported" and done.is_file()
    out.unlink()
    assert prepare_in_child(partial(write_file, out), done)  # marked: no second child
    assert not out.exists()


def test_the_marker_changes_with_the_model_files_and_settings(tmp_path: Path) -> None:
    model = tmp_path / "model"
    model.mkdir()
    (model / "config.json").write_text("{}")
    first = marker(tmp_path, model, "openvino", "int8")
    assert marker(tmp_path, model, "openvino", "fp32") != first
    (model / "config.json").write_text('{"changed": true}')
    assert marker(tmp_path, model, "openvino", "int8") != first


def test_a_failed_child_leaves_no_marker(tmp_path: Path) -> None:
    model = tmp_path / "model"
    model.mkdir()
    done = marker(tmp_path / "cache", model, "openvino", "fp32")
    assert prepare_in_child(fail, done) is False
    assert not done.exists()


def test_a_file_s_marker_changes_with_the_file(tmp_path: Path) -> None:
    source = tmp_path / "kernel.py"
    source.write_text("x = 1")
    first = marker(tmp_path / "cache", source, "numba 1")
    assert marker(tmp_path / "cache", source, "numba 2") != first
    source.write_text("x = 22")
    assert marker(tmp_path / "cache", source, "numba 1") != first
