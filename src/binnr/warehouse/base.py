"""The warehouse interface: one small ABC, capabilities as class constants.

Backends differ in data (``dialect``, ``identifier_case``, capability flags), not in ``if
backend == ...`` branches elsewhere. Statements are written once (Snowflake dialect, see
:mod:`binnr.warehouse.sql`) and rendered per backend by :meth:`Warehouse.render`.
"""

from __future__ import annotations

import uuid
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import pyarrow as pa

from binnr.warehouse import sql
from binnr.warehouse.names import TableRef, ident

if TYPE_CHECKING:
    from binnr.settings import Settings

Params = Sequence[Any]
#: The prefix of staging tables (see :meth:`Warehouse.staging`).
STAGING_PREFIX = "__stg_"


@dataclass(frozen=True)
class Column:
    """A column of a table: lowercase name and the backend's type name."""

    name: str
    type: str


@dataclass(frozen=True)
class TableInfo:
    """What ``GET /data/tables`` lists."""

    name: str
    rows: int
    columns: list[str]


@dataclass
class LoadResult:
    """Outcome of loading a file into a (staging) table."""

    rows_loaded: int
    rows_rejected: int
    sample_errors: list[dict[str, Any]] = field(default_factory=list)


def sample_error(line: int, reason: str, raw: str, limit: int = 200) -> dict[str, Any]:
    """A rejected row as a job result shows it: ``raw`` cut to ``limit``, and flagged if cut."""
    return {"line": line, "reason": reason, "raw": raw[:limit], "raw_truncated": len(raw) > limit}


@dataclass(frozen=True)
class LoadSpec:
    """What :meth:`Warehouse.load_file` needs: the file, its format and the target columns."""

    path: Path
    format: Literal["csv", "parquet", "jsonl"]
    columns: list[str]
    source_columns: list[str]
    infer_types: bool
    target: TableRef
    rejects: TableRef
    delimiter: str = ","


class Warehouse(ABC):
    """One warehouse connection shared by the jobs of a process."""

    name: ClassVar[str]
    dialect: ClassVar[str]
    identifier_case: ClassVar[Literal["lower", "upper"]]
    uses_warehouse_and_role: ClassVar[bool]
    has_cortex: ClassVar[bool] = False
    has_native_classification: ClassVar[bool] = False

    default_database: str
    default_schema: str

    @classmethod
    @abstractmethod
    def from_settings(cls, settings: Settings) -> Warehouse:
        """Open the backend as configured."""

    # -- names -----------------------------------------------------------------------------
    def fold(self, name: str, *, field: str = "name") -> str:
        """Fold a validated table/schema/database name to the backend's case."""
        name = ident(name, field=field, max_len=255)
        return name.upper() if self.identifier_case == "upper" else name.lower()

    def ref(self, name: str, *, database: str | None = None, schema: str | None = None) -> TableRef:
        """A fully qualified, validated and case-folded reference to a user-named table."""
        return TableRef(
            name=self.fold(ident(name, field="table name"), field="table name"),
            schema=self.fold(ident(schema, field="schema") if schema else self.default_schema),
            database=self.fold(
                ident(database, field="database") if database else self.default_database
            ),
        )

    def check_database(self, name: str) -> None:
        """Refuse a database name this backend cannot use; every valid name by default."""
        return None

    def derived(self, ref: TableRef, *, prefix: str = "", suffix: str = "") -> TableRef:
        """A table named ``prefix + name + suffix`` beside ``ref``, in the backend's case."""
        return ref.with_name(self.fold(f"{prefix}{ref.name}{suffix}"))

    def staging(self, ref: TableRef) -> TableRef:
        """A fresh staging name beside ``ref`` (published later by :meth:`publish`)."""
        return ref.with_name(self.fold(f"{STAGING_PREFIX}{uuid.uuid4().hex[:10]}_{ref.name}"[:255]))

    def staging_tables(self) -> list[TableRef]:
        """Staging tables the connection can see (leftovers of jobs when none is running)."""
        rows = self.query(
            "SELECT table_catalog AS d, table_schema AS s, table_name AS n "
            "FROM information_schema.tables WHERE lower(substr(table_name, 1, 6)) = ?",
            [STAGING_PREFIX],
        )
        return [TableRef(name=r["n"], schema=r["s"], database=r["d"]) for r in rows]

    # -- SQL -------------------------------------------------------------------------------
    def render(self, statement: str, **idents: TableRef | str | Sequence[str]) -> str:
        """Render a Snowflake-dialect template for this backend (see :func:`sql.render`)."""
        return sql.render(statement, dialect=self.dialect, **idents)

    @abstractmethod
    def query(self, statement: str, params: Params = ()) -> list[dict[str, Any]]:
        """Run a rendered read statement; rows as dicts with lowercase keys."""

    @abstractmethod
    def execute(self, statement: str, params: Params = ()) -> None:
        """Run a rendered write statement (serialised with other writes)."""

    @abstractmethod
    def iter_batches(
        self, statement: str, params: Params = (), *, batch_size: int = 65_536
    ) -> Iterator[pa.RecordBatch]:
        """Stream the rows of a rendered read statement as Arrow record batches."""

    def fetch_arrow(self, statement: str, params: Params = ()) -> pa.Table:
        """All rows of a rendered read statement as one Arrow table."""
        batches = list(self.iter_batches(statement, params))
        if not batches:
            return self._empty_result(statement, params)
        return pa.Table.from_batches(batches)

    @abstractmethod
    def _empty_result(self, statement: str, params: Params) -> pa.Table:
        """An empty Arrow table with the statement's schema."""

    # -- tables ----------------------------------------------------------------------------
    @abstractmethod
    def ensure_schema(self, ref: TableRef) -> None:
        """Create the database/schema of ``ref`` if the backend allows it and it is missing."""

    @abstractmethod
    def table_exists(self, ref: TableRef) -> bool:
        """Whether the table exists."""

    @abstractmethod
    def columns(self, ref: TableRef) -> list[Column]:
        """Columns in table order; :class:`NotFound` when the table is missing."""

    @abstractmethod
    def list_tables(self, *, database: str | None, schema: str | None) -> list[TableInfo]:
        """Tables of one schema with row counts and columns."""

    def row_count(self, ref: TableRef) -> int:
        """Number of rows in a table."""
        rows = self.query(self.render("SELECT COUNT(*) AS n FROM {t}", t=ref))
        return int(rows[0]["n"])

    def drop_table(self, ref: TableRef) -> None:
        """Drop a table if it exists."""
        self.execute(self.render("DROP TABLE IF EXISTS {t}", t=ref))

    @abstractmethod
    def write_batches(
        self, ref: TableRef, batches: Iterable[pa.RecordBatch], *, schema: pa.Schema
    ) -> int:
        """Create ``ref`` (replacing it) from Arrow batches; returns rows written."""

    @abstractmethod
    def publish(self, pairs: Sequence[tuple[TableRef, TableRef]]) -> None:
        """Move each staging table onto its final name, replacing what was there.

        Backends with transactional DDL do all pairs in one transaction; others swap table by
        table (each swap atomic).
        """

    @abstractmethod
    def load_file(self, spec: LoadSpec) -> LoadResult:
        """Load a local file into ``spec.target`` with unparsable rows in ``spec.rejects``."""

    def close(self) -> None:
        """Release connections."""
        return None
