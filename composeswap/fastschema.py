"""A quick yes-or-maybe check of a JSON value against a vendored JSON schema, without jsonschema.

Importing jsonschema costs ~80 ms and its validator needs ~0.2 s for a 1000-service file; this
module turns a schema into plain closures that answer in a few milliseconds. The answer is
conservative: True means jsonschema's validator for the schema (``validator_for(schema)``)
accepts the value too; False only means "ask jsonschema", which then also explains the problems.
It is meant as a fast path in front of ``composeswap.schema``::

    instance = _as_json(document)
    return fastschema.is_valid(COMPOSE_SCHEMA, instance) or _validator(...).is_valid(instance)

Only draft 2020-12 and the keywords of the vendored schemas are understood, and the check fails
closed: a subschema with any other keyword (`not`, `if`, an unknown `x-note`, ...) answers False
for every value, so jsonschema decides wherever it applies. `unhandled_keywords` lists such places;
the tests require the vendored schemas as loaded (`composeswap.vendored.load`) to have none, so a
schema refresh that starts using a new keyword fails them loudly rather than silently losing the
fast path. `compile_schema` raises
`UnsupportedSchema` for what falling back cannot make safe: another draft, a reference outside
the document, a nested `$id`, or a handled keyword with a value of a form it does not check.

Every keyword handled is checked exactly as jsonschema checks it. `unevaluatedProperties` is
not handled (jsonschema works out per value which keys the subschemas applied in place evaluate):
loading flattens the vendored Compose schema's uses of it into `additionalProperties` (see
`composeswap.vendored.flatten_unevaluated`), and a use that flattening does not rewrite is left
to jsonschema like any other keyword.

Values are JSON values as `composeswap.schema` hands them to jsonschema: every mapping key a
string (YAML's `8080:` key already turned into "8080"). Scalars JSON lacks, such as dates, may
stay; they are judged as jsonschema judges them (a date is no string).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from numbers import Number
from typing import Any, NamedTuple

Check = Callable[[object], bool]

DRAFT_2020_12 = "https://json-schema.org/draft/2020-12/schema"

# Keywords that never make jsonschema reject a value: annotations, containers of definitions,
# and `format`, which jsonschema asserts only when given a format checker (ours has none).
# `$id` and `$schema` only at the root: nested, they change how jsonschema reads what is inside.
IGNORED_KEYWORDS = frozenset(
    {
        "$schema",
        "$id",
        "$comment",
        "$defs",
        "definitions",
        "title",
        "description",
        "default",
        "deprecated",
        "examples",
        "readOnly",
        "writeOnly",
        "format",
    }
)

# Keys whose plan is remembered per object schema; beyond it plans are recomputed, so a huge
# document of unique names cannot grow memory without bound.
_PLAN_CACHE_LIMIT = 4096


class UnsupportedSchema(ValueError):
    """The schema uses something this module does not check exactly: it needs code first."""


class Unhandled(NamedTuple):
    """A keyword the fast check does not implement, and the subschema holding it."""

    location: str  # a JSON pointer such as "#/$defs/service"
    keyword: str

    def __str__(self) -> str:
        return f"{self.keyword} at {self.location}"


def compile_schema(schema: Mapping[str, Any], audited: bool = False) -> Check:
    """A check that is True only for JSON values jsonschema's validator for `schema` accepts.

    The whole schema is checked for unsupported forms now (see `UnsupportedSchema`), unless
    `audited` says that was done already; subschemas are compiled on first use, so a small
    document pays only for the part of a large schema it touches.
    """
    if not audited:
        _check_supported(schema)
    check = _Compiler(schema).compile(schema)

    def is_valid(instance: object) -> bool:
        try:
            return check(instance)
        # jsonschema raises in these cases too (a non-string key under patternProperties, a
        # value nested deeper than the stack): no reason to call the value valid.
        except (TypeError, RecursionError):
            return False

    return is_valid


def is_valid(name: str, instance: object) -> bool:
    """Whether `instance` surely follows the vendored schema `name` (see `compile_schema`)."""
    return _compiled(name)(instance)


@functools.cache
def _compiled(name: str) -> Check:
    from composeswap.vendored import load as load_schema

    # The vendored schemas are audited by the tests (test_fastschema.py), not on every run:
    # that walk, which compiles every pattern, would be most of the time a small file takes.
    # Unhandled keywords need no audit: their subschemas fall back to jsonschema anyway.
    return compile_schema(load_schema(name), audited=True)


def keywords_used(schema: Mapping[str, Any]) -> set[str]:
    """Every keyword anywhere in `schema`; property names and definition names are no keywords."""
    return {word for sub, _ in _walk(schema) if isinstance(sub, Mapping) for word in sub}


def unhandled_keywords(schema: Mapping[str, Any]) -> list[Unhandled]:
    """Each keyword in `schema` the fast check does not implement, in the order of locations.

    The subschema holding one always answers False, leaving the value to jsonschema: correct, but
    slow wherever it applies. Subschemas inside such keywords (`not`, `if`, ...) are listed too.
    """
    return sorted(
        Unhandled(f"#{location}", word)
        for sub, location in _walk(schema)
        if isinstance(sub, Mapping)
        for word in _unhandled(sub, is_root=not location)
    )


def _unhandled(schema: Mapping[str, Any], is_root: bool) -> list[str]:
    """The keywords of `schema` that the compiled check would not look at."""
    known = _ROOT_KEYWORDS if is_root else _NESTED_KEYWORDS
    return [word for word in schema if word not in known]


# ---------------------------------------------------------------------------------------------
# What is supported: each handled keyword with the shape its value must have


def _is_count(value: object) -> bool:
    return type(value) is int and value >= 0


def _is_bound(value: object) -> bool:
    return type(value) in (int, float)


def _is_schema(value: object) -> bool:
    return isinstance(value, (Mapping, bool))


def _is_schema_list(value: object) -> bool:
    return isinstance(value, list) and bool(value) and all(_is_schema(sub) for sub in value)


def _is_regex(value: object) -> bool:
    try:
        re.compile(value)  # type: ignore[call-overload]
    except (re.error, TypeError):
        return False
    return True


def _is_type(value: object) -> bool:
    names = [value] if isinstance(value, str) else value
    return isinstance(names, list) and bool(names) and all(name in _TYPES for name in names)


_SHAPES: dict[str, Check] = {
    # Only JSON pointers into this document: no other documents, anchors or escapes.
    "$ref": lambda value: (
        isinstance(value, str) and (value == "#" or value.startswith("#/")) and "%" not in value
    ),
    "type": _is_type,
    "enum": lambda value: isinstance(value, list),
    "const": lambda value: True,
    "allOf": _is_schema_list,
    "anyOf": _is_schema_list,
    "oneOf": _is_schema_list,
    "properties": lambda value: isinstance(value, Mapping),
    "patternProperties": lambda value: isinstance(value, Mapping) and all(map(_is_regex, value)),
    "additionalProperties": _is_schema,
    "required": lambda value: isinstance(value, list) and all(isinstance(k, str) for k in value),
    "minProperties": _is_count,
    "maxProperties": _is_count,
    # In draft 2020-12 `items` is one schema; the list form became `prefixItems`.
    "items": _is_schema,
    "uniqueItems": lambda value: isinstance(value, bool),
    "minItems": _is_count,
    "maxItems": _is_count,
    "pattern": lambda value: isinstance(value, str) and _is_regex(value),
    "minLength": _is_count,
    "maxLength": _is_count,
    "minimum": _is_bound,
    "maximum": _is_bound,
    "exclusiveMinimum": _is_bound,
    "exclusiveMaximum": _is_bound,
}
HANDLED_KEYWORDS = frozenset(_SHAPES)
_ROOT_KEYWORDS = HANDLED_KEYWORDS | IGNORED_KEYWORDS
_NESTED_KEYWORDS = _ROOT_KEYWORDS - {"$id", "$schema"}


def _check_supported(root: Mapping[str, Any]) -> None:
    """Raise UnsupportedSchema for anything in `root` a fallback to jsonschema would not cover."""
    if root.get("$schema", DRAFT_2020_12) not in (DRAFT_2020_12, f"{DRAFT_2020_12}#"):
        raise UnsupportedSchema(f"only draft 2020-12 is supported, not {root['$schema']}")
    refs: set[str] = set()
    for schema, location in _walk(root):
        if isinstance(schema, bool):
            continue
        for word, value in schema.items():
            _check_keyword(word, value, is_root=not location)
        if "$ref" in schema:
            refs.add(schema["$ref"])
        if "additionalProperties" in schema and not _is_regex(_any_pattern(schema)):
            raise UnsupportedSchema("patternProperties do not combine into one regex")
    for ref in refs:
        _resolve(root, ref)


def _check_keyword(word: str, value: object, is_root: bool) -> None:
    shape = _SHAPES.get(word)
    if shape is not None and not shape(value):
        raise UnsupportedSchema(f"unsupported value for {word!r}: {value!r}")
    # A nested $id moves the base of the "#/..." references inside it, also where a reference
    # from outside leads in, so falling back in its own subschema is not enough. A nested
    # $schema would change the draft of all inside it.
    if word in ("$id", "$schema") and not is_root:
        raise UnsupportedSchema(f"keyword {word!r} is only supported at the root")


def _any_pattern(schema: Mapping[str, Any]) -> str:
    """The one regex jsonschema's additionalProperties tries, made of all patternProperties."""
    return "|".join(schema.get("patternProperties", {}))


# How each keyword holding schemas holds them: a mapping of them, a list, or just one. The
# applicators of draft 2020-12 that are left to jsonschema are here too, so that an audit sees
# what is inside them.
_NESTED = {
    "properties": dict,
    "patternProperties": dict,
    "$defs": dict,
    "definitions": dict,
    "dependentSchemas": dict,
    "allOf": list,
    "anyOf": list,
    "oneOf": list,
    "prefixItems": list,
    "additionalProperties": object,
    "unevaluatedProperties": object,
    "items": object,
    "not": object,
    "if": object,
    "then": object,
    "else": object,
    "propertyNames": object,
    "contains": object,
    "unevaluatedItems": object,
}


def _walk(root: object) -> Iterator[tuple[Mapping[str, Any] | bool, str]]:
    """`root` and every schema nested in it, each with its JSON pointer ("" for the root)."""
    pending: list[tuple[object, str]] = [(root, "")]
    while pending:
        schema, location = pending.pop()
        if not isinstance(schema, (dict, bool, Mapping)):
            raise UnsupportedSchema(f"a schema must be a mapping or a boolean, not {schema!r}")
        yield schema, location
        if not isinstance(schema, bool):
            pending += ((sub, f"{location}/{step}") for step, sub in _children(schema))


def _children(schema: Mapping[str, Any]) -> Iterator[tuple[str, object]]:
    """The schemas directly inside `schema`, not following `$ref`, each with its pointer step."""
    for word, value in schema.items():
        holder = _NESTED.get(word)
        if holder is dict:
            if not isinstance(value, Mapping):
                raise UnsupportedSchema(f"{word} must be a mapping, not {value!r}")
            yield from ((f"{word}/{_escaped(name)}", sub) for name, sub in value.items())
        elif holder is list:
            if not isinstance(value, list):
                raise UnsupportedSchema(f"{word} must be a list, not {value!r}")
            yield from ((f"{word}/{index}", sub) for index, sub in enumerate(value))
        elif holder is object:
            yield word, value


def _escaped(name: str) -> str:
    """`name` as one step of a JSON pointer."""
    return name.replace("~", "~0").replace("/", "~1")


def _resolve(root: Mapping[str, Any], ref: str) -> object:
    """The subschema a local JSON pointer reference such as "#/$defs/service" names."""
    node: object = root
    for part in ref[1:].split("/")[1:]:
        key = part.replace("~1", "/").replace("~0", "~")
        if isinstance(node, Mapping) and key in node:
            node = node[key]
        elif isinstance(node, list) and key.isdigit() and int(key) < len(node):
            node = node[int(key)]
        else:
            raise UnsupportedSchema(f"reference {ref!r} points nowhere")
    return node


# ---------------------------------------------------------------------------------------------
# Compiling an audited schema


def _accept(instance: object) -> bool:
    return True


def _reject(instance: object) -> bool:
    return False


class _Compiler:
    """Compiles the subschemas of one audited root schema; each `$ref` target only once."""

    def __init__(self, root: Mapping[str, Any]) -> None:
        self._root = root
        self._refs: dict[str, Check] = {}
        self._exact: dict[int, bool] = {}

    def compile(self, schema: object) -> Check:
        if isinstance(schema, bool):
            return _accept if schema else _reject
        assert isinstance(schema, Mapping)
        if _unhandled(schema, is_root=schema is self._root):
            # A keyword not checked here might reject the value: only jsonschema can tell.
            return _reject
        return _all([*self._generic(schema), *self._by_kind(schema)])

    def _generic(self, schema: Mapping[str, Any]) -> list[Check]:
        """Keywords that apply to a value of any type, cheapest first."""
        checks: list[Check] = []
        if "type" in schema:
            checks.append(_type_check(schema["type"]))
        if "enum" in schema:
            checks.append(_enum_check(schema["enum"]))
        if "const" in schema:
            checks.append(_enum_check([schema["const"]]))
        if "$ref" in schema:
            checks.append(self._ref(schema["$ref"]))
        if "allOf" in schema:
            checks.append(_all([self.compile(sub) for sub in schema["allOf"]]))
        if "anyOf" in schema:
            checks.append(_any([self.compile(sub) for sub in schema["anyOf"]]))
        if "oneOf" in schema:
            checks.append(self._one_of(schema["oneOf"]))
        return checks

    def _by_kind(self, schema: Mapping[str, Any]) -> list[Check]:
        """Keywords that apply to one type of value only, and let any other type through."""
        checks: list[Check] = []
        for kind, kind_checks in (
            (dict, self._object(schema)),
            (list, self._array(schema)),
            (str, _string_checks(schema)),
        ):
            if kind_checks:
                checks.append(_only_for(kind, _all(kind_checks)))
        number_checks = _number_checks(schema)
        if number_checks:
            checks.append(_only_for_numbers(_all(number_checks)))
        return checks

    def _ref(self, ref: str) -> Check:
        if ref not in self._refs:
            target: list[Check] = []
            # A reference back into the schema being compiled sees this forwarder.
            self._refs[ref] = lambda instance: target[0](instance)
            target.append(self.compile(_resolve(self._root, ref)))
            self._refs[ref] = target[0]
        return self._refs[ref]

    def _one_of(self, branches: list[object]) -> Check:
        if not all(self._is_exact(branch) for branch in branches):
            # A branch that wrongly rejects could hide a second match.
            return _reject
        checks = tuple(self.compile(branch) for branch in branches)

        def one_of(instance: object) -> bool:
            matches = 0
            for check in checks:
                if check(instance):
                    matches += 1
                    if matches > 1:
                        return False
            return matches == 1

        return one_of

    def _object(self, schema: Mapping[str, Any]) -> list[Check]:
        checks: list[Check] = []
        if any(word in schema for word in _KEY_WORDS):
            checks.append(self._key_plans(schema).check)
        if "required" in schema:
            checks.append(_required_check(schema["required"]))
        if "minProperties" in schema or "maxProperties" in schema:
            checks.append(_length_check(schema.get("minProperties"), schema.get("maxProperties")))
        return checks

    def _key_plans(self, schema: Mapping[str, Any]) -> _KeyPlans:
        return _KeyPlans(
            self.compile,
            schema.get("properties", {}),
            [
                (re.compile(pattern), sub)
                for pattern, sub in schema.get("patternProperties", {}).items()
            ],
            _Additional(re.compile(_any_pattern(schema)), schema["additionalProperties"])
            if "additionalProperties" in schema
            else None,
        )

    def _is_exact(self, schema: object, visiting: frozenset[str] = frozenset()) -> bool:
        """Whether the compiled `schema` never rejects a value jsonschema accepts.

        A keyword left to jsonschema (which makes the check reject every value) makes a check
        inexact; a recursive reference is taken as inexact too, which is merely cautious.
        """
        if not isinstance(schema, Mapping):
            return True
        if id(schema) not in self._exact:
            exact = not _unhandled(schema, is_root=schema is self._root) and all(
                self._is_exact(sub, visiting) for _, sub in _children(schema)
            )
            ref = schema.get("$ref")
            if ref is not None:
                exact = (
                    exact
                    and ref not in visiting
                    and self._is_exact(_resolve(self._root, ref), visiting | {ref})
                )
            self._exact[id(schema)] = exact
        return self._exact[id(schema)]

    def _array(self, schema: Mapping[str, Any]) -> list[Check]:
        checks: list[Check] = []
        if "items" in schema:
            checks.append(_items_check(self.compile(schema["items"])))
        if schema.get("uniqueItems"):
            checks.append(_unique)
        if "minItems" in schema or "maxItems" in schema:
            checks.append(_length_check(schema.get("minItems"), schema.get("maxItems")))
        return checks


_KEY_WORDS = ("properties", "patternProperties", "additionalProperties")


# ---------------------------------------------------------------------------------------------
# Composition


def _all(checks: Sequence[Check]) -> Check:
    """All of `checks`, with the common short cases unrolled for speed."""
    if not checks:
        return _accept
    if len(checks) == 1:
        return checks[0]
    if len(checks) == 2:
        first, second = checks
        return lambda instance: first(instance) and second(instance)
    frozen = tuple(checks)
    return lambda instance: all(check(instance) for check in frozen)


def _any(checks: Sequence[Check]) -> Check:
    frozen = tuple(checks)
    return lambda instance: any(check(instance) for check in frozen)


def _only_for(kind: type[Any], check: Check) -> Check:
    return lambda instance: not isinstance(instance, kind) or check(instance)


def _only_for_numbers(check: Check) -> Check:
    return lambda instance: not _is_number(instance) or check(instance)


# ---------------------------------------------------------------------------------------------
# Types and values, judged exactly as jsonschema's 2020-12 type checker and `equal` judge them

_PLAIN_NUMBERS = (int, float)


def _is_number(instance: object) -> bool:
    if type(instance) in _PLAIN_NUMBERS:
        return True
    # bool is an int in Python but not a number in JSON; Decimal and friends are numbers.
    return not isinstance(instance, bool) and isinstance(instance, Number)


def _is_integer(instance: object) -> bool:
    if isinstance(instance, bool):
        return False
    # Since draft 6, 1.0 is an integer.
    return isinstance(instance, int) or (isinstance(instance, float) and instance.is_integer())


_TYPES: dict[str, Check] = {
    "object": lambda instance: isinstance(instance, dict),
    "array": lambda instance: isinstance(instance, list),
    "string": lambda instance: isinstance(instance, str),
    "boolean": lambda instance: isinstance(instance, bool),
    "null": lambda instance: instance is None,
    "number": _is_number,
    "integer": _is_integer,
}


def _type_check(types: str | list[str]) -> Check:
    names = [types] if isinstance(types, str) else types
    return _any([_TYPES[name] for name in names]) if len(names) > 1 else _TYPES[names[0]]


def _enum_check(values: list[object]) -> Check:
    if all(type(value) is str for value in values):
        strings = frozenset(values)
        # jsonschema compares a string with == only, so set membership gives the same answer.
        return lambda instance: (
            instance in strings
            if type(instance) is str
            else any(_equal(value, instance) for value in values)
        )
    return lambda instance: any(_equal(value, instance) for value in values)


# Stand-ins that keep True and 1 (False and 0) apart, as jsonschema's `unbool` does.
_TRUE, _FALSE = object(), object()


def _unbool(value: object) -> object:
    if value is True:
        return _TRUE
    if value is False:
        return _FALSE
    return value


def _equal(one: object, two: object) -> bool:
    """jsonschema's `equal`: 1 equals 1.0, but True is not 1, all the way down."""
    if one is two:
        return True
    if isinstance(one, str) or isinstance(two, str):
        return one == two
    if isinstance(one, Sequence) and isinstance(two, Sequence):
        return len(one) == len(two) and all(_equal(a, b) for a, b in zip(one, two))
    if isinstance(one, Mapping) and isinstance(two, Mapping):
        return len(one) == len(two) and all(
            key in two and _equal(value, two[key]) for key, value in one.items()
        )
    return _unbool(one) == _unbool(two)


def _unique(instance: object) -> bool:
    """jsonschema's `uniq`, step for step, after a fast path for a list of plain strings."""
    assert isinstance(instance, list)
    if all(type(item) is str for item in instance):
        return len(set(instance)) == len(instance)
    try:
        ordered = sorted(_unbool(item) for item in instance)  # type: ignore[type-var]
        return not any(_equal(a, b) for a, b in zip(ordered, ordered[1:]))
    except (NotImplementedError, TypeError):
        seen: list[object] = []
        for item in instance:
            item = _unbool(item)
            if any(_equal(other, item) for other in seen):
                return False
            seen.append(item)
        return True


# ---------------------------------------------------------------------------------------------
# Keyword checks for one kind of value (the caller has checked the kind)


class _Additional(NamedTuple):
    """additionalProperties, with the single regex jsonschema tries to call a key declared."""

    patterns: re.Pattern[str]
    schema: object


class _KeyPlans:
    """properties, patternProperties and additionalProperties at once.

    Which of them apply to a key's value depends only on the key, and the same keys recur in
    every service, so the checks for a key (its plan) are worked out once, compiling the
    subschemas involved on first use.
    """

    def __init__(
        self,
        compile_schema: Callable[[object], Check],
        properties: Mapping[str, Any],
        patterns: list[tuple[re.Pattern[str], object]],
        additional: _Additional | None,
    ) -> None:
        self._compile = compile_schema
        self._properties = properties
        self._patterns = patterns
        self._additional = additional
        self._compiled: dict[int, Check] = {}
        self._plans: dict[object, tuple[Check, ...]] = {}

    def check(self, instance: object) -> bool:
        assert isinstance(instance, dict)
        plans = self._plans
        for key, value in instance.items():
            plan = plans.get(key)
            if plan is None:
                plan = self._plan(key)
                if len(plans) < _PLAN_CACHE_LIMIT:
                    plans[key] = plan
            for check in plan:
                if not check(value):
                    return False
        return True

    def _plan(self, key: object) -> tuple[Check, ...]:
        if not isinstance(key, str):
            # Not JSON (see the module's docstring). jsonschema stumbles over such a key where it
            # tries a pattern; rather than mirror exactly where, leave the value to jsonschema,
            # unless only `properties` looks at keys: a name never equals such a key.
            only_names = not self._patterns and self._additional is None
            return () if only_names else (_reject,)
        schemas = [self._properties[key]] if key in self._properties else []
        schemas += [sub for pattern, sub in self._patterns if pattern.search(key)]
        additional = self._additional
        if (
            additional is not None
            and key not in self._properties
            and not (additional.patterns.pattern and additional.patterns.search(key))
        ):
            schemas.append(additional.schema)
        checks = [self._check(sub) for sub in schemas]
        if _reject in checks:
            return (_reject,)
        return tuple(check for check in checks if check is not _accept)

    def _check(self, schema: object) -> Check:
        if id(schema) not in self._compiled:
            self._compiled[id(schema)] = self._compile(schema)
        return self._compiled[id(schema)]


def _required_check(required: list[str]) -> Check:
    names = tuple(required)
    return lambda instance: all(name in instance for name in names)  # type: ignore[operator]


def _length_check(least: int | None, most: int | None) -> Check:
    """Bounds on len() of a mapping, list or string (a string's length counts code points)."""
    low = least or 0
    if most is None:
        return lambda instance: len(instance) >= low  # type: ignore[arg-type]
    return lambda instance: low <= len(instance) <= most  # type: ignore[arg-type]


def _items_check(item: Check) -> Check:
    return lambda instance: all(map(item, instance))  # type: ignore[call-overload]


def _string_checks(schema: Mapping[str, Any]) -> list[Check]:
    checks: list[Check] = []
    if "pattern" in schema:
        search = re.compile(schema["pattern"]).search
        checks.append(lambda instance: search(instance) is not None)
    if "minLength" in schema or "maxLength" in schema:
        checks.append(_length_check(schema.get("minLength"), schema.get("maxLength")))
    return checks


def _number_checks(schema: Mapping[str, Any]) -> list[Check]:
    """Bounds, compared with jsonschema's own operators (so NaN passes every bound, as there)."""
    checks: list[Check] = []
    if "minimum" in schema:
        low = schema["minimum"]
        checks.append(lambda instance: not instance < low)
    if "maximum" in schema:
        high = schema["maximum"]
        checks.append(lambda instance: not instance > high)
    if "exclusiveMinimum" in schema:
        floor = schema["exclusiveMinimum"]
        checks.append(lambda instance: not instance <= floor)
    if "exclusiveMaximum" in schema:
        ceiling = schema["exclusiveMaximum"]
        checks.append(lambda instance: not instance >= ceiling)
    return checks
