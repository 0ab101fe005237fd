"""The JSONC reader: values as JSON reads them, comments and trailing commas as VS Code allows,
every node's offsets exact, and each kind of bad text refused at its line and column."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from composeswap import jsonc
from composeswap.jsonc import JsoncError, Kind, Node
from tests.test_properties import PROFILE

SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-(10**20), 10**20)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8)
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=16,
)
# What may sit between two tokens of a file VS Code reads.
TRIVIA = st.sampled_from(
    [
        "",
        " ",
        "\t",
        "\n",
        "\r\n",
        "\r",
        "  // a comment\n",
        "/* c */",
        "/* spans\r\nlines */",
        "//\r",
        "/**/",
    ]
)
QUOTED = re.compile(r'"(?:[^"\\]|\\.)*"')


def render(value: Any, data: st.DataObject) -> str:
    """``value`` as JSONC text with drawn comments, whitespace and trailing commas around tokens."""
    if isinstance(value, dict):
        parts = [
            f"{data.draw(TRIVIA)}{json.dumps(key)}{data.draw(TRIVIA)}:{data.draw(TRIVIA)}"
            f"{render(item, data)}{data.draw(TRIVIA)}"
            for key, item in value.items()
        ]
        return "{" + ",".join(parts) + trailing(bool(parts), data) + data.draw(TRIVIA) + "}"
    if isinstance(value, list):
        parts = [f"{data.draw(TRIVIA)}{render(item, data)}{data.draw(TRIVIA)}" for item in value]
        return "[" + ",".join(parts) + trailing(bool(parts), data) + data.draw(TRIVIA) + "]"
    return json.dumps(value, ensure_ascii=data.draw(st.booleans()))


def trailing(any_parts: bool, data: st.DataObject) -> str:
    return "," if any_parts and data.draw(st.booleans()) else ""


def nodes(node: Node) -> list[Node]:
    return [node, *(inner for child in node.children for inner in nodes(child.node))]


@PROFILE
@given(value=VALUES, data=st.data())
def test_values_and_offsets_survive_any_comments_and_trailing_commas(
    value: Any, data: st.DataObject
) -> None:
    text = data.draw(TRIVIA) + render(value, data) + data.draw(TRIVIA)
    root = jsonc.parse(text)
    assert root.value == value
    for node in nodes(root):
        # Each node's span is a whole value by itself, with the same reading.
        assert jsonc.parse(text[node.start : node.end]).value == node.value
    for node in nodes(root):
        for child in node.children:
            assert child.comma is None or text[child.comma] == ","
            if child.key is None:
                assert child.start == child.node.start
            else:
                key = QUOTED.match(text, child.start)
                assert key and json.loads(key.group()) == child.key


@PROFILE
@given(value=VALUES, indent=st.sampled_from([None, 0, 2, "\t"]))
def test_plain_json_reads_as_json_reads_it(value: Any, indent: int | str | None) -> None:
    text = json.dumps(value, indent=indent)
    assert jsonc.parse(text).value == json.loads(text)


@PROFILE
@given(text=st.text(alphabet='{}[]:,"\\/*ntrufalse0123456789.-eE \t\r\n\x01', max_size=40))
def test_any_text_is_read_or_refused_with_a_position(text: str) -> None:
    try:
        jsonc.parse(text)
    except JsoncError as error:
        assert error.line >= 1 and error.column >= 1


def test_members_keep_keys_commas_and_positions() -> None:
    text = '{ "a": [1, 2,], /* x */ "b" : {"c": null} , }'
    root = jsonc.parse(text)
    a, b = root.children
    assert (a.key, a.start, text[a.node.start : a.node.end], text[a.comma or 0]) == (
        "a",
        2,
        "[1, 2,]",
        ",",
    )
    assert [child.comma for child in a.node.children] == [9, 12]
    assert (b.key, text[b.start : b.node.end], b.comma) == ("b", '"b" : {"c": null}', 42)
    assert b.node.kind is Kind.OBJECT and b.node.children[0].comma is None


def test_a_repeated_key_reads_as_the_last_like_vscode() -> None:
    root = jsonc.parse('{"a": 1, "a": 2}')
    assert root.value == {"a": 2}
    assert [child.key for child in root.children] == ["a", "a"]


@pytest.mark.parametrize(
    "text, line, column, words",
    [
        ('{\n  "a": 1\n  "b": 2\n}', 3, 3, "expected ',' or '}'"),
        ("[1,,2]", 1, 4, "expected a value, found ','"),
        ("[,]", 1, 2, "expected a value, found ','"),
        ("{,}", 1, 2, "expected a member name"),
        ('{"a": "open\n}', 1, 7, "unterminated string"),
        ('{"a": "open', 1, 7, "unterminated string"),
        ('{"a": "\\x"}', 1, 8, "invalid escape"),
        ('{"a": "\\u12"}', 1, 8, "invalid escape"),
        ('{"a": "tab\there"}', 1, 11, "control character"),
        ("{'a': 1}", 1, 2, "expected a member name"),
        ("{a: 1}", 1, 2, "expected a member name"),
        ('{"a" 1}', 1, 6, "expected ':'"),
        ('{"a": NaN}', 1, 7, "found 'NaN'"),
        ('{"a": 01}', 1, 7, "found '01'"),
        ('{"a": 1.}', 1, 7, "found '1.'"),
        ('{"a": +1}', 1, 7, "found '+1'"),
        ('{"a": .5}', 1, 7, "found '.5'"),
        ('{"a": True}', 1, 7, "found 'True'"),
        ('{"a": 1} x', 1, 10, "unexpected text after"),
        ('{"a": 1}{}', 1, 9, "unexpected text after"),
        ("{ /* open\n\n", 1, 3, "unterminated comment"),
        ('{"a": 1 / 2}', 1, 9, "unexpected '/'"),
        ("", 1, 1, "found the end of the text"),
        ("// nothing else", 1, 16, "found the end of the text"),
        ('{\r\n  "a": [\r\n    1 2\r\n  ]\r\n}', 3, 7, "expected ',' or ']'"),
        ('{\r"a": x}', 2, 6, "found 'x'"),
        ("\u00a0{}", 1, 1, "expected a value"),  # no-break space is no JSON whitespace
        ('{"a": 1]', 1, 8, "expected ',' or '}'"),
        ("[" * 101 + "]" * 101, 1, 101, "nested more than 100 deep"),
    ],
)
def test_bad_text_is_refused_where_it_goes_wrong(
    text: str, line: int, column: int, words: str
) -> None:
    with pytest.raises(JsoncError) as caught:
        jsonc.parse(text)
    assert (caught.value.line, caught.value.column) == (line, column)
    assert words in caught.value.message
    assert isinstance(caught.value, ValueError)


def test_nesting_up_to_the_limit_is_read() -> None:
    text = "[" * 100 + "]" * 100
    assert jsonc.parse(text).kind is Kind.ARRAY
