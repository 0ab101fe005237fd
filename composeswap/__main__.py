"""The ``composeswap`` command and ``python -m composeswap``."""

import gc
import os
import sys
from collections.abc import Sequence


def run() -> None:
    # One short run per process: collecting reference cycles only costs time (about 5 ms of a
    # small file's 90, most of it while importing), and exit frees everything anyway.
    gc.disable()
    _exit(main(sys.argv[1:]))


def main(argv: Sequence[str], prog_name: str | None = None) -> int:
    """Carry out a command line; the exit code. The usual lines are read without click (see
    ``composeswap.argv``); click reads every other line, and says what is wrong with it."""
    from composeswap import argv as usual
    from composeswap import commands

    if commands.COMPLETE_VAR in os.environ:
        return _complete(argv, prog_name)
    call = usual.read(argv)
    if call is not None:
        try:
            return commands.run(call)
        except commands.UsageProblem:
            pass  # found before the command did anything: click says it, with the usage
        except KeyboardInterrupt:  # as click says it
            commands.echo("\nAborted!", err=True)
            return 1
        except BrokenPipeError:  # as click ends: whatever else there was to print is lost
            return 1
    return _with_click(argv, prog_name)


def _complete(argv: Sequence[str], prog_name: str | None) -> int:
    """The shell asks for completions: service names of a usual line without click."""
    from composeswap import argv as usual

    answer = usual.complete(os.environ)
    if answer is None:
        return _with_click(argv, prog_name)
    if sys.stdout is not None:
        sys.stdout.flush()
        sys.stdout.buffer.write(f"{answer}\n".encode())  # bytes, as click writes them
        sys.stdout.flush()
    return 0


def _with_click(argv: Sequence[str], prog_name: str | None) -> int:
    from composeswap.cli import main as click_main
    from composeswap.commands import COMPLETE_VAR

    try:
        # Named, because click derives it from the program name, and `python -m composeswap`
        # would otherwise wait for a variable no completion script sets.
        click_main(list(argv), prog_name, complete_var=COMPLETE_VAR)
    except SystemExit as done:
        return _status(done.code)
    return 0


def _status(code: object) -> int:
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)  # a message, as sys.exit("...") gives it
    return 1


def _exit(status: int) -> None:
    """End the process without the interpreter's teardown, which frees every object one by one
    (several milliseconds a run) for nothing. The one place this happens: by now every file the
    command opened is closed and every lock released, and the output is flushed here."""
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:  # None: started with the descriptor closed (`>&-`)
                stream.flush()
        except (OSError, ValueError):  # a closed pipe: nothing more can be said
            status = status or 1
    os._exit(status)


if __name__ == "__main__":
    run()
