"""SQL text for Snowflake's native ``SNOWFLAKE.ML.CLASSIFICATION`` (the original binnr's engine).

Pure functions: every name is validated with :func:`binnr.warehouse.names.ident` (letters,
digits, underscores) and rendered double-quoted, so no user text reaches the SQL unchecked.
Names may be plain strings or :class:`~binnr.warehouse.names.TableRef` (database.schema.name).
Quoted identifiers are case-sensitive in Snowflake: pass names in the case they were created in.

Caveat: Snowflake's classifier treats a string column as one categorical value, so on free
text it learns little beyond exact repeats of a whole text. binnr's GBM (``binnr.models.gbm``)
reads words and character n-grams instead; this engine is kept for parity with the original.
"""

from __future__ import annotations

from binnr.warehouse.names import MAX_DERIVED_NAME, TableRef, ident

Name = str | TableRef


def create_classification_sql(
    *, model: Name, training_table: Name, target_col: str = "TARGET"
) -> str:
    """``CREATE OR REPLACE SNOWFLAKE.ML.CLASSIFICATION`` trained on ``training_table``."""
    reference = _literal(_qualified(training_table, field="training_table"))
    target = _literal(ident(target_col, field="target_col"))
    return (
        f"CREATE OR REPLACE SNOWFLAKE.ML.CLASSIFICATION {_qualified(model, field='model')}("
        f"INPUT_DATA => SYSTEM$REFERENCE('TABLE', {reference}), "
        f"TARGET_COLNAME => {target})"
    )


def predict_sql(*, model: Name, predict_table: Name, result_table: Name) -> str:
    """``CREATE TABLE result AS SELECT *, model!PREDICT(...) AS predictions FROM predict``."""
    return (
        f"CREATE TABLE {_qualified(result_table, field='result_table')} AS "
        f"SELECT *, {_qualified(model, field='model')}!PREDICT("
        "INPUT_DATA => OBJECT_CONSTRUCT(*)) AS predictions "
        f"FROM {_qualified(predict_table, field='predict_table')}"
    )


def show_evaluation_metrics_sql(*, model: Name) -> str:
    """Per-class precision, recall, F1 and support on Snowflake's own holdout."""
    return _call(model, "SHOW_EVALUATION_METRICS")


def show_threshold_metrics_sql(*, model: Name) -> str:
    """Precision, recall, F1, TPR, FPR, ... per class and threshold."""
    return _call(model, "SHOW_THRESHOLD_METRICS")


def show_feature_importance_sql(*, model: Name) -> str:
    """The relative importance of each input column."""
    return _call(model, "SHOW_FEATURE_IMPORTANCE")


def _call(model: Name, method: str) -> str:
    return f"CALL {_qualified(model, field='model')}!{method}()"


def _qualified(name: Name, *, field: str) -> str:
    """``"DB"."SCH"."NAME"`` from a validated name (TableRef validates its parts itself)."""
    if isinstance(name, TableRef):
        parts = [p for p in (name.database, name.schema, name.name) if p is not None]
    else:
        parts = [ident(name, field=field, max_len=MAX_DERIVED_NAME)]
    return ".".join(f'"{p}"' for p in parts)


def _literal(text: str) -> str:
    """A single-quoted Snowflake string literal (backslash is an escape character there)."""
    return "'" + text.replace("\\", "\\\\").replace("'", "''") + "'"
