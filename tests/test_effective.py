"""The effective model (what Compose reads for each service), and switches planned against it.

Each reading the model gives is checked against Docker Compose's own on the same file; each
refusal is positioned at the service, exits 2 and leaves the file untouched; the proof takes
the whole text when a switched service's lines do not stand alone.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from composeswap import effective, proof, yamlsource
from composeswap.config import Overrides
from composeswap.effective import Origin
from composeswap.errors import ComposeswapError
from composeswap.model import Layer, Sources
from composeswap.plan import plan
from composeswap.steps import Form, Mode
from composeswap.text import Source
from tests.helpers import ORACLE_ENV, compose_config, project, run


def model(text: str) -> effective.Model:
    return effective.read_file(yamlsource.parse(Source.from_text(text), "compose.yaml"))


def compose_forms(tmp_path: Path, text: str) -> dict[str, Form]:
    """Each service's form as Docker Compose reads the file."""
    compose = tmp_path / "compose.yaml"
    compose.write_text(text)
    done = compose_config(compose, "--format", "json", "--no-interpolate")
    assert done.returncode == 0, done.stderr
    services: dict[str, Any] = json.loads(done.stdout)["services"]
    return {name: effective.form_of(service) for name, service in services.items()}


READINGS = {
    "reset build": (
        "services:\n  api:\n    image: a\n    build: !reset {}\n",
        {"api": Form.REMOTE},
    ),
    "reset image with a build": (
        "services:\n  api:\n    image: !reset null\n    build: .\n",
        {"api": Form.LOCAL},
    ),
    "inherited image": (
        "services:\n  base:\n    image: a\n  api:\n    extends: base\n",
        {"base": Form.REMOTE, "api": Form.REMOTE},
    ),
    "own build over an inherited image": (
        "services:\n  base:\n    image: a\n  api:\n    extends: base\n    build: .\n",
        {"base": Form.REMOTE, "api": Form.HYBRID},
    ),
    "reset over an inherited image": (
        "services:\n  base:\n    image: a\n  api:\n    extends: {service: base}\n"
        "    build: .\n    image: !reset null\n",
        {"base": Form.REMOTE, "api": Form.LOCAL},
    ),
    "extends twice": (
        "services:\n  a:\n    build: .\n  b:\n    extends: a\n  c:\n    extends: b\n    image: x\n",
        {"a": Form.LOCAL, "b": Form.LOCAL, "c": Form.HYBRID},
    ),
    "pull_policy build": (
        "services:\n  api:\n    image: a\n    build: .\n    pull_policy: build\n",
        {"api": Form.LOCAL},
    ),
    "pull_policy always": (
        "services:\n  api:\n    image: a\n    build: .\n    pull_policy: always\n",
        {"api": Form.HYBRID},
    ),
    "merged image, own reset": (
        "x-d: &d\n  image: a\nservices:\n  api:\n    <<: *d\n    image: !reset null\n",
        {"api": Form.REMOTE},
    ),
    "provider": (
        "services:\n  ai:\n    provider:\n      type: model\n      options:\n        model: x\n",
        {"ai": Form.PROVIDER},
    ),
}


@pytest.mark.parametrize("text, forms", READINGS.values(), ids=READINGS.keys())
def test_the_model_reads_each_form_as_compose_does(
    tmp_path: Path, text: str, forms: dict[str, Form]
) -> None:
    read = model(text)
    assert {name: service.form for name, service in read.services.items()} == forms
    assert compose_forms(tmp_path, text) == forms


def test_origins_say_where_the_form_comes_from() -> None:
    read = model(
        "x-d: &d\n  build: .\nservices:\n  base:\n    image: a\n"
        "  api:\n    <<: *d\n    extends: base\n    pull_policy: build\n"
    ).services
    assert read["api"].origins == {
        "image": Origin.EXTENDS,
        "build": Origin.MERGED,
        "pull_policy": Origin.OWN,
    }
    assert read["api"].inherited == frozenset({"image"})
    assert read["api"].bases == ("base",)


def test_extends_merges_mappings_and_the_own_keys_win() -> None:
    read = model(
        "services:\n  base:\n    build: ./b\n    environment: {A: '1', B: '2'}\n"
        "  api:\n    extends: base\n    build: {target: dev}\n"
        "    environment: {B: '3'}\n"
    ).services["api"]
    assert read.data["build"] == {"context": "./b", "target": "dev"}
    assert read.data["environment"] == {"A": "1", "B": "3"}
    assert "extends" not in read.data


def test_override_replaces_what_extends_gives() -> None:
    read = model(
        "services:\n  base:\n    build: {context: ./b, target: prod}\n"
        "  api:\n    extends: base\n    build: !override {context: ./a}\n"
    )
    assert read.services["api"].data["build"] == {"context": "./a"}


@pytest.mark.parametrize(
    "text, why",
    [
        (
            "services:\n  a:\n    extends: b\n    image: x\n  b:\n    extends: a\n",
            "cycle (a -> b -> a)",
        ),
        ("services:\n  a:\n    extends: {file: other.yaml, service: b}\n", "another file"),
    ],
)
def test_a_reading_one_file_cannot_give_is_said_why(text: str, why: str) -> None:
    unresolved = model(text).services["a"].unresolved
    assert unresolved is not None and why in unresolved


def test_extended_by_lists_every_service_that_extends_another() -> None:
    read = model("services:\n  a:\n    image: x\n  b:\n    extends: a\n  c:\n    extends: b\n")
    assert read.extended_by == {"a": ("b", "c"), "b": ("c",)}


# --- switches planned against the model ---------------------------------------------------------


REFUSALS = {
    "a base others extend": (
        "services:\n  base:\n    image: ${DOCKER_REGISTRY}/base:${IMAGE_TAG}-dev\n"
        "  api:\n    extends: base\n",
        ["local", "base"],
        2,
        "api extends it",
    ),
    "a reset build with nothing to inherit": (
        "services:\n  api:\n    image: ${DOCKER_REGISTRY}/api:${IMAGE_TAG}-dev\n"
        "    build: !reset {}\n",
        ["local", "api"],
        2,
        "tagged !reset",
    ),
    "a base in another file": (
        "services:\n  api:\n    extends: {file: base.yaml, service: base}\n    image: x\n",
        ["local", "api"],
        2,
        "another file",
    ),
    "a provider service": (
        "services:\n  ai:\n    provider: {type: model, options: {model: x}}\n",
        ["local", "ai"],
        2,
        "provider",
    ),
    "an image through a merge, own build": (
        "x-i: &i\n  image: ${DOCKER_REGISTRY}/api:${IMAGE_TAG}-dev\nservices:\n  api:\n"
        "    <<: *i\n    build: ./api\n",
        ["local", "api"],
        4,
        "through a '<<' merge",
    ),
    "an anchor in the build another service uses": (
        "services:\n  api:\n    x-composeswap-image: ${DOCKER_REGISTRY}/api:${IMAGE_TAG}-dev\n"
        "    build:\n      context: ./api\n      args: &args {A: '1'}\n"
        "  web:\n    build: {context: ./web, args: *args}\n",
        ["remote", "api"],
        4,
        "defines the anchor &args",
    ),
    "a build pause left by an older version, with its own image": (
        "services:\n  api:\n    image: ${DOCKER_REGISTRY}/api:${IMAGE_TAG}-dev\n"
        "    x-composeswap-paused-build: ./api\n",
        ["local", "api"],
        2,
        "paused 'build'",
    ),
}


@pytest.mark.parametrize("text, args, line, words", REFUSALS.values(), ids=REFUSALS.keys())
def test_what_cannot_switch_exactly_is_refused_at_the_service(
    tmp_path: Path, text: str, args: list[str], line: int, words: str
) -> None:
    compose = project(tmp_path, text, "api", "base", "web", "ai")
    result = run(tmp_path, *args)
    assert result.exit_code == 2, result.stderr
    assert result.stderr.startswith(f"compose.yaml:{line}:"), result.stderr
    assert words in result.stderr
    assert "please report" not in result.stderr
    assert compose.read_text() == text


def test_a_merged_build_under_an_own_image_switches_to_local(tmp_path: Path) -> None:
    text = (
        "x-b: &b\n  build: ./api\nservices:\n  api:\n    <<: *b\n"
        "    image: ${DOCKER_REGISTRY}/api:${IMAGE_TAG}-dev\n"
    )
    compose = tmp_path / "compose.yaml"
    compose.write_text(text)
    assert run(tmp_path, "remote", "api").exit_code == 0  # image and build: already remote
    assert compose.read_text() == text
    result = run(tmp_path, "local", "api")
    assert result.exit_code == 0, result.stderr
    assert "x-composeswap-paused-image:" in compose.read_text()
    assert compose_forms(tmp_path, compose.read_text())["api"] is Form.LOCAL
    assert run(tmp_path, "remote", "api").exit_code == 0
    assert compose.read_text() == text


def test_a_third_party_image_with_a_dev_tag_is_left_alone(tmp_path: Path) -> None:
    text = (
        "services:\n  python:\n    image: cgr.dev/chainguard/python:latest-dev\n"
        "  api:\n    image: ${DOCKER_REGISTRY}/api:${IMAGE_TAG}-dev\n"
    )
    compose = project(tmp_path, text, "api")  # no ./python: a run that touched it is refused
    result = run(tmp_path, "local")
    assert result.exit_code == 0, result.stderr
    assert "python" not in result.stderr
    assert "cgr.dev/chainguard/python:latest-dev\n" in compose.read_text()


STARTS = {
    "saved build": (
        "services:\n  api:\n    build:\n      context: ./api\n      args: {A: '1'}\n",
        "remote",
    ),
    "inherited image": ("services:\n  base:\n    image: b\n  api:\n    extends: base\n", "local"),
    "hybrid": (
        "services:\n  api:\n    image: ${DOCKER_REGISTRY}/api:${IMAGE_TAG}-dev\n    build: ./api\n",
        "local",
    ),
    "own build over an inherited image": (
        "services:\n  base:\n    image: b\n  api:\n    extends: base\n"
        "    build:\n      context: ./api\n      target: dev\n",
        "local",
    ),
}


@pytest.mark.parametrize("text, first", STARTS.values(), ids=STARTS.keys())
def test_two_identical_round_trips_write_the_same_files(
    tmp_path: Path, text: str, first: str
) -> None:
    compose = project(tmp_path, text, "api")
    second = "local" if first == "remote" else "remote"
    seen = []
    for _ in range(2):
        for mode in (first, second):
            assert run(tmp_path, mode, "api").exit_code == 0
            seen.append(compose.read_text())
    assert seen[0] == seen[2] and seen[1] == seen[3] == text


# --- which proof path is taken ------------------------------------------------------------------


@pytest.fixture
def whole_proofs(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The services each whole-text proof was run for, in order."""
    calls: list[str] = []
    real = proof._prove_whole

    def spy(sources: Any, model: Any, new_texts: Any, switched: Any) -> Any:
        calls.extend(switch.service for switch in switched.switches)
        return real(sources, model, new_texts, switched)

    monkeypatch.setattr(proof, "_prove_whole", spy)
    return calls


WHOLE = {
    "an anchor in the switched lines": (
        "x-c: &c ./web\nservices:\n  api:\n    build:\n      context: &c ./api\n"
        "      target: dev\n  web:\n    build:\n      context: *c\n"
    ),
    "a service that extends another": (
        "services:\n  base:\n    image: b\n  api:\n    extends: base\n"
        "    build: {context: ./api, target: dev}\n    image: !reset null\n"
    ),
    "a merge": (
        "x-r: &r\n  restart: always\nservices:\n  api:\n    <<: *r\n"
        "    build: {context: ./api, target: dev}\n"
    ),
}


@pytest.mark.parametrize("text", WHOLE.values(), ids=WHOLE.keys())
def test_the_whole_text_is_proven_when_the_lines_do_not_stand_alone(
    tmp_path: Path, text: str, whole_proofs: list[str]
) -> None:
    (tmp_path / "compose.yaml").write_text(text)
    result = run(tmp_path, "remote", "api")
    assert result.exit_code == 0, result.stderr
    assert whole_proofs == ["api"]


def test_lines_that_stand_alone_are_proven_alone(tmp_path: Path, whole_proofs: list[str]) -> None:
    (tmp_path / "compose.yaml").write_text(
        "x-c: &c ./web\nservices:\n  api:\n    build: {context: ./api, target: dev}\n"
        "  web:\n    build:\n      context: *c\n    environment:\n      LOG_LEVEL: debug\n"
        "      DATABASE_URL: postgres://db/web\n  db:\n    image: postgres:16\n"
    )
    assert run(tmp_path, "remote", "api").exit_code == 0
    assert whole_proofs == []


def test_services_that_make_up_most_of_the_text_are_proven_with_it(
    tmp_path: Path, whole_proofs: list[str]
) -> None:
    """Reading most of the text alone costs more than reading it whole: past half of it, the
    proof reads the whole text, even when the first switched services are small."""
    services = "".join(
        f"  s{index}:\n    build: {{context: ./s{index}, target: dev}}\n" for index in range(3)
    )
    (tmp_path / "compose.yaml").write_text(f"services:\n{services}  db:\n    image: postgres\n")
    assert run(tmp_path, "remote", "s0").exit_code == 0
    assert whole_proofs == []
    assert run(tmp_path, "remote", "s1", "s2").exit_code == 0
    assert whole_proofs == ["s1", "s2"]


def test_the_whole_text_proof_sees_another_service_change(tmp_path: Path) -> None:
    """Renaming an anchored key away keeps the alias working; deleting it would not, and the
    proof of the whole text says which service would change."""
    text = (
        "x-c: &c ./web\nservices:\n  api:\n    build:\n      context: &c ./api\n"
        "      target: dev\n  web:\n    build:\n      context: *c\n"
    )
    document = yamlsource.parse(Source.from_text(text), "compose.yaml")
    sources = Sources((Layer(document, str(tmp_path), 0),), {})
    read = effective.read(sources)
    edited = text.replace("      context: &c ./api\n", "      context: ./api\n")
    switched = plan(sources, read, Mode.REMOTE, ["api"], Overrides())
    with pytest.raises(ComposeswapError, match="services.web.build.context"):
        proof._prove_whole(sources, read, {0: edited}, switched)


# --- validation reads services through the model ------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        (
            "services:\n  a:\n    extends: b\n  b:\n    extends: a\n",
            [
                "compose.yaml:2:3: error: services.a: cannot be read: its extends form a cycle",
                "compose.yaml:4:3: error: services.b: cannot be read: its extends form a cycle",
            ],
        ),
        (
            "services:\n  api:\n    image: !reset null\n",
            ["compose.yaml:2:3: error: services.api: has neither 'image' nor 'build'"],
        ),
        (
            "services:\n  base:\n    build: .\n  api:\n    extends: base\n    build: !reset {}\n",
            ["compose.yaml:4:3: error: services.api: has neither 'image' nor 'build'"],
        ),
    ],
)
def test_validate_judges_each_service_as_compose_reads_it(
    tmp_path: Path, text: str, expected: list[str]
) -> None:
    (tmp_path / "compose.yaml").write_text(text)
    result = run(tmp_path, "validate")
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert len(lines) == len(expected) and all(map(str.startswith, lines, expected)), lines
    assert compose_config(tmp_path / "compose.yaml", "-q").returncode != 0


def test_validate_accepts_a_build_inherited_through_extends(tmp_path: Path) -> None:
    (tmp_path / "compose.yaml").write_text(
        "services:\n  base:\n    build: .\n  api:\n    extends: base\n    image: !reset null\n"
    )
    assert run(tmp_path, "validate").exit_code == 0
    assert compose_config(tmp_path / "compose.yaml", "-q").returncode == 0


@pytest.mark.parametrize(
    "service",
    [
        "image: ''",
        "image: ${COMPOSESWAP_UNSET}",
        "image: ${COMPOSESWAP_UNSET}${COMPOSESWAP_UNSET_TOO}",
        "image: ${COMPOSESWAP_UNSET}\n    build: .",
        "image: '  '",
        "image: ${COMPOSESWAP_UNSET:-nginx}",
        "image: ${IMAGE_TAG}",
    ],
)
def test_validate_judges_an_empty_image_as_compose_does(tmp_path: Path, service: str) -> None:
    # An image that reads as nothing is no image: Compose refuses the service, unless it builds.
    (tmp_path / "compose.yaml").write_text(f"services:\n  api:\n    {service}\n")
    with pytest.MonkeyPatch.context() as patch:
        for name, value in ORACLE_ENV.items():
            patch.setenv(name, value)
        result = run(tmp_path, "validate")
    refused = compose_config(tmp_path / "compose.yaml", "-q").returncode != 0
    assert (result.exit_code, refused) in ((0, False), (2, True)), result.stderr
    assert ("services.api.image:" in result.stderr) is refused
