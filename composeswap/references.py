"""Names a service uses that the file must define (other services, networks, volumes, secrets,
configs), and files the project reads that must exist (include, env_file, label_file,
extends.file). Docker Compose refuses a project with any of them missing; no schema can say so.

Each finding is ``(path, message, at_key)``: where to point (at the key itself when the name is
a mapping key) and what is wrong. Names written with ``$`` are left alone: Compose replaces
variables first, and composeswap does not.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from typing import Any

from composeswap.model import JsonPath

Finding = tuple[JsonPath, str, bool]
Named = Iterator[tuple[JsonPath, str]]  # where a name is written, and the name

_OTHER_SERVICE = "which is not a service in this file"
# A short volume that starts with a path, not a volume's name: ./x, /x, ~/x, C:\x, and
# \\.\pipe\x or \\host\share (Compose reads any source opening with two backslashes as a path).
_PATH = re.compile(r"[./~]|\\\\|[A-Za-z]:[\\/]")


def undefined(data: Mapping[str, Any]) -> Iterator[Finding]:
    """Every name a service uses that the file does not define, service by service."""
    services = data.get("services")
    if not isinstance(services, Mapping):
        return
    resources = {
        kind: _defined(data.get(kind)) for kind in ("networks", "volumes", "secrets", "configs")
    }
    resources["networks"].add("default")  # Compose defines it for every project
    for name, service in services.items():
        if isinstance(service, Mapping):
            yield from _unknown_services(("services", name), service, services)
            yield from _unknown_resources(("services", name), service, resources)


def missing_files(data: Mapping[str, Any], folder: str) -> Iterator[Finding]:
    """Files Compose reads as it loads the project, relative to the compose file's ``folder``;
    an env_file marked ``required: false`` may be missing."""
    place = os.path.abspath(folder)
    for where, what, file in _read_files(data):
        if "$" not in file and not os.path.isfile(os.path.join(folder, os.path.expanduser(file))):
            yield where, f"{what} '{file}' does not exist in {place}", False


def _read_files(data: Mapping[str, Any]) -> Iterator[tuple[JsonPath, str, str]]:
    """Where each file is named, as what, and its path: included files and, per service, its
    env_file, label_file and the file it extends."""
    includes = data.get("include")
    for index, item in enumerate(includes if isinstance(includes, list) else []):
        if isinstance(item, Mapping):
            named = _strings(("include", index, "path"), item.get("path"))
        else:
            named = _strings(("include", index), item)
        yield from ((where, "included file", file) for where, file in named)
    services = data.get("services")
    for name, service in services.items() if isinstance(services, Mapping) else ():
        if isinstance(service, Mapping):
            for where, file in _service_files(("services", name), service):
                yield where, "extends file" if where[2] == "extends" else str(where[2]), file


def _service_files(path: JsonPath, service: Mapping[str, Any]) -> Named:
    env_files = service.get("env_file")
    for index, item in enumerate(env_files if isinstance(env_files, list) else []):
        if (
            isinstance(item, Mapping)
            and isinstance(item.get("path"), str)
            and str(item.get("required", True)).lower() != "false"
        ):
            yield (*path, "env_file", index, "path"), item["path"]
    yield from _strings((*path, "env_file"), env_files)
    yield from _strings((*path, "label_file"), service.get("label_file"))
    extends = service.get("extends")
    if isinstance(extends, Mapping) and isinstance(extends.get("file"), str):
        yield (*path, "extends", "file"), extends["file"]


def _strings(where: JsonPath, value: object) -> Named:
    """A string, or the strings of a list, each with where it is written."""
    if isinstance(value, str):
        yield where, value
    else:
        yield from _items(where, value)


def _items(where: JsonPath, value: object) -> Named:
    """The strings of a list, each with where it is written."""
    if isinstance(value, list):
        yield from (
            ((*where, index), item) for index, item in enumerate(value) if isinstance(item, str)
        )


def _defined(section: object) -> set[str]:
    return {str(key) for key in section} if isinstance(section, Mapping) else set()


def _unknown_services(
    path: JsonPath, service: Mapping[str, Any], services: Mapping[str, Any]
) -> Iterator[Finding]:
    uses = (
        ("depends_on", "depends on", _keys_or_items(path, service, "depends_on")),
        ("links", "links to", _prefixes(path, service, "links")),
        ("volumes_from", "takes volumes from", _volumes_from(path, service)),
        ("network_mode", "shares the network of", _network_mode(path, service)),
        ("extends", "extends", _extended(path, service)),
    )
    for key, verb, named in uses:
        for where, other in named:
            if other not in services and "$" not in other:
                # Even ``required: false`` does not excuse an undefined service in depends_on.
                yield where, f"{verb} '{other}', {_OTHER_SERVICE}", _at_key(where, key)


def _unknown_resources(
    path: JsonPath, service: Mapping[str, Any], resources: Mapping[str, set[str]]
) -> Iterator[Finding]:
    uses = (
        ("networks", _keys_or_items(path, service, "networks")),
        ("volumes", _named_volumes(path, service)),
        ("secrets", _sources(path, service, "secrets")),
        ("configs", _sources(path, service, "configs")),
    )
    for kind, named in uses:
        for where, used in named:
            if used not in resources[kind] and "$" not in used:
                singular = kind.removesuffix("s")
                yield (
                    where,
                    f"uses {singular} '{used}', which the top-level '{kind}' does not define",
                    _at_key(where, kind),
                )


def _at_key(where: JsonPath, key: str) -> bool:
    """A name written as a mapping key (``networks: {front: ...}``) is pointed at as a key."""
    return len(where) == 4 and where[2] == key and isinstance(where[3], str)


def _keys_or_items(path: JsonPath, service: Mapping[str, Any], key: str) -> Named:
    value = service.get(key)
    if isinstance(value, Mapping):
        yield from (((*path, key, str(name)), str(name)) for name in value)
    else:
        yield from _items((*path, key), value)


def _prefixes(path: JsonPath, service: Mapping[str, Any], key: str) -> Named:
    """``links: [db:database]``: the service is the part before the colon."""
    for where, item in _keys_or_items(path, service, key):
        yield where, item.split(":", 1)[0]


def _volumes_from(path: JsonPath, service: Mapping[str, Any]) -> Named:
    """``db``, ``db:ro``, ``service:db``; ``container:x`` names a container, not a service."""
    for where, item in _keys_or_items(path, service, "volumes_from"):
        kind, _, rest = item.partition(":")
        if kind == "service":
            yield where, rest.split(":", 1)[0]
        elif kind != "container":
            yield where, kind


def _network_mode(path: JsonPath, service: Mapping[str, Any]) -> Named:
    mode = service.get("network_mode")
    if isinstance(mode, str) and mode.startswith("service:"):
        yield (*path, "network_mode"), mode.removeprefix("service:")


def _extended(path: JsonPath, service: Mapping[str, Any]) -> Named:
    """The service ``extends`` names in this file; one from another file is not checked."""
    extends = service.get("extends")
    if isinstance(extends, str):
        yield (*path, "extends"), extends
    elif (
        isinstance(extends, Mapping)
        and "file" not in extends
        and isinstance(extends.get("service"), str)
    ):
        yield (*path, "extends", "service"), extends["service"]


def _named_volumes(path: JsonPath, service: Mapping[str, Any]) -> Named:
    """Volumes used by name: ``data:/var/lib`` or ``{type: volume, source: data}``, not paths
    (bind mounts) and not a lone target (an anonymous volume)."""
    volumes = service.get("volumes")
    for index, volume in enumerate(volumes if isinstance(volumes, list) else []):
        where: JsonPath = (*path, "volumes", index)
        if isinstance(volume, str):
            source, sep, _ = volume.partition(":")
            if sep and source and not _PATH.match(volume):
                yield where, source
        elif (
            isinstance(volume, Mapping)
            and volume.get("type") == "volume"
            and isinstance(volume.get("source"), str)
            and volume["source"]
        ):
            yield (*where, "source"), volume["source"]


def _sources(path: JsonPath, service: Mapping[str, Any], key: str) -> Named:
    """``secrets: [token]`` or ``secrets: [{source: token, target: ...}]``."""
    items = service.get(key)
    yield from _items((*path, key), items)
    for index, item in enumerate(items if isinstance(items, list) else []):
        if isinstance(item, Mapping) and isinstance(item.get("source"), str):
            yield (*path, key, index, "source"), item["source"]
