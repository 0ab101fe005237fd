"""`status`, and the JSON object every command prints, checked against schemas/results.json."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from tests.helpers import ROOT, Result, run, source_folder

RESULTS = json.loads((ROOT / "schemas" / "results.json").read_text())

STACK = (
    "services:\n"
    "  api:\n    image: ${DOCKER_REGISTRY}/api:${IMAGE_TAG}-dev\n"
    "  web:\n    build:\n      context: ./web\n      target: dev\n"
    "  worker:\n    image: ${DOCKER_REGISTRY}/worker:${IMAGE_TAG}-dev\n"
    "    build: ./worker\n"
    "  db:\n    image: postgres:${PG:-16}\n"
    "  ai:\n    provider: {type: model, options: {model: x}}\n"
)


def stack(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("DOCKER_REGISTRY", "registry.example.com")
    monkeypatch.delenv("IMAGE_TAG", raising=False)
    monkeypatch.delenv("PG", raising=False)
    (tmp_path / ".env").write_text("IMAGE_TAG=1.4\n")
    compose = tmp_path / "compose.yaml"
    compose.write_text(STACK)
    source_folder(tmp_path / "api")
    (tmp_path / "web").mkdir()
    (tmp_path / "web" / "Dockerfile").write_text("FROM alpine AS base\n")
    return compose


def reported(result: Result) -> dict[str, Any]:
    report: dict[str, Any] = json.loads(result.stdout)
    jsonschema.validate(report, RESULTS)
    return report


def test_status_lists_every_service_as_compose_reads_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stack(tmp_path, monkeypatch)
    result = run(tmp_path, "status", "--format", "json")
    assert result.exit_code == 0, result.stderr
    rows = {row["service"]: row for row in reported(result)["services"]}
    assert list(rows) == ["api", "web", "worker", "db", "ai"]
    assert {name: row["mode"] for name, row in rows.items()} == {
        "api": "remote",
        "web": "local",
        "worker": "both",
        "db": "remote",
        "ai": "provider",
    }
    assert {name: row["managed"] for name, row in rows.items()} == {
        "api": True,
        "web": True,
        "worker": True,
        "db": False,
        "ai": False,
    }
    assert rows["api"]["image"] == "registry.example.com/api:1.4-dev"  # the environment, .env
    assert rows["db"]["image"] == "postgres:16"
    assert rows["api"] | {"file": "", "line": 0} == {
        "service": "api",
        "mode": "remote",
        "managed": True,
        "why": "template",
        "file": "",
        "line": 0,
        "other": "build ./api (target dev)",
        "image": "registry.example.com/api:1.4-dev",
        "context": "./api",
        "context_exists": True,
        "dockerfile": "./api/Dockerfile",
        "target": "dev",
        "stage_found": True,
    }
    assert (rows["api"]["file"], rows["api"]["line"]) == ("compose.yaml", 2)
    assert (rows["web"]["stage_found"], rows["web"]["other"]) == (
        False,
        "image ${DOCKER_REGISTRY}/web:${IMAGE_TAG}-dev",
    )
    assert rows["worker"]["context_exists"] is False and rows["worker"]["stage_found"] is None


def test_status_shows_an_aligned_table_without_colour_when_not_a_terminal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stack(tmp_path, monkeypatch)
    result = run(tmp_path, "status")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == [
        "SERVICE",
        "MODE",
        "MANAGED",
        "FILE",
        "IMAGE",
        "OR",
        "CONTEXT",
        "STAGE",
    ]
    assert lines[1].split() == [
        "api",
        "remote",
        "yes",
        "(template)",
        "compose.yaml:2",
        "registry.example.com/api:1.4-dev",
        "dev",
        "ok",
    ]
    assert lines[2].split() == [
        "web",
        "local",
        "yes",
        "(target)",
        "compose.yaml:4",
        "./web",
        "dev",
        "missing",
    ]
    for heading in ("MODE", "FILE", "STAGE"):  # every column starts where its heading does
        column = lines[0].index(heading)
        assert all(
            line[column - 2 : column] == "  " and line[column] != " " for line in lines[1:3]
        ), heading
    assert "\033[" not in result.stdout


def test_status_chooses_services_by_name_and_pattern(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stack(tmp_path, monkeypatch)
    result = run(tmp_path, "status", "w*", "db", "--format", "json")
    assert [row["service"] for row in reported(result)["services"]] == ["web", "worker", "db"]
    unknown = run(tmp_path, "status", "apj")
    assert unknown.exit_code == 2
    assert "no service 'apj'; did you mean 'api'?" in unknown.stderr


def test_every_command_prints_one_object_of_the_documented_shape(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    compose = stack(tmp_path, monkeypatch)
    original = compose.read_text()
    check = run(tmp_path, "remote", "--check", "--format", "json")
    assert check.exit_code == 1
    report = reported(check)
    assert [(s["service"], s["outcome"]) for s in report["services"]] == [
        ("web", "would switch"),
        ("api", "unchanged"),
        ("worker", "unchanged"),
    ]
    assert report["files"] == ["compose.yaml"]
    assert [(p["file"], p["line"], p["column"], p["path"]) for p in report["problems"]] == [
        ("compose.yaml", 4, 3, "services.web")
    ]
    diff = reported(run(tmp_path, "local", "api", "--diff", "--format", "json"))
    assert diff["diff"].startswith("--- a/compose.yaml\n")
    assert compose.read_text() == original
    written = reported(run(tmp_path, "local", "api", "--format", "json"))
    assert written["services"][0]["outcome"] == "switched" and written["files"] == ["compose.yaml"]
    refused = run(tmp_path, "local", "db", "--format", "json")  # no ./db to build from
    assert refused.exit_code == 2
    assert [s["outcome"] for s in reported(refused)["services"]] == ["refused"]
    assert reported(run(tmp_path, "validate", "--format", "json"))["problems"] == []


def test_check_findings_are_diagnostics_at_the_service(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stack(tmp_path, monkeypatch)
    result = run(tmp_path, "remote", "--check")
    assert result.exit_code == 1
    assert result.stderr == (
        "compose.yaml:4:3: error: services.web: is local; remote would "
        "switch it: image ${DOCKER_REGISTRY}/web:${IMAGE_TAG}-dev\n"
    )


class _Stream:
    def __init__(self, tty: bool) -> None:
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


@pytest.mark.parametrize(
    "tty, environ, colour",
    [
        (True, {}, True),
        (False, {}, False),
        (True, {"NO_COLOR": "1"}, False),
        (True, {"NO_COLOR": ""}, True),
    ],
)
def test_colour_only_on_a_terminal_and_never_with_no_color(
    tty: bool, environ: dict[str, str], colour: bool
) -> None:
    from composeswap.commands import wants_colour
    from composeswap.status import Row, table

    assert wants_colour(_Stream(tty), environ) is colour
    row = Row(
        "api", "local", True, "target", "c.yaml", 2, "", None, "./api", True, None, "dev", True
    )
    assert ("\033[" in table([row], colour)) is colour
