"""A quick yes-or-maybe check of a JSON value against a vendored JSON schema, without jsonschema.

Importing jsonschema costs ~80 ms and its validator needs ~0.5 s for a 1000-service file; this
module compiles a schema once into plain closures that answer in a few milliseconds. The answer
is conservative: True means jsonschema's validator for the schema (``validator_for(schema)``)
accepts the value too, False only means "ask jsonschema", which then explains the problems. So
callers use it as a fast path in front of ``composeswap.schema``::

    instance = _as_json(document)
    valid = fastschema.is_valid(COMPOSE_SCHEMA, instance) or _validator(...).is_valid(instance)

Only draft 2020-12 and the keywords of the vendored schemas are understood. Any other keyword
raises `UnsupportedSchema` at compile time, so a schema refresh that starts using one fails the
tests loudly instead of being accepted silently. The only approximation is
`unevaluatedProperties` next to `anyOf`/`oneOf`, which the vendored schemas never combine; a
compiled check built on an approximation is never used where an exact answer is needed (inside
`oneOf`), it just answers False there.

Values are JSON values as `composeswap.schema` hands them to jsonschema: every mapping key is a
string (YAML's `8080:` key already turned into "8080"); scalars that JSON lacks, such as dates,
may stay and are judged exactly as jsonschema judges them.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping, Sequence
from numbers import Number
from typing import Any, NamedTuple

Check = Callable[[object], bool]

DRAFT_2020_12 = "https://json-schema.org/draft/2020-12/schema"

# Keywords jsonschema's 2020-12 validator asserts that this module also asserts.
HANDLED_KEYWORDS = frozenset({
    "$ref", "type", "enum", "const", "allOf", "anyOf", "oneOf",
    "properties", "patternProperties", "additionalProperties", "unevaluatedProperties",
    "required", "minProperties", "maxProperties",
    "items", "uniqueItems", "minItems", "maxItems",
    "pattern", "minLength", "maxLength",
    "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
})
# Keywords that never make jsonschema reject a value: annotations, containers of definitions,
# and `format`, which jsonschema asserts only when given a format checker (ours has none).
IGNORED_KEYWORDS = frozenset({
    "$schema", "$id", "$comment", "$defs", "definitions",
    "title", "description", "default", "deprecated", "examples", "readOnly", "writeOnly",
    "format",
})

# Keys whose plan is remembered per object schema; beyond it plans are recomputed, so a huge
# document of unique names cannot grow memory without bound.
_PLAN_CACHE_LIMIT = 4096


class UnsupportedSchema(ValueError):
    """The schema uses something this module does not check exactly; refresh needs code."""


def compile_schema(schema: Mapping[str, Any]) -> Check:
    """A check that is True only for JSON values jsonschema's validator for `schema` accepts."""
    if schema.get("$schema", DRAFT_2020_12).rstrip("#") != DRAFT_2020_12:
        raise UnsupportedSchema(f"only draft 2020-12 is supported, not {schema['$schema']}")
    check = _Compiler(schema).compile(schema, is_root=True).check

    def is_valid(instance: object) -> bool:
        try:
            return check(instance)
        # jsonschema raises too in these cases (a non-string key under patternProperties, a value
        # nested deeper than the stack); either way it is no reason to call the value valid.
        except (TypeError, RecursionError):
            return False

    return is_valid


def is_valid(name: str, instance: object) -> bool:
    """Whether `instance` surely follows the vendored schema `name` (see `compile_schema`)."""
    return _compiled(name)(instance)


@functools.cache
def _compiled(name: str) -> Check:
    # Imported here, not at the top: composeswap.schema may import this module.
    from composeswap.schema import load_schema

    return compile_schema(load_schema(name))


def schema_keywords(schema: object) -> set[str]:
    """Every keyword used anywhere in `schema` (names under `properties` etc. are not keywords)."""
    found: set[str] = set()
    for subschema in _subschemas(schema):
        if isinstance(subschema, Mapping):
            found.update(subschema)
    return found


# ---------------------------------------------------------------------------------------------
# Compiling


class _Node(NamedTuple):
    """A compiled subschema. `exact` is False when `check` may reject a valid value."""

    check: Check
    exact: bool


def _accept(instance: object) -> bool:
    return True


def _reject(instance: object) -> bool:
    return False


class _Compiler:
    """Compiles the subschemas of one root schema; each `$ref` target is compiled once."""

    def __init__(self, root: Mapping[str, Any]) -> None:
        self._root = root
        self._refs: dict[str, _Node] = {}

    def compile(self, schema: object, is_root: bool = False) -> _Node:
        if schema is True or schema is False:
            return _Node(_accept if schema else _reject, True)
        if not isinstance(schema, Mapping):
            raise UnsupportedSchema(f"a schema must be a mapping or a boolean, not {schema!r}")
        _refuse_unknown_keywords(schema, is_root)
        nodes = [*self._generic(schema), *self._by_kind(schema)]
        return _Node(_all([node.check for node in nodes]), all(node.exact for node in nodes))

    def _generic(self, schema: Mapping[str, Any]) -> list[_Node]:
        """Keywords that apply to a value of any type, cheapest first."""
        nodes: list[_Node] = []
        if "type" in schema:
            nodes.append(_Node(_type_check(schema["type"]), True))
        if "enum" in schema:
            nodes.append(_Node(_enum_check(schema["enum"]), True))
        if "const" in schema:
            nodes.append(_Node(_enum_check([schema["const"]]), True))
        if "$ref" in schema:
            nodes.append(self._ref(schema["$ref"]))
        for word, combine in (("allOf", _all_of), ("anyOf", _any_of), ("oneOf", _one_of)):
            if word in schema:
                nodes.append(combine([self.compile(sub) for sub in _schema_list(schema, word)]))
        return nodes

    def _by_kind(self, schema: Mapping[str, Any]) -> list[_Node]:
        """Keywords that apply only to one type of value and let any other type through."""
        nodes: list[_Node] = []
        object_node = self._object(schema)
        if object_node is not None:
            nodes.append(_Node(_only_for(dict, object_node.check), object_node.exact))
        array_node = self._array(schema)
        if array_node is not None:
            nodes.append(_Node(_only_for(list, array_node.check), array_node.exact))
        string_checks = _string_checks(schema)
        if string_checks:
            nodes.append(_Node(_only_for(str, _all(string_checks)), True))
        number_checks = _number_checks(schema)
        if number_checks:
            nodes.append(_Node(_only_for_numbers(_all(number_checks)), True))
        return nodes

    def _ref(self, ref: object) -> _Node:
        """The compiled target of a local reference, compiled lazily to allow recursion."""
        if not isinstance(ref, str) or not ref.startswith("#") or "%" in ref:
            raise UnsupportedSchema(f"only plain local references are supported, not {ref!r}")
        if ref in self._refs:
            return self._refs[ref]
        target: list[Check] = []
        # A reference back into itself sees this forwarder, marked inexact because its
        # exactness is not known yet.
        self._refs[ref] = _Node(lambda instance: target[0](instance), False)
        node = self.compile(_resolve(self._root, ref))
        target.append(node.check)
        self._refs[ref] = node
        return node

    def _object(self, schema: Mapping[str, Any]) -> _Node | None:
        keys = self._keys(schema)
        checks = [keys.check] if keys is not None else []
        if "required" in schema:
            checks.append(_required_check(schema["required"]))
        if "minProperties" in schema:
            checks.append(_length_check(_count(schema, "minProperties"), None))
        if "maxProperties" in schema:
            checks.append(_length_check(None, _count(schema, "maxProperties")))
        if not checks:
            return None
        return _Node(_all(checks), keys.exact if keys is not None else True)

    def _keys(self, schema: Mapping[str, Any]) -> _Node | None:
        """properties, patternProperties, additionalProperties and unevaluatedProperties."""
        words = ("properties", "patternProperties", "additionalProperties",
                 "unevaluatedProperties")
        if not any(word in schema for word in words):
            return None
        properties = {key: self.compile(sub) for key, sub in _mapping(schema, "properties").items()}
        patterns = [(re.compile(pattern), self.compile(sub))
                    for pattern, sub in _mapping(schema, "patternProperties").items()]
        additional = self._optional(schema, "additionalProperties")
        unevaluated = self._optional(schema, "unevaluatedProperties")
        evaluated = _Evaluated(set(), set(), everything=True)
        if unevaluated is not None:
            evaluated = self._evaluated(schema, set(), is_start=True)
        plans = _KeyPlans(
            {key: node.check for key, node in properties.items()},
            [(pattern, node.check) for pattern, node in patterns],
            additional.check if additional is not None else None,
            unevaluated.check if unevaluated is not None else None,
            evaluated,
        )
        nodes = [*properties.values(), *(node for _, node in patterns)]
        nodes += [node for node in (additional, unevaluated) if node is not None]
        return _Node(plans.check, evaluated.complete and all(node.exact for node in nodes))

    def _optional(self, schema: Mapping[str, Any], word: str) -> _Node | None:
        return self.compile(schema[word]) if word in schema else None

    def _evaluated(self, schema: object, seen: set[str], is_start: bool = False) -> _Evaluated:
        """Keys the subschemas applied in place to the same object surely evaluate.

        Mirrors jsonschema's `find_evaluated_property_keys_by_schema`. A `true` answer needs every
        `$ref` and `allOf` branch to hold, so their keys always count. Keys evaluated only inside a
        valid `anyOf`/`oneOf` branch are left out: the result is then too small, never too large,
        and unevaluatedProperties too strict, never too lenient.
        """
        if not isinstance(schema, Mapping):
            return _Evaluated(set(), set())
        # Any additionalProperties (or a nested unevaluatedProperties) in a subschema that must
        # hold leaves no key of the object unevaluated.
        everything = "additionalProperties" in schema or (
            "unevaluatedProperties" in schema and not is_start)
        result = _Evaluated(set(_mapping(schema, "properties")),
                            set(_mapping(schema, "patternProperties")), everything,
                            complete=not ("anyOf" in schema or "oneOf" in schema))
        ref = schema.get("$ref")
        if isinstance(ref, str) and ref not in seen:
            seen.add(ref)
            result = result.union(self._evaluated(_resolve(self._root, ref), seen))
        for sub in schema.get("allOf", []):
            result = result.union(self._evaluated(sub, seen))
        return result

    def _array(self, schema: Mapping[str, Any]) -> _Node | None:
        nodes: list[_Node] = []
        if "items" in schema:
            items = self.compile(schema["items"])
            nodes.append(_Node(_items_check(items.check), items.exact))
        if schema.get("uniqueItems") is True:
            nodes.append(_Node(_unique, True))
        if "minItems" in schema or "maxItems" in schema:
            bounds = _length_check(_count(schema, "minItems"), _count(schema, "maxItems"))
            nodes.append(_Node(bounds, True))
        return _all_of(nodes) if nodes else None


def _refuse_unknown_keywords(schema: Mapping[str, Any], is_root: bool) -> None:
    for word in schema:
        if word in HANDLED_KEYWORDS or word.startswith("x-"):
            continue
        if word in IGNORED_KEYWORDS and (is_root or word not in ("$id", "$schema")):
            continue
        # A nested $id would move the base of "#/..." references; a nested $schema, the draft.
        raise UnsupportedSchema(f"keyword {word!r} is not supported here")
    if "items" in schema and not isinstance(schema["items"], (Mapping, bool)):
        raise UnsupportedSchema("`items` must be one schema in draft 2020-12")


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


def _all_of(nodes: list[_Node]) -> _Node:
    return _Node(_all([node.check for node in nodes]), all(node.exact for node in nodes))


def _any_of(nodes: list[_Node]) -> _Node:
    # Still only True for values one branch really accepts, even with inexact branches.
    checks = tuple(node.check for node in nodes)
    return _Node(lambda instance: any(check(instance) for check in checks),
                 all(node.exact for node in nodes))


def _one_of(nodes: list[_Node]) -> _Node:
    if not all(node.exact for node in nodes):
        # An inexact branch that wrongly rejects would hide a second match: give up instead.
        return _Node(_reject, False)
    checks = tuple(node.check for node in nodes)

    def one_of(instance: object) -> bool:
        matches = 0
        for check in checks:
            if check(instance):
                matches += 1
                if matches > 1:
                    return False
        return matches == 1

    return _Node(one_of, True)


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


_TYPE_CHECKS: dict[str, Check] = {
    "object": lambda instance: isinstance(instance, dict),
    "array": lambda instance: isinstance(instance, list),
    "string": lambda instance: isinstance(instance, str),
    "boolean": lambda instance: isinstance(instance, bool),
    "null": lambda instance: instance is None,
    "number": _is_number,
    "integer": _is_integer,
}


def _type_check(types: object) -> Check:
    names = [types] if isinstance(types, str) else types
    if not isinstance(names, list) or not names:
        raise UnsupportedSchema(f"invalid type {types!r}")
    unknown = [name for name in names if name not in _TYPE_CHECKS]
    if unknown:
        raise UnsupportedSchema(f"unknown type {unknown[0]!r}")
    checks = tuple(_TYPE_CHECKS[name] for name in names)
    if len(checks) == 1:
        return checks[0]
    return lambda instance: any(check(instance) for check in checks)


def _enum_check(values: object) -> Check:
    if not isinstance(values, list):
        raise UnsupportedSchema(f"enum must be a list, not {values!r}")
    if all(type(value) is str for value in values):
        strings = frozenset(values)
        # jsonschema compares a string with == only, so set membership is the same answer.
        return lambda instance: (instance in strings if type(instance) is str
                                 else any(_equal(value, instance) for value in values))
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
    """jsonschema's equality: 1 == 1.0, but True != 1, recursively."""
    if one is two:
        return True
    if isinstance(one, str) or isinstance(two, str):
        return one == two
    if isinstance(one, Sequence) and isinstance(two, Sequence):
        return len(one) == len(two) and all(_equal(a, b) for a, b in zip(one, two))
    if isinstance(one, Mapping) and isinstance(two, Mapping):
        return len(one) == len(two) and all(
            key in two and _equal(value, two[key]) for key, value in one.items())
    return _unbool(one) == _unbool(two)


def _unique(instance: object) -> bool:
    """jsonschema's `uniq`, with a fast path for the usual list of plain strings."""
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


class _Evaluated(NamedTuple):
    """Keys surely evaluated in place, for unevaluatedProperties; `complete` if exactly those."""

    names: set[str]
    patterns: set[str]
    everything: bool = False
    complete: bool = True

    def union(self, other: _Evaluated) -> _Evaluated:
        return _Evaluated(self.names | other.names, self.patterns | other.patterns,
                          self.everything or other.everything, self.complete and other.complete)


class _KeyPlans:
    """The checks one object schema applies to each key's value, worked out once per key name.

    A key's checks depend only on its name (which properties and patterns it matches, whether it
    is additional or unevaluated), and the same names recur in every service, so they are
    remembered per name.
    """

    def __init__(self, properties: dict[str, Check], patterns: list[tuple[re.Pattern[str], Check]],
                 additional: Check | None, unevaluated: Check | None,
                 evaluated: _Evaluated) -> None:
        self._properties = properties
        self._patterns = patterns
        self._additional = additional
        self._unevaluated = unevaluated if not evaluated.everything else None
        self._evaluated_names = evaluated.names
        self._evaluated_patterns = [re.compile(pattern) for pattern in evaluated.patterns]
        # Only these look at a key beyond equality with a property name.
        self._inspects_keys = bool(patterns) or additional is not None or (
            self._unevaluated is not None)
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
            # jsonschema raises TypeError matching a pattern against such a key.
            return (_reject,) if self._inspects_keys else ()
        plan = [self._properties[key]] if key in self._properties else []
        matched = [check for pattern, check in self._patterns if pattern.search(key)]
        plan += matched
        if self._additional is not None and key not in self._properties and not matched:
            plan.append(self._additional)
        if self._unevaluated is not None and not self._is_evaluated(key):
            plan.append(self._unevaluated)
        # Drop always-true checks, and reduce a plan that rejects to just that.
        plan = [check for check in plan if check is not _accept]
        return (_reject,) if _reject in plan else tuple(plan)

    def _is_evaluated(self, key: str) -> bool:
        return key in self._evaluated_names or any(
            pattern.search(key) for pattern in self._evaluated_patterns)


def _required_check(required: object) -> Check:
    if not isinstance(required, list):
        raise UnsupportedSchema(f"required must be a list, not {required!r}")
    names = tuple(required)
    return lambda instance: all(name in instance for name in names)  # type: ignore[operator]


def _length_check(least: int | None, most: int | None) -> Check:
    """Bounds on len() of a mapping, list or string (a string's length counts code points)."""
    low = least if least is not None else 0
    if most is None:
        return lambda instance: len(instance) >= low  # type: ignore[arg-type]
    return lambda instance: low <= len(instance) <= most  # type: ignore[arg-type]


def _count(schema: Mapping[str, Any], word: str) -> int | None:
    if word not in schema:
        return None
    value = schema[word]
    if not _is_integer(value):
        raise UnsupportedSchema(f"{word} must be an integer, not {value!r}")
    return int(value)


def _items_check(item: Check) -> Check:
    return lambda instance: all(item(value) for value in instance)  # type: ignore[attr-defined]


def _string_checks(schema: Mapping[str, Any]) -> list[Check]:
    checks: list[Check] = []
    if "pattern" in schema:
        search = re.compile(schema["pattern"]).search
        checks.append(lambda instance: search(instance) is not None)
    if "minLength" in schema or "maxLength" in schema:
        checks.append(_length_check(_count(schema, "minLength"), _count(schema, "maxLength")))
    return checks


def _number_checks(schema: Mapping[str, Any]) -> list[Check]:
    """Bounds, compared with the same operators as jsonschema (so NaN passes them all)."""
    checks: list[Check] = []
    bounds = {word: schema[word] for word in
              ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum") if word in schema}
    for word, bound in bounds.items():
        if not _is_number(bound):
            raise UnsupportedSchema(f"{word} must be a number, not {bound!r}")
    if "minimum" in bounds:
        low = bounds["minimum"]
        checks.append(lambda instance: not instance < low)
    if "maximum" in bounds:
        high = bounds["maximum"]
        checks.append(lambda instance: not instance > high)
    if "exclusiveMinimum" in bounds:
        floor = bounds["exclusiveMinimum"]
        checks.append(lambda instance: not instance <= floor)
    if "exclusiveMaximum" in bounds:
        ceiling = bounds["exclusiveMaximum"]
        checks.append(lambda instance: not instance >= ceiling)
    return checks


# ---------------------------------------------------------------------------------------------
# Walking a schema


def _resolve(root: Mapping[str, Any], ref: str) -> object:
    """The subschema a local JSON pointer reference such as "#/$defs/service" names."""
    node: object = root
    for part in ref[1:].split("/")[1:] if ref != "#" else []:
        key = part.replace("~1", "/").replace("~0", "~")
        if isinstance(node, Mapping) and key in node:
            node = node[key]
        elif isinstance(node, list) and key.isdigit() and int(key) < len(node):
            node = node[int(key)]
        else:
            raise UnsupportedSchema(f"reference {ref!r} points nowhere")
    return node


def _mapping(schema: Mapping[str, Any], word: str) -> Mapping[str, Any]:
    value = schema.get(word, {})
    if not isinstance(value, Mapping):
        raise UnsupportedSchema(f"{word} must be a mapping, not {value!r}")
    return value


def _schema_list(schema: Mapping[str, Any], word: str) -> list[object]:
    value = schema[word]
    if not isinstance(value, list) or not value:
        raise UnsupportedSchema(f"{word} must be a non-empty list, not {value!r}")
    return value


_SCHEMA_MAPS = ("properties", "patternProperties", "$defs", "definitions")
_SCHEMA_LISTS = ("allOf", "anyOf", "oneOf")
_SCHEMA_VALUES = ("additionalProperties", "unevaluatedProperties", "items")


def _subschemas(schema: object) -> list[object]:
    """`schema` and every schema nested in it, through the keywords the vendored schemas use."""
    found = [schema]
    if isinstance(schema, Mapping):
        for word in _SCHEMA_MAPS:
            for sub in schema.get(word, {}).values():
                found += _subschemas(sub)
        for word in _SCHEMA_LISTS:
            for sub in schema.get(word, []):
                found += _subschemas(sub)
        for word in _SCHEMA_VALUES:
            if word in schema:
                found += _subschemas(schema[word])
    return found
