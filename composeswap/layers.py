"""Reading every file of a project: the ``-f`` files, the files they include, and the files
their services extend. The only I/O before planning; everything after works on the result.

Merge order is Compose's: each ``-f`` file after the files it includes (an included file's own
includes before it), so a later file's keys win. Paths follow Compose: an ``include`` path and
an ``extends.file`` resolve from the folder relative paths of their file resolve from (the
project directory for the ``-f`` files, an included project's directory inside it).
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from typing import Any, NamedTuple

from composeswap import files, yamlsource
from composeswap.errors import fail
from composeswap.model import Document, Layer, Sources
from composeswap.text import Source


class Loaded(NamedTuple):
    """The project's files as read: their parsed layers, and what was read, to write back."""

    sources: Sources
    files: Mapping[str, files.ComposeFile]  # by the name each document reports problems under


def load(paths: tuple[str, ...], directory: str, cwd: str) -> Loaded:
    """Read the ``-f`` files (absolute, in order) of the project in ``directory``."""
    read: dict[str, files.ComposeFile] = {}
    layers: list[Layer] = []
    for group, path in enumerate(paths):
        layers += _with_includes(path, directory, group, read, cwd, ())
    bases: dict[str, Document] = {}
    for layer in layers:
        _read_bases(layer.document, layer.folder, bases, read, cwd)
    return Loaded(Sources(tuple(layers), bases), {name: file for name, file in read.items()})


def display_name(path: str, cwd: str) -> str:
    """A path as messages show it: relative to the current folder when inside it."""
    relative = os.path.relpath(path, cwd)
    return path if relative.startswith(os.pardir) else relative


def _parse(path: str, read: dict[str, files.ComposeFile], cwd: str) -> Document:
    name = display_name(path, cwd)
    file = read[name] = files.read(name)  # by the name messages show, from the current folder
    return yamlsource.parse(Source.from_text(file.text), name)


def _with_includes(
    path: str,
    folder: str,
    group: int,
    read: dict[str, files.ComposeFile],
    cwd: str,
    chain: tuple[str, ...],
) -> list[Layer]:
    """The layers of one file: those of the files it includes, then its own."""
    if path in chain:
        raise fail(
            display_name(chain[0], cwd),
            "include cycle: "
            + " includes ".join(display_name(step, cwd) for step in (*chain, path)),
        )
    document = _parse(path, read, cwd)
    layers: list[Layer] = []
    for included, directory in _includes(document, folder):
        for index, part in enumerate(included):
            # The first file of an entry is the included project's; the others override it.
            nested = _with_includes(part, directory, group, read, cwd, (*chain, path))
            layers += nested if index == 0 else nested[-1:]
    return [*layers, Layer(document, folder, group)]


def _includes(document: Document, folder: str) -> Iterator[tuple[list[str], str]]:
    """Each ``include`` entry: its files (absolute) and the included project's directory."""
    entries = document.data.get("include")
    for entry in entries if isinstance(entries, list) else []:
        item: Mapping[str, Any] = entry if isinstance(entry, Mapping) else {"path": entry}
        paths = item.get("path")
        names = [paths] if isinstance(paths, str) else paths if isinstance(paths, list) else []
        # A missing file is for ``validate`` to report at its line; it adds nothing here.
        names = [
            os.path.normpath(os.path.join(folder, name))
            for name in names
            if isinstance(name, str) and "$" not in name
        ]
        names = [name for name in names if os.path.isfile(name)]
        if not names:
            continue
        directory = item.get("project_directory")
        yield (
            names,
            (
                os.path.normpath(os.path.join(folder, directory))
                if isinstance(directory, str)
                else os.path.dirname(names[0])
            ),
        )


def _read_bases(
    document: Document,
    folder: str,
    bases: dict[str, Document],
    read: dict[str, files.ComposeFile],
    cwd: str,
) -> None:
    """Every file a service of ``document`` extends, and the files those extend in turn."""
    for service in document.services.values():
        extends = service.data.get("extends")
        file = extends.get("file") if isinstance(extends, Mapping) else None
        if not isinstance(file, str) or "$" in file:
            continue
        path = os.path.normpath(os.path.join(folder, file))
        if path not in bases and os.path.isfile(path):
            bases[path] = _parse(path, read, cwd)
            _read_bases(bases[path], os.path.dirname(path), bases, read, cwd)
