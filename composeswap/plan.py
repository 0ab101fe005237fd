"""Deciding what to switch: a pure function of the parsed file and the request.

A switch is a short list of steps on one service's own keys. composeswap never deletes a key it
did not write: a key it cannot write again byte for byte is *saved* under a disabled name
(``x-composeswap-image``, ``x-composeswap-build``) that Compose ignores, and the next switch back
renames it into place. A service with both ``image`` and ``build`` has one of them *paused*
(``x-composeswap-paused-image``/``-build``) with nothing written in its place.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import NamedTuple

from composeswap import config, render
from composeswap.config import Overrides, Settings
from composeswap.errors import ComposeswapError, Problem, fail
from composeswap.model import Document, Service
from composeswap.steps import Delete, Form, Insert, Mode, Rename, Replace, Step, Value

SAVED = "x-composeswap-"
PAUSED = "x-composeswap-paused-"


class Switch(NamedTuple):
    service: str
    mode: Mode
    steps: tuple[Step, ...]
    summary: str
    new_context: str | None = None  # a build context composeswap writes: its folder must exist
    restores: bool = False  # puts back a key an earlier switch paused or saved


class Plan(NamedTuple):
    mode: Mode
    switches: tuple[Switch, ...]
    unchanged: tuple[str, ...]  # services considered that are already in the asked form


def form_of(service: Service) -> Form:
    has_image, has_build = "image" in service.data, "build" in service.data
    if has_image and has_build:
        return Form.HYBRID
    if has_image:
        return Form.REMOTE
    return Form.LOCAL if has_build else Form.NEITHER


def plan(document: Document, mode: Mode, names: Sequence[str], overrides: Overrides) -> Plan:
    _check_names(document, names, overrides)
    chosen = list(dict.fromkeys(names)) if names else [
        name for name, service in document.services.items()
        if is_managed(document, service, overrides)
    ]
    switches, unchanged = [], []
    for name in chosen:
        switch = switch_service(document, document.services[name], mode, overrides, bool(names))
        if switch is None:
            unchanged.append(name)
        else:
            switches.append(switch)
    return Plan(mode, tuple(switches), tuple(unchanged))


def is_managed(document: Document, service: Service, overrides: Overrides) -> bool:
    if any(key == config.CONFIG_KEY or key.startswith(SAVED) for key in service.data):
        return True
    target = config.settings(service.name, document.data, overrides).target
    image, build = service.data.get("image"), service.data.get("build")
    if isinstance(image, str) and config.is_dev_image(image, target):
        return True
    return isinstance(build, Mapping) and build.get("target") == target


def switch_service(document: Document, service: Service, mode: Mode, overrides: Overrides,
                   named: bool) -> Switch | None:
    """The steps that put one service in the asked form, or None if it is there already."""
    form = form_of(service)
    if form is Form.NEITHER:
        raise _service_error(document, service, "has neither 'image' nor 'build'; composeswap "
                             "switches services between the two")
    if form.value == mode.value or (form is Form.HYBRID and mode is Mode.REMOTE and not named):
        return None
    _refuse_merged(document, service, mode.opposite.key)
    if service.shared:
        raise _service_error(document, service, f"{service.shared}; switching it would change "
                             "both: write the service out in full, then run again")
    if form is Form.HYBRID:
        return _pause(document, service, mode)
    return _switch_form(document, service, mode, overrides)


def _pause(document: Document, service: Service, mode: Mode) -> Switch:
    other = mode.opposite.key
    _refuse_existing(document, service, PAUSED + other)
    reason = ("Compose would pull its image first" if mode is Mode.LOCAL
              else "Compose would fall back to building it")
    return Switch(service.name, mode, (Rename(other, PAUSED + other),),
                  f"paused its own '{other}' ({reason}); the next switch back restores it")


def _switch_form(document: Document, service: Service, mode: Mode,
                 overrides: Overrides) -> Switch:
    new, old = mode.key, mode.opposite.key
    entries = service.entries
    if PAUSED + new in entries:
        return Switch(service.name, mode, (Rename(PAUSED + new, new),),
                      f"restored its paused '{new}'", restores=True)
    if SAVED + new in entries:
        return Switch(service.name, mode, (Delete(old), Rename(SAVED + new, new)),
                      f"restored its own '{new}'", restores=True)
    wanted = config.settings(service.name, document.data, overrides)
    from_file = config.settings(service.name, document.data, Overrides())
    value = _value(mode, wanted)
    context = wanted.context if mode is Mode.LOCAL else None
    summary = _describe(mode, wanted)
    rewritable = render.rewrites_exactly(document, service, old, _value(mode.opposite, from_file))
    if rewritable and value == _value(mode, from_file):
        return Switch(service.name, mode, (Replace(old, new, value),), summary, context)
    _refuse_existing(document, service, SAVED + old)
    steps = (Rename(old, SAVED + old), Insert(old, new, value))
    return Switch(service.name, mode, steps, f"{summary}; saved its own '{old}'", context)


def _value(mode: Mode, settings: Settings) -> Value:
    if mode is Mode.REMOTE:
        return settings.image
    return {"context": settings.context, "target": settings.target}


def _describe(mode: Mode, settings: Settings) -> str:
    if mode is Mode.REMOTE:
        return f"image {settings.image}"
    return f"build {settings.context} (target {settings.target})"


def _refuse_merged(document: Document, service: Service, key: str) -> None:
    if key not in service.merged:
        return
    if key in service.entries:
        reason = (f"writes its own '{key}' but also gets one through a '<<' merge; removing its "
                  "own would expose the merged one")
    else:
        reason = (f"gets '{key}' through a '<<' merge; composeswap edits only the keys a "
                  f"service writes itself")
    raise _service_error(document, service, f"{reason}: move '{key}' out of the merged mapping "
                         "into each service that needs it")


def _refuse_existing(document: Document, service: Service, key: str) -> None:
    if key in service.data:
        raise _service_error(
            document, service,
            f"already has '{key}', where composeswap would keep the key it replaces; "
            "remove or rename it, then run again")


def _service_error(document: Document, service: Service, message: str) -> ComposeswapError:
    return fail(document.file, message, line=service.line, column=service.column + 1,
                where=f"services.{service.name}")


def _check_names(document: Document, names: Sequence[str], overrides: Overrides) -> None:
    problems = [_unknown(document, name, "") for name in names if name not in document.services]
    for option, given in (("--image", overrides.images), ("--context", overrides.contexts)):
        problems += [_unknown(document, name, f"{option} {name}=...: ")
                     for name in given if name not in document.services]
    if problems:
        raise ComposeswapError(*problems)


def _unknown(document: Document, name: str, prefix: str) -> Problem:
    import difflib  # only for a typo

    known = list(document.services)
    close = difflib.get_close_matches(name, known, n=1)
    hint = f"did you mean '{close[0]}'? " if close else ""
    return Problem(document.file, f"{prefix}no service '{name}'; {hint}"
                   f"services in this file: {', '.join(known) or 'none'}")

