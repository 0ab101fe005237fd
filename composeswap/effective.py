"""What Docker Compose reads for each service of one file, and where its form comes from.

The YAML reader has already resolved aliases and ``<<`` merges and taken out ``!reset`` keys
(``composeswap.yamlsource``). Here ``extends`` within the file is applied as Compose applies it:
the service's own keys win over its base's; mappings merge key by key; a key the service resets
stays absent; one tagged ``!override`` replaces the base's value whole; a short ``build: ./dir``
merges as ``{context: ./dir}``. Sequences are the base's items, then the service's: Compose merges
some (ports, mounts) by their target instead, but the model is only ever compared with itself, on
the text before and after a switch, and a switch changes only ``image``, ``build``,
``pull_policy`` and composeswap's own ``x-`` keys, which merge here exactly as in Compose.

Every command reads services through this model: planning, validation and the proof.
"""

from __future__ import annotations

import enum
import os
from collections.abc import Mapping
from typing import Any, NamedTuple

from composeswap.config import CONFIG_KEY
from composeswap.model import Document, JsonPath, Layer, Service, Sources
from composeswap.steps import Form

FORM_KEYS = ("image", "build", "pull_policy", "provider")


class Origin(enum.Enum):
    """Where a service's effective key comes from, seen from the file that decides its form."""

    OWN = "its own key"
    MERGED = "a '<<' merge"
    EXTENDS = "extends"
    OTHER_FILE = "another file of the project"


class Effective(NamedTuple):
    """One service as Compose reads it from the project."""

    name: str
    data: Mapping[str, Any]
    origins: Mapping[str, Origin]  # for each of FORM_KEYS it has
    inherited: frozenset[str]  # FORM_KEYS its base or an earlier file gives the deciding file
    bases: tuple[str, ...]  # the services it extends, nearest first
    unresolved: str | None  # why the files cannot say what Compose reads, if they cannot
    layer: int = 0  # the file that decides its form, where a switch edits it

    @property
    def form(self) -> Form:
        return form_of(self.data)


class Model(NamedTuple):
    """Every service of the project as Compose reads it."""

    services: Mapping[str, Effective]
    extended_by: Mapping[str, tuple[str, ...]]  # the services that extend each, at any depth
    config: Mapping[str, Any]  # the top-level x-composeswap settings, later files winning


def form_of(data: Mapping[str, Any]) -> Form:
    """A service's form as Compose runs it: with both image and build it pulls first and
    builds only when the pull fails, unless ``pull_policy: build`` makes it always build."""
    has_image, has_build = "image" in data, "build" in data
    if has_image and has_build:
        return Form.LOCAL if data.get("pull_policy") == "build" else Form.HYBRID
    if has_image:
        return Form.REMOTE
    if has_build:
        return Form.LOCAL
    return Form.PROVIDER if "provider" in data else Form.NEITHER


def read_file(document: Document, folder: str = "") -> Model:
    """The model of a project of one file."""
    return read(Sources((Layer(document, folder, 0),), {}))


def read(sources: Sources) -> Model:
    """Each file's services after its own ``extends``, merged in order: a later file's keys
    win, and its ``!reset`` and ``!override`` drop what earlier files said (as Compose merges
    ``-f`` files). A service's form is decided by the last file that writes its image or build
    (or a key composeswap set aside, or ``extends``)."""
    merged: dict[str, Mapping[str, Any]] = {}
    decided: dict[str, tuple[int, Effective, frozenset[str]]] = {}
    groups: dict[int, dict[str, Effective]] = {}
    for index, layer in enumerate(sources.layers):
        group = groups.setdefault(layer.group, {})
        for name, local in _resolve_layer(layer, group, sources).items():
            service = layer.document.services[name]
            below = merged.get(name)
            merged[name] = (
                local.data if below is None else _merge(below, local.data, service.merge_tags, ())
            )
            if name not in decided or _decides(service, local):
                earlier = frozenset(key for key in FORM_KEYS if below and key in below)
                decided[name] = (index, local, earlier)
    services = {name: _seen_from(decided[name], data) for name, data in merged.items()}
    return Model(services, _extended_by(services), _settings(sources))


def _settings(sources: Sources) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for layer in sources.layers:
        top = layer.document.data.get(CONFIG_KEY)
        if isinstance(top, Mapping):
            found.update(top)
    return found


def _seen_from(
    decider: tuple[int, Effective, frozenset[str]], data: Mapping[str, Any]
) -> Effective:
    """The service's reading, with origins and what is inherited as the deciding file sees."""
    index, local, earlier = decider
    origins = {key: local.origins.get(key, Origin.OTHER_FILE) for key in FORM_KEYS if key in data}
    return local._replace(
        data=data, origins=origins, inherited=local.inherited | earlier, layer=index
    )


def _decides(service: Service, local: Effective) -> bool:
    return bool(local.bases) or any(
        key in ("image", "build") or key.startswith(SET_ASIDE) for key in service.entries
    )


SET_ASIDE = "x-composeswap-"  # the prefix of every key composeswap sets aside


def _extended_by(services: Mapping[str, Effective]) -> dict[str, tuple[str, ...]]:
    extended_by: dict[str, list[str]] = {}
    for service in services.values():
        for base in service.bases:
            extended_by.setdefault(base, []).append(service.name)
    return {base: tuple(names) for base, names in extended_by.items()}


class _Resolver(NamedTuple):
    """Resolves ``extends`` in one file: bases from the file itself, then from the files it
    includes (``group``), or from the file ``extends.file`` names."""

    document: Document
    folder: str
    group: dict[str, Effective]
    sources: Sources
    done: dict[str, Effective]


def _resolve_layer(
    layer: Layer, group: dict[str, Effective], sources: Sources
) -> dict[str, Effective]:
    resolver = _Resolver(layer.document, layer.folder, group, sources, {})
    for name in layer.document.services:
        _resolve(resolver, name, ())
    group.update(resolver.done)
    return resolver.done


def _resolve(resolver: _Resolver, name: str, chain: tuple[str, ...]) -> Effective:
    known = resolver.done.get(name)
    if known is not None:
        return known
    service = resolver.document.services[name]
    base, file = _base(service.data)
    if base is None:
        found = _alone(service, None)
    elif file is not None:
        found = _from_file(resolver, service, base, file)
    elif base in chain or base == name:
        loop = chain[chain.index(base) :] if base in chain else ()
        found = _alone(service, f"its extends form a cycle ({' -> '.join((*loop, name, base))})")
    elif base in resolver.document.services:
        found = _extended(service, _resolve(resolver, base, (*chain, name)))
    elif base in resolver.group:
        found = _extended(service, resolver.group[base])
    else:
        found = _alone(service, f"it extends '{base}', which is not a service of its file")
    resolver.done[name] = found
    return found


def _from_file(resolver: _Resolver, service: Service, base: str, file: str) -> Effective:
    path = os.path.normpath(os.path.join(resolver.folder, file))
    document = resolver.sources.bases.get(path)
    if document is None:
        return _alone(service, f"it extends '{base}' of {file}, another file, not read")
    if base not in document.services:
        return _alone(service, f"it extends '{base}' of {file}, which has no such service")
    other = _Resolver(document, os.path.dirname(path), {}, resolver.sources, {})
    found = _extended(service, _resolve(other, base, ()))
    return found._replace(bases=(f"{base} of {file}",))


def _extended(service: Service, base: Effective) -> Effective:
    own = {key: value for key, value in service.data.items() if key != "extends"}
    data = _merge(base.data, own, service.merge_tags, ())
    inherited = frozenset(key for key in FORM_KEYS if key in base.data)
    return Effective(
        service.name,
        data,
        _origins(service, data),
        inherited,
        (base.name, *base.bases),
        base.unresolved,
    )


def _alone(service: Service, why: str | None) -> Effective:
    return Effective(
        service.name, service.data, _origins(service, service.data), frozenset(), (), why
    )


def _base(data: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """The service ``extends`` names, and the file it is in when that is another file."""
    extends = data.get("extends")
    if isinstance(extends, str):
        return extends, None
    if isinstance(extends, Mapping) and isinstance(extends.get("service"), str):
        file = extends.get("file")
        return str(extends["service"]), file if isinstance(file, str) else None
    return None, None


def _origins(service: Service, data: Mapping[str, Any]) -> dict[str, Origin]:
    origins = {}
    for key in FORM_KEYS:
        if key in data:
            entry = service.entries.get(key)
            if entry is not None and not entry.reset:
                origins[key] = Origin.OWN
            else:
                origins[key] = Origin.MERGED if key in service.merged else Origin.EXTENDS
    return origins


def _merge(
    base: Mapping[str, Any], own: Mapping[str, Any], tags: Mapping[JsonPath, str], path: JsonPath
) -> dict[str, Any]:
    merged = {key: value for key, value in base.items() if tags.get((*path, key)) != "!reset"}
    for key, value in own.items():
        here = (*path, key)
        if key in merged and tags.get(here) != "!override":
            merged[key] = _merge_value(merged[key], value, tags, here)
        else:
            merged[key] = value
    return merged


def _merge_value(base: Any, own: Any, tags: Mapping[JsonPath, str], path: JsonPath) -> Any:
    if path == ("build",):  # ``build: ./dir`` is ``build: {context: ./dir}``
        base, own = (_as_build(value) for value in (base, own))
    if isinstance(base, Mapping) and isinstance(own, Mapping):
        return _merge(base, own, tags, path)
    if isinstance(base, list) and isinstance(own, list):
        return [*base, *own]
    return own


def _as_build(value: Any) -> Any:
    return {"context": value} if isinstance(value, str) else value
