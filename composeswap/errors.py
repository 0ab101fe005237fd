"""Problems in the user's input as values, and the one error type that carries them."""

from __future__ import annotations

import enum
from typing import NamedTuple


class ExitCode(enum.IntEnum):
    OK = 0
    WOULD_CHANGE = 1
    ERROR = 2
    BUG = 3  # an error in composeswap itself, never one in the input


class Severity(str, enum.Enum):
    ERROR = "error"
    WARNING = "warning"


class Problem(NamedTuple):
    """One thing wrong with the input, printed as ``file:line:col: error: where: message``."""

    file: str
    message: str
    line: int | None = None
    column: int | None = None
    where: str = ""
    severity: Severity = Severity.ERROR

    def render(self) -> str:
        place = self.file
        if self.line is not None:
            place += f":{self.line}"
            if self.column is not None:
                place += f":{self.column}"
        where = f"{self.where}: " if self.where else ""
        return f"{place}: {self.severity.value}: {where}{self.message}"

    def as_json(self) -> dict[str, object]:
        return {
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "severity": self.severity.value,
            "message": self.message,
            "path": self.where,
        }

    def sort_key(self) -> tuple[str, int, int]:
        return (self.file, self.line or 0, self.column or 0)


class ComposeswapError(Exception):
    """Input composeswap cannot or will not act on; always reported, never a traceback."""

    def __init__(self, *problems: Problem) -> None:
        super().__init__(problems[0].render() if problems else "")
        self.problems = problems


def fail(
    file: str, message: str, *, line: int | None = None, column: int | None = None, where: str = ""
) -> ComposeswapError:
    """Build the error for a single problem: ``raise fail(...)``."""
    return ComposeswapError(Problem(file, message, line, column, where))
