"""Getting data into Snowflake: Arrow batches via ``write_pandas``, files via stage or locally.

* :func:`write_batches` creates the table itself (quoted lowercase columns, Snowflake types from
  the Arrow schema) and appends with ``snowflake.connector.pandas_tools.write_pandas``: Parquet
  chunks PUT to a temporary stage and one ``COPY INTO`` each — never row-by-row inserts.
* :func:`load_file`, ``load_method == "stage"`` (Snowflake): the original binnr's way for CSV. A
  temporary stage, ``PUT`` of the file, a table of ``VARCHAR`` columns named as
  ``spec.columns`` and ``COPY INTO ... ON_ERROR = CONTINUE``; the rows it skipped are read back
  with ``TABLE(VALIDATE(target, JOB_ID => '<copy query id>'))`` into ``spec.rejects``, so
  loaded + rejected = data rows.
* ``load_method == "local"`` (emulators without ``ON_ERROR = CONTINUE``/``VALIDATE``, and every
  Parquet/JSONL file or ``infer_types`` load): pyarrow parses the file here — strict CSV, each
  invalid row captured by ``invalid_row_handler`` with its line — and :func:`write_batches`
  writes target and rejects.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager
from typing import Any, Protocol

import pyarrow as pa
import pyarrow.csv as pacsv
import snowflake.connector.pandas_tools

from binnr.errors import InvalidInput, WarehouseError
from binnr.prep.files import is_gzip
from binnr.warehouse.base import LoadResult, LoadSpec, Params, sample_error
from binnr.warehouse.names import TableRef
from binnr.warehouse.sql import qualified, quote_ident


class LoadTarget(Protocol):
    """What loading needs of :class:`binnr.backends.snowflake.warehouse.SnowflakeWarehouse`
    (a protocol, so that this module does not import the class that imports it)."""

    @property
    def load_method(self) -> str: ...
    @property
    def write_method(self) -> str: ...
    @property
    def default_database(self) -> str: ...
    @property
    def default_schema(self) -> str: ...

    def fold(self, name: str) -> str: ...
    def connection(self) -> Any: ...
    def cursor(self, *, as_dict: bool = False) -> AbstractContextManager[Any]: ...
    def query(self, statement: str, params: Params = ()) -> list[dict[str, Any]]: ...
    def execute(self, statement: str, params: Params = ()) -> None: ...
    def execute_returning_id(self, statement: str, params: Params = ()) -> str: ...
    def row_count(self, ref: TableRef) -> int: ...


#: Rows per ``write_pandas`` call (each is one or more Parquet files and a COPY).
CHUNK_ROWS = 250_000
REJECTS_SCHEMA = pa.schema([("line", pa.int64()), ("raw", pa.string()), ("reason", pa.string())])
_CSV_FORMAT = (
    "TYPE = CSV SKIP_HEADER = 1 FIELD_DELIMITER = {delimiter} FIELD_OPTIONALLY_ENCLOSED_BY = '\"' "
    "ESCAPE_UNENCLOSED_FIELD = NONE ERROR_ON_COLUMN_COUNT_MISMATCH = TRUE ENCODING = 'UTF8'"
)
#: The delimiters upload sniffs (a closed set), as Snowflake literals.
_DELIMITERS = {",": "','", ";": "';'", "\t": "'\\t'", "|": "'|'"}
_QUERY_ID = re.compile(r"^[0-9a-fA-F-]{8,64}$")


# -- Arrow batches → table ---------------------------------------------------------------------
def snowflake_type(typ: pa.DataType) -> str:
    """The Snowflake column type for an Arrow type (text for anything unusual)."""
    if pa.types.is_boolean(typ):
        return "BOOLEAN"
    if pa.types.is_integer(typ):
        return "NUMBER(38, 0)"
    if pa.types.is_floating(typ):
        return "FLOAT"
    if pa.types.is_decimal(typ):
        return f"NUMBER({min(typ.precision, 38)}, {typ.scale})"
    if pa.types.is_timestamp(typ):
        return "TIMESTAMP_TZ" if typ.tz else "TIMESTAMP_NTZ"
    if pa.types.is_date(typ):
        return "DATE"
    if pa.types.is_binary(typ) or pa.types.is_large_binary(typ):
        return "BINARY"
    return "VARCHAR"


def create_table_sql(ref: TableRef, schema: pa.Schema) -> str:
    """``CREATE OR REPLACE TABLE`` with quoted lowercase columns typed from ``schema``."""
    cols = ", ".join(f"{quote_ident(f.name)} {snowflake_type(f.type)}" for f in schema)
    return f"CREATE OR REPLACE TABLE {qualified(ref)} ({cols})"


def write_batches(
    wh: LoadTarget, ref: TableRef, batches: Iterable[pa.RecordBatch], *, schema: pa.Schema
) -> int:
    """Create ``ref`` (replacing it) and append ``batches`` in chunks with ``write_pandas``.

    Nested columns (lists such as embeddings, structs) are stored as JSON text: neither the
    bound-INSERT path nor ``write_pandas`` carries Arrow lists into Snowflake ARRAY columns.
    """
    wh.execute(create_table_sql(ref, schema))
    rows = 0
    for chunk in _chunks(batches, schema):
        chunk = _nested_as_json(chunk)
        _write_chunk(wh, ref, chunk)
        rows += chunk.num_rows
    return rows


def _chunks(batches: Iterable[pa.RecordBatch], schema: pa.Schema) -> Iterator[pa.Table]:
    pending: list[pa.RecordBatch] = []
    size = 0
    for batch in batches:
        if batch.num_rows:
            pending.append(batch)
            size += batch.num_rows
        if size >= CHUNK_ROWS:
            yield pa.Table.from_batches(pending, schema=schema)
            pending, size = [], 0
    if pending:
        yield pa.Table.from_batches(pending, schema=schema)


def _nested_as_json(chunk: pa.Table) -> pa.Table:
    for i, field in enumerate(chunk.schema):
        if pa.types.is_nested(field.type):
            values = [None if v is None else json.dumps(v) for v in chunk.column(i).to_pylist()]
            chunk = chunk.set_column(
                i, pa.field(field.name, pa.string()), pa.array(values, pa.string())
            )
    return chunk


def _write_chunk(wh: LoadTarget, ref: TableRef, chunk: pa.Table) -> None:
    if wh.write_method == "bind":
        _bind_chunk(wh, ref, chunk)
        return
    # Looked up at call time (not imported by name) so test doubles of write_pandas apply.
    write_pandas: Any = snowflake.connector.pandas_tools.write_pandas
    ok, _, _, output = write_pandas(
        wh.connection(),
        _to_pandas(chunk),
        ref.name,
        database=ref.database or wh.default_database,
        schema=ref.schema or wh.default_schema,
        quote_identifiers=True,
        auto_create_table=False,
        use_logical_type=True,
    )
    if not ok:
        raise WarehouseError(f"writing {ref.name} failed: {str(output)[:300]}")


def _bind_chunk(wh: LoadTarget, ref: TableRef, chunk: pa.Table) -> None:
    """One ``INSERT`` with array-bound rows (``executemany``), for engines without PUT."""
    cols = ", ".join(quote_ident(c) for c in chunk.column_names)
    marks = ", ".join("?" for _ in chunk.column_names)
    rows = list(zip(*(col.to_pylist() for col in chunk.columns), strict=True))
    with wh.cursor() as cur:
        cur.executemany(f"INSERT INTO {qualified(ref)} ({cols}) VALUES ({marks})", rows)


def _to_pandas(chunk: pa.Table) -> Any:
    """A DataFrame keeping integer columns with NULLs as nullable integers (not floats)."""
    import pandas as pd

    mapping = {
        pa.int8(): pd.Int8Dtype(),
        pa.int16(): pd.Int16Dtype(),
        pa.int32(): pd.Int32Dtype(),
        pa.int64(): pd.Int64Dtype(),
        pa.bool_(): pd.BooleanDtype(),
    }
    return chunk.to_pandas(types_mapper=mapping.get)


# -- files -------------------------------------------------------------------------------------
def load_file(wh: LoadTarget, spec: LoadSpec) -> LoadResult:
    """Create ``spec.target`` and ``spec.rejects`` from the file (see the module docstring)."""
    if spec.format == "csv" and not spec.infer_types and wh.load_method == "stage":
        return _stage_csv(wh, spec)
    return _local(wh, spec)


def _stage_csv(wh: LoadTarget, spec: LoadSpec) -> LoadResult:
    """Temporary stage + PUT + COPY INTO (ON_ERROR = CONTINUE) + VALIDATE for the rejects."""
    location = spec.target.with_name(wh.fold(f"BINNR_LOAD_{uuid.uuid4().hex[:12]}"))
    stage = "@" + qualified(location)
    uri = "file://" + spec.path.resolve().as_posix()
    wh.execute(f"CREATE TEMPORARY STAGE {qualified(location)}")
    try:
        wh.execute(f"PUT {_literal(uri)} {stage} AUTO_COMPRESS = TRUE OVERWRITE = TRUE")
        wh.execute(create_table_sql(spec.target, _text_schema(spec.columns)))
        csv_format = _CSV_FORMAT.format(delimiter=_DELIMITERS[spec.delimiter])
        query_id = wh.execute_returning_id(
            f"COPY INTO {qualified(spec.target)} FROM {stage} FILE_FORMAT = ({csv_format}) "
            "ON_ERROR = CONTINUE PURGE = TRUE"
        )
        if not _QUERY_ID.match(query_id):
            raise WarehouseError(f"unexpected query id {query_id[:80]!r} from COPY INTO")
        wh.execute(create_table_sql(spec.rejects, REJECTS_SCHEMA))
        wh.execute(
            f"INSERT INTO {qualified(spec.rejects)} SELECT line, MIN(rejected_record), "
            "LISTAGG(DISTINCT error, '; ') FROM TABLE(VALIDATE("
            f"{qualified(spec.target)}, JOB_ID => '{query_id}')) GROUP BY line"
        )
    finally:
        wh.execute(f"DROP STAGE IF EXISTS {qualified(location)}")
    return _result(wh, spec)


def _literal(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _result(wh: LoadTarget, spec: LoadSpec) -> LoadResult:
    samples = wh.query(
        f'SELECT "line", "reason", "raw" FROM {qualified(spec.rejects)} ORDER BY "line" LIMIT 5'
    )
    return LoadResult(
        rows_loaded=wh.row_count(spec.target),
        rows_rejected=wh.row_count(spec.rejects),
        sample_errors=[
            sample_error(int(r["line"]), str(r["reason"]), str(r["raw"])) for r in samples
        ],
    )


def _text_schema(columns: list[str]) -> pa.Schema:
    return pa.schema([(c, pa.string()) for c in columns])


def _local(wh: LoadTarget, spec: LoadSpec) -> LoadResult:
    """Parse the file with pyarrow here and write target and rejects with write_batches."""
    rejects: list[dict[str, Any]] = []
    reader = _csv_reader(spec, rejects) if spec.format == "csv" else _other_reader(spec)
    try:
        loaded = write_batches(wh, spec.target, reader, schema=reader.schema)
    except pa.ArrowInvalid as exc:
        raise InvalidInput(
            f"The file could not be read: {str(exc)[:300]}",
            hint="Upload without infer_types to keep every column as text.",
        ) from exc
    rejects.sort(key=lambda r: r["line"] or 0)
    write_batches(wh, spec.rejects, [pa.RecordBatch.from_pylist(rejects, REJECTS_SCHEMA)],
                  schema=REJECTS_SCHEMA)  # fmt: skip
    return LoadResult(
        rows_loaded=loaded,
        rows_rejected=len(rejects),
        sample_errors=[
            sample_error(int(r["line"] or 0), r["reason"], r["raw"]) for r in rejects[:5]
        ],
    )


def _csv_reader(spec: LoadSpec, rejects: list[dict[str, Any]]) -> pa.RecordBatchReader:
    """A strict streaming CSV reader; rows with the wrong number of fields go to ``rejects``."""

    def invalid(row: Any) -> str:
        rejects.append(
            {
                "line": row.number,
                "raw": row.text,
                "reason": f"expected {row.expected_columns} fields, found {row.actual_columns}",
            }
        )
        return "skip"

    types = None if spec.infer_types else {c: pa.string() for c in spec.columns}
    source: Any = str(spec.path)
    if is_gzip(spec.path):
        source = pa.CompressedInputStream(pa.OSFile(str(spec.path)), "gzip")
    reader: pa.RecordBatchReader = pacsv.open_csv(
        source,
        read_options=pacsv.ReadOptions(column_names=spec.columns, skip_rows=1, use_threads=False),
        parse_options=pacsv.ParseOptions(
            delimiter=spec.delimiter, newlines_in_values=True, invalid_row_handler=invalid
        ),
        convert_options=pacsv.ConvertOptions(column_types=types, strings_can_be_null=True),
    )
    return reader


def _other_reader(spec: LoadSpec) -> pa.RecordBatchReader:
    """Parquet or JSON lines, renamed to ``spec.columns`` and text unless ``infer_types``."""
    if spec.format == "parquet":
        import pyarrow.parquet as pq

        table = pq.read_table(spec.path, columns=spec.source_columns)
    else:
        import pyarrow.json as pajson

        table = pajson.read_json(spec.path).select(spec.source_columns)
    table = table.rename_columns(spec.columns)
    if not spec.infer_types:
        table = table.cast(_text_schema(spec.columns))
    return pa.RecordBatchReader.from_batches(table.schema, table.to_batches())
