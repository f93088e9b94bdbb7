"""Label maps: which text label each ``target`` number stands for.

The classification-tables job writes ``<target>_target`` (columns ``<target>`` and
``<target>_number``) beside the tables it creates, and every derived table keeps the original
``<target>`` column; so a training table's label column is the one whose ``<col>_target`` table
exists. ``target_column`` names it explicitly when a table has several candidates.
"""

from __future__ import annotations

from dataclasses import dataclass

from binnr.errors import InvalidInput
from binnr.warehouse.base import Warehouse
from binnr.warehouse.names import TableRef, column

REQUIRED = ("source", "target")


@dataclass(frozen=True)
class LabelMap:
    """Label text ↔ label number (``target``)."""

    column: str | None
    numbers: dict[int, str]


def require_columns(
    warehouse: Warehouse, ref: TableRef, needed: tuple[str, ...] = REQUIRED
) -> list[str]:
    """The table's columns; ``422`` naming what is missing (``404`` if the table is missing)."""
    columns = [c.name for c in warehouse.columns(ref)]
    missing = [c for c in needed if c not in columns]
    if missing:
        raise InvalidInput(
            f"Table {ref.name} has no {' or '.join(missing)} column.",
            hint="Use a table made by POST /data/create/tables/classification "
            "(e.g. <table>_source_target_train).",
        )
    return columns


def resolve_labels(
    *, warehouse: Warehouse, ref: TableRef, target_column: str | None = None
) -> LabelMap:
    """The label map of a classification table (see the module docstring)."""
    columns = require_columns(warehouse, ref)
    candidates = (
        [column(target_column)] if target_column else [c for c in columns if c not in REQUIRED]
    )
    for col in candidates:
        labels_ref = ref.with_name(warehouse.fold(f"{col}_target"))
        if col in columns and warehouse.table_exists(labels_ref):
            rows = warehouse.query(
                warehouse.render(
                    "SELECT {c} AS label, {n} AS num FROM {t}",
                    c=col,
                    n=f"{col}_number",
                    t=labels_ref,
                )
            )
            return LabelMap(column=col, numbers={int(r["num"]): str(r["label"]) for r in rows})
    if target_column:
        raise InvalidInput(
            f"No label table {target_column}_target for column {target_column}.",
            hint="Create the classification tables first, or omit target_column.",
        )
    rows = warehouse.query(
        warehouse.render(
            'SELECT DISTINCT "target" AS num FROM {t} WHERE "target" IS NOT NULL', t=ref
        )
    )
    # No label table: the numbers are the labels.
    return LabelMap(column=None, numbers={int(r["num"]): str(int(r["num"])) for r in rows})
