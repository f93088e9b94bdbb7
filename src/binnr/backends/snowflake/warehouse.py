"""Snowflake, for scale: the original binnr's warehouse, through snowflake-connector-python.

Names. Table, schema and database names fold to UPPER case (Snowflake's own folding of
unquoted names) and are always quoted, so ``reviews`` is ``"BINNR"."PUBLIC"."REVIEWS"``.
Column names stay lowercase and quoted, as binnr stores them (``"text"``, ``"source"``), so a
column is written ``"text"`` in SQL typed by hand in Snowflake.

Connections. The connector's connection must not run cursors from several threads at once, so
every thread (request handler or job worker) gets its own connection and session, opened on
first use and closed by :meth:`SnowflakeWarehouse.close`; no lock serialises statements. The
session's warehouse and role come from ``SNOWFLAKE_CONFIG`` and can be switched per thread with
:meth:`SnowflakeWarehouse.use_context`. Values always bind server-side (``paramstyle="qmark"``).

Capabilities that differ between Snowflake and its emulators are data, read once from
``SNOWFLAKE_CONFIG`` (keys starting with ``binnr_``, removed before connecting):

* ``binnr_load`` — ``"stage"`` (default: temporary stage, PUT, ``COPY INTO ... ON_ERROR =
  'CONTINUE'`` and ``VALIDATE`` for rejected rows) or ``"local"`` (parse with pyarrow here and
  write with :meth:`write_batches`); see :mod:`binnr.backends.snowflake.load`.
* ``binnr_swap`` — ``true`` (default: ``ALTER TABLE ... SWAP WITH``) or ``false`` (emulated with
  renames, for engines without SWAP such as fakesnow).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import replace
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import pyarrow as pa
import snowflake.connector
import snowflake.connector.errors
from snowflake.connector.cursor import DictCursor

from binnr.backends.snowflake.load import load_file, write_batches
from binnr.errors import ConfigError, NotFound, WarehouseError, map_exceptions
from binnr.settings import Settings, SnowflakeConfig
from binnr.warehouse.base import Column, LoadResult, LoadSpec, Params, TableInfo, Warehouse
from binnr.warehouse.names import TableRef, ident
from binnr.warehouse.sql import qualified, quote_ident

if TYPE_CHECKING:
    from snowflake.connector import SnowflakeConnection
    from snowflake.connector.cursor import SnowflakeCursor

_ERRORS: dict[type[BaseException], type[WarehouseError]] = {
    snowflake.connector.errors.Error: WarehouseError
}
#: Snowflake's "object does not exist or not authorized" error number.
_NOT_FOUND_ERRNO = 2003
LoadMethod = Literal["stage", "local"]
WriteMethod = Literal["write_pandas", "bind"]


@contextmanager
def translate(context: str = "") -> Iterator[None]:
    """Driver errors → :class:`NotFound` (missing object) or :class:`WarehouseError`."""
    try:
        with map_exceptions(_ERRORS, context=context):
            yield
    except WarehouseError as exc:
        cause = exc.__cause__
        if isinstance(cause, snowflake.connector.errors.ProgrammingError) and (
            cause.errno == _NOT_FOUND_ERRNO or "does not exist" in str(cause)
        ):
            raise NotFound(
                exc.message,
                hint="GET /data/tables lists a schema's tables; POST /data/upload adds one.",
            ) from cause
        raise


class SnowflakeWarehouse(Warehouse):
    """Warehouse on Snowflake (or an emulator speaking its protocol, such as fakesnow).

    Table, schema and database names are upper case and always quoted; column names are
    lowercase and quoted, as binnr stores them. Each thread has its own connection.
    """

    name: ClassVar[str] = "snowflake"
    dialect: ClassVar[str] = "snowflake"
    identifier_case: ClassVar[Literal["lower", "upper"]] = "upper"
    uses_warehouse_and_role: ClassVar[bool] = True
    has_cortex: ClassVar[bool] = True
    has_native_classification: ClassVar[bool] = True
    #: Defaults of the capabilities that ``SNOWFLAKE_CONFIG``'s ``binnr_*`` keys can change.
    LOAD_METHOD: ClassVar[LoadMethod] = "stage"
    SWAP: ClassVar[bool] = True
    WRITE_METHOD: ClassVar[WriteMethod] = "write_pandas"

    def __init__(
        self,
        config: SnowflakeConfig,
        *,
        database: str | None = None,
        schema: str | None = None,
    ) -> None:
        kwargs = config.connect_kwargs()
        options = {k: kwargs.pop(k) for k in list(kwargs) if k.startswith("binnr_")}
        self._connect_kwargs = kwargs
        self.load_method: LoadMethod = _load_method(options.get("binnr_load", self.LOAD_METHOD))
        self.swap: bool = bool(options.get("binnr_swap", self.SWAP))
        write = options.get("binnr_write", self.WRITE_METHOD)
        self.write_method: WriteMethod = "bind" if write == "bind" else "write_pandas"
        db = database or config.database
        if not db:
            raise ConfigError(
                "No Snowflake database is configured.",
                hint='Add "database" to SNOWFLAKE_CONFIG or set BINNR_DATABASE.',
            )
        self.default_database = self.fold(db)
        self.default_schema = self.fold(schema or config.schema_ or "PUBLIC")
        self._local = threading.local()
        self._conns: list[SnowflakeConnection] = []
        self._conns_lock = threading.Lock()
        self.connection()  # fail at start-up, not in the first job

    @classmethod
    def from_settings(cls, settings: Settings) -> SnowflakeWarehouse:
        if settings.snowflake_config is None:
            raise ConfigError(
                "BINNR_WAREHOUSE is snowflake but SNOWFLAKE_CONFIG is not set.",
                hint="Set SNOWFLAKE_CONFIG to the JSON object of connection settings.",
            )
        return cls(settings.snowflake_config, database=settings.database, schema=settings.schema_)

    # -- connections -----------------------------------------------------------------------
    def connection(self) -> SnowflakeConnection:
        """This thread's connection (opened on first use)."""
        conn: SnowflakeConnection | None = getattr(self._local, "conn", None)
        if conn is None:
            with translate("connecting to Snowflake"):
                conn = snowflake.connector.connect(**self._connect_kwargs, paramstyle="qmark")
            self._local.conn = conn
            with self._conns_lock:
                self._conns.append(conn)
        return conn

    def cursor(self, *, as_dict: bool = False) -> SnowflakeCursor | DictCursor:
        """A new cursor on this thread's connection."""
        conn = self.connection()
        return conn.cursor(DictCursor) if as_dict else conn.cursor()

    def use_context(self, *, warehouse: str | None = None, role: str | None = None) -> None:
        """Switch this thread's session to another (validated, quoted) warehouse and/or role."""
        if role:
            self.execute(f"USE ROLE {quote_ident(ident(role, field='role'))}")
        if warehouse:
            self.execute(f"USE WAREHOUSE {quote_ident(ident(warehouse, field='warehouse'))}")

    # -- names -----------------------------------------------------------------------------
    def canonical(self, ref: TableRef) -> TableRef:
        """``ref`` with every part upper case and defaults filled in.

        Derived names (``ref.derived(suffix="_source_target")``) are not folded by
        :class:`TableRef`; folding here keeps one spelling of every table in Snowflake.
        """
        return TableRef(
            name=self.fold(ref.name),
            schema=self.fold(ref.schema or self.default_schema),
            database=self.fold(ref.database or self.default_database),
        )

    def render(self, statement: str, **idents: TableRef | str | Sequence[str]) -> str:
        """Render a template with every table reference in its canonical (upper) case."""
        fixed = {k: self.canonical(v) if isinstance(v, TableRef) else v for k, v in idents.items()}
        return super().render(statement, **fixed)

    # -- SQL -------------------------------------------------------------------------------
    def query(self, statement: str, params: Params = ()) -> list[dict[str, Any]]:
        with translate(), self.cursor(as_dict=True) as cur:
            cur.execute(statement, list(params) or None)
            rows: list[dict[str, Any]] = cur.fetchall()  # type: ignore[assignment]
            return [{str(k).lower(): v for k, v in row.items()} for row in rows]

    def execute(self, statement: str, params: Params = ()) -> None:
        with translate(), self.cursor() as cur:
            cur.execute(statement, list(params) or None)

    def execute_returning_id(self, statement: str, params: Params = ()) -> str:
        """Run a statement and return its query id (for ``VALIDATE(..., JOB_ID => ?)``)."""
        with translate(), self.cursor() as cur:
            cur.execute(statement, list(params) or None)
            return str(cur.sfqid)

    def iter_batches(
        self, statement: str, params: Params = (), *, batch_size: int = 65_536
    ) -> Iterator[pa.RecordBatch]:
        cur = self.cursor()
        try:
            with translate():
                cur.execute(statement, list(params) or None)
                if hasattr(cur, "fetch_arrow_batches"):
                    # the connector's Arrow result chunks, re-cut to ``batch_size`` rows
                    for table in cur.fetch_arrow_batches():
                        yield from table.to_batches(max_chunksize=batch_size)
                else:  # a cursor without Arrow fetches (fakesnow's patch mode)
                    yield from _row_batches(cur, batch_size)
        finally:
            cur.close()

    def _empty_result(self, statement: str, params: Params) -> pa.Table:
        with translate(), self.cursor() as cur:
            cur.execute(statement, list(params) or None)
            if hasattr(cur, "fetch_arrow_all"):
                table: pa.Table = cur.fetch_arrow_all(force_return_table=True)  # type: ignore[assignment]
                return table
            return pa.Table.from_batches([], schema=_description_schema(cur))

    # -- tables ----------------------------------------------------------------------------
    def ensure_schema(self, ref: TableRef) -> None:
        """Create the schema if missing; databases are the administrator's to create."""
        ref = self.canonical(ref)
        assert ref.database and ref.schema
        self.execute(
            f"CREATE SCHEMA IF NOT EXISTS {quote_ident(ref.database)}.{quote_ident(ref.schema)}"
        )

    def _info_schema(self, database: str | None, view: str) -> str:
        return f"{quote_ident(database or self.default_database)}.INFORMATION_SCHEMA.{view}"

    def table_exists(self, ref: TableRef) -> bool:
        ref = self.canonical(ref)
        rows = self.query(
            f"SELECT 1 AS found FROM {self._info_schema(ref.database, 'TABLES')} "
            "WHERE table_schema = ? AND table_name = ?",
            [ref.schema or self.default_schema, ref.name],
        )
        return bool(rows)

    def columns(self, ref: TableRef) -> list[Column]:
        ref = self.canonical(ref)
        rows = self.query(
            f"SELECT column_name, data_type FROM {self._info_schema(ref.database, 'COLUMNS')} "
            "WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position",
            [ref.schema or self.default_schema, ref.name],
        )
        if not rows:
            raise NotFound(
                f"Table {ref} does not exist.",
                hint="GET /data/tables lists a schema's tables; POST /data/upload adds one.",
            )
        return [Column(name=str(r["column_name"]).lower(), type=str(r["data_type"])) for r in rows]

    def list_tables(self, *, database: str | None, schema: str | None) -> list[TableInfo]:
        db = self.fold(database or self.default_database)
        sch = self.fold(schema or self.default_schema)
        rows = self.query(
            f"SELECT c.table_name, c.column_name FROM {self._info_schema(db, 'COLUMNS')} AS c "
            f"JOIN {self._info_schema(db, 'TABLES')} AS t ON t.table_schema = c.table_schema "
            "AND t.table_name = c.table_name WHERE c.table_schema = ? "
            "AND t.table_type = 'BASE TABLE' ORDER BY c.table_name, c.ordinal_position",
            [sch],
        )
        columns: dict[str, list[str]] = {}
        for row in rows:
            name = str(row["table_name"])
            if not name.upper().startswith("__STG_"):
                columns.setdefault(name, []).append(str(row["column_name"]).lower())
        return [
            TableInfo(name=name, rows=self.row_count(TableRef(name, sch, db)), columns=cols)
            for name, cols in columns.items()
        ]

    def write_batches(
        self, ref: TableRef, batches: Iterable[pa.RecordBatch], *, schema: pa.Schema
    ) -> int:
        with translate(f"writing {ref.name}"):
            return write_batches(self, self.canonical(ref), batches, schema=schema)

    def publish(self, pairs: Sequence[tuple[TableRef, TableRef]]) -> None:
        """Swap each staging table onto its final name, table by table (each swap atomic)."""
        for staging_ref, final_ref in pairs:
            staging, final = self.canonical(staging_ref), self.canonical(final_ref)
            if not self.table_exists(final):
                self.execute(f"ALTER TABLE {qualified(staging)} RENAME TO {qualified(final)}")
            elif self.swap:
                self.execute(f"ALTER TABLE {qualified(staging)} SWAP WITH {qualified(final)}")
                self.drop_table(staging)
            else:
                # No SWAP in this engine (fakesnow): the same end state by renames. Unlike SWAP
                # this is not atomic; a reader may briefly miss the table between the renames.
                old = self.staging(self.derived(final, suffix="_old"))
                self.execute(f"ALTER TABLE {qualified(final)} RENAME TO {qualified(old)}")
                self.execute(f"ALTER TABLE {qualified(staging)} RENAME TO {qualified(final)}")
                self.drop_table(old)

    def load_file(self, spec: LoadSpec) -> LoadResult:
        target, rejects = self.canonical(spec.target), self.canonical(spec.rejects)
        with translate("loading the file"):
            return load_file(self, replace(spec, target=target, rejects=rejects))

    def close(self) -> None:
        with self._conns_lock:
            conns, self._conns = self._conns, []
        for conn in conns:
            # already closed or the session expired: nothing left to release
            with suppress(snowflake.connector.errors.Error):
                conn.close()
        self._local = threading.local()


def _load_method(value: Any) -> LoadMethod:
    if value not in ("stage", "local"):
        raise ConfigError(
            f"SNOWFLAKE_CONFIG binnr_load must be 'stage' or 'local', not {value!r}.",
            hint="Leave it out for Snowflake; 'local' parses files in binnr (for emulators).",
        )
    return "stage" if value == "stage" else "local"


def _row_batches(cur: Any, batch_size: int) -> Iterator[pa.RecordBatch]:
    """Record batches from a cursor that only fetches rows (tuples)."""
    names = [d[0] for d in cur.description]
    while rows := cur.fetchmany(batch_size):
        yield pa.RecordBatch.from_pylist([dict(zip(names, r, strict=True)) for r in rows])


_TYPE_CODES: dict[int, pa.DataType] = {0: pa.int64(), 1: pa.float64(), 13: pa.bool_()}


def _description_schema(cur: Any) -> pa.Schema:
    """An Arrow schema from a cursor's description (FIXED, REAL, BOOLEAN; text otherwise)."""
    fields = []
    for d in cur.description:
        code, scale = d[1], d[5]
        typ = pa.float64() if code == 0 and scale else _TYPE_CODES.get(code, pa.string())
        fields.append(pa.field(d[0], typ))
    return pa.schema(fields)
