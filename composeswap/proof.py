"""Proof before writing: the edited text must say exactly what the plan intended, and no more.

Each switched service's lines are parsed again and compared, key order included, with its old
data changed only by the planned steps; then the opposite switch is planned on them and must
give back the original bytes, so switching back is proven before anything is written. Lines that
do not stand alone (an alias or merge reaching outside the service) are proven by parsing the
whole file instead.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, NamedTuple

from composeswap import config, render, yamlsource
from composeswap.config import Overrides
from composeswap.errors import ComposeswapError, fail
from composeswap.model import Document, JsonPath
from composeswap.plan import Plan, Switch, plan
from composeswap.steps import Mode
from composeswap.text import Source, splice

ServiceData = Mapping[str, Any]


def prove(document: Document, new_text: str, switched: Plan) -> dict[str, ServiceData]:
    """The switched services as the new text says, once shown to be exactly as planned."""
    pieces = [_piece(document, switch) for switch in switched.switches]
    if all(pieces) and _assembles(document, pieces, new_text):
        proven = _prove_pieces(document, switched, [p for p in pieces if p])
        if proven is not None:
            return proven
    return _prove_whole(document, new_text, switched)


class Piece(NamedTuple):
    """A switched service's own whole lines, before and after its edits."""

    start: int
    end: int
    old: str
    new: str


def _piece(document: Document, switch: Switch) -> Piece | None:
    service = document.services[switch.service]
    if service.lines is None or service.merged or service.shared:
        return None
    start, end = service.lines
    edits = [(a - start, b - start, text)
             for a, b, text in render.edits(document, service, switch.steps)]
    old = document.source.body[start:end]
    return Piece(start, end, old, splice(old, edits))


def _assembles(document: Document, pieces: list[Piece | None], new_text: str) -> bool:
    """Whether the new text is exactly the old one with the pieces put in."""
    edits = [(piece.start, piece.end, piece.new) for piece in pieces if piece]
    return Source(splice(document.source.body, edits), document.source.bom).text == new_text


def _prove_pieces(document: Document, switched: Plan,
                  pieces: list[Piece]) -> dict[str, ServiceData] | None:
    """Parse the switched services' new lines alone, once; None if they do not stand alone."""
    newline = document.source.newline
    try:
        edited = yamlsource.parse_services(
            Source(newline.join(piece.new for piece in pieces), line_ending=newline),
            document.file, document.data.get(config.CONFIG_KEY))
    except ComposeswapError:
        return None
    if list(edited.services) != [switch.service for switch in switched.switches]:
        return None
    try:
        for switch in switched.switches:
            expected = render.expected_service(document.services[switch.service].data,
                                               switch.steps)
            _compare(document, expected, edited.data["services"][switch.service],
                     ("services", switch.service))
        names = [switch.service for switch in switched.switches if not switch.restores]
        if names:
            back = newline.join(piece.new if switch.restores else piece.old
                                for piece, switch in zip(pieces, switched.switches))
            _prove_reversible(document, edited, switched.mode, names, back)
    except ComposeswapError:
        return None  # lines may read differently alone (a %YAML directive): ask the whole file
    return dict(edited.data["services"])


def _prove_whole(document: Document, new_text: str, switched: Plan) -> dict[str, ServiceData]:
    try:
        edited = yamlsource.parse(Source.from_text(new_text), document.file)
    except ComposeswapError as error:
        raise _unproven(document, f"the edited text would not parse ({error.problems[0].message})")
    _compare(document, _expected(document, switched), edited.data, ())
    # A switch that restores a saved key undoes an earlier one, whose options may have differed.
    names = [switch.service for switch in switched.switches if not switch.restores]
    restored = {s.service: s.steps for s in switched.switches if s.restores}
    if names:
        _prove_reversible(document, edited, switched.mode, names,
                          render.apply(document, restored))
    return {s.service: edited.data["services"][s.service] for s in switched.switches}


def _expected(document: Document, switched: Plan) -> dict[str, Any]:
    expected = dict(document.data)
    services = dict(expected["services"])
    for switch in switched.switches:
        services[switch.service] = render.expected_service(services[switch.service], switch.steps)
    expected["services"] = services
    return expected


def _compare(document: Document, expected: Any, actual: Any, path: JsonPath) -> None:
    difference = first_difference(expected, actual, path)
    if difference is not None:
        where = ".".join(str(part) for part in difference) or "the top level"
        raise _unproven(document, f"the edit would also change {where}")


def _prove_reversible(document: Document, edited: Document, mode: Mode, names: list[str],
                      original: str) -> None:
    try:
        back = plan(edited, mode.opposite, names, Overrides())
        text = render.apply(edited, {s.service: s.steps for s in back.switches})
    except ComposeswapError as error:
        raise _unproven(document, f"switching back would fail ({error.problems[0].message})")
    if text != original:
        raise _unproven(document, "switching back would not restore the file byte for byte")


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
    return fail(document.file, f"refusing to write: {reason}. The file is unchanged; "
                "please report this with the file so it can be handled")
