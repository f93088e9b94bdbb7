"""Every dashboard file ships in the wheel: pyproject's package-data globs cover src/binnr/web."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "src" / "binnr"


def test_package_data_covers_every_web_file() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    globs = config["tool"]["setuptools"]["package-data"]["binnr"]
    shipped = {p for pattern in globs for p in PACKAGE.glob(pattern)}
    files = {p for p in (PACKAGE / "web").rglob("*") if p.is_file()}
    assert files, "no dashboard files found"
    assert sorted(str(p.relative_to(PACKAGE)) for p in files - shipped) == []
