"""Projects of several files, found as Docker Compose finds them, switched in the file that decides.

Each case is a small project on disk. composeswap runs in a given folder with given options and
environment; Docker Compose reads the project from the same folder with the same options before
and after, and must read every service but the switched one exactly as before, and the switched
one in the asked form. Only the expected files change, and switching back restores every file
byte for byte.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple

import pytest

from tests.helpers import (
    OPPOSITE,
    ORACLE_ENV,
    assert_only_switched_differ,
    docker_compose,
    run,
    source_folder,
)

DEV = "${DOCKER_REGISTRY}/NAME:${IMAGE_TAG}-dev"


def image(name: str) -> str:
    return DEV.replace("NAME", name)


class Project(NamedTuple):
    files: dict[str, str]  # path below the root -> text
    folders: tuple[str, ...] = ()  # source folders to create


def write(root: Path, project: Project) -> None:
    for path, text in project.files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text)
    for folder in project.folders:
        source_folder(root / folder)


def snapshot(root: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(root)): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def compose_reading(cwd: Path, options: Sequence[str], env: Mapping[str, str]) -> dict[str, Any]:
    """Docker Compose's reading of the project, every profile active."""
    done = subprocess.run(
        [str(docker_compose()), *options, "--profile", "*", "config", "--format", "json"],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": os.environ.get("PATH", ""), "HOME": str(cwd), **ORACLE_ENV, **env},
    )
    assert done.returncode == 0, done.stderr
    reading: dict[str, Any] = json.loads(done.stdout)
    return reading


def reads_as(service: Mapping[str, Any], mode: str) -> bool:
    if mode == "local":
        return "build" in service and "image" not in service
    return "image" in service


class Case(NamedTuple):
    project: Project
    cwd: str  # below the root
    options: tuple[str, ...]  # before the command, as for docker compose
    mode: str
    service: str
    edited: tuple[str, ...]  # the files the switch must change
    env: Mapping[str, str] = {}


CASES = {
    "from a subfolder": Case(
        Project(
            {"compose.yaml": f"services:\n  api:\n    image: {image('api')}\n"},
            ("api", "api/internal/handlers"),
        ),
        "api/internal/handlers",
        (),
        "local",
        "api",
        ("compose.yaml",),
    ),
    "two -f files": Case(
        Project(
            {
                "a/compose.yaml": f"services:\n  api:\n    image: {image('api')}\n",
                "b/compose.yaml": "services:\n  web:\n    build:\n      context: ./web\n"
                "      target: dev\n",
            },
            ("a/web",),
        ),
        ".",
        ("-f", "a/compose.yaml", "-f", "b/compose.yaml"),
        "remote",
        "web",
        ("b/compose.yaml",),
    ),
    "COMPOSE_FILE in .env, a stray compose.yaml": Case(
        Project(
            {
                ".env": "COMPOSE_FILE=base.yaml:dev.yaml\n",
                "base.yaml": f"services:\n  api:\n    image: {image('api')}\n",
                "dev.yaml": "services:\n  api:\n    environment:\n      DEBUG: '1'\n",
                "compose.yaml": "services:\n  stray:\n    image: busybox\n",
            },
            ("api",),
        ),
        ".",
        (),
        "local",
        "api",
        ("base.yaml",),
    ),
    "COMPOSE_FILE in the environment": Case(
        Project(
            {
                "base.yaml": f"services:\n  api:\n    image: {image('api')}\n",
                "dev.yaml": "services:\n  api:\n    build:\n      context: ./api\n"
                "      target: dev\n    image: !reset null\n",
            },
            ("api",),
        ),
        ".",
        (),
        "remote",
        "api",
        ("dev.yaml",),
        {"COMPOSE_FILE": "base.yaml:dev.yaml"},
    ),
    "the image in the override file": Case(
        Project(
            {
                "compose.yaml": "services:\n  web:\n    ports:\n      - '80:80'\n",
                "compose.override.yaml": f"services:\n  web:\n    image: {image('web')}\n",
            },
            ("web",),
        ),
        ".",
        (),
        "local",
        "web",
        ("compose.override.yaml",),
    ),
    "a build in the override over an image in the base": Case(
        Project(
            {
                "compose.yaml": f"services:\n  api:\n    image: {image('api')}\n",
                "compose.override.yaml": "services:\n  api:\n    build:\n"
                "      context: ./api\n      target: dev\n",
            },
            ("api",),
        ),
        ".",
        (),
        "local",
        "api",
        ("compose.override.yaml",),
    ),
    "an included file": Case(
        Project(
            {
                "compose.yaml": "include:\n  - svc/compose.yaml\nservices:\n  db:\n"
                "    image: postgres:16\n",
                "svc/compose.yaml": f"services:\n  api:\n    image: {image('api')}\n",
            },
            ("svc/api",),
        ),
        ".",
        (),
        "local",
        "api",
        ("svc/compose.yaml",),
    ),
    "extends from another file": Case(
        Project(
            {
                "compose.yaml": "services:\n  api:\n    extends:\n      file: common/base.yaml\n"
                "      service: base\n",
                "common/base.yaml": f"services:\n  base:\n    image: {image('base')}\n",
            },
            ("api",),
        ),
        ".",
        (),
        "local",
        "api",
        ("compose.yaml",),
    ),
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_a_project_switches_in_the_file_that_decides_and_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, case: Case
) -> None:
    write(tmp_path, case.project)
    cwd = tmp_path / case.cwd
    for name, value in case.env.items():
        monkeypatch.setenv(name, value)
    original = snapshot(tmp_path)
    before = compose_reading(cwd, case.options, case.env)

    there = run(cwd, *case.options, case.mode, case.service)
    assert there.exit_code == 0, there.stderr
    changed = [path for path, text in snapshot(tmp_path).items() if original[path] != text]
    assert changed == list(case.edited)
    after = compose_reading(cwd, case.options, case.env)
    assert_only_switched_differ(before, after, [case.service])
    assert reads_as(after["services"][case.service], case.mode), after["services"][case.service]

    back = run(cwd, *case.options, OPPOSITE[case.mode], case.service)
    assert back.exit_code == 0, back.stderr
    assert snapshot(tmp_path) == original


def test_check_judges_every_file_of_the_project(tmp_path: Path) -> None:
    """The CI check fails while a service in any -f file is local, not only in the last."""
    write(tmp_path, CASES["two -f files"].project)
    options = ("-f", "a/compose.yaml", "-f", "b/compose.yaml")
    result = run(tmp_path, *options, "remote", "--check")
    assert result.exit_code == 1, result.stderr
    assert result.stderr.startswith(
        "b/compose.yaml:2:3: error: services.web: is local; remote would switch it: image "
    )
    alone = run(tmp_path, "-f", "a/compose.yaml", "remote", "--check")
    assert alone.exit_code == 0, alone.stderr  # -f with one file: that file alone is judged


def test_f_after_the_command_is_the_same_as_before_it(tmp_path: Path) -> None:
    write(tmp_path, CASES["two -f files"].project)
    before = run(tmp_path, "-f", "a/compose.yaml", "-f", "b/compose.yaml", "remote", "--diff")
    after = run(tmp_path, "remote", "-f", "a/compose.yaml", "-f", "b/compose.yaml", "--diff")
    assert before.exit_code == after.exit_code == 0
    assert before.stdout == after.stdout and "+++ b/b/compose.yaml" in before.stdout


def test_names_from_every_file_are_defined(tmp_path: Path) -> None:
    write(
        tmp_path,
        Project(
            {
                "compose.yaml": "include:\n  - db.yaml\nservices:\n  api:\n"
                f"    image: {image('api')}\n    depends_on: [db]\n    networks: [back]\n",
                "db.yaml": "services:\n  db:\n    image: postgres:16\n    networks: [back]\n"
                "networks:\n  back: {}\n",
            }
        ),
    )
    result = run(tmp_path, "validate")
    assert result.exit_code == 0, result.stderr
    compose_reading(tmp_path, (), {})  # Compose accepts it too


def test_a_service_whose_image_comes_from_the_override_is_valid(tmp_path: Path) -> None:
    write(tmp_path, CASES["the image in the override file"].project)
    result = run(tmp_path, "validate")
    assert result.exit_code == 0, result.stderr
    alone = run(tmp_path, "-f", "compose.yaml", "validate")
    assert alone.exit_code == 2  # without the override, web has neither image nor build
    assert "compose.yaml:2:3: error: services.web: has neither" in alone.stderr


def test_a_switch_that_edits_two_files_writes_both_or_neither(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file that cannot be written stops the run before any file is replaced."""
    write(
        tmp_path,
        Project(
            {
                "a/compose.yaml": f"services:\n  api:\n    image: {image('api')}\n",
                "b/compose.yaml": f"services:\n  web:\n    image: {image('web')}\n",
            },
            ("a/api", "a/web"),
        ),
    )
    original = snapshot(tmp_path)
    (tmp_path / "b/compose.yaml").chmod(0o444)
    result = run(tmp_path, "-f", "a/compose.yaml", "-f", "b/compose.yaml", "local")
    assert result.exit_code == 2
    assert "b/compose.yaml: error: the file is read-only" in result.stderr
    assert snapshot(tmp_path) == original


INTERPOLATED = {
    "a required variable from .env": (
        {
            ".env": "TAG=1.27\n",
            "compose.yaml": "services:\n  web:\n    image: nginx:${TAG:?set TAG}\n",
        },
        True,
    ),
    "a required variable unset": (
        {"compose.yaml": "services:\n  web:\n    image: nginx:${TAG:?set TAG}\n"},
        False,
    ),
    "an unset name left empty": (
        {
            "compose.yaml": "services:\n  web:\n    image: nginx\n"
            "    container_name: ${FIXED_NAME}\n"
        },
        False,
    ),
    "a default and a literal dollar": (
        {
            "compose.yaml": "services:\n  web:\n    image: nginx\n"
            "    container_name: ${NAME:-web1}\n"
            "    environment:\n      A: $$HOME\n"
        },
        True,
    ),
    "a required variable in an override file": (
        {
            "compose.yaml": "services:\n  web:\n    image: nginx\n",
            "compose.override.yaml": "services:\n  web:\n    container_name: ${NAME?name it}\n",
        },
        False,
    ),
}


@pytest.mark.parametrize("files, valid", INTERPOLATED.values(), ids=INTERPOLATED.keys())
def test_validate_interpolates_as_compose_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, files: dict[str, str], valid: bool
) -> None:
    for name in ("TAG", "NAME", "FIXED_NAME"):
        monkeypatch.delenv(name, raising=False)
    write(tmp_path, Project(files))
    result = run(tmp_path, "validate")
    assert (result.exit_code == 0) is valid, result.stderr
    done = subprocess.run(
        [str(docker_compose()), "config", "-q"],
        cwd=tmp_path,
        timeout=60,
        capture_output=True,
        env={"PATH": os.environ.get("PATH", "")},
    )
    assert (done.returncode == 0) is valid
    if not valid:  # at the value, in the file that writes it
        assert result.stderr.startswith(("compose.yaml:", "compose.override.yaml:"))
        assert ":3:" in result.stderr or ":4:" in result.stderr


def test_a_form_from_other_files_with_nowhere_to_mask_it_is_refused_at_the_service(
    tmp_path: Path,
) -> None:
    """The file that decides holds only a key composeswap set aside: there is no own key to
    write a mask after, which is a positioned refusal, not an internal error."""
    write(
        tmp_path,
        Project(
            {
                "a.yaml": f"services:\n  api:\n    image: {image('api')}\n",
                "b.yaml": "services:\n  api:\n    build: ./api\n",
                "c.yaml": "services:\n  api:\n    x-composeswap-image: x\n",
            },
            ("api",),
        ),
    )
    original = snapshot(tmp_path)
    result = run(tmp_path, "-f", "a.yaml", "-f", "b.yaml", "-f", "c.yaml", "local", "api")
    assert result.exit_code == 2, result.stderr
    assert result.stderr.startswith("c.yaml:2:3: error: services.api: gets its form from other")
    assert snapshot(tmp_path) == original
