"""The house rule that every function is typed, enforced: mypy --strict over the whole project."""

from __future__ import annotations

import subprocess
import sys

from tests.helpers import ROOT


def test_mypy_strict_passes() -> None:
    done = subprocess.run([sys.executable, "-m", "mypy", "--no-incremental"], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr


def test_steps_of_different_kinds_never_compare_equal() -> None:
    from composeswap.steps import Delete, Insert, Rename, Replace

    assert Rename("a", "b") == Rename("a", "b") and hash(Rename("a", "b")) == hash(("a", "b"))
    assert Rename("a", "b") != Insert("a", "b")  # type: ignore[arg-type]
    assert Rename("a", "b") != ("a", "b")
    assert Replace("a", "b", "v") != Rename("a", "b")  # type: ignore[comparison-overlap]
    assert Delete("a") != ("a",) and Delete("a") == Delete("a")
    assert not Rename("a", "b") != Rename("a", "b")
