"""Damaged compose files never crash composeswap: exit code 0, 1 or 2, never 3 (a bug).

Each example takes a fixture and damages it a few times (YAML's own indicators, tabs, odd line
breaks, invalid bytes inserted; pieces deleted or copied elsewhere), then runs the commands a
user would. COMPOSESWAP_EXAMPLES raises the number of examples, as for the other generated tests.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from composeswap import yamlsource
from tests.helpers import FIXTURES, run, source_folder
from tests.test_properties import PROFILE

TEXTS = [
    path.read_bytes()
    for path in sorted({*FIXTURES.rglob("*.yaml"), *FIXTURES.rglob("*.yml")})
    if path.stat().st_size < 20_000
]
PIECES = [
    b" ",
    b"\n",
    b":",
    b"- ",
    b"[",
    b"]",
    b"{",
    b"}",
    b",",
    b"&a ",
    b"*a",
    b"!!str ",
    b"#",
    b"'",
    b'"',
    b"|",
    b">",
    b"\t",
    b"\r\n",
    b"%YAML 1.1\n",
    b"---\n",
    b"<<: ",
    b"? ",
    b"\xc2\x85",
    b"\xe2\x80\xa8",
    b"\\",
    b"\x00",
    b"\xff",
]
COMMANDS = [("validate",), ("local", "--diff"), ("remote", "--diff"), ("local",)]


@st.composite
def damaged(draw: st.DrawFn) -> bytes:
    text = bytearray(draw(st.sampled_from(TEXTS)))
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(text)))
        kind = draw(st.sampled_from(["insert", "delete", "copy"]))
        if kind == "insert":
            text[at:at] = draw(st.sampled_from(PIECES))
        elif kind == "delete":
            del text[at : at + draw(st.integers(1, 5))]
        else:
            start = draw(st.integers(0, len(text)))
            text[at:at] = text[start : start + draw(st.integers(1, 30))]
    return bytes(text)


@pytest.mark.parametrize("fast", [True, False], ids=["libyaml", "pure parser"])
@settings(PROFILE)
@given(text=damaged())
def test_a_damaged_file_is_an_answer_not_a_crash(
    tmp_path_factory: pytest.TempPathFactory, fast: bool, text: bytes
) -> None:
    folder = tmp_path_factory.mktemp("fuzz")
    for name in ("api", "web", "worker", "db"):
        source_folder(folder / name)
    compose = folder / "compose.yaml"
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setattr(yamlsource, "FAST", fast and yamlsource.FAST)
        for command in COMMANDS:
            compose.write_bytes(text)
            result = run(folder, *command)
            assert result.exit_code in (0, 1, 2), (command, result.stderr)
            if result.exit_code == 2:
                assert compose.read_bytes() == text, command


def test_the_damage_starts_from_more_than_a_hundred_fixtures() -> None:
    assert len(TEXTS) > 100
