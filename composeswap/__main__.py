"""The ``composeswap`` command and ``python -m composeswap``."""

import gc


def run() -> None:
    # One short run per process: collecting reference cycles only costs time (about 5 ms of a
    # small file's 90, most of it while importing), and exit frees everything anyway.
    gc.disable()
    from composeswap.cli import main

    main()


if __name__ == "__main__":
    run()
