"""Scoring helpers (separate processes) give the same labels as scoring in one process."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest
import torch

from binnr.errors import JobCancelled
from binnr.models.llm.local import LocalClient
from binnr.models.llm.scoring import LabelScorer, packs
from binnr.models.llm.workers import Helper, score_packs
from binnr.settings import Settings
from tests.support.progress import Recorder
from tests.support.tiny_llm import synthetic

LABELS = ["negative", "positive"]


def failing_loader() -> None:
    raise OSError("no model files here")


@pytest.fixture(scope="module")
def settings(tiny_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    home = tmp_path_factory.mktemp("workers") / "home"
    return Settings(home=home, model_roots=[tiny_model_dir], llm_precision="fp32")


def test_helpers_score_the_same_as_one_process(settings: Settings, tiny_model_dir: Path) -> None:
    prompts = [p for p, _ in synthetic(300, seed=5)]
    alone = LocalClient(settings=settings, threads=1, pack_tokens=128)
    together = LocalClient(settings=settings, threads=3, pack_tokens=128)
    try:
        helpers = together.prepare(str(tiny_model_dir))
        assert len(helpers) == 2 and all(h.wait_ready(timeout=120) for h in helpers)
        progress = Recorder()
        shared = together.classify(
            model_dir_or_name=str(tiny_model_dir), prompts=prompts, labels=LABELS, progress=progress
        )
        # every pack went somewhere and progress counted every row once
        assert progress.updates[-1]["done"] == len(prompts)
    finally:
        together.close()
    single = alone.classify(model_dir_or_name=str(tiny_model_dir), prompts=prompts, labels=LABELS)
    assert [r.label for r in shared] == [r.label for r in single]
    for a, b in zip(shared, single, strict=True):
        assert a.scores == pytest.approx(b.scores, abs=1e-4)


def test_a_helper_that_cannot_load_is_left_out(settings: Settings, tiny_model_dir: Path) -> None:
    client = LocalClient(settings=settings, threads=1, pack_tokens=128)
    loaded = client.load(str(tiny_model_dir))
    broken = Helper(failing_loader)
    try:
        assert broken.wait_ready(timeout=120) is False and broken.state == "failed"
        scorer = LabelScorer(loaded.model, completions=[[5, 6], [7]], shared=[8, 9])
        tails = [[1, 2, 3, 4 + i % 7] for i in range(40)]
        chosen = list(packs([scorer.row_tokens(4)] * 40, budget=64))
        done = dict(
            (rows[0], totals)
            for rows, totals in score_packs(scorer, chosen, tails, [broken], _no_cancel)
        )
        assert sorted(done) == [rows[0] for rows in chosen]
        for rows in chosen:
            assert torch.equal(done[rows[0]], scorer.score([tails[i] for i in rows]))
    finally:
        broken.close()


def test_a_helper_that_dies_hands_its_packs_back(settings: Settings, tiny_model_dir: Path) -> None:
    prompts = [p for p, _ in synthetic(300, seed=7)]
    client = LocalClient(settings=settings, threads=2, pack_tokens=128)
    try:
        (helper,) = client.prepare(str(tiny_model_dir))
        assert helper.wait_ready(timeout=120)
        assert helper.pid is not None
        os.kill(helper.pid, signal.SIGKILL)
        results = client.classify(
            model_dir_or_name=str(tiny_model_dir), prompts=prompts, labels=LABELS
        )
        assert helper.state == "failed"
    finally:
        client.close()
    single = LocalClient(settings=settings, threads=1, pack_tokens=128).classify(
        model_dir_or_name=str(tiny_model_dir), prompts=prompts, labels=LABELS
    )
    assert [r.label for r in results] == [r.label for r in single]


def test_a_cancelled_call_leaves_nothing_for_the_next(
    settings: Settings, tiny_model_dir: Path
) -> None:
    prompts = [p for p, _ in synthetic(300, seed=8)]
    client = LocalClient(settings=settings, threads=2, pack_tokens=128)
    try:
        (helper,) = client.prepare(str(tiny_model_dir))
        assert helper.wait_ready(timeout=120)
        with pytest.raises(JobCancelled):
            client.classify(
                model_dir_or_name=str(tiny_model_dir),
                prompts=prompts,
                labels=LABELS,
                # one check while encoding, one before the first pack: the third cancels,
                # with packs still out at the helper
                progress=Recorder(cancel_after_checks=2),
            )
        again = client.classify(
            model_dir_or_name=str(tiny_model_dir), prompts=prompts, labels=LABELS
        )
    finally:
        client.close()
    single = LocalClient(settings=settings, threads=1, pack_tokens=128).classify(
        model_dir_or_name=str(tiny_model_dir), prompts=prompts, labels=LABELS
    )
    assert [r.label for r in again] == [r.label for r in single]
    for a, b in zip(again, single, strict=True):
        assert a.scores == pytest.approx(b.scores, abs=1e-4)


def _no_cancel() -> None:
    return None
