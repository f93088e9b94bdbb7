"""Statements written once in Snowflake dialect, rendered per backend with sqlglot.

Templates contain ``{name}`` slots for identifiers only: a :class:`TableRef` (rendered fully
qualified), a column name, or a list of column names (rendered comma-separated). Every
identifier is validated and quoted; values are always ``?`` placeholders bound by the driver.
Each rendered statement is parsed once more and checked against :data:`ALLOWED_FUNCTIONS`, so a
function sqlglot would mistranslate (e.g. ``VECTOR_COSINE_SIMILARITY``) cannot slip in.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import sqlglot
from sqlglot import exp

from binnr.errors import InvalidInput
from binnr.warehouse.names import TableRef, column

#: sqlglot function classes our statements may use; each is covered by a golden test that runs
#: on DuckDB and on fakesnow.
ALLOWED_FUNCTIONS: frozenset[str] = frozenset(
    {
        "Cast",
        "Coalesce",
        "Count",
        "RowNumber",
        "Anonymous:HASH",
        "Hash",
        "Trim",
        "Round",
        "Greatest",
        "Least",
        "Max",
        "Min",
        "Sum",
        "Avg",
        "DPipe",
        "Concat",
        "Lower",
        "Upper",
        "If",
        "Case",
        "Nullif",
        "Length",
        "Star",
        "Distinct",
        "Window",
        "CurrentTimestamp",
        "Floor",
        "Abs",
        "StddevSamp",
        "ArrayAgg",
        "Sqrt",
        "Mod",
    }
)


def quote_ident(name: str) -> str:
    """Double-quote an already validated identifier."""
    return '"' + name.replace('"', '""') + '"'


def qualified(ref: TableRef) -> str:
    """``"db"."schema"."table"`` for a validated reference."""
    return ".".join(quote_ident(p) for p in (ref.database, ref.schema, ref.name) if p)


def _slot(value: TableRef | str | Sequence[str]) -> str:
    if isinstance(value, TableRef):
        return qualified(value)
    if isinstance(value, str):
        return quote_ident(column(value))
    return ", ".join(quote_ident(column(v)) for v in value)


def render(template: str, *, dialect: str, **idents: TableRef | str | Sequence[str]) -> str:
    """Fill identifier slots, check functions, and render for ``dialect``."""
    text = template.format(**{k: _slot(v) for k, v in idents.items()})
    return _transpile(text, dialect)


@lru_cache(maxsize=1024)
def _transpile(text: str, dialect: str) -> str:
    try:
        trees = sqlglot.parse(text, read="snowflake")
    except sqlglot.errors.ParseError as exc:  # a template bug, never user input
        raise InvalidInput(f"statement could not be parsed: {exc}") from exc
    if len(trees) != 1 or trees[0] is None:
        raise InvalidInput("exactly one statement is allowed")
    tree = trees[0]
    check_functions(tree)
    out = tree.sql(dialect=dialect)
    placeholders = len(list(tree.find_all(exp.Placeholder)))
    rendered = sqlglot.parse_one(out, read=dialect)
    if len(list(rendered.find_all(exp.Placeholder))) != placeholders:
        # sqlglot rewrote an expression around a bound value (e.g. GREATEST's NULL handling)
        raise InvalidInput(f"rendering for {dialect} changed the number of bound values")
    return out


def check_functions(tree: exp.Expr) -> None:
    """Raise if ``tree`` uses a function outside :data:`ALLOWED_FUNCTIONS`."""
    for node in tree.find_all(exp.Func):
        if isinstance(node, exp.Binary | exp.Connector | exp.Unary):
            continue  # operators (AND, =, ||) are not functions
        name = type(node).__name__
        if isinstance(node, exp.Anonymous):
            name = f"Anonymous:{str(node.this).upper()}"
        if name not in ALLOWED_FUNCTIONS:
            raise InvalidInput(f"function {name} is not in binnr's allow-list of SQL functions")
