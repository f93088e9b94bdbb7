"""Identifier validation: the only way a user-supplied name reaches SQL.

A name is accepted when it matches :data:`IDENT_PATTERN` (letters, digits, underscore, not
starting with a digit) and is at most :data:`MAX_USER_NAME` characters; it is then always quoted
when rendered. Table, schema and database names are case-insensitive (each backend folds them to
its own case); column names are lowercase, as upload normalises them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from binnr.errors import InvalidInput

IDENT_PATTERN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
COLUMN_PATTERN = re.compile(r"^[a-z0-9_]+$")
MAX_USER_NAME = 100
MAX_DERIVED_NAME = 255


def ident(value: str, *, field: str = "name", max_len: int = MAX_USER_NAME) -> str:
    """Return ``value`` if it is a valid identifier, else raise :class:`InvalidInput`."""
    if not isinstance(value, str) or not value:
        raise InvalidInput(f"{field} must be a non-empty name.", hint=_HINT)
    if len(value) > max_len:
        raise InvalidInput(
            f"{field} {value[:40]!r}… is {len(value)} characters; the limit is {max_len}.",
            hint=_HINT,
        )
    if not IDENT_PATTERN.fullmatch(value):  # fullmatch: "$" alone lets a final "\n" pass
        raise InvalidInput(f"{field} {value!r} is not a valid name.", hint=_HINT)
    return value


def column(value: str, *, field: str = "column") -> str:
    """A validated column name, lowercased (the case binnr stores columns in).

    Columns may start with a digit (upload keeps headers such as ``2nd_reason``); they are
    always quoted.
    """
    if not isinstance(value, str) or not value or len(value) > MAX_DERIVED_NAME:
        raise InvalidInput(f"{field} must be a non-empty name.", hint=_HINT)
    lowered = value.lower()
    if not COLUMN_PATTERN.fullmatch(lowered):
        raise InvalidInput(f"{field} {value!r} is not a valid column name.", hint=_HINT)
    return lowered


_HINT = (
    "Use letters, digits and underscores only, starting with a letter or underscore "
    f"(at most {MAX_USER_NAME} characters); no spaces, quotes, dots or semicolons."
)


@dataclass(frozen=True)
class TableRef:
    """A validated, fully or partly qualified table name."""

    name: str
    schema: str | None = None
    database: str | None = None

    def __post_init__(self) -> None:
        ident(self.name, field="table name", max_len=MAX_DERIVED_NAME)
        if self.schema is not None:
            ident(self.schema, field="schema")
        if self.database is not None:
            ident(self.database, field="database")

    def with_name(self, name: str) -> TableRef:
        """The same location, another table."""
        return replace(self, name=name)

    def __str__(self) -> str:
        return ".".join(p for p in (self.database, self.schema, self.name) if p)
