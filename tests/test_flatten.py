"""The vendored Compose schema as loaded, flattened: the file's verdicts and composeswap's messages.

`vendored.flatten_unevaluated` rewrites `unevaluatedProperties` into `additionalProperties` at
load time. jsonschema with the file exactly as vendored (`vendored.read`) is the oracle for the
verdict; for the violations, `_violations_with_the_file` explains its errors as composeswap did
before flattening, recomputing the keys an `unevaluatedProperties` definition declares.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema.exceptions import ValidationError
from jsonschema.protocols import Validator
from jsonschema.validators import validator_for

from composeswap import schema, vendored
from composeswap.fastschema import Unhandled, unhandled_keywords
from composeswap.schema import COMPOSE_SCHEMA, CONFIG_SCHEMA, Violation
from tests.helpers import FIXTURES
from tests.test_fastschema import (
    _DRAFT,
    _KEYS,
    _SERVICES,
    _TRICKY,
    _VALUES,
    FIXTURE_FILES,
    _corpus,
    _load,
    _mutate,
    _paths,
)
from tests.test_properties import PROFILE

# A second or two each; COMPOSESWAP_EXAMPLES raises it with the other generated tests.
_GENERATED = settings(PROFILE)
_FILE = vendored.read(COMPOSE_SCHEMA)
_FLATTENED = ("service", "job", "pre_start_hook")


# ---------------------------------------------------------------------------------------------
# What flattening rewrites, and what it leaves alone


def test_the_file_uses_unevaluated_properties_where_flattening_rewrites_it() -> None:
    assert unhandled_keywords(_FILE) == [
        Unhandled(f"#/$defs/{name}", "unevaluatedProperties") for name in sorted(_FLATTENED)
    ]
    assert unhandled_keywords(vendored.load(COMPOSE_SCHEMA)) == []


def test_only_those_definitions_change() -> None:
    loaded = vendored.load(COMPOSE_SCHEMA)
    assert {key: value for key, value in loaded.items() if key != "$defs"} == {
        key: value for key, value in _FILE.items() if key != "$defs"
    }
    changed = [name for name, sub in loaded["$defs"].items() if sub != _FILE["$defs"][name]]
    assert sorted(changed) == sorted(_FLATTENED)
    assert vendored.load(CONFIG_SCHEMA) == vendored.read(CONFIG_SCHEMA)


@pytest.mark.parametrize("name", _FLATTENED)
def test_a_flattened_definition_declares_its_branches_keys(name: str) -> None:
    before, after = _FILE["$defs"][name], vendored.load(COMPOSE_SCHEMA)["$defs"][name]
    branches = [_FILE["$defs"][ref["$ref"].removeprefix("#/$defs/")] for ref in before["allOf"]]
    assert after["additionalProperties"] is False and "unevaluatedProperties" not in after
    assert after["allOf"] == before["allOf"]
    for word in ("properties", "patternProperties"):
        declared = {key for sub in (before, *branches) for key in sub.get(word, {})}
        assert set(after[word]) == declared
        # Its own keys keep their schemas; the branches' accept anything, the allOf checks them.
        own = before.get(word, {})
        assert all(value is True or own[key] == value for key, value in after[word].items())


_SPEC = {
    "type": "object",
    "properties": {"a": {"type": "string"}},
    "patternProperties": {"^x-": {}},
}


def _definitions(service: dict[str, Any], **others: object) -> dict[str, Any]:
    return {"$defs": {"spec": _SPEC, "service": service, **others}}


# Each outside the shape `flatten_unevaluated` describes (`loose` declares more than keys).
_LEFT_ALONE: list[dict[str, Any]] = [
    {"allOf": [{"$ref": "#/$defs/spec"}], "unevaluatedProperties": {"type": "string"}},
    {"allOf": [{"$ref": "#/$defs/spec"}], "unevaluatedProperties": True},
    {"properties": {"b": {}}, "unevaluatedProperties": False},
    {"allOf": [], "unevaluatedProperties": False},
    {"allOf": [{"$ref": "#/$defs/spec"}], "anyOf": [{}], "unevaluatedProperties": False},
    {"allOf": [{"$ref": "#/$defs/spec"}], "$ref": "#/$defs/spec", "unevaluatedProperties": False},
    {"allOf": [{"$ref": "#/$defs/spec"}], "default": {}, "unevaluatedProperties": False},
    {"allOf": [{"$ref": "#/$defs/spec", "title": "t"}], "unevaluatedProperties": False},
    {"allOf": [{"$ref": "other.json#/$defs/spec"}], "unevaluatedProperties": False},
    {"allOf": [{"$ref": "#/$defs/missing"}], "unevaluatedProperties": False},
    {"allOf": [{"$ref": "#/properties/spec"}], "unevaluatedProperties": False},
    {"allOf": [{"$ref": "#/$defs/loose"}], "unevaluatedProperties": False},
    {"allOf": [{"$ref": "#/$defs/service"}], "unevaluatedProperties": False},
    {"allOf": [True], "unevaluatedProperties": False},
    {"allOf": [{"oneOf": [_SPEC]}], "unevaluatedProperties": False},
    {"allOf": [{"properties": ["a"]}], "unevaluatedProperties": False},
    {"allOf": [_SPEC], "properties": ["b"], "unevaluatedProperties": False},
]


@pytest.mark.parametrize("service", _LEFT_ALONE, ids=repr)
def test_any_other_shape_is_left_alone(service: dict[str, Any]) -> None:
    root = _definitions(service, loose={"additionalProperties": {}})
    assert vendored.flatten_unevaluated(root)["$defs"]["service"] is service


def test_the_schema_handed_in_is_not_changed() -> None:
    service = {"allOf": [{"$ref": "#/$defs/spec"}], "unevaluatedProperties": False}
    root = _definitions(service)
    kept = copy.deepcopy(root)
    assert vendored.flatten_unevaluated(root) != kept
    assert root == kept


# Schemas flattening rewrites, with keys declared at each level, required keys, overlapping
# declarations and a value the definition's own `properties` restricts further.
_REWRITTEN: list[dict[str, Any]] = [
    _definitions({"allOf": [{"$ref": "#/$defs/spec"}], "unevaluatedProperties": False}),
    _definitions(
        {
            "type": "object",
            "required": ["a"],
            "properties": {"a": {"minLength": 2}, "b": {"type": "integer"}},
            "allOf": [{"$ref": "#/$defs/spec"}, {"properties": {"c": {"type": "array"}}}],
            "unevaluatedProperties": False,
        }
    ),
    _definitions(
        {
            "patternProperties": {"^x-": {"type": "integer"}, "^a": {}},
            "allOf": [{"patternProperties": {"b$": {"type": "null"}}}, {"$ref": "#/$defs/spec"}],
            "unevaluatedProperties": False,
        }
    ),
]


@pytest.mark.parametrize("root", _REWRITTEN, ids=repr)
@settings(max_examples=150, deadline=None)
@given(instance=_TRICKY)
def test_a_rewritten_definition_gives_the_verdicts_of_the_original(
    root: dict[str, Any], instance: Any
) -> None:
    original = {"$schema": _DRAFT, **root, "$ref": "#/$defs/service"}
    flattened = vendored.flatten_unevaluated(original)
    assert "unevaluatedProperties" not in flattened["$defs"]["service"]
    verdict = validator_for(original)(original).is_valid(instance)
    assert validator_for(flattened)(flattened).is_valid(instance) == verdict


# ---------------------------------------------------------------------------------------------
# The vendored schema: verdicts and violations on real and generated documents


@functools.cache
def _file_validator() -> Validator:
    return schema.validator_class(COMPOSE_SCHEMA)(_FILE)


def _violations_with_the_file(instance: Any) -> set[Violation]:
    """The violations composeswap reported before flattening: the file's errors, explained."""
    found: set[Violation] = set()
    for error in _file_validator().iter_errors(instance):
        if error.validator == "unevaluatedProperties":
            found.update(_unknown_keys(error))
        else:
            found.update(schema._explain(error))
    return found


def _unknown_keys(error: ValidationError) -> Iterator[Violation]:
    """The keys neither the definition nor its `allOf` branches declare, whatever their values.

    Recomputed, as composeswap did before flattening: jsonschema counts none of an invalid
    branch's keys as evaluated, so one bad value in a service would make its siblings unknown.
    """
    assert isinstance(error.schema, Mapping)
    declared = [error.schema]
    declared += [_FILE["$defs"][ref["$ref"].split("/")[-1]] for ref in error.schema["allOf"]]
    keys = schema._Keys(
        frozenset(key for sub in declared for key in sub.get("properties", {})),
        frozenset(key for sub in declared for key in sub.get("patternProperties", {})),
    )
    return schema._unknown_keys(tuple(error.absolute_path), error.instance, keys)


def _assert_as_with_the_file(document: object) -> None:
    instance = schema._as_json(document)
    verdict = _file_validator().is_valid(instance)
    assert schema._validator(COMPOSE_SCHEMA).is_valid(instance) == verdict
    assert schema.is_valid_compose(instance) == verdict
    assert set(schema.compose_violations(instance)) == _violations_with_the_file(instance)


@pytest.mark.parametrize("file", FIXTURE_FILES, ids=lambda file: str(file.relative_to(FIXTURES)))
def test_every_fixture_and_corpus_file_gets_the_verdict_and_violations_of_the_file(
    file: Path,
) -> None:
    _assert_as_with_the_file(_load(file))


def test_some_fixtures_have_keys_the_file_calls_unevaluated() -> None:
    """So the fixtures compare what flattening changes, not only what it leaves alone."""
    errors = [
        error.validator
        for file in FIXTURE_FILES
        for error in _file_validator().iter_errors(schema._as_json(_load(file)))
    ]
    assert "unevaluatedProperties" in errors


@_GENERATED
@given(st.data())
def test_a_mutated_corpus_document_gets_the_verdict_and_violations_of_the_file(
    data: st.DataObject,
) -> None:
    document = copy.deepcopy(data.draw(st.sampled_from(_corpus())))
    for _ in range(data.draw(st.integers(1, 3))):
        if list(_paths(document)):
            _mutate(data, document)
    _assert_as_with_the_file(document)


@_GENERATED
@given(_SERVICES, st.dictionaries(_KEYS, _VALUES, max_size=2))
def test_a_made_up_document_gets_the_verdict_and_violations_of_the_file(
    services: dict[str, Any], top: dict[str, Any]
) -> None:
    _assert_as_with_the_file({**top, "services": services})


def _spec_keys() -> list[str]:
    """The keys of the flattened definitions, and a few no definition declares."""
    names = ("container_spec", "workload_spec", *_FLATTENED)
    declared = {key for name in names for key in _FILE["$defs"][name]["properties"]}
    return sorted({*declared, "x-a", "imgae", "unknown"})


# Services, jobs and hooks with real keys and values of any kind: most have a bad value beside
# good siblings, or a key declared only for another kind of definition.
_BODIES = st.dictionaries(
    st.sampled_from(_spec_keys()), _VALUES | st.sampled_from(["nginx", "a", 1]), max_size=4
)


@_GENERATED
@given(_BODIES, st.lists(_BODIES, max_size=2), _BODIES)
def test_services_jobs_and_hooks_get_the_verdict_and_violations_of_the_file(
    service: dict[str, Any], hooks: list[dict[str, Any]], job: dict[str, Any]
) -> None:
    document = {"services": {"api": {**service, "pre_start": hooks}}, "jobs": {"once": job}}
    _assert_as_with_the_file(document)
