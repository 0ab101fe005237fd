"""Golden before/after cases: each also proves the reverse restores ``before`` and that a
rerun is a no-op.

A case is a folder under fixtures/golden with ``before.yaml``, ``after.yaml`` and ``command``
(line 1: the arguments; optional line 2: the reverse command, else the opposite mode with the
same service names). Optional ``folders`` lists build contexts to create, relative to the compose
file; by default there is one folder per service.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import GOLDEN_CASES, OPPOSITE, golden_project, run


def reverse_of(args: list[str]) -> list[str]:
    names = [arg for arg in args[1:] if not arg.startswith("-") and "=" not in arg]
    return [OPPOSITE[args[0]], *names]


@pytest.mark.parametrize("case", GOLDEN_CASES, ids=[case.name for case in GOLDEN_CASES])
def test_golden_case(case: Path, tmp_path: Path) -> None:
    commands = (case / "command").read_text().splitlines()
    forward = commands[0].split()
    backward = commands[1].split() if len(commands) > 1 else reverse_of(forward)
    compose = golden_project(case, tmp_path)
    before, after = (case / "before.yaml").read_bytes(), (case / "after.yaml").read_bytes()

    first = run(compose.parent, *forward)
    assert first.exit_code == 0, first.stderr
    assert compose.read_bytes() == after

    again = run(compose.parent, *forward)
    assert again.exit_code == 0, again.stderr
    assert "nothing to do" in again.stderr
    assert compose.read_bytes() == after

    back = run(compose.parent, *backward)
    assert back.exit_code == 0, back.stderr
    assert compose.read_bytes() == before


def test_every_case_is_complete() -> None:
    assert len(GOLDEN_CASES) >= 20
    for case in GOLDEN_CASES:
        assert {"before.yaml", "after.yaml", "command"} <= {p.name for p in case.iterdir()}, case
