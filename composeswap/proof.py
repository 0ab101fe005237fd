"""Proof before writing: the edited text must read, as Docker Compose reads it, exactly as planned.

On the new text: every service the plan does not switch reads exactly as before in the effective
model (``composeswap.effective``), and so does the top level; each switched service's own
mapping is its old one changed by the planned steps alone, key order included, and reads in the
asked form with the values written; and the opposite switch, planned on the new text, gives back
the original bytes. Only then is anything written.

The whole new text is parsed for this, except where the switched services' own lines can be
proven alone: ``_alone`` says when, and why that proves the same.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple

from composeswap import config, effective, render, yamlsource
from composeswap.config import Overrides
from composeswap.errors import ComposeswapError, fail
from composeswap.model import Document, JsonPath, Layer, Sources
from composeswap.plan import Plan, Switch, plan
from composeswap.steps import Form, Mode, Step
from composeswap.text import Source, splice

ServiceData = Mapping[str, Any]


Texts = Mapping[int, str]  # the new text of each edited file, by its index in the project


def prove(
    sources: Sources, model: effective.Model, new_texts: Texts, switched: Plan
) -> dict[str, ServiceData]:
    """The switched services as Compose reads the new texts, once shown to be exactly as
    planned."""
    if len(sources.layers) == 1 and not sources.bases and new_texts:
        document = sources.layers[0].document
        pieces = _small_pieces(document, model, switched, len(new_texts[0]))
        if pieces is not None and _assembles(document, pieces, new_texts[0]):
            proven = _prove_pieces(document, switched, pieces)
            if proven is not None:
                return proven
    return _prove_whole(sources, model, new_texts, switched)


def _small_pieces(
    document: Document, model: effective.Model, switched: Plan, length: int
) -> list[Piece] | None:
    """Each switched service's piece, if every one has a piece and together they are under half
    of the new text's ``length``: pieces that make up most of the text cost more to read alone
    than the whole text. None as soon as either fails, without making the rest."""
    pieces, size = [], 0
    for switch in switched.switches:
        piece = _piece(document, model, switch)
        if piece is None:
            return None
        size += len(piece.new)
        if size * 2 >= length:
            return None
        pieces.append(piece)
    return pieces


class Piece(NamedTuple):
    """A switched service's own whole lines, before and after its edits."""

    start: int
    end: int
    old: str
    new: str


def _piece(document: Document, model: effective.Model, switch: Switch) -> Piece | None:
    """The service's lines, when proving them alone proves the whole text; else None.

    Why that is sound: the new text differs from the old only inside these lines (checked by
    ``_assembles``). The service has them to itself, gets nothing through a ``<<`` merge, is no
    alias's target, extends nothing and is extended by nothing, so its reading depends on these
    lines alone and no other service's reading depends on them except through an anchor; and
    neither the old nor the new lines define one (any anchor needs a '&', so a '&' inside a
    string only sends the proof the long way). Every other service and the top level are then
    the same text with the same anchors in reach, and read as before. What is left to prove is
    the service itself, from its lines; an alias in them to an anchor elsewhere makes them fail
    to parse alone, and the whole text is proven instead.
    """
    service, read = document.services[switch.service], model.services[switch.service]
    if (
        service.lines is None
        or service.merged
        or service.shared
        or read.bases
        or read.unresolved
        or switch.service in model.extended_by
    ):
        return None
    start, end = service.lines
    old = document.source.body[start:end]
    edits = [
        (a - start, b - start, text) for a, b, text in render.edits(document, service, switch.steps)
    ]
    new = splice(old, edits)
    return None if "&" in old or "&" in new else Piece(start, end, old, new)


def _assembles(document: Document, pieces: list[Piece], new_text: str) -> bool:
    """Whether the new text is exactly the old one with the pieces put in."""
    edits = [(piece.start, piece.end, piece.new) for piece in pieces]
    return Source(splice(document.source.body, edits), document.source.bom).text == new_text


def _prove_pieces(
    document: Document, switched: Plan, pieces: list[Piece]
) -> dict[str, ServiceData] | None:
    """Parse the switched services' new lines alone, once; None if they do not stand alone."""
    newline = document.source.newline
    try:
        edited = yamlsource.parse_services(
            Source(newline.join(piece.new for piece in pieces), line_ending=newline),
            document.file,
            document.data.get(config.CONFIG_KEY),
        )
    except ComposeswapError:
        return None
    if list(edited.services) != [switch.service for switch in switched.switches]:
        return None
    try:
        edited_model = effective.read_file(edited)
        for switch in switched.switches:
            _prove_switched(document, switch, edited, edited_model)
        names = [switch.service for switch in switched.switches if not switch.restores]
        if names:
            back = newline.join(
                piece.new if switch.restores else piece.old
                for piece, switch in zip(pieces, switched.switches)
            )
            alone = Sources((Layer(edited, "", 0),), {})
            _prove_reversible(document, alone, edited_model, switched.mode, names, {0: back})
    except ComposeswapError:
        return None  # lines may read differently alone (a %YAML directive): ask the whole file
    return {name: read.data for name, read in edited_model.services.items()}


def _prove_whole(
    sources: Sources, model: effective.Model, new_texts: Texts, switched: Plan
) -> dict[str, ServiceData]:
    layers = list(sources.layers)
    for index, text in new_texts.items():
        layers[index] = layers[index]._replace(document=_reread(layers[index].document, text))
    edited = Sources(tuple(layers), sources.bases)
    edited_model = effective.read(edited)
    names = {switch.service for switch in switched.switches}
    first = sources.layers[0].document
    for name, read in model.services.items():
        if name not in names:  # every other service reads exactly as before
            _compare(first, read.data, edited_model.services[name].data, ("services", name))
    for switch in switched.switches:
        _prove_switched(
            sources.layers[switch.layer].document,
            switch,
            layers[switch.layer].document,
            edited_model,
        )
    # A switch that restores a saved key undoes an earlier one, whose options may have differed.
    reversible = [switch.service for switch in switched.switches if not switch.restores]
    if reversible:
        restored = apply(sources, [s for s in switched.switches if s.restores])
        originals = {
            index: restored.get(index, layer.document.source.text)
            for index, layer in enumerate(sources.layers)
        }
        _prove_reversible(first, edited, edited_model, switched.mode, reversible, originals)
    return {s.service: edited_model.services[s.service].data for s in switched.switches}


def _reread(document: Document, new_text: str) -> Document:
    """The edited file, which must hold the same services and the same top level."""
    try:
        edited = yamlsource.parse(Source.from_text(new_text), document.file)
    except ComposeswapError as error:
        reason = f"the edited text would not parse ({error.problems[0].message})"
        raise _unproven(document, reason) from None
    if list(edited.services) != list(document.services):
        raise _unproven(document, "the edit would change which services the file has")
    _compare(document, _top_level(document.data), _top_level(edited.data), ())
    return edited


def apply(sources: Sources, switches: Iterable[Switch]) -> dict[int, str]:
    """The new text of each file the switches edit, by its index in the project."""
    steps: dict[int, dict[str, tuple[Step, ...]]] = {}
    for switch in switches:
        steps.setdefault(switch.layer, {})[switch.service] = switch.steps
    return {
        index: render.apply(sources.layers[index].document, by_service)
        for index, by_service in steps.items()
    }


def _top_level(data: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in data.items() if key != "services"}


def _prove_switched(
    document: Document, switch: Switch, edited: Document, edited_model: effective.Model
) -> None:
    """The service's own keys changed by the steps alone, and Compose reads it as asked."""
    name = switch.service
    expected = render.expected_service(document.services[name].data, switch.steps)
    _compare(document, expected, edited.services[name].data, ("services", name))
    read = edited_model.services[name].data
    form = effective.form_of(read)
    asked = (Form.LOCAL,) if switch.mode is Mode.LOCAL else (Form.REMOTE, Form.HYBRID)
    if form not in asked or switch.written is not None and not _reads(read, switch):
        raise _unproven(
            document,
            f"Compose would read services.{name} as "
            f"{form.value}, not {switch.mode.value} as written",
        )


def _reads(read: Mapping[str, Any], switch: Switch) -> bool:
    """Whether Compose reads the value the switch wrote, in the form it was written for."""
    if isinstance(switch.written, str):
        return read.get("image") == switch.written and "build" not in read
    build = read.get("build")
    return (
        isinstance(build, Mapping)
        and isinstance(switch.written, Mapping)
        and all(build.get(key) == value for key, value in switch.written.items())
        and "image" not in read
    )


def _compare(document: Document, expected: Any, actual: Any, path: JsonPath) -> None:
    difference = first_difference(expected, actual, path)
    if difference is not None:
        where = ".".join(str(part) for part in difference) or "the top level"
        raise _unproven(document, f"the edit would also change {where}")


def _prove_reversible(
    document: Document,
    edited: Sources,
    edited_model: effective.Model,
    mode: Mode,
    names: list[str],
    originals: Texts,
) -> None:
    try:
        back = plan(edited, edited_model, mode.opposite, names, Overrides())
        texts = apply(edited, back.switches)
    except ComposeswapError as error:
        reason = f"switching back would fail ({error.problems[0].message})"
        raise _unproven(document, reason) from None
    for index, layer in enumerate(edited.layers):
        if texts.get(index, layer.document.source.text) != originals[index]:
            raise _unproven(
                layer.document, "switching back would not restore the file byte for byte"
            )


def first_difference(old: Any, new: Any, path: JsonPath = ()) -> JsonPath | None:
    """Where two YAML data trees differ, key order included, or None if they are the same."""
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        if list(old) != list(new):
            changed = next((k for k, j in zip(old, new) if k != j), None)
            return path + (changed,) if changed is not None else path
        for key in old:
            found = first_difference(old[key], new[key], path + (key,))
            if found is not None:
                return found
        return None
    if isinstance(old, list) and isinstance(new, list):
        if len(old) != len(new):
            return path
        for index, (a, b) in enumerate(zip(old, new)):
            found = first_difference(a, b, path + (index,))
            if found is not None:
                return found
        return None
    return None if _same_scalar(old, new) else path


def _same_scalar(old: Any, new: Any) -> bool:
    if type(old) is not type(new):
        return False
    if isinstance(old, float) and math.isnan(old):
        return math.isnan(new)
    return bool(old == new)


def _unproven(document: Document, reason: str) -> ComposeswapError:
    return fail(
        document.file,
        f"refusing to write: {reason}. The file is unchanged; "
        "please report this with the file so it can be handled",
    )
