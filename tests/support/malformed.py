"""A corpus of malformed and unusual upload files with the outcome each must have.

Each :class:`Case` ends in exactly one of: a full load whose loaded + rejected rows equal the
file's records (``records``), a failed job whose message names the problem (``fails``), or an
HTTP refusal at submit time (``status``). ``tests/e2e/test_malformed_http.py`` runs them all and
prints the table ``kind → outcome``.
"""

from __future__ import annotations

import gzip
import io
import json
import random
import zipfile
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Case:
    """One file kind, its bytes and what binnr must answer."""

    kind: str
    data: bytes
    filename: str = "data.csv"
    fields: dict[str, str] = field(default_factory=dict)
    records: int | None = None  # a load: loaded + rejected must equal this
    fails: str | None = None  # the error's message contains this (a failed job, or with status)
    status: int | None = None  # refused at submit with this status
    columns: tuple[str, ...] | None = None  # a load: the table's columns
    format: str = "csv"

    def expected(self) -> str:
        if self.status is not None:
            return f"HTTP {self.status}: {self.fails!r}"
        if self.fails is not None:
            return f"failed job: {self.fails!r}"
        return f"loaded + rejected = {self.records}"


def _rows(n: int, *, sep: str = ",") -> str:
    return "".join(f"{i}{sep}text {i}\n" for i in range(1, n + 1))


def _unterminated_10k() -> bytes:
    lines = ["a,b", *(f"{i},text {i}" for i in range(1, 10_001))]
    lines[6] = '6,"unterminated start'
    return ("\n".join(lines) + "\n").encode()


def _xlsx() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("xl/workbook.xml", "<workbook/>")
    return buf.getvalue()


def _random(n: int, seed: int = 11) -> bytes:
    return random.Random(seed).randbytes(n)


def _late_mixed_endings() -> bytes:
    # Past the 64 KB sample only the CSV reader sees the switch from \n to \r\n.
    return b"a,b\n" + _rows(8000).encode() + _rows(10).replace("\n", "\r\n").encode()


def _parquet() -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq

    buf = io.BytesIO()
    pq.write_table(pa.table({"a": [1, 2, 3], "b": ["x", "y", "z"]}), buf)
    return buf.getvalue()


PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
LONG_FIELD = "x" * 20_000

CORPUS: tuple[Case, ...] = (
    Case("utf8_bom", b"\xef\xbb\xbfName,Text\na,b\nc,d\n", records=2, columns=("name", "text")),
    Case("ragged_rows", b"a,b,c\n1,2,3\n1,2\n1,2,3,4\n5,6,7\n", records=4),
    Case("invalid_utf8_bytes", b"a,b\n1,caf\xe9\n2,ok\n3,\xff\xfe\n", records=3),
    Case("unterminated_quote_mid", b'a,b\n1,x\n2,"open\n3,y\n4,z\n', fails="Line 3 opens a quoted"),
    Case("unterminated_quote_last", b'a,b\n1,x\n2,"open\n', fails="Line 3 opens a quoted"),
    Case("unterminated_quote_10k_rows", _unterminated_10k(), fails="Line 7 opens a quoted"),
    Case("duplicate_blank_headers", b"x,X, ,x,\n1,2,3,4,5\n", records=1),
    Case("quoted_newlines", b'a,b\n1,"line1\nline2"\n2,"say ""hi"""\n', records=2),
    Case("crlf_no_final_newline", b"a,b\r\n1,2\r\n3,4", records=2),
    Case("blank_lines", b"a,b\n1,2\n\n3,4\n", records=2),
    Case("mixed_line_endings", b"a,b\r\n1,2\n3,4\r\n5,6\n7,8\r9,10\n", records=5),
    Case("mixed_line_endings_after_64kb", _late_mixed_endings(), fails="line endings"),
    Case(
        "excel_semicolon_bom_crlf",
        '\ufeffName;Text\r\nA;x, y\r\nB;"q;r"\r\n'.encode(),
        records=2,
        columns=("name", "text"),
    ),
    Case("parquet_named_csv", _parquet(), records=3, columns=("a", "b"), format="parquet"),
    Case("semicolon_delimited", b"a;b;c\n1;2;3\n4;5,5;6\n", records=2, columns=("a", "b", "c")),
    Case("tab_delimited", b"a\tb\tc\n1\t2\t3\n4\t5\t6\n", records=2, columns=("a", "b", "c")),
    Case("pipe_delimited", b"a|b|c\n1|2|3\n4|5|6\n", records=2, columns=("a", "b", "c")),
    Case(
        "utf16_le_bom",
        "a,b\nfoo,bär\n".encode("utf-16"),
        records=1,
        columns=("a", "b"),
    ),
    Case("utf16_be_bom", b"\xfe\xff" + "a,b\nfoo,bär\n".encode("utf-16-be"), records=1),
    Case("utf16_le_no_bom", "a,b\nfoo,bar\n".encode("utf-16-le"), records=1, columns=("a", "b")),
    Case(
        "latin1_declared",
        "a,b\n1,café\n".encode("latin-1"),
        fields={"encoding": "latin-1"},
        records=1,
    ),
    Case(
        "cp1252_declared",
        "a,b\n1,5 €\n".encode("cp1252"),
        fields={"encoding": "windows-1252"},
        records=1,
    ),
    Case(
        "cp1252_undecodable",
        b"a,b\n1,\x81\n",
        fields={"encoding": "cp1252"},
        fails="not valid cp1252",
    ),
    Case("unknown_encoding_field", b"a\n1\n", fields={"encoding": "klingon"}, status=422),
    Case("png_named_csv", PNG + _random(200), status=422, fails="PNG image"),
    Case("pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", status=422, fails="PDF document"),
    Case("xlsx_named_csv", _xlsx(), status=422, fails="ZIP archive"),
    Case("random_bytes", _random(4096), status=422, fails="binary"),
    Case(
        "random_gzip",
        gzip.compress(_random(4096)),
        filename="data.csv.gz",
        status=422,
        fails="binary",
    ),
    Case(
        "truncated_gzip",
        gzip.compress(b"a,b\n" + _rows(5000).encode())[:300],
        filename="data.csv.gz",
        status=422,
        fails="cannot be decompressed",
    ),
    Case("csv_gzip", gzip.compress(b"a,b\n" + _rows(50).encode()), filename="d.csv.gz", records=50),
    Case(
        "jsonl_named_csv",
        b'{"a": 1, "b": "x"}\n{"a": 2, "b": "y"}\n',
        records=2,
        columns=("a", "b"),
        format="jsonl",
    ),
    Case(
        "jsonl_bad_line_after_1000",
        b'{"a": 1}\n' * 1200 + b"nope\n",
        filename="data.jsonl",
        fails="loading the file",
    ),
    Case("json_array", json.dumps([{"a": 1}, {"a": 2}]).encode(), status=422, fails="JSON Lines"),
    Case(
        "header_field_over_128kb", ("a," + "h" * 140_000 + "\n1,2\n").encode(), fails="header row"
    ),
    Case("rejected_line_over_10k_chars", f"a,b\n1,2\n3,{LONG_FIELD},extra\n".encode(), records=2),
    Case("every_row_rejected", b"a,b,c\n1,2\n3,4\n5,6\n", fails="Every one of the 3 data rows"),
    Case("empty", b"", fails="empty"),
    Case("header_only", b"a,b\n", fails="no data rows"),
    Case("blank_lines_only", b"\n\n", fails="no header"),
    Case("corrupt_parquet", b"this is not parquet", filename="x.parquet", fails="Parquet"),
)
