"""The classifier-engine interface and the table of engines (``engine`` in the train body).

An engine trains from a classification table and registers a model; predicts a table into a
results table. Differences between engines are class constants, read by the shared checks.
"""

from __future__ import annotations

from typing import Any, Protocol

from binnr.errors import NotSupported
from binnr.jobs.context import JobContext
from binnr.models.registry import ModelRecord
from binnr.params.gbm import ClassifierEngineName, GbmTrainParams
from binnr.services.classifier.local_engine import LocalEngine
from binnr.services.classifier.snowflake_ml_engine import SnowflakeMLEngine
from binnr.warehouse.base import Warehouse
from binnr.warehouse.names import TableRef


class ClassifierEngine(Protocol):
    """What ``POST /classification/gbm/train`` and ``/predict`` run."""

    name: str
    #: Needs the warehouse's own ML classification (``Warehouse.has_native_classification``).
    needs_native_classification: bool

    def train(self, ctx: JobContext, params: GbmTrainParams) -> dict[str, Any]:
        """Train, register the model, return the job result (``model_name``, ...)."""
        ...

    def predict(self, ctx: JobContext, record: ModelRecord, source: TableRef, out: TableRef) -> int:
        """Write ``out`` = ``source`` + prediction columns; return its row count."""
        ...


ENGINES: dict[str, ClassifierEngine] = {
    engine.name: engine for engine in (LocalEngine(), SnowflakeMLEngine())
}


def engine_named(name: ClassifierEngineName, warehouse: Warehouse) -> ClassifierEngine:
    """The engine ``name``, if ``warehouse`` can run it."""
    engine = ENGINES[name]
    if engine.needs_native_classification and not warehouse.has_native_classification:
        raise NotSupported(
            f"The {name} engine needs Snowflake; this is the {warehouse.name} warehouse.",
            hint="Use engine=local (binnr's text GBM), or configure SNOWFLAKE_CONFIG.",
        )
    return engine


def engine_of(record: ModelRecord) -> ClassifierEngine:
    """The engine that trained ``record`` (models before engines existed are ``local``)."""
    return ENGINES[str(record.metadata.get("engine", "local"))]
