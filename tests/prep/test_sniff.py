"""Sniffing uploads by content: delimiter, encoding, JSONL, binary files; UTF-8 rewriting."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from binnr.errors import FileProblem, InvalidInput
from binnr.prep.sniff import canonical_encoding, rewrite_utf8, sniff, sniff_delimiter


def write(tmp_path: Path, data: bytes, name: str = "upload.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    ("text", "delimiter"),
    [
        ("a,b,c\n1,2,3\n", ","),
        ("a;b;c\n1;2,5;3\n", ";"),
        ("a\tb\n1\t2\n", "\t"),
        ("a|b\n1|2\n", "|"),
        ("a,b\n1,x;y;z\n", ","),
        ("single\nvalue\n", ","),
        ('a;b\n1;"x\ny"\n2;z\n', ";"),
    ],
)
def test_delimiter(text: str, delimiter: str) -> None:
    assert sniff_delimiter(text) == delimiter


def test_utf16_with_and_without_bom(tmp_path: Path) -> None:
    assert sniff(write(tmp_path, "a,b\n1,ü\n".encode("utf-16"))).encoding == "utf-16"
    assert sniff(write(tmp_path, "a,b\n1,2\n".encode("utf-16-le"))).encoding == "utf-16-le"
    assert sniff(write(tmp_path, "a,b\n1,2\n".encode("utf-16-be"))).encoding == "utf-16-be"


def test_jsonl_by_content_and_gzip(tmp_path: Path) -> None:
    assert sniff(write(tmp_path, b'{"a": 1}\n{"a": 2}\n')).format == "jsonl"
    assert sniff(write(tmp_path, gzip.compress(b"a;b\n1;2\n"), "x.csv.gz")).delimiter == ";"
    assert sniff(write(tmp_path, b"PAR1....", "no_suffix")).format == "parquet"


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        (b"\x89PNG\r\n\x1a\n" + bytes(100), "PNG"),
        (b"PK\x03\x04" + bytes(100), "ZIP"),
        (bytes(range(256)) * 8, "binary"),
        (b'[{"a": 1}]', "JSON array"),
        (b"\x1f\x8b\x08\x00garbage", "decompressed"),
    ],
)
def test_refusals_name_the_problem(tmp_path: Path, data: bytes, fragment: str) -> None:
    with pytest.raises(FileProblem, match=fragment) as info:
        sniff(write(tmp_path, data))
    assert info.value.hint and "Fix the named field" not in info.value.hint


def test_encodings_named_by_the_user() -> None:
    assert canonical_encoding("ISO-8859-1") == "latin-1"
    assert canonical_encoding("windows-1252") == "cp1252"
    assert canonical_encoding("UTF8") == "utf-8"
    with pytest.raises(InvalidInput, match="not supported"):
        canonical_encoding("ebcdic-cp-be")


def test_rewrite_transcodes_and_unifies_line_ends(tmp_path: Path) -> None:
    source = write(tmp_path, "a;b\r\n1;é\n2;x\r3;y".encode("utf-16"))
    sniffed = sniff(source)
    assert sniffed.needs_rewrite and sniffed.delimiter == ";"
    out = rewrite_utf8(source, sniffed, tmp_path / "out.csv", chunk=3)
    assert out.read_bytes() == "a;b\n1;é\n2;x\n3;y".encode()


def test_rewrite_refuses_undecodable_bytes(tmp_path: Path) -> None:
    source = write(tmp_path, b"a\n\x81\n")
    sniffed = sniff(source, encoding="cp1252")
    with pytest.raises(FileProblem, match="offset 2"):
        rewrite_utf8(source, sniffed, tmp_path / "out.csv")
