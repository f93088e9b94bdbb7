"""``binnr.Client`` against a live server: the walkthrough, DataFrames and Arrow, errors."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

import pandas as pd
import pyarrow as pa
import pytest

import binnr
from binnr.client import Client, Job
from binnr.errors import Conflict, InvalidInput, NotFound
from tests.support.server import Server, start_server


def labelled_csv() -> bytes:
    words = {"up": "rise gain grow climb", "down": "fall drop sink slump"}
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["id", "text", "label"])
    for i in range(120):
        label = "up" if i % 2 else "down"
        text = f"{words[label].split()[i % 4]} {words[label].split()[(i + 1) % 4]} item{i % 7}"
        writer.writerow([i, text, "" if i % 8 == 0 else label])
    return out.getvalue().encode()


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with start_server(tmp_path_factory.mktemp("client"), env={"BINNR_ENABLE_SQL": None}) as s:
        yield s


@pytest.fixture(scope="module")
def client(srv: Server) -> Iterator[Client]:
    with binnr.Client(srv.url) as c:  # the top-level name, as the README uses it
        yield c


@pytest.fixture(scope="module")
def model(client: Client) -> str:
    job = client.upload(labelled_csv(), "moves", filename="moves.csv")
    assert isinstance(job, Job)
    assert job.wait(progress="plain")["result"]["rows_loaded"] == 120
    client.prepare("moves", ["text"], "label", create_validation=True).wait()
    params = {"model": "lightgbm"}
    status = client.train_gbm("moves_source_target_train", params=params).wait()
    name: str = status["result"]["model_name"]
    return name


def test_walkthrough(client: Client, model: str) -> None:
    assert client.healthz()["status"] == "ok"
    names = {t["name"] for t in client.tables()}
    assert {"moves", "moves_source_target_train", "moves_source_target_predict"} <= names
    assert client.models()[0]["name"] == model and client.model(model)["active"] is True
    job = client.predict(model, "moves_source_target_predict")
    results = job.wait(progress=True)["result"]["table"]
    assert job.done and job.result is not None
    frame = client.table(results, limit=1000).to_pandas()
    assert isinstance(frame, pd.DataFrame) and len(frame) == 15  # every 8th of 120 is blank
    assert {"source", "predicted_label", "probability"} <= set(frame.columns)
    assert set(frame["predicted_label"]) <= {"up", "down"}
    assert "confusion_matrix" in client.gbm_info(model)["report"]


def test_tables_as_arrow(client: Client, model: str) -> None:
    page = client.table("moves", limit=10, offset=5)
    assert (page.total, len(page), page.offset) == (120, 10, 5)
    assert page.to_arrow().column_names == ["id", "text", "label"]
    whole = client.download("moves", format="parquet")
    assert isinstance(whole, pa.Table) and whole.num_rows == 120
    assert client.download("moves", format="csv").splitlines()[0] == b'"id","text","label"'


def test_errors_are_binnr_errors_with_hints(client: Client, model: str) -> None:
    with pytest.raises(NotFound) as missing:
        client.table("no_such_table")
    assert "no_such_table" in missing.value.message and missing.value.hint
    # Refused by the server (request() sends as given) and by the same model here (typed).
    with pytest.raises(InvalidInput, match=r"params\.folds"):
        client.request(
            "POST",
            "/classification/gbm/train",
            json={"training_table": "moves", "params": {"folds": 1}},
        )
    with pytest.raises(InvalidInput, match=r"params\.folds"):
        client.train_gbm("moves_source_target_train", params={"folds": 1})
    finished = client.jobs(limit=1)[0]["task_id"]
    with pytest.raises(Conflict) as ended:
        client.cancel(finished)
    assert "already ended" in ended.value.message and ended.value.hint


def test_label_issues_missing_for_lightgbm(client: Client, model: str) -> None:
    with pytest.raises(NotFound, match="no label-issue report"):
        client.label_issues(model)
