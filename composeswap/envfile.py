"""The ``.env`` syntax Docker Compose reads for interpolation, as its parser reads it.

Compose v2 uses compose-go's ``dotenv`` package, a port of Ruby's dotenv with its own quirks.
Every rule here was checked against the Docker Compose binary (``config --environment``):

- ``KEY=value``, ``export KEY=value``, and YAML-like ``KEY: value``;
- blank lines and lines starting with ``#`` are skipped;
- an unquoted value ends at the line end or at a ``#`` preceded by a space (``A=x #c`` is ``x``;
  but ``A= #c`` is ``#c``, since the spaces after ``=`` are skipped first), and trailing spaces
  are dropped;
- ``'single'`` quotes keep everything but ``\\'``; ``"double"`` quotes understand ``\\n``,
  ``\\t``, ``\\"``, ``\\\\``, ``\\$``, octal ``\\0NNN`` ...; both may span lines; what follows the
  closing quote on its line is read as the next statement;
- unquoted and double-quoted values are interpolated (``${VAR:-default}`` and friends), looking
  up the process environment first, then the values read so far;
- ``KEY`` alone on a line takes ``KEY`` from the environment, or is left out when unset; alone on
  the last line with no newline, it reads as the value of an empty name, as Compose does.

Problems are raised as ``EnvSyntaxError`` with the 1-based line; the caller names the file.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

Lookup = Callable[[str], "str | None"]

# Go's isSpace in the dotenv parser: blanks that do not end a line.
_BLANKS = frozenset("\t\v\f\r \x85\xa0")
# Go's unicode.IsSpace (Unicode White_Space), which Python's str.isspace() widens with \x1c-\x1f.
_WHITESPACE = frozenset(
    "\t\n\v\f\r \x85\xa0\u1680\u2028\u2029\u202f\u205f\u3000"
    + "".join(chr(c) for c in range(0x2000, 0x200B))
)
_EXPORT = re.compile(r"export[\t\n\f\r ]+")  # Go's \s is ASCII only
_KEY_PUNCTUATION = frozenset("_.-[]")
# Go's (?i)[_a-z] folds to A-Z plus U+017F (long s) and U+212A (Kelvin sign), no Turkish i.
_NAME = "[_A-Za-z\u017f\u212a][_A-Za-z0-9\u017f\u212a]*"
# Compiled on first use (re keeps it): a switch never interpolates, and compiling it is a
# millisecond of every start.
_TEMPLATE = (
    rf"\$(?:(?P<escaped>\$)|(?P<named>{_NAME})|\{{(?:(?P<braced>{_NAME}(?::?[-+?](.*))?)\}}"
    r"|(?P<invalid>)))"
)
_ESCAPE = re.compile(r'\\(?:[abcfnrtv$"\\]|0[0-9]{0,3})')
_SIMPLE_ESCAPES = {
    "a": "\a",
    "b": "\b",
    "c": "\\c",
    "f": "\f",
    "n": "\n",
    "r": "\r",
    "t": "\t",
    "v": "\v",
    "\\": "\\",
    '"': '"',
}
# The operators of ${NAME<op>word}; Compose applies the one that comes first in the template.
_OPERATORS = (":?", "?", ":-", "-", ":+", "+")


class EnvSyntaxError(ValueError):
    """A line Compose refuses to read, with its 1-based number."""

    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


class TemplateError(ValueError):
    """An invalid ``${...}`` or a required variable that is missing, as Compose words them."""


class _InvalidTemplate(Exception):
    """A ``${`` that starts no valid substitution; ``substitute`` names the whole template."""


def parse(
    text: str, environ: Mapping[str, str], values: dict[str, str] | None = None
) -> dict[str, str]:
    """The variables ``text`` sets; ``values`` holds those of files read before it, and grows."""
    out = {} if values is None else values

    def lookup(name: str) -> str | None:
        return environ[name] if name in environ else out.get(name)

    rest = text.removeprefix("\ufeff")
    while True:
        rest = _statement_start(rest)
        if not rest:
            return out
        line = _line(text, rest)
        key, rest, inherited = _key(rest, line)
        if " " in key:
            raise EnvSyntaxError("a variable name cannot contain a space", line)
        if inherited:
            found = lookup(key)
            if found is not None:
                out[key] = found
            continue
        out[key], rest = _value(rest, lookup, line)


def _line(text: str, rest: str) -> int:
    return text.count("\n", 0, len(text) - len(rest)) + 1


def _statement_start(src: str) -> str:
    """Skip blank space and comment lines."""
    while True:
        start = next((i for i, char in enumerate(src) if char not in _WHITESPACE), -1)
        if start == -1:
            return ""
        src = src[start:]
        if src[0] != "#":
            return src
        newline = src.find("\n")
        if newline == -1:
            return ""
        src = src[newline:]


def _key(src: str, line: int) -> tuple[str, str, bool]:
    """The key, the text after its ``=``/``:``, and whether it stands alone (inherited)."""
    if _EXPORT.match(src):
        src = src[len("export") :].lstrip("".join(_BLANKS))
    key, offset, inherited = "", 0, False
    for index, char in enumerate(src):
        if char in _BLANKS or char in _KEY_PUNCTUATION or _letter_or_number(char):
            continue
        if char in "=:\n":
            key, offset, inherited = src[:index], index + 1, char == "\n"
            break
        name = src.split("\n", 1)[0]
        raise EnvSyntaxError(f"unexpected character {char!r} in variable name {name!r}", line)
    if not src:
        raise EnvSyntaxError("'export' with no variable after it", line)
    return _rstrip(key), src[offset:].lstrip("".join(_BLANKS)), inherited


def _letter_or_number(char: str) -> bool:
    if char.isascii():
        return char.isalnum()
    import unicodedata  # only for non-ASCII names

    return unicodedata.category(char)[0] in "LN"


def _rstrip(text: str) -> str:
    end = len(text)
    while end and text[end - 1] in _WHITESPACE:
        end -= 1
    return text[:end]


def _value(src: str, lookup: Lookup, line: int) -> tuple[str, str]:
    if not src or src[0] not in "'\"":
        value, _, rest = src.partition("\n")
        value = _rstrip(value.split(" #", 1)[0])
        return _expand(value, lookup, line), rest
    quote, chars, escaped = src[0], [], False
    for index in range(1, len(src)):
        char = src[index]
        if char != quote:
            if not escaped and char == "\\":
                escaped = True
                continue
            if escaped:
                escaped = False
                chars.append("\\")
            chars.append(char)
            continue
        if escaped:  # \" or \' keeps the quote
            escaped = False
            chars.append(char)
            continue
        value = "".join(chars)
        if quote == '"':
            value = _expand(_unescape(value), lookup, line)
        return value, src[index + 1 :]
    raise EnvSyntaxError(f"unterminated quoted value {src.split(chr(10), 1)[0]}", line)


def _unescape(value: str) -> str:
    return _ESCAPE.sub(_escape_sequence, value)


def _escape_sequence(match: re.Match[str]) -> str:
    sequence = match.group(0)
    if sequence == "\\$":
        return "$$"  # the interpolation's own escape, so \$x stays a literal $x
    if sequence.startswith("\\0"):
        digits = sequence[2:]
        # Go's strconv.UnquoteChar: exactly three octal digits, at most 255. compose-go drops the
        # 0 before trying, and keeps the sequence without it when that fails: \08 reads \8.
        if len(digits) == 3 and all(d in "01234567" for d in digits) and int(digits, 8) < 256:
            return chr(int(digits, 8))
        return "\\" + digits
    return _SIMPLE_ESCAPES[sequence[1]]


def _expand(value: str, lookup: Lookup, line: int) -> str:
    try:
        return substitute(value, lookup)
    except TemplateError as error:
        raise EnvSyntaxError(str(error), line) from None


def substitute(template: str, lookup: Lookup) -> str:
    """Compose's interpolation (compose-go's ``template.Substitute``); unset names read as ""."""
    try:
        return re.sub(_TEMPLATE, lambda match: _replacement(match.group(0), lookup), template)
    except _InvalidTemplate:
        raise TemplateError(f"invalid template: {template!r}") from None


def _replacement(substring: str, lookup: Lookup) -> str:
    # compose-go picks the operator on the whole match, then cuts the match at the brace that
    # closes the first ${ (the regex runs on to the last }) and interpolates the rest after it.
    apply = _operator(substring)
    closing = _closing_brace(substring)
    rest = ""
    if closing > -1:
        substring, rest = substring[: closing + 1], substring[closing + 1 :]
    match = re.match(_TEMPLATE, substring)
    assert match is not None  # the cut keeps a complete ${...}
    if match.group("escaped"):
        return "$"
    name = match.group("named")
    if name:
        return lookup(name) or ""
    braced = match.group("braced")
    if not braced:
        raise _InvalidTemplate
    if apply is not None:
        applied = apply(braced, lookup)
        if applied is not None:
            return applied + substitute(rest, lookup)
    return lookup(braced) or ""


Operator = Callable[[str, Lookup], "str | None"]


def _operator(substring: str) -> Operator | None:
    found = [(substring.find(op), op) for op in _OPERATORS if op in substring]
    if not found:
        return None
    op = min(found)[1]
    return lambda braced, lookup: _apply(op, braced, lookup)


def _apply(op: str, braced: str, lookup: Lookup) -> str | None:
    """The value of ``${braced}`` under ``op``; None when ``op`` is not in it."""
    if op not in braced:
        return None
    name, word = braced.split(op, 1)
    word = substitute(word, lookup)
    found = lookup(name)
    value = found or ""
    # ':' makes an empty value count as missing: ${A:-x} vs ${A-x}
    present = found is not None and (value != "" or not op.startswith(":"))
    if op.endswith("?"):
        if not present:
            reason = f": {word}" if word else ""
            raise TemplateError(f"required variable {name} is missing a value{reason}")
        return value
    if op.endswith("-"):
        return value if present else word
    return word if present else value


def _closing_brace(text: str) -> int:
    """compose-go's getFirstBraceClosingIndex: the character after each { is skipped."""
    depth, index = 0, 0
    while index < len(text):
        if text[index] == "}":
            depth -= 1
            if depth == 0:
                return index
        if text[index] == "{":
            depth += 1
            index += 1
        index += 1
    return -1
