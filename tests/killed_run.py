"""Run composeswap and kill its own process with SIGKILL at one exact point of writing the file.

Usage: ``python killed_run.py POINT ARGUMENT...``, with POINT one of ``POINTS``. The stress tests
run it as a separate process: the kill is then as real as a user's ``kill -9`` or the OOM killer,
and composeswap itself needs no test hooks, only standard-library calls patched here.
"""

from __future__ import annotations

import io
import os
import signal
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NoReturn

import composeswap.__main__
from composeswap.files import TEMP_SUFFIX

if TYPE_CHECKING:
    from _typeshed import ReadableBuffer, StrOrBytesPath


def _die() -> NoReturn:
    os.kill(os.getpid(), signal.SIGKILL)
    raise AssertionError("still alive after SIGKILL")


class _DiesHalfway(io.BufferedWriter):
    """A file written in binary that keeps the first half of the first write, then dies."""

    def write(self, buffer: ReadableBuffer, /) -> NoReturn:
        data = memoryview(buffer).cast("B")
        super().write(data[: len(data) // 2])
        self.flush()  # into the kernel, which keeps it in the file when the process is gone
        _die()


def _die_while_writing_the_temp_file() -> None:
    real_fdopen = os.fdopen

    # composeswap opens only its temp file with os.fdopen (on the descriptor it created).
    def fdopen(fd: int, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        if mode == "wb":
            return _DiesHalfway(io.FileIO(fd, "wb"))
        return real_fdopen(fd, mode, *args, **kwargs)

    os.fdopen = fdopen


def _is_the_rename(source: StrOrBytesPath) -> bool:
    return os.fsdecode(source).endswith(TEMP_SUFFIX)  # not some rename in a library


def _die_before_the_rename() -> None:
    real_replace = os.replace

    def replace(src: StrOrBytesPath, dst: StrOrBytesPath, **kwargs: Any) -> None:
        if _is_the_rename(src):
            _die()
        real_replace(src, dst, **kwargs)

    os.replace = replace


def _die_after_the_rename() -> None:
    real_replace = os.replace

    def replace(src: StrOrBytesPath, dst: StrOrBytesPath, **kwargs: Any) -> None:
        real_replace(src, dst, **kwargs)
        if _is_the_rename(src):
            _die()

    os.replace = replace


POINTS: dict[str, Callable[[], None]] = {
    "writing-temp": _die_while_writing_the_temp_file,
    "before-rename": _die_before_the_rename,
    "after-rename": _die_after_the_rename,
}


def main(point: str, *arguments: str) -> None:
    POINTS[point]()
    sys.argv = ["composeswap", *arguments]
    composeswap.__main__.run()


if __name__ == "__main__":
    main(*sys.argv[1:])
