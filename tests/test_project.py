"""Finding the project as Docker Compose v2 does: every rule run through the binary and
``project.find`` on the same folders, and the two readings compared.

Each compose file written here adds its own tag to ``services.order.cap_add``, a list Compose
merges by appending, so the binary's ``config --format json`` shows which files it read and in
which order; ``build: .`` shows the project directory, and ``config --environment`` what
interpolation sees.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import NamedTuple

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from composeswap import envfile, project
from composeswap.errors import ComposeswapError
from tests.helpers import docker_compose

BINARY = str(docker_compose())
DEFAULT_NAMES = ("compose.yaml", "compose.yml", "docker-compose.yml", "docker-compose.yaml")
OVERRIDE_NAMES = (
    "compose.override.yml",
    "compose.override.yaml",
    "docker-compose.override.yml",
    "docker-compose.override.yaml",
)
TAG = re.compile(r"CAP_(\w+)")
NO_ENV: Mapping[str, str] = {}


@pytest.fixture
def tmp_path(tmp_path: Path) -> Path:
    """Resolved, since Compose reports physical paths (on macOS /var is a symlink)."""
    return tmp_path.resolve()


def compose_file(path: Path, tag: str, extra: str = "") -> Path:
    """A compose file that says it was read by adding CAP_<tag> to the ``order`` service."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        f"services:\n  order:\n    image: x\n    build: .\n    cap_add: [CAP_{tag}]\n{extra}"
    )
    return path


def tag(name: str) -> str:
    return re.sub(r"\W", "_", name)


def tag_in(text: str) -> str:
    match = TAG.search(text)
    assert match, text
    return match.group(1)


class Reading(NamedTuple):
    tags: list[str]  # the files read, in merge order, by their tags
    directory: str
    environment: dict[str, str]


def environ(cwd: Path, extra: Mapping[str, str] = NO_ENV) -> dict[str, str]:
    return {"PATH": os.environ.get("PATH", ""), "HOME": str(cwd), **extra}


def binary(
    cwd: Path, args: Sequence[str], env: Mapping[str, str]
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [BINARY, *args], cwd=cwd, env=dict(env), capture_output=True, text=True, timeout=60
    )


def compose_reading(cwd: Path, options: Sequence[str], env: Mapping[str, str]) -> Reading | str:
    """What Docker Compose reads, or its error."""
    done = binary(cwd, [*options, "config", "--format", "json"], env)
    if done.returncode != 0:
        return done.stderr
    order = json.loads(done.stdout)["services"]["order"]
    listed = binary(cwd, [*options, "config", "--environment"], env)
    assert listed.returncode == 0, listed.stderr
    variables = environment_lines(listed.stdout)
    variables.pop("COMPOSE_PROJECT_NAME")  # Compose's own, from the files' name: or folder
    return Reading([tag_in(cap) for cap in order["cap_add"]], order["build"]["context"], variables)


def environment_lines(text: str) -> dict[str, str]:
    """``config --environment`` output; a line without ``=`` continues a multi-line value (the
    values these tests write have no ``=`` after a newline)."""
    variables: dict[str, str] = {}
    name = ""
    for line in text.splitlines():
        if "=" in line:
            name, value = line.split("=", 1)
            variables[name] = value
        else:
            variables[name] += "\n" + line
    return variables


def find(cwd: Path, options: Sequence[str], env: Mapping[str, str]) -> project.Project:
    """``project.find`` with docker compose's own options, parsed here."""
    values: dict[str, list[str]] = {"-f": [], "--project-directory": [], "--env-file": []}
    for flag, value in zip(options[::2], options[1::2]):
        values[flag].append(value)
    directory = values["--project-directory"]
    return project.find(
        values["-f"], str(cwd), env, directory[-1] if directory else None, values["--env-file"]
    )


def our_reading(cwd: Path, options: Sequence[str], env: Mapping[str, str]) -> Reading | str:
    try:
        found = find(cwd, options, env)
    except ComposeswapError as error:
        return str(error)
    tags = [tag_in(Path(path).read_text()) for path in found.files]
    return Reading(tags, found.directory, dict(found.environment))


def same(cwd: Path, *options: str, env: Mapping[str, str] = NO_ENV) -> project.Project:
    """Both read the same project here: the same files in the same order, the same project
    directory, the same environment. Returns composeswap's reading for further checks."""
    cwd = cwd.resolve()  # Compose's PWD is the physical path
    variables = environ(cwd, env)
    theirs = compose_reading(cwd, options, variables)
    ours = our_reading(cwd, options, variables)
    assert not isinstance(theirs, str), f"Docker Compose failed: {theirs}\ncomposeswap: {ours}"
    assert ours == theirs
    return find(cwd, options, variables)


def both_refuse(cwd: Path, *options: str, env: Mapping[str, str] = NO_ENV) -> str:
    """Docker Compose fails and composeswap raises its error; returns composeswap's message."""
    cwd = cwd.resolve()
    variables = environ(cwd, env)
    theirs = compose_reading(cwd, options, variables)
    assert isinstance(theirs, str), f"Docker Compose read {theirs}"
    with pytest.raises(ComposeswapError) as raised:
        find(cwd, options, variables)
    return str(raised.value)


def compose_warnings(cwd: Path) -> list[str]:
    """The file lists of Compose's 'Found multiple ... files' warnings."""
    done = binary(cwd.resolve(), ["config", "-q"], environ(cwd))
    return re.findall(r"Found multiple \w+ files with supported names: ([^\"]*)", done.stderr)


# --- -f -----------------------------------------------------------------------------------------


def test_f_files_are_read_in_order_and_no_override_is_added(tmp_path: Path) -> None:
    for name in ("c", "a", "b"):
        compose_file(tmp_path / f"{name}.yaml", name)
    compose_file(tmp_path / "compose.yaml", "default")
    compose_file(tmp_path / "compose.override.yml", "override")
    found = same(tmp_path, "-f", "c.yaml", "-f", "a.yaml", "-f", "b.yaml")
    assert found.files == tuple(str(tmp_path / f"{name}.yaml") for name in ("c", "a", "b"))
    assert found.how == "-f"


def test_the_project_directory_is_the_first_f_files_folder(tmp_path: Path) -> None:
    compose_file(tmp_path / "one" / "c.yaml", "c")
    compose_file(tmp_path / "two" / "d.yaml", "d")
    found = same(tmp_path, "-f", "one/c.yaml", "-f", "two/d.yaml")
    assert found.directory == str(tmp_path / "one")


def test_f_paths_resolve_from_the_current_folder_even_with_a_project_directory(
    tmp_path: Path,
) -> None:
    compose_file(tmp_path / "here" / "a.yaml", "here")
    compose_file(tmp_path / "proj" / "a.yaml", "proj")
    (tmp_path / "here" / ".env").write_text("WHERE=here\n")
    (tmp_path / "proj" / ".env").write_text("WHERE=proj\n")
    found = same(tmp_path / "here", "--project-directory", "../proj", "-f", "a.yaml")
    assert found.files == (str(tmp_path / "here" / "a.yaml"),)
    assert found.directory == str(tmp_path / "proj")
    assert found.environment["WHERE"] == "proj"


def test_a_missing_f_file_is_refused_by_both(tmp_path: Path) -> None:
    compose_file(tmp_path / "compose.yaml", "default")
    message = both_refuse(tmp_path, "-f", "missing.yaml")
    assert message.startswith("missing.yaml: error: no such file")


def test_a_folder_given_with_f_is_refused_by_both(tmp_path: Path) -> None:
    (tmp_path / "stack").mkdir()
    assert "is a folder" in both_refuse(tmp_path, "-f", "stack")


def test_standard_input_is_refused_with_a_clear_message(tmp_path: Path) -> None:
    with pytest.raises(ComposeswapError, match=r"standard input \(-f -\)"):
        project.find(["-"], str(tmp_path), {})


@pytest.mark.parametrize(
    "name",
    [
        "github.com/acme/stack.yaml",
        "oci://registry/stack",
        "https://example.com/stack.git",
        "git@example.com:stack.git",
        "ssh://host/stack",
    ],
)
def test_what_compose_fetches_as_a_remote_resource_is_refused(tmp_path: Path, name: str) -> None:
    # Not run through the binary: it would try the network.
    with pytest.raises(ComposeswapError, match="remote"):
        project.find([name], str(tmp_path), {})


def test_a_local_path_that_only_looks_remote_is_a_file(tmp_path: Path) -> None:
    compose_file(tmp_path / "host:c.yaml", "colon")  # no user@: Compose reads it locally
    compose_file(tmp_path / "github.com" / "c.yaml", "dotted")
    same(tmp_path, "-f", "host:c.yaml")
    same(tmp_path, "-f", "./github.com/c.yaml")


# --- the default names, searched upwards --------------------------------------------------------


@pytest.mark.parametrize(
    "present",
    [
        DEFAULT_NAMES,
        DEFAULT_NAMES[1:],
        DEFAULT_NAMES[2:],
        DEFAULT_NAMES[3:],
        (DEFAULT_NAMES[0], DEFAULT_NAMES[3]),
        (DEFAULT_NAMES[1], DEFAULT_NAMES[2]),
    ],
    ids="+".join,
)
def test_the_first_default_name_wins_and_the_others_are_warned_about(
    tmp_path: Path, present: tuple[str, ...]
) -> None:
    for name in present:
        compose_file(tmp_path / name, tag(name))
    found = same(tmp_path)
    assert found.files == (str(tmp_path / present[0]),)
    assert found.how == "found in the current folder"
    listed = compose_warnings(tmp_path)
    assert [warning.split("; using ")[0].split(": ", 1)[1] for warning in found.warnings] == listed
    assert len(listed) == (len(present) > 1)


@pytest.mark.parametrize("base", DEFAULT_NAMES)
@pytest.mark.parametrize(
    "overrides",
    [
        OVERRIDE_NAMES,
        OVERRIDE_NAMES[1:],
        OVERRIDE_NAMES[2:],
        OVERRIDE_NAMES[3:],
        (OVERRIDE_NAMES[0], OVERRIDE_NAMES[3]),
    ],
    ids="+".join,
)
def test_the_first_override_name_beside_the_base_is_merged_in(
    tmp_path: Path, base: str, overrides: tuple[str, ...]
) -> None:
    compose_file(tmp_path / base, "base")
    for name in overrides:
        compose_file(tmp_path / name, tag(name))
    found = same(tmp_path)
    assert found.files == (str(tmp_path / base), str(tmp_path / overrides[0]))
    assert found.how == "found in the current folder with override"
    assert len(found.warnings) == len(compose_warnings(tmp_path)) == (len(overrides) > 1)


def test_the_search_goes_up_to_the_nearest_folder_with_a_compose_file(tmp_path: Path) -> None:
    compose_file(tmp_path / "compose.yaml", "top")
    compose_file(tmp_path / "compose.override.yaml", "top_override")
    compose_file(tmp_path / "app" / "docker-compose.yml", "app")
    deep = tmp_path / "app" / "src" / "pkg"
    deep.mkdir(parents=True)
    found = same(deep)
    assert found.files == (str(tmp_path / "app" / "docker-compose.yml"),)
    assert found.directory == str(tmp_path / "app")
    assert found.how == "found in ../.."


def test_an_override_counts_only_beside_the_base_file(tmp_path: Path) -> None:
    compose_file(tmp_path / "compose.yaml", "top")
    compose_file(tmp_path / "sub" / "compose.override.yaml", "stray_override")
    found = same(tmp_path / "sub")
    assert found.files == (str(tmp_path / "compose.yaml"),)


def test_an_override_alone_is_not_a_project(tmp_path: Path) -> None:
    compose_file(tmp_path / "compose.override.yaml", "override")
    both_refuse(tmp_path)


def test_no_compose_file_names_the_folder_and_the_names(tmp_path: Path) -> None:
    (tmp_path / "compose.yaml.bak").write_text("services: {}\n")
    message = both_refuse(tmp_path)
    assert message.startswith(
        f"{tmp_path.resolve()}: error: no compose file here or in any parent folder"
    )
    for name in DEFAULT_NAMES:
        assert name in message
    assert "-f FILE" in message


def test_a_folder_named_like_a_compose_file_stops_the_search_as_in_compose(tmp_path: Path) -> None:
    compose_file(tmp_path / "compose.yaml", "top")
    (tmp_path / "sub" / "compose.yaml").mkdir(parents=True)
    message = both_refuse(tmp_path / "sub")  # Compose picks the folder, then cannot read it
    assert message.startswith(f"{tmp_path.resolve() / 'sub' / 'compose.yaml'}: error: is a folder")


def test_a_broken_symlink_is_not_a_candidate(tmp_path: Path) -> None:
    compose_file(tmp_path / "compose.yml", "yml")
    (tmp_path / "compose.yaml").symlink_to("gone.yaml")
    assert same(tmp_path).files == (str(tmp_path / "compose.yml"),)


# --- --project-directory ------------------------------------------------------------------------


def test_the_search_starts_from_the_project_directory(tmp_path: Path) -> None:
    compose_file(tmp_path / "here" / "compose.yaml", "here")
    compose_file(tmp_path / "proj" / "compose.yaml", "proj")
    compose_file(tmp_path / "proj" / "compose.override.yml", "proj_override")
    found = same(tmp_path / "here", "--project-directory", "../proj")
    assert found.directory == str(tmp_path / "proj")
    assert found.how == "found in the project directory with override"


def test_the_project_directory_stays_when_the_files_are_found_above_it(tmp_path: Path) -> None:
    compose_file(tmp_path / "compose.yaml", "top")
    (tmp_path / "proj" / "sub").mkdir(parents=True)
    found = same(tmp_path, "--project-directory", "proj/sub")
    assert found.files == (str(tmp_path / "compose.yaml"),)
    assert found.directory == str(tmp_path / "proj" / "sub")


# --- COMPOSE_FILE -------------------------------------------------------------------------------


def test_compose_file_from_the_environment_is_split_on_colons(tmp_path: Path) -> None:
    compose_file(tmp_path / "base.yaml", "base")
    compose_file(tmp_path / "dev.yaml", "dev")
    compose_file(tmp_path / "compose.yaml", "default")
    compose_file(tmp_path / "compose.override.yml", "override")
    found = same(tmp_path, env={"COMPOSE_FILE": "dev.yaml:base.yaml"})
    assert found.files == (str(tmp_path / "dev.yaml"), str(tmp_path / "base.yaml"))
    assert found.how == "COMPOSE_FILE"


@pytest.mark.parametrize("where", ["environment", ".env"])
def test_compose_path_separator_changes_the_separator(tmp_path: Path, where: str) -> None:
    compose_file(tmp_path / "base.yaml", "base")
    compose_file(tmp_path / "dev.yaml", "dev")
    settings = {"COMPOSE_FILE": "base.yaml;dev.yaml", "COMPOSE_PATH_SEPARATOR": ";"}
    if where == ".env":
        (tmp_path / ".env").write_text("".join(f"{k}={v}\n" for k, v in settings.items()))
        settings = {}
    assert len(same(tmp_path, env=settings).files) == 2


def test_compose_file_in_the_current_folders_env(tmp_path: Path) -> None:
    compose_file(tmp_path / "base.yaml", "base")
    compose_file(tmp_path / "dev.yaml", "dev")
    compose_file(tmp_path / "compose.yaml", "default")
    (tmp_path / ".env").write_text("COMPOSE_FILE=base.yaml:dev.yaml\n")
    found = same(tmp_path)
    assert found.how == "COMPOSE_FILE in .env"
    assert found.env_files == (str(tmp_path / ".env"),)


def test_compose_file_in_the_env_is_ignored_from_a_subfolder(tmp_path: Path) -> None:
    # The subfolder has no .env; the project's .env is read only once the files are found.
    compose_file(tmp_path / "base.yaml", "base")
    compose_file(tmp_path / "compose.yaml", "default")
    (tmp_path / ".env").write_text("COMPOSE_FILE=base.yaml\n")
    (tmp_path / "sub").mkdir()
    found = same(tmp_path / "sub")
    assert found.files == (str(tmp_path / "compose.yaml"),)
    assert found.environment["COMPOSE_FILE"] == "base.yaml"


def test_compose_file_paths_resolve_from_the_current_folder_not_the_envs(tmp_path: Path) -> None:
    compose_file(tmp_path / "here" / "a.yaml", "here")
    compose_file(tmp_path / "proj" / "a.yaml", "proj")
    (tmp_path / "proj" / ".env").write_text("COMPOSE_FILE=a.yaml\nFROM_PROJ=1\n")
    (tmp_path / "here" / ".env").write_text("FROM_HERE=1\n")
    found = same(tmp_path / "here", "--project-directory", "../proj")
    assert found.files == (str(tmp_path / "here" / "a.yaml"),)
    assert "FROM_HERE" not in found.environment  # the project directory's .env replaces it


def test_compose_file_in_an_env_file_given_with_env_file(tmp_path: Path) -> None:
    compose_file(tmp_path / "stack" / "a.yaml", "a")
    compose_file(tmp_path / "compose.yaml", "default")
    (tmp_path / "conf").mkdir()
    (tmp_path / "conf" / "dev.env").write_text("COMPOSE_FILE=stack/a.yaml\n")
    found = same(tmp_path, "--env-file", "conf/dev.env")
    assert found.files == (str(tmp_path / "stack" / "a.yaml"),)
    assert found.directory == str(tmp_path / "stack")


def test_the_environments_compose_file_wins_over_the_envs(tmp_path: Path) -> None:
    compose_file(tmp_path / "a.yaml", "a")
    compose_file(tmp_path / "b.yaml", "b")
    (tmp_path / ".env").write_text("COMPOSE_FILE=a.yaml\n")
    found = same(tmp_path, env={"COMPOSE_FILE": "b.yaml"})
    assert found.how == "COMPOSE_FILE"


def test_f_wins_over_compose_file(tmp_path: Path) -> None:
    compose_file(tmp_path / "a.yaml", "a")
    compose_file(tmp_path / "b.yaml", "b")
    same(tmp_path, "-f", "a.yaml", env={"COMPOSE_FILE": "b.yaml"})


def test_a_missing_file_in_compose_file_is_refused_by_both(tmp_path: Path) -> None:
    compose_file(tmp_path / "a.yaml", "a")
    message = both_refuse(tmp_path, env={"COMPOSE_FILE": "a.yaml:missing.yaml"})
    assert message == "missing.yaml: error: no such file (named in COMPOSE_FILE)"


def test_an_empty_compose_file_is_refused_by_both(tmp_path: Path) -> None:
    compose_file(tmp_path / "compose.yaml", "default")
    assert "is a folder" in both_refuse(tmp_path, env={"COMPOSE_FILE": ""})


# --- which .env, and precedence -----------------------------------------------------------------


def test_the_process_environment_wins_over_the_env(tmp_path: Path) -> None:
    compose_file(tmp_path / "compose.yaml", "default")
    (tmp_path / ".env").write_text("TAG=from-env-file\nOTHER=1\n")
    found = same(tmp_path, env={"TAG": "from-shell"})
    assert found.environment["TAG"] == "from-shell"


def test_from_a_subfolder_both_envs_are_read_and_the_current_folders_wins(tmp_path: Path) -> None:
    compose_file(tmp_path / "compose.yaml", "default")
    (tmp_path / ".env").write_text("BOTH=project\nFROM_PROJECT=1\n")
    (tmp_path / "web").mkdir()
    (tmp_path / "web" / ".env").write_text("BOTH=web\nFROM_WEB=1\n")
    found = same(tmp_path / "web")
    assert found.env_files == (str(tmp_path / "web" / ".env"), str(tmp_path / ".env"))
    assert (found.environment["BOTH"], found.environment["FROM_PROJECT"]) == ("web", "1")


def test_with_f_from_a_subfolder_only_the_project_directorys_env_is_read(tmp_path: Path) -> None:
    compose_file(tmp_path / "compose.yaml", "default")
    (tmp_path / ".env").write_text("BOTH=project\n")
    (tmp_path / "web").mkdir()
    (tmp_path / "web" / ".env").write_text("BOTH=web\nFROM_WEB=1\n")
    found = same(tmp_path / "web", "-f", "../compose.yaml")
    assert found.env_files == (str(tmp_path / ".env"),)


def test_the_project_directorys_env_replaces_the_current_folders(tmp_path: Path) -> None:
    compose_file(tmp_path / "proj" / "compose.yaml", "proj")
    (tmp_path / "proj" / ".env").write_text("WHERE=proj\n")
    (tmp_path / ".env").write_text("WHERE=here\nONLY_HERE=1\n")
    found = same(tmp_path, "--project-directory", "proj")
    assert found.env_files == (str(tmp_path / "proj" / ".env"),)


def test_env_file_replaces_the_default_and_later_files_win(tmp_path: Path) -> None:
    compose_file(tmp_path / "compose.yaml", "default")
    (tmp_path / ".env").write_text("DEFAULT=1\n")
    (tmp_path / "one.env").write_text("A=1\nB=${A}\n")
    (tmp_path / "two.env").write_text("A=2\nC=${A}\n")
    found = same(tmp_path, "--env-file", "one.env", "--env-file", "two.env")
    assert (found.environment["A"], found.environment["C"]) == ("2", "2")
    assert "DEFAULT" not in found.environment


def test_compose_env_files_is_the_default_of_env_file(tmp_path: Path) -> None:
    compose_file(tmp_path / "compose.yaml", "default")
    (tmp_path / ".env").write_text("DEFAULT=1\n")
    (tmp_path / "one.env").write_text("A=1\n")
    (tmp_path / "two.env").write_text("A=2\n")
    found = same(tmp_path, env={"COMPOSE_ENV_FILES": "two.env,,one.env"})
    assert found.environment["A"] == "1"


def test_a_missing_env_file_is_refused_by_both(tmp_path: Path) -> None:
    compose_file(tmp_path / "compose.yaml", "default")
    assert "no such env file" in both_refuse(tmp_path, "--env-file", "missing.env")


@pytest.mark.parametrize("where", ["environment", ".env"])
def test_compose_disable_env_file_skips_the_default_env(tmp_path: Path, where: str) -> None:
    compose_file(tmp_path / "compose.yaml", "default")
    lines = "FOO=1\n" + ("COMPOSE_DISABLE_ENV_FILE=true\n" if where == ".env" else "")
    (tmp_path / ".env").write_text(lines)
    env = {"COMPOSE_DISABLE_ENV_FILE": "1"} if where == "environment" else {}
    found = same(tmp_path, env=env)
    assert "FOO" not in found.environment
    assert found.env_files == ()


def test_an_invalid_compose_disable_env_file_is_refused_by_both(tmp_path: Path) -> None:
    compose_file(tmp_path / "compose.yaml", "default")
    (tmp_path / ".env").write_text("FOO=1\n")
    both_refuse(tmp_path, env={"COMPOSE_DISABLE_ENV_FILE": "yes"})


def test_pwd_is_added_only_when_the_process_has_none(tmp_path: Path) -> None:
    compose_file(tmp_path / "compose.yaml", "default")
    assert same(tmp_path).environment["PWD"] == str(tmp_path.resolve())
    assert same(tmp_path, env={"PWD": "/elsewhere"}).environment["PWD"] == "/elsewhere"


# --- .env syntax --------------------------------------------------------------------------------

ENV_CASES = {
    "plain": "A=1\nB=two words\n",
    "export": "export A=1\nexport  B=2\n",
    "yaml colon": "A: 1\nB:2\n",
    "spaces around": "  A = 1  \n\tB\t=\t2\t\n",
    "comments": "# comment\nA=1 # inline\nB=x#not\nC=x\t#tab\nD= #first\n  # indented\n",
    "empty": "A=\nB=''\nC=\"\"\n",
    "single quotes": "A='$HOME \\n \\' x'\nB='a # b'\n",
    "double quotes": 'A="tab\\there"\nB="q\\"q"\nC="back\\\\slash"\nD="\\$HOME"\nE="\\0101"\n',
    "unknown escapes": 'A="\\x41 \\c \\u0041 \\08"\nB="\\0777"\n',
    "multi-line quoted": "A=\"one\ntwo\"\nB='three\nfour'\n",
    "junk after quote": 'A="q"junk\nB=1\n',
    "inherited": "HOME\nNOT_SET\nA\nA=1\n",
    "inherit from earlier": "A=1\nB=${A}\nA\n",
    "last line without newline": "A=1\nLAST",
    "interpolation": "A=1\nB=${A}-$A-${UNSET:-d}-${UNSET-e}-${A:+f}-${A+g}-$$-${A}${A}\n",
    "empty vs unset": "E=\nA=${E:-x}\nB=${E-y}\nC=${E:+z}\nD=${E+w}\n",
    "nested default": "A=${UNSET:-${HOME}/x}\nB=${UNSET:-a}}b\n",
    "operator order": "A=${UNSET-x:-y}\nB=${HOME:-x-y}\n",
    "process env first": "HOME=/from/env\nA=$HOME\n",
    "crlf": "A=1\r\nB='2'\r\n# c\r\nC\r\n",
    "bom": "\ufeffA=1\n",
    "punctuation in names": "A.B=1\nA-B=2\nA[0]=3\n_X=4\n",
    "unicode": "NAÏVE=ü\nA=😀\n",
    "folded template names": "\u017f=1\n\u212a=2\nA=${\u017f}-$\u212a\n",
    "digits first": "1A=1\n",
    "export alone": "export\nA=1\n",
}


@pytest.mark.parametrize("text", ENV_CASES.values(), ids=ENV_CASES.keys())
def test_env_syntax_reads_as_compose_reads_it(tmp_path: Path, text: str) -> None:
    compose_file(tmp_path / "compose.yaml", "default")
    (tmp_path / ".env").write_bytes(text.encode())
    found = same(tmp_path)
    env = environ(tmp_path.resolve())
    values = project.read_env_file(str(tmp_path / ".env"), env)
    added = {k: v for k, v in found.environment.items() if k not in env and k != "PWD"}
    assert added == {k: v for k, v in values.items() if k not in env}


ENV_ERRORS = {
    "unterminated": 'A="open\nB=1\n',
    "space in name": "A B=1\n",
    "bad character": "A$B=1\n",
    "required": "A=${UNSET:?must be set}\n",
    "required unset only": "A=${UNSET?}\n",
    "invalid template": "A=${}\n",
    "unclosed brace": "A=${A\n",
    "turkish i in a template": "A=${\u0130}\n",
}


@pytest.mark.parametrize("text", ENV_ERRORS.values(), ids=ENV_ERRORS.keys())
def test_env_syntax_errors_are_refused_by_both(tmp_path: Path, text: str) -> None:
    compose_file(tmp_path / "compose.yaml", "default")
    (tmp_path / ".env").write_text(text)
    message = both_refuse(tmp_path)
    assert message.startswith(f"{tmp_path.resolve() / '.env'}:1: error: ")


def test_env_values_interpolated_in_an_image_name(tmp_path: Path) -> None:
    """The same check as an image name: what `config --format json` shows."""
    compose = tmp_path / "compose.yaml"
    compose.write_text("services:\n  api:\n    image: ${REGISTRY}/api:${TAG}-dev\n")
    (tmp_path / ".env").write_text('REGISTRY="reg.example.com" # ours\nexport TAG=1.0 #rc\n')
    done = binary(tmp_path, ["config", "--format", "json"], environ(tmp_path))
    image = json.loads(done.stdout)["services"]["api"]["image"]
    values = project.find([], str(tmp_path), environ(tmp_path)).environment
    assert image == f"{values['REGISTRY']}/api:{values['TAG']}-dev" == "reg.example.com/api:1.0-dev"


def test_substitute_follows_compose_templates() -> None:
    values = {"A": "1", "E": ""}
    assert envfile.substitute("${A}${E:-x}${E-y}$$${A:+z}$1", values.get) == "1x$z$1"


# --- generated .env files -----------------------------------------------------------------------

KEYS = ("A", "B", "C", "HOME")
PIECES = st.sampled_from(
    [
        "x",
        "two words",
        " ",
        "\t",
        "#",
        " #",
        "'",
        '"',
        "\\",
        "\\n",
        "\\t",
        '\\"',
        "\\'",
        "\\$",
        "\\0101",
        "\\0",
        "\\08",
        "\\0377",
        "\\0777",
        "\\a",
        "\\x41",
        "$A",
        "${B}",
        "${C:-d}",
        "${A-e}",
        "${B:+f}",
        "${C+g}",
        "${A:-${B}}",
        "${C:?no C}",
        "${A?}",
        "${",
        "${}",
        "$",
        "$1",
        "$$",
        "{",
        "}",
        "=",
        ":",
        "\n",
        "\r",
        "export ",
        "é",
    ]
)


@st.composite
def env_texts(draw: st.DrawFn) -> str:
    lines = []
    for _ in range(draw(st.integers(1, 5))):
        key = draw(st.sampled_from(KEYS))
        quote = draw(st.sampled_from(["", "'", '"']))
        value = "".join(draw(st.lists(PIECES, max_size=5)))
        shape = draw(
            st.sampled_from(
                [
                    "{k}={q}{v}{q}",
                    "export {k}={q}{v}{q}",
                    "{k}: {q}{v}{q}",
                    "{k}",
                    "# {v}",
                    "{k} = {q}{v}{q} # c",
                    "",
                    "{k}={q}{v}{q}{v}",
                    "  {k}\t={v}",
                ]
            )
        )
        lines.append(shape.format(k=key, q=quote, v=value))
    return draw(st.sampled_from(["\n", "\r\n"])).join(lines) + draw(st.sampled_from(["", "\n"]))


PROBE = (
    "services:\n  order:\n    image: x\n    build: .\n    cap_add: [CAP_probe]\n"
    "    environment:\n" + "".join(f"      {k}: ${{{k}-(unset)}}\n" for k in KEYS)
)


@settings(
    max_examples=int(os.environ.get("COMPOSESWAP_ORACLE_EXAMPLES", "25")),
    deadline=None,
    derandomize=os.environ.get("CI") == "true",
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(text=env_texts())
def test_generated_env_files_read_as_compose_reads_them(tmp_path: Path, text: str) -> None:
    (tmp_path / "compose.yaml").write_text(PROBE)
    (tmp_path / ".env").write_bytes(text.encode())
    env = environ(tmp_path.resolve())
    done = binary(tmp_path, ["config", "--format", "json"], env)
    try:
        values = project.find([], str(tmp_path.resolve()), env).environment
    except ComposeswapError as error:
        assert done.returncode != 0, f"{text!r}: composeswap refused ({error}), Compose read it"
        return
    assert done.returncode == 0, f"{text!r}: Compose refused:\n{done.stderr}"
    theirs = {
        k: v.replace("$$", "$")  # config escapes every $ in what it prints
        for k, v in json.loads(done.stdout)["services"]["order"]["environment"].items()
    }
    assert {k: values.get(k, "(unset)") for k in KEYS} == theirs, repr(text)
