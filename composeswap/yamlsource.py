"""Reading compose YAML: the only module that imports ruamel.yaml.

The file is parsed once. The composed node tree gives exact character offsets for keys and
scalars; the data is constructed from the same nodes, so positions and values always agree.

Nodes are composed from the events of libyaml's parser (ruamel.yaml.clib), into the tree
ruamel.yaml's composer makes (see _Composer), when it is installed and accepts the text: over ten
times faster than the pure-Python parser. (libyaml's own composer recurses in C and crashes the
process on deeply nested input, and it drops anchor names.) Whatever libyaml refuses is
parsed again by the pure-Python parser, which explains errors better and accepts a little more
YAML 1.2 (a ':' in a flow collection's plain scalar, wider anchor names). Both give the same
nodes for what both accept (tests/test_parsers.py).
"""

from __future__ import annotations

import bisect
import functools
import re
from collections.abc import Callable, Iterator, Mapping
from types import MappingProxyType
from typing import Any, NamedTuple

from ruamel.yaml import YAML
from ruamel.yaml import main as ruamel_main
from ruamel.yaml.composer import ComposerError
from ruamel.yaml.constructor import SafeConstructor
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import (
    AliasEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    StreamEndEvent,
)
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from ruamel.yaml.reader import ReaderError
from ruamel.yaml.resolver import VersionedResolver
from ruamel.yaml.tag import Tag

from composeswap.errors import ComposeswapError, fail
from composeswap.model import Document, Entry, JsonPath, Layout, Service
from composeswap.text import Source

_MERGE_TAG = "tag:yaml.org,2002:merge"
_STR_TAG = "tag:yaml.org,2002:str"
_MAP_TAG = "tag:yaml.org,2002:map"
_SEQ_TAG = "tag:yaml.org,2002:seq"
_NULL_TAG = "tag:yaml.org,2002:null"
_RESET_TAG, _OVERRIDE_TAG = "!reset", "!override"
_NO_TAGS: Mapping[JsonPath, str] = MappingProxyType({})
# Far above any real compose file (10,000 services of 100 values each), far below a hang.
EXPANDED_NODES_LIMIT = 1_000_000


class _ComposeConstructor(SafeConstructor):
    """The safe constructor, plus Compose's own tags ``!reset`` and ``!override``.

    Compose uses them to merge several files; here their values are read as written, so a file
    that uses them can still be validated and switched.
    """

    def construct_untagged(self, node: Node) -> Any:
        if isinstance(node, MappingNode):
            node.tag = "tag:yaml.org,2002:map"
        elif isinstance(node, SequenceNode):
            node.tag = "tag:yaml.org,2002:seq"
        else:
            node.tag = self.loader.resolver.resolve(ScalarNode, node.value, (True, False))
        return self.yaml_constructors[node.tag](self, node)


for _tag in ("!reset", "!override"):
    _ComposeConstructor.add_constructor(_tag, _ComposeConstructor.construct_untagged)


_CParser: Any = getattr(ruamel_main, "CParser", None)  # None without ruamel.yaml.clib
_new_node = object.__new__
# Whether libyaml's parser is there to be tried first; tests turn it off to compare the two.
FAST = _CParser is not None


@functools.cache
def _yaml() -> YAML:
    # One per process: creating one searches ruamel.yaml's folder for plug-ins.
    yaml = YAML(typ="safe", pure=True)
    yaml.Constructor = _ComposeConstructor
    # YAML lets an anchor be defined again (later aliases mean the new one), and so does
    # Compose: no warning on stderr for it.
    yaml.composer.warn_double_anchors = False
    return yaml


class _Resolver(VersionedResolver):
    """ruamel.yaml's resolver for one YAML version, ruamel's default unless given, fixed when
    created.

    ruamel's looks the version up on its loader for every plain scalar it resolves, through two
    AttributeErrors when there is no loader. libyaml is only given text without directives, so
    its files are read by the default version, as the pure parser reads them.
    """

    def __init__(self, version: tuple[int, int] | None = None) -> None:
        super().__init__(version)
        self._version = super().processing_version
        self._table = super().versioned_resolver  # filled once for the version, then kept

    @property
    def processing_version(self) -> Any:
        return self._version

    @property
    def versioned_resolver(self) -> Any:
        # ruamel's looks the version up again for each scalar, twice.
        return self._table


@functools.cache
def _resolver() -> _Resolver:
    return _Resolver()


class _Composer:
    """ruamel.yaml's node tree (tags, values, styles, anchors, aliases, marks; no comments) from
    libyaml's events.

    ruamel's own composer took five times as long as libyaml's parsing: for every event it looks
    its parser and resolver up through properties, tests the event's type against each kind, and
    its resolver looks for the YAML version (see _Resolver). Here each event is fetched once and
    dispatched on its type, and a plain scalar's tag is resolved once per distinct value. The
    tree is the one ruamel's composer makes (tests/test_composer.py compares them node by node).

    Like ruamel's, it recurses twice per level of nesting, so text nested too deeply for it
    raises RecursionError and goes to the pure parser, as before.

    It also counts, as it goes, what _reference_counts would otherwise walk the tree for: how
    often each node is used (once, plus once for each alias to it) and how many nodes the
    aliases expand the tree to.
    """

    def __init__(self, next_event: Callable[[], Any]) -> None:
        self._next = next_event
        self._anchors: dict[str, Node] = {}
        self._plain_tags: dict[str, Tag] = {}
        self.counts: dict[int, int] = {}  # by id, the nodes aliases use: how often each is used
        self.size = 0  # the nodes so far, each alias counted as the nodes it stands for
        self._sizes: dict[int, int] = {}  # by id, each anchored node's size, once composed
        self.sized = True  # False once an alias stands for a node not composed yet (its own parent)

    def single_document(self) -> Node | None:
        """The only document's root node, None for an empty stream; a YAMLError for several."""
        self._next()  # the stream's start
        event = self._next()
        root = None
        if type(event) is not StreamEndEvent:  # the document's start
            root = self._node(self._next())
            self._next()  # the document's end
            event = self._next()
        if type(event) is not StreamEndEvent:
            raise ComposerError(
                "expected a single document in the stream",
                None if root is None else root.start_mark,
                "but found another document",
                event.start_mark,
            )
        return root

    def _node(self, event: Any) -> Node:
        kind = type(event)
        if kind is not ScalarEvent:
            if kind is AliasEvent:
                return self._alias(event)
            return self._collection(event, kind is MappingStartEvent)
        # Scalars, most of the nodes, are made here rather than in a call of their own, and
        # without ScalarNode's __init__ (two calls deep): each of its slots set as it sets them.
        node = _new_node(ScalarNode)
        node.ctag = self._scalar_tag(event)
        node.value = event.value
        node.start_mark = event.start_mark
        node.end_mark = event.end_mark
        node.style = event.style
        node.comment = None
        node.anchor = anchor = event.anchor
        self.size += 1
        if anchor is not None:
            self._anchors[anchor] = node
            self._sizes[id(node)] = 1
        return node

    def _alias(self, event: Any) -> Node:
        found = self._anchors.get(event.anchor)
        if found is None:
            raise ComposerError(
                None, None, f"found undefined alias {event.anchor!r}", event.start_mark
            )
        key = id(found)
        self.counts[key] = self.counts.get(key, 1) + 1
        size = self._sizes.get(key)
        if size is None:
            self.sized = False
        else:
            self.size += size
        return found

    def _collection(self, start: Any, mapping: bool) -> Node:
        node: MappingNode | SequenceNode = (MappingNode if mapping else SequenceNode)(
            _tag_or(start.ctag, _MAP_DEFAULT if mapping else _SEQ_DEFAULT),
            [],
            start.start_mark,
            None,
            flow_style=start.flow_style,
            anchor=start.anchor,
        )
        if start.anchor is not None:  # an alias inside may refer to it
            self._anchors[start.anchor] = node
        first = self.size
        self.size += 1
        items, end = node.value, MappingEndEvent if mapping else SequenceEndEvent
        event = self._next()
        while type(event) is not end:
            item = self._node(event)
            items.append((item, self._node(self._next())) if mapping else item)
            event = self._next()
        node.end_mark = event.end_mark
        if start.anchor is not None:
            self._sizes[id(node)] = self.size - first
        return node

    def _scalar_tag(self, event: Any) -> Tag:
        own = event.ctag
        if own is not None and str(own) != "!":
            return own if isinstance(own, Tag) else Tag(suffix=own)  # as Node's __init__ does
        if not event.implicit[0]:  # quoted, a block scalar, or tagged '!': a string
            return _STR_DEFAULT
        tag = self._plain_tags.get(event.value)
        if tag is None:
            tag = _resolver().resolve(ScalarNode, event.value, event.implicit)
            tag = self._plain_tags[event.value] = _SHARED_TAGS.setdefault(str(tag), tag)
        return tag


# What ruamel's resolver gives a node without a tag of its own, other than a plain scalar.
_STR_DEFAULT = VersionedResolver.DEFAULT_SCALAR_TAG
_SEQ_DEFAULT = VersionedResolver.DEFAULT_SEQUENCE_TAG
_MAP_DEFAULT = VersionedResolver.DEFAULT_MAPPING_TAG


# One tag object for each resolved tag, as ruamel's resolver shares its defaults: see _tag_of.
_SHARED_TAGS = {str(tag): tag for tag in (_STR_DEFAULT, _SEQ_DEFAULT, _MAP_DEFAULT)}


def _tag_of(node: Node) -> str | None:
    """The node's tag, as ``node.tag`` gives it, without its three calls for a shared one."""
    own = node.ctag
    if own is _STR_DEFAULT:
        return _STR_TAG
    if own is _MAP_DEFAULT:
        return _MAP_TAG
    if own is _SEQ_DEFAULT:
        return _SEQ_TAG
    return node.tag


def _tag_or(tag: Any, resolved: Any) -> Any:
    """A node's own tag, or the resolved one when it has none (``!`` asks for none)."""
    return resolved if tag is None or str(tag) == "!" else tag


class _Tree(NamedTuple):
    """A text's node tree, and what _Composer counted of it (see _reference_counts)."""

    root: Node | None
    counts: dict[int, int] | None = None  # None: not counted, _reference_counts walks the tree
    size: int = 0


def _fast_compose(text: str) -> _Tree | None:
    """The text's node tree from libyaml's events, or None when libyaml is not there or refuses
    the text (or the text is empty).

    Text that still holds a tab once the tabs between tokens are spaces (see _spaced_tabs) goes
    to the pure parser: libyaml reads a tab inside an unquoted value that the pure parser
    refuses, and a file must not be read one way here and another there. So does text with a
    directive: the pure parser reads a ``%YAML 1.1`` document by 1.1's rules.
    """
    if not FAST or "\t" in text or text.startswith("%") or "\n%" in text:
        return None
    try:
        return _libyaml_compose(text)
    except (YAMLError, RecursionError):
        return None


def _libyaml_compose(text: str) -> _Tree:
    """The text's node tree from libyaml's events; YAMLError or RecursionError if refused."""
    parser = _CParser(text)
    try:
        composer = _Composer(parser.get_event)
        root = composer.single_document()
    finally:
        parser.dispose()
    return _Tree(root, composer.counts if composer.sized else None, composer.size)


def parse(source: Source, file: str) -> Document:
    """Parse a compose file, or raise a ComposeswapError that points into it."""
    tree = _read_nodes(source, file)
    root = _top_level(tree.root, source, file)
    refs = _reference_counts(tree, file)
    services_node = _services_node(root, source, file)
    # Read the services before constructing: the constructor flattens ``<<`` merges into the
    # nodes themselves, after which own and merged keys can no longer be told apart.
    shapes = [_shape(source, file, key, value, refs) for key, value in services_node.value]
    tags = _take_merge_tags(root, source)
    data = _construct(root, source, file)
    return _document(file, source, root, refs, data, _with_data(shapes, data, tags))


def parse_services(snippet: Source, file: str, settings: object) -> Document:
    """Some services' lines, parsed on their own as a document holding just those services.

    Proving an edit by parsing only the services it touched keeps large files fast. Raises
    ComposeswapError when the lines do not stand alone (an alias to an anchor elsewhere, a
    merge), and the caller then parses the whole file instead.
    """
    try:
        tree = _nodes(snippet.body)
    except (YAMLError, RecursionError) as error:
        raise fail(file, f"the services do not parse on their own: {error}") from None
    root = tree.root
    if not isinstance(root, MappingNode):
        raise fail(file, "the edited lines are not services")
    refs = _reference_counts(tree, file)
    shapes = []
    for key, node in root.value:
        if not isinstance(node, MappingNode) or _merged_keys(node, set()):
            raise fail(file, "a service uses a merge")
        shapes.append(_shape(snippet, file, key, node, refs))
    tags = {("services", *path): tag for path, tag in _take_merge_tags(root, snippet).items()}
    services = _construct(root, snippet, file)
    data = {"x-composeswap": settings, "services": services}
    return _document(file, snippet, root, refs, data, _with_data(shapes, data, tags))


def _document(
    file: str,
    source: Source,
    root: Node,
    refs: Mapping[int, int],
    data: dict[str, Any],
    services: dict[str, Service],
) -> Document:
    # The tree stays reachable only through these two lookups, for positions and anchors.
    aliased = any(count > 1 for count in refs.values())
    service_nodes: dict[str, Node] = {}
    return Document(
        file,
        source,
        data,
        services,
        lambda path, at_key: _locate(root, source, path, at_key),
        lambda path: _anchors_used_elsewhere(root, refs, path, service_nodes) if aliased else [],
    )


def _nodes(text: str) -> _Tree:
    """The text's node tree: from libyaml's events when it reads the text, else from the pure
    parser, whose YAMLError explains what is wrong.

    Both read a tab that only separates tokens as the space YAML takes it for (see
    _spaced_tabs); a tab that turns out to be part of a value is read as written.
    """
    readable, spaced = _spaced_tabs(text)
    tree = _fast_compose(readable) or _Tree(_yaml().compose(readable))
    in_values = _runs_in_values(tree.root, text, spaced) if spaced else []
    if in_values:
        # With tabs, only the pure parser reads the text (see _fast_compose).
        tree = _Tree(_yaml().compose(_written_back(readable, text, in_values)))
    return tree


Run = tuple[int, int]  # start and end of a run of blanks


def _spaced_tabs(text: str) -> tuple[str, list[Run]]:
    """The text with each run of blanks that holds a tab and follows a token on its line
    written with spaces, and those runs.

    YAML reads such a tab as a space (after ``image:``, before ``#``, at the end of a line), and
    so does Compose; the pure parser refuses it outside flow collections. A space in its place
    keeps every offset, so positions still point into the text as written. Left as they are: a
    tab that indents, or follows a '-', '?' or a line's leading ':' (Compose refuses those, as it
    may be indentation for what follows).
    """
    if "\t" not in text:
        return text, []
    pieces, runs, done = [], [], 0
    tab = text.find("\t")
    while tab >= 0:
        start, end = _blank_run(text, tab)
        if _follows_token(text, start):
            pieces += [text[done:start], text[start:end].replace("\t", " ")]
            runs.append((start, end))
            done = end
        tab = text.find("\t", end)
    return "".join(pieces) + text[done:], runs


def _blank_run(text: str, index: int) -> Run:
    start, end = index, index + 1
    while start > 0 and text[start - 1] in " \t":
        start -= 1
    while end < len(text) and text[end] in " \t":
        end += 1
    return start, end


def _follows_token(text: str, start: int) -> bool:
    """Whether the blanks at ``start`` come after a token on their line, other than a block
    indicator: a '-' or '?' that opens an entry, or a ':' that opens its line."""
    line_start = max(text.rfind("\n", 0, start), text.rfind("\r", 0, start)) + 1
    if start == line_start:
        return False
    before = text[start - 1]
    if before in "-?" and (start - 1 == line_start or text[start - 2] in " \t"):
        return False
    return not (before == ":" and not text[line_start : start - 1].strip(" \t"))


def _runs_in_values(root: Node | None, text: str, runs: list[Run]) -> list[Run]:
    """The spaced runs that are part of a value: inside a quoted scalar or a block scalar's
    lines, or inside a plain scalar but for the end of one of its lines (which YAML drops)."""
    starts = [start for start, _ in runs]
    found: list[Run] = []
    seen: set[int] = set()
    stack = [root] if root is not None else []
    while stack:
        node = stack.pop()
        if id(node) in seen:  # an alias: walked once
            continue
        seen.add(id(node))
        if isinstance(node, ScalarNode):
            found += _runs_in_scalar(node, text, runs, starts)
        else:
            stack.extend(_children(node))
    return sorted(found)


# Anchors and tags, with the blanks, line breaks and comments after them.
_PROPERTIES = re.compile(r"(?:[&!]\S*(?:\s+(?:#[^\r\n]*)?)*)*")


def _runs_in_scalar(node: ScalarNode, text: str, runs: list[Run], starts: list[int]) -> list[Run]:
    # A node's mark includes its anchor and tag, which the value follows.
    properties = _PROPERTIES.match(text, node.start_mark.index)
    assert properties is not None  # the pattern matches the empty text too
    first = properties.end()
    end = int(node.end_mark.index)
    if node.style in ("|", ">"):  # its value starts on the line after the header
        first = _line_end(text, first)
    found = []
    index = bisect.bisect_left(starts, first)
    while index < len(runs) and runs[index][0] < end:
        start, run_end = runs[index]
        if node.style or text[run_end : run_end + 1] not in ("\r", "\n"):
            found.append((start, run_end))
        index += 1
    return found


def _line_end(text: str, index: int) -> int:
    ends = [found for found in (text.find("\n", index), text.find("\r", index)) if found >= 0]
    return min(ends, default=len(text))


def _written_back(readable: str, text: str, runs: list[Run]) -> str:
    """``readable`` with the given runs as ``text`` writes them."""
    pieces, done = [], 0
    for start, end in runs:
        pieces += [readable[done:start], text[start:end]]
        done = end
    return "".join(pieces) + readable[done:]


def _top_level(root: Node | None, source: Source, file: str) -> MappingNode:
    if root is None:
        raise fail(file, "the file is empty: Docker Compose refuses an empty compose file")
    if not isinstance(root, MappingNode):
        line, column = _mark(source, root)
        raise fail(
            file,
            "the top level must be a mapping of keys such as services and networks",
            line=line,
            column=column,
        )
    return root


def _read_nodes(source: Source, file: str) -> _Tree:
    """The file's node tree, or a ComposeswapError that says what is wrong and where."""
    try:
        return _nodes(source.body)
    except MarkedYAMLError as error:
        raise _odd_break(source, error, file) or _marked(error, source, file) from None
    except ReaderError as error:
        line, column = source.position(error.position)
        raise fail(
            file,
            f"a character YAML does not allow (U+{error.character:04X}): remove it",
            line=line,
            column=column,
        ) from None
    except YAMLError as error:
        raise fail(file, f"not valid YAML: {error}") from None
    except RecursionError:
        raise fail(file, "the YAML is nested too deeply to be a compose file") from None


def _construct(root: Node, source: Source, file: str) -> dict[str, Any]:
    try:
        # A fresh constructor each time: one that failed midway keeps its pending work.
        constructor = _ComposeConstructor(loader=_yaml())
        constructor.allow_duplicate_keys = False
        try:
            data = _lean_construct(root, constructor)
        except Exception:  # whatever it is, ruamel.yaml's constructor decides
            data = constructor.construct_document(root)
    except MarkedYAMLError as error:
        raise _marked(error, source, file) from None
    except (YAMLError, TypeError, ValueError) as error:
        line, column = _mark(source, root)
        raise fail(file, f"cannot read the YAML: {error}", line=line, column=column) from None
    assert isinstance(data, dict)
    return data


class _NeedsRuamel(Exception):
    """Something only ruamel.yaml's constructor reads, or explains: a merge, a duplicate key, a
    key that is a collection, a tag other than the core scalars', an alias to its own parent."""


_SCALAR_TAGS = frozenset(
    f"tag:yaml.org,2002:{name}" for name in ("null", "bool", "int", "float", "binary", "timestamp")
) | {_RESET_TAG, _OVERRIDE_TAG}
# Keys ruamel.yaml's constructor reads specially: a merge, and YAML 1.1's '=' (a value key).
_SPECIAL_KEYS = (_MERGE_TAG, "tag:yaml.org,2002:value")


def _lean_construct(root: Node, constructor: _ComposeConstructor) -> Any:
    """The data ruamel.yaml's constructor makes from the tree, in a third of its time, for a
    tree of plain mappings, sequences and scalars; _NeedsRuamel (or the error a scalar's
    constructor raised) for anything else, which the caller then gives ruamel.yaml's.

    ruamel's spends most of its time on its own machinery: per node, two lookups keyed by the
    node, a generator for each collection, and a pass over every mapping looking for merges.
    Here a scalar is constructed by the very function ruamel's would call (strings are their
    text), a collection by a loop, and an anchored collection once, so that aliases share it as
    they do in ruamel's. The data is equal, value by value and type by type, to ruamel's
    (tests/test_construction.py).
    """
    constructors = constructor.yaml_constructors
    built: dict[int, Any] = {}  # anchored collections, which aliases share; None while building

    def data(node: Node) -> Any:
        kind = type(node)
        if kind is ScalarNode and node.ctag is _STR_DEFAULT:  # most nodes: see _tag_of
            return node.value
        tag = _tag_of(node)
        if kind is ScalarNode:
            if tag == _STR_TAG:
                return node.value
            if tag not in _SCALAR_TAGS:
                raise _NeedsRuamel
            return constructors[tag](constructor, node)
        anchored = node.anchor is not None
        if anchored:
            found = built.get(id(node))
            if found is not None:
                return found
            if id(node) in built:
                raise _NeedsRuamel
            built[id(node)] = None
        if tag in (_RESET_TAG, _OVERRIDE_TAG):  # as _ComposeConstructor.construct_untagged does
            node.tag = _MAP_TAG if kind is MappingNode else _SEQ_TAG
        elif tag != (_MAP_TAG if kind is MappingNode else _SEQ_TAG):
            raise _NeedsRuamel
        if kind is MappingNode:
            value: Any = {}
            for key_node, value_node in node.value:
                if type(key_node) is not ScalarNode or _tag_of(key_node) in _SPECIAL_KEYS:
                    raise _NeedsRuamel
                key = data(key_node)
                if key in value:
                    raise _NeedsRuamel
                value[key] = data(value_node)
        else:
            value = [data(item) for item in node.value]
        if anchored:
            built[id(node)] = value
        return value

    return data(root)


def _marked(error: MarkedYAMLError, source: Source, file: str) -> ComposeswapError:
    mark = error.problem_mark or error.context_mark
    problem = error.problem or error.context or "invalid YAML"
    if "duplicate key" in problem:
        problem = problem.split(" with value")[0]
    if "expected a single document" in str(error.context):
        problem = "several YAML documents in one file: composeswap edits single-document files"
    if "found character '\\t'" in problem:
        problem = (
            "a tab character where this YAML reader takes none (to indent, after a '-' "
            "or '?', or inside an unquoted value): replace it with spaces, or quote the "
            "value"
        )
    elif (
        str(error.context).startswith(("while parsing", "while scanning"))
        and error.context_mark
        and error.problem_mark
        and error.context_mark.index != error.problem_mark.index
    ):
        line, column = source.position(error.context_mark.index)
        problem += f" ({error.context} that starts at {line}:{column})"
    if mark is None:
        return fail(file, f"invalid YAML: {problem}")
    line, column = source.position(_start(source, mark.index))
    return fail(file, f"invalid YAML: {problem}", line=line, column=column)


_ODD_BREAKS = {
    "\u2028": "U+2028 LINE SEPARATOR",
    "\u2029": "U+2029 PARAGRAPH SEPARATOR",
    "\x85": "U+0085 NEXT LINE",
    "\x0c": "a form feed",
}


def _odd_break(source: Source, error: MarkedYAMLError, file: str) -> ComposeswapError | None:
    """A character YAML readers disagree on (a line break to some) on the error's own line."""
    mark = error.problem_mark or error.context_mark
    if mark is None:
        return None
    # Readers that take one of them for a line break place the error on the line after it.
    start, end = source.line_start(source.break_before(mark.index)), mark.index
    found = [
        (index, name)
        for char, name in _ODD_BREAKS.items()
        for index in [source.body.find(char, start, end + 1)]
        if index >= 0
    ]
    if not found:
        return None
    index, name = min(found)
    line, column = source.position(index)
    return fail(
        file,
        f"{name} here, which YAML readers disagree on (some read a line break): "
        "replace it with a space or remove it",
        line=line,
        column=column,
    )


def _services_node(root: MappingNode, source: Source, file: str) -> MappingNode:
    """The top-level 'services' mapping, or an empty one when the file has none."""
    for key, value in root.value:
        if key.value == "services":
            if not isinstance(value, MappingNode):
                line, column = _mark(source, value, key)
                raise fail(
                    file,
                    "'services' must be a mapping of service names to services",
                    line=line,
                    column=column,
                    where="services",
                )
            for service_key, service_value in value.value:
                _require_string(source, file, service_key, "a service name", "services")
                if not isinstance(service_value, MappingNode):
                    line, column = _mark(source, service_value, service_key)
                    raise fail(
                        file,
                        "a service must be a mapping of keys such as image and build",
                        line=line,
                        column=column,
                        where=f"services.{service_key.value}",
                    )
            return value
    if not any(_counts(key, value) for key, value in root.value):
        line, column = _mark(source, root)
        raise fail(
            file,
            "nothing here Docker Compose reads ('version' is ignored, an empty "
            "'include' adds nothing): it refuses the file as empty",
            line=line,
            column=column,
        )
    # Compose accepts a file without services (only networks, say, or an include): it has none
    # to switch.
    return MappingNode(_MAP_TAG, [], root.start_mark, root.start_mark)


def _counts(key: Node, value: Node) -> bool:
    """Whether Compose finds something in a top-level key: it drops 'version', and an 'include'
    of nothing, before it refuses what is left if that is nothing."""
    if key.value == "version":
        return False
    if key.value == "include":
        return not (
            isinstance(value, SequenceNode)
            and not value.value
            or isinstance(value, ScalarNode)
            and value.tag == _NULL_TAG
        )
    return True


def _require_string(source: Source, file: str, key: Node, what: str, where: str) -> None:
    """Compose refuses a mapping key that YAML reads as anything but a string (``1.5``, ``null``,
    ``true``, ``[a]``): say so at the key, before anything takes the key for a string."""
    if _tag_of(key) == _STR_TAG:
        return
    line, column = _mark(source, key)
    written = source.body[key.start_mark.index : key.end_mark.index].strip() or "null"  # '?' alone
    raise fail(
        file, f"{what} must be a string, not {written!r}", line=line, column=column, where=where
    )


def _mark(source: Source, node: Node, key: Node | None = None) -> tuple[int, int]:
    """1-based line and column of a node, counted as editors count lines.

    An empty value has no text of its own (the parser marks the next token): point at its key.
    """
    if key is not None and _empty(node):
        node = key
    return source.position(_start(source, node.start_mark.index))


_TAG_BEFORE = re.compile(r"(?<![^\s\[{,])![^\s,\[\]{}]*[ \t]+$")


def _start(source: Source, index: int) -> int:
    """Where the node marked at ``index`` starts, its properties included.

    For ``!tag &anchor value`` the pure parser marks the anchor, libyaml's the tag: the tag.
    """
    if source.body.startswith("&", index):
        tag = _TAG_BEFORE.search(source.body, source.line_start(index), index)
        if tag:
            return tag.start()
    return index


def _empty(node: Node) -> bool:
    # libyaml's parser writes a plain scalar's style as '', the pure one as None.
    return (
        isinstance(node, ScalarNode)
        and node.value == ""
        and not node.style
        and node.start_mark.index == node.end_mark.index
    )


def _reference_counts(tree: _Tree, file: str) -> dict[int, int]:
    """How often each node is referenced (more than once: an alias uses it; a node used once may
    be left out), refusing YAML whose aliases expand to far more than any compose file ("billion
    laughs"). _Composer counted as it composed; a tree from the pure parser is walked once.
    """
    if tree.counts is not None:
        counts, total = tree.counts, tree.size
    else:
        assert tree.root is not None
        counts, total = _walked_counts(tree.root, file)
    if total > EXPANDED_NODES_LIMIT:
        raise fail(
            file,
            f"aliases expand this file to more than {EXPANDED_NODES_LIMIT:,} values "
            "(an alias bomb?); composeswap will not read it",
        )
    return counts


def _walked_counts(root: Node, file: str) -> tuple[dict[int, int], int]:
    """How often each node is referenced, and how many nodes the aliases expand the tree to."""
    sizes: dict[int, int] = {}
    counts: dict[int, int] = {}

    def size(node: Node) -> int:
        counts[id(node)] = counts.get(id(node), 0) + 1
        known = sizes.get(id(node))
        if known is None:  # an alias's subtree is walked once, so the walk stays linear
            known = sizes[id(node)] = 1 + sum(size(child) for child in _children(node))
        return known

    try:
        return counts, size(root)
    except RecursionError:
        raise fail(file, "the YAML is nested too deeply to be a compose file") from None


def _children(node: Node) -> Iterator[Node]:
    if isinstance(node, MappingNode):
        for key, value in node.value:
            yield key
            yield value
    elif isinstance(node, SequenceNode):
        yield from node.value


def _shape(
    source: Source, file: str, key: ScalarNode, node: MappingNode, refs: Mapping[int, int]
) -> Service:
    """A service's own keys and positions, before its data is known."""
    own = {}
    merges = False
    in_flow = node.flow_style is True
    for entry_key, entry_value in node.value:
        if _is_merge(entry_key):
            merges = True
            continue
        if entry_key.ctag is not _STR_DEFAULT:  # most keys: see _tag_of
            _require_string(source, file, entry_key, "a key of a service", f"services.{key.value}")
        entry = _entry(source, entry_key, entry_value, in_flow, refs)
        own[entry.key] = entry
    line, column = source.position(key.start_mark.index)
    return Service(
        name=str(key.value),
        line=line,
        column=column - 1,
        entries=own,
        merged=frozenset(_merged_keys(node, set()) if merges else ()),
        shared=_shared(key, node, refs),
        lines=_own_lines(source, key, node),
        data={},
        merge_tags=_NO_TAGS,
    )


def _shared(key: ScalarNode, node: MappingNode, refs: Mapping[int, int]) -> str | None:
    """How a service's mapping is also used elsewhere, if it is: editing it would edit both."""
    if node.start_mark.index < key.end_mark.index:
        return f"is written as an alias (*{node.anchor}) of a mapping defined elsewhere"
    if refs.get(id(node), 0) > 1:
        return f"has an anchor (&{node.anchor}) that another part of the file aliases"
    return None


def _own_lines(source: Source, key: ScalarNode, node: MappingNode) -> tuple[int, int] | None:
    """The span of whole lines holding the service and nothing else, if it has them."""
    start = source.line_start(key.start_mark.index)
    end = _node_end(source, node) if node.value else None
    if end is None or source.body[start : key.start_mark.index].strip(" "):
        return None
    rest = source.body[end : source.line_end(end)].strip(" \t")
    return (start, source.line_end(end)) if not rest or rest.startswith("#") else None


def _with_data(
    shapes: list[Service], data: Mapping[str, Any], tags: Mapping[JsonPath, str]
) -> dict[str, Service]:
    """The services with their data; one that ``!reset`` removes whole is no service."""
    found = data.get("services")
    services = found if isinstance(found, Mapping) else {}
    return {
        shape.name: shape._replace(data=services[shape.name], merge_tags=_tags_in(tags, shape.name))
        for shape in shapes
        if shape.name in services
    }


def _tags_in(tags: Mapping[JsonPath, str], service: str) -> Mapping[JsonPath, str]:
    if not tags:
        return _NO_TAGS
    return {
        path[2:]: tag
        for path, tag in tags.items()
        if len(path) > 2 and path[0] == "services" and path[1] == service
    }


def _take_merge_tags(root: Node, source: Source) -> dict[JsonPath, str]:
    """Where ``!reset`` and ``!override`` tag a mapping's value; ``!reset`` pairs are taken out.

    Compose drops ``!reset`` keys from its YAML tree before reading it, so a key that a ``<<``
    merge also supplies reads with the merged value (checked with its binary), while one a
    service would inherit through ``extends`` stays absent (``composeswap.effective``).
    """
    tags: dict[JsonPath, str] = {}
    if _RESET_TAG not in source.body and _OVERRIDE_TAG not in source.body:
        return tags
    seen: set[int] = set()

    def walk(node: Node, path: JsonPath) -> None:
        if id(node) in seen:
            return
        seen.add(id(node))
        if isinstance(node, MappingNode):
            tags.update(
                (path + (str(key.value),), value.tag)
                for key, value in node.value
                if value.tag in (_RESET_TAG, _OVERRIDE_TAG)
            )
            node.value[:] = [(key, value) for key, value in node.value if value.tag != _RESET_TAG]
            for key, value in node.value:
                walk(value, path + (str(key.value),))
        elif isinstance(node, SequenceNode):
            for index, item in enumerate(node.value):
                walk(item, path + (index,))

    walk(root, ())
    return tags


def _anchors_used_elsewhere(
    root: Node, refs: Mapping[int, int], path: JsonPath, service_nodes: dict[str, Node]
) -> list[str]:
    """Anchors defined inside the value at ``path`` that an alias outside that value uses:
    deleting or replacing the value would break or re-point that alias.

    ``service_nodes`` indexes the services once, so asking for every service of a large file
    does not search the services mapping each time."""
    if path[:1] == ("services",) and len(path) > 1:
        if not service_nodes:
            found = _child(root, "services")
            if found is not None and isinstance(found[1], MappingNode):
                service_nodes.update((str(key.value), value) for key, value in found[1].value)
        start, rest = service_nodes.get(str(path[1])), path[2:]
    else:
        start, rest = root, path
    node = start
    for part in rest:
        if node is None:
            return []
        child = _child(node, part)
        node = child[1] if child else None
    if node is None:
        return []
    inside: dict[int, int] = {}
    anchored: dict[int, str] = {}

    def count(current: Node) -> None:
        inside[id(current)] = inside.get(id(current), 0) + 1
        if inside[id(current)] > 1:
            return
        if current.anchor:
            anchored[id(current)] = str(current.anchor)
        for child_node in _children(current):
            count(child_node)

    count(node)
    return [name for key, name in anchored.items() if refs.get(key, 0) > inside[key]]


def _is_merge(key: Node) -> bool:
    return key.value == "<<" or _tag_of(key) == _MERGE_TAG


def _merged_keys(node: MappingNode, seen: set[int]) -> set[str]:
    """Keys a mapping gets through ``<<`` merges, nested merges included."""
    keys: set[str] = set()
    for key, value in node.value:
        if not _is_merge(key) or id(value) in seen:
            continue
        seen.add(id(value))
        sources = value.value if isinstance(value, SequenceNode) else [value]
        for merged in sources:
            if isinstance(merged, MappingNode):
                keys |= {str(k.value) for k, _ in merged.value if not _is_merge(k)}
                keys |= _merged_keys(merged, seen)
    return keys


def _entry(
    source: Source, key: ScalarNode, value: Node, in_flow: bool, refs: Mapping[int, int]
) -> Entry:
    key_start, key_end = key.start_mark.index, key.end_mark.index
    is_alias = value.start_mark.index < key_end
    if is_alias:
        value_end = _alias_end(source.body, value, key_end)
    else:
        found = _node_end(source, value)
        # An empty value ends with the key's colon.
        value_end = found if found is not None else _colon_end(source.body, key_end, in_flow)
    block = isinstance(value, (MappingNode, SequenceNode)) and not value.flow_style
    if block and not is_alias and not in_flow:
        layout = Layout.BLOCK
    else:
        on_key_line = value_end <= source.line_end(key_start)
        layout = Layout.INLINE if on_key_line else Layout.OTHER
    line, column = source.position(key_start)
    # In the order of Entry's fields: made for each key of each service, by position is faster.
    return Entry(
        str(key.value),
        key_start,
        key_end,
        value_end,
        line,
        column - 1,
        layout,
        in_flow,
        None if is_alias else value.anchor,  # anchor
        not is_alias and refs.get(id(value), 0) > 1,  # aliased
        is_alias,  # alias
        not is_alias and _tag_of(value) == _RESET_TAG,  # reset
    )


def _colon_end(body: str, key_end: int, in_flow: bool = False) -> int:
    """End of the ':' after a key whose value is empty, or of the key when it has none: a flow
    mapping's entry may be a lone key (``{a, b: 1}`` holds ``a: null``)."""
    colon = body.find(":", key_end)
    if colon < 0 or in_flow and body[key_end:colon].strip():
        return key_end
    return colon + 1


def _node_end(source: Source, node: Node) -> int | None:
    """End of a node's last token; None for an empty scalar, whose mark sits on the next token."""
    end = int(node.end_mark.index)
    if isinstance(node, ScalarNode):
        style = node.style
        if style in ("|", ">"):  # a block scalar's mark includes its final line breaks
            return _block_scalar_end(source.body, node.start_mark.index, end)
        if not style and end == node.start_mark.index and node.value == "":  # see _empty
            return None
        return end
    assert isinstance(node, (MappingNode, SequenceNode))
    if node.flow_style or not node.value:
        return end
    if isinstance(node, MappingNode):
        last_key, last_value = node.value[-1]
        if last_value.start_mark.index < last_key.end_mark.index:  # an alias
            return _alias_end(source.body, last_value, last_key.end_mark.index)
        found = _node_end(source, last_value)
        return found if found is not None else _colon_end(source.body, last_key.end_mark.index)
    return _sequence_end(source, node)


_BLOCK_HEADER = re.compile(r"[|>][0-9+-]*")


def _block_scalar_end(body: str, start: int, end: int) -> int:
    """Where a block scalar's text ends: after its last line with text, or, when it keeps its
    trailing blank lines (``|+``), after the last of them, which belong to its value."""
    header = _BLOCK_HEADER.match(body, start)
    if header and "+" in header.group():
        for ending in ("\n", "\r"):
            if end > start and body[end - 1] == ending:
                end -= 1
        return end
    while end > start and body[end - 1] in "\r\n ":
        end -= 1
    return end


def _sequence_end(source: Source, node: SequenceNode) -> int | None:
    previous_end = int(node.start_mark.index)
    for item in node.value:
        if item.start_mark.index < previous_end:  # an alias to an earlier anchor
            previous_end = _alias_end(source.body, item, previous_end)
            continue
        found = _node_end(source, item)
        previous_end = found if found is not None else source.body.index("-", previous_end) + 1
    return previous_end


def _alias_end(body: str, target: Node, after: int) -> int:
    start = body.index("*" + str(target.anchor), after)
    return start + 1 + len(str(target.anchor))


def reads_as_string(text: str) -> bool:
    """Whether ``text`` written plain reads back as that string under YAML 1.1 and 1.2 alike
    (``2024-01-01`` is a date, ``1:20`` a number in 1.1)."""
    firsts = _first_characters()
    if firsts is not None and text[:1] not in firsts:  # no pattern of either version looks at it
        return True
    return all(
        resolver.resolve(ScalarNode, text, (True, False)) == _STR_TAG for resolver in _resolvers()
    )


@functools.cache
def _resolvers() -> tuple[_Resolver, ...]:
    return _Resolver((1, 1)), _Resolver((1, 2))


@functools.cache
def _first_characters() -> frozenset[str] | None:
    """The first characters the resolvers' patterns are filed under (``""`` for the empty
    scalar): a resolver tries only those filed under the scalar's own. None if some are filed
    under None, which a resolver tries whatever the scalar starts with."""
    tables = [resolver.versioned_resolver for resolver in _resolvers()]
    if any(None in table for table in tables):
        return None
    return frozenset(key for table in tables for key in table)


def _locate(root: Node, source: Source, path: JsonPath, at_key: bool) -> tuple[int, int] | None:
    """1-based position of the key or value at ``path``, or of its nearest existing parent."""
    node, key_node = root, None
    for part in path:
        child = _child(node, part)
        if child is None:
            break
        key_node, node = child
    if at_key and key_node is not None:
        return _mark(source, key_node)
    return _mark(source, node, key_node)


def _child(node: Node, part: str | int) -> tuple[Node | None, Node] | None:
    if isinstance(node, MappingNode):
        for key, value in reversed(node.value):  # the last of duplicate keys wins, as in Compose
            if key.value == str(part):
                return key, value
    elif isinstance(node, SequenceNode) and isinstance(part, int) and part < len(node.value):
        return None, node.value[part]
    return None
