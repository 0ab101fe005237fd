"""`local` reads the Dockerfile the switched build uses and refuses a target stage it lacks.

The Dockerfile is found as Compose finds it (build.dockerfile in the context, Dockerfile by
default, dockerfile_inline, the x-composeswap dockerfile setting) and read as BuildKit reads
stages (composeswap.dockerfile, tested on its own in tests/test_dockerfile.py).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import REMOTE_API, run

REMOTE = REMOTE_API.decode()  # texts here are built by adding lines to it


def project(tmp_path: Path, text: str, dockerfiles: dict[str, str]) -> Path:
    tmp_path.mkdir(exist_ok=True)
    compose = tmp_path / "compose.yaml"
    compose.write_text(text)
    (tmp_path / "api").mkdir()
    for name, content in dockerfiles.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(content)
    return compose


REFUSED = {
    "no such stage": (
        REMOTE,
        {"api/Dockerfile": "FROM alpine AS base\nFROM base AS prod\n"},
        "./api/Dockerfile has no stage 'dev' (stages: base, prod)",
    ),
    "no Dockerfile": (REMOTE, {}, "no Dockerfile at ./api/Dockerfile to build target 'dev'"),
    "only unnamed stages": (
        REMOTE,
        {"api/Dockerfile": "FROM alpine\n"},
        "./api/Dockerfile has no stage 'dev' (stages: none named)",
    ),
    "a stage inside a heredoc does not count": (
        REMOTE,
        {"api/Dockerfile": "FROM alpine AS base\nRUN <<EOF\nFROM base AS dev\nEOF\n"},
        "./api/Dockerfile has no stage 'dev' (stages: base)",
    ),
    "the configured Dockerfile": (
        "x-composeswap: {dockerfile: Dockerfile.local}\n" + REMOTE,
        {"api/Dockerfile": "FROM alpine AS dev\n", "api/Dockerfile.local": "FROM alpine AS x\n"},
        "./api/Dockerfile.local has no stage 'dev' (stages: x)",
    ),
    "an unreadable Dockerfile": (
        REMOTE,
        {"api/Dockerfile": "FORM alpine AS dev\n"},
        "./api/Dockerfile: line 1: unknown instruction",
    ),
}


@pytest.mark.parametrize("text, dockerfiles, message", REFUSED.values(), ids=REFUSED.keys())
def test_a_missing_stage_is_refused_at_the_service(
    tmp_path: Path, text: str, dockerfiles: dict[str, str], message: str
) -> None:
    compose = project(tmp_path, text, dockerfiles)
    result = run(tmp_path, "local", "api")
    assert result.exit_code == 2, result.stderr
    line = text.splitlines().index("  api:") + 1
    assert result.stderr.startswith(f"compose.yaml:{line}:3: error: services.api: {message}"), (
        result.stderr
    )
    assert "--no-stage-check" in result.stderr
    assert compose.read_text() == text
    forced = run(tmp_path, "local", "api", "--no-stage-check")
    assert forced.exit_code == 0, forced.stderr


ACCEPTED = {
    "a dev stage": (REMOTE, {"api/Dockerfile": "FROM alpine AS base\nFROM base AS dev\n"}),
    "names compared as BuildKit does": (REMOTE, {"api/Dockerfile": "from alpine as Dev\n"}),
    "a continued FROM line": (REMOTE, {"api/Dockerfile": "FROM alpine \\\n  AS dev\n"}),
    "the escape directive": (REMOTE, {"api/Dockerfile": "# escape=`\nFROM alpine `\n  AS dev\n"}),
    "the configured Dockerfile": (
        "x-composeswap: {dockerfile: Dockerfile.local}\n" + REMOTE,
        {"api/Dockerfile.local": "FROM alpine AS dev\n"},
    ),
    "a URL context is not checked": (
        "x-composeswap: {context: 'https://github.com/acme/api.git'}\n" + REMOTE,
        {},
    ),
    "a GitHub context is not checked": (
        "x-composeswap: {context: 'github.com/acme/api'}\n" + REMOTE,
        {},
    ),
    "a context with variables is not checked": (
        "x-composeswap: {context: '${SRC}/api'}\n" + REMOTE,
        {},
    ),
}


@pytest.mark.parametrize("text, dockerfiles", ACCEPTED.values(), ids=ACCEPTED.keys())
def test_a_build_with_its_stage_switches(
    tmp_path: Path, text: str, dockerfiles: dict[str, str]
) -> None:
    project(tmp_path, text, dockerfiles)
    result = run(tmp_path, "local", "api")
    assert result.exit_code == 0, result.stderr


def test_the_configured_dockerfile_is_written_into_the_build(tmp_path: Path) -> None:
    text = "x-composeswap: {dockerfile: Dockerfile.local}\n" + REMOTE
    compose = project(tmp_path, text, {"api/Dockerfile.local": "FROM alpine AS dev\n"})
    assert run(tmp_path, "local", "api").exit_code == 0
    assert (
        "    build:\n      context: ./api\n      dockerfile: Dockerfile.local\n"
        "      target: dev\n" in compose.read_text()
    )
    assert run(tmp_path, "remote", "api").exit_code == 0
    assert compose.read_text() == text


def test_a_restored_build_is_checked_only_for_the_target_it_names(tmp_path: Path) -> None:
    """Switching back to a build the user wrote is never refused for a stage it does not ask."""
    saved = (
        "services:\n  api:\n    x-composeswap-build: ./api\n"
        "    image: ${DOCKER_REGISTRY}/api:${IMAGE_TAG}-dev\n"
    )
    project(tmp_path, saved, {})  # no Dockerfile at all
    assert run(tmp_path, "local", "api").exit_code == 0
    targeted = saved.replace(
        "x-composeswap-build: ./api", "x-composeswap-build: {context: ./api, target: debug}"
    )
    project(tmp_path / "other", targeted, {"api/Dockerfile": "FROM alpine AS dev\n"})
    result = run(tmp_path / "other", "local", "api")
    assert result.exit_code == 2
    assert "has no stage 'debug' (stages: dev)" in result.stderr


def test_an_inline_dockerfile_is_read(tmp_path: Path) -> None:
    saved = (
        "services:\n  api:\n    x-composeswap-build:\n      context: ./api\n"
        "      dockerfile_inline: |\n        FROM alpine AS base\n      target: dev\n"
        "    image: ${DOCKER_REGISTRY}/api:${IMAGE_TAG}-dev\n"
    )
    project(tmp_path, saved, {})
    result = run(tmp_path, "local", "api")
    assert result.exit_code == 2
    assert "its dockerfile_inline has no stage 'dev' (stages: base)" in result.stderr
