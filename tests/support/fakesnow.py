"""fakesnow for the Snowflake tests: the config binnr uses on it and the Cortex stand-ins.

fakesnow has no ``ON_ERROR = CONTINUE``/``VALIDATE`` and no ``ALTER TABLE ... SWAP WITH``, so
the warehouse is configured with ``binnr_load = "local"`` and ``binnr_swap = false`` (the
capability keys of ``SNOWFLAKE_CONFIG``). Cortex stand-ins are DuckDB macros in a
``SNOWFLAKE.CORTEX`` schema of fakesnow's DuckDB (see :func:`register_cortex`).
"""

from __future__ import annotations

import warnings
from typing import Any

import duckdb
import fakesnow

warnings.filterwarnings("ignore", category=DeprecationWarning, module="fakesnow")

#: The SNOWFLAKE_CONFIG used against fakesnow (capabilities it lacks switched off).
#: ``fakesnow.server()`` imports its own ``fakesnow.server`` submodule, which then shadows the
#: function on the package; keep a reference taken before any test runs.
start_fakesnow_server = fakesnow.server

FAKESNOW_CONFIG: dict[str, Any] = {
    "user": "binnr",
    "password": "secret",
    "account": "fakesnow",
    "warehouse": "COMPUTE_WH",
    "role": "BINNR_ROLE",
    "database": "BINNR",
    "schema": "PUBLIC",
    "binnr_load": "local",
    "binnr_swap": False,
}

#: Stand-ins for the Cortex functions later issues call (deterministic, no model involved).
CORTEX_MACROS = (
    # COMPLETE(model, prompt) answers text; COMPLETE(model, messages, options) answers the JSON
    # Cortex returns with options. The stand-in "classifies" by a word in the prompt.
    "CREATE OR REPLACE MACRO SNOWFLAKE.CORTEX.COMPLETE(model, prompt) AS "
    "'stand-in ' || model || ': ' || left(CAST(prompt AS VARCHAR), 40), "
    "(model, messages, options) AS json_object('choices', json_array(json_object('messages', "
    "CASE WHEN contains(lower(CAST(messages AS VARCHAR)), 'great') "
    "OR contains(lower(CAST(messages AS VARCHAR)), 'love') THEN 'positive' ELSE 'negative' END)))",
    "CREATE OR REPLACE MACRO SNOWFLAKE.CORTEX.EMBED_TEXT_768(model, text) AS "
    "list_transform(range(768), i -> ((hash(CAST(text AS VARCHAR) || CAST(i AS VARCHAR)) "
    "% 2000)::DOUBLE / 1000.0) - 1.0)::FLOAT[768]",
    # FINETUNE('CREATE', name, base, train[, validation]) → a job id; FINETUNE('DESCRIBE', id)
    # → a finished job's JSON.
    "CREATE OR REPLACE MACRO SNOWFLAKE.CORTEX.FINETUNE(op, job) AS "
    '\'{"status": "SUCCESS", "progress": 1.0, "training_result": '
    '{"training_loss": 0.1, "validation_loss": 0.2}}\', '
    "(op, name, base, train_q) AS 'ft_' || md5(name), "
    "(op, name, base, train_q, val_q) AS 'ft_' || md5(name)",
)


def register_cortex(cursor: Any, duck: duckdb.DuckDBPyConnection) -> None:
    """Create ``SNOWFLAKE.CORTEX`` (through fakesnow) and the stand-in macros (in DuckDB)."""
    cursor.execute("CREATE DATABASE IF NOT EXISTS SNOWFLAKE")
    cursor.execute("CREATE SCHEMA IF NOT EXISTS SNOWFLAKE.CORTEX")
    for statement in CORTEX_MACROS:
        duck.execute(statement)
