"""Crash safety and concurrency, with real processes.

A run killed with SIGKILL at any moment leaves the complete old or the complete new file, and the
next run removes any temporary file it left. The moments that matter most (inside the write of the
temporary file, just before and just after the rename) are hit exactly, by killed_run.py; kills at
random moments come on top. Two runs on the same file at once both end cleanly and the file is
always a complete, valid state.
"""

from __future__ import annotations

import os
import random
import signal
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from composeswap.files import TEMP_SUFFIX
from tests.helpers import project

SERVICES = 200
NAMES = tuple(f"svc{index}" for index in range(SERVICES))  # each with its source folder
KILLS = int(os.environ.get("COMPOSESWAP_KILLS", "10"))
RACES = int(os.environ.get("COMPOSESWAP_RACES", "5"))
KILLED_RUN = Path(__file__).with_name("killed_run.py")
MODE = 0o640  # the compose file's permissions: neither the temp file's 0o600 nor the usual 0o644

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL and flock are POSIX")


def remote_text(services: int) -> str:
    lines = ["# many services, so that writing takes a moment", "services:"]
    for index in range(services):
        lines += [
            f"  svc{index}:  # service {index}",
            f"    image: ${{DOCKER_REGISTRY}}/svc{index}:${{IMAGE_TAG}}-dev",
            "    restart: always",
        ]
    return "\n".join(lines) + "\n"


def local_text(services: int) -> str:
    lines = ["# many services, so that writing takes a moment", "services:"]
    for index in range(services):
        lines += [
            f"  svc{index}:  # service {index}",
            "    build:",
            f"      context: ./svc{index}",
            "      target: dev",
            "    restart: always",
        ]
    return "\n".join(lines) + "\n"


def composeswap(
    folder: Path, *args: str, output: int = subprocess.DEVNULL
) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "composeswap", *args],
        cwd=folder,
        stdout=subprocess.DEVNULL,
        stderr=output,
    )


def temp_files(folder: Path) -> list[Path]:
    return [path for path in folder.iterdir() if path.name.endswith(TEMP_SUFFIX)]


def killed_run(folder: Path, point: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Run composeswap in its own process, which kills itself at ``point`` (see killed_run.py)."""
    command = [sys.executable, str(KILLED_RUN), point, *args]
    return subprocess.run(command, cwd=folder, capture_output=True, text=True, timeout=60)


def killed_switch(folder: Path, point: str) -> Path:
    """A project switched to local by a run that is SIGKILLed at ``point``; its compose file."""
    compose = project(folder, remote_text(SERVICES), *NAMES)
    compose.chmod(MODE)
    done = killed_run(folder, point, "local")
    assert done.returncode == -signal.SIGKILL, f"{point} was not reached: {done.stderr}"
    assert stat.S_IMODE(compose.stat().st_mode) == MODE
    return compose


def next_run_cleans_up(folder: Path, command: str, expected: str) -> None:
    assert composeswap(folder, command).wait(timeout=60) == 0
    assert temp_files(folder) == []
    assert (folder / "compose.yaml").read_text() == expected


def test_killed_while_writing_the_temp_file_leaves_the_old_file(tmp_path: Path) -> None:
    compose = killed_switch(tmp_path, "writing-temp")
    assert compose.read_text() == remote_text(SERVICES)
    (temp,) = temp_files(tmp_path)
    written, meant = temp.read_bytes(), local_text(SERVICES).encode()
    assert 0 < len(written) < len(meant) and meant.startswith(written), "not killed mid-write"
    next_run_cleans_up(tmp_path, "local", local_text(SERVICES))


def test_killed_just_before_the_rename_leaves_the_old_file(tmp_path: Path) -> None:
    compose = killed_switch(tmp_path, "before-rename")
    assert compose.read_text() == remote_text(SERVICES)
    (temp,) = temp_files(tmp_path)
    assert temp.read_text() == local_text(SERVICES)
    next_run_cleans_up(tmp_path, "local", local_text(SERVICES))


def test_killed_just_after_the_rename_leaves_the_new_file(tmp_path: Path) -> None:
    compose = killed_switch(tmp_path, "after-rename")
    assert compose.read_text() == local_text(SERVICES)
    assert temp_files(tmp_path) == []
    next_run_cleans_up(tmp_path, "remote", remote_text(SERVICES))


def test_a_run_killed_at_a_random_moment_leaves_the_old_or_the_new_file(tmp_path: Path) -> None:
    # Which side of the rename each kill lands on depends on the machine's speed and is not
    # asserted: the crash-point tests above cover both sides deterministically.
    old, new = remote_text(SERVICES), local_text(SERVICES)
    compose = project(tmp_path, old, *NAMES)
    span = timed_run(tmp_path, "local")  # only to spread the kills over a run
    next_run_cleans_up(tmp_path, "remote", old)
    chooser = random.Random(20261128)
    for _ in range(KILLS):
        process = composeswap(tmp_path, "local")
        time.sleep(chooser.uniform(0.0, 1.2) * span)
        process.kill()
        process.wait(timeout=60)
        assert compose.read_text() in (old, new), "a killed run left a partial file"
        next_run_cleans_up(tmp_path, "remote", old)  # also the start of the next round


def timed_run(folder: Path, command: str) -> float:
    started = time.monotonic()
    assert composeswap(folder, command).wait(timeout=60) == 0
    return time.monotonic() - started


@pytest.mark.parametrize("commands", [("local", "local"), ("local", "remote")])
def test_two_runs_at_once_both_end_cleanly(tmp_path: Path, commands: tuple[str, str]) -> None:
    old, new = remote_text(SERVICES), local_text(SERVICES)
    compose = project(tmp_path, old, *NAMES)
    for _ in range(RACES):
        compose.write_text(old)
        seen = watch(compose, lambda: race(tmp_path, commands))
        assert seen <= {old, new}, "a reader saw a partial or foreign state"
        assert compose.read_text() in (old, new)
        assert temp_files(tmp_path) == []


def race(folder: Path, commands: tuple[str, str]) -> None:
    processes = [composeswap(folder, command, output=subprocess.PIPE) for command in commands]
    for process in processes:
        _, err = process.communicate(timeout=60)
        assert b"Traceback" not in err
        assert process.returncode in (0, 2), err
        if process.returncode == 2:
            assert b"try again" in err or b"run again" in err, err


def watch(compose: Path, action: object) -> set[str]:
    """Every content a reader sees while ``action`` runs."""
    seen: set[str] = set()
    done = threading.Event()

    def reader() -> None:
        while not done.is_set():
            seen.add(compose.read_text())

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        assert callable(action)
        action()
    finally:
        done.set()
        thread.join()
    return seen
