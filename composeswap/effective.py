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
from collections.abc import Mapping
from typing import Any, NamedTuple

from composeswap.model import Document, JsonPath, Service
from composeswap.steps import Form

FORM_KEYS = ("image", "build", "pull_policy", "provider")


class Origin(enum.Enum):
    """Where a service's effective key comes from."""

    OWN = "its own key"
    MERGED = "a '<<' merge"
    EXTENDS = "extends"


class Effective(NamedTuple):
    """One service as Compose reads it from this file."""

    name: str
    data: Mapping[str, Any]
    origins: Mapping[str, Origin]  # for each of FORM_KEYS it has
    inherited: frozenset[str]  # FORM_KEYS its base provides, before its own keys and resets
    bases: tuple[str, ...]  # the services it extends in this file, nearest first
    unresolved: str | None  # why this file alone cannot say what Compose reads, if it cannot

    @property
    def form(self) -> Form:
        return form_of(self.data)


class Model(NamedTuple):
    """Every service of the file as Compose reads it."""

    services: Mapping[str, Effective]
    extended_by: Mapping[str, tuple[str, ...]]  # the services that extend each, at any depth


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


def read(document: Document) -> Model:
    services: dict[str, Effective] = {}
    for name in document.services:
        _resolve(document, name, services, ())
    extended_by: dict[str, list[str]] = {}
    for service in services.values():
        for base in service.bases:
            extended_by.setdefault(base, []).append(service.name)
    return Model(services, {base: tuple(names) for base, names in extended_by.items()})


def _resolve(document: Document, name: str, model: dict[str, Effective],
             chain: tuple[str, ...]) -> Effective:
    known = model.get(name)
    if known is not None:
        return known
    service = document.services[name]
    base, elsewhere = _base(service.data)
    if base is None:
        found = Effective(name, service.data, _origins(service, service.data), frozenset(), (),
                          elsewhere)
    elif base in chain or base == name:
        loop = chain[chain.index(base):] if base in chain else ()
        cycle = " -> ".join((*loop, name, base))
        found = _alone(service, f"its extends form a cycle ({cycle})")
    elif base not in document.services:
        found = _alone(service, f"it extends '{base}', which is not a service in this file")
    else:
        found = _extended(service, _resolve(document, base, model, (*chain, name)))
    model[name] = found
    return found


def _extended(service: Service, base: Effective) -> Effective:
    own = {key: value for key, value in service.data.items() if key != "extends"}
    data = _merge(base.data, own, service.merge_tags, ())
    inherited = frozenset(key for key in FORM_KEYS if key in base.data)
    return Effective(service.name, data, _origins(service, data), inherited,
                     (base.name, *base.bases), base.unresolved)


def _alone(service: Service, why: str) -> Effective:
    return Effective(service.name, service.data, _origins(service, service.data), frozenset(),
                     (), why)


def _base(data: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """The service ``extends`` names in this file; or why the base is not in this file."""
    extends = data.get("extends")
    if isinstance(extends, str):
        return extends, None
    if isinstance(extends, Mapping) and isinstance(extends.get("service"), str):
        if "file" in extends:
            return None, (f"it extends '{extends['service']}' of {extends['file']}, "
                          "another file")
        return str(extends["service"]), None
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


def _merge(base: Mapping[str, Any], own: Mapping[str, Any], tags: Mapping[JsonPath, str],
           path: JsonPath) -> dict[str, Any]:
    merged = {key: value for key, value in base.items()
              if tags.get((*path, key)) != "!reset"}
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
