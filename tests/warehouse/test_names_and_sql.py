"""Identifier validation, quoting, statement rendering, templates and header normalisation."""

from __future__ import annotations

import pytest

from binnr.errors import InvalidInput
from binnr.prep.classification import LLM_SUFFIX, source_expression
from binnr.prep.files import normalise_headers, upload_suffix
from binnr.prep.template import Part, parse_template
from binnr.warehouse.names import MAX_USER_NAME, TableRef, column, ident
from binnr.warehouse.sql import qualified, quote_ident, render

BAD_NAMES = [
    "x; DROP TABLE tweets",
    "a b",
    '"q"',
    "../etc",
    "a.b",
    "t--",
    "1abc",
    "",
    "é",
    "x" * 300,
    "tab\tle",
    "semi;",
]


@pytest.mark.parametrize("name", ["tweets", "Tweets", "_x", "a1_b2", "x" * MAX_USER_NAME])
def test_ident_accepts_plain_names(name: str) -> None:
    assert ident(name) == name


@pytest.mark.parametrize("name", BAD_NAMES)
def test_ident_rejects_everything_else(name: str) -> None:
    with pytest.raises(InvalidInput) as info:
        ident(name, field="table_name")
    assert "table_name" in info.value.message
    assert "letters, digits and underscores" in info.value.hint


def test_ident_length_message_names_the_limit() -> None:
    with pytest.raises(InvalidInput, match=f"limit is {MAX_USER_NAME}"):
        ident("x" * (MAX_USER_NAME + 1))


@pytest.mark.parametrize(("value", "expected"), [("Text", "text"), ("2nd_reason", "2nd_reason")])
def test_column_lowercases_and_allows_leading_digit(value: str, expected: str) -> None:
    assert column(value) == expected


@pytest.mark.parametrize("value", ['text"; DROP TABLE t; --', "a b", "a-b", "", "x.y", "é"])
def test_column_rejects_injection(value: str) -> None:
    with pytest.raises(InvalidInput):
        column(value, field="target_column")


def test_table_ref_validates_every_part() -> None:
    assert str(TableRef("t", "s", "d")) == "d.s.t"
    for kwargs in ({"name": "a b"}, {"name": "t", "schema": "x;"}, {"name": "t", "database": "."}):
        with pytest.raises(InvalidInput):
            TableRef(**kwargs)  # type: ignore[arg-type]
    ref = TableRef("t", "s", "d")
    assert ref.with_name("t_train") == TableRef("t_train", "s", "d")
    assert ref.with_name("u").schema == "s"


def test_quoting_doubles_quotes_and_qualifies() -> None:
    assert quote_ident("a") == '"a"'
    assert quote_ident('a"b') == '"a""b"'
    assert qualified(TableRef("t", "s", "d")) == '"d"."s"."t"'
    assert qualified(TableRef("t")) == '"t"'


def test_render_quotes_identifiers_and_keeps_placeholders() -> None:
    out = render(
        "SELECT {c}, {cols} FROM {t} WHERE {c} = ?",
        dialect="duckdb",
        c="Text",
        cols=["a", "b"],
        t=TableRef("t", "main", "db"),
    )
    assert out == 'SELECT "text", "a", "b" FROM "db"."main"."t" WHERE "text" = ?'


def test_render_rejects_bad_identifier_slots() -> None:
    with pytest.raises(InvalidInput):
        render("SELECT {c} FROM t", dialect="duckdb", c='x"; DROP TABLE t; --')
    with pytest.raises(InvalidInput):
        render("SELECT {cols} FROM t", dialect="duckdb", cols=["ok", "no way"])


def test_render_enforces_the_function_allow_list() -> None:
    with pytest.raises(InvalidInput, match="allow-list"):
        render("SELECT VECTOR_COSINE_SIMILARITY(a, b) FROM {t}", dialect="duckdb", t=TableRef("t"))
    with pytest.raises(InvalidInput):
        render("SELECT 1; SELECT 2", dialect="duckdb")


# -- templates --------------------------------------------------------------------------------
COLUMNS = ["textid", "text", "airline", "sentiment"]


@pytest.mark.parametrize(
    "template", ["Tweet: {text}", "Tweet: {'text'}", 'Tweet: {"text"}', "Tweet: { Text }"]
)
def test_template_forms(template: str) -> None:
    parts = parse_template(template, sources=["text"], columns=COLUMNS)
    assert parts == [Part("Tweet: ", False), Part("text", True)]


def test_template_several_columns_and_trailing_text() -> None:
    parts = parse_template("{airline} says {'text'}!", sources=["airline", "text"], columns=COLUMNS)
    assert parts == [
        Part("airline", True),
        Part(" says ", False),
        Part("text", True),
        Part("!", False),
    ]


def test_no_template_joins_sources_with_colon() -> None:
    parts = parse_template(None, sources=["airline", "text"], columns=COLUMNS)
    assert parts == [Part("airline", True), Part(" : ", False), Part("text", True)]
    assert parse_template("", sources=["text"], columns=COLUMNS) == [Part("text", True)]


def test_unknown_placeholder_lists_columns() -> None:
    with pytest.raises(InvalidInput) as info:
        parse_template("Tweet: {body}", sources=["text"], columns=COLUMNS)
    assert "{body}" in info.value.message
    assert info.value.hint == "Available columns: textid, text, airline, sentiment."


def test_template_without_columns_is_rejected() -> None:
    with pytest.raises(InvalidInput, match="names no column"):
        parse_template("just text", sources=["text"], columns=COLUMNS)


def test_template_injection_is_literal_text() -> None:
    evil = '\'); DROP TABLE x; -- "quoted" '
    parts = parse_template(evil + "{text}", sources=["text"], columns=COLUMNS)
    assert parts == [Part(evil, False), Part("text", True)]
    expr, slots = source_expression(parts, llm_suffix=False)
    assert "DROP" not in expr and expr.count("?") == 1
    assert slots == {"c1": "text"}
    with pytest.raises(InvalidInput):
        parse_template("{text; DROP TABLE x}", sources=["text"], columns=COLUMNS)


def test_source_expression_binds_literals_and_llm_suffix() -> None:
    parts = [Part("Tweet: ", False), Part("text", True)]
    expr, slots = source_expression(parts, llm_suffix=True)
    assert expr == "CONCAT(?, COALESCE(CAST(s.{c1} AS VARCHAR), ''), ?)"
    assert slots == {"c1": "text"}
    assert LLM_SUFFIX.format(labels="a or b") == (
        ". Respond only with: a or b. "
        "**NO ELABORATE SENTENCES. ONLY SPECIFIC WORD(S) FROM THE LIST**"
    )


# -- headers ----------------------------------------------------------------------------------
def test_headers_trimmed_and_lowercased() -> None:
    assert normalise_headers([" TextID ", "Text", "SENTIMENT"]) == ["textid", "text", "sentiment"]


def test_headers_other_characters_become_underscores() -> None:
    assert normalise_headers(["a b", "a-b.c", "x(1)", "ünï", "é"]) == [
        "a_b",
        "a_b_c",
        "x_1_",
        "_n_",
        "col_5",
    ]


def test_headers_blank_become_col_n() -> None:
    assert normalise_headers(["a", "", "  ", "b"]) == ["a", "col_2", "col_3", "b"]


def test_headers_duplicates_numbered() -> None:
    assert normalise_headers(["x", "X", " x ", "y"]) == ["x", "x_2", "x_3", "y"]
    assert normalise_headers(["x", "x", "x_2"]) == ["x", "x_2", "x_2_2"]


def test_headers_normalised_are_valid_columns() -> None:
    names = normalise_headers(['"q"', "x; DROP TABLE t", "../etc", "2nd reason"])
    assert names == ["_q_", "x__drop_table_t", "___etc", "2nd_reason"]
    assert [column(n) for n in names] == names


@pytest.mark.parametrize(
    ("filename", "suffix"),
    [("a.CSV", ".csv"), ("a.csv.gz", ".csv.gz"), ("a.parquet", ".parquet"), ("x", "")],
)
def test_upload_suffix(filename: str, suffix: str) -> None:
    assert upload_suffix(filename) == suffix
