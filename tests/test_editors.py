"""What editors and CI run: toggle (by name or at the cursor), GitHub annotations, and the
problem patterns README gives for Vim and JetBrains IDEs, matched against real diagnostics."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import ROOT, project, run

STACK = (
    "services:\n"
    "  api:\n    image: ${DOCKER_REGISTRY}/api:${IMAGE_TAG}-dev\n    ports:\n"
    "      - '8080:8080'\n"
    "  web:\n    build:\n      context: ./web\n      target: dev\n"
    "  both:\n    image: ${DOCKER_REGISTRY}/both:${IMAGE_TAG}-dev\n    build: ./both\n"
    "  ai:\n    provider: {type: model, options: {model: x}}\n"
)


def stack(folder: Path) -> Path:
    return project(folder, STACK, "api", "web", "both")


@pytest.mark.parametrize("service, mode", [("api", "local"), ("web", "remote"), ("both", "local")])
def test_toggle_switches_to_the_other_form_and_back(
    tmp_path: Path, service: str, mode: str
) -> None:
    compose = stack(tmp_path)
    there = run(tmp_path, "toggle", service)
    assert there.exit_code == 0, there.stderr
    assert f"switched {service} to {mode}" in there.stderr
    back = run(tmp_path, "toggle", service)
    assert back.exit_code == 0, back.stderr
    assert compose.read_text() == STACK


def test_toggle_refuses_a_service_with_nothing_to_switch(tmp_path: Path) -> None:
    stack(tmp_path)
    result = run(tmp_path, "toggle", "ai")
    assert result.exit_code == 2
    assert result.stderr == (
        "compose.yaml:13:3: error: services.ai: has provider: there is nothing to toggle\n"
    )


@pytest.mark.parametrize("line, service", [(2, "api"), (5, "api"), (7, "web"), (12, "both")])
def test_toggle_at_a_line_picks_the_service_defined_there(
    tmp_path: Path, line: int, service: str
) -> None:
    stack(tmp_path / "project")
    result = run(tmp_path, "toggle", "--at", f"project/compose.yaml:{line}", "--dry-run")
    assert result.exit_code == 0, result.stderr
    assert f"would switch {service} to" in result.stderr


def test_toggle_at_a_line_in_no_service_says_so(tmp_path: Path) -> None:
    stack(tmp_path)
    result = run(tmp_path, "toggle", "--at", "compose.yaml:1")
    assert result.exit_code == 2
    assert result.stderr == (
        "compose.yaml:1:1: error: line 1 is in no service; put the cursor "
        "on a service's definition\n"
    )


@pytest.mark.parametrize(
    "args",
    [
        ["toggle"],
        ["toggle", "api", "--at", "compose.yaml:2"],
        ["toggle", "--at", "compose.yaml"],
        ["toggle", "--at", "compose.yaml:0"],
    ],
)
def test_toggle_needs_exactly_one_way_to_choose(tmp_path: Path, args: list[str]) -> None:
    stack(tmp_path)
    assert run(tmp_path, *args).exit_code == 2


# --- GitHub Actions annotations ------------------------------------------------------------------


def test_problems_are_annotations_for_github(tmp_path: Path) -> None:
    (tmp_path / "compose.yaml").write_text("services:\n  api:\n    imgae: '50%'\n")
    result = run(tmp_path, "validate", "--format", "github")
    assert result.exit_code == 2
    assert result.stdout.splitlines() == [
        "::error file=compose.yaml,line=2,col=3::services.api: has neither 'image' nor "
        "'build'; Compose needs one",
        "::error file=compose.yaml,line=3,col=5::services.api.imgae: unknown key 'imgae' (did "
        "you mean 'image'?)",
    ]


def test_check_findings_are_annotations_for_github(tmp_path: Path) -> None:
    stack(tmp_path)
    result = run(tmp_path, "remote", "--check", "--format", "github")
    assert result.exit_code == 1
    assert result.stdout == (
        "::error file=compose.yaml,line=6,col=3::services.web: is local; "
        "remote would switch it: image ${DOCKER_REGISTRY}/web:"
        "${IMAGE_TAG}-dev\n"
    )
    assert "error:" not in result.stderr  # not said twice


def test_annotation_text_is_escaped_as_github_reads_it(tmp_path: Path) -> None:
    folder = tmp_path / "a,b:c"
    stack(folder)
    (folder / "compose.yaml").write_text("services:\n  api:\n    image: '100%'\n    imgae: x\n")
    result = run(folder, "validate", "--format", "github")
    assert "::error file=compose.yaml,line=4,col=5::" in result.stdout
    outside = run(tmp_path, "-f", "a,b:c/compose.yaml", "validate", "--format", "github")
    assert "file=a%2Cb%3Ac/compose.yaml," in outside.stdout


# --- the patterns README gives editors --------------------------------------------------------


def readme_block(after: str) -> str:
    """The first fenced block after a line of README.md that contains ``after``."""
    text = (ROOT / "README.md").read_text()
    start = text.index(after)
    block = re.search(r"```[a-z]*\n(.*?)```", text[start:], re.DOTALL)
    assert block, after
    return block.group(1)


def vim_pattern(errorformat: str) -> list[re.Pattern[str]]:
    """Vim's errorformat items as regular expressions (the few conversions the README uses)."""
    items = errorformat.split("=", 1)[1].strip().split(",")
    conversions = {
        "%f": "(?P<file>.+?)",
        "%l": r"(?P<line>\d+)",
        "%c": r"(?P<column>\d+)",
        "%t": "(?P<type>.)",
        "%m": "(?P<message>.*)",
        r"\ ": " ",
        "%%": "%",
    }
    patterns = []
    for item in items:
        regex = re.escape(item)
        for vim, python in conversions.items():
            regex = regex.replace(re.escape(vim), python)
        patterns.append(re.compile(regex + "$"))
    return patterns


DIAGNOSTICS = [
    ("compose.yaml:3:5: error: services.api.imgae: unknown key 'imgae'", "compose.yaml", 3, 5),
    ("stack/prod.yml:12:7: warning: services.db: something", "stack/prod.yml", 12, 7),
    ("/abs/docker-compose.yml:1:1: error: invalid YAML: x", "/abs/docker-compose.yml", 1, 1),
]


@pytest.mark.parametrize("line, file, number, column", DIAGNOSTICS)
def test_the_vim_errorformat_in_the_readme_matches_diagnostics(
    line: str, file: str, number: int, column: int
) -> None:
    patterns = vim_pattern(readme_block("### Vim and Neovim").strip().splitlines()[0])
    found = next(match for pattern in patterns if (match := pattern.match(line)))
    assert (found["file"], int(found["line"]), int(found["column"])) == (file, number, column)
    assert found["type"] in ("e", "w")


@pytest.mark.parametrize("line, file, number, column", DIAGNOSTICS)
def test_the_jetbrains_output_filter_in_the_readme_matches_diagnostics(
    line: str, file: str, number: int, column: int
) -> None:
    pattern = readme_block("### JetBrains IDEs").strip()  # a regular expression with macros
    regex = (
        pattern.replace("$FILE_PATH$", "(?P<file>.+?)")
        .replace("$LINE$", r"(?P<line>\d+)")
        .replace("$COLUMN$", r"(?P<column>\d+)")
    )
    found = re.match(regex, line)
    assert found and (found["file"], int(found["line"]), int(found["column"])) == (
        file,
        number,
        column,
    )


# --- VS Code tasks -------------------------------------------------------------------------------


USER_TASKS = """{
  // my own build, with a comment
  "version": "2.0.0",
  "tasks": [
    {"label": "make", "type": "shell", "command": "make",},  // trailing comma
  ],
}
"""


def tasks_of(text: str) -> dict[str, Any]:
    from composeswap import jsonc

    value: dict[str, Any] = jsonc.parse(text).value
    return value


def test_vscode_tasks_go_to_the_repository_root_with_paths_from_there(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    stack(tmp_path / "deploy")
    result = run(tmp_path / "deploy", "editor", "vscode")
    assert result.exit_code == 0, result.stderr
    tasks = tasks_of((tmp_path / ".vscode" / "tasks.json").read_text())
    status = next(task for task in tasks["tasks"] if task["label"] == "composeswap: status")
    assert status["args"] == ["-f", "${workspaceFolder}/deploy/compose.yaml", "status"]
    assert [i["options"] for i in tasks["inputs"]] == [["api", "web", "both", "ai"]]


def test_vscode_tasks_keep_the_users_own_and_update_only_the_service_list(tmp_path: Path) -> None:
    compose = stack(tmp_path)
    (tmp_path / ".vscode").mkdir()
    tasks_file = tmp_path / ".vscode" / "tasks.json"
    tasks_file.write_text(USER_TASKS)
    assert run(tmp_path, "editor", "vscode").exit_code == 0
    first = tasks_file.read_text()
    assert first.startswith(USER_TASKS.split("  ],")[0])  # the user's lines, byte for byte
    assert tasks_of(first)["tasks"][0]["label"] == "make"
    again = run(tmp_path, "editor", "vscode")
    assert "nothing to do" in again.stderr and tasks_file.read_text() == first
    compose.write_text(STACK.replace("  ai:", "  cron:\n    image: busybox\n  ai:"))
    assert run(tmp_path, "editor", "vscode").exit_code == 0
    changed = [
        line for line in tasks_file.read_text().splitlines() if line not in first.splitlines()
    ]
    assert len(changed) == 1 and '"cron"' in changed[0]


def test_a_broken_tasks_file_is_refused_at_its_position(tmp_path: Path) -> None:
    stack(tmp_path)
    (tmp_path / ".vscode").mkdir()
    (tmp_path / ".vscode" / "tasks.json").write_text('{\n  "tasks": [\n    {"label": }\n  ]\n}\n')
    result = run(tmp_path, "editor", "vscode", "--workspace", ".")
    assert result.exit_code == 2
    assert result.stderr.startswith(".vscode/tasks.json:3:15: error: ")


def test_vscode_diff_and_dry_run_write_nothing(tmp_path: Path) -> None:
    project(tmp_path, STACK, "api", "web", "both")
    diff = run(tmp_path, "editor", "vscode", "--diff", "--workspace", ".")
    assert diff.exit_code == 0, diff.stderr
    assert diff.stdout.startswith("--- a/.vscode/tasks.json\n+++ b/.vscode/tasks.json\n")
    assert '+      "label": "composeswap: status",' in diff.stdout
    dry = run(tmp_path, "editor", "vscode", "--dry-run", "--workspace", ".")
    assert dry.stderr == ".vscode/tasks.json: would write composeswap's tasks\n"
    assert not (tmp_path / ".vscode").exists()
