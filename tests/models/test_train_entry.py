"""The training child's entry points: the n-gram kernels' first compile in a child process."""

from __future__ import annotations

from pathlib import Path

import pytest

from binnr.models import ngram_kernel, ngram_tables
from binnr.models.train_entry import prepare_kernels, warm_kernels
from binnr.settings import Settings


@pytest.mark.skipif(not ngram_kernel.AVAILABLE, reason="numba is not installed")
def test_a_child_compiles_the_kernels_once_and_leaves_a_marker(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path)
    assert prepare_kernels(settings)
    prepared = settings.cache_dir / "kernels" / ".prepared"
    markers = list(prepared.iterdir())
    assert len(markers) == 1 and markers[0].is_file()
    stamp = markers[0].stat().st_mtime_ns
    assert prepare_kernels(settings)  # marked: no second child, the marker untouched
    assert list(prepared.iterdir()) == markers
    assert markers[0].stat().st_mtime_ns == stamp


@pytest.mark.skipif(not ngram_kernel.AVAILABLE, reason="numba is not installed")
def test_the_child_s_work_runs_every_kernel() -> None:
    warm_kernels()  # what the child runs: compiled (or loaded) here too
    kernels = (
        ngram_kernel._occurrences,
        ngram_kernel._csr,
        ngram_kernel.kept_columns,
        ngram_tables.find_token,
        ngram_tables._token_slots,
    )
    for kernel in kernels:
        assert kernel.signatures, kernel  # type: ignore[attr-defined]
