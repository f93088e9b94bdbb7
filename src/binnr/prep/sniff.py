"""What an uploaded file really is: format, text encoding and CSV delimiter, by its content.

A file's name is a hint at best (a JSONL export saved as ``.csv``, a PNG renamed by mistake), so
the first bytes decide. Binary files are refused here with a message that names what they look
like, before any reader turns them into a parser error.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import json
import zlib
from dataclasses import dataclass
from pathlib import Path

from binnr.errors import FileProblem, InvalidInput
from binnr.prep.files import FileFormat, is_gzip, upload_suffix

SAMPLE_BYTES = 64 * 1024
DELIMITERS = (",", ";", "\t", "|")
_CONTROL = bytes(b for b in range(32) if b not in b"\t\n\r\f\v\x1b")

#: Leading bytes of common non-tabular files → what to tell the user.
MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"%PDF", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive (an Excel .xlsx workbook is one)"),
    (b"\xd0\xcf\x11\xe0", "an old Office document (.xls / .doc)"),
    (b"SQLite format 3", "an SQLite database"),
    (b"\x7fELF", "a program (ELF)"),
    (b"7z\xbc\xaf", "a 7-Zip archive"),
    (b"BZh", "a bzip2 archive"),
    (b"\xfd7zXZ", "an xz archive"),
    (b"\x28\xb5\x2f\xfd", "a zstd archive"),
)

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)

#: Encodings a user may name in the ``encoding`` form field (codec name → canonical name).
ENCODINGS = {
    "utf-8": "utf-8",
    "utf-16": "utf-16",
    "utf-16-le": "utf-16-le",
    "utf-16-be": "utf-16-be",
    "iso8859-1": "latin-1",
    "cp1252": "cp1252",
}

_HINT = "Upload a CSV, JSONL or Parquet file (Excel: File > Save As > 'CSV UTF-8')."


@dataclass(frozen=True)
class Sniffed:
    """What the upload is: format, source encoding, delimiter and whether it needs rewriting."""

    format: FileFormat
    encoding: str = "utf-8"
    delimiter: str = ","
    mixed_newlines: bool = False

    @property
    def needs_rewrite(self) -> bool:
        """Whether the file must be rewritten as UTF-8 with ``\\n`` line ends before loading."""
        return self.encoding != "utf-8" or self.mixed_newlines


def canonical_encoding(name: str) -> str:
    """The canonical name of an accepted ``encoding`` value; :class:`InvalidInput` otherwise."""
    try:
        codec = codecs.lookup(name.strip()).name
    except LookupError:
        codec = ""
    if codec not in ENCODINGS:
        raise InvalidInput(
            f"encoding {name[:40]!r} is not supported.",
            hint="Use utf-8, utf-16, latin-1 (iso-8859-1) or cp1252 (windows-1252).",
        )
    return ENCODINGS[codec]


def sniff(path: Path, *, encoding: str | None = None) -> Sniffed:
    """Detect format, encoding and delimiter from the file's first bytes."""
    raw = _head(path)
    if raw[:4] == b"PAR1" or upload_suffix(path.name) in (".parquet", ".pq"):
        return Sniffed(format="parquet")
    _refuse_binary_magic(raw)
    enc = canonical_encoding(encoding) if encoding else _detect_encoding(raw)
    text = _decode_sample(raw, enc)
    stripped = text.lstrip()
    if stripped.startswith("[") and stripped[1:].lstrip()[:1] in ("{", "[", "]"):
        raise FileProblem(
            "The file is a JSON array; binnr reads JSON Lines (one object per line).",
            hint="Write one JSON object per line (jq -c '.[]' file.json > file.jsonl).",
        )
    if stripped.startswith("{") and _first_line_is_object(stripped):
        return Sniffed(format="jsonl", encoding=enc)
    return Sniffed(
        format="csv",
        encoding=enc,
        delimiter=sniff_delimiter(text),
        mixed_newlines=_mixed_newlines(text),
    )


def _head(path: Path) -> bytes:
    """The first bytes, decompressed when the file is gzip."""
    if not is_gzip(path):
        with path.open("rb") as fh:
            return fh.read(SAMPLE_BYTES)
    try:
        with gzip.open(path, "rb") as gz:
            return gz.read(SAMPLE_BYTES)
    except (OSError, EOFError, zlib.error) as exc:
        raise FileProblem(
            f"The file starts like a gzip archive but cannot be decompressed ({str(exc)[:120]}).",
            hint="Upload the complete .gz file again, or upload the file uncompressed.",
        ) from exc


def _refuse_binary_magic(raw: bytes) -> None:
    for magic, what in MAGIC:
        if raw.startswith(magic):
            raise FileProblem(f"The file is {what}, not a table.", hint=_HINT)


def _detect_encoding(raw: bytes) -> str:
    for bom, name in _BOMS:
        if raw.startswith(bom):
            return name
    nuls = raw.count(0)
    if raw and nuls / len(raw) > 0.3:
        # ASCII text in UTF-16 without a BOM: every other byte is NUL.
        odd = raw[1::2].count(0)
        if odd / nuls > 0.9:
            return "utf-16-le"
        if (nuls - odd) / nuls > 0.9:
            return "utf-16-be"
    # Text has next to no control bytes; random or compressed data has about 11 % of them.
    control = sum(raw.count(bytes([b])) for b in _CONTROL)
    if raw and (nuls / len(raw) > 0.01 or control / len(raw) > 0.05):
        raise FileProblem(
            "The file is binary (it contains NUL or control bytes), not a text table.",
            hint=_HINT + " If it is UTF-16 text, send the form field encoding=utf-16.",
        )
    return "utf-8"


def _decode_sample(raw: bytes, encoding: str) -> str:
    if encoding.startswith("utf-16") and len(raw) % 2:
        raw = raw[:-1]  # the sample may end mid-character
    decoder = codecs.getincrementaldecoder("utf-8-sig" if encoding == "utf-8" else encoding)
    return decoder(errors="replace").decode(raw, final=False)


def _first_line_is_object(text: str) -> bool:
    line = text.split("\n", 1)[0].strip()
    try:
        return isinstance(json.loads(line), dict)
    except json.JSONDecodeError:
        return False


def _complete_lines(text: str, limit: int = 50) -> str:
    # The sample may end mid-line; a cut last line would count as ragged.
    cut = text.rfind("\n")
    body = text[: cut + 1] if 0 <= cut < len(text) - 1 else text
    return "".join(body.splitlines(keepends=True)[:limit])


def sniff_delimiter(text: str) -> str:
    """The delimiter (``,``, ``;``, tab or ``|``) that splits the sample most consistently.

    Each candidate must give the header at least two fields; among those the one whose rows
    match the header's width most often wins, ties going to the earlier candidate (comma first).
    """
    sample = _complete_lines(text)
    best, best_score = ",", -1.0
    for delimiter in DELIMITERS:
        try:
            rows = [r for r in csv.reader(io.StringIO(sample), delimiter=delimiter) if r]
        except csv.Error:
            continue
        if not rows or len(rows[0]) < 2:
            continue
        width = len(rows[0])
        score = sum(len(r) == width for r in rows) / len(rows)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _mixed_newlines(text: str) -> bool:
    text = text[: text.rfind("\n") + 1]  # a sample cut between \r and \n is not mixed
    crlf = text.count("\r\n")
    bare_lf = text.count("\n") - crlf
    bare_cr = text.count("\r") - crlf
    return sum(1 for n in (crlf, bare_lf, bare_cr) if n) > 1 or (bare_cr > 0 and not bare_lf)


def rewrite_utf8(source: Path, sniffed: Sniffed, target: Path, *, chunk: int = 1 << 20) -> Path:
    """Write ``source`` to ``target`` as uncompressed UTF-8 with ``\n`` line ends.

    A byte the named encoding cannot decode fails with its offset rather than being replaced,
    so no value is silently altered.
    """
    codec = "utf-8-sig" if sniffed.encoding == "utf-8" else sniffed.encoding
    opener = gzip.open if is_gzip(source) else open
    decoder = codecs.getincrementaldecoder(codec)(errors="strict")
    done = 0
    with opener(source, "rb") as src, target.open("w", encoding="utf-8", newline="") as out:
        pending = ""
        while True:
            block = src.read(chunk)
            try:
                text = decoder.decode(block, final=not block)
            except UnicodeDecodeError as exc:
                raise _undecodable(sniffed.encoding, done + exc.start) from exc
            done += len(block)
            text = pending + text
            # A \r at the end may be the first half of \r\n: decide with the next block.
            pending = text[-1:] if block and text.endswith("\r") else ""
            text = text[: len(text) - len(pending)]
            out.write(text.replace("\r\n", "\n").replace("\r", "\n"))
            if not block:
                return target


def _undecodable(encoding: str, offset: int) -> FileProblem:
    return FileProblem(
        f"The file is not valid {encoding}: the byte at offset {offset:,} cannot be decoded.",
        hint="Send the form field encoding with the file's real encoding (utf-8, utf-16, "
        "latin-1 or cp1252), or save the file as UTF-8.",
    )
