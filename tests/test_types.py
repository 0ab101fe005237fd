"""The house rule that every function is typed, enforced: mypy --strict over the whole project."""

from __future__ import annotations

import subprocess
import sys

from tests.helpers import ROOT


def test_mypy_strict_passes() -> None:
    done = subprocess.run([sys.executable, "-m", "mypy", "--no-incremental"], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
