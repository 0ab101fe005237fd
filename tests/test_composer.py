"""composeswap's composer over libyaml's events makes the node tree ruamel.yaml's composer makes.

yamlsource._Composer replaces ruamel.yaml's Composer for speed; everything after it (positions,
anchors, construction) reads the nodes, so the trees must match node by node: type, tag, scalar
value and style, flow style, anchor, start and end marks, and which nodes an alias shares. The
reference is ruamel.yaml's own composer and resolver reading the same events, as composeswap
did before. Text either refuses must be refused by both, with the same error.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ruamel.yaml.composer import Composer
from ruamel.yaml.error import YAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from ruamel.yaml.resolver import VersionedResolver

from composeswap import yamlsource
from composeswap.errors import ComposeswapError
from composeswap.text import Source
from tests.helpers import FIXTURES
from tests.test_parsers import FILES, SNIPPETS, read, yaml_files
from tests.test_properties import PROFILE, Case, compose_files

pytestmark = pytest.mark.skipif(not yamlsource.FAST, reason="libyaml's parser is not installed")

if yamlsource.FAST:

    class RuamelComposer(Composer, yamlsource._CParser, VersionedResolver):  # type: ignore[misc]
        """ruamel.yaml's composer and resolver, reading the events of libyaml's parser."""

        def __init__(self, text: str) -> None:
            yamlsource._CParser.__init__(self, text)
            self._parser = self
            Composer.__init__(self, loader=self)
            self.warn_double_anchors = False
            VersionedResolver.__init__(self, loadumper=self)
            self.max_depth = 0


def ruamel_compose(text: str) -> Node | None:
    composer = RuamelComposer(text)
    try:
        root: Node | None = composer.get_single_node()
        return root
    finally:
        composer.dispose()


def outcome(compose: Any, text: str) -> Node | str | None:
    """The node tree, or what refused the text."""
    try:
        root: Node | None = compose(text)
        return root
    except YAMLError as error:
        return f"{type(error).__name__}: {error}"
    except RecursionError:
        return "RecursionError"


def marks(node: Node) -> tuple[int, ...]:
    start, end = node.start_mark, node.end_mark
    return start.index, start.line, start.column, end.index, end.line, end.column


def assert_same_tree(ours: Node | None, theirs: Node | None) -> None:
    """Node by node; a node reached again (through an alias) must be the same on both sides."""
    pairs: dict[int, Node] = {}
    paired: set[int] = set()
    stack = [(ours, theirs)]
    while stack:
        mine, reference = stack.pop()
        if mine is None or reference is None:
            assert mine is reference
            continue
        if id(mine) in pairs:
            assert pairs[id(mine)] is reference, "an alias to another node"
            continue
        assert id(reference) not in paired, "one node where the reference has two"
        pairs[id(mine)] = reference
        paired.add(id(reference))
        assert type(mine) is type(reference)
        assert (mine.tag, mine.anchor, mine.comment) == (
            reference.tag,
            reference.anchor,
            reference.comment,
        )
        assert marks(mine) == marks(reference)
        assert type(mine.ctag) is type(reference.ctag)
        assert yamlsource._tag_of(mine) == mine.tag  # its shortcut for shared tags
        if isinstance(mine, ScalarNode) and isinstance(reference, ScalarNode):
            assert (mine.value, mine.style) == (reference.value, reference.style)
            continue
        assert isinstance(mine, (MappingNode, SequenceNode))
        assert isinstance(reference, (MappingNode, SequenceNode))
        assert mine.flow_style == reference.flow_style
        assert len(mine.value) == len(reference.value)
        stack.extend(zip(children(mine), children(reference)))


def children(node: Node) -> list[Node]:
    if isinstance(node, MappingNode):
        return [part for pair in node.value for part in pair]
    assert isinstance(node, SequenceNode)
    return list(node.value)


def assert_composed_alike(text: str) -> None:
    # As written, and with the tabs between tokens spaced, as composeswap gives libyaml the text.
    for variant in {text, yamlsource._spaced_tabs(text)[0]}:
        ours = outcome(libyaml_compose, variant)
        theirs = outcome(ruamel_compose, variant)
        if isinstance(ours, str) or isinstance(theirs, str):
            assert ours == theirs
        else:
            assert_same_tree(ours, theirs)
            assert_counted_as_walked(variant)


def libyaml_compose(text: str) -> Node | None:
    return yamlsource._libyaml_compose(text).root


def assert_counted_as_walked(text: str) -> None:
    """What the composer counted is what walking its tree counts: how often each node is used
    (a node used once may be left out) and how many nodes the aliases expand the tree to."""
    tree = yamlsource._libyaml_compose(text)
    if tree.root is None:
        return
    try:
        walked, size = yamlsource._walked_counts(tree.root, "compose.yaml")
    except ComposeswapError:  # an alias to its own parent: nested without end
        assert tree.counts is None
        return
    assert tree.counts is not None
    assert {key: count for key, count in walked.items() if count > 1} == tree.counts
    assert tree.size == size


# Odd corners of YAML: every kind of tag and anchor, aliases to the node itself or to an anchor
# defined again, complex keys, empty values and documents, and text libyaml or the composer
# refuses.
CORNERS = {
    "empty": "",
    "comment only": "# nothing\n",
    "explicit document": "--- \na: 1\n...\n",
    "empty document": "---\n...\n",
    "several documents": "a: 1\n---\nb: 2\n",
    "several empty documents": "---\n---\n",
    "undefined alias": "a: *nowhere\n",
    "alias before its anchor": "a: *x\nb: &x 1\n",
    "anchor defined again": "a: &x 1\nb: *x\nc: &x [2]\nd: *x\n",
    "alias to itself": "a: &x [1, *x]\nb: &y {k: *y}\n",
    "anchored keys": "&k a: &v 1\n*k : *v\n",
    "complex keys": "? [a, b]\n: 1\n? {c: d}\n: 2\n? |\n  e\n: 3\n",
    "empty keys and values": "? \n: \n{: , a: }: [, ]\n",
    "non-specific tags": "a: ! 1\nb: ! [1]\nc: ! {d: e}\nd: ! 'q'\n",
    "local and verbatim tags": "a: !t 1\nb: !<tag:x,2000:y> 2\nc: !t [3]\nd: !!map {e: f}\n",
    "core tags on quoted scalars": "a: !!int '1'\nb: !!str 1\nc: !!null ''\nd: !!bool \"true\"\n",
    "resolved scalars": "[1, -1.5, .inf, .NaN, 0x1F, 0o17, 017, true, True, yes, null, ~, '', x]\n",
    "merge keys": "b: &b {x: 1}\nc:\n  <<: [*b, {y: 2}]\n  << : *b\n",
    "block scalars": "a: |+\n  x\n\nb: >-\n  y\n  z\nc: |2\n   w\n",
    "flow in block": "a: [b, {c: d}, [e]]\nf: {g: [h], i: {}}\n",
    "tab inside a value": "a: b\tc\nd: 'e\tf'\n",
    "syntax error": "a: [b\nc: d\n",
    "bad indentation": "a:\n  b: 1\n c: 2\n",
    "deep but fine": "a: " + "[" * 50 + "]" * 50 + "\n",
    "too deep": "a: " + "[" * 100_000 + "]" * 100_000 + "\n",
}


@pytest.mark.parametrize("file", FILES, ids=lambda file: str(file.relative_to(FIXTURES)))
def test_every_fixture_and_corpus_file_is_composed_alike(file: Path) -> None:
    assert_composed_alike(Source.from_text(read(file)).body)


@pytest.mark.parametrize("name", [*SNIPPETS, *CORNERS])
def test_snippets_and_corners_are_composed_alike(name: str) -> None:
    assert_composed_alike({**SNIPPETS, **CORNERS}[name])


@pytest.mark.parametrize(
    "name", ["several documents", "undefined alias", "syntax error", "too deep"]
)
def test_what_the_composer_refuses_goes_to_the_pure_parser(name: str) -> None:
    assert yamlsource._fast_compose(CORNERS[name]) is None


def test_the_composer_sets_every_slot_of_a_scalar_node() -> None:
    """It makes scalar nodes without ScalarNode's __init__: a slot a new ruamel.yaml adds would be
    left unset, and this lists the ones it sets, each compared above."""
    slots = {slot for kind in ScalarNode.__mro__ for slot in getattr(kind, "__slots__", ())}
    assert slots == {"ctag", "value", "start_mark", "end_mark", "comment", "anchor", "style"}


def test_aliases_are_the_anchored_nodes_themselves() -> None:
    root = libyaml_compose(CORNERS["anchor defined again"] + "e: &z [*z]\n")
    assert isinstance(root, MappingNode)
    (_, first), (_, first_alias), (_, second), (_, second_alias), (_, itself) = root.value
    assert first_alias is first and second_alias is second and first is not second
    assert itself.value[0] is itself


@settings(PROFILE)
@given(text=yaml_files())
def test_arbitrary_yaml_is_composed_alike(text: str) -> None:
    assert_composed_alike(text)


@settings(PROFILE)
@given(case=compose_files())
def test_generated_compose_files_are_composed_alike(case: Case) -> None:
    assert_composed_alike(Source.from_text(case.text).body)


# Pieces of YAML strung together at random: mostly text libyaml refuses, some it reads in odd ways.
PIECES = [
    *["a", "b: ", "- ", "? ", ": ", ", ", "1", "~", "'q'", '"d\\n"', "#c", "%"],
    *["&x ", "&y ", "*x", "*y", "!t ", "! ", "!!str ", "!!int ", "|", ">-"],
    *["[", "]", "{", "}", "\n", "\n  ", "\n    ", "\n- ", "---\n", "...\n", "\t"],
]


@settings(PROFILE)
@given(pieces=st.lists(st.sampled_from(PIECES), max_size=40))
def test_random_pieces_of_yaml_are_composed_alike(pieces: list[str]) -> None:
    assert_composed_alike("".join(pieces))


# Scalars that YAML 1.1 and 1.2 resolve differently, or to something else than a string.
RESOLVED = [
    "",
    *"x 1 -1.5 1_000 0o17 017 0x1F 1:20 .inf .NaN ~ null Null true yes on 2001-12-14".split(),
    *"2001-12-14t21:59:43.10-05:00 <<".split(),
]


@pytest.mark.parametrize("version", [None, (1, 1), (1, 2)])
def test_the_resolver_with_its_version_fixed_resolves_as_ruamels(
    version: tuple[int, int] | None,
) -> None:
    ours, theirs = yamlsource._Resolver(version), VersionedResolver(version)
    for value in RESOLVED:
        for implicit in [(True, False), (False, True)]:
            assert str(ours.resolve(ScalarNode, value, implicit)) == str(
                theirs.resolve(ScalarNode, value, implicit)
            ), (value, implicit)


@given(
    text=st.one_of(
        st.sampled_from(RESOLVED),
        st.text(alphabet="0123456789.-+:_eExXoO~<=!&*$/ aybnNtTfFYlLsu", max_size=12),
    )
)
def test_a_plain_string_reads_back_as_a_string_as_both_resolvers_say(text: str) -> None:
    expected = all(
        str(VersionedResolver(version).resolve(ScalarNode, text, (True, False)))
        == "tag:yaml.org,2002:str"
        for version in [(1, 1), (1, 2)]
    )
    assert yamlsource.reads_as_string(text) == expected
