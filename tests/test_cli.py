"""The command line as a user meets it: arguments, exit codes, messages and what ends up in
the file."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from composeswap import __version__
from tests.helpers import DEV_IMAGE, LOCAL_API, REMOTE_API, project, run, source_folder

STACK = (
    b"services:\n"
    b"  api:\n    image: ${DOCKER_REGISTRY}/api:${IMAGE_TAG}-dev\n"
    b"  web:\n    image: ${DOCKER_REGISTRY}/web:${IMAGE_TAG}-dev\n"
    b"  db:\n    image: postgres:16\n"
)
# file:line:col: error: where: message
POSITIONED = re.compile(r"^compose\.yaml:\d+:\d+: error: ", re.MULTILINE)


# --- entry points ------------------------------------------------------------------------------


def test_version(tmp_path: Path) -> None:
    result = run(tmp_path, "--version")
    assert result.exit_code == 0
    assert "composeswap" in result.stdout
    assert __version__ in result.stdout


@pytest.mark.parametrize(
    "args, words",
    [
        (["--help"], ["local", "remote", "--file", "Exit codes"]),
        (["-h"], ["local", "remote"]),
        (["local", "--help"], ["--context", "--target", "--dry-run", "--diff", "--check"]),
        (["remote", "--help"], ["--image", "--target", "--dry-run", "--diff", "--check"]),
    ],
)
def test_help(tmp_path: Path, args: list[str], words: list[str]) -> None:
    result = run(tmp_path, *args)
    assert result.exit_code == 0
    for word in words:
        assert word in result.stdout


def test_help_needs_no_compose_file(tmp_path: Path) -> None:
    result = run(tmp_path, "local", "--help")
    assert result.exit_code == 0
    assert result.stderr == ""


def python_m(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "composeswap", *args],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize("columns", ["60", "200"])
def test_help_wraps_to_the_terminal_as_click_would(tmp_path: Path, columns: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "composeswap", "local", "--help"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "COLUMNS": columns},
    )
    widest = max(len(line) for line in done.stdout.splitlines())
    assert widest <= min(int(columns), 80) - 2
    assert widest > min(int(columns), 80) - 12  # filled, not wrapped narrower


def test_help_imports_only_what_it_needs(tmp_path: Path) -> None:
    # Start-up is most of what --help costs: neither the switching code nor shutil comes in.
    code = (
        "import sys; from composeswap.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in ('shutil', 'ruamel', 'composeswap.app', 'jsonschema') "
        "if m in sys.modules), file=sys.stderr)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert done.stderr.strip() == "[]"


def test_the_installed_command_runs_a_switch(tmp_path: Path) -> None:
    # The script pip writes for the `composeswap` entry point, as a user types it.
    script = Path(sys.executable).with_name("composeswap")
    compose = project(tmp_path, REMOTE_API, "api")
    done = subprocess.run(
        [str(script), "local"], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert compose.read_bytes() == LOCAL_API


def test_python_m_version(tmp_path: Path) -> None:
    done = python_m(tmp_path, "--version")
    assert done.returncode == 0
    assert __version__ in done.stdout


def test_python_m_switches_and_returns_the_exit_code(tmp_path: Path) -> None:
    compose = project(tmp_path, REMOTE_API, "api")
    check = python_m(tmp_path, "local", "--check")
    assert check.returncode == 1
    assert "api" in check.stderr
    done = python_m(tmp_path, "local")
    assert done.returncode == 0, done.stderr
    assert compose.read_bytes() == LOCAL_API


def test_python_m_error_is_a_message_not_a_traceback(tmp_path: Path) -> None:
    done = python_m(tmp_path, "local")
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert "no compose file" in done.stderr


@pytest.mark.parametrize("tab", ["", "\t"], ids=["libyaml", "pure parser"])
def test_an_anchor_defined_again_is_no_warning(tmp_path: Path, tab: str) -> None:
    # YAML and Compose allow it (later aliases mean the new one); ruamel.yaml would warn.
    # A tab in a quoted value sends the file to the pure parser.
    text = (
        b"x-a: &a one\nx-b: &a two\nservices:\n  api:\n"
        b"    image: ${DOCKER_REGISTRY}/api:${IMAGE_TAG}-dev\n    labels:\n"
        b"      tag: *a\n      other: '" + tab.encode() + b"'\n"
    )
    project(tmp_path, text, "api")
    done = python_m(tmp_path, "local", "--diff")
    assert done.returncode == 0, done.stderr
    assert done.stderr == "compose.yaml: would switch api to local: build ./api (target dev)\n"


def test_a_bug_is_one_line_to_report_and_exit_code_3(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from composeswap import app

    def broken(_request: object) -> object:
        raise RuntimeError("boom")

    monkeypatch.setattr(app, "switch", broken)
    result = run(tmp_path, "local")
    assert result.exit_code == 3
    assert result.stderr.startswith(
        "composeswap: internal error: RuntimeError: boom (at test_cli.py:"
    )
    assert "please report it" in result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


# --- the spec's own example and the round trip --------------------------------------------------


def test_local_replaces_the_image_with_a_build(tmp_path: Path) -> None:
    compose = project(tmp_path, REMOTE_API, "api")
    result = run(tmp_path, "local")
    assert result.exit_code == 0, result.stderr
    assert compose.read_bytes() == LOCAL_API
    assert "api" in result.stderr
    assert result.stdout == ""


def test_remote_replaces_the_build_with_the_image(tmp_path: Path) -> None:
    compose = project(tmp_path, LOCAL_API, "api")
    result = run(tmp_path, "remote")
    assert result.exit_code == 0, result.stderr
    assert compose.read_bytes() == REMOTE_API


def test_flow_style_example_keeps_its_style(tmp_path: Path) -> None:
    text = b'services: {api: {image: "${DOCKER_REGISTRY}/api:${IMAGE_TAG}-dev"}}\n'
    compose = project(tmp_path, text, "api")
    result = run(tmp_path, "local")
    assert result.exit_code == 0, result.stderr
    assert "{api: {build: {context: ./api, target: dev}}}" in compose.read_text()
    assert run(tmp_path, "remote").exit_code == 0
    assert compose.read_bytes() == text


ROUND_TRIPS = {
    "default image": REMOTE_API,
    "default build": LOCAL_API,
    "quoted image": b'services:\n  api:\n    image: "${DOCKER_REGISTRY}/api:${IMAGE_TAG}-dev"\n',
    "bare variables": b"services:\n  api:\n    image: $DOCKER_REGISTRY/api:$IMAGE_TAG-dev\n",
    "defaults with colons": (
        b"x-composeswap:\n  image: ${REG:-localhost:5000}/{service}:${TAG:-a:b}-{target}\n"
        b"services:\n  api:\n    image: ${REG:-localhost:5000}/api:${TAG:-a:b}-dev\n"
    ),
    "comment and neighbours": (
        b'services:\n  api:  # ours\n    ports:\n      - "80:80"\n'
        b"    image: ${DOCKER_REGISTRY}/api:${IMAGE_TAG}-dev  # dev stage\n"
        b"    environment:\n      A: b\n"
    ),
    "build with more keys": (
        b"services:\n  api:\n    build:\n      context: ./api\n"
        b"      dockerfile: Dockerfile.dev\n      target: dev\n"
    ),
    "short build": b"services:\n  api:\n    build: ./api\n    x-composeswap: {}\n",
    "three services": STACK,
    "tabs YAML reads as spaces": (
        b"services:\n  api:\t# ours\n"
        b"    image:\t${DOCKER_REGISTRY}/api:${IMAGE_TAG}-dev\t# dev\n"
        b"    ports: ['80:80']\t\n"
    ),
    "a build with tabs": (
        b"services:\n  api:\n    build:\t# checkout\n      context: ./api\t\n"
        b"      target: dev\t# stage\n    labels: {a: 'tab\there'}\n"
    ),
}


@pytest.mark.parametrize("text", ROUND_TRIPS.values(), ids=ROUND_TRIPS.keys())
def test_switching_back_restores_the_original_bytes(tmp_path: Path, text: bytes) -> None:
    compose = project(tmp_path, text, "api", "web")
    first = "remote" if b"build:" in text else "local"
    second = "local" if first == "remote" else "remote"

    forward = run(tmp_path, first)
    assert forward.exit_code == 0, forward.stderr
    assert compose.read_bytes() != text
    switched = compose.read_bytes()

    again = run(tmp_path, first)
    assert again.exit_code == 0, again.stderr
    assert "nothing to do" in again.stderr
    assert compose.read_bytes() == switched

    back = run(tmp_path, second)
    assert back.exit_code == 0, back.stderr
    assert compose.read_bytes() == text


def test_second_identical_run_is_a_no_op(tmp_path: Path) -> None:
    compose = project(tmp_path, STACK, "api", "web")
    assert run(tmp_path, "local", "api").exit_code == 0
    after = compose.read_bytes()
    again = run(tmp_path, "local", "api")
    assert again.exit_code == 0
    assert "nothing to do" in again.stderr
    assert "api" in again.stderr  # names what is already in the asked form
    assert compose.read_bytes() == after


# --- write modes --------------------------------------------------------------------------------


def test_dry_run_says_what_would_switch_and_writes_nothing(tmp_path: Path) -> None:
    compose = project(tmp_path, STACK, "api", "web")
    result = run(tmp_path, "local", "--dry-run")
    assert result.exit_code == 0
    assert "would switch api" in result.stderr
    assert "would switch web" in result.stderr
    assert "db" not in result.stderr
    assert compose.read_bytes() == STACK


def test_diff_prints_a_unified_diff_and_writes_nothing(tmp_path: Path) -> None:
    compose = project(tmp_path, REMOTE_API, "api")
    result = run(tmp_path, "local", "--diff")
    assert result.exit_code == 0
    assert compose.read_bytes() == REMOTE_API
    lines = result.stdout.splitlines()
    assert lines[:2] == ["--- a/compose.yaml", "+++ b/compose.yaml"]
    assert lines[2].startswith("@@ ")
    assert f"-    image: {DEV_IMAGE}" in lines
    assert ["+    build:", "+      context: ./api", "+      target: dev"] == [
        line for line in lines if line.startswith("+") and not line.startswith("+++")
    ]


def test_diff_marks_a_missing_final_newline(tmp_path: Path) -> None:
    compose = project(tmp_path, REMOTE_API.rstrip(b"\n"), "api")
    result = run(tmp_path, "local", "--diff")
    assert result.exit_code == 0
    assert result.stdout.count("\\ No newline at end of file\n") == 2
    assert compose.read_bytes() == REMOTE_API.rstrip(b"\n")


def test_diff_with_nothing_to_do_prints_nothing(tmp_path: Path) -> None:
    project(tmp_path, LOCAL_API, "api")
    result = run(tmp_path, "local", "--diff")
    assert result.exit_code == 0
    assert result.stdout == ""
    assert "nothing to do" in result.stderr


def test_check_exits_1_naming_the_services_that_would_switch(tmp_path: Path) -> None:
    compose = project(tmp_path, STACK, "api", "web")
    result = run(tmp_path, "local", "--check")
    assert result.exit_code == 1
    assert "api" in result.stderr and "web" in result.stderr
    assert "db" not in result.stderr
    assert compose.read_bytes() == STACK


def test_check_exits_0_when_nothing_would_switch(tmp_path: Path) -> None:
    compose = project(tmp_path, REMOTE_API, "api")
    result = run(tmp_path, "remote", "--check")
    assert result.exit_code == 0
    assert "nothing to do" in result.stderr
    assert compose.read_bytes() == REMOTE_API


@pytest.mark.parametrize(
    "flags",
    [
        ["--dry-run", "--diff"],
        ["--dry-run", "--check"],
        ["--diff", "--check"],
        ["--dry-run", "--diff", "--check"],
    ],
)
@pytest.mark.parametrize("command", ["local", "remote"])
def test_write_modes_exclude_each_other(tmp_path: Path, command: str, flags: list[str]) -> None:
    compose = project(tmp_path, STACK, "api", "web")
    result = run(tmp_path, command, *flags)
    assert result.exit_code == 2
    assert "exclude each other" in result.stderr
    assert result.stdout == ""
    assert compose.read_bytes() == STACK


# --- where the other form comes from ------------------------------------------------------------


def test_top_level_settings_replace_the_defaults(tmp_path: Path) -> None:
    text = (
        b"x-composeswap:\n  image: reg.example.com/{service}:1-{target}\n"
        b"  context: ./src/{service}\n  target: debug\n"
        b"services:\n  api:\n    image: reg.example.com/api:1-debug\n"
    )
    compose = project(tmp_path, text, "src/api")
    assert run(tmp_path, "local").exit_code == 0
    assert compose.read_bytes() == text.replace(
        b"    image: reg.example.com/api:1-debug\n",
        b"    build:\n      context: ./src/api\n      target: debug\n",
    )
    assert run(tmp_path, "remote").exit_code == 0
    assert compose.read_bytes() == text


def test_service_settings_win_over_top_level_ones(tmp_path: Path) -> None:
    text = (
        b"x-composeswap:\n  context: ./src/{service}\n"
        b"services:\n  api:\n    x-composeswap:\n      context: ../api-repo\n"
        b"    image: ${DOCKER_REGISTRY}/api:${IMAGE_TAG}-dev\n"
    )
    project_folder = tmp_path / "stack"
    compose = project(project_folder, text, "src/api")
    source_folder(tmp_path / "api-repo")
    assert run(project_folder, "local").exit_code == 0
    assert b"      context: ../api-repo\n" in compose.read_bytes()
    assert run(project_folder, "remote").exit_code == 0
    assert compose.read_bytes() == text


def test_options_win_over_service_settings(tmp_path: Path) -> None:
    text = (
        b"services:\n  api:\n    x-composeswap: {context: ./nowhere, target: debug}\n"
        b"    image: ${DOCKER_REGISTRY}/api:${IMAGE_TAG}-debug\n"
    )
    compose = project(tmp_path, text, "elsewhere")
    result = run(tmp_path, "local", "api", "--context", "api=./elsewhere", "--target", "test")
    assert result.exit_code == 0, result.stderr
    after = compose.read_bytes()
    assert b"      context: ./elsewhere\n      target: test\n" in after
    assert run(tmp_path, "remote", "api").exit_code == 0
    assert compose.read_bytes() == text


def test_context_override_keeps_the_original_image_until_switched_back(tmp_path: Path) -> None:
    folder = tmp_path / "stack"
    compose = project(folder, REMOTE_API)
    source_folder(tmp_path / "other")
    result = run(folder, "local", "api", "--context", "api=../other")
    assert result.exit_code == 0, result.stderr
    assert compose.read_bytes() == (
        b"services:\n  api:\n    x-composeswap-image: ${DOCKER_REGISTRY}/api:${IMAGE_TAG}-dev\n"
        b"    build:\n      context: ../other\n      target: dev\n"
    )
    back = run(folder, "remote", "api")
    assert back.exit_code == 0, back.stderr
    assert compose.read_bytes() == REMOTE_API


def test_image_override_keeps_the_original_build_until_switched_back(tmp_path: Path) -> None:
    compose = project(tmp_path, LOCAL_API, "api")
    result = run(tmp_path, "remote", "api", "--image", "api=reg.example.com/api:1")
    assert result.exit_code == 0, result.stderr
    assert compose.read_bytes() == (
        b"services:\n  api:\n    x-composeswap-build:\n      context: ./api\n      target: dev\n"
        b"    image: reg.example.com/api:1\n"
    )
    back = run(tmp_path, "local", "api")
    assert back.exit_code == 0, back.stderr
    assert compose.read_bytes() == LOCAL_API


def test_target_option_chooses_the_stage(tmp_path: Path) -> None:
    text = (
        b"services:\n  api:\n    image: ${DOCKER_REGISTRY}/api:${IMAGE_TAG}-test\n"
        b"  web:\n    image: ${DOCKER_REGISTRY}/web:${IMAGE_TAG}-dev\n"
    )
    compose = project(tmp_path, text, "api", "web")
    result = run(tmp_path, "local", "--target", "test")
    assert result.exit_code == 0, result.stderr
    assert compose.read_bytes() == (
        b"services:\n  api:\n    x-composeswap-image: ${DOCKER_REGISTRY}/api:${IMAGE_TAG}-test\n"
        b"    build:\n      context: ./api\n      target: test\n"
        b"  web:\n    image: ${DOCKER_REGISTRY}/web:${IMAGE_TAG}-dev\n"
    )
    assert run(tmp_path, "remote", "--target", "test").exit_code == 0
    assert compose.read_bytes() == text


def test_local_with_another_target_than_the_image_keeps_the_image(tmp_path: Path) -> None:
    compose = project(tmp_path, REMOTE_API, "api")
    assert run(tmp_path, "local", "api", "--target", "test").exit_code == 0
    assert compose.read_bytes() == (
        b"services:\n  api:\n    x-composeswap-image: ${DOCKER_REGISTRY}/api:${IMAGE_TAG}-dev\n"
        b"    build:\n      context: ./api\n      target: test\n"
    )
    assert run(tmp_path, "remote").exit_code == 0
    assert compose.read_bytes() == REMOTE_API


# --- which services switch ----------------------------------------------------------------------


def test_named_services_only(tmp_path: Path) -> None:
    compose = project(tmp_path, STACK, "api", "web")
    result = run(tmp_path, "local", "web")
    assert result.exit_code == 0, result.stderr
    after = compose.read_bytes()
    assert b"  api:\n    image: ${DOCKER_REGISTRY}/api:${IMAGE_TAG}-dev\n" in after
    assert b"  web:\n    build:\n      context: ./web\n      target: dev\n" in after
    assert "api" not in result.stderr


def test_no_names_switches_every_managed_service_and_no_third_party(tmp_path: Path) -> None:
    text = STACK + b"  cache:\n    image: redis:7-alpine\n"
    compose = project(tmp_path, text, "api", "web", "db", "cache")
    result = run(tmp_path, "local")
    assert result.exit_code == 0, result.stderr
    after = compose.read_bytes()
    assert after.endswith(b"  db:\n    image: postgres:16\n  cache:\n    image: redis:7-alpine\n")
    assert after.count(b"build:") == 2
    assert "db" not in result.stderr and "cache" not in result.stderr


MANAGED = {
    "own settings": b"services:\n  api:\n    image: postgres:16\n    x-composeswap: {}\n",
    "parked image": (
        b"services:\n  api:\n    x-composeswap-image: postgres:16\n"
        b"    build:\n      context: ./api\n      target: prod\n"
    ),
    "parked build": (
        b"services:\n  api:\n    image: postgres:16\n"
        b"    x-composeswap-build:\n      context: ./api\n      target: prod\n"
    ),
    "template with another tag": b"services:\n  api:\n    image: ${DOCKER_REGISTRY}/api:1.0-dev\n",
    "configured template": (
        b"x-composeswap: {image: 'reg.example.com/{service}:1.0-{target}'}\n"
        b"services:\n  api:\n    image: reg.example.com/api:2.1-dev\n"
    ),
    "bare variables": b"services:\n  api:\n    image: $DOCKER_REGISTRY/api:$IMAGE_TAG-dev\n",
    "default with colons": (
        b"x-composeswap: {image: '${REG:-host:5000}/{service}:${TAG:-1:2}-{target}'}\n"
        b"services:\n  api:\n    image: ${REG:-host:5000}/api:${TAG:-1:2}-dev\n"
    ),
    "digest": (
        b"services:\n  api:\n    image: ${DOCKER_REGISTRY}/api:1-dev@sha256:" + b"0" * 64 + b"\n"
    ),
    "dev build": b"services:\n  api:\n    build:\n      context: .\n      target: dev\n",
}


@pytest.mark.parametrize("text", MANAGED.values(), ids=MANAGED.keys())
def test_managed_services_switch_without_being_named(tmp_path: Path, text: bytes) -> None:
    compose = project(tmp_path, text, "api")
    mode = "remote" if b"    build:" in text else "local"
    result = run(tmp_path, mode, "--check")
    assert result.exit_code == 1, result.stderr
    assert "api" in result.stderr
    assert compose.read_bytes() == text


UNMANAGED = {
    "postgres": b"services:\n  api:\n    image: postgres:16\n",
    "redis": b"services:\n  api:\n    image: redis:7-alpine\n",
    "dev in the name, not the tag": b"services:\n  api:\n    image: myorg/api-dev:1.0\n",
    "registry port, no tag": b"services:\n  api:\n    image: localhost:5000/api-dev\n",
    "dev tag of another target": b"services:\n  api:\n    image: reg/api:1-devel\n",
    "other build target": b"services:\n  api:\n    build:\n      context: .\n      target: prod\n",
    "plain build": b"services:\n  api:\n    build: .\n",
    "third party with a -dev tag": (
        b"services:\n  api:\n    image: cgr.dev/chainguard/python:latest-dev\n"
    ),
    "another registry, -dev tag": b"services:\n  api:\n    image: reg.example.com/api:1.0-dev\n",
    "another service's image": (
        b"services:\n  api:\n    image: ${DOCKER_REGISTRY}/web:${IMAGE_TAG}-dev\n"
    ),
    "another name, bare variables": (
        b"services:\n  api:\n    image: $DOCKER_REGISTRY/$IMAGE_NAME:$IMAGE_TAG-dev\n"
    ),
}


@pytest.mark.parametrize("text", UNMANAGED.values(), ids=UNMANAGED.keys())
def test_unmanaged_services_are_left_alone(tmp_path: Path, text: bytes) -> None:
    compose = project(tmp_path, text, "api")
    for mode in ("local", "remote"):
        result = run(tmp_path, mode)
        assert result.exit_code == 0, result.stderr
        assert "nothing to do" in result.stderr
        assert compose.read_bytes() == text


def test_naming_a_third_party_service_without_a_folder_is_refused(tmp_path: Path) -> None:
    compose = project(tmp_path, STACK, "api", "web")
    result = run(tmp_path, "local", "db")
    assert result.exit_code == 2
    assert "./db" in result.stderr
    assert "does not exist" in result.stderr
    assert re.search(r"^compose\.yaml:6:3: error: services\.db: ", result.stderr, re.MULTILINE)
    assert compose.read_bytes() == STACK


def test_naming_a_third_party_service_with_a_folder_switches_it(tmp_path: Path) -> None:
    compose = project(tmp_path, STACK, "api", "web", "db")
    result = run(tmp_path, "local", "db")
    assert result.exit_code == 0, result.stderr
    assert compose.read_bytes().endswith(
        b"  db:\n    x-composeswap-image: postgres:16\n"
        b"    build:\n      context: ./db\n      target: dev\n"
    )
    assert run(tmp_path, "remote", "db").exit_code == 0
    assert compose.read_bytes() == STACK


def test_local_refuses_a_missing_source_folder(tmp_path: Path) -> None:
    compose = project(tmp_path, REMOTE_API)
    result = run(tmp_path, "local")
    assert result.exit_code == 2
    assert "source folder ./api does not exist" in result.stderr
    assert "--context api=PATH" in result.stderr
    assert POSITIONED.search(result.stderr)
    assert compose.read_bytes() == REMOTE_API


def test_missing_folders_are_all_reported_at_once(tmp_path: Path) -> None:
    compose = project(tmp_path, STACK)
    result = run(tmp_path, "local")
    assert result.exit_code == 2
    assert "./api" in result.stderr and "./web" in result.stderr
    assert compose.read_bytes() == STACK


def test_context_folder_is_looked_for_beside_the_compose_file(tmp_path: Path) -> None:
    stack = tmp_path / "stack"
    compose = project(stack, REMOTE_API, "api")
    result = run(tmp_path, "-f", "stack/compose.yaml", "local")
    assert result.exit_code == 0, result.stderr
    assert compose.read_bytes() == LOCAL_API


def test_context_folder_in_the_working_folder_does_not_count(tmp_path: Path) -> None:
    source_folder(tmp_path / "api")
    compose = project(tmp_path / "stack", REMOTE_API)
    result = run(tmp_path, "-f", "stack/compose.yaml", "local")
    assert result.exit_code == 2
    assert "./api does not exist" in result.stderr
    assert compose.read_bytes() == REMOTE_API


@pytest.mark.parametrize(
    "context", ["https://github.com/org/api.git#main", "${API_SRC}", "git@github.com:org/api.git"]
)
def test_remote_or_variable_contexts_need_no_folder(tmp_path: Path, context: str) -> None:
    compose = project(tmp_path, REMOTE_API)
    result = run(tmp_path, "local", "api", "--context", f"api={context}")
    assert result.exit_code == 0, result.stderr
    assert f"    build:\n      context: {context}\n".encode() in compose.read_bytes()
    assert run(tmp_path, "remote", "api").exit_code == 0
    assert compose.read_bytes() == REMOTE_API


@pytest.mark.parametrize("context", ["~/src/api", "~src/api"])
def test_a_context_in_the_home_folder_is_found_there_and_written_as_given(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, context: str
) -> None:
    # Compose reads '~' as $HOME, and '~src' as $HOME/src (not the home of a user 'src').
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    source_folder(tmp_path / "home" / "src" / "api")
    compose = project(tmp_path / "stack", REMOTE_API)
    result = run(tmp_path / "stack", "local", "api", "--context", f"api={context}")
    assert result.exit_code == 0, result.stderr
    assert f"    build:\n      context: {context}\n".encode() in compose.read_bytes()


def test_a_context_in_the_home_folder_from_the_settings_is_found_there(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    source_folder(tmp_path / "home" / "src" / "api")
    compose = project(
        tmp_path / "stack", b"x-composeswap:\n  context: ~/src/{service}\n" + REMOTE_API
    )
    result = run(tmp_path / "stack", "local")
    assert result.exit_code == 0, result.stderr
    assert b"      context: ~/src/api\n" in compose.read_bytes()


def test_a_missing_context_in_the_home_folder_says_where_it_was_looked_for(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    source_folder(tmp_path / "stack" / "src" / "api")  # beside the file does not count
    compose = project(tmp_path / "stack", REMOTE_API)
    result = run(tmp_path / "stack", "local", "api", "--context", "api=~/src/api")
    assert result.exit_code == 2
    assert result.stderr == (
        f"compose.yaml:2:3: error: services.api: source folder ~/src/api "
        f"does not exist (resolved from {tmp_path / 'home'}); check it out "
        "there, or pass --context api=PATH\n"
    )
    assert compose.read_bytes() == REMOTE_API


# --- unknown services and malformed options -----------------------------------------------------


@pytest.mark.parametrize(
    "args, prefix",
    [
        (["local", "apx"], ""),
        (["remote", "apx"], ""),
        (["local", "api", "--context", "apx=./api"], "--context apx=...: "),
        (["remote", "--image", "apx=reg/api:1"], "--image apx=...: "),
    ],
)
def test_unknown_service_suggests_the_closest(tmp_path: Path, args: list[str], prefix: str) -> None:
    compose = project(tmp_path, STACK, "api", "web")
    result = run(tmp_path, *args)
    assert result.exit_code == 2
    assert f"{prefix}no service 'apx'; did you mean 'api'?" in result.stderr
    assert "api, web, db" in result.stderr
    assert compose.read_bytes() == STACK


def test_unknown_service_without_a_close_match_lists_the_known_ones(tmp_path: Path) -> None:
    project(tmp_path, STACK, "api", "web")
    result = run(tmp_path, "local", "zzzzzz")
    assert result.exit_code == 2
    assert "did you mean" not in result.stderr
    assert "no service 'zzzzzz'" in result.stderr
    assert "api, web, db" in result.stderr


def test_every_unknown_service_is_reported(tmp_path: Path) -> None:
    compose = project(tmp_path, STACK, "api", "web")
    result = run(tmp_path, "local", "apx", "api", "wbe")
    assert result.exit_code == 2
    assert "no service 'apx'" in result.stderr
    assert "no service 'wbe'; did you mean 'web'?" in result.stderr
    assert compose.read_bytes() == STACK  # api is not switched either


@pytest.mark.parametrize(
    "args",
    [
        ["local", "--context", "foo"],
        ["local", "--context", "=./api"],
        ["local", "--context", "api="],
        ["remote", "--image", "api"],
        ["remote", "--image", "=reg/api:1"],
    ],
)
def test_malformed_pair_is_a_usage_error(tmp_path: Path, args: list[str]) -> None:
    compose = project(tmp_path, STACK, "api", "web")
    result = run(tmp_path, *args)
    assert result.exit_code == 2
    assert "SERVICE=VALUE" in result.stderr
    assert compose.read_bytes() == STACK


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["sideways"],
        ["local", "--image", "api=reg/api:1"],
        ["remote", "--context", "api=."],
        ["local", "--target"],
        ["--nope", "local"],
    ],
)
def test_other_usage_errors_exit_2(tmp_path: Path, args: list[str]) -> None:
    compose = project(tmp_path, STACK, "api", "web")
    result = run(tmp_path, *args)
    assert result.exit_code == 2
    assert compose.read_bytes() == STACK


# --- invalid input: a positioned message, exit 2, never a traceback -----------------------------


INVALID = {
    "invalid YAML": (b"services:\n  api: [\n", "compose.yaml:3:1: error: invalid YAML"),
    "tab indent": (b"services:\n\tapi:\n", "compose.yaml:2:1: error: invalid YAML"),
    "duplicate key": (
        b"services:\n  api:\n    image: a\n    image: b\n",
        "compose.yaml:4:5: error: invalid YAML: found duplicate key",
    ),
    "two documents": (b"services: {}\n---\nservices: {}\n", "compose.yaml:2:1: error: "),
    "top level list": (b"- services\n", "compose.yaml:1:1: error: "),
    "nothing but version": (b"version: '3'\n", "compose.yaml:1:1: error: "),
    "services list": (b"services: [api]\n", "compose.yaml:1:11: error: services: "),
    "service scalar": (b"services:\n  api: nginx\n", "compose.yaml:2:8: error: services.api: "),
    "neither image nor build": (
        b"services:\n  api:\n    x-composeswap: {}\n",
        "compose.yaml:2:3: error: services.api: has neither",
    ),
    "empty": (b"", "compose.yaml: error: the file is empty"),
}


@pytest.mark.parametrize("text, message", INVALID.values(), ids=INVALID.keys())
@pytest.mark.parametrize("mode", ["local", "remote"])
def test_invalid_input_is_reported_with_its_position(
    tmp_path: Path, mode: str, text: bytes, message: str
) -> None:
    compose = project(tmp_path, text, "api")
    result = run(tmp_path, mode)
    assert result.exit_code == 2
    assert result.stderr.startswith(message), result.stderr
    assert compose.read_bytes() == text


@pytest.mark.parametrize(
    "character", [b"\x00", b"\x07", b"\xef\xbf\xbe"], ids=["NUL", "BEL", "U+FFFE"]
)
def test_forbidden_character_is_reported_with_its_position(
    tmp_path: Path, character: bytes
) -> None:
    text = b"services:\n  api:\n    image: a" + character + b"b\n"
    compose = project(tmp_path, text, "api")
    result = run(tmp_path, "local")
    assert result.exit_code == 2
    assert result.stderr.startswith("compose.yaml:3:13: error: "), result.stderr
    assert compose.read_bytes() == text


def test_deeply_nested_value_is_a_message_not_a_traceback(tmp_path: Path) -> None:
    depth = 600  # beyond what ruamel's recursive composer survives
    text = (
        b"services:\n  api:\n    image: reg/api:1-dev\n    labels: "
        + b"[" * depth
        + b"]" * depth
        + b"\n"
    )
    compose = project(tmp_path, text, "api")
    result = run(tmp_path, "remote")
    assert result.exit_code == 2
    assert compose.read_bytes() == text


def test_complex_service_name_is_named_readably(tmp_path: Path) -> None:
    text = b"services:\n  ? [a, b]\n  : {image: reg/api:1-dev}\n"
    compose = project(tmp_path, text)
    result = run(tmp_path, "local")
    assert result.exit_code == 2
    assert result.stderr.startswith("compose.yaml:2:5: error: "), result.stderr
    assert "ScalarNode" not in result.stderr
    assert compose.read_bytes() == text


def test_service_that_is_an_alias_is_refused_with_its_position(tmp_path: Path) -> None:
    text = b"x-a: &a\n  image: ${DOCKER_REGISTRY}/api:${IMAGE_TAG}-dev\nservices:\n  api: *a\n"
    compose = project(tmp_path, text, "api")
    result = run(tmp_path, "local")
    assert result.exit_code == 2
    assert compose.read_bytes() == text
    assert result.stderr.startswith("compose.yaml:4:3: error: services.api: "), result.stderr
    assert "please report" not in result.stderr


# --- choosing services ---------------------------------------------------------------------------


WORKERS = (
    b"services:\n"
    b"  api:\n    image: ${DOCKER_REGISTRY}/api:${IMAGE_TAG}-dev\n"
    b"  worker-a:\n    image: ${DOCKER_REGISTRY}/worker-a:${IMAGE_TAG}-dev\n"
    b"  worker-b:\n    image: ${DOCKER_REGISTRY}/worker-b:${IMAGE_TAG}-dev\n"
)


def test_a_pattern_chooses_a_family_of_services(tmp_path: Path) -> None:
    compose = project(tmp_path, WORKERS, "api", "worker-a", "worker-b")
    result = run(tmp_path, "local", "worker-*")
    assert result.exit_code == 0, result.stderr
    assert "worker-a to local" in result.stderr and "worker-b to local" in result.stderr
    assert b"  api:\n    image:" in compose.read_bytes()
    assert compose.read_bytes().count(b"build:") == 2


def test_a_pattern_that_matches_nothing_is_refused(tmp_path: Path) -> None:
    compose = project(tmp_path, WORKERS, "api")
    result = run(tmp_path, "local", "cron-*")
    assert result.exit_code == 2
    assert result.stderr == (
        "compose.yaml: error: no service matches 'cron-*'; "
        "`composeswap status` lists the 3 services\n"
    )
    assert compose.read_bytes() == WORKERS


def test_an_unknown_name_in_a_big_project_gets_the_closest_names_only(tmp_path: Path) -> None:
    text = b"services:\n" + b"".join(
        b"  svc%d:\n    image: postgres:16\n" % index for index in range(40)
    )
    project(tmp_path, text)
    result = run(tmp_path, "local", "svc4O")
    assert result.exit_code == 2
    assert result.stderr.startswith("compose.yaml: error: no service 'svc4O'; did you mean ")
    assert "svc39" not in result.stderr and "lists the 40 services" in result.stderr


@pytest.mark.skipif(sys.platform == "win32", reason="closes a descriptor before exec")
@pytest.mark.parametrize(
    ("closed", "args"),
    [
        (1, ("local", "--diff")),  # the diff has nowhere to go
        (1, ("local",)),  # the switch still happens
        (2, ("local",)),  # and without anywhere for its messages
        (1, ("--help",)),  # click's own output
        (2, ("local", "--nope")),  # click's own error
    ],
)
def test_a_closed_output_is_no_traceback(
    tmp_path: Path, closed: int, args: tuple[str, ...]
) -> None:
    # `composeswap ... >&-` starts Python with sys.stdout (or stderr) set to None.
    compose = project(tmp_path, REMOTE_API, "api")
    done = subprocess.run(
        [sys.executable, "-m", "composeswap", *args],
        cwd=tmp_path,
        capture_output=True,
        preexec_fn=lambda: os.close(closed),
        timeout=60,
    )
    other = done.stderr if closed == 1 else done.stdout
    assert b"Traceback" not in other, other.decode()
    assert done.returncode == (2 if "--nope" in args else 0), other.decode()
    assert compose.read_bytes() == (LOCAL_API if args == ("local",) else REMOTE_API)
