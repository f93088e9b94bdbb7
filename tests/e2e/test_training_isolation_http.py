"""A text-model training runs in a child process: the server never loads LightGBM for it.

Loading LightGBM, scikit-learn and SciPy holds the server's interpreter lock for about a second
(``binnr.models.train_entry``); the API must keep answering while a training starts.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from tests.support.server import Server, prepare, upload, wait_job

HEAVY = ("lib_lightgbm", "/sklearn/", "/scipy/")  # (numpy bundles a "scipy_openblas")


def _labelled_csv(rows: int) -> bytes:
    rng = random.Random(0)
    words = {"a": ["good", "great", "fine"], "b": ["bad", "awful", "poor"]}
    lines = ["id,text,label"]
    for i in range(rows):
        label = rng.choice("ab")
        text = " ".join(rng.choice(words[label]) for _ in range(4))
        lines.append(f"{i},{text} item{i % 13},{label if i % 10 else ''}")
    return ("\n".join(lines) + "\n").encode()


def _mapped(pid: int) -> str:
    return Path(f"/proc/{pid}/maps").read_text()


@pytest.mark.skipif(not Path("/proc/self/maps").exists(), reason="needs Linux /proc")
def test_a_lightgbm_training_leaves_the_server_without_lightgbm(server: Server) -> None:
    assert upload(server.client, _labelled_csv(400), "iso")["status"] == "succeeded"
    body = {"table_name": "iso", "source_columns": ["text"], "target_column": "label"}
    assert prepare(server.client, body)["status"] == "succeeded"
    response = server.client.post(
        "/classification/gbm/train",
        json={"training_table": "iso_source_target_train", "params": {"model": "lightgbm"}},
    )
    assert response.status_code == 202, response.text
    job = wait_job(server.client, response.json()["task_id"])
    assert job["status"] == "succeeded", job
    maps = _mapped(server.process.pid)
    assert "python" in maps  # the server itself, not a wrapper
    assert [name for name in HEAVY if name in maps] == []

    # the default model: embeddings (the model is exported in a child), trained in a child
    response = server.client.post(
        "/classification/gbm/train",
        json={"training_table": "iso_source_target_train", "params": {"model": "auto"}},
    )
    job = wait_job(server.client, response.json()["task_id"], timeout=600)
    assert job["status"] == "succeeded", job
    # (PyTorch does load here: transformers imports it to read the tokenizer)
    assert [name for name in HEAVY if name in _mapped(server.process.pid)] == []
    prepared = list((server.home / "cache" / "embeddings" / ".prepared").iterdir())
    assert len(prepared) == 1  # the export was built by a child process, which said so
