"""Names a service uses that the file does not define, and files it names that do not exist:
each reported where it is written.

Docker Compose refuses such a project (fixtures/invalid/*undefined* agree with it in
test_validation.py); these tests pin the message and the position of each kind.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import REMOTE_API, project, run

API = "services:\n  api:\n    image: registry.example.com/api:1.0-dev\n"

CASES = {
    "network in a list": (
        API + "    networks: [default, front]\n",
        "4:25: error: services.api.networks.1: uses network 'front', which the "
        "top-level 'networks' does not define",
    ),
    "network as a key": (
        API + "    networks:\n      front:\n        aliases: [a]\n",
        "5:7: error: services.api.networks.front: uses network 'front', which "
        "the top-level 'networks' does not define",
    ),
    "named volume": (
        API + "    volumes: ['./src:/src', 'data:/data:ro']\n",
        "4:29: error: services.api.volumes.1: uses volume 'data', which the "
        "top-level 'volumes' does not define",
    ),
    "a name opening with one backslash": (
        API + "    volumes: ['\\data:/data']\n",
        "4:15: error: services.api.volumes.0: uses volume "
        "'\\data', which the top-level 'volumes' does not "
        "define",
    ),
    "volume in long syntax": (
        API + "    volumes:\n      - type: volume\n        source: data\n        target: /data\n",
        "6:17: error: services.api.volumes.0.source: uses volume 'data', "
        "which the top-level 'volumes' does not define",
    ),
    "secret": (
        API + "    secrets: [token]\n",
        "4:15: error: services.api.secrets.0: uses secret 'token', which the top-level "
        "'secrets' does not define",
    ),
    "config in long syntax": (
        API + "    configs:\n      - source: conf\n",
        "5:17: error: services.api.configs.0.source: uses config 'conf', "
        "which the top-level 'configs' does not define",
    ),
    "depends_on as a key": (
        API + "    depends_on:\n      db: {condition: service_healthy}\n",
        "5:7: error: services.api.depends_on.db: depends on 'db', which is "
        "not a service in this file",
    ),
    "link with an alias": (
        API + "    links: ['db:database']\n",
        "4:13: error: services.api.links.0: links to 'db', which is not a service in this file",
    ),
    "volumes_from a service": (
        API + "    volumes_from: ['service:db:ro']\n",
        "4:20: error: services.api.volumes_from.0: takes volumes from "
        "'db', which is not a service in this file",
    ),
    "network_mode of a service": (
        API + "    network_mode: service:vpn\n",
        "4:19: error: services.api.network_mode: shares the network "
        "of 'vpn', which is not a service in this file",
    ),
    "extends by name": (
        "services:\n  api:\n    extends: base\n",
        "3:14: error: services.api.extends: extends 'base', which is not a service in this file",
    ),
    # Files Compose reads as it loads the project, looked for beside the compose file.
    "env_file": (
        API + "    env_file: [./api.env]\n",
        "4:16: error: services.api.env_file.0: env_file './api.env' does not exist in {folder}",
    ),
    "env_file in long syntax": (
        API + "    env_file:\n      - path: api.env\n",
        "5:15: error: services.api.env_file.0.path: env_file 'api.env' does not exist in {folder}",
    ),
    "label_file": (
        API + "    label_file: api.labels\n",
        "4:17: error: services.api.label_file: label_file 'api.labels' does not exist in {folder}",
    ),
    "an included file": (
        "include:\n  - path: [present.yaml, other.yaml]\n" + API,
        "2:26: error: include.0.path.1: included file 'other.yaml' does not exist in {folder}",
    ),
    "extends from a file": (
        "services:\n  api:\n    extends: {file: base.yaml, service: x}\n",
        "3:21: error: services.api.extends.file: extends file 'base.yaml' "
        "does not exist in {folder}",
    ),
}

DEFINED = {
    "bind mounts and an anonymous volume": API + "    volumes: ['./a:/a', '/b:/b', '~/c:/c', "
    "'C:\\\\d:/d', '/anonymous']\n",
    # Compose reads a source opening with two backslashes as a path.
    "a Windows named pipe and a share": API
    + r"""    volumes:
      - \\.\pipe\docker_engine:\\.\pipe\docker_engine
      - \\host\share:/share
""",
    "a variable Compose replaces": API + "    volumes: ['${DATA:-data}:/data']\n",
    "the default network": API + "    networks: [default]\n",
    "a container's volumes": API + "    volumes_from: ['container:sidecar']\n",
    "an env_file that may be missing": API + "    env_file:\n      - path: api.env\n"
    "        required: false\n",
    "files that exist": API + "    env_file: present.env\n    label_file: [present.env]\n",
    "extends from a file that exists": "services:\n  api:\n"
    "    extends: {file: base.yaml, service: base}\n",
}


@pytest.mark.parametrize("name", CASES)
def test_an_undefined_name_is_reported_where_it_is_written(tmp_path: Path, name: str) -> None:
    text, expected = CASES[name]
    (tmp_path / "compose.yaml").write_text(text)
    (tmp_path / "present.env").write_text("A=1\n")
    (tmp_path / "present.yaml").write_text("networks:\n  present: {}\n")
    result = run(tmp_path, "validate")
    assert result.exit_code == 2
    assert result.stderr == f"compose.yaml:{expected.format(folder=tmp_path)}\n"


@pytest.mark.parametrize("name", DEFINED)
def test_names_that_need_no_definition_are_accepted(tmp_path: Path, name: str) -> None:
    (tmp_path / "compose.yaml").write_text(DEFINED[name])
    (tmp_path / "present.env").write_text("A=1\n")
    (tmp_path / "base.yaml").write_text("services:\n  base:\n    image: x\n")
    result = run(tmp_path, "validate")
    besides = " (with base.yaml)" if "base.yaml" in DEFINED[name] else ""
    assert (result.exit_code, result.stderr) == (0, f"compose.yaml: valid{besides}\n")


def managed_api(tmp_path: Path, more: str) -> Path:
    """A compose file whose api pulls the registry's dev image, with ``more`` lines for it."""
    return project(tmp_path, REMOTE_API + more.encode(), "api")


def test_a_switch_refuses_a_file_with_an_undefined_name(tmp_path: Path) -> None:
    compose = managed_api(tmp_path, "    networks: [front]\n")
    before = compose.read_bytes()
    result = run(tmp_path, "local")
    assert result.exit_code == 2
    assert "uses network 'front'" in result.stderr
    assert compose.read_bytes() == before


def test_a_switch_does_not_need_the_files_compose_reads(tmp_path: Path) -> None:
    # The edit does not touch them; validate says they are missing, a switch goes ahead.
    compose = managed_api(tmp_path, "    env_file: .env.local\n")
    assert run(tmp_path, "validate").exit_code == 2
    result = run(tmp_path, "local")
    assert result.exit_code == 0, result.stderr
    assert "build:" in compose.read_text()
