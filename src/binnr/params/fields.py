"""Bounded field types shared by every request and parameter model.

Names mirror :mod:`binnr.warehouse.names` exactly (same pattern, same length limit), so a name
the schema accepts is never refused later by ``ident``/``column``, and the other way round.
Every value a client sends has a documented range here or at its field: an unbounded number or
string is a way to make the server spend memory or time.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from binnr.warehouse.names import IDENT_PATTERN, MAX_DERIVED_NAME, MAX_USER_NAME

#: ``IDENT_PATTERN`` as a JSON-schema pattern (no anchors needed by pydantic, kept for clarity).
NAME_PATTERN = IDENT_PATTERN.pattern
#: ``column()`` lowercases first, so either case is accepted here.
COLUMN_PATTERN = r"^[A-Za-z0-9_]+$"
#: Seeds go to numpy and scikit-learn, which take 0 .. 2**32 - 1; LightGBM takes a C int.
MAX_SEED = 2**31 - 1
#: Model names: a registered model or a provider's model name (e.g. ``llama3.2:1b``).
MAX_MODEL_NAME = 255
#: A model path or hub id (checked against the allowed roots when used).
MAX_MODEL_REF = 1024
#: Free text such as templates.
MAX_TEMPLATE = 10_000

TableName = Annotated[str, Field(pattern=NAME_PATTERN, max_length=MAX_DERIVED_NAME)]
#: Names the user creates (upload's table): the shorter user limit.
NewTableName = Annotated[str, Field(pattern=NAME_PATTERN, max_length=MAX_USER_NAME)]
LocationName = Annotated[str, Field(pattern=NAME_PATTERN, max_length=MAX_USER_NAME)]
ColumnName = Annotated[str, Field(pattern=COLUMN_PATTERN, max_length=MAX_DERIVED_NAME)]
ModelName = Annotated[str, Field(pattern=NAME_PATTERN, max_length=MAX_MODEL_NAME)]
#: Snowflake virtual warehouse and role: accepted everywhere, used only as identifiers.
SnowflakeName = Annotated[str, Field(max_length=MAX_DERIVED_NAME)]
ModelRef = Annotated[str, Field(min_length=1, max_length=MAX_MODEL_REF)]
Seed = Annotated[int, Field(ge=0, le=MAX_SEED)]
JobId = Annotated[str, Field(min_length=1, max_length=64)]

#: A client-side file name is only shown back, so it is shortened to this rather than refused.
MAX_FILENAME = 255
