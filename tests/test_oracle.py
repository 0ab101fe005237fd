"""Docker Compose as the oracle on composeswap's output.

Every golden case (fixtures/golden/*/ with before.yaml, after.yaml and ``command``) goes through
``docker-compose config``: both files are accepted, and each service the command switches reads
in the asked form. The demo project is switched to local, read by Compose, and switched back.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import FIXTURES, compose_config, compose_json, load_yaml, run

GOLDEN = FIXTURES / "golden"
CASE_FOLDERS = sorted(path for path in GOLDEN.iterdir() if path.is_dir()) if GOLDEN.is_dir() else []

# Used only while fixtures/golden holds no case, so the oracle always has something to read.
# Written to tmp_path by the test that uses them, never to fixtures/.
BUILTIN_CASES = {
    "builtin-local": {
        "before.yaml": b"services:\n"
                       b"  api:\n    image: ${DOCKER_REGISTRY}/api:${IMAGE_TAG}-dev\n"
                       b"  db:\n    image: postgres:16\n",
        "after.yaml": b"services:\n"
                      b"  api:\n    build:\n      context: ./api\n      target: dev\n"
                      b"  db:\n    image: postgres:16\n",
        "command": b"local api\n",
    },
    "builtin-remote": {
        "before.yaml": b"services:\n  web:\n    build: ./web  # from the checkout\n",
        "after.yaml": b"services:\n  web:\n    x-composeswap-build: ./web  # from the checkout\n"
                      b"    image: ${DOCKER_REGISTRY}/web:${IMAGE_TAG}-dev\n",
        "command": b"remote web\n",
    },
}

# Options that take a value, so that the value is not read as a service name.
VALUE_OPTIONS = {"-f", "--file", "--context", "--image", "--target", "--format"}
PAUSED_BUILD, PAUSED_IMAGE = "x-composeswap-paused-build", "x-composeswap-paused-image"


@dataclass(frozen=True)
class Case:
    name: str
    folder: Path | None  # None: one of BUILTIN_CASES

    def materialize(self, tmp_path: Path) -> Path:
        """The case's folder: the fixture itself, or a built-in case written under tmp_path."""
        if self.folder is not None:
            return self.folder
        folder = tmp_path / "case"
        folder.mkdir()
        for name, text in BUILTIN_CASES[self.name].items():
            (folder / name).write_bytes(text)
        return folder


CASES = ([Case(folder.name, folder) for folder in CASE_FOLDERS]
         or [Case(name, None) for name in BUILTIN_CASES])


@dataclass(frozen=True)
class Request:
    mode: str
    services: tuple[str, ...]
    target: str | None


def parse_command(args: list[str]) -> Request:
    mode, services, target = "", [], None
    words = iter(args)
    for word in words:
        if word in VALUE_OPTIONS:
            value = next(words)
            target = value if word == "--target" else target
        elif word.startswith("--target="):
            target = word.partition("=")[2]
        elif word.startswith("-"):
            continue
        elif not mode:
            mode = word
        else:
            services.append(word)
    assert mode in ("local", "remote"), args
    return Request(mode, tuple(services), target)


def load(file: Path) -> dict[str, Any]:
    data: dict[str, Any] = load_yaml(file.read_bytes())
    return data


def switched_services(request: Request, before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """The named services, or without names the services whose definition changed."""
    if request.services:
        return list(request.services)
    return [name for name, entry in before["services"].items()
            if entry != after["services"][name]]


def project(case: Path, which: str, folder: Path) -> Path:
    """``which`` as compose.yaml, with a folder per service and per line of ``folders``."""
    root = folder / "project"
    names = list(load(case / "before.yaml")["services"])
    if (case / "folders").exists():
        names += (case / "folders").read_text().split()
    for name in names:
        (root / name).mkdir(parents=True, exist_ok=True)
    compose = root / "compose.yaml"
    compose.write_bytes((case / which).read_bytes())
    return compose


def kept_build(entry: dict[str, Any]) -> Any:
    """The build ``local`` keeps or puts back rather than writes, if the service has one."""
    for key in ("build", "x-composeswap-build", PAUSED_BUILD):
        if key in entry:
            return entry[key]
    return None


def configured_target(before: dict[str, Any], name: str, request: Request) -> str:
    own = before["services"][name].get("x-composeswap") or {}
    top = before.get("x-composeswap") or {}
    return str(request.target or own.get("target") or top.get("target") or "dev")


def check_local(service: dict[str, Any], before: dict[str, Any], name: str,
                request: Request) -> None:
    entry = before["services"][name]
    assert "build" in service, (name, service)
    if not (PAUSED_BUILD in entry and "image" in entry):  # unpausing makes it hybrid again
        assert "image" not in service, (name, service)
    build = kept_build(entry)
    if build is None:
        assert service["build"].get("target") == configured_target(before, name, request)
        assert Path(service["build"]["context"]).is_dir(), service["build"]
    else:
        assert service["build"].get("target") == (
            build.get("target") if isinstance(build, dict) else None)


def check_remote(service: dict[str, Any], before: dict[str, Any], name: str) -> None:
    entry = before["services"][name]
    assert isinstance(service.get("image"), str) and service["image"], (name, service)
    assert "$" not in service["image"], service["image"]
    if not (PAUSED_IMAGE in entry and "build" in entry):  # unpausing makes it hybrid again
        assert "build" not in service, (name, service)


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_docker_compose_reads_the_asked_form(case: Case, tmp_path: Path) -> None:
    source = case.materialize(tmp_path)
    request = parse_command((source / "command").read_text().splitlines()[0].split())
    before, after = load(source / "before.yaml"), load(source / "after.yaml")
    names = switched_services(request, before, after)
    assert names, "the command switches nothing"

    configs = {}
    for which in ("before.yaml", "after.yaml"):
        compose = project(source, which, tmp_path / which.removesuffix(".yaml"))
        done = compose_config(compose, "-q")
        assert done.returncode == 0, f"docker-compose rejected {which}:\n{done.stderr}"
        configs[which] = compose_json(compose)

    services = configs["after.yaml"]["services"]
    for name in names:
        if request.mode == "local":
            check_local(services[name], before, name, request)
        else:
            check_remote(services[name], before, name)


@pytest.mark.parametrize("name", sorted(BUILTIN_CASES))
def test_builtin_cases_are_what_composeswap_writes(name: str, tmp_path: Path) -> None:
    source = Case(name, None).materialize(tmp_path)
    compose = project(source, "before.yaml", tmp_path)
    args = (source / "command").read_text().split()
    assert run(compose.parent, *args).exit_code == 0
    assert compose.read_bytes() == (source / "after.yaml").read_bytes()


# --- the demo project ---------------------------------------------------------------------------


def test_demo_local_builds_api_and_web_then_remote_restores_the_bytes(tmp_path: Path) -> None:
    folder = tmp_path / "demo"
    shutil.copytree(FIXTURES / "demo", folder)
    compose = folder / "compose.yaml"
    original, original_config = compose.read_bytes(), compose_json(compose)

    local = run(folder, "local")
    assert local.exit_code == 0, local.stderr
    done = compose_config(compose, "-q")
    assert done.returncode == 0, done.stderr
    config = compose_json(compose)
    for name in ("api", "web"):
        service = config["services"][name]
        assert "image" not in service
        assert service["build"]["target"] == "dev"
        assert Path(service["build"]["context"]).resolve() == (folder / name).resolve()
        rest = {key: value for key, value in service.items() if key != "build"}
        assert rest == {key: value for key, value in original_config["services"][name].items()
                        if key != "image"}
    assert config["services"]["db"] == original_config["services"]["db"]
    assert config["services"]["db"]["image"] == "postgres:16"

    remote = run(folder, "remote")
    assert remote.exit_code == 0, remote.stderr
    assert compose.read_bytes() == original
