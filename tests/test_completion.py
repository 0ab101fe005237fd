"""Shell completion, through the protocol click's completion scripts speak: the shell sets
``_COMPOSESWAP_COMPLETE`` and the words typed, composeswap prints what completes the last one.
The shells themselves are tried at the end, when they are installed."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from composeswap.__main__ import main as entry
from composeswap.cli import main
from tests.helpers import environment

COMPOSE = (
    "services:\n"
    "  web:\n    image: ${DOCKER_REGISTRY}/web:${IMAGE_TAG}-dev\n"
    "  worker:\n    image: ${DOCKER_REGISTRY}/worker:${IMAGE_TAG}-dev\n"
    "  db:\n    image: postgres:16\n"
)
OVERRIDE = "services:\n  cache:\n    image: redis:7\n"
OTHER = "services:\n  other:\n    image: alpine\n"
SHELLS = ("bash", "zsh", "fish")


@pytest.fixture
def stack(tmp_path: Path) -> Path:
    """A project with an override file (found as Compose finds it), another file for -f, and a
    source folder to complete from."""
    (tmp_path / "compose.yaml").write_text(COMPOSE)
    (tmp_path / "compose.override.yaml").write_text(OVERRIDE)
    (tmp_path / "other.yaml").write_text(OTHER)
    (tmp_path / "web" / "src").mkdir(parents=True)
    return tmp_path


def parsed(output: str, shell: str) -> list[str]:
    """The values offered, each shell's format read back; a file or folder the shell lists
    itself shows as <file> or <dir>."""
    if shell == "zsh":  # type, value, help: three lines each
        lines = output.splitlines()
        items = [(lines[i], lines[i + 1]) for i in range(0, len(lines) - 2, 3)]
    else:  # type,value, and for fish a tab and the help
        items = [line.split("\t")[0].partition(",")[::2] for line in output.splitlines() if line]
    return [value if kind == "plain" else f"<{kind}>" for kind, value in items]


def complete(folder: Path, line: str, shell: str = "bash") -> list[str]:
    """What composeswap offers, run in ``folder``, for the last word of ``line``: through the
    entry point, which answers the usual lines itself and hands the others to click."""
    previous = Path.cwd()
    os.chdir(folder)
    try:
        with CliRunner().isolation(env=environment(line, shell)) as (stdout, stderr, _):
            code = entry([], prog_name="composeswap")
    finally:
        os.chdir(previous)
    assert (code, stderr.getvalue()) == (0, b"")
    return parsed(stdout.getvalue().decode(), shell)


# --- what completes ----------------------------------------------------------------------------


@pytest.mark.parametrize("shell", SHELLS)
def test_commands(stack: Path, shell: str) -> None:
    offered = complete(stack, "composeswap ", shell)
    assert offered == [
        "completion",
        "editor",
        "hook",
        "local",
        "remote",
        "status",
        "toggle",
        "validate",
    ]
    assert complete(stack, "composeswap st", shell) == ["status"]


def test_options(stack: Path) -> None:
    assert complete(stack, "composeswap local --d") == ["--dry-run", "--diff"]
    assert "--image" in complete(stack, "composeswap remote --")
    assert "--project-directory" in complete(stack, "composeswap --")


@pytest.mark.parametrize("command", ["local", "remote", "status"])
@pytest.mark.parametrize("shell", SHELLS)
def test_service_names_of_the_project(stack: Path, command: str, shell: str) -> None:
    # The override file is part of the project, as Compose finds it.
    assert complete(stack, f"composeswap {command} ", shell) == ["web", "worker", "db", "cache"]


@pytest.mark.parametrize("shell", SHELLS)
def test_a_prefix_completes_to_the_names_it_starts(stack: Path, shell: str) -> None:
    assert complete(stack, "composeswap local we", shell) == ["web"]
    assert complete(stack, "composeswap status w", shell) == ["web", "worker"]
    assert complete(stack, "composeswap remote x", shell) == []


def test_names_already_typed_are_not_offered_again(stack: Path) -> None:
    assert complete(stack, "composeswap local web ") == ["worker", "db", "cache"]


@pytest.mark.parametrize(
    "line",
    [
        "composeswap -f other.yaml local ",
        "composeswap local -f other.yaml ",
        "composeswap --file=other.yaml status ",
    ],
)
def test_project_options_typed_before_or_after_the_command(stack: Path, line: str) -> None:
    assert complete(stack, line) == ["other"]


def test_from_a_subfolder_the_project_is_found_above(stack: Path) -> None:
    assert complete(stack / "web" / "src", "composeswap status ") == [
        "web",
        "worker",
        "db",
        "cache",
    ]


def test_project_directory_and_env_file(
    stack: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    assert complete(elsewhere, f"composeswap --project-directory {stack} local c") == ["cache"]
    (stack / "other.env").write_text("COMPOSE_FILE=other.yaml\n")
    assert complete(stack, "composeswap --env-file other.env remote ") == ["other"]


def test_service_part_of_context_and_image(stack: Path) -> None:
    assert complete(stack, "composeswap local --context w") == ["web=", "worker="]
    assert complete(stack, "composeswap remote --image d") == ["db="]
    assert complete(stack, "composeswap local --context web=./") == []


@pytest.mark.parametrize(
    "line, kind",
    [
        ("composeswap -f ", "<file>"),
        ("composeswap local --file ", "<file>"),
        ("composeswap --env-file ", "<file>"),
        ("composeswap status --project-directory ", "<dir>"),
    ],
)
@pytest.mark.parametrize("shell", SHELLS)
def test_files_and_folders_are_left_to_the_shell(
    stack: Path, line: str, kind: str, shell: str
) -> None:
    assert complete(stack, line, shell) == [kind]


def test_no_schema_validation(tmp_path: Path) -> None:
    # Compose would refuse the misspelt key; completing still knows the service.
    (tmp_path / "compose.yaml").write_text("services:\n  web:\n    imgae: nginx\n")
    assert complete(tmp_path, "composeswap local ") == ["web"]


@pytest.mark.parametrize(
    "text",
    [
        "services:\n  web: [\n",  # a YAML error, as while the file is being edited
        "services:\n  web:\n    image: a\n  web:\n    image: b\n",  # a duplicate key
        "include:\n  - include.yaml\nservices: {}\n",  # includes itself, through include.yaml
        "\udcff",
    ],
)
def test_a_broken_project_completes_nothing(tmp_path: Path, text: str) -> None:
    (tmp_path / "compose.yaml").write_bytes(text.encode("utf-8", "surrogateescape"))
    (tmp_path / "include.yaml").write_text("include:\n  - compose.yaml\n")
    assert complete(tmp_path, "composeswap local ") == []
    assert complete(tmp_path, "composeswap local --context ") == []


def test_no_project_completes_nothing(tmp_path: Path) -> None:
    assert complete(tmp_path, "composeswap -f missing.yaml status ") == []


def in_a_process(folder: Path, line: str, *python_args: str) -> subprocess.CompletedProcess[str]:
    """As bash's script asks for ``line``'s completions: a separate Python process, where a
    traceback would reach the terminal (``python -m composeswap`` unless told otherwise)."""
    return subprocess.run(
        [sys.executable, *(python_args or ("-m", "composeswap"))],
        cwd=folder,
        env={**os.environ, **environment(line, "bash")},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_broken_project_in_a_real_process_is_silent(tmp_path: Path) -> None:
    (tmp_path / "compose.yaml").write_text("services:\n  web: [\n")
    done = in_a_process(tmp_path, "composeswap local ")
    assert (done.returncode, done.stdout.strip(), done.stderr) == (0, "", "")


def test_python_m_composeswap_answers_the_same_variable(stack: Path) -> None:
    done = in_a_process(stack, "composeswap local we")
    assert (done.returncode, done.stdout, done.stderr) == (0, "plain,web\n", "")


def test_completing_commands_reads_no_project(tmp_path: Path) -> None:
    # Only completing service names needs the project, and with it the YAML reader.
    code = (
        "import sys; from composeswap.__main__ import main\n"
        "main([], prog_name='composeswap')\n"
        "print(sorted(m for m in ('ruamel', 'composeswap.app') if m in sys.modules), "
        "file=sys.stderr)"
    )
    done = in_a_process(tmp_path, "composeswap lo", "-c", code)
    assert (done.stdout, done.stderr.strip()) == ("plain,local\n", "[]")


# --- the scripts -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "shell, expected",
    [
        (
            "bash",
            [
                "_composeswap_completion() {",
                "_COMPOSESWAP_COMPLETE=bash_complete",
                "complete -o nosort -F _composeswap_completion composeswap",
            ],
        ),
        (
            "zsh",
            [
                "#compdef composeswap",
                "_COMPOSESWAP_COMPLETE=zsh_complete",
                "compdef _composeswap_completion composeswap",
            ],
        ),
        (
            "fish",
            [
                "function _composeswap_completion;",
                "_COMPOSESWAP_COMPLETE=fish_complete",
                "complete --no-files --command composeswap",
            ],
        ),
    ],
)
def test_completion_prints_the_script(tmp_path: Path, shell: str, expected: list[str]) -> None:
    result = CliRunner().invoke(main, ["completion", shell])
    assert result.exit_code == 0
    for text in expected:
        assert text in result.stdout


@pytest.mark.parametrize(
    "args", [["completion", "powershell"], ["completion"], ["completion", "bash", "zsh"]]
)
def test_completion_needs_one_known_shell(args: list[str]) -> None:
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2
    assert "Usage:" in result.stderr
    assert result.stdout == ""


# --- the real shells, when installed -----------------------------------------------------------


def shell_or_skip(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        pytest.skip(f"{name} is not installed; the protocol tests above cover composeswap's side")
    return found


@pytest.fixture
def on_path(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """An environment where ``composeswap``, as the scripts call it, is this interpreter's,
    and where a shell that keeps state (fish) keeps it in a temporary home."""
    folder = tmp_path_factory.mktemp("bin")
    command = folder / "composeswap"
    command.write_text(f'#!/bin/sh\nexec {shlex.quote(sys.executable)} -m composeswap "$@"\n')
    command.chmod(0o755)
    home = str(tmp_path_factory.mktemp("home"))
    return {
        **os.environ,
        "PATH": f"{folder}{os.pathsep}{os.environ.get('PATH', '')}",
        "HOME": home,
        "XDG_CONFIG_HOME": home,
        "XDG_DATA_HOME": home,
        "XDG_CACHE_HOME": home,
    }


def script(shell: str) -> str:
    return CliRunner().invoke(main, ["completion", shell]).stdout


def in_shell(argv: list[str], folder: Path, env: dict[str, str]) -> list[str]:
    done = subprocess.run(argv, cwd=folder, env=env, capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stderr) == (0, "")
    return done.stdout.split()


def test_bash_runs_the_script(stack: Path, on_path: dict[str, str]) -> None:
    bash = shell_or_skip("bash")
    (stack / "c.bash").write_text(script("bash"))
    code = (
        'source c.bash; COMP_WORDS=(composeswap -f other.yaml local ""); COMP_CWORD=4\n'
        '_composeswap_completion composeswap; echo "${COMPREPLY[@]}"\n'
        "COMPREPLY=(); COMP_WORDS=(composeswap local w); COMP_CWORD=2\n"
        '_composeswap_completion composeswap; echo "${COMPREPLY[@]}"'
    )
    assert in_shell([bash, "--norc", "--noprofile", "-c", code], stack, on_path) == [
        "other",
        "web",
        "worker",
    ]


def test_fish_runs_the_script(stack: Path, on_path: dict[str, str]) -> None:
    fish = shell_or_skip("fish")
    (stack / "c.fish").write_text(script("fish"))
    code = (
        "source c.fish; complete -C 'composeswap status w'; "
        "complete -C 'composeswap -f other.yaml local '"
    )
    assert in_shell([fish, "--no-config", "-c", code], stack, on_path) == ["web", "worker", "other"]


def test_zsh_runs_the_script(stack: Path, on_path: dict[str, str]) -> None:
    # compadd and compdef only work inside zsh's line editor, so they are replaced by functions
    # that print what the script hands them; the rest is the script as zsh runs it.
    zsh = shell_or_skip("zsh")
    (stack / "c.zsh").write_text(script("zsh"))
    code = (
        "compdef() { :; }; compadd() { print -rl -- $completions; }\n"
        "source ./c.zsh; words=(composeswap local w); CURRENT=3; _composeswap_completion"
    )
    assert in_shell([zsh, "-f", "-c", code], stack, on_path) == ["web", "worker"]
