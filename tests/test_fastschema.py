"""The jsonschema-free fast check: never a wrong yes, and on our schemas the same answer.

jsonschema's own validator for each schema is the oracle. The vendored schemas, as loaded, use only
keywords the fast check implements, so on them the two must agree exactly; the property that
matters in general (fast True implies jsonschema valid) is asserted first so a failure says which
it broke.
"""

from __future__ import annotations

import copy
import datetime
import functools
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema.validators import validator_for
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from composeswap import fastschema, vendored
from composeswap.fastschema import (
    UnsupportedSchema,
    compile_schema,
    keywords_used,
    unhandled_keywords,
)
from composeswap.schema import (
    COMPOSE_SCHEMA,
    CONFIG_SCHEMA,
    _as_json,
    load_schema,
    validator_class,
)
from tests.helpers import CORPUS_FILES, FIXTURES, ROOT

SCHEMAS = (COMPOSE_SCHEMA, CONFIG_SCHEMA)


def _load(file: Path) -> object:
    """A fixture as the plain YAML value composeswap validates; None when it does not parse."""
    try:
        return YAML(typ="safe", pure=True).load(file.read_text("utf-8"))
    except (YAMLError, UnicodeDecodeError):
        return None


# Fixtures that are not YAML at all (the bad-input cases) have nothing to validate.
FIXTURE_FILES = [file for file in sorted(FIXTURES.rglob("*.y*ml")) if _load(file) is not None]


@functools.cache
def _corpus() -> tuple[Any, ...]:
    return tuple(_as_json(_load(file)) for file in CORPUS_FILES)


def _slow(name: str, instance: Any) -> bool:
    return bool(validator_class(name)(load_schema(name)).is_valid(instance))


def _assert_fast_never_says_a_wrong_yes(instance: object) -> None:
    for name in SCHEMAS:
        fast, slow = fastschema.is_valid(name, instance), _slow(name, instance)
        assert slow or not fast, f"{name}: fast check accepts a document jsonschema rejects"
        assert fast == slow, f"{name}: fast check rejects a document jsonschema accepts"


# ---------------------------------------------------------------------------------------------
# Real files


@pytest.mark.parametrize("file", CORPUS_FILES, ids=lambda file: file.parent.name)
def test_every_corpus_file_takes_the_fast_path(file: Path) -> None:
    document = _as_json(_load(file))
    assert fastschema.is_valid(COMPOSE_SCHEMA, document)
    assert fastschema.is_valid(CONFIG_SCHEMA, document)


def test_the_corpus_is_there() -> None:
    assert len(CORPUS_FILES) > 30


@pytest.mark.parametrize("file", FIXTURE_FILES, ids=lambda file: str(file.relative_to(FIXTURES)))
def test_every_fixture_gets_the_answer_jsonschema_gives(file: Path) -> None:
    _assert_fast_never_says_a_wrong_yes(_as_json(_load(file)))


def test_invalid_fixtures_are_rejected_by_the_fast_check_too() -> None:
    rejected = [
        file.name
        for file in sorted((FIXTURES / "invalid").glob("*.yaml"))
        if _load(file) is not None
        and not fastschema.is_valid(COMPOSE_SCHEMA, _as_json(_load(file)))
    ]
    assert "imgae-typo.yaml" in rejected and "build-targt-typo.yaml" in rejected


def test_a_large_generated_document_is_valid() -> None:
    services: dict[str, Any] = {
        f"svc{n}": {
            "image": f"${{DOCKER_REGISTRY}}/svc{n}:${{IMAGE_TAG}}-dev",
            "ports": ["8000:80"],
            "environment": {"A": "b"},
            "depends_on": ["db"],
        }
        for n in range(1000)
    }
    services["db"] = {"image": "postgres:16"}
    assert fastschema.is_valid(COMPOSE_SCHEMA, {"services": services})
    services["svc500"]["imgae"] = "typo"
    assert not fastschema.is_valid(COMPOSE_SCHEMA, {"services": services})


# ---------------------------------------------------------------------------------------------
# Mutated corpus documents


def _property_names(schema: object) -> Iterator[str]:
    if isinstance(schema, Mapping):
        if isinstance(schema.get("properties"), Mapping):
            yield from schema["properties"]
        for value in schema.values():
            yield from _property_names(value)
    elif isinstance(schema, list):
        for value in schema:
            yield from _property_names(value)


def _enum_values(schema: object) -> Iterator[object]:
    if isinstance(schema, Mapping):
        yield from schema.get("enum", [])
        for value in schema.values():
            yield from _enum_values(value)
    elif isinstance(schema, list):
        for value in schema:
            yield from _enum_values(value)


_NAMES = sorted({*_property_names(load_schema(COMPOSE_SCHEMA)), "x-composeswap", "x-foo"})
_KEYS = st.sampled_from(_NAMES) | st.sampled_from(["", "1", "my service", "imgae", "contxt"])
_SCALARS = (
    st.none()
    | st.booleans()
    | st.sampled_from([0, 1, -1, 100, 1001, 4294967296, 2**70])
    | st.sampled_from([1.0, 0.5, -0.0, 1e300, float("inf"), float("nan")])
    | st.sampled_from(
        [
            "",
            "a",
            "8000:80",
            "80",
            "1.5",
            "host",
            "sometimes",
            "./{service}",
            "{servce}",
            "${IMAGE_TAG}",
            "weekly",
            "every_2h",
            "-bad",
        ]
    )
    | st.sampled_from([str(value) for value in _enum_values(load_schema(COMPOSE_SCHEMA))])
    | st.just(datetime.date(2024, 1, 31))
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_KEYS, inner, max_size=3),
    max_leaves=6,
)

JsonPath = tuple[str | int, ...]


def _paths(value: object, path: JsonPath = ()) -> Iterator[JsonPath]:
    """Every place inside `value` that holds a value."""
    items: Iterator[tuple[str | int, object]] = iter(())
    if isinstance(value, dict):
        items = iter(value.items())
    elif isinstance(value, list):
        items = enumerate(value)
    for step, child in items:
        yield (*path, step)
        yield from _paths(child, (*path, step))


def _at(document: Any, path: JsonPath) -> Any:
    for step in path:
        document = document[step]
    return document


def _retyped(value: object) -> object:
    """The same content in a neighbouring type: the slips people make in YAML."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (int, float)):
        return str(value) if value % 2 else bool(value)
    if isinstance(value, str):
        return int(value) if value.isdigit() else [value]
    if isinstance(value, list):
        return " ".join(map(str, value)) if value else {}
    if isinstance(value, dict):
        return [f"{key}={item}" for key, item in value.items()]
    return "null"


_MUTATIONS = ("replace", "retype", "rename", "add", "remove", "duplicate")


def _mutate(data: st.DataObject, document: Any) -> None:
    path = data.draw(st.sampled_from(list(_paths(document))))
    parent, step = _at(document, path[:-1]), path[-1]
    mutation = data.draw(st.sampled_from(_MUTATIONS))
    target = parent[step]
    if mutation == "replace":
        parent[step] = data.draw(_VALUES)
    elif mutation == "retype":
        parent[step] = _retyped(target)
    elif mutation == "rename" and isinstance(parent, dict):
        typo = data.draw(st.sampled_from([f"{step}s", str(step)[:-1], str(step)[1:]]) | _KEYS)
        parent[typo] = parent.pop(step)
    elif mutation == "add" and isinstance(target, dict):
        target[data.draw(_KEYS)] = data.draw(_VALUES)
    elif mutation == "remove":
        del parent[step]
    elif mutation == "duplicate" and isinstance(target, list) and target:
        target.append(copy.deepcopy(target[0]))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_a_mutated_corpus_document_gets_the_answer_jsonschema_gives(data: st.DataObject) -> None:
    document = copy.deepcopy(data.draw(st.sampled_from(_corpus())))
    for _ in range(data.draw(st.integers(1, 3))):
        if list(_paths(document)):
            _mutate(data, document)
    _assert_fast_never_says_a_wrong_yes(document)


_SERVICES = st.dictionaries(
    st.sampled_from(["api", "db", "my api"]),
    st.dictionaries(_KEYS, _VALUES, max_size=4) | _VALUES,
    max_size=2,
)


@settings(max_examples=400, deadline=None)
@given(_SERVICES, st.dictionaries(_KEYS, _VALUES, max_size=2))
def test_a_made_up_document_gets_the_answer_jsonschema_gives(
    services: dict[str, Any], top: dict[str, Any]
) -> None:
    _assert_fast_never_says_a_wrong_yes({**top, "services": services})


# ---------------------------------------------------------------------------------------------
# Each keyword on its own, against jsonschema, with the values where Python and JSON disagree

_TRICKY_SCALARS = st.sampled_from(
    [
        None,
        True,
        False,
        0,
        1,
        -1,
        2,
        1.0,
        0.0,
        -0.0,
        1.5,
        100,
        101,
        2**64,
        float("nan"),
        float("inf"),
        "",
        "a",
        "aa",
        "aaa",
        "é",
        "😀😀",
        "x-a",
        "b",
        "A",
        datetime.date(2024, 1, 31),
    ]
)
_TRICKY = st.recursive(
    _TRICKY_SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.sampled_from(["a", "b", "c", "x-a", "ab", ""]), inner, max_size=3)
    ),
    max_leaves=6,
)
_DRAFT = "https://json-schema.org/draft/2020-12/schema"
_EXACT_SCHEMAS: list[dict[str, Any]] = [
    {"type": "integer"},
    {"type": "number"},
    {"type": "boolean"},
    {"type": "null"},
    {"type": ["string", "null"]},
    {"type": "object"},
    {"type": ["array", "integer"]},
    {"enum": ["a", 1, None, True, [1], {"a": 1}]},
    {"enum": ["a", "b"]},
    {"const": 1},
    {"const": [1, {"a": True}]},
    {"uniqueItems": True},
    {"uniqueItems": False},
    {"minimum": 0, "maximum": 100},
    {"exclusiveMinimum": 0, "exclusiveMaximum": 1.5},
    {"minLength": 2, "maxLength": 2},
    {"pattern": "^a+$"},
    {"pattern": "a"},
    {"minItems": 1, "maxItems": 2},
    {"minProperties": 1, "maxProperties": 2},
    {"required": ["a", "b"]},
    {"format": "email", "type": "string"},
    {
        "properties": {"a": {"type": "string"}},
        "patternProperties": {"^x-": {}, "b": {"type": "integer"}},
        "additionalProperties": False,
    },
    {"additionalProperties": {"type": "integer"}, "properties": {"a": True}},
    {"oneOf": [{"type": "integer"}, {"type": "number"}]},
    {"oneOf": [{"minimum": 1}, {"type": "string"}, {"required": ["a"]}]},
    {"anyOf": [{"type": "integer"}, {"type": "string", "minLength": 2}]},
    {"allOf": [{"type": "array"}, {"items": {"type": ["string", "integer"]}}]},
    {"items": {"type": "string"}, "uniqueItems": True},
    {"items": False},
    {
        "title": "t",
        "description": "d",
        "$comment": "c",
        "default": 1,
        "examples": [2],
        "deprecated": True,
        "readOnly": True,
        "writeOnly": True,
        "definitions": {"a": False},
    },
    {
        "$defs": {"list": {"type": "array", "items": {"$ref": "#/$defs/list"}}},
        "$ref": "#/$defs/list",
    },
]


@pytest.mark.parametrize("schema", _EXACT_SCHEMAS, ids=repr)
@settings(max_examples=150, deadline=None)
@given(instance=_TRICKY)
def test_each_keyword_is_checked_exactly_as_jsonschema_checks_it(
    schema: dict[str, Any], instance: object
) -> None:
    schema = {"$schema": _DRAFT, **schema}
    slow = validator_for(schema)(schema).is_valid(instance)  # type: ignore[arg-type]
    assert compile_schema(schema)(instance) == slow


@pytest.mark.parametrize(
    ("schema", "instance", "expected"),
    [
        ({"type": "integer"}, 1.0, True),
        ({"type": "integer"}, True, False),
        ({"type": "number"}, False, False),
        ({"uniqueItems": True}, [1, True], True),
        ({"uniqueItems": True}, [1, 1.0], False),
        ({"uniqueItems": True}, [{"a": [0]}, {"a": [0.0]}], False),
        ({"enum": [1]}, True, False),
        ({"enum": [1]}, 1.0, True),
        ({"maxLength": 1}, "😀", True),
        ({"pattern": "[a-z]+"}, "-ab", True),  # searched for, not matched at the start
        ({"type": "string"}, datetime.date(2024, 1, 31), False),
        ({"patternProperties": {"^x": {}}}, {1: "a"}, False),  # not JSON: left to jsonschema
        ({"properties": {"a": {}}}, {1: "a"}, True),  # properties never look at other keys
    ],
)
def test_python_and_json_differences(
    schema: dict[str, Any], instance: object, expected: bool
) -> None:
    assert compile_schema(schema)(instance) is expected


# ---------------------------------------------------------------------------------------------
# Keywords the fast check does not implement: their subschemas are left to jsonschema

# Each with a value jsonschema rejects and the fast check would accept if it skipped the keyword.
_LEFT_TO_JSONSCHEMA: list[tuple[dict[str, Any], object]] = [
    ({"not": {"type": "integer"}}, 1),
    ({"if": {"type": "integer"}, "then": {"minimum": 10}, "else": {"type": "string"}}, 1),
    ({"if": {"type": "integer"}, "then": {"minimum": 10}, "else": {"type": "string"}}, None),
    ({"propertyNames": {"maxLength": 1}}, {"ab": 1}),
    ({"prefixItems": [{"type": "string"}]}, [1]),
    ({"dependentRequired": {"a": ["b"]}}, {"a": 1}),
    ({"dependentSchemas": {"a": {"required": ["b"]}}}, {"a": 1}),
    ({"contains": {"type": "string"}}, [1]),
    ({"contains": {"type": "string"}, "minContains": 2}, ["a", 1]),
    ({"contains": {"type": "string"}, "maxContains": 1}, ["a", "b"]),
    ({"multipleOf": 2}, 3),
    ({"unevaluatedItems": False}, [1]),
    ({"$dynamicRef": "#/$defs/text", "$defs": {"text": {"type": "string"}}}, 1),
    # Flattened where the vendored schema uses it (composeswap.vendored), nowhere else.
    ({"properties": {"a": {}}, "unevaluatedProperties": False}, {"b": 1}),
    ({"allOf": [{"properties": {"a": {}}}], "unevaluatedProperties": {"type": "string"}}, {"b": 1}),
    (
        {
            "anyOf": [{"properties": {"a": {"type": "integer"}}}, {"required": ["b"]}],
            "unevaluatedProperties": False,
        },
        {"a": "x", "b": 1},
    ),
    # Deeper down, the subschema holding the keyword answers for the value there.
    ({"properties": {"a": {"not": {}}}}, {"a": 1}),
    ({"items": {"$ref": "#/$defs/odd"}, "$defs": {"odd": {"not": {"multipleOf": 2}}}}, [2]),
    ({"anyOf": [{"not": {"type": "integer"}}, {"type": "string"}]}, 1),
    # jsonschema sees two matches; a branch that fell back must not make it look like one.
    ({"oneOf": [{"type": "integer"}, {"not": {"type": "string"}}]}, 1),
    (
        {
            "oneOf": [
                {"type": "object"},
                {"oneOf": [{"properties": {"a": {}}}], "unevaluatedProperties": False},
            ]
        },
        {"a": 1},
    ),
]


@pytest.mark.parametrize(("schema", "instance"), _LEFT_TO_JSONSCHEMA, ids=repr)
def test_a_keyword_the_fast_check_does_not_implement_is_left_to_jsonschema(
    schema: dict[str, Any], instance: object
) -> None:
    schema = {"$schema": _DRAFT, **schema}
    slow = validator_for(schema)(schema).is_valid(instance)  # type: ignore[arg-type]
    fast = compile_schema(schema)(instance)
    assert not slow
    assert not fast
    assert (fast or slow) == slow


@pytest.mark.parametrize("schema", [schema for schema, _ in _LEFT_TO_JSONSCHEMA], ids=repr)
@settings(max_examples=50, deadline=None)
@given(instance=_TRICKY)
def test_a_schema_partly_left_to_jsonschema_never_gets_a_wrong_yes(
    schema: dict[str, Any], instance: object
) -> None:
    schema = {"$schema": _DRAFT, **schema}
    slow = validator_for(schema)(schema).is_valid(instance)  # type: ignore[arg-type]
    assert slow or not compile_schema(schema)(instance)


def test_an_unknown_keyword_is_left_to_jsonschema_too() -> None:
    # jsonschema ignores it; the fast check cannot know that of a keyword it has never heard of.
    schema = {"x-note": "anything", "type": "integer"}
    assert validator_for(schema)(schema).is_valid(1)
    assert not compile_schema(schema)(1)


_PARTLY_UNHANDLED: dict[str, Any] = {
    "properties": {"a/b": {"not": {"propertyNames": {"x-note": 1}}}, "c": {"type": "string"}},
    "$defs": {"d": {"if": True, "then": {"$id": "nested.json"}, "title": "annotation"}},
    "prefixItems": [{"minimum": 1}],
}


def test_the_audit_lists_each_unhandled_keyword_where_it_is() -> None:
    assert [str(found) for found in unhandled_keywords(_PARTLY_UNHANDLED)] == [
        "prefixItems at #",
        "if at #/$defs/d",
        "then at #/$defs/d",
        "$id at #/$defs/d/then",
        "not at #/properties/a~1b",
        "propertyNames at #/properties/a~1b/not",
        "x-note at #/properties/a~1b/not/propertyNames",
    ]


def test_every_subschema_the_audit_lists_is_left_to_jsonschema() -> None:
    compiler = fastschema._Compiler(_PARTLY_UNHANDLED)
    listed = {found.location for found in unhandled_keywords(_PARTLY_UNHANDLED)}
    values: list[object] = [None, 1, "a", [], {}, {"a/b": 1}]
    for location in listed:
        check = compiler.compile(fastschema._resolve(_PARTLY_UNHANDLED, location))
        assert not any(map(check, values)), location
    assert compiler.compile(_PARTLY_UNHANDLED["properties"]["c"])("a")


# ---------------------------------------------------------------------------------------------
# The vendored schemas use only implemented keywords; a schema in a form not checked is refused


@pytest.mark.parametrize("name", SCHEMAS)
def test_the_vendored_schemas_use_only_keywords_the_fast_check_implements(name: str) -> None:
    """A refresh that brings a new keyword fails here: implement it, or the fast path is lost.

    Audited as `fastschema.is_valid` compiles it, flattened by `vendored.load`: the file itself
    has `unevaluatedProperties`, which flattening rewrites (tests/test_flatten.py).
    """
    schema = vendored.load(name)
    assert unhandled_keywords(schema) == []
    compile_schema(schema)


@pytest.mark.parametrize("name", SCHEMAS)
def test_every_keyword_jsonschema_asserts_is_handled(name: str) -> None:
    validator = validator_class(name)
    asserted = keywords_used(load_schema(name)) & set(validator.VALIDATORS)
    assert asserted - fastschema.HANDLED_KEYWORDS <= {"format"}
    # `format` only asserts with a format checker, and composeswap's validator is given none.
    assert validator({"format": "email"}).is_valid("not an email")


def test_ignored_keywords_are_ones_jsonschema_does_not_assert() -> None:
    asserted = set(validator_class(COMPOSE_SCHEMA).VALIDATORS)
    assert fastschema.IGNORED_KEYWORDS & asserted == {"format"}
    assert fastschema.HANDLED_KEYWORDS <= asserted


@pytest.mark.parametrize("name", SCHEMAS)
def test_every_subschema_compiles(name: str) -> None:
    """Subschemas are compiled on first use; none may fail then."""
    schema = load_schema(name)
    compiler = fastschema._Compiler(schema)
    for subschema, _ in fastschema._walk(schema):
        compiler.compile(subschema)(None)


@pytest.mark.parametrize(
    "schema",
    [
        {"not": {"$ref": "#/$defs/missing"}},
        {"prefixItems": {"type": "string"}},
        {"items": [{"type": "string"}]},
        {"$defs": {"a": {"$id": "other.json"}}},
        {"$schema": "http://json-schema.org/draft-07/schema#"},
        {"$ref": "other.json#/$defs/a"},
        {"$ref": "#/$defs/missing"},
        {"type": "strnig"},
        {"pattern": "("},
        {"properties": {"a": 1}},
        {"minLength": -1},
    ],
)
def test_anything_unsupported_fails_at_compile_time(schema: dict[str, Any]) -> None:
    with pytest.raises(UnsupportedSchema):
        compile_schema(schema)


# ---------------------------------------------------------------------------------------------
# Cost


def _run_python(code: str, *options: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *options, "-c", code],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        check=True,
    )


def test_importing_the_fast_check_does_not_import_jsonschema() -> None:
    done = _run_python("import composeswap.fastschema", "-X", "importtime")
    assert "composeswap.fastschema" in done.stderr
    assert "jsonschema" not in done.stderr


def test_checking_a_document_does_not_import_jsonschema() -> None:
    code = (
        "import sys; from composeswap import fastschema\n"
        "assert fastschema.is_valid('compose-spec.json', {'services': {'a': {'image': 'x'}}})\n"
        "assert fastschema.is_valid('composeswap.json', {'services': {}})\n"
        "print(sorted(name for name in sys.modules if 'jsonschema' in name))"
    )
    assert _run_python(code).stdout.strip() == "[]"


def test_each_schema_is_compiled_once() -> None:
    assert fastschema._compiled(COMPOSE_SCHEMA) is fastschema._compiled(COMPOSE_SCHEMA)
