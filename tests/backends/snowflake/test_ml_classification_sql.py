"""binnr.models.snowflake_ml: golden SQL text and rejected injection attempts."""

from __future__ import annotations

import pytest

from binnr.backends.snowflake import ml_classification_sql as sf
from binnr.errors import InvalidInput
from binnr.warehouse.names import TableRef

TRAIN = TableRef("T", schema="SCH", database="DB")


def test_create_classification_golden() -> None:
    assert sf.create_classification_sql(model="M", training_table=TRAIN) == (
        'CREATE OR REPLACE SNOWFLAKE.ML.CLASSIFICATION "M"('
        'INPUT_DATA => SYSTEM$REFERENCE(\'TABLE\', \'"DB"."SCH"."T"\'), '
        "TARGET_COLNAME => 'TARGET')"
    )


def test_create_classification_plain_names_and_target() -> None:
    sql = sf.create_classification_sql(model="m1", training_table="train_t", target_col="label")
    assert sql == (
        'CREATE OR REPLACE SNOWFLAKE.ML.CLASSIFICATION "m1"('
        "INPUT_DATA => SYSTEM$REFERENCE('TABLE', '\"train_t\"'), TARGET_COLNAME => 'label')"
    )


def test_predict_golden() -> None:
    sql = sf.predict_sql(
        model=TableRef("M", schema="SCH", database="DB"),
        predict_table=TableRef("P", schema="SCH"),
        result_table="R",
    )
    assert sql == (
        'CREATE TABLE "R" AS SELECT *, "DB"."SCH"."M"!PREDICT('
        'INPUT_DATA => OBJECT_CONSTRUCT(*)) AS predictions FROM "SCH"."P"'
    )


def test_show_calls_golden() -> None:
    assert sf.show_evaluation_metrics_sql(model="M") == 'CALL "M"!SHOW_EVALUATION_METRICS()'
    assert sf.show_threshold_metrics_sql(model="M") == 'CALL "M"!SHOW_THRESHOLD_METRICS()'
    assert sf.show_feature_importance_sql(model="M") == 'CALL "M"!SHOW_FEATURE_IMPORTANCE()'


ATTACKS = [
    'M"; DROP TABLE x; --',
    "M'); DROP TABLE x; --",
    "my model",
    "m;",
    "a.b",
    "",
    "x\\'",
]


@pytest.mark.parametrize("bad", ATTACKS)
def test_injection_attempts_raise_invalid_input(bad: str) -> None:
    with pytest.raises(InvalidInput):
        sf.create_classification_sql(model=bad, training_table=TRAIN)
    with pytest.raises(InvalidInput):
        sf.create_classification_sql(model="M", training_table=bad)
    with pytest.raises(InvalidInput):
        sf.create_classification_sql(model="M", training_table=TRAIN, target_col=bad)
    with pytest.raises(InvalidInput):
        sf.predict_sql(model="M", predict_table="P", result_table=bad)
    with pytest.raises(InvalidInput):
        sf.predict_sql(model="M", predict_table=bad, result_table="R")
    with pytest.raises(InvalidInput):
        sf.show_feature_importance_sql(model=bad)


def test_table_ref_parts_are_validated_too() -> None:
    with pytest.raises(InvalidInput):
        TableRef("T", schema='S"; DROP', database="DB")
