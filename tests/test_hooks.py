"""The pre-commit hooks: ``composeswap hook`` in-process, and ``.pre-commit-hooks.yaml`` as
pre-commit itself installs and runs it, in a throwaway git repository."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import NamedTuple

import pytest

from composeswap.app import hook_projects
from composeswap.project import DEFAULT_NAMES, OVERRIDE_NAMES
from tests.helpers import LOCAL_API, REMOTE_API, ROOT, load_yaml, run, source_folder

HOOK_IDS = ("composeswap-check", "composeswap-remote", "composeswap-validate")
TYPO = b"services:\n  api:\n    imgae: ${DOCKER_REGISTRY}/api:${IMAGE_TAG}-dev\n"
# An override that only adds to the base's service: not a valid project on its own.
PARTIAL = b'services:\n  api:\n    ports:\n      - "8080:8080"\n'
LOCAL_FINDING = "compose.yaml:2:3: error: services.api: is local; remote would switch it"
# pre-commit fails the whole run for any hook failure; its report gives the hook's own code.
FAILED = 1


def _folder(folder: Path, files: dict[str, bytes]) -> Path:
    for name, text in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text)
        source_folder(path.parent / "api")
    return folder


# --- which files make each project --------------------------------------------------------------


def test_each_file_is_its_own_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _folder(
        tmp_path,
        {
            "compose.yaml": REMOTE_API,
            "sub/docker-compose.yml": REMOTE_API,
            "compose.dev.yaml": REMOTE_API,
        },
    )
    monkeypatch.chdir(tmp_path)
    given = ("compose.yaml", "sub/docker-compose.yml", "compose.dev.yaml", "compose.yaml")
    assert hook_projects(given) == [
        ("compose.yaml",),
        ("sub/docker-compose.yml",),
        ("compose.dev.yaml",),
    ]


def test_an_override_is_read_after_the_base_compose_picks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _folder(
        tmp_path,
        {
            "docker-compose.yml": REMOTE_API,
            "compose.yml": REMOTE_API,
            "docker-compose.override.yaml": PARTIAL,
            "sub/compose.override.yaml": PARTIAL,
            "sub/compose.yaml": REMOTE_API,
            "lone/docker-compose.override.yml": PARTIAL,
        },
    )
    monkeypatch.chdir(tmp_path)
    given = (
        "docker-compose.override.yaml",
        "docker-compose.yml",
        "sub/compose.override.yaml",
        "./sub/compose.yaml",
        "lone/docker-compose.override.yml",
    )
    # compose.yml comes first in Compose's order; the base given too is read once, merged.
    assert hook_projects(given) == [
        ("compose.yml", "docker-compose.override.yaml"),
        ("docker-compose.yml",),
        (os.path.join("sub", "compose.yaml"), "sub/compose.override.yaml"),
        ("lone/docker-compose.override.yml",),
    ]


def test_the_hook_files_pattern_matches_compose_names_in_any_folder() -> None:
    hooks = load_yaml((ROOT / ".pre-commit-hooks.yaml").read_bytes())
    assert tuple(hook["id"] for hook in hooks) == HOOK_IDS
    for hook in hooks:
        assert hook["language"] == "python" and hook["require_serial"] is True
        pattern = re.compile(hook["files"])  # pre-commit searches it in each path
        for name in DEFAULT_NAMES + OVERRIDE_NAMES:
            assert pattern.search(name) and pattern.search(f"deploy/prod/{name}")
        for name in (
            "compose.dev.yaml",
            "mycompose.yaml",
            "compose.yaml.orig",
            "compose.yaml/readme.md",
            "docker-compose.json",
        ):
            assert not pattern.search(name), name


# --- composeswap hook, in-process ---------------------------------------------------------------


def test_hook_check_reports_each_file_and_writes_nothing(tmp_path: Path) -> None:
    _folder(tmp_path, {"compose.yaml": LOCAL_API, "sub/compose.yaml": REMOTE_API})
    result = run(tmp_path, "hook", "check", "compose.yaml", "sub/compose.yaml")
    assert result.exit_code == 1
    assert LOCAL_FINDING in result.stderr
    assert "sub/compose.yaml: nothing to do (api already remote)" in result.stderr
    assert (tmp_path / "compose.yaml").read_bytes() == LOCAL_API


def test_hook_exits_with_the_worst_code(tmp_path: Path) -> None:
    _folder(
        tmp_path,
        {"a/compose.yaml": LOCAL_API, "b/compose.yaml": TYPO, "c/compose.yaml": REMOTE_API},
    )
    files = ("c/compose.yaml", "a/compose.yaml", "b/compose.yaml")
    result = run(tmp_path, "hook", "check", *files)
    assert result.exit_code == 2
    assert "a/compose.yaml:2:3: error: services.api: is local" in result.stderr
    assert "b/compose.yaml:3:5: error: services.api.imgae: unknown key" in result.stderr
    assert run(tmp_path, "hook", "check", *files[:2]).exit_code == 1
    assert run(tmp_path, "hook", "check", files[0]).exit_code == 0


def test_hook_remote_switches_back_an_override_with_its_base(tmp_path: Path) -> None:
    _folder(tmp_path, {"compose.yaml": LOCAL_API, "compose.override.yaml": PARTIAL})
    result = run(tmp_path, "hook", "remote", "compose.override.yaml", "compose.yaml")
    assert result.exit_code == 0
    assert result.stderr.count("switched api to remote") == 1
    assert (tmp_path / "compose.yaml").read_bytes() == REMOTE_API
    assert (tmp_path / "compose.override.yaml").read_bytes() == PARTIAL


def test_hook_validate_reads_an_override_with_its_base(tmp_path: Path) -> None:
    _folder(
        tmp_path,
        {
            "compose.yaml": REMOTE_API,
            "compose.override.yaml": PARTIAL,
            "lone/compose.override.yaml": PARTIAL,
        },
    )
    result = run(tmp_path, "hook", "validate", "compose.override.yaml")
    assert (result.exit_code, result.stderr) == (0, "compose.yaml, compose.override.yaml: valid\n")
    # With no base beside it no Compose run merges it: it is read as -f reads it, alone.
    alone = run(tmp_path, "hook", "validate", "lone/compose.override.yaml")
    assert alone.exit_code == 2
    assert "lone/compose.override.yaml:2:3: error: services.api: has neither" in alone.stderr


def test_hook_reads_each_file_with_the_env_files_given(tmp_path: Path) -> None:
    _folder(
        tmp_path,
        {
            "compose.yaml": b"services:\n  api:\n    image: "
            b"api:${COMPOSESWAP_HOOK_TAG:?set the tag}\n"
        },
    )
    (tmp_path / "tag.env").write_text("COMPOSESWAP_HOOK_TAG=1.0\n")
    missing = run(tmp_path, "hook", "validate", "compose.yaml")
    assert missing.exit_code == 2 and "set the tag" in missing.stderr
    given = run(tmp_path, "--env-file", "tag.env", "hook", "validate", "compose.yaml")
    assert (given.exit_code, given.stderr) == (0, "compose.yaml: valid\n")


@pytest.mark.parametrize("kind", ["check", "remote", "validate"])
def test_hook_without_files_has_nothing_to_do(tmp_path: Path, kind: str) -> None:
    result = run(tmp_path, "hook", kind)
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "")


@pytest.mark.parametrize("args", [("-f", "compose.yaml"), ("--project-directory", ".")])
def test_hook_takes_no_project_of_its_own(tmp_path: Path, args: tuple[str, str]) -> None:
    _folder(tmp_path, {"compose.yaml": REMOTE_API})
    result = run(tmp_path, *args, "hook", "check", "compose.yaml")
    assert result.exit_code == 2
    assert "-f and --project-directory do not apply" in result.stderr


def test_hook_refuses_an_unknown_kind(tmp_path: Path) -> None:
    result = run(tmp_path, "hook", "local", "compose.yaml")
    assert result.exit_code == 2
    assert "'local' is not one of" in result.stderr


# --- the hooks as pre-commit runs them ----------------------------------------------------------


class Outcome(NamedTuple):
    code: int
    output: str


def _git(folder: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=folder, env=_environment(), check=True, capture_output=True)


def _environment(**extra: str) -> dict[str, str]:
    """The environment without what a surrounding git hook or pre-commit run would leak in."""
    kept = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("GIT_", "PRE_COMMIT")) and name != "SKIP"
    }
    return {**kept, **extra}


def _commit_all(folder: Path) -> None:
    _git(folder, "add", "-A")
    _git(folder, "commit", "-q", "-m", "snapshot")


def _new_repository(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    _git(folder, "init", "-q")
    for key, value in (
        ("user.name", "composeswap tests"),
        ("user.email", "tests@example.com"),
        ("commit.gpgsign", "false"),
    ):
        _git(folder, "config", key, value)
    return folder


@pytest.fixture(scope="session")
def hooks_repository(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    """This working tree, uncommitted and new files included, committed in a repository of
    its own, and its commit. pre-commit installs hooks from a commit; try-repo would take
    the working tree but leave out new files, and it keeps no environment between runs."""
    folder = _new_repository(tmp_path_factory.mktemp("composeswap-hooks"))
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        env=_environment(),
        check=True,
        capture_output=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        if (ROOT / name).is_file():  # a tracked file deleted in the working tree is left out
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, folder / name)
    _commit_all(folder)
    head = subprocess.run(
        ["git", "rev-parse", "HEAD"],
        cwd=folder,
        env=_environment(),
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    return str(folder), head


@pytest.fixture(scope="session")
def pre_commit_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One pre-commit cache for the session, so the hooks' environment is built once."""
    return tmp_path_factory.mktemp("pre-commit-home")


@pytest.fixture
def user_repository(tmp_path: Path, hooks_repository: tuple[str, str]) -> Path:
    """A user's repository whose .pre-commit-config.yaml uses the three hooks."""
    folder = _new_repository(tmp_path / "user")
    _write_config(folder, hooks_repository, {})
    source_folder(folder / "api")
    return folder


def _write_config(folder: Path, hooks_repository: tuple[str, str], options: dict[str, str]) -> None:
    url, rev = hooks_repository
    hooks = "".join(
        f"      - id: {hook}\n"
        + "".join(f"        {key}: '{value}'\n" for key, value in options.items())
        for hook in HOOK_IDS
    )
    (folder / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {url}\n    rev: {rev}\n    hooks:\n{hooks}"
    )


def _pre_commit(folder: Path, home: Path, hook: str, *files: str) -> Outcome:
    """``pre-commit run HOOK`` on the files given, or on all files."""
    chosen = ["--files", *files] if files else ["--all-files"]
    # The first run builds the hooks' environment (pip installs composeswap): minutes on a
    # slow machine. The limit only stops a hung run.
    done = subprocess.run(
        [sys.executable, "-m", "pre_commit", "run", hook, "--color", "never", *chosen],
        cwd=folder,
        env=_environment(PRE_COMMIT_HOME=str(home)),
        capture_output=True,
        text=True,
        timeout=1800,
    )
    return Outcome(done.returncode, done.stdout + done.stderr)


def _committed(folder: Path, files: dict[str, bytes]) -> None:
    _folder(folder, files)
    _commit_all(folder)


def _passed(outcome: Outcome, hook: str) -> None:
    assert outcome.code == 0, outcome.output
    assert re.search(rf"^{re.escape(hook)}\.+Passed$", outcome.output, re.MULTILINE), outcome.output


def test_check_fails_while_a_service_is_local(user_repository: Path, pre_commit_home: Path) -> None:
    _committed(user_repository, {"compose.yaml": LOCAL_API})
    failed = _pre_commit(user_repository, pre_commit_home, "composeswap-check")
    assert failed.code == FAILED, failed.output
    assert "- hook id: composeswap-check\n- exit code: 1\n" in failed.output
    assert LOCAL_FINDING in failed.output
    assert (user_repository / "compose.yaml").read_bytes() == LOCAL_API  # it writes nothing
    _committed(user_repository, {"compose.yaml": REMOTE_API})
    _passed(_pre_commit(user_repository, pre_commit_home, "composeswap-check"), "composeswap check")


def test_remote_switches_back_then_passes(user_repository: Path, pre_commit_home: Path) -> None:
    _committed(user_repository, {"compose.yaml": LOCAL_API})
    fixed = _pre_commit(user_repository, pre_commit_home, "composeswap-remote", "compose.yaml")
    assert fixed.code == FAILED, fixed.output
    assert "- files were modified by this hook" in fixed.output
    assert "compose.yaml: switched api to remote" in fixed.output
    assert (user_repository / "compose.yaml").read_bytes() == REMOTE_API
    _passed(
        _pre_commit(user_repository, pre_commit_home, "composeswap-remote", "compose.yaml"),
        "composeswap remote",
    )


def test_validate_fails_at_the_problem_then_passes(
    user_repository: Path, pre_commit_home: Path
) -> None:
    _committed(user_repository, {"compose.yaml": TYPO})
    failed = _pre_commit(user_repository, pre_commit_home, "composeswap-validate")
    assert failed.code == FAILED, failed.output
    assert "- hook id: composeswap-validate\n- exit code: 2\n" in failed.output
    assert "compose.yaml:3:5: error: services.api.imgae: unknown key 'imgae'" in failed.output
    _committed(user_repository, {"compose.yaml": REMOTE_API})
    _passed(
        _pre_commit(user_repository, pre_commit_home, "composeswap-validate"),
        "composeswap validate",
    )


def test_hooks_pick_compose_files_and_read_overrides_with_their_base(
    user_repository: Path, pre_commit_home: Path
) -> None:
    _committed(
        user_repository,
        {
            "deploy/docker-compose.yml": LOCAL_API,
            "deploy/docker-compose.override.yml": PARTIAL,
            "compose.dev.yaml": LOCAL_API,
        },
    )
    checked = _pre_commit(user_repository, pre_commit_home, "composeswap-check")
    assert checked.code == FAILED, checked.output
    assert "deploy/docker-compose.yml:2:3: error: services.api: is local" in checked.output
    assert "compose.dev.yaml" not in checked.output  # not a name Compose looks for
    _passed(
        _pre_commit(user_repository, pre_commit_home, "composeswap-validate"),
        "composeswap validate",
    )


def test_a_files_option_adds_other_names(
    user_repository: Path, pre_commit_home: Path, hooks_repository: tuple[str, str]
) -> None:
    _write_config(user_repository, hooks_repository, {"files": r"(^|/)compose\.[^/]+\.yaml$"})
    _committed(user_repository, {"compose.dev.yaml": LOCAL_API, "compose.yaml": LOCAL_API})
    checked = _pre_commit(user_repository, pre_commit_home, "composeswap-check")
    assert checked.code == FAILED, checked.output
    assert "compose.dev.yaml:2:3: error: services.api: is local" in checked.output
    assert LOCAL_FINDING not in checked.output  # the option replaces the hook's pattern
