"""Where a service's other form comes from: options, its own and the file's ``x-composeswap``.

First match wins: command-line options, the service's ``x-composeswap`` mapping, the top-level
``x-composeswap`` templates, the built-in defaults. Templates may use ``{service}`` and
``{target}``; ``${VAR}`` is Compose interpolation and is left alone.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, NamedTuple

CONFIG_KEY = "x-composeswap"
DEFAULTS: Mapping[str, str] = {
    "image": "${DOCKER_REGISTRY}/{service}:${IMAGE_TAG}-{target}",
    "context": "./{service}",
    "target": "dev",
}
_PLACEHOLDER = re.compile(r"(?<!\$)\{([^{}]*)\}")
_INTERPOLATION = re.compile(r"\$\{[^}]*\}|\$[A-Za-z_][A-Za-z0-9_]*|\$\$")


class Overrides(NamedTuple):
    """Values given on the command line for this run only."""

    images: Mapping[str, str] = MappingProxyType({})
    contexts: Mapping[str, str] = MappingProxyType({})
    target: str | None = None


class Settings(NamedTuple):
    """The rendered remote and local form of one service."""

    image: str
    context: str
    target: str
    dockerfile: str | None = None  # written into the build only when configured


def settings(service: str, own: Mapping[str, Any], top: object, overrides: Overrides) -> Settings:
    """The other forms of ``service``, whose mapping is ``own``, under the project's top-level
    settings ``top``."""
    chain = [_mapping(own.get(CONFIG_KEY)), _mapping(top), DEFAULTS]
    target = overrides.target or _first("target", chain)
    image = overrides.images.get(service) or _first("image", chain)
    context = overrides.contexts.get(service) or _first("context", chain)
    dockerfile = next(
        (
            layer["dockerfile"]
            for layer in chain[:2]
            if isinstance(layer.get("dockerfile"), str) and layer["dockerfile"]
        ),
        None,
    )
    return Settings(
        image=render(image, service, target),
        context=render(context, service, target),
        target=render(target, service, target),
        dockerfile=render(dockerfile, service, target) if dockerfile else None,
    )


def unknown_placeholders(template: str) -> list[str]:
    """Placeholders other than ``{service}`` and ``{target}``: typos the user should hear of."""
    return [name for name in _PLACEHOLDER.findall(template) if name not in ("service", "target")]


def render(template: str, service: str, target: str) -> str:
    values = {"service": service, "target": target}
    pieces = list(_pieces(template))
    for index in range(1, len(pieces), 2):  # the placeholders' names
        pieces[index] = values.get(pieces[index], f"{{{pieces[index]}}}")
    return "".join(pieces)


@functools.lru_cache(maxsize=256)
def _pieces(template: str) -> tuple[str, ...]:
    """The template's text and its placeholders' names, in turn: text, name, ..., text.

    Split once per template: every service of a large file renders the same few."""
    return tuple(_PLACEHOLDER.split(template))


def matches_template(reference: str, template: str, target: str) -> bool:
    """Whether an image is the one a rendered template names: the same name before the tag, and
    a tag that ends in ``-{target}`` (the very same tag when the template's does not end so).
    ``$VAR`` and ``${VAR}`` are the same spelling; nothing is interpolated."""
    name, tag = _split(_braced(reference))
    wanted_name, wanted_tag = _split(_braced(template))
    if name != wanted_name:
        return False
    if wanted_tag is None or not wanted_tag.endswith(f"-{target}"):
        return tag == wanted_tag
    return tag is not None and tag.endswith(f"-{target}")


def _split(reference: str) -> tuple[str, str | None]:
    """An image reference's name and tag, reading ``${VAR:-a:b}`` as one opaque word; a digest
    (``@sha256:...``) is left out."""
    masked = _INTERPOLATION.sub(lambda m: "x" * len(m.group(0)), reference)
    at = masked.find("@")
    if at >= 0:
        masked, reference = masked[:at], reference[:at]
    colon = masked.rfind(":")
    if colon < 0 or "/" in masked[colon:]:
        return reference, None
    return reference[:colon], reference[colon + 1 :]


_BARE_VARIABLE = re.compile(r"\$\$|\$([A-Za-z_][A-Za-z0-9_]*)")


def _braced(reference: str) -> str:
    """``$VAR`` written as ``${VAR}``; ``$$`` (a literal dollar) left alone."""
    return _BARE_VARIABLE.sub(
        lambda m: "${" + m.group(1) + "}" if m.group(1) else m.group(0), reference
    )


def _first(key: str, chain: list[Mapping[str, Any]]) -> str:
    for layer in chain:
        value = layer.get(key)
        if isinstance(value, str) and value:
            return value
    return DEFAULTS[key]


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}
