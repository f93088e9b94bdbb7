"""Snowflake Cortex: SQL builders for fine-tuning and completion (the caller executes them).

Every builder returns ``(sql, params)`` for a connector using the ``qmark`` paramstyle
(``snowflake.connector.paramstyle = "qmark"``). User values (model names, prompts, options,
job ids) are always bound; identifiers are validated with :func:`binnr.warehouse.names.ident`
and quoted: tables fold to upper case (``"DB"."SCH"."T"``), columns stay lower case, as upload
stores them. The training/validation *queries* are themselves bound strings that Cortex runs.

``COMPLETE`` called with an options object returns JSON, not text:
``{"choices": [{"messages": "<answer>"}], "created": ..., "model": ..., "usage": {...}}``; the
per-table builder extracts ``:choices[0]:messages::VARCHAR`` in SQL and
:func:`parse_complete_response` does it for a free prompt.

Snowflake has announced that Cortex fine-tuning (``FINETUNE``) will be retired in 2027; the
local provider is the long-term path.
"""

from __future__ import annotations

import json
import re
from typing import Any

from binnr.errors import InvalidInput
from binnr.models.llm.base import Role
from binnr.warehouse.names import MAX_DERIVED_NAME, TableRef, column, ident

Sql = tuple[str, list[Any]]
_MODEL = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,254}$")
_JOB_ID = re.compile(r"^[A-Za-z0-9_-]{1,128}$")
_ROLES = ("system", "user", "assistant")
FINAL_STATUSES = frozenset({"SUCCESS", "ERROR", "CANCELLED"})


def table_sql(ref: TableRef) -> str:
    """``"DB"."SCH"."T"``: validated parts, upper-cased and quoted."""
    return ".".join(f'"{p.upper()}"' for p in (ref.database, ref.schema, ref.name) if p)


def model_object_name(ref: TableRef) -> str:
    """A fine-tuned model's name as Cortex takes it: ``DB.SCH.NAME`` (validated, unquoted)."""
    ident(ref.name, field="model name")
    return ".".join(p.upper() for p in (ref.database, ref.schema, ref.name) if p)


def training_query(*, table: TableRef, label_column: str, source_column: str = "source") -> str:
    """``SELECT "source" AS prompt, "label" AS completion FROM ...`` for FINETUNE's data args."""
    src, label = column(source_column, field="source column"), column(label_column, field="label")
    return (
        f'SELECT "{src}" AS prompt, TO_VARCHAR("{label}") AS completion FROM {table_sql(table)} '
        f'WHERE "{src}" IS NOT NULL AND "{label}" IS NOT NULL'
    )


def finetune_create_sql(
    *,
    model: TableRef,
    base_model: str,
    train: TableRef,
    label_column: str,
    validation: TableRef | None = None,
    source_column: str = "source",
) -> Sql:
    """Start a Cortex fine-tune; the statement returns the job id."""
    queries = [training_query(table=train, label_column=label_column, source_column=source_column)]
    if validation is not None:
        queries.append(
            training_query(table=validation, label_column=label_column, source_column=source_column)
        )
    marks = ", ".join("?" for _ in range(2 + len(queries)))
    params = [model_object_name(model), _model(base_model, field="base model"), *queries]
    return f"SELECT SNOWFLAKE.CORTEX.FINETUNE('CREATE', {marks})", params


def finetune_describe_sql(*, job_id: str) -> Sql:
    """The state of a fine-tune job (a JSON string; see :func:`parse_describe`)."""
    return "SELECT SNOWFLAKE.CORTEX.FINETUNE('DESCRIBE', ?)", [_job_id(job_id)]


def finetune_cancel_sql(*, job_id: str) -> Sql:
    """Cancel a running fine-tune job."""
    return "SELECT SNOWFLAKE.CORTEX.FINETUNE('CANCEL', ?)", [_job_id(job_id)]


def complete_table_sql(
    *,
    model: str,
    source: TableRef,
    dest: TableRef,
    source_column: str = "source",
    output_column: str = "response",
    temperature: float = 0.1,
    replace: bool = False,
) -> Sql:
    """``CREATE TABLE dest AS SELECT t.*, <answer> AS "response" FROM source AS t``.

    Each row's ``source`` is the user message, as in training; the answer text is extracted
    from COMPLETE's JSON in SQL.
    """
    src = column(source_column, field="source column")
    out = column(output_column, field="output column")
    create = "CREATE OR REPLACE TABLE" if replace else "CREATE TABLE"
    sql = (
        f"{create} {table_sql(dest)} AS SELECT t.*, SNOWFLAKE.CORTEX.COMPLETE(?, "
        f"[{{'role': 'user', 'content': t.\"{src}\"}}], {{'temperature': ?}})"
        f':choices[0]:messages::VARCHAR AS "{out}" FROM {table_sql(source)} AS t'
    )
    return sql, [_model(model), _unit(temperature, field="temperature")]


def complete_prompt_sql(
    *,
    model: str,
    prompt: str,
    role: Role = "user",
    temperature: float = 0.1,
    max_tokens: int = 256,
    top_p: float = 1.0,
) -> Sql:
    """One free prompt; the result is COMPLETE's JSON (see :func:`parse_complete_response`)."""
    if role not in _ROLES:
        raise InvalidInput(f"role {role!r} is not allowed.", hint=f"Use one of {_ROLES}.")
    if not isinstance(max_tokens, int) or not 1 <= max_tokens <= 8192:
        raise InvalidInput(f"max_tokens {max_tokens!r} is out of range.", hint="Use 1 to 8192.")
    if not isinstance(prompt, str) or not prompt:
        raise InvalidInput("prompt must be a non-empty string.", hint="Send some text.")
    sql = (
        "SELECT SNOWFLAKE.CORTEX.COMPLETE(?, [{'role': ?, 'content': ?}], "
        "{'temperature': ?, 'max_tokens': ?, 'top_p': ?}) AS response"
    )
    params = [_model(model), role, prompt, _unit(temperature, field="temperature")]
    return sql, [*params, max_tokens, _unit(top_p, field="top_p")]


def parse_complete_response(raw: str | dict[str, Any]) -> str:
    """The answer text from COMPLETE's JSON result (plain text passes through)."""
    try:
        data = json.loads(raw) if isinstance(raw, str) else raw
    except ValueError:
        return str(raw)
    if not isinstance(data, dict):
        return str(raw)
    choices = data.get("choices") or [{}]
    answer = choices[0].get("messages", choices[0].get("message", ""))
    return answer if isinstance(answer, str) else json.dumps(answer)


def parse_describe(raw: str | dict[str, Any]) -> dict[str, Any]:
    """A FINETUNE('DESCRIBE') result as ``{status, done, progress, metrics, model, error}``."""
    data = json.loads(raw) if isinstance(raw, str) else dict(raw)
    status = str(data.get("status", "UNKNOWN")).upper()
    result = data.get("training_result") or {}
    metrics = {k: result[k] for k in ("training_loss", "validation_loss") if k in result}
    if "trained_tokens" in data:
        metrics["trained_tokens"] = data["trained_tokens"]
    error = data.get("error")
    return {
        "status": status,
        "done": status in FINAL_STATUSES,
        "progress": data.get("progress"),
        "metrics": metrics,
        "model": data.get("model"),
        "error": error.get("message") if isinstance(error, dict) else error,
    }


def _model(value: str, *, field: str = "model") -> str:
    if not isinstance(value, str) or not _MODEL.match(value) or len(value) > MAX_DERIVED_NAME:
        raise InvalidInput(
            f"{field} {str(value)[:60]!r} is not a valid Cortex model name.",
            hint="Use letters, digits, '_', '-' and '.', e.g. llama3-8b or DB.SCHEMA.MY_MODEL.",
        )
    return value


def _job_id(value: str) -> str:
    if not isinstance(value, str) or not _JOB_ID.match(value):
        raise InvalidInput(
            f"job id {str(value)[:60]!r} is not a valid Cortex job id.",
            hint="Use the id FINETUNE('CREATE', ...) returned, e.g. ft_0a1b2c...",
        )
    return value


def _unit(value: float, *, field: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise InvalidInput(f"{field} {value!r} is out of range.", hint="Use a number from 0 to 1.")
    return float(value)
