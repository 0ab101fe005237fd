"""Docker Compose as the oracle on composeswap's output.

Every golden case (fixtures/golden/*/ with before.yaml, after.yaml and ``command``) goes through
``docker-compose config``, every profile included: both files are accepted, every service the
command does not switch reads exactly the same in both, a switched service differs only in its
image and build, and reads in the asked form, in both directions (the golden test shows that the
reverse command turns after.yaml back into before.yaml). The demo project is switched to local,
read by Compose the same way, and switched back.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import (
    FIXTURES,
    GOLDEN_CASES,
    OPPOSITE,
    SWITCHED_KEYS,
    assert_only_switched_differ,
    compose_project,
    golden_project,
    load_yaml,
    run,
)

# Options that take a value, so that the value is not read as a service name.
VALUE_OPTIONS = {"-f", "--file", "--context", "--image", "--target", "--format"}
PAUSED_BUILD = "x-composeswap-paused-build"


@dataclass(frozen=True)
class Request:
    mode: str
    services: tuple[str, ...]
    target: str | None = None
    contexts: tuple[tuple[str, str], ...] = ()  # --context SERVICE=PATH, in order

    def context(self, name: str) -> str | None:
        return dict(self.contexts).get(name)


def parse_command(args: list[str]) -> Request:
    mode, services, options = "", [], []
    words = iter(args)
    for word in words:
        option, equals, value = word.partition("=")
        if word in VALUE_OPTIONS:
            options.append((word, next(words)))
        elif equals and option in VALUE_OPTIONS:
            options.append((option, value))
        elif word.startswith("-"):
            continue
        elif not mode:
            mode = word
        else:
            services.append(word)
    assert mode in OPPOSITE, args
    targets = [value for option, value in options if option == "--target"]
    contexts = [value.partition("=") for option, value in options if option == "--context"]
    return Request(
        mode,
        tuple(services),
        targets[-1] if targets else None,
        tuple((service, path) for service, _, path in contexts),
    )


def commands(source: Path) -> tuple[Request, Request]:
    """The case's command, and the one that turns after.yaml back into before.yaml."""
    lines = (source / "command").read_text().splitlines()
    forward = parse_command(lines[0].split())
    if len(lines) > 1:
        return forward, parse_command(lines[1].split())
    return forward, Request(OPPOSITE[forward.mode], forward.services)


def load(file: Path) -> dict[str, Any]:
    data: dict[str, Any] = load_yaml(file.read_bytes())
    return data


def switched_services(request: Request, before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """The named services, or without names the services whose definition changed."""
    if request.services:
        return list(request.services)
    return [name for name, entry in before["services"].items() if entry != after["services"][name]]


def compose_reading(compose: Path, text: bytes) -> dict[str, Any]:
    compose.write_bytes(text)
    return compose_project(compose)


def reads_as_asked(service: dict[str, Any], mode: str) -> bool:
    """Whether Compose's reading of a service is in the asked form: local builds and pulls no
    image (or always builds, by pull_policy); remote pulls, and builds only if the pull fails."""
    if mode == "local":
        return "build" in service and (
            "image" not in service or service.get("pull_policy") == "build"
        )
    return "image" in service and service.get("pull_policy") != "build"


def expected_build(
    entry: dict[str, Any], top: dict[str, Any], name: str, request: Request
) -> tuple[str, str | None]:
    """The context and target of the build ``local`` puts back or writes."""
    for key in ("x-composeswap-build", PAUSED_BUILD):
        if key in entry:
            kept = entry[key]
            return (
                (kept, None)
                if isinstance(kept, str)
                else (kept.get("context", "."), kept.get("target"))
            )
    own = entry.get("x-composeswap") or {}
    target = str(request.target or own.get("target") or top.get("target") or "dev")
    context = str(
        request.context(name) or own.get("context") or top.get("context") or "./{service}"
    )
    return context.replace("{service}", name).replace("{target}", target), target


def check_switched(
    request: Request,
    written: dict[str, Any],
    source: dict[str, Any],
    result: dict[str, Any],
    names: list[str],
    folder: Path,
) -> None:
    """Each switched service of ``result`` (Compose's reading of the output) is in the asked form.

    ``written`` is the input file's data, ``source`` Compose's reading of it.
    """
    for name in names:
        entry, service = written["services"][name], result["services"][name]
        assert reads_as_asked(service, request.mode), (name, service)
        for key in SWITCHED_KEYS:  # what the service keeps (a hybrid's other half) is unchanged
            if key in source["services"][name] and key in service:
                assert service[key] == source["services"][name][key], (name, key)
        if request.mode == "local" and "build" not in entry:
            context, target = expected_build(
                entry, written.get("x-composeswap") or {}, name, request
            )
            assert service["build"]["context"] == os.path.normpath(folder / context), name
            assert Path(service["build"]["context"]).is_dir(), service["build"]
            assert service["build"].get("target") == target, (name, service["build"])
        if request.mode == "remote":
            image = service["image"]
            assert isinstance(image, str) and image and "$" not in image, (name, image)


# test_golden checks the cases' bytes; this, Compose's reading of them.
@pytest.mark.parametrize("source", GOLDEN_CASES, ids=[case.name for case in GOLDEN_CASES])
def test_docker_compose_reads_the_asked_form(source: Path, tmp_path: Path) -> None:
    forward, backward = commands(source)
    before, after = load(source / "before.yaml"), load(source / "after.yaml")
    names = switched_services(forward, before, after)
    assert names, "the command switches nothing"

    # before.yaml and after.yaml are both read from here, so that the absolute paths in
    # Compose's readings of them match.
    compose = golden_project(source, tmp_path)
    old = compose_reading(compose, (source / "before.yaml").read_bytes())
    new = compose_reading(compose, (source / "after.yaml").read_bytes())
    assert_only_switched_differ(old, new, names)
    check_switched(forward, before, old, new, names, compose.parent)
    check_switched(
        backward, after, new, old, switched_services(backward, after, before), compose.parent
    )


# --- the demo project ---------------------------------------------------------------------------


def test_demo_local_builds_api_and_web_then_remote_restores_the_bytes(tmp_path: Path) -> None:
    folder = tmp_path / "demo"
    shutil.copytree(FIXTURES / "demo", folder)
    compose = folder / "compose.yaml"
    original, original_config = compose.read_bytes(), compose_project(compose)

    local = run(folder, "local")
    assert local.exit_code == 0, local.stderr
    config = compose_project(compose)
    assert_only_switched_differ(original_config, config, ["api", "web"])  # db is left alone
    check_switched(
        Request("local", ()),
        load_yaml(original),
        original_config,
        config,
        ["api", "web"],
        folder.resolve(),
    )

    remote = run(folder, "remote")
    assert remote.exit_code == 0, remote.stderr
    assert compose.read_bytes() == original
