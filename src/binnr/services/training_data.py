"""Reading labelled text out of classification tables for training and evaluation."""

from __future__ import annotations

from dataclasses import dataclass

from binnr.errors import ModelError
from binnr.services.label_map import LabelMap
from binnr.warehouse.base import Warehouse
from binnr.warehouse.names import TableRef

_LABELLED = 'SELECT "source", "target" FROM {t} WHERE "target" IS NOT NULL'


@dataclass
class LabelledText:
    """Texts and their label texts, row-aligned."""

    texts: list[str]
    labels: list[str]


def read_labelled(*, warehouse: Warehouse, ref: TableRef, labels: LabelMap) -> LabelledText:
    """All labelled rows of ``ref`` (``source`` NULL → ``''``)."""
    table = warehouse.fetch_arrow(warehouse.render(_LABELLED, t=ref))
    texts = [t or "" for t in table.column("source").to_pylist()]
    numbers = table.column("target").to_pylist()
    unknown = sorted({int(n) for n in numbers if int(n) not in labels.numbers})
    if unknown:
        raise ModelError(
            f"Table {ref.name} has target numbers {unknown[:5]} that its label table lacks.",
            hint="Recreate the classification tables so labels and numbers agree.",
        )
    return LabelledText(texts=texts, labels=[labels.numbers[int(n)] for n in numbers])


def require_classes(data: LabelledText, *, table: str) -> None:
    """Training needs rows of at least two classes."""
    present = sorted(set(data.labels))
    if len(present) < 2:
        raise ModelError(
            f"Table {table} has labelled rows of {len(present)} class(es) ({', '.join(present)}); "
            "at least 2 are needed.",
            hint="Label rows of at least two classes, then recreate the classification tables.",
        )
