"""Every service with its own ``build`` in the awesome-compose corpus goes to remote and back.

A service with both ``image`` and ``build`` already counts as remote (Compose pulls it first):
``remote`` leaves it as it is, and ``local`` then ``remote`` gives back its bytes.

``remote SERVICE`` then ``local SERVICE`` gives back the original bytes, or composeswap refuses
(exit 2, one positioned message per problem, file untouched) exactly where EXPECTED_REFUSALS says.
Docker Compose is the oracle on the file in between: it accepts the remote form, reads the
service with an image and no build, and reads every other part of the project as before.
"""

from __future__ import annotations

import re
import shutil
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import (
    CORPUS,
    CORPUS_FILES,
    ORACLE_ENV,
    Result,
    compose_config,
    compose_json,
    load_yaml,
    run,
)

# (example folder, service) -> a substring of the message composeswap refuses the round trip
# with. Empty: every corpus build switches to remote and back. A refusal that appears, or one
# listed here that no longer happens, fails test_refusals_are_exactly_the_listed_ones.
EXPECTED_REFUSALS: dict[tuple[str, str], str] = {}

# Example folder -> why Docker Compose rejects the unedited file (a missing env file, secret,
# ...); such a file says nothing about composeswap's output, so the oracle tests leave it out.
# Empty: Compose accepts every corpus file that has a build.
COMPOSE_REJECTS_AS_IS: dict[str, str] = {}


def load(file: Path) -> dict[str, Any]:
    data: dict[str, Any] = load_yaml(file.read_bytes())
    return data


def services_with_build(file: Path) -> list[str]:
    return [
        str(name)
        for name, service in load(file)["services"].items()
        if isinstance(service, dict) and "build" in service
    ]


def is_hybrid(file: Path, service: str) -> bool:
    return "image" in load(file)["services"][service]


BUILT = [(file, service) for file in CORPUS_FILES for service in services_with_build(file)]
FILES_WITH_BUILD = sorted({file for file, _ in BUILT})
ORACLE_PAIRS = [
    (file, service)
    for file, service in BUILT
    if (file.parent.name, service) not in EXPECTED_REFUSALS
    and file.parent.name not in COMPOSE_REJECTS_AS_IS
]
HYBRIDS = [(file, service) for file, service in ORACLE_PAIRS if is_hybrid(file, service)]
LOCAL = [(file, service) for file, service in BUILT if not is_hybrid(file, service)]
LOCAL_ORACLE_PAIRS = [pair for pair in ORACLE_PAIRS if pair not in HYBRIDS]


def pair_id(pair: tuple[Path, str]) -> str:
    file, service = pair
    return f"{file.parent.name}/{service}"


def file_id(file: Path) -> str:
    return file.parent.name


def copy_example(file: Path, folder: Path) -> Path:
    """A writable copy of ``file``'s example folder (sources, .env) in ``folder``."""
    project = folder / file.parent.name
    shutil.copytree(file.parent, project)
    for path in [project, *project.rglob("*")]:
        path.chmod(path.stat().st_mode | stat.S_IWUSR)
    return project / file.name


# --- remote then local: the bytes come back, or a clear refusal ---------------------------------


@dataclass(frozen=True)
class Step:
    args: tuple[str, ...]
    result: Result
    before: bytes
    after: bytes


def switch(compose: Path, *commands: tuple[str, ...]) -> list[Step]:
    """Run ``commands`` in order on ``compose``, stopping after the first that fails."""
    steps = []
    for args in commands:
        before = compose.read_bytes()
        result = run(compose.parent, *args)
        steps.append(Step(args, result, before, compose.read_bytes()))
        if result.exit_code != 0:
            break
    return steps


def assert_clear_refusal(compose: Path, step: Step) -> None:
    """Exit 2, every stderr line ``file[:line:col]: error: ...``, and the file untouched."""
    assert step.result.exit_code == 2, step
    lines = step.result.stderr.splitlines()
    assert lines, "a refusal must say why"
    pattern = re.compile(rf"{re.escape(compose.name)}(:\d+:\d+)?: error: \S")
    for line in lines:
        assert pattern.match(line), line
    assert step.after == step.before, "a refusal must leave the file as it was"


@pytest.fixture(scope="module")
def round_trips(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], list[Step]]:
    trips = {}
    for file, service in LOCAL:
        compose = copy_example(file, tmp_path_factory.mktemp("round-trip"))
        trips[(file.parent.name, service)] = switch(
            compose, ("remote", service), ("local", service)
        )
    return trips


def test_corpus_is_complete() -> None:
    folders = [path for path in CORPUS.iterdir() if path.is_dir()]
    assert len(CORPUS_FILES) == len(folders) == 39
    assert {file.parent for file in CORPUS_FILES} == set(folders)
    assert len(BUILT) >= 30


@pytest.mark.parametrize("pair", LOCAL, ids=pair_id)
def test_remote_then_local_restores_the_bytes(
    pair: tuple[Path, str], round_trips: dict[tuple[str, str], list[Step]]
) -> None:
    file, service = pair
    key = (file.parent.name, service)
    steps = round_trips[key]
    last = steps[-1]
    if key in EXPECTED_REFUSALS:
        assert_clear_refusal(file, last)
        assert EXPECTED_REFUSALS[key] in last.result.stderr
        return
    assert [step.result.exit_code for step in steps] == [0, 0], last.result.stderr
    remote, local = steps
    assert remote.after != remote.before, f"remote {service} left a local service as it was"
    assert local.after == remote.before


def test_refusals_are_exactly_the_listed_ones(
    round_trips: dict[tuple[str, str], list[Step]],
) -> None:
    refused = {
        key: steps[-1].result.stderr
        for key, steps in round_trips.items()
        if steps[-1].result.exit_code != 0
    }
    assert refused.keys() == EXPECTED_REFUSALS.keys(), refused
    for key, reason in EXPECTED_REFUSALS.items():
        assert reason in refused[key]


# --- Docker Compose as the oracle ---------------------------------------------------------------


def test_docker_compose_rejects_exactly_the_listed_originals(tmp_path: Path) -> None:
    rejected = {}
    for file in FILES_WITH_BUILD:
        done = compose_config(copy_example(file, tmp_path), "-q")
        if done.returncode != 0:
            rejected[file.parent.name] = done.stderr
    assert rejected.keys() == COMPOSE_REJECTS_AS_IS.keys(), rejected


def without_switched_keys(config: dict[str, Any], service: str) -> dict[str, Any]:
    """Compose's reading of a project, but for the keys a switch of ``service`` may change."""
    services = dict(config["services"])
    services[service] = {
        key: value for key, value in services[service].items() if key not in ("image", "build")
    }
    return {**config, "services": services}


def template_image(service: str) -> str:
    """``${DOCKER_REGISTRY}/{service}:${IMAGE_TAG}-dev``, the default, as Compose reads it."""
    return f"{ORACLE_ENV['DOCKER_REGISTRY']}/{service}:{ORACLE_ENV['IMAGE_TAG']}-dev"


@pytest.mark.parametrize("pair", LOCAL_ORACLE_PAIRS, ids=pair_id)
def test_docker_compose_reads_the_remote_form_as_remote(
    pair: tuple[Path, str], tmp_path: Path
) -> None:
    file, service = pair
    compose = copy_example(file, tmp_path)
    original, original_config = compose.read_bytes(), compose_json(compose)
    original_service = original_config["services"][service]

    assert run(compose.parent, "remote", service).exit_code == 0
    done = compose_config(compose, "-q")
    assert done.returncode == 0, done.stderr
    remote_config = compose_json(compose)
    remote_service = remote_config["services"][service]
    assert "build" not in remote_service
    assert remote_service["image"] == original_service.get("image", template_image(service))
    assert without_switched_keys(remote_config, service) == without_switched_keys(
        original_config, service
    )

    assert run(compose.parent, "local", service).exit_code == 0
    assert compose.read_bytes() == original
    assert compose_config(compose, "-q").returncode == 0


# --- local then remote --------------------------------------------------------------------------


@pytest.mark.parametrize("file", sorted({file for file, _ in LOCAL}), ids=file_id)
def test_local_then_remote_restores_the_remote_form(file: Path, tmp_path: Path) -> None:
    names = [
        service
        for service in services_with_build(file)
        if (file.parent.name, service) not in EXPECTED_REFUSALS and not is_hybrid(file, service)
    ]
    compose = copy_example(file, tmp_path)
    original = compose.read_bytes()
    assert run(compose.parent, "remote", *names).exit_code == 0
    remote_form = compose.read_bytes()
    assert remote_form != original

    # The saved builds come back on local, and the next remote writes the same remote form.
    for local in (["local", *names], ["local"]):  # a parked key makes a service managed
        assert run(compose.parent, *local).exit_code == 0, local
        assert compose.read_bytes() == original, local
        assert run(compose.parent, "remote", *names).exit_code == 0
        assert compose.read_bytes() == remote_form, local


@pytest.mark.parametrize("pair", HYBRIDS, ids=pair_id)
def test_local_then_remote_unpauses_a_hybrid(pair: tuple[Path, str], tmp_path: Path) -> None:
    file, service = pair
    compose = copy_example(file, tmp_path)
    original = compose.read_bytes()

    assert run(compose.parent, "local", service).exit_code == 0
    done = compose_config(compose, "-q")
    assert done.returncode == 0, done.stderr
    local_service = compose_json(compose)["services"][service]
    assert "image" not in local_service  # paused: Compose builds instead of pulling
    assert "build" in local_service

    assert run(compose.parent, "remote", service).exit_code == 0
    assert compose.read_bytes() == original


@pytest.mark.parametrize("pair", HYBRIDS, ids=pair_id)
def test_remote_leaves_a_hybrid_as_it_is(pair: tuple[Path, str], tmp_path: Path) -> None:
    file, service = pair
    compose = copy_example(file, tmp_path)
    original = compose.read_bytes()
    result = run(compose.parent, "remote", service)
    assert result.exit_code == 0, result.stderr
    assert f"nothing to do ({service} already remote)" in result.stderr
    assert compose.read_bytes() == original


def test_corpus_has_hybrids() -> None:
    assert HYBRIDS, "the hybrid test would check nothing"
