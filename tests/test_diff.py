"""The diff composeswap prints is built from its edits: it must patch the old text into the new."""

from __future__ import annotations

import difflib
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from composeswap.diff import unified_diff
from composeswap.text import splice

HUNK = re.compile(r"@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@\n")


def lines_of(text: str) -> list[str]:
    return re.findall(r"[^\n]*\n|[^\n]+$", text)


def patched(old: str, diff: str) -> str:
    """Apply a unified diff the way ``patch`` does, checking every context and removed line."""
    lines, entries = lines_of(old), lines_of(diff)[2:]
    new: list[str] = []
    cursor = index = 0
    while index < len(entries):
        found = HUNK.fullmatch(entries[index])
        assert found, entries[index]
        start = int(found.group(1)) - (1 if found.group(2) != "0" else 0)
        new += lines[cursor:start]
        cursor, index = start, index + 1
        while index < len(entries) and not entries[index].startswith("@@"):
            kind, text = entries[index][0], entries[index][1:]
            index += 1
            if index < len(entries) and entries[index].startswith("\\ No newline"):
                text, index = text[:-1], index + 1
            if kind in " -":
                assert lines[cursor] == text
                cursor += 1
            if kind in " +":
                new.append(text)
    return "".join(new + lines[cursor:])


edit_texts = st.sampled_from(["", "X", "\nnew: line", "a\nb\n", "zz\n", "key: 1\n", "\r\n"])


@st.composite
def texts_and_edits(draw: st.DrawFn) -> tuple[str, list[tuple[int, int, str]]]:
    lines = draw(
        st.lists(st.sampled_from(["a: 1", "b: 2", "  c: 3", "# x", ""]), min_size=1, max_size=30)
    )
    old = "\n".join(lines) + draw(st.sampled_from(["", "\n"]))
    edits: list[tuple[int, int, str]] = []
    position = 0
    while True:
        start = position + draw(st.integers(0, 25))
        if start > len(old):
            return old, edits
        end = min(len(old), start + draw(st.integers(0, 10)))
        edits.append((start, end, draw(edit_texts)))
        position = end + 1


@settings(max_examples=500, deadline=None)
@given(texts_and_edits())
def test_the_diff_patches_the_old_text_into_the_new(
    case: tuple[str, list[tuple[int, int, str]]],
) -> None:
    old, edits = case
    new = splice(old, edits)
    diff = unified_diff("compose.yaml", old, edits)
    assert (diff == "") == (old == new)
    assert patched(old, diff) == new


def test_the_diff_reads_as_difflib_writes_it_for_a_switch() -> None:
    old = "services:\n  api:\n    image: x  # c\n    ports:\n      - 80:80\n"
    edits = [(old.index("image"), old.index("\n    ports"), "build:  # c\n      context: ./api")]
    new = splice(old, edits)
    expected = "".join(difflib.unified_diff(lines_of(old), lines_of(new), "a/f", "b/f"))
    assert unified_diff("f", old, edits) == expected


def test_a_missing_final_newline_is_marked() -> None:
    diff = unified_diff("f", "a: 1\nb: 2", [(8, 9, "3")])
    assert diff.endswith(
        "-b: 2\n\\ No newline at end of file\n+b: 3\n\\ No newline at end of file\n"
    )
