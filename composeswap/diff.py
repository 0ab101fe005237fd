"""A unified diff built from the edits themselves, instead of searching two texts for changes.

composeswap knows exactly which characters it replaced, so it knows the changed lines; a general
diff of a 10,000-service file would cost more than the whole switch.
"""

from __future__ import annotations

import bisect
from typing import NamedTuple

from composeswap.text import Edit, splice

CONTEXT = 3


class Change(NamedTuple):
    """Old lines [start, stop) replaced by the ``new`` lines."""

    start: int
    stop: int
    new: list[str]


def unified_diff(name: str, old: str, edits: list[Edit]) -> str:
    """The unified diff (as ``diff -u`` prints it) of ``old`` before and after ``edits``."""
    lines = _lines(old)
    if not lines:  # nothing to anchor line numbers to: everything is new
        changes = [Change(0, 0, _lines(splice(old, edits)))]
    else:
        changes = [_trimmed(change, lines) for change in _changes(old, lines, edits)]
    changes = [change for change in changes if change.stop > change.start or change.new]
    if not changes:
        return ""
    out = [f"--- a/{name}\n", f"+++ b/{name}\n"]
    shift = 0
    for group in _groups(changes):
        hunk, shift = _hunk(group, lines, shift)
        out += hunk
    return "".join(
        line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in out
    )


def _lines(text: str) -> list[str]:
    pieces = text.split("\n")
    lines = [piece + "\n" for piece in pieces[:-1]]
    return lines + [pieces[-1]] if pieces[-1] else lines


def _changes(old: str, lines: list[str], edits: list[Edit]) -> list[Change]:
    """Whole-line changes; edits touching the same lines become one change."""
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))
    groups: list[tuple[int, int, list[Edit]]] = []
    for edit in sorted(edits):
        first = bisect.bisect_right(starts, edit[0]) - 1
        last = bisect.bisect_right(starts, max(edit[1] - 1, edit[0])) - 1
        first, stop = min(first, len(lines) - 1), min(last, len(lines) - 1) + 1
        if groups and first < groups[-1][1]:
            start, previous_stop, members = groups.pop()
            groups.append((start, max(stop, previous_stop), members + [edit]))
        else:
            groups.append((first, stop, [edit]))
    changes = []
    for first, stop, members in groups:
        base = starts[first]
        text = splice(old[base : starts[stop]], [(a - base, b - base, t) for a, b, t in members])
        changes.append(Change(first, stop, _lines(text)))
    return changes


def _trimmed(change: Change, lines: list[str]) -> Change:
    """The change without the lines it leaves as they were, which a diff shows as context."""
    start, stop, new = change.start, change.stop, change.new
    while start < stop and new and lines[start] == new[0]:
        start, new = start + 1, new[1:]
    while start < stop and new and lines[stop - 1] == new[-1]:
        stop, new = stop - 1, new[:-1]
    return Change(start, stop, new)


def _groups(changes: list[Change]) -> list[list[Change]]:
    groups = [[changes[0]]]
    for change in changes[1:]:
        if change.start - groups[-1][-1].stop <= 2 * CONTEXT:
            groups[-1].append(change)
        else:
            groups.append([change])
    return groups


def _hunk(group: list[Change], lines: list[str], shift: int) -> tuple[list[str], int]:
    begin = max(group[0].start - CONTEXT, 0)
    end = min(group[-1].stop + CONTEXT, len(lines))
    body, cursor, added = [], begin, 0
    for change in group:
        body += [" " + line for line in lines[cursor : change.start]]
        body += ["-" + line for line in lines[change.start : change.stop]]
        body += ["+" + line for line in change.new]
        added += len(change.new) - (change.stop - change.start)
        cursor = change.stop
    body += [" " + line for line in lines[cursor:end]]
    old_range = _range(begin, end - begin)
    new_range = _range(begin + shift, end - begin + added)
    return [f"@@ -{old_range} +{new_range} @@\n"] + body, shift + added


def _range(start: int, length: int) -> str:
    """As difflib writes a range: one-based, the length left out when it is 1."""
    if length == 1:
        return f"{start + 1}"
    return f"{start if length == 0 else start + 1},{length}"
