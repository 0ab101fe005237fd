"""The vocabulary of a switch: forms, modes and the steps that edit a service's own keys."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import NamedTuple, TypeVar


class Mode(enum.Enum):
    LOCAL = "local"
    REMOTE = "remote"

    @property
    def key(self) -> str:
        """The key a service in this form has."""
        return "build" if self is Mode.LOCAL else "image"

    @property
    def opposite(self) -> Mode:
        return Mode.REMOTE if self is Mode.LOCAL else Mode.LOCAL


class Form(enum.Enum):
    REMOTE = "remote"
    LOCAL = "local"
    HYBRID = "image and build"  # Compose pulls, and builds only when the pull fails
    PROVIDER = "provider"  # run by a provider plugin: nothing to switch
    NEITHER = "neither image nor build"


class Reset(enum.Enum):
    """The value written to mask a key a service would otherwise inherit through ``extends``."""

    NULL = "!reset null"


Value = str | Mapping[str, str] | Reset


_Kind = TypeVar("_Kind", bound=type)


def _distinct(kind: _Kind) -> _Kind:
    """Plain NamedTuples compare as tuples: Rename(a, b) would equal any 2-tuple (a, b), a step
    of another kind with the same fields included. A step equals only a step of its own kind."""

    def same(step: tuple[object, ...], other: object) -> bool:
        return type(step) is type(other) and tuple.__eq__(step, other)

    def other_than(step: tuple[object, ...], other: object) -> bool:
        return not same(step, other)

    kind.__eq__ = same  # type: ignore[assignment]
    kind.__ne__ = other_than  # type: ignore[assignment]
    kind.__hash__ = tuple.__hash__  # type: ignore[assignment]
    return kind


@_distinct
class Rename(NamedTuple):
    key: str
    to: str


@_distinct
class Replace(NamedTuple):
    key: str
    to: str
    value: Value


@_distinct
class Insert(NamedTuple):
    """New keys on the lines after a key, in this order."""

    after: str  # the key as it is in the file before the switch
    items: tuple[tuple[str, Value], ...]


@_distinct
class Delete(NamedTuple):
    key: str


Step = Rename | Replace | Insert | Delete
