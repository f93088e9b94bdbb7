"""Label maps: which text label each ``target`` number stands for.

The classification-tables job writes ``<target>_target`` (columns ``<target>`` and
``<target>_number``) beside the tables it creates, and every derived table keeps the original
``<target>`` column; so a training table's label column is the one whose ``<col>_target`` table
exists. ``target_column`` names it explicitly when a table has several candidates.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from binnr.errors import InvalidInput
from binnr.warehouse.base import Warehouse
from binnr.warehouse.names import TableRef, column

REQUIRED = ("source", "target")


@dataclass(frozen=True)
class LabelMap:
    """Label text ↔ label number (``target``).

    A model's metadata stores it as ``label_map``: ``{label text: number}`` (JSON object keys
    must be strings, so the text is the key there).
    """

    column: str | None
    numbers: dict[int, str]

    @classmethod
    def from_metadata(cls, metadata: Mapping[str, Any]) -> LabelMap:
        """The map a model was trained with (its ``label_map`` and ``label_column``)."""
        stored: Mapping[str, Any] = metadata["label_map"]
        return cls(
            column=metadata.get("label_column"),
            numbers={int(number): str(label) for label, number in stored.items()},
        )

    def to_metadata(self) -> dict[str, int]:
        """``{label text: number}`` for a model's metadata."""
        return {label: number for number, label in self.numbers.items()}

    @property
    def labels(self) -> list[str]:
        """Label texts in number order."""
        return [self.numbers[n] for n in sorted(self.numbers)]

    @cached_property
    def _by_label(self) -> dict[str, int]:
        # number() runs once per predicted row: invert the map once, not per call.
        return self.to_metadata()

    def number(self, label: str | None) -> int | None:
        """The number of ``label`` (None for None or an unknown label)."""
        return self._by_label.get(label) if label is not None else None

    def label(self, number: Any) -> str:
        """The text of ``number``; an unknown number renders as itself."""
        return self.numbers.get(int(number), str(number))


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
