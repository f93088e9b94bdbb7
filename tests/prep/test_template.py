"""Literal braces in templates: ``{{`` and ``}}``, as in Python's ``str.format``."""

from __future__ import annotations

import pytest

from binnr.errors import InvalidInput
from binnr.prep.template import Part, parse_template

COLUMNS = ["text", "sentiment"]


def parts(template: str) -> list[Part]:
    return parse_template(template, sources=["text"], columns=COLUMNS)


def test_doubled_braces_are_literal_braces() -> None:
    assert parts("{{sentiment}} {text}") == [Part("{sentiment} ", False), Part("text", True)]
    assert parts("{{{text}}}") == [Part("{", False), Part("text", True), Part("}", False)]
    assert parts("{text} {{}}") == [Part("text", True), Part(" {}", False)]


def test_a_template_of_only_literal_braces_names_no_column() -> None:
    with pytest.raises(InvalidInput, match="names no column") as info:
        parts("{{sentiment}}")
    assert "{{ and }} are literal braces" in info.value.hint


def test_single_slots_and_lone_braces_keep_working() -> None:
    assert parts("Tweet: {'text'}") == [Part("Tweet: ", False), Part("text", True)]
    assert parts("a { b {text} } c") == [
        Part("a { b ", False),
        Part("text", True),
        Part(" } c", False),
    ]
