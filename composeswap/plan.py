"""Deciding what to switch: a pure function of the file, its effective model and the request.

A switch is a short list of steps on one service's own keys, planned only when its effect on
what Compose reads is exactly "this service changes form"; anything else is refused here, at the
service, before any text is edited. composeswap never deletes a key it did not write: a key it
cannot write again byte for byte is *saved* under a disabled name (``x-composeswap-image``,
``x-composeswap-build``) that Compose ignores, and the next switch back renames it into place. A
service with both ``image`` and ``build`` has its image *paused* (``x-composeswap-paused-image``)
with nothing written in its place. A key the service inherits through ``extends`` is *masked*
with ``key: !reset null`` in its own mapping; its base is never edited for it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import NamedTuple

from composeswap import config, render
from composeswap.config import Overrides, Settings
from composeswap.effective import Effective, Model, Origin
from composeswap.errors import ComposeswapError, Problem, fail
from composeswap.model import Document, Service, Sources
from composeswap.steps import Delete, Form, Insert, Mode, Rename, Replace, Reset, Step, Value

SAVED = "x-composeswap-"
PAUSED = "x-composeswap-paused-"
POLICY = "pull_policy"
_NO_OVERRIDES = Overrides()


class Switch(NamedTuple):
    service: str
    mode: Mode
    steps: tuple[Step, ...]
    summary: str
    new_context: str | None = None  # a build context composeswap writes: its folder must exist
    restores: bool = False  # puts back what an earlier switch paused, saved or masked
    written: Value | None = None  # the image or build it writes, which Compose must then read
    layer: int = 0  # the file it edits: the project's file that decides the service's form


class Plan(NamedTuple):
    mode: Mode
    switches: tuple[Switch, ...]
    unchanged: tuple[str, ...]  # services considered that are already in the asked form


def plan(
    sources: Sources, model: Model, mode: Mode, names: Sequence[str], overrides: Overrides
) -> Plan:
    """What to switch: the services named or matched by a pattern (``'worker-*'``), or with
    none, every managed service."""
    file = sources.layers[0].document.file
    _check_options(file, model, overrides)
    chosen = (
        choose(file, model, names)
        if names
        else [name for name, read in model.services.items() if is_managed(model, read, overrides)]
    )
    switches, unchanged = [], []
    for name in chosen:
        switch = switch_service(sources, model, name, mode, overrides)
        if switch is None:
            unchanged.append(name)
        else:
            switches.append(switch)
    return Plan(mode, tuple(switches), tuple(unchanged))


def is_managed(model: Model, service: Effective, overrides: Overrides) -> bool:
    """Whether a bare ``local``/``remote`` switches the service: it has composeswap's settings
    or a key composeswap set aside, its image is the configured template's, or its build
    targets the configured target. Third-party images are never touched unless named."""
    if any(key.startswith(config.CONFIG_KEY) for key in service.data):
        return True
    wanted = _settings(model, service, overrides)
    image, build = service.data.get("image"), service.data.get("build")
    if isinstance(image, str) and config.matches_template(image, wanted.image, wanted.target):
        return True
    return isinstance(build, Mapping) and build.get("target") == wanted.target


def switch_service(
    sources: Sources, model: Model, name: str, mode: Mode, overrides: Overrides
) -> Switch | None:
    """The steps that put one service in the asked form, or None if it is there already.

    They edit the file that decides the service's form (``Effective.layer``)."""
    read = model.services[name]
    document = sources.layers[read.layer].document
    service = document.services[name]
    switch = _switch(document, service, model, read, mode, overrides)
    return switch._replace(layer=read.layer) if switch else None


def _switch(
    document: Document,
    service: Service,
    model: Model,
    read: Effective,
    mode: Mode,
    overrides: Overrides,
) -> Switch | None:
    form = read.form
    if read.unresolved:
        raise _service_error(
            document,
            service,
            f"cannot tell what Compose reads for it: "
            f"{read.unresolved}; composeswap switches what one file defines",
        )
    if form is Form.NEITHER:
        raise _service_error(
            document,
            service,
            "has neither 'image' nor 'build'; composeswap switches services between the two",
        )
    if form is Form.PROVIDER:
        raise _service_error(
            document,
            service,
            "is run by a provider ('provider:'), without "
            "an image or a build: there is nothing to switch",
        )
    if form.value == mode.value or (form is Form.HYBRID and mode is Mode.REMOTE):
        return None
    _refuse_extended(document, model, service)
    if read.bases and "extends" not in service.entries:
        raise _service_error(
            document,
            service,
            "gets 'extends' through a '<<' merge; write "
            "'extends' in the service itself, then run again",
        )
    if service.shared:
        raise _service_error(
            document,
            service,
            f"{service.shared}; switching it would change "
            "both: write the service out in full, then run again",
        )
    if form is Form.HYBRID:
        return _pause(document, service, read)
    if form is Form.LOCAL and "image" in read.data:  # local through ``pull_policy: build``
        return _pause_policy(document, service, read)
    return _switch_form(document, service, model, read, mode, overrides)


def _pause(document: Document, service: Service, read: Effective) -> Switch:
    """Local for a service with both: set its image aside, so that Compose builds it."""
    mode = Mode.LOCAL
    _refuse_merged(document, service, read, "image")
    if read.origins["image"] is not Origin.OWN:  # inherited: mask it after the build
        after = _after(document, service, "build" if read.origins["build"] is Origin.OWN else "")
        return Switch(
            service.name,
            mode,
            (Insert(after, (("image", Reset.NULL),)),),
            f"masked the image it inherits from {_giver(read)} with !reset null "
            "(Compose would pull it first); the next switch back removes the mask",
        )
    _refuse_existing(document, service, PAUSED + "image")
    steps: list[Step] = [Rename("image", PAUSED + "image")]
    if "image" in read.inherited:  # the inherited one would show through: mask it too
        steps.append(Insert("image", (("image", Reset.NULL),)))
    return Switch(
        service.name,
        mode,
        tuple(steps),
        "paused its own 'image' (Compose would pull it first); the next switch back restores it",
    )


def _pause_policy(document: Document, service: Service, read: Effective) -> Switch:
    """Remote for a service that ``pull_policy: build`` makes build: set both aside."""
    for key in ("build", POLICY):
        _refuse_merged(document, service, read, key)
        if read.origins[key] is not Origin.OWN:
            raise _service_error(
                document,
                service,
                f"builds through 'pull_policy: build' with a "
                f"'{key}' from {read.origins[key].value}; composeswap sets "
                "aside only keys a service writes itself",
            )
        _refuse_existing(document, service, PAUSED + key)
    return Switch(
        service.name,
        Mode.REMOTE,
        (Rename("build", PAUSED + "build"), Rename(POLICY, PAUSED + POLICY)),
        "paused its own 'build' and 'pull_policy: build'; the next switch back restores them",
    )


def _switch_form(
    document: Document,
    service: Service,
    model: Model,
    read: Effective,
    mode: Mode,
    overrides: Overrides,
) -> Switch:
    new, old = mode.key, mode.opposite.key
    restored = _restore(document, service, model, read, mode)
    if restored is not None:
        return restored
    _refuse_merged(document, service, read, old)
    wanted = _settings(model, read, overrides)
    value = _value(mode, wanted)
    summary = _describe(mode, wanted)
    context = wanted.context if mode is Mode.LOCAL else None
    if _masked(service, new):
        raise _service_error(
            document,
            service,
            f"its own '{new}' is tagged !reset (Compose "
            f"reads no '{new}') and it inherits none: remove that key, then "
            "run again",
        )
    if old not in service.entries:  # it inherits ``old``: mask it, then write ``new``
        step = Insert(_after(document, service, ""), ((old, Reset.NULL), (new, value)))
        return Switch(
            service.name,
            mode,
            (step,),
            f"{summary}; masked the '{old}' it inherits from {_giver(read)}",
            context,
            written=value,
        )
    # What the file alone asks for: the same settings, unless options were given.
    from_file = wanted if overrides == _NO_OVERRIDES else _settings(model, read, _NO_OVERRIDES)
    rewritable = render.rewrites_exactly(document, service, old, _value(mode.opposite, from_file))
    needs_mask = old in read.inherited
    if rewritable and value == _value(mode, from_file) and not needs_mask:
        return Switch(
            service.name, mode, (Replace(old, new, value),), summary, context, written=value
        )
    _refuse_existing(document, service, SAVED + old)
    items = ((new, value), (old, Reset.NULL)) if needs_mask else ((new, value),)
    steps = (Rename(old, SAVED + old), Insert(old, items))
    return Switch(
        service.name, mode, steps, f"{summary}; saved its own '{old}'", context, written=value
    )


def _restore(
    document: Document, service: Service, model: Model, read: Effective, mode: Mode
) -> Switch | None:
    """Undo what an earlier switch the other way did, when it left a mark: a paused or saved
    key, or a mask over an inherited one."""
    new, old = mode.key, mode.opposite.key
    entries = service.entries
    unmask: tuple[Step, ...] = (Delete(new),) if _masked(service, new) else ()
    if PAUSED + new in entries:
        steps = [*unmask, Rename(PAUSED + new, new)]
        if mode is Mode.LOCAL and PAUSED + POLICY in entries:
            steps.append(Rename(PAUSED + POLICY, POLICY))
        elif mode is Mode.LOCAL and old in read.data:
            raise _service_error(
                document,
                service,
                f"has its own '{old}' and a paused '{new}': "
                "restoring it would leave Compose pulling the image first; "
                f"remove '{old}' or rename '{PAUSED + new}' back yourself",
            )
        return Switch(
            service.name, mode, tuple(steps), f"restored its paused '{new}'", restores=True
        )
    if SAVED + new in entries:
        _refuse_merged(document, service, read, old)
        drop = (Delete(old),) if old in entries else ()
        return Switch(
            service.name,
            mode,
            (*drop, *unmask, Rename(SAVED + new, new)),
            f"restored its own '{new}'",
            restores=True,
        )
    if unmask and new in read.inherited:
        return _unmask(document, service, model, read, mode)
    return None


def _unmask(
    document: Document, service: Service, model: Model, read: Effective, mode: Mode
) -> Switch:
    """Take away the mask over an inherited key.

    A mask written *before* the service's key of the other form means composeswap wrote both
    in place of an inherited form (``image: !reset null`` then ``build:``), and both go; a mask
    after it paused an inherited key of a service that had both, and only the mask goes.
    """
    new, old = mode.key, mode.opposite.key
    mask, written = service.entries[new], service.entries.get(old)
    description = f"removed the mask over the '{new}' it inherits from {_giver(read)}"
    if written is None or written.key_start < mask.key_start:
        if mode is Mode.LOCAL and written is not None:  # image and build: not local
            raise _service_error(
                document,
                service,
                f"has its own '{old}' and masks the "
                f"'{new}' it inherits: remove one of the two yourself",
            )
        return Switch(service.name, mode, (Delete(new),), description, restores=True)
    from_file = _settings(model, read, Overrides())
    if not render.rewrites_exactly(document, service, old, _value(mode.opposite, from_file)):
        raise _service_error(
            document,
            service,
            f"its '{old}' changed since composeswap wrote "
            f"it over the inherited '{new}': remove '{old}' and the "
            f"'{new}: !reset null' before it yourself",
        )
    return Switch(
        service.name,
        mode,
        (Delete(new), Delete(old)),
        f"{description} and its '{old}'",
        restores=True,
    )


def _after(document: Document, service: Service, key: str) -> str:
    """The own key new lines go after: ``key``, else ``extends``. A service whose inherited
    form comes from another file and that writes neither has no place for them."""
    for candidate in (key, "extends"):
        if candidate in service.entries:
            return candidate
    raise _service_error(
        document,
        service,
        "gets its form from other files and writes neither 'build' nor 'extends' where it is "
        "decided; write its build there, then run again",
    )


def _giver(read: Effective) -> str:
    """Whom a service inherits from: its base, or an earlier file."""
    return read.bases[0] if read.bases else "an earlier file"


def _masked(service: Service, key: str) -> bool:
    entry = service.entries.get(key)
    return entry is not None and entry.reset


def _settings(model: Model, read: Effective, overrides: Overrides) -> Settings:
    return config.settings(read.name, read.data, model.config, overrides)


def _value(mode: Mode, settings: Settings) -> Value:
    if mode is Mode.REMOTE:
        return settings.image
    if settings.dockerfile:
        return {
            "context": settings.context,
            "dockerfile": settings.dockerfile,
            "target": settings.target,
        }
    return {"context": settings.context, "target": settings.target}


def _describe(mode: Mode, settings: Settings) -> str:
    if mode is Mode.REMOTE:
        return f"image {settings.image}"
    return f"build {settings.context} (target {settings.target})"


def _refuse_extended(document: Document, model: Model, service: Service) -> None:
    others = model.extended_by.get(service.name, ())
    if others:
        raise _service_error(
            document,
            service,
            f"{', '.join(others)} "
            f"extend{'s' if len(others) == 1 else ''} it, so switching it "
            "would switch them too: switch those services instead, or give "
            "each its own image and build",
        )


def _refuse_merged(document: Document, service: Service, read: Effective, key: str) -> None:
    if key not in service.merged:
        return
    if read.origins.get(key) is Origin.OWN:
        reason = (
            f"writes its own '{key}' but also gets one through a '<<' merge; removing its "
            "own would expose the merged one"
        )
    else:
        reason = (
            f"gets '{key}' through a '<<' merge; composeswap edits only the keys a "
            "service writes itself"
        )
    raise _service_error(
        document,
        service,
        f"{reason}: move '{key}' out of the merged mapping into each service that needs it",
    )


def _refuse_existing(document: Document, service: Service, key: str) -> None:
    if key in service.entries:
        raise _service_error(
            document,
            service,
            f"already has '{key}', where composeswap would keep the key it replaces; "
            "remove or rename it, then run again",
        )


def _service_error(document: Document, service: Service, message: str) -> ComposeswapError:
    return fail(
        document.file,
        message,
        line=service.line,
        column=service.column + 1,
        where=f"services.{service.name}",
    )


def choose(file: str, model: Model, given: Sequence[str]) -> list[str]:
    """The services named, and those each shell-style pattern matches, in the project's order
    for a pattern; a name or pattern that finds none is a problem."""
    chosen: list[str] = []
    problems = []
    for word in given:
        found = (
            _matching(model, word)
            if _PATTERN.intersection(word)
            else [word]
            if word in model.services
            else []
        )
        if not found:
            problems.append(_unknown(file, list(model.services), word, ""))
        chosen += found
    if problems:
        raise ComposeswapError(*problems)
    return list(dict.fromkeys(chosen))


_PATTERN = frozenset("*?[")


def _matching(model: Model, pattern: str) -> list[str]:
    import fnmatch  # only for a pattern

    return [name for name in model.services if fnmatch.fnmatchcase(name, pattern)]


def _check_options(file: str, model: Model, overrides: Overrides) -> None:
    known = list(model.services)
    problems = []
    for option, given in (("--image", overrides.images), ("--context", overrides.contexts)):
        problems += [
            _unknown(file, known, name, f"{option} {name}=...: ")
            for name in given
            if name not in model.services
        ]
    if problems:
        raise ComposeswapError(*problems)


def _unknown(file: str, known: list[str], name: str, prefix: str) -> Problem:
    """No such service: the closest names, not the whole list of a big project."""
    if _PATTERN.intersection(name):
        return Problem(
            file,
            f"{prefix}no service matches '{name}'; `composeswap status` lists "
            f"the {len(known)} services",
        )
    import difflib  # only for a typo

    close = difflib.get_close_matches(name, known, n=3)
    hint = f"did you mean {' or '.join(repr(n) for n in close)}? " if close else ""
    listed = (
        f"services: {', '.join(known) or 'none'}"
        if len(known) <= 5
        else f"`composeswap status` lists the {len(known)} services"
    )
    return Problem(file, f"{prefix}no service '{name}'; {hint}{listed}")
