"""Checks a Compose document against the Compose schema and composeswap's own settings schema.

The only module that imports jsonschema. Plain values go in, `Violation` values come out; the
caller turns a violation's JSON path into a file position. jsonschema is imported on first use,
not at import time, so importing this module for `Violation` costs nothing.
"""

from __future__ import annotations

import datetime
import functools
import re
from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, NamedTuple

from composeswap import vendored
from composeswap.model import JsonPath

if TYPE_CHECKING:
    from jsonschema.exceptions import ValidationError
    from jsonschema.protocols import Validator

COMPOSE_SCHEMA = "compose-spec.json"
CONFIG_SCHEMA = "composeswap.json"


class Violation(NamedTuple):
    """One problem in a document, at a JSON path the caller can map to a line and column."""

    path: JsonPath
    message: str
    # The problem is the key itself (e.g. a typo), so the caller points at the key, not its value.
    points_at_key: bool = False


def compose_violations(document: object) -> list[Violation]:
    """What is wrong with `document` according to the Compose specification."""
    return _violations(COMPOSE_SCHEMA, document)


def config_violations(document: object) -> list[Violation]:
    """What is wrong with the `x-composeswap` settings in `document`."""
    return _violations(CONFIG_SCHEMA, document)


def is_valid_compose(document: object) -> bool:
    """Whether `document` follows the Compose specification.

    Callers ask this first and list violations only for an invalid document. The compiled
    checker answers a valid document in milliseconds without importing jsonschema (~80 ms, and
    ~0.2 s for 1000 services); it never says yes wrongly, and jsonschema settles every no.
    """
    return _is_valid(COMPOSE_SCHEMA, _as_json(document))


def is_valid_config(document: object) -> bool:
    """Whether the `x-composeswap` settings in `document` are well formed."""
    return _is_valid(CONFIG_SCHEMA, _as_json(document))


def _is_valid(name: str, instance: Any) -> bool:
    from composeswap import fastschema

    return fastschema.is_valid(name, instance) or _validator(name).is_valid(instance)


def load_schema(name: str) -> dict[str, Any]:
    """A vendored schema as composeswap validates with it (see `vendored.load`), read once."""
    return vendored.load(name)


@functools.cache
def validator_class(name: str) -> type[Validator]:
    """The validator for the draft the schema declares in `$schema`.

    Never a fixed draft: the Compose schema is written for 2020-12, and an older draft's
    validator silently ignores what it does not know, such as an `unevaluatedProperties` that
    `vendored.flatten_unevaluated` leaves in place, accepting every misspelt key there.
    """
    from jsonschema.validators import validator_for

    return validator_for(load_schema(name))


@functools.cache
def _validator(name: str) -> Validator:
    return validator_class(name)(load_schema(name))


def _violations(name: str, document: object) -> list[Violation]:
    instance = _as_json(document)
    found: set[Violation] = set()
    for error in _validator(name).iter_errors(instance):
        found.update(_explain(error))
    return [v._replace(path=_original_path(document, v.path)) for v in found]


# ---------------------------------------------------------------------------------------------
# Plain YAML values as JSON values


def _as_json(value: object) -> Any:
    """`value` with every mapping key as a string.

    YAML allows keys such as `8080:` or `true:`; jsonschema matches `patternProperties` with
    `re.search` on the key and raises TypeError on a non-string one. Scalars such as dates stay
    as they are (hence `Any`): jsonschema reports them as the wrong type, which is right.
    """
    if isinstance(value, dict):
        return {_key_text(k): _as_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_as_json(item) for item in value]
    return value


def _key_text(key: object) -> str:
    if isinstance(key, bool):
        return "true" if key else "false"
    return "null" if key is None else str(key)


def _original_path(document: object, path: JsonPath) -> JsonPath:
    """`path` with each stringified integer key turned back into the integer the document holds."""
    result: list[str | int] = []
    node = document
    for step in path:
        if isinstance(node, dict) and step not in node and isinstance(step, str):
            step = next((k for k in node if type(k) is int and str(k) == step), step)
        result.append(step)
        node = _child(node, step)
    return tuple(result)


def _child(node: object, step: str | int) -> object:
    if isinstance(node, dict):
        return node.get(step)
    if isinstance(node, list) and isinstance(step, int) and 0 <= step < len(node):
        return node[step]
    return None


# ---------------------------------------------------------------------------------------------
# jsonschema errors as violations a user understands


def _explain(error: ValidationError) -> Iterator[Violation]:
    path: JsonPath = tuple(error.absolute_path)
    schema = error.schema if isinstance(error.schema, Mapping) else {}
    keyword = error.validator
    # With `false` it rejects keys; with a subschema it reports a bad value instead.
    if keyword == "additionalProperties" and error.validator_value is False:
        yield from _unknown_keys(path, error.instance, _declared_keys(schema))
    elif keyword in ("oneOf", "anyOf") and error.context:
        yield from _best_branch(error)
    elif keyword == "required":
        yield from _missing_keys(path, error.validator_value, error.instance)
    else:
        yield Violation(path, _message(error, schema, path))


def _message(error: ValidationError, schema: Mapping[str, Any], path: JsonPath) -> str:
    keyword, expected, instance = error.validator, error.validator_value, error.instance
    if keyword == "type":
        return f"expected {_either(_type_words(expected))}, got {_value_word(instance)}"
    if keyword == "enum":
        return f"invalid value {instance!r}: expected one of {_quoted(expected)}"
    if keyword == "const":
        return f"invalid value {instance!r}: expected {expected!r}"
    if keyword == "minLength" and instance == "":
        return "must not be empty"
    if keyword in ("minimum", "maximum"):
        bound = "least" if keyword == "minimum" else "most"
        return f"must be at {bound} {expected}, got {instance}"
    if keyword == "uniqueItems":
        return "the list has duplicate items"
    if keyword == "pattern":
        noun = schema.get("title") or (path[-1] if path and isinstance(path[-1], str) else "value")
        return f"invalid {noun} {instance!r}: must match {expected}"
    return error.message


class _Keys(NamedTuple):
    """The keys a mapping schema declares: names and name patterns."""

    names: frozenset[str]
    patterns: frozenset[str]

    def allows(self, key: str) -> bool:
        return key in self.names or any(re.search(p, key) for p in self.patterns)


def _declared_keys(schema: Mapping[str, Any]) -> _Keys:
    return _Keys(
        frozenset(schema.get("properties", {})), frozenset(schema.get("patternProperties", {}))
    )


def _unknown_keys(path: JsonPath, instance: object, keys: _Keys) -> Iterator[Violation]:
    if not isinstance(instance, Mapping):
        return
    for key in instance:
        if not keys.allows(key):
            yield Violation((*path, key), _unknown_key_message(key, keys), points_at_key=True)


def _unknown_key_message(key: str, keys: _Keys) -> str:
    if not keys.names and keys.patterns:
        # A mapping of user-chosen names (services, networks, ...): the name breaks the pattern.
        return f"invalid name {key!r}: must match {' or '.join(sorted(keys.patterns))}"
    import difflib  # only to suggest a fix for a typo

    close = difflib.get_close_matches(key, sorted(keys.names), n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return f"unknown key {key!r}{hint}"


def _missing_keys(path: JsonPath, required: object, instance: object) -> Iterator[Violation]:
    if isinstance(required, list) and isinstance(instance, Mapping):
        for key in required:
            if key not in instance:
                yield Violation(path, f"missing required key {key!r}")


def _best_branch(error: ValidationError) -> Iterator[Violation]:
    """The violations of the alternative the user most likely meant.

    "is not valid under any of the given schemas" helps nobody. jsonschema's relevance ranks the
    deepest error whose schema expects the instance's type first; all errors of that error's branch
    are reported, so two typos in one `build:` mapping give two violations.
    """
    from jsonschema.exceptions import relevance

    ranked = sorted(error.context, key=relevance)
    if relevance(ranked[0]) == relevance(ranked[-1]) and all(e.validator == "type" for e in ranked):
        # Every alternative wants another type (e.g. `build: 1`): name them all at once.
        wanted = [word for e in ranked for word in _type_words(e.validator_value)]
        message = f"expected {_either(wanted)}, got {_value_word(error.instance)}"
        yield Violation(tuple(error.absolute_path), message)
        return
    branch = ranked[0].relative_schema_path[0]
    for sub in error.context:
        if sub.relative_schema_path[0] == branch:
            yield from _explain(sub)


# ---------------------------------------------------------------------------------------------
# Words for types and values, in YAML's vocabulary rather than Python's

_TYPE_WORDS = {
    "object": "a mapping",
    "array": "a list",
    "string": "a string",
    "number": "a number",
    "integer": "an integer",
    "boolean": "a boolean",
    "null": "null",
}


def _type_words(expected: object) -> list[str]:
    names = [expected] if isinstance(expected, str) else expected
    if not isinstance(names, list):
        return []
    return [_TYPE_WORDS.get(str(name), str(name)) for name in names]


# bool before int: True is an int in Python but a boolean in YAML.
_VALUE_WORDS: tuple[tuple[type[Any] | tuple[type[Any], ...], str], ...] = (
    (bool, "a boolean"),
    (str, "a string"),
    ((int, float), "a number"),
    (Mapping, "a mapping"),
    (list, "a list"),
    (datetime.date, "a date"),
)


def _value_word(value: object) -> str:
    for kind, word in _VALUE_WORDS:
        if isinstance(value, kind):
            return word
    return "null" if value is None else f"a {type(value).__name__} value"


def _either(words: Iterable[str]) -> str:
    unique = list(dict.fromkeys(words))
    if len(unique) < 2:
        return "".join(unique) or "another type"
    return f"{', '.join(unique[:-1])} or {unique[-1]}"


def _quoted(values: object) -> str:
    return ", ".join(repr(v) for v in values) if isinstance(values, list) else repr(values)
