"""Every value a client sends has a documented range, and names match ``ident`` exactly."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, TypeAdapter, ValidationError

from binnr.api.app import create_app
from binnr.api.schemas import (
    ClassificationTablesRequest,
    ClusterRequest,
    GbmTrainRequest,
    LlmTrainRequest,
    PredictRequest,
    SqlRequest,
)
from binnr.errors import InvalidInput
from binnr.models.gbm_params import GbmParams
from binnr.models.llm.base import FinetuneOptions
from binnr.params import (
    ClassificationTablesParams,
    ClusterParams,
    GbmTrainParams,
    LlmPromptParams,
    LlmTrainParams,
    PredictParams,
    SleepParams,
    UploadParams,
)
from binnr.params.fields import ColumnName, LocationName, TableName
from binnr.settings import Settings
from binnr.warehouse.names import MAX_DERIVED_NAME, column, ident

MODELS: list[type[BaseModel]] = [
    UploadParams,
    ClassificationTablesParams,
    SleepParams,
    GbmTrainParams,
    PredictParams,
    ClusterParams,
    LlmTrainParams,
    LlmPromptParams,
    GbmParams,
    FinetuneOptions,
    ClassificationTablesRequest,
    GbmTrainRequest,
    PredictRequest,
    ClusterRequest,
    LlmTrainRequest,
    SqlRequest,
]


def unbounded(schema: dict[str, Any]) -> str | None:
    """What is missing from one JSON-schema property (``X | None`` checks ``X``), or None."""
    options = [s for s in schema.get("anyOf", [schema]) if s.get("type") != "null"]
    for option in options:
        kind = option.get("type")
        if "enum" in option or "const" in option or "$ref" in option or kind == "boolean":
            continue
        if kind in ("integer", "number"):
            if not {"minimum", "exclusiveMinimum"} & option.keys():
                return "no lower bound"
            if not {"maximum", "exclusiveMaximum"} & option.keys():
                return "no upper bound"
        elif kind == "string" and "maxLength" not in option:
            return "no maxLength"
        elif kind == "array":
            if "maxItems" not in option:
                return "no maxItems"
            if problem := unbounded(option.get("items", {})):
                return f"items: {problem}"
    return None


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_every_field_of_every_request_model_is_bounded(model: type[BaseModel]) -> None:
    schema = model.model_json_schema(mode="validation")
    problems = {
        name: problem
        for name, prop in schema["properties"].items()
        if (problem := unbounded(prop)) is not None
    }
    assert not problems, problems


def test_every_query_and_path_parameter_is_bounded(tmp_path: Path) -> None:
    spec = create_app(Settings(home=tmp_path)).openapi()
    problems = {}
    for path, operations in spec["paths"].items():
        for method, op in operations.items():
            for param in op.get("parameters", []):
                if (problem := unbounded(param["schema"])) is not None:
                    problems[f"{method.upper()} {path} {param['name']}"] = problem
    assert not problems, problems


@pytest.mark.parametrize("flag", [float("inf"), float("-inf"), float("nan"), "inf", "NaN"])
def test_infinity_and_nan_are_refused(flag: Any) -> None:
    with pytest.raises(ValidationError):
        LlmTrainParams(training_table="t", target_column="c", learning_rate=flag)
    with pytest.raises(ValidationError):
        FinetuneOptions(epochs=flag)
    with pytest.raises(ValidationError):
        GbmParams(learning_rate=flag)
    with pytest.raises(ValidationError):
        ClusterRequest.model_validate({"input_table": "t", "n_components": flag})


@pytest.mark.parametrize(
    ("field", "value"),
    [("epochs", 1e12), ("lora_r", 100_000), ("batch_size", 100_000), ("max_steps", 10**6),
     ("learning_rate", 2.0)],
)  # fmt: skip
def test_llm_tuning_knobs_are_bounded(field: str, value: Any) -> None:
    with pytest.raises(InvalidInput, match=field):
        LlmTrainParams.parse({"training_table": "t", "target_column": "c", field: value})


@pytest.mark.parametrize("options", [{"seed": -1}, {"seed": 2**31}, {"lora_alpha": 10**6},
                                     {"warmup_steps": 10**9}, {"eval_every": 10**9}])  # fmt: skip
def test_finetune_options_are_bounded(options: dict[str, int]) -> None:
    with pytest.raises(ValidationError):
        FinetuneOptions(**options)


@pytest.mark.parametrize("seed", [-1, 2**31, 10**20])
def test_gbm_seed_outside_the_library_range_is_refused(seed: int) -> None:
    with pytest.raises(InvalidInput, match=r"params\.seed"):
        GbmTrainParams.parse({"training_table": "t", "params": {"seed": seed}})


@pytest.mark.parametrize(
    ("changes", "field"),
    [({"number_of_iterations": 10**9}, "number_of_iterations"),
     ({"number_of_iterations": 1001}, "number_of_iterations"),
     ({"n_components": 4097}, "n_components"), ({"n_components": 10**9}, "n_components")],
)  # fmt: skip
def test_cluster_size_is_bounded(changes: dict[str, int], field: str) -> None:
    with pytest.raises(InvalidInput, match=field):
        ClusterParams.parse({"input_table": "t", **changes})
    assert ClusterParams.parse({"input_table": "t", field: 1000}).model_dump()[field] == 1000


def test_free_prompt_length_is_capped() -> None:
    assert LlmPromptParams(llm_prompt="x", llm_max_tokens=1024).llm_max_tokens == 1024
    with pytest.raises(ValidationError):
        LlmPromptParams(llm_prompt="x", llm_max_tokens=1025)


NAMES = ["t", "_x", "Tweets_2", "a" * 100, "a" * 101, "a" * 255, "a" * 256, "2nd", "a b",
         "a-b", "a.b", "é", "", "x;", "abc\n", "\nabc", "ab\u200b", '"q"']  # fmt: skip


def _ok(check: Any, value: str) -> bool:
    try:
        check(value)
    except (InvalidInput, ValidationError):
        return False
    return True


@pytest.mark.parametrize("name", NAMES, ids=repr)
def test_schema_names_and_ident_agree(name: str) -> None:
    """A name the schema accepts is never refused by ``ident``, and the other way round."""
    table = TypeAdapter(TableName).validate_python
    location = TypeAdapter(LocationName).validate_python
    col = TypeAdapter(ColumnName).validate_python
    assert _ok(table, name) == _ok(lambda v: ident(v, max_len=MAX_DERIVED_NAME), name)
    assert _ok(location, name) == _ok(ident, name)
    assert _ok(col, name) == _ok(column, name)
