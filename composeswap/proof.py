"""Proof before writing: the edited text must say exactly what the plan intended, and no more.

The new text is parsed again and compared, key order included, with the old data changed only
by the planned steps. Then the opposite switch is planned on the new text: it must give back the
original bytes, so switching back is proven before anything is written.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from composeswap import render, yamlsource
from composeswap.config import Overrides
from composeswap.errors import ComposeswapError, fail
from composeswap.model import Document, JsonPath
from composeswap.plan import Plan, plan
from composeswap.text import Source


def prove(document: Document, new_text: str, switched: Plan) -> Document:
    """The parsed new file, once it is shown to change only the switched keys, reversibly."""
    try:
        edited = yamlsource.parse(Source.from_text(new_text), document.file)
    except ComposeswapError as error:
        raise _unproven(document, f"the edited text would not parse ({error.problems[0].message})")
    difference = first_difference(_expected(document, switched), edited.data)
    if difference is not None:
        where = ".".join(str(part) for part in difference) or "the top level"
        raise _unproven(document, f"the edit would also change {where}")
    _prove_reversible(document, edited, switched)
    return edited


def _expected(document: Document, switched: Plan) -> dict[str, Any]:
    expected = dict(document.data)
    services = dict(expected["services"])
    for switch in switched.switches:
        services[switch.service] = render.expected_service(services[switch.service], switch.steps)
    expected["services"] = services
    return expected


def _prove_reversible(document: Document, edited: Document, switched: Plan) -> None:
    # A switch that restores a saved key undoes an earlier one, whose options may have differed.
    names = [switch.service for switch in switched.switches if not switch.restores]
    if not names:
        return
    try:
        back = plan(edited, switched.mode.opposite, names, Overrides())
        text = render.apply(edited, {s.service: s.steps for s in back.switches})
    except ComposeswapError as error:
        raise _unproven(document, f"switching back would fail ({error.problems[0].message})")
    restored = {s.service: s.steps for s in switched.switches if s.restores}
    if text != render.apply(document, restored):
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
