"""JSON with comments, read as VS Code reads its settings files, keeping where every value is.

VS Code reads ``tasks.json`` with its ``jsonc-parser``: JSON plus ``//`` and ``/* */`` comments
and a trailing comma before ``]`` or ``}``. This reader accepts that and nothing more, so a file
it reads means the same to VS Code. Where VS Code would only warn and carry on, it refuses:

- whitespace is space, tab, CR and LF (older ``jsonc-parser`` releases also skipped a few
  Unicode spaces; current ones do not);
- strings are JSON strings: double quotes, the JSON escapes, no control characters;
- numbers are JSON numbers (no ``+1``, ``.5``, ``01``, ``1.``, ``NaN``);
- an empty element (``[1,,2]``, ``[,]``) or a missing comma is an error.

A repeated key is read as VS Code reads it, the last one winning; the members keep all of them.
Offsets are character offsets into the text as given (without its BOM: strip that first).
"""

from __future__ import annotations

import enum
import json
import re
from typing import Any, NamedTuple

from composeswap.text import Source

# Deeper nesting is no task file; the limit keeps the recursive reader off Python's own limit.
MAX_DEPTH = 100

_TRIVIA = re.compile(r"(?:[ \t\r\n]+|//[^\r\n]*|/\*.*?\*/)*", re.DOTALL)
_STRING = re.compile(r'"(?:[^"\\\x00-\x1f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"')
_STRING_PREFIX = re.compile(r'"(?:[^"\\\x00-\x1f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*')
_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
# What jsonc-parser reads as one word: a keyword, or an unknown token to report whole.
_WORD = re.compile(r'[^ \t\r\n{}\[\]":,/]+')
_KEYWORDS: dict[str, Any] = {"true": True, "false": False, "null": None}


class Kind(enum.Enum):
    OBJECT = "object"
    ARRAY = "array"
    STRING = "string"
    NUMBER = "number"
    KEYWORD = "keyword"  # true, false, null


class Node(NamedTuple):
    """A value and where its text is: ``text[start:end]``, brackets or quotes included."""

    kind: Kind
    start: int
    end: int
    value: Any  # the plain Python value: dict, list, str, int, float, bool or None
    children: tuple[Child, ...]  # an object's members or an array's elements, in text order


class Child(NamedTuple):
    """A member of an object or an element of an array, with the comma that follows it."""

    key: str | None  # the member's name; None for an array element
    start: int  # where the member's key starts, or the element itself
    node: Node
    comma: int | None  # offset of the comma after it, or None for a last one without


class JsoncError(ValueError):
    """Text VS Code would not read cleanly as JSONC; ``line`` and ``column`` are 1-based."""

    def __init__(self, message: str, line: int, column: int) -> None:
        super().__init__(f"{line}:{column}: {message}")
        self.message = message
        self.line = line
        self.column = column


def parse(text: str) -> Node:
    """The one value ``text`` holds, or JsoncError at the first thing VS Code would stumble on."""
    reader = _Reader(text)
    node = reader.value(reader.skip(0), 0)
    end = reader.skip(node.end)
    if end < len(text):
        raise reader.error(end, "unexpected text after the JSON value")
    return node


class _Reader:
    """A recursive-descent reader; each method takes an offset and returns what it read."""

    def __init__(self, text: str) -> None:
        self.text = text

    def skip(self, pos: int) -> int:
        """The offset after any whitespace and comments at ``pos``."""
        pos = _TRIVIA.match(self.text, pos).end()  # type: ignore[union-attr]  # * always matches
        if self.text.startswith("/*", pos):
            raise self.error(pos, "unterminated comment: /* without */")
        if self.text.startswith("/", pos):
            raise self.error(pos, "unexpected '/' (a comment starts with // or /*)")
        return pos

    def value(self, pos: int, depth: int) -> Node:
        char = self.text[pos : pos + 1]
        if char == "{":
            return self.container(pos, depth, Kind.OBJECT)
        if char == "[":
            return self.container(pos, depth, Kind.ARRAY)
        if char == '"':
            return self.string(pos)
        number = _NUMBER.match(self.text, pos)
        if number and not self.word_continues(number.end()):
            return Node(Kind.NUMBER, pos, number.end(), json.loads(number.group()), ())
        word = _WORD.match(self.text, pos)
        if word and word.group() in _KEYWORDS:
            return Node(Kind.KEYWORD, pos, word.end(), _KEYWORDS[word.group()], ())
        found = repr(word.group()) if word else repr(char) if char else "the end of the text"
        raise self.error(pos, f"expected a value, found {found}")

    def word_continues(self, pos: int) -> bool:
        return bool(_WORD.match(self.text, pos))

    def string(self, pos: int) -> Node:
        found = _STRING.match(self.text, pos)
        if found:
            return Node(Kind.STRING, pos, found.end(), json.loads(found.group()), ())
        bad = _STRING_PREFIX.match(self.text, pos).end()  # type: ignore[union-attr]  # '"' matches
        char = self.text[bad : bad + 1]
        if char in ("", "\r", "\n"):
            raise self.error(pos, "unterminated string")
        if char == "\\":
            raise self.error(bad, "invalid escape in string")
        raise self.error(bad, f"control character {char!r} in string (write it escaped)")

    def container(self, pos: int, depth: int, kind: Kind) -> Node:
        if depth >= MAX_DEPTH:
            raise self.error(pos, f"nested more than {MAX_DEPTH} deep")
        close = "}" if kind is Kind.OBJECT else "]"
        children: list[Child] = []
        cursor = self.skip(pos + 1)
        while not self.text.startswith(close, cursor):
            if kind is Kind.OBJECT:
                child = self.member(cursor, depth)
            else:
                child = Child(None, cursor, self.value(cursor, depth + 1), None)
            cursor = self.skip(child.node.end)
            if self.text.startswith(",", cursor):
                children.append(child._replace(comma=cursor))
                cursor = self.skip(cursor + 1)  # a trailing comma is allowed: ] or } may follow
            elif self.text.startswith(close, cursor):
                children.append(child)
            else:
                raise self.error(cursor, f"expected ',' or '{close}'")
        end = cursor + 1
        if kind is Kind.OBJECT:
            value: Any = {child.key: child.node.value for child in children}
        else:
            value = [child.node.value for child in children]
        return Node(kind, pos, end, value, tuple(children))

    def member(self, pos: int, depth: int) -> Child:
        if not self.text.startswith('"', pos):
            raise self.error(pos, "expected a member name in double quotes, or '}'")
        key = self.string(pos)
        colon = self.skip(key.end)
        if not self.text.startswith(":", colon):
            raise self.error(colon, "expected ':' after the member name")
        node = self.value(self.skip(colon + 1), depth + 1)
        return Child(key.value, pos, node, None)

    def error(self, pos: int, message: str) -> JsoncError:
        line, column = Source(self.text).position(pos)
        return JsoncError(message, line, column)
