"""composeswap's lean construction makes the data ruamel.yaml's constructor makes.

yamlsource._lean_construct builds a file's data from its node tree for speed, and leaves to
ruamel.yaml's constructor whatever it does not read itself (merges, duplicate keys, other tags).
Whenever it answers, its data must be ruamel's, value by value and type by type (``1`` is not
``1.0`` nor ``True``), with the same collections shared where aliases share them; and
yamlsource._construct, which falls back to ruamel's, must answer as ruamel's does, errors
included.
"""

from __future__ import annotations

import datetime
import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from ruamel.yaml.nodes import MappingNode

from composeswap import yamlsource
from composeswap.errors import ComposeswapError
from composeswap.text import Source
from tests.helpers import FIXTURES
from tests.test_composer import CORNERS
from tests.test_parsers import FILES, SNIPPETS, read, yaml_files
from tests.test_properties import PROFILE, Case, compose_files

# Scalars of every core type, the ways YAML 1.1 and 1.2 write them, and Compose's own tags.
SCALARS = {
    "timestamps": "a: 2001-12-14\nb: 2001-12-14t21:59:43.10-05:00\nc: 2001-12-14 21:59:43.10\n"
    "d: 2002-12-14T21:59:43Z\ne: !!timestamp 2001-12-15\n",
    "numbers": "a: [0, -0, +12, 1_000, 0x1F, 0o17, 0b101, 017, 1.5, -.5, 1e3, 1.0e-3]\n"
    "b: [6.8523015e+5, .inf, -.Inf, .NaN, +1, 12:30, 190:20:30.15]\n",
    "booleans and nulls": "a: [true, False, TRUE, yes, No, on, OFF, y, n, null, Null, ~, ]\n",
    "yaml 1.1 document": "%YAML 1.1\n---\na: [yes, no, on, off, y, n, 017, 12:30, 1:30.5, 0b11]\n"
    "b: 2001-12-14\n=: value key\n",
    "yaml 1.1 exponent": "%YAML 1.1\n---\na: 1e3\n",
    "binary": "a: !!binary aGVsbG8=\nb: !!binary |\n  d29y\n  bGQ=\n",
    "bad binary": "a: !!binary 'é'\n",
    "bad timestamp": "a: !!timestamp nope\n",
    "bad int": "a: !!int nope\n",
    "core tags": "a: !!str 1\nb: !!int '2'\nc: !!float '3'\nd: !!bool 'yes'\ne: !!null ''\n"
    "f: !!map {g: h}\ng: !!seq [i]\n",
    "other tags": "a: !!set {b, c}\nd: !!omap [e: 1]\nf: !!pairs [g: 2]\nh: !custom x\n",
    "keys of every type": "1: int\n1.5: float\nfalse: bool\nnull: null\n2001-12-14: date\n"
    "'1': str\n",
    "keys equal across types": "1: int\ntrue: bool\n",
    "keys equal as floats": "1: int\n1.0: float\n",
    "duplicate keys": "a: 1\nb: 2\na: 3\n",
    "collection keys": "? [a, b]\n: 1\n? {c: d}\n: 2\n",
    "reset and override": "a: !reset null\nb: !override [1, !reset 2]\nc: !override {d: e}\n"
    "f: !reset '3'\ng: !override 'yes'\nh: [!reset {i: j}]\n",
    "merges": "x: &x {a: 1}\ny:\n  <<: *x\n  b: 2\nz:\n  <<: [*x, {c: 3}]\n",
    "shared collections": "a: &a {b: &b [1, {c: d}]}\ne: *a\nf: *b\ng: [*a, *b]\n",
    "shared scalars": "a: &a 1\nb: *a\nc: &c 2001-12-14\nd: *c\n",
    "anchor defined again": "a: &x [1]\nb: *x\nc: &x {d: 2}\ne: *x\n",
    "recursive": "a: &a [1, *a]\n",
    "recursive mapping": "a: &a {b: *a}\n",
    "empty": "a: {}\nb: []\nc:\nd: ''\n",
}


def both(text: str) -> tuple[Any, Any]:
    """The lean construction's data and ruamel.yaml's, each from its own tree (constructing
    changes the nodes), or the exception each raised."""
    outcomes = []
    for construct in (_lean, _ruamel):
        root = yamlsource._nodes(text).root
        constructor = yamlsource._ComposeConstructor(loader=yamlsource._yaml())
        constructor.allow_duplicate_keys = False
        try:
            outcomes.append(construct(root, constructor))
        except Exception as error:  # noqa: BLE001 - compared below
            outcomes.append(error)
    return outcomes[0], outcomes[1]


def _lean(root: Any, constructor: Any) -> Any:
    return yamlsource._lean_construct(root, constructor)


def _ruamel(root: Any, constructor: Any) -> Any:
    return constructor.construct_document(root)


def assert_same_data(ours: Any, theirs: Any) -> None:
    """Equal value by value, with the same types, and collections shared alike."""
    pairs: dict[int, int] = {}
    paired: dict[int, int] = {}
    stack = [(ours, theirs)]
    while stack:
        mine, reference = stack.pop()
        assert type(mine) is type(reference), (mine, reference)
        if isinstance(mine, (dict, list)):
            if id(mine) in pairs:
                assert pairs[id(mine)] == id(reference), "shared where the reference is not"
                continue
            assert id(reference) not in paired, "two collections where the reference shares one"
            pairs[id(mine)], paired[id(reference)] = id(reference), id(mine)
            if isinstance(mine, dict):
                assert list(mine) == list(reference)
                assert [type(key) for key in mine] == [type(key) for key in reference]
                stack.extend(zip(mine.values(), reference.values()))
            else:
                assert len(mine) == len(reference)
                stack.extend(zip(mine, reference))
        elif isinstance(mine, float) and math.isnan(mine):
            assert math.isnan(reference)
        elif isinstance(mine, datetime.datetime):
            assert (mine, mine.tzinfo) == (reference, reference.tzinfo)
        else:
            assert mine == reference


def assert_constructed_alike(text: str) -> bool:
    """Whether the lean construction answered: its data must then be ruamel's."""
    try:
        yamlsource._nodes(text)
    except Exception:  # noqa: BLE001 - no tree, nothing to construct
        return False
    ours, theirs = both(text)
    if isinstance(ours, BaseException):
        return False
    assert not isinstance(theirs, BaseException), theirs
    assert_same_data(ours, theirs)
    return True


def construct(text: str) -> Any:
    """yamlsource._construct's answer: data, or the error it reports."""
    source = Source.from_text(text)
    root = yamlsource._nodes(source.body).root
    assert root is not None
    try:
        return yamlsource._construct(root, source, "compose.yaml")
    except ComposeswapError as error:
        return str(error)
    except Warning as warning:  # turned into an error by the tests' settings
        return f"{type(warning).__name__}: {warning}"


def ruamel_construct(text: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    with monkeypatch.context() as patched:
        patched.setattr(yamlsource, "_lean_construct", _refuse)
        return construct(text)


def assert_same_answer(ours: Any, theirs: Any) -> None:
    """The same data (a recursive one too), or the same error."""
    if isinstance(ours, dict) and isinstance(theirs, dict):
        assert_same_data(ours, theirs)
    else:
        assert ours == theirs


def _refuse(root: Any, constructor: Any) -> Any:
    raise yamlsource._NeedsRuamel


@pytest.mark.parametrize("file", FILES, ids=lambda file: str(file.relative_to(FIXTURES)))
def test_every_fixture_and_corpus_file_is_constructed_alike(file: Path) -> None:
    assert_constructed_alike(Source.from_text(read(file)).body)


@pytest.mark.parametrize("name", [*SCALARS, *SNIPPETS, *CORNERS])
def test_scalars_snippets_and_corners_are_constructed_alike(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = {**SCALARS, **SNIPPETS, **CORNERS}[name]
    assert_constructed_alike(text)
    try:
        root = yamlsource._nodes(text).root
    except Exception:  # noqa: BLE001 - no tree: _construct is never asked
        return
    if isinstance(root, MappingNode):  # what _construct is given: a compose file's top level
        assert_same_answer(construct(text), ruamel_construct(text, monkeypatch))


@pytest.mark.parametrize(
    "name",
    [
        "timestamps",
        "numbers",
        "booleans and nulls",
        "binary",
        "core tags",
        "keys of every type",
        "reset and override",
        "shared collections",
        "shared scalars",
        "anchor defined again",
        "empty",
    ],
)
def test_the_lean_construction_reads_plain_trees_itself(name: str) -> None:
    assert assert_constructed_alike(SCALARS[name])


@pytest.mark.parametrize(
    "name",
    [
        "bad binary",
        "bad timestamp",
        "bad int",
        "other tags",
        "keys equal across types",
        "keys equal as floats",
        "duplicate keys",
        "collection keys",
        "merges",
        "recursive",
        "recursive mapping",
        "yaml 1.1 document",  # its '=' key
    ],
)
def test_what_the_lean_construction_does_not_read_goes_to_ruamel(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert not assert_constructed_alike(SCALARS[name])
    assert_same_answer(construct(SCALARS[name]), ruamel_construct(SCALARS[name], monkeypatch))


def test_a_duplicate_key_is_reported_as_ruamel_reports_it() -> None:
    assert construct(SCALARS["duplicate keys"]) == (
        'compose.yaml:3:1: error: invalid YAML: found duplicate key "a"'
    )


def test_compose_files_without_merges_are_read_by_the_lean_construction() -> None:
    lean = [file for file in FILES if assert_constructed_alike(Source.from_text(read(file)).body)]
    assert len(lean) > len(FILES) * 3 // 4


@settings(PROFILE)
@given(text=yaml_files())
def test_arbitrary_yaml_is_constructed_alike(text: str) -> None:
    assert_constructed_alike(text)


@settings(PROFILE)
@given(case=compose_files())
def test_generated_compose_files_are_constructed_alike(case: Case) -> None:
    assert_constructed_alike(Source.from_text(case.text).body)
