"""``binnr.Client``: a typed method per route of the HTTP API, over :class:`BaseClient`."""

from __future__ import annotations

import io
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, overload

from binnr.client.base import BaseClient, build
from binnr.client.jobs import Job
from binnr.client.tables import TablePage
from binnr.params import (
    ClassificationTablesParams,
    ClusterParams,
    GbmTrainParams,
    LlmPromptParams,
    LlmTrainParams,
    PredictParams,
)
from binnr.params.compare import CompareParams

if TYPE_CHECKING:
    import pyarrow as pa

Json = dict[str, Any]


class Client(BaseClient):
    """``Client(url, api_key=None)``. Job routes return a :class:`Job`; call ``.wait()``.

    Keyword arguments of the job methods are the fields of the matching model in
    :mod:`binnr.params`, validated here before anything is sent.
    """

    # -- data --------------------------------------------------------------------------
    def upload(
        self,
        file: str | Path | bytes,
        table: str,
        *,
        filename: str = "data.csv",
        infer_types: bool = False,
        **location: str,
    ) -> Job:
        """``POST /data/upload`` (multipart; ``table_name`` first, so a bad name fails early)."""
        content = Path(file).read_bytes() if isinstance(file, str | Path) else file
        name = Path(file).name if isinstance(file, str | Path) else filename
        data = {"table_name": table, "infer_types": str(infer_types).lower(), **location}
        accepted = self.request("POST", "/data/upload", data=data, files={"file": (name, content)})
        return Job(self, accepted["task_id"], kind="upload")

    def prepare(
        self, table_name: str, source_columns: list[str], target_column: str, **fields: Any
    ) -> Job:
        """``POST /data/create/tables/classification`` (fields of ClassificationTablesParams)."""
        fields.update(
            table_name=table_name, source_columns=source_columns, target_column=target_column
        )
        body = build(ClassificationTablesParams, fields)
        return self.submit("/data/create/tables/classification", body)

    def tables(self, **location: str) -> list[Json]:
        """``GET /data/tables``: ``[{name, rows, columns}]``."""
        result: list[Json] = self.request("GET", "/data/tables", params=location)
        return result

    def table(self, name: str, *, limit: int = 100, offset: int = 0, **location: str) -> TablePage:
        """``GET /data/tables/{name}``: a page of rows (``.to_pandas()``, ``.to_arrow()``)."""
        query = {"limit": limit, "offset": offset, **location}
        return TablePage(**self.request("GET", f"/data/tables/{name}", params=query))

    @overload
    def download(
        self, name: str, *, format: Literal["parquet"] = ..., **location: str
    ) -> pa.Table: ...
    @overload
    def download(self, name: str, *, format: Literal["csv"], **location: str) -> bytes: ...
    def download(
        self, name: str, *, format: Literal["csv", "parquet"] = "parquet", **location: str
    ) -> pa.Table | bytes:
        """``GET /data/tables/{name}/download``: a pyarrow Table (parquet) or the CSV bytes."""
        query = {"format": format, **location}
        content = self.raw("GET", f"/data/tables/{name}/download", params=query).content
        if format == "csv":
            return content
        import pyarrow.parquet as pq

        return pq.read_table(io.BytesIO(content))

    def sql(self, sql: str, *, limit: int = 1000) -> Json:
        """``POST /data/sql`` (403 unless the server has ``BINNR_ENABLE_SQL=true``)."""
        result: Json = self.request("POST", "/data/sql", json={"sql": sql, "limit": limit})
        return result

    # -- classifiers -----------------------------------------------------------------
    def train_gbm(self, training_table: str, **fields: Any) -> Job:
        """``POST /classification/gbm/train`` (fields of GbmTrainParams, e.g. ``params=``)."""
        body = build(GbmTrainParams, {"training_table": training_table, **fields})
        return self.submit("/classification/gbm/train", body)

    def predict(self, model_name: str, predict_table: str, *, llm: bool | None = None) -> Job:
        """``POST /classification/{gbm|llm}/predict``; LLM models are told by their name."""
        body = build(PredictParams, {"model_name": model_name, "predict_table": predict_table})
        use_llm = model_name.startswith("llm_") if llm is None else llm
        return self.submit(f"/classification/{'llm' if use_llm else 'gbm'}/predict", body)

    def gbm_info(self, model_name: str) -> Json:
        """``GET /classification/gbm/info``."""
        return self._get("/classification/gbm/info", model_name=model_name)

    def accuracy(self, model_name: str, results_table: str | None = None) -> Json:
        """``GET /models/{name}/accuracy``: the evaluation split, or a results table."""
        return self._get(f"/models/{model_name}/accuracy", results_table=results_table)

    def label_issues(self, model_name: str, *, limit: int = 100) -> Json:
        """``GET /classification/gbm/label-issues``: the most doubtful given labels."""
        query = {"model_name": model_name, "limit": limit}
        return self._get("/classification/gbm/label-issues", **query)

    def cluster(self, input_table: str, **fields: Any) -> Job:
        """``POST /classification/embeddings/cluster`` (fields of ClusterParams)."""
        body = build(ClusterParams, {"input_table": input_table, **fields})
        return self.submit("/classification/embeddings/cluster", body)

    def compare(self, input_table: str, **fields: Any) -> Job:
        """``POST /classification/compare``: the job result's ``methods`` is the leaderboard."""
        body = build(CompareParams, {"input_table": input_table, **fields})
        return self.submit("/classification/compare", body)

    def train_llm(self, training_table: str, target_column: str, **fields: Any) -> Job:
        """``POST /classification/llm/train`` (fields of LlmTrainParams)."""
        fields.update(training_table=training_table, target_column=target_column)
        body = build(LlmTrainParams, fields)
        return self.submit("/classification/llm/train", body)

    def llm_check(self, job_id: str) -> Json:
        """``GET /classification/llm/train/check``: the original's fine-tuning status."""
        return self._get("/classification/llm/train/check", job_id=job_id)

    def llm_response(self, llm_prompt: str, **fields: Any) -> Json:
        """``GET /classification/llm/response`` (fields of LlmPromptParams)."""
        body = build(LlmPromptParams, {"llm_prompt": llm_prompt, **fields})
        return self._get("/classification/llm/response", **body.model_dump(exclude_none=True))

    # -- models, jobs, health ----------------------------------------------------------
    def models(self, kind: str | None = None) -> list[Json]:
        """``GET /models``: newest first, with ``active`` and headline metrics."""
        result: list[Json] = self.request("GET", "/models", params={"kind": kind})
        return result

    def model(self, name: str) -> Json:
        """``GET /models/{name}``: all metadata (report, training_log, ...)."""
        return self._get(f"/models/{name}")

    def activate(self, name: str) -> Json:
        """``POST /models/{name}/activate``."""
        result: Json = self.request("POST", f"/models/{name}/activate")
        return result

    def delete_model(self, name: str) -> None:
        """``DELETE /models/{name}``."""
        self.request("DELETE", f"/models/{name}")

    def jobs(
        self,
        *,
        state: str | None = None,
        kind: str | None = None,
        limit: int = 50,
        active: bool = False,
    ) -> list[Json]:
        """``GET /jobs`` (recent, newest first) or ``GET /jobs/active``."""
        if active:
            running: list[Json] = self.request("GET", "/jobs/active")
            return running
        query = {"state": state, "kind": kind, "limit": limit}
        result: list[Json] = self.request("GET", "/jobs", params=query)
        return result

    def job(self, task_id: str) -> Job:
        """A handle on an existing job, its status fetched."""
        handle = Job(self, task_id)
        handle.refresh()
        return handle

    def cancel(self, task_id: str) -> Json:
        """``POST /jobs/{id}/cancel`` (409 Conflict when the job already ended)."""
        result: Json = self.request("POST", f"/jobs/{task_id}/cancel")
        return result

    def healthz(self) -> Json:
        """``GET /healthz``."""
        return self._get("/healthz")

    def _get(self, path: str, **query: Any) -> Json:
        result: Json = self.request("GET", path, params=query)
        return result
