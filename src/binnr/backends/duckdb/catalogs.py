"""Which database names DuckDB can attach, and the errors when one cannot be used.

``database`` names a file ``<BINNR_HOME>/<database>.duckdb``. DuckDB keeps some catalog names for
itself, and its catalog views (``information_schema``, ``pg_catalog``) are read unqualified: a
database of one of those names makes every such read ambiguous, so they are refused outright.
"""

from __future__ import annotations

from binnr.errors import Conflict, InvalidInput, NotFound

RESERVED_DATABASES = frozenset(
    {"main", "system", "temp", "memory", "information_schema", "pg_catalog"}
)


def reserved(name: str) -> InvalidInput:
    """The error for a database name DuckDB reserves."""
    return InvalidInput(
        f"database {name!r} is a name DuckDB reserves for itself.",
        hint="Choose another database name, or leave database empty for the default.",
    )


def too_many(name: str, attached: int) -> Conflict:
    """The error when ``BINNR_MAX_ATTACHED_DATABASES`` are attached already.

    Refusing is safer than detaching the oldest: a job or a stream may still be reading it.
    """
    return Conflict(
        f"Cannot open database {name!r}: {attached} databases are open already, the most this "
        "server keeps open at once.",
        hint="Use one of the open databases or raise BINNR_MAX_ATTACHED_DATABASES and restart "
        "the server.",
    )


def missing(name: str) -> NotFound:
    """The error for a read of a database that has no file (reads never create one)."""
    return NotFound(
        f"Database {name!r} does not exist.",
        hint="Leave database empty for the default one; uploading a table with database set "
        "creates that database.",
    )
