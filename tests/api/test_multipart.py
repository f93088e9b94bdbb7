"""The multipart push parser: the same parts whatever the chunking, and malformed bodies refused."""

from __future__ import annotations

import itertools

import pytest

from binnr.api.multipart import MultipartStream, PartData, PartEnd, PartStart
from binnr.errors import InvalidInput

BOUNDARY = b"xyzBOUNDARYxyz"
BODY = (
    b"preamble to skip\r\n"
    b'--xyzBOUNDARYxyz\r\nContent-Disposition: form-data; name="table_name"\r\n\r\nt1\r\n'
    b'--xyzBOUNDARYxyz\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\n'
    b"Content-Type: text/csv\r\n\r\n"
    b'a,b\r\n1,"--xyzBOUNDARYx"\r\n\r\n--xyzBOUNDARY\r\n'  # near-delimiters inside the data
    b"\r\n--xyzBOUNDARYxyz\r\n\r\nno headers\r\n"
    b"--xyzBOUNDARYxyz--\r\nepilogue"
)
EXPECTED = [
    ({"content-disposition": 'form-data; name="table_name"'}, b"t1"),
    (
        {
            "content-disposition": 'form-data; name="file"; filename="a.csv"',
            "content-type": "text/csv",
        },
        b'a,b\r\n1,"--xyzBOUNDARYx"\r\n\r\n--xyzBOUNDARY\r\n',
    ),
    ({}, b"no headers"),
]


def parse(chunks: list[bytes]) -> list[tuple[dict[str, str], bytes]]:
    parser = MultipartStream(BOUNDARY)
    parts: list[tuple[dict[str, str], bytes]] = []
    data = bytearray()
    for chunk in chunks:
        for event in parser.feed(chunk):
            if isinstance(event, PartStart):
                headers, data = event.headers, bytearray()
            elif isinstance(event, PartData):
                data.extend(event.data)
            elif isinstance(event, PartEnd):
                parts.append((headers, bytes(data)))
    parser.close()
    return parts


def test_every_split_point_gives_the_same_parts() -> None:
    assert parse([BODY]) == EXPECTED
    for cut in range(1, len(BODY)):
        assert parse([BODY[:cut], BODY[cut:]]) == EXPECTED, cut


# LF line ends: a carriage return only where a delimiter (or a near one) begins, then many
CR_DATA = b"a,b\n1,2\n\r\n--xyzBOUNDARYx\n" + b"x\ry\r" * 6 + b"\r\n--xyzBOUNDARY\n"
BODY_LF = (
    b'--xyzBOUNDARYxyz\r\nContent-Disposition: form-data; name="file"; filename="b.csv"\r\n\r\n'
    + CR_DATA
    + b"\r\n--xyzBOUNDARYxyz--\r\n"
)
EXPECTED_LF = [({"content-disposition": 'form-data; name="file"; filename="b.csv"'}, CR_DATA)]


@pytest.mark.parametrize(("body", "expected"), [(BODY, EXPECTED), (BODY_LF, EXPECTED_LF)])
def test_every_chunk_size_gives_the_same_parts(body: bytes, expected: list) -> None:
    # chunks at least a delimiter long take the no-copy path: delimiters straddle them anywhere
    for size in range(2, len(body)):
        for offset in range(0, size, 3):
            cuts = [0, *range(offset or size, len(body), size), len(body)]
            chunks = [body[a:b] for a, b in itertools.pairwise(cuts) if b > a]
            assert parse(chunks) == expected, (size, offset)


def test_byte_by_byte() -> None:
    assert parse([BODY[i : i + 1] for i in range(len(BODY))]) == EXPECTED


@pytest.mark.parametrize(
    ("body", "why"),
    [
        (BODY[: BODY.index(b"--xyzBOUNDARYxyz--")], "closing boundary"),
        (b"--xyzBOUNDARYxyzXX", "neither CRLF"),
        (b"--xyzBOUNDARYxyz\r\nno colon here\r\n\r\nx\r\n--xyzBOUNDARYxyz--", "colon"),
        (b"--xyzBOUNDARYxyz\r\n" + b"X-Long: " + b"a" * 20_000, "too long"),
        (b"no boundary at all", "closing boundary"),
    ],
)
def test_malformed_bodies_are_refused(body: bytes, why: str) -> None:
    with pytest.raises(InvalidInput, match=why):
        parse([body])
