"""The command line only turns arguments into a request: checked here with execution replaced."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from click.testing import CliRunner

from composeswap import app
from composeswap.__main__ import main as entry
from composeswap.cli import main
from composeswap.config import Overrides
from composeswap.steps import Mode


@pytest.fixture
def requests(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    seen: list[object] = []

    def record(request: object) -> app.Report:
        seen.append(request)
        return app.Report(("recorded",))

    monkeypatch.setattr(app, "switch", record)
    monkeypatch.setattr(app, "validate", record)
    return seen


Invoke = Callable[..., int]


@pytest.fixture(params=["click", "entry"])
def invoke(request: pytest.FixtureRequest) -> Invoke:
    """The exit code of a command line read by click's commands, or by the entry point, which
    reads the usual lines without click (every test here runs both ways)."""

    def by_click(*args: str) -> int:
        return CliRunner().invoke(main, list(args)).exit_code

    def by_entry(*args: str) -> int:
        with CliRunner().isolation():
            return entry(args)

    return by_click if request.param == "click" else by_entry


def test_local_fills_a_switch_request(invoke: Invoke, requests: list[object]) -> None:
    assert (
        invoke(
            "-f",
            "x.yaml",
            "local",
            "api",
            "web",
            "--context",
            "api=../api",
            "--target",
            "test",
            "--diff",
        )
        == 0
    )
    assert requests == [
        app.SwitchRequest(
            mode=Mode.LOCAL,
            services=("api", "web"),
            overrides=Overrides(images={}, contexts={"api": "../api"}, target="test"),
            write_mode=app.WriteMode.DIFF,
            where=app.Where(("x.yaml",)),
            validate=True,
        )
    ]


def test_remote_fills_a_switch_request(invoke: Invoke, requests: list[object]) -> None:
    assert invoke("remote", "--image", "api=reg/api:1", "--check", "--no-validate") == 0
    assert requests == [
        app.SwitchRequest(
            mode=Mode.REMOTE,
            services=(),
            overrides=Overrides(images={"api": "reg/api:1"}),
            write_mode=app.WriteMode.CHECK,
            where=app.Where(),
            validate=False,
        )
    ]


def test_validate_fills_a_validate_request(invoke: Invoke, requests: list[object]) -> None:
    assert invoke("--file", "c.yml", "validate", "--format", "json") == 0
    assert requests == [app.ValidateRequest(app.Where(("c.yml",)))]


@pytest.mark.parametrize(
    "args",
    [
        (
            "-f",
            "a.yaml",
            "-f",
            "b.yaml",
            "--project-directory",
            "p",
            "--env-file",
            "e",
            "remote",
            "--check",
        ),
        (
            "remote",
            "-f",
            "a.yaml",
            "--file",
            "b.yaml",
            "--project-directory",
            "p",
            "--check",
            "--env-file",
            "e",
        ),
        (
            "-f",
            "a.yaml",
            "--env-file",
            "e",
            "remote",
            "-f",
            "b.yaml",
            "--check",
            "--project-directory",
            "p",
        ),
    ],
)
def test_project_options_go_before_or_after_the_command(
    invoke: Invoke, requests: list[object], args: tuple[str, ...]
) -> None:
    assert invoke(*args) == 0
    assert [request.where for request in requests] == [  # type: ignore[attr-defined]
        app.Where(("a.yaml", "b.yaml"), "p", ("e",))
    ]


@pytest.mark.parametrize(
    "args",
    [
        ("local", "--dry-run", "--diff"),
        ("local", "--context", "api"),
        ("remote", "--image", "=x"),
        ("local", "--target", "not a stage"),
        ("remote", "--context", "a=b"),
        ("local", "--image", "a=b"),
        ("validate", "--format", "xml"),
        ("frobnicate",),
    ],
)
def test_bad_arguments_are_usage_errors(
    invoke: Invoke, requests: list[object], args: tuple[str, ...]
) -> None:
    assert invoke(*args) == 2
    assert requests == []
