"""``gbm.train`` parameters: auto by default; the original GBM's keys still mean that model."""

from __future__ import annotations

import pytest

from binnr.errors import InvalidInput
from binnr.params.gbm import ClassifierParams, GbmTrainParams


def test_auto_is_the_default() -> None:
    params = GbmTrainParams(training_table="t_train")
    assert params.params.model == "auto"


@pytest.mark.parametrize(
    ("body", "rounds", "features"),
    [
        ({"num_rounds": 20}, 20, "text"),
        ({"features": "text+embeddings", "seed": 4}, 300, "text+embeddings"),
        ({"model": "lightgbm", "lightgbm": {"num_rounds": 7}}, 7, "text"),
    ],
)
def test_original_keys_mean_the_text_gbm(body: dict, rounds: int, features: str) -> None:
    params = ClassifierParams.model_validate(body)
    assert params.model == "lightgbm"
    assert params.lightgbm.num_rounds == rounds and params.lightgbm.features == features


def test_a_stored_record_round_trips() -> None:
    params = GbmTrainParams.model_validate({"training_table": "t", "params": {"num_rounds": 20}})
    again = GbmTrainParams.parse(params.dump())
    assert again == params


def test_unknown_keys_are_refused_with_their_name() -> None:
    with pytest.raises(InvalidInput, match="bogus"):
        GbmTrainParams.parse({"training_table": "t", "params": {"bogus": 1}})
