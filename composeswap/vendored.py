"""Reading the vendored JSON schemas (package ``composeswap.schemas``, the ``schemas/`` folder),
for both the compiled checker and jsonschema: neither imports the other for it."""

from __future__ import annotations

import functools
import importlib.util
import json
from collections.abc import Mapping
from typing import Any


@functools.cache
def load(name: str) -> dict[str, Any]:
    """A vendored schema as composeswap validates with it: `read`, then `flatten_unevaluated`."""
    return flatten_unevaluated(read(name))


def read(name: str) -> dict[str, Any]:
    """A vendored schema exactly as the file holds it."""
    # The package's folder, found without importlib.resources: its import (with zipfile and
    # tempfile) costs more than a whole switch of a small file.
    spec = importlib.util.find_spec("composeswap.schemas")
    assert spec is not None and spec.submodule_search_locations
    folder = next(iter(spec.submodule_search_locations))
    with open(f"{folder}/{name}", encoding="utf-8") as schema_file:
        schema: dict[str, Any] = json.load(schema_file)
    return schema


# ---------------------------------------------------------------------------------------------
# unevaluatedProperties as additionalProperties
#
# jsonschema works `unevaluatedProperties` out per value, validating each subschema applied in
# place a second time to collect the keys it evaluates: the Compose schema's services took twice
# the time they take with `additionalProperties`. And where an `allOf` branch is invalid, it counts
# none of that branch's keys as evaluated, so one bad value made all the keys of its branch
# "unexpected". Flattened, a service rejects unknown keys as every other mapping of the schema does.

# Keywords that never make a key evaluated, whether or not they judge the value (jsonschema's
# `find_evaluated_property_keys_by_schema` does not look at them).
_KEYLESS = frozenset({"type", "required", "title", "description", "$comment"})
_DECLARING = ("properties", "patternProperties")
_BRANCH = _KEYLESS.union(_DECLARING)
_DEFINITION = _BRANCH | {"allOf", "unevaluatedProperties"}


def flatten_unevaluated(root: Mapping[str, Any]) -> dict[str, Any]:
    """`root` with each definition of one shape in its `$defs` turned into `additionalProperties`.

    The shape: a definition (a value of `root["$defs"]`) holding `unevaluatedProperties: false`
    and a non-empty `allOf`, and besides them only `properties`, `patternProperties` and keywords
    of `_KEYLESS`; each `allOf` branch is a mapping holding only `properties`, `patternProperties`
    and keywords of `_KEYLESS`, or is `{"$ref": "#/$defs/NAME"}` alone, naming such a mapping in
    `root["$defs"]`. Such a definition loses its `unevaluatedProperties` and gains
    `additionalProperties: false`, its own keys and patterns kept as they are and those its
    branches declare added as `true` (the `allOf`, kept as it is, still checks their values).

    A value that fails the `allOf` fails both forms; for one that passes it, the keys evaluated
    are exactly the keys declared, so both forms reject the same keys. Only the errors jsonschema
    reports for an invalid value differ. Every other definition, the rest of `root`, and `root`
    itself (this is a copy, and the file keeps its bytes and sha256) are left untouched.
    """
    definitions = root.get("$defs")
    if not isinstance(definitions, Mapping):
        return dict(root)
    flat = {name: _flattened(sub, definitions) for name, sub in definitions.items()}
    return {**root, "$defs": flat}


def _flattened(schema: object, definitions: Mapping[str, Any]) -> object:
    """`schema` rewritten if it has the shape `flatten_unevaluated` describes, else itself."""
    branches = _branches(schema, definitions)
    if branches is None or not isinstance(schema, Mapping):
        return schema
    declared = [schema, *branches]
    kept = {word: value for word, value in schema.items() if word != "unevaluatedProperties"}
    return {
        **kept,
        "properties": _merged("properties", declared),
        "patternProperties": _merged("patternProperties", declared),
        "additionalProperties": False,
    }


def _branches(schema: object, definitions: Mapping[str, Any]) -> list[Mapping[str, Any]] | None:
    """What the `allOf` of `schema` applies, if `schema` has the shape; otherwise None."""
    if not isinstance(schema, Mapping) or schema.get("unevaluatedProperties") is not False:
        return None
    if set(schema) - _DEFINITION or not _declarations_are_mappings(schema):
        return None
    branches = schema.get("allOf")
    if not isinstance(branches, list) or not branches:
        return None
    resolved = [_branch(sub, definitions) for sub in branches]
    applied = [branch for branch in resolved if branch is not None]
    return applied if len(applied) == len(resolved) else None


def _merged(word: str, schemas: list[Mapping[str, Any]]) -> dict[str, object]:
    """The keys (or patterns) under `word` in `schemas`, the first's schemas kept, others `true`."""
    first, *others = schemas
    merged: dict[str, object] = dict(first.get(word, {}))
    for other in others:
        merged.update((key, True) for key in other.get(word, {}) if key not in merged)
    return merged


def _branch(schema: object, definitions: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The mapping an `allOf` branch applies, if it only declares keys; otherwise None."""
    if isinstance(schema, Mapping) and set(schema) == {"$ref"}:
        schema = _definition(schema["$ref"], definitions)
    if (
        not isinstance(schema, Mapping)
        or set(schema) - _BRANCH
        or not _declarations_are_mappings(schema)
    ):
        return None
    return schema


def _declarations_are_mappings(schema: Mapping[str, Any]) -> bool:
    """Whether `properties` and `patternProperties`, where present, are mappings of keys."""
    return all(isinstance(schema.get(word, {}), Mapping) for word in _DECLARING)


def _definition(ref: object, definitions: Mapping[str, Any]) -> object:
    """What a `#/$defs/NAME` reference names; None for any other reference."""
    prefix = "#/$defs/"
    if not isinstance(ref, str) or not ref.startswith(prefix) or "/" in ref[len(prefix) :]:
        return None
    return definitions.get(ref[len(prefix) :].replace("~1", "/").replace("~0", "~"))
