"""Jobs started in the same second get distinct model and results names (issue 11)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from tests.support.server import Server, prepare, upload, wait_job

WORDS = {"pos": ["good", "great", "fine", "lovely"], "neg": ["bad", "awful", "poor", "sad"]}


def _labelled_csv(rows: int = 120) -> bytes:
    lines = ["id,text,label"]
    for i in range(rows):
        label = "pos" if i % 2 else "neg"
        words = " ".join(WORDS[label][(i + k) % 4] for k in range(3))
        lines.append(f"{i},{words} day {i},{'' if i % 10 == 0 else label}")
    return ("\n".join(lines) + "\n").encode()


def _submit_together(server: Server, path: str, bodies: list[dict[str, Any]]) -> list[Any]:
    def post(body: dict[str, Any]) -> Any:
        response = server.client.post(path, json=body)
        assert response.status_code == 202, response.text
        return wait_job(server.client, response.json()["task_id"], timeout=300)

    with ThreadPoolExecutor(len(bodies)) as pool:
        return list(pool.map(post, bodies))


def test_same_second_trainings_and_predictions_do_not_collide(server: Server) -> None:
    assert upload(server.client, _labelled_csv(), "names")["status"] == "succeeded"
    spec = {"table_name": "names", "source_columns": ["text"], "target_column": "label"}
    assert prepare(server.client, spec)["status"] == "succeeded"
    train = {"training_table": "names_source_target_train"}
    jobs = _submit_together(server, "/classification/gbm/train", [train, train])
    assert [j["status"] for j in jobs] == ["succeeded", "succeeded"], jobs
    models = [j["result"]["model_name"] for j in jobs]
    assert len(set(models)) == 2 and all(
        m.startswith("gbm_names_source_target_train_") for m in models
    )
    bodies = [{"model_name": m, "predict_table": "names_source_target_predict"} for m in models]
    jobs = _submit_together(server, "/classification/gbm/predict", bodies)
    assert [j["status"] for j in jobs] == ["succeeded", "succeeded"], jobs
    tables = [j["result"]["table"] for j in jobs]
    assert len(set(tables)) == 2, tables
    assert all(t.startswith("gbm_results_names_source_target_predict_") for t in tables)
    assert {j["result"]["model_name"] for j in jobs} == set(models)
