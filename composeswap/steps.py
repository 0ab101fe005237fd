"""The vocabulary of a switch: forms, modes and the steps that edit a service's own keys."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import NamedTuple


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
    HYBRID = "image and build"
    NEITHER = "neither image nor build"


Value = str | Mapping[str, str]


class Rename(NamedTuple):
    key: str
    to: str


class Replace(NamedTuple):
    key: str
    to: str
    value: Value


class Insert(NamedTuple):
    after: str  # the key as it is in the file before the switch
    key: str
    value: Value


class Delete(NamedTuple):
    key: str


Step = Rename | Replace | Insert | Delete
