"""The ``composeswap`` command and ``python -m composeswap``."""

import gc


def run() -> None:
    # One short run per process: collecting reference cycles only costs time (about 5 ms of a
    # small file's 90, most of it while importing), and exit frees everything anyway.
    gc.disable()
    from composeswap.cli import COMPLETE_VAR, main

    # Named, because click derives it from the program name, and `python -m composeswap` would
    # otherwise wait for a variable no completion script sets.
    main(complete_var=COMPLETE_VAR)


if __name__ == "__main__":
    run()
