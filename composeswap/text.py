"""Facts about the raw text that YAML parsers normalise away: BOM, line endings, line bounds.

Offsets are character offsets into the text without its BOM; never ``str.splitlines()``, which
also splits on form feed, U+0085 and U+2028 where YAML does not.
"""

from __future__ import annotations

import bisect
import re

BOM = "\ufeff"
Edit = tuple[int, int, str]  # replace text[start:end] with the string
_BREAK = re.compile(r"\r\n|\r|\n")


class Source:
    """A compose file's text as read, split into its BOM and the body the parser sees.

    A plain class: it fills its index of line starts on first use.
    """

    __slots__ = ("body", "bom", "line_ending", "_line_starts")

    def __init__(self, body: str, bom: bool = False, line_ending: str = "") -> None:
        self.body = body
        self.bom = bom
        # Set for a piece of a file, whose first line break may not be the file's own.
        self.line_ending = line_ending
        self._line_starts: list[int] = []

    @classmethod
    def from_text(cls, text: str) -> Source:
        if text.startswith(BOM):
            return cls(text[len(BOM) :], True)
        return cls(text, False)

    @property
    def text(self) -> str:
        return (BOM if self.bom else "") + self.body

    @property
    def newline(self) -> str:
        """The file's own line ending: the first one it uses, LF for a one-line file."""
        if self.line_ending:
            return self.line_ending
        found = _BREAK.search(self.body)
        return found.group() if found else "\n"

    def line_start(self, index: int) -> int:
        starts = self._starts()
        return starts[bisect.bisect_right(starts, index) - 1]

    def line_end(self, index: int) -> int:
        """Offset of the line break that ends the line holding ``index`` (or the text's end)."""
        found = _BREAK.search(self.body, index)
        return found.start() if found else len(self.body)

    def break_before(self, index: int) -> int:
        """Start of the line break just before the line holding ``index``."""
        start = self.line_start(index)
        if start >= 2 and self.body[start - 2 : start] == "\r\n":
            return start - 2
        return max(start - 1, 0)

    def position(self, index: int) -> tuple[int, int]:
        """1-based line and column of an offset."""
        starts = self._starts()
        line = bisect.bisect_right(starts, index)
        return line, index - starts[line - 1] + 1

    def _starts(self) -> list[int]:
        """Where each line starts, found once: every lookup is then a binary search."""
        if not self._line_starts:
            self._line_starts.append(0)
            self._line_starts.extend(m.end() for m in _BREAK.finditer(self.body))
        return self._line_starts


def splice(body: str, edits: list[Edit]) -> str:
    """Apply non-overlapping replacements of ``body[start:end]``; later ones first."""
    pieces: list[str] = []
    cursor = len(body)
    for start, end, replacement in sorted(edits, key=lambda e: (e[0], e[1]), reverse=True):
        if end > cursor:
            raise ValueError("overlapping edits")
        pieces.append(body[end:cursor])
        pieces.append(replacement)
        cursor = start
    pieces.append(body[:cursor])
    return "".join(reversed(pieces))
