"""libyaml's parser and the pure-Python one read every file the same way.

composeswap composes nodes from the events of libyaml's parser (ruamel.yaml.clib) when it is
installed and accepts the text, and uses the pure-Python parser otherwise. Everything it does
with a file (data, service shapes, anchors, positions) must not depend on which one read it:
these tests parse each file both ways and compare the results.
"""

from __future__ import annotations

import platform
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from composeswap import yamlsource
from composeswap.errors import ComposeswapError
from composeswap.model import Document, JsonPath
from composeswap.text import Source
from tests.helpers import FIXTURES
from tests.test_properties import PROFILE, Case, compose_files

FILES = sorted({*FIXTURES.rglob("*.yaml"), *FIXTURES.rglob("*.yml")})
# What the pure parser reads (or explains) because libyaml refuses it or is not given it.
PURE_PARSER_FILES = {
    "golden/flow-service/before.yaml",  # ':' inside a plain scalar in a flow mapping
    "golden/flow-service/after.yaml",
    "invalid/several-documents.yaml",
    "invalid/unclosed-flow-sequence.yaml",
    "valid/tabs-in-values.yaml",  # a tab left once those between tokens are spaces
    "invalid/tab-after-dash.yaml",
    "golden/document-markers/before.yaml",  # any directive: %YAML 1.1 changes the rules
    "golden/document-markers/after.yaml",
    "invalid/yaml-1.2-directive.yaml",
}

# Anchors, tags and aliases in either order and odd places; block scalars, breaks, escapes.
SNIPPETS = {
    "anchor then tag": "services:\n  api:\n    image: &img !!str registry/api:dev\n"
    "  web:\n    image: *img\n",
    "tag then anchor": "services:\n  api:\n    image: !!str &img registry/api:dev\n"
    "  web:\n    image: *img\n",
    "anchored first key": "services:\n  api:\n    &k image: registry/api:dev\n",
    "anchored mapping, anchored first key": "x-b: &b\n  &c context: ./api\nservices:\n"
    "  api:\n    build: *b\n",
    "anchored service": "services:\n  api: &api\n    image: registry/api:dev\n  web: *api\n",
    "anchor in flow": "services:\n  api: {image: &i registry/api, ports: [&p '80', *p]}\n"
    "  web: {image: *i}\n",
    "anchored sequence": "services:\n  api:\n    image: x\n    ports: &ports\n      - '80'\n"
    "  web:\n    image: y\n    ports: *ports\n",
    "anchor names with dots": "services:\n  api:\n    image: &a.b-c_d x\n  web:\n"
    "    image: *a.b-c_d\n",
    "merge": "x-c: &c\n  restart: always\nservices:\n  api:\n    <<: *c\n    image: x\n",
    "reset and override tags": "services:\n  api:\n    image: !reset null\n"
    "    ports: !override ['80']\n",
    "empty values": "services:\n  api:\n    image:\n    build:\n      context:\n"
    "      args: [a, b, ]\n    command:\n    -\n    - x\n",
    "block scalars": "services:\n  api:\n    command: |+\n      run\n\n    entrypoint: >-\n"
    "      a\n      b\n    image: x\n",
    "odd line breaks": "services:\n  api:\n    image: 'a\u2028b'\n    command: \"c\x85d\"\n",
    "wide characters": (
        "services:\n  api:\n    image: '日本語/ü:🙂'  # 注\n    labels: {ключ: значение}\n"
    ),
    "crlf": "services:\r\n  api:\r\n    image: x\r\n    ports:\r\n    - '80'\r\n",
    "cr alone": "services:\r  api:\r    image: x\r    ports:\r    - '80'\r",
    "tabs between tokens": "services:\n  api:\t# c\n    image:\t&i x\t# c\n"
    "    labels: {a:\tb}\t\n    command:\t[a,\tb]\n  web:\n    image:\t*i\t\n",
    "yaml 1.1 scalars": "services:\n  api:\n    image: x\n    environment:\n      A: yes\n"
    "      B: 0o17\n      C: 017\n      D: 1_000\n      E: ~\n      F: 2001-12-14\n",
}


def parse(text: str, monkeypatch: pytest.MonkeyPatch, fast: bool) -> Document | str:
    monkeypatch.setattr(yamlsource, "FAST", fast)
    try:
        return yamlsource.parse(Source.from_text(text), "compose.yaml")
    except ComposeswapError as error:
        return str(error)


def paths(value: Any, prefix: JsonPath = ()) -> Iterator[JsonPath]:
    yield prefix
    if isinstance(value, Mapping):
        for key, child in value.items():
            yield from paths(child, (*prefix, str(key)))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from paths(child, (*prefix, index))


def assert_read_alike(text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    fast, pure = parse(text, monkeypatch, True), parse(text, monkeypatch, False)
    if isinstance(pure, str) or isinstance(fast, str):
        assert fast == pure
        return
    assert fast.data == pure.data
    assert fast.services == pure.services
    for path in paths(pure.data):
        for at_key in (True, False):
            assert fast.position(path, at_key) == pure.position(path, at_key), (path, at_key)


def uses_libyaml(text: str) -> bool:
    """Whether libyaml's events alone make the nodes, as yamlsource._nodes decides."""
    body = Source.from_text(text).body
    readable, spaced = yamlsource._spaced_tabs(body)
    tree = yamlsource._fast_compose(readable)
    return tree is not None and not yamlsource._runs_in_values(tree.root, body, spaced)


def read(file: Path) -> str:
    return file.read_bytes().decode("utf-8")


def test_libyaml_is_installed_where_composeswap_depends_on_it() -> None:
    assert platform.python_implementation() != "CPython" or yamlsource.FAST


@pytest.fixture(autouse=True)
def _needs_libyaml(request: pytest.FixtureRequest) -> None:
    # Elsewhere (PyPy) composeswap does not depend on it: only the pure parser reads files.
    if (
        not yamlsource.FAST
        and request.node.name != "test_libyaml_is_installed_where_composeswap_depends_on_it"
    ):
        pytest.skip("libyaml's parser is not installed here: nothing to compare")


@pytest.mark.parametrize("file", FILES, ids=lambda file: str(file.relative_to(FIXTURES)))
def test_every_fixture_is_read_alike_by_both_parsers(
    file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert_read_alike(read(file), monkeypatch)


def test_libyaml_reads_all_fixtures_but_the_known_few() -> None:
    refused = {str(file.relative_to(FIXTURES)) for file in FILES if not uses_libyaml(read(file))}
    assert refused == PURE_PARSER_FILES


@pytest.mark.parametrize("name", SNIPPETS)
def test_anchors_tags_and_odd_spots_are_read_alike(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert uses_libyaml(SNIPPETS[name]) or name == "anchor names with dots"
    assert_read_alike(SNIPPETS[name], monkeypatch)


def test_anchor_names_are_known(monkeypatch: pytest.MonkeyPatch) -> None:
    document = parse(SNIPPETS["tag then anchor"], monkeypatch, True)
    assert not isinstance(document, str)
    assert document.services["api"].entries["image"].anchor == "img"
    shared = parse(SNIPPETS["anchored service"], monkeypatch, True)
    assert not isinstance(shared, str)
    assert (
        shared.services["web"].shared
        == "is written as an alias (*api) of a mapping defined elsewhere"
    )


@settings(PROFILE)
@given(case=compose_files())
def test_generated_files_are_read_alike(case: Case) -> None:
    with pytest.MonkeyPatch.context() as monkeypatch:
        assert_read_alike(case.text, monkeypatch)


# Arbitrary YAML inside a compose shape: every kind of node, with anchors and tags in either order,
# aliases, comments, quoting, escapes, block scalars with each chomping, empty values.
WORDS = ["x", "8080:80", "yes", "0o17", "~", "1_000", "a b", "日本", "é", "-1", ".5", "null", "a#b"]


@st.composite
def scalar(draw: st.DrawFn) -> str:
    word = draw(st.sampled_from(WORDS))
    kind = draw(st.sampled_from(["plain", "single", "double", "escaped", "empty"]))
    if kind == "single":
        return "'" + word + "''s'"
    if kind == "double":
        return '"' + word + '"'
    if kind == "escaped":
        return '"' + word + draw(st.sampled_from(["\\n", "\\t", "\\u263A", "\\x85", "\\/"])) + '"'
    return "" if kind == "empty" else word


@st.composite
def properties(draw: st.DrawFn, anchors: list[str]) -> str:
    parts = []
    if draw(st.booleans()):
        anchors.append(f"a{len(anchors)}")
        parts.append("&" + anchors[-1])
    if draw(st.booleans()):
        parts.append(draw(st.sampled_from(["!!str", "!reset", "!override"])))
    return " ".join(draw(st.permutations(parts))) + (" " if parts else "")


@st.composite
def block_value(draw: st.DrawFn, indent: int, anchors: list[str], depth: int) -> list[str]:
    """The text after ``key:`` as its first line, then any further lines."""
    comment = draw(st.sampled_from(["", "  # note", "\t# note", " \t"]))
    pad = " " * (indent + draw(st.sampled_from([2, 4])))
    kinds = ["scalar", "flow", "block scalar"] + (["alias"] if anchors else [])
    kinds += ["mapping", "sequence"] if depth < 2 else []
    kind = draw(st.sampled_from(kinds))
    if kind == "alias":
        return [f" *{draw(st.sampled_from(anchors))}{comment}"]
    props = draw(properties(anchors))
    if kind == "scalar":
        value = draw(scalar())
        return [
            f" {props}{value}{comment}".rstrip()
            if not value and not comment
            else f" {props}{value}{comment}"
        ]
    if kind == "flow":
        items = draw(st.lists(scalar().filter(bool), min_size=0, max_size=3))
        if draw(st.booleans()):
            return [f" {props}[{', '.join(items)}]{comment}"]
        pairs = ", ".join(f"k{i}: {item}" for i, item in enumerate(items))
        return [f" {props}{{{pairs}}}{comment}"]
    if kind == "block scalar":
        header = draw(st.sampled_from(["|", "|-", "|+", ">", ">-"]))
        body = [pad + draw(st.sampled_from(WORDS)) for _ in range(draw(st.integers(1, 2)))]
        return [f" {props}{header}{comment}", *body, *[""] * draw(st.integers(0, 1))]
    lines = [f" {props}{comment}".rstrip()]
    for index in range(draw(st.integers(1, 3))):
        if kind == "mapping":
            first, *rest = draw(block_value(len(pad), anchors, depth + 1))
            lines += [f"{pad}k{index}:{first}", *rest]
        else:
            dash = pad if draw(st.booleans()) else " " * indent  # indented or flush dashes
            lines.append(f"{dash}- {draw(scalar())}".rstrip())
        if draw(st.booleans()):
            lines.append(f"{pad}# between")
    return lines


@st.composite
def yaml_files(draw: st.DrawFn) -> str:
    anchors: list[str] = []
    lines = ["services:"]
    for name in draw(st.lists(st.sampled_from(["api", "web", "db"]), min_size=1, unique=True)):
        lines.append(f"  {name}:")
        for key in draw(
            st.lists(
                st.sampled_from(["image", "build", "ports", "environment", "command", "labels"]),
                min_size=1,
                unique=True,
            )
        ):
            first, *rest = draw(block_value(4, anchors, 0))
            lines += [f"    {key}:{first}", *rest]
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    return newline.join(lines) + draw(st.sampled_from(["", newline]))


@settings(PROFILE)
@given(text=yaml_files())
def test_arbitrary_yaml_is_read_alike(text: str) -> None:
    with pytest.MonkeyPatch.context() as monkeypatch:
        assert_read_alike(text, monkeypatch)


def test_arbitrary_yaml_mostly_reaches_libyaml() -> None:
    """The comparison above is only worth something if libyaml reads most of what it is given."""
    read = []

    @settings(PROFILE)
    @given(text=yaml_files())
    def count(text: str) -> None:
        read.append(uses_libyaml(text))

    count()
    assert sum(read) >= len(read) // 2, f"libyaml read {sum(read)} of {len(read)}"
