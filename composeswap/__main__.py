"""The ``composeswap`` command and ``python -m composeswap``."""

import gc
import os
import sys


def run() -> None:
    # One short run per process: collecting reference cycles only costs time (about 5 ms of a
    # small file's 90, most of it while importing), and exit frees everything anyway.
    gc.disable()
    from composeswap.cli import COMPLETE_VAR, main

    try:
        # Named, because click derives it from the program name, and `python -m composeswap`
        # would otherwise wait for a variable no completion script sets.
        main(complete_var=COMPLETE_VAR)
    except SystemExit as done:
        code = done.code
    else:
        code = 0
    _exit(code)


def _exit(code: object) -> None:
    """End the process without the interpreter's teardown, which frees every object one by one
    (several milliseconds a run) for nothing. The one place this happens: by now every file the
    command opened is closed and every lock released, and the output is flushed here."""
    if code is None:
        status = 0
    elif isinstance(code, int):
        status = code
    else:  # a message, as sys.exit("...") gives it
        print(code, file=sys.stderr)
        status = 1
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):  # a closed pipe: nothing more can be said
        status = status or 1
    os._exit(status)


if __name__ == "__main__":
    run()
