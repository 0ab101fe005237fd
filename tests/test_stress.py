"""Crash safety and concurrency, with real processes.

A run killed with SIGKILL at any moment leaves the complete old or the complete new file, and the
next run removes any temporary file it left. Two runs on the same file at once both end cleanly
and the file is always a complete, valid state.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from composeswap.files import TEMP_SUFFIX

SERVICES = 200
KILLS = int(os.environ.get("COMPOSESWAP_KILLS", "25"))
RACES = int(os.environ.get("COMPOSESWAP_RACES", "5"))

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL and flock are POSIX")


def remote_text(services: int) -> str:
    lines = ["# many services, so that writing takes a moment", "services:"]
    for index in range(services):
        lines += [f"  svc{index}:  # service {index}",
                  f"    image: ${{DOCKER_REGISTRY}}/svc{index}:${{IMAGE_TAG}}-dev",
                  "    restart: always"]
    return "\n".join(lines) + "\n"


def local_text(services: int) -> str:
    lines = ["# many services, so that writing takes a moment", "services:"]
    for index in range(services):
        lines += [f"  svc{index}:  # service {index}", "    build:",
                  f"      context: ./svc{index}", "      target: dev", "    restart: always"]
    return "\n".join(lines) + "\n"


def project(folder: Path, text: str, services: int) -> Path:
    for index in range(services):
        (folder / f"svc{index}").mkdir()
    compose = folder / "compose.yaml"
    compose.write_text(text)
    return compose


def composeswap(folder: Path, *args: str, output: int = subprocess.DEVNULL
                ) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "composeswap", *args], cwd=folder,
                            stdout=subprocess.DEVNULL, stderr=output)


def temp_files(folder: Path) -> list[Path]:
    return [path for path in folder.iterdir() if path.name.endswith(TEMP_SUFFIX)]


def test_a_killed_run_leaves_the_old_or_the_new_file(tmp_path: Path) -> None:
    old, new = remote_text(SERVICES), local_text(SERVICES)
    compose = project(tmp_path, old, SERVICES)
    started = time.monotonic()
    assert composeswap(tmp_path, "local").wait(timeout=60) == 0
    full_run = time.monotonic() - started
    assert compose.read_text() == new
    outcomes = {"old": 0, "new": 0}
    chooser = random.Random(20261128)
    for _ in range(KILLS):
        compose.write_text(old)
        process = composeswap(tmp_path, "local")
        time.sleep(chooser.uniform(0.5, 1.1) * full_run)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=60)
        text = compose.read_text()
        assert text in (old, new), "a killed run left a partial file"
        outcomes["old" if text == old else "new"] += 1
    assert outcomes["old"] and outcomes["new"], outcomes  # the kills did land on both sides
    assert composeswap(tmp_path, "remote").wait(timeout=60) == 0
    assert temp_files(tmp_path) == []
    assert compose.read_text() == old


@pytest.mark.parametrize("commands", [("local", "local"), ("local", "remote")])
def test_two_runs_at_once_both_end_cleanly(tmp_path: Path, commands: tuple[str, str]) -> None:
    old, new = remote_text(SERVICES), local_text(SERVICES)
    compose = project(tmp_path, old, SERVICES)
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
