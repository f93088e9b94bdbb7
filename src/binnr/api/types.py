"""Constrained path and query parameters, so that the OpenAPI schema states what is accepted.

A name the schema allows is a name :func:`binnr.warehouse.names.ident` accepts: same pattern,
same length limits. Without these, a client (or a schema-driven fuzzer) that follows the schema
gets a 422 for a name the schema said was fine.
"""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import Path, Query

from binnr.warehouse.names import IDENT_PATTERN, MAX_DERIVED_NAME, MAX_USER_NAME

#: ``IDENT_PATTERN`` in the JSON Schema dialect (``$`` there never matches before a newline).
NAME_PATTERN = IDENT_PATTERN.pattern
#: A name or "" (an optional form field left empty).
OPTIONAL_NAME_PATTERN = r"^([A-Za-z_][A-Za-z0-9_]*)?$"
#: Job ids: uuid hex from binnr, or Celery-style ids; never SQL, but bounded for the store.
JOB_ID_PATTERN = r"^[A-Za-z0-9_.:-]+$"
MAX_JOB_ID = 64

_TABLE = "Table name: letters, digits and underscores, not starting with a digit"
_MODEL = "Model name as listed by GET /models"
_LOCATION = "Letters, digits and underscores, not starting with a digit"

TableNamePath = Annotated[
    str, Path(min_length=1, max_length=MAX_DERIVED_NAME, pattern=NAME_PATTERN, description=_TABLE)
]
ModelNamePath = Annotated[
    str, Path(min_length=1, max_length=MAX_DERIVED_NAME, pattern=NAME_PATTERN, description=_MODEL)
]
ModelNameQuery = Annotated[
    str, Query(min_length=1, max_length=MAX_DERIVED_NAME, pattern=NAME_PATTERN, description=_MODEL)
]
OptionalTableQuery = Annotated[
    str | None,
    Query(min_length=1, max_length=MAX_DERIVED_NAME, pattern=NAME_PATTERN, description=_TABLE),
]
LocationName = Annotated[
    str | None,
    Query(min_length=1, max_length=MAX_USER_NAME, pattern=NAME_PATTERN, description=_LOCATION),
]
JobIdPath = Annotated[
    str,
    Path(min_length=1, max_length=MAX_JOB_ID, pattern=JOB_ID_PATTERN, description="A job's id"),
]
JobIdQuery = Annotated[
    str,
    Query(min_length=1, max_length=MAX_JOB_ID, pattern=JOB_ID_PATTERN, description="A job's id"),
]
#: Snowflake's virtual warehouse and role: quoted identifiers there may hold any character, and
#: DuckDB ignores both; bounded in length only.
SnowflakeNameQuery = Annotated[
    str | None, Query(max_length=MAX_DERIVED_NAME, description="Snowflake warehouse or role")
]


def one_of(kinds: list[str]) -> str:
    """A pattern matching exactly one of ``kinds`` (so the schema names the accepted values)."""
    return "^(" + "|".join(re.escape(k) for k in kinds) + ")$"
