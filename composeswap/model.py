"""The parsed compose file as plain values: what each service holds, and where in the text.

Records here and elsewhere are NamedTuples: immutable and typed like frozen dataclasses, but
created at import about eight times faster (0.07 ms against 0.6 ms each), and every run of the
command pays for all of them. Steps of different kinds never compare equal (steps._distinct).
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

from composeswap.text import Source

JsonPath = tuple[str | int, ...]
Locate = Callable[[JsonPath, bool], "tuple[int, int] | None"]


class Layout(enum.Enum):
    """How a value sits in the text, which decides how it can be replaced."""

    INLINE = "inline"  # on the key's line: a scalar, an alias or a one-line flow collection
    BLOCK = "block"  # a block mapping or sequence on the lines below the key
    OTHER = "other"  # anything spanning lines otherwise (multi-line scalar or flow)


class Entry(NamedTuple):
    """One ``key: value`` pair a service mapping writes itself (not one merged in)."""

    key: str
    key_start: int
    key_end: int
    value_end: int  # end of the value's last token, trailing comments excluded
    line: int  # 1-based, of the key
    column: int  # 0-based, of the key
    layout: Layout
    flow: bool  # the entry sits inside a flow mapping
    anchor: str | None  # an anchor defined on the value
    aliased: bool  # the value is also used elsewhere through an alias
    alias: bool  # the value here is an ``*alias``
    reset: bool  # the value is tagged ``!reset``: Compose reads the key as absent


class Service(NamedTuple):
    name: str
    line: int
    column: int
    entries: Mapping[str, Entry]  # own keys in file order; ``<<`` excluded
    merged: frozenset[str]  # keys a ``<<`` merge provides, whether or not the service has its own
    shared: str | None  # why its mapping is also used elsewhere through an alias, if it is
    lines: tuple[int, int] | None  # the whole lines it occupies alone, or None if it shares one
    data: Mapping[str, Any]  # its mapping as Compose reads it, before ``extends``
    # Paths inside it whose value is tagged ``!reset`` (dropped, from ``extends`` too) or
    # ``!override`` (replaces what ``extends`` gives rather than merging with it).
    merge_tags: Mapping[JsonPath, str]


class Document(NamedTuple):
    """One compose file, parsed once: its text, its data and the position of every service."""

    file: str
    source: Source
    data: Mapping[str, Any]
    services: Mapping[str, Service]
    locate: Locate  # JSON path -> 1-based (line, column) of the key (True) or value (False)
    # JSON path -> the anchors defined inside that value which an alias outside it uses
    anchors_used_elsewhere: Callable[[JsonPath], list[str]]

    def position(self, path: JsonPath, at_key: bool = False) -> tuple[int | None, int | None]:
        found = self.locate(path, at_key)
        return found if found else (None, None)


class Layer(NamedTuple):
    """One file of a project, in Docker Compose's merge order."""

    document: Document
    folder: str  # where relative paths in it resolve: the project's, or an included project's
    group: int  # the ``-f`` file it belongs to: its own index, or that of the file including it


class Sources(NamedTuple):
    """Every file a project reads: its layers, and the files services extend."""

    layers: tuple[Layer, ...]
    bases: Mapping[str, Document]  # the files ``extends.file`` names, by absolute path
