"""A page of a table's rows, convertible to pandas or Arrow."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # imported lazily: pandas and pyarrow are slow to import
    import pandas as pd
    import pyarrow as pa


@dataclass(frozen=True)
class TablePage:
    """``GET /data/tables/{name}``: ``rows`` from ``offset``, out of ``total``."""

    name: str
    columns: list[str]
    rows: list[dict[str, Any]] = field(repr=False)
    limit: int
    offset: int
    total: int

    def to_pandas(self) -> pd.DataFrame:
        """The rows as a DataFrame, columns in the table's order (also with no rows)."""
        import pandas as pd

        return pd.DataFrame(self.rows, columns=self.columns)

    def to_arrow(self) -> pa.Table:
        """The rows as an Arrow table (types inferred from the JSON values)."""
        import pyarrow as pa

        if not self.rows:
            return pa.table({c: pa.array([], pa.null()) for c in self.columns})
        return pa.Table.from_pylist(self.rows).select(self.columns)

    def __len__(self) -> int:
        return len(self.rows)
