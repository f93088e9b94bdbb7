"""The embedded default: a DuckDB file under ``BINNR_HOME``.

DuckDB allows one process per file, so the server process owns the connection; every thread
gets its own cursor, and writes go through one lock (datasette's single-writer model) so jobs
never race on DDL. ``database`` names another file under ``BINNR_HOME``: a write creates and
attaches it, a read attaches it only if the file exists (so probing names creates nothing), at
most ``BINNR_MAX_ATTACHED_DATABASES`` at a time. Names DuckDB reserves for its own catalogs and
schemas are refused, since one of them attached breaks every unqualified catalog query.
``schema`` is a DuckDB schema created on demand by writes; warehouse and role do not apply.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any, ClassVar, Literal

import duckdb
import pyarrow as pa

from binnr.backends.duckdb.catalogs import RESERVED_DATABASES, missing, reserved, too_many
from binnr.backends.duckdb.load import load_file
from binnr.errors import (
    BinnrError,
    Conflict,
    FileProblem,
    InvalidInput,
    NotFound,
    WarehouseError,
    map_exceptions,
)
from binnr.settings import Settings
from binnr.warehouse.base import (
    STAGING_PREFIX,
    Column,
    LoadResult,
    LoadSpec,
    Params,
    TableInfo,
    Warehouse,
)
from binnr.warehouse.names import IDENT_PATTERN, TableRef
from binnr.warehouse.sql import qualified, quote_ident

# File-content problems (bad JSON, bad encoding, failed casts) are the user's to fix.
_ERRORS: dict[type[BaseException], type[BinnrError]] = {
    duckdb.InvalidInputException: InvalidInput,
    duckdb.ConversionException: InvalidInput,
    duckdb.Error: WarehouseError,
}
#: While loading, the same problems are the file's: the hint says to fix the file.
_LOAD_ERRORS: dict[type[BaseException], type[BinnrError]] = {
    duckdb.InvalidInputException: FileProblem,
    duckdb.ConversionException: FileProblem,
    duckdb.Error: WarehouseError,
}
MAX_LINE_BYTES = 8 * 1024 * 1024


class DuckDBWarehouse(Warehouse):
    """Warehouse on a local DuckDB file."""

    name: ClassVar[str] = "duckdb"
    dialect: ClassVar[str] = "duckdb"
    identifier_case: ClassVar[Literal["lower", "upper"]] = "lower"
    uses_warehouse_and_role: ClassVar[bool] = False

    def __init__(
        self,
        path: Path,
        *,
        database: str | None = None,
        schema: str | None = None,
        max_attached: int = 16,
    ):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.home = path.parent
        with map_exceptions(_ERRORS, context=f"opening {path}"):
            self._conn = duckdb.connect(str(path))
        self._main_catalog = str(self._conn.execute("SELECT current_database()").fetchone()[0])  # type: ignore[index]
        self.default_database = (database or self._main_catalog).lower()
        self.default_schema = (schema or "main").lower()
        self._local = threading.local()
        self._write_lock = threading.RLock()
        self.max_attached = max_attached
        self._attached: set[str] = set()

    @classmethod
    def from_settings(cls, settings: Settings) -> DuckDBWarehouse:
        return cls(
            settings.duckdb_path,
            database=settings.database,
            schema=settings.schema_,
            max_attached=settings.max_attached_databases,
        )

    # -- connections -----------------------------------------------------------------------
    def _cursor(self) -> duckdb.DuckDBPyConnection:
        cur = getattr(self._local, "cursor", None)
        if cur is None:
            cur = self._conn.cursor()
            self._local.cursor = cur
        return cur

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """One write transaction under the writer lock."""
        with self._write_lock, map_exceptions(_ERRORS):
            cur = self._cursor()
            cur.execute("BEGIN TRANSACTION")
            try:
                yield cur
            except BaseException:
                cur.execute("ROLLBACK")
                raise
            cur.execute("COMMIT")

    # -- SQL -------------------------------------------------------------------------------
    def query(self, statement: str, params: Params = ()) -> list[dict[str, Any]]:
        with map_exceptions(_ERRORS):
            cur = self._cursor().execute(statement, list(params))
            names = [d[0].lower() for d in cur.description or []]
            return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]

    def execute(self, statement: str, params: Params = ()) -> None:
        with self._write_lock, map_exceptions(_ERRORS):
            self._cursor().execute(statement, list(params))

    def iter_batches(
        self, statement: str, params: Params = (), *, batch_size: int = 65_536
    ) -> Iterator[pa.RecordBatch]:
        # A dedicated cursor: the reader stays open while the caller writes elsewhere.
        cur = self._conn.cursor()
        try:
            with map_exceptions(_ERRORS):
                reader: pa.RecordBatchReader = _relation(cur, statement, params).to_arrow_reader(
                    batch_size
                )
                yield from reader
        finally:
            cur.close()

    def _empty_result(self, statement: str, params: Params) -> pa.Table:
        with map_exceptions(_ERRORS):
            return _relation(self._conn.cursor(), statement, params).to_arrow_table()

    # -- tables ----------------------------------------------------------------------------
    def ensure_schema(self, ref: TableRef) -> None:
        if ref.database:
            self._attach(ref.database, create=True)
        if ref.schema:
            with self._write_lock, map_exceptions(_ERRORS):
                qualified = ".".join(quote_ident(p) for p in (ref.database, ref.schema) if p)
                self._cursor().execute(f"CREATE SCHEMA IF NOT EXISTS {qualified}")

    def _attach(self, database: str, *, create: bool) -> bool:
        """Attach ``<home>/<database>.duckdb``; without ``create`` only an existing file.

        Returns whether the database is attached now.
        """
        db = database.lower()
        if db == self._main_catalog.lower() or db in self._attached:
            return True  # without the writer lock: a read must not wait for a long load
        self.check_database(db)
        with self._write_lock, map_exceptions(_ERRORS):
            if db in self._attached:
                return True
            target = self.home / f"{db}.duckdb"
            # The configured default database is the operator's choice: it may be created.
            if not create and db != self.default_database and not target.exists():
                return False
            if len(self._attached) >= self.max_attached:
                raise too_many(database, len(self._attached))
            self._cursor().execute(f"ATTACH IF NOT EXISTS ? AS {quote_ident(db)}", [str(target)])
            self._attached.add(db)
            return True

    def check_database(self, name: str) -> None:
        if name.lower() in RESERVED_DATABASES and name.lower() != self._main_catalog.lower():
            raise reserved(name)

    def _require_database(self, database: str) -> None:
        if not self._attach(database, create=False):
            raise missing(database)

    def staging_tables(self) -> list[TableRef]:
        # A crash may have left staging tables in any database file, attached yet or not.
        for path in sorted(self.home.glob("*.duckdb")):
            name = path.stem.lower()
            if IDENT_PATTERN.match(name) and name not in RESERVED_DATABASES:
                with suppress(Conflict):  # over the limit: those wait for a later sweep
                    self._attach(name, create=False)
        return super().staging_tables()

    def _catalog_filter(self, ref: TableRef) -> list[str]:
        return [ref.database or self.default_database, ref.schema or self.default_schema, ref.name]

    def table_exists(self, ref: TableRef) -> bool:
        if ref.database and not self._attach(ref.database, create=False):
            return False
        rows = self.query(
            "SELECT 1 FROM information_schema.tables WHERE lower(table_catalog) = ? "
            "AND lower(table_schema) = ? AND lower(table_name) = ?",
            self._catalog_filter(ref),
        )
        return bool(rows)

    def columns(self, ref: TableRef) -> list[Column]:
        if ref.database:
            self._require_database(ref.database)
        rows = self.query(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE lower(table_catalog) = ? AND lower(table_schema) = ? AND lower(table_name) = ? "
            "ORDER BY ordinal_position",
            self._catalog_filter(ref),
        )
        if not rows:
            raise NotFound(
                f"Table {ref} does not exist.",
                hint="GET /data/tables lists a schema's tables; POST /data/upload adds one.",
            )
        return [Column(name=r["column_name"].lower(), type=r["data_type"]) for r in rows]

    def list_tables(self, *, database: str | None, schema: str | None) -> list[TableInfo]:
        db = self.fold(database or self.default_database)
        sch = self.fold(schema or self.default_schema)
        self._require_database(db)  # a read creates nothing, not even an empty schema
        names = self.query(
            "SELECT table_name FROM information_schema.tables WHERE lower(table_catalog) = ? "
            "AND lower(table_schema) = ? ORDER BY table_name",
            [db, sch],
        )
        out = []
        for row in names:
            name = str(row["table_name"])
            if name.startswith(STAGING_PREFIX):
                continue
            ref = TableRef(name=name, schema=sch, database=db)
            cols = [c.name for c in self.columns(ref)]
            out.append(TableInfo(name=name, rows=self.row_count(ref), columns=cols))
        return out

    def write_batches(
        self, ref: TableRef, batches: Iterable[pa.RecordBatch], *, schema: pa.Schema
    ) -> int:
        target = qualified(ref)
        view = f"__arrow_{uuid.uuid4().hex[:8]}"
        rows = 0
        with self._write_lock, map_exceptions(_ERRORS):
            cur = self._cursor()
            cur.register(view, pa.Table.from_batches([], schema=schema))
            cur.execute(f"CREATE OR REPLACE TABLE {target} AS SELECT * FROM {view}")
            cur.unregister(view)
            for batch in batches:
                cur.register(view, pa.Table.from_batches([batch]))
                cur.execute(f"INSERT INTO {target} SELECT * FROM {view}")
                cur.unregister(view)
                rows += batch.num_rows
        return rows

    def publish(self, pairs: Sequence[tuple[TableRef, TableRef]]) -> None:
        with self.transaction() as cur:
            for staging, final in pairs:
                cur.execute(f"DROP TABLE IF EXISTS {qualified(final)}")
                cur.execute(f"ALTER TABLE {qualified(staging)} RENAME TO {quote_ident(final.name)}")

    def load_file(self, spec: LoadSpec) -> LoadResult:
        try:
            with self._write_lock, map_exceptions(_LOAD_ERRORS, context="loading the file"):
                return load_file(self._cursor(), spec, max_line_bytes=MAX_LINE_BYTES)
        except BinnrError as exc:
            # DuckDB names the temporary file by its server path; users know it as "the file".
            for path in (str(spec.path.resolve()), str(spec.path)):
                for form in (f'file "{path}"', f'"{path}"', path):
                    exc.message = exc.message.replace(form, "the file")
            exc.args = (exc.message,)
            raise

    def close(self) -> None:
        # A job thread may still be inside a statement at shutdown; its work is marked
        # interrupted at the next start, so closing must not fail the shutdown.
        with suppress(duckdb.Error):
            self._conn.close()


def _relation(cur: duckdb.DuckDBPyConnection, statement: str, params: Params) -> Any:
    """The query as a relation: read into Arrow without the extra copy of every row that a
    cursor's result makes (DuckDB warns; measured 0.11 → 0.08 s for 2M rows)."""
    relation = cur.sql(statement, params=list(params))
    if relation is None:  # pragma: no cover - binnr reads with SELECT statements only
        raise InvalidInput(
            "The statement returns no rows to read.", hint="Read with a SELECT statement."
        )
    return relation
