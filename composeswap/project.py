"""Which compose files make the project, and what interpolation sees, as Docker Compose v2 decides.

The rules follow Docker Compose v2.40's loading (compose-go's ``cli`` options, applied in the
order ``docker compose`` applies them), and the tests check each against the binary:

1. ``-f`` files, in order; no override file is added. Relative paths resolve from the current
   folder, even with ``--project-directory``.
2. Otherwise ``COMPOSE_FILE``, from the environment or else from the first ``.env`` (below),
   split on ``COMPOSE_PATH_SEPARATOR`` (default ``os.pathsep``); its relative paths resolve from
   the current folder, whichever ``.env`` it came from.
3. Otherwise the first of ``DEFAULT_NAMES`` in the current folder (the project directory when
   given), then in each parent folder up to the root, plus the first of ``OVERRIDE_NAMES``
   beside it. Several names in one folder: Compose uses the first and warns.

The project directory is ``--project-directory``, else the folder of the first file.

``.env`` files: ``--env-file`` (repeatable; default ``COMPOSE_ENV_FILES``) replaces them all.
Otherwise the first ``.env`` is the one in the project directory if given, else beside the
first ``-f`` file, else in the current folder; once the files are known, the project
directory's ``.env`` is read as well when it is another file. Values already set win: the
process environment over both, the first ``.env`` over the second.
``COMPOSE_DISABLE_ENV_FILE=1`` reads no default ``.env``.

Paths are absolute and normalised as Compose's ``filepath.Abs`` makes them (symlinks kept).
Compose also sets ``COMPOSE_PROJECT_NAME`` for interpolation, from the files' ``name:`` or the
folder; it needs the files' content, so ``environment`` leaves it out.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import NamedTuple

from composeswap import envfile
from composeswap.errors import ComposeswapError, fail

# Compose's order of preference (compose-go cli.DefaultFileNames), checked with the binary.
DEFAULT_NAMES = ("compose.yaml", "compose.yml", "docker-compose.yml", "docker-compose.yaml")
OVERRIDE_NAMES = (
    "compose.override.yml",
    "compose.override.yaml",
    "docker-compose.override.yml",
    "docker-compose.override.yaml",
)
DOTENV = ".env"
# What docker compose hands to its OCI or git loaders (buildkit's ParseGitRef) instead of
# reading a local file; checked with the binary: `host:c.yaml` is local, `u@host:c.yaml` is not.
# Compiled on first use, by re: only -f and include name files it is asked about.
_REMOTE = (
    r"oci://|github\.com/|(?i:ssh|git)://|(?i:https?)://[^#?]*\.git(?:[#?]|$)"
    r"|[A-Za-z0-9_-]+@[A-Za-z0-9.-]+:"
)
_TRUE = ("1", "t", "T", "TRUE", "true", "True")  # Go's strconv.ParseBool
_FALSE = ("0", "f", "F", "FALSE", "false", "False")


class Project(NamedTuple):
    files: tuple[str, ...]  # absolute, in merge order
    directory: str  # absolute: relative paths in every file resolve from here
    environment: Mapping[str, str]  # what interpolation sees, COMPOSE_PROJECT_NAME aside
    env_files: tuple[str, ...]  # the .env files read, absolute, in reading order
    how: str  # how the files were found, for messages: "-f", "COMPOSE_FILE in .env", ...
    warnings: tuple[str, ...] = ()  # what Compose warns about while finding them


class _Files(NamedTuple):
    paths: tuple[str, ...]
    how: str
    warnings: tuple[str, ...] = ()


def find(
    files: Sequence[str],
    cwd: str,
    environ: Mapping[str, str],
    project_directory: str | None = None,
    env_files: Sequence[str] = (),
) -> Project:
    """The project ``docker compose [-f FILE]... [--project-directory D] [--env-file E]...``
    loads when run in ``cwd`` with the process environment ``environ``.

    Raises ComposeswapError for what Compose would refuse (a missing file, no compose file
    found, a ``.env`` it cannot read) and for standard input or remote files."""
    cwd = os.path.abspath(cwd)
    given = tuple(_given_file(name, cwd) for name in files)
    chosen_directory = _absolute(project_directory, cwd) if project_directory else None
    explicit = tuple(_absolute(name, cwd) for name in env_files or _compose_env_files(environ))
    first_folder = chosen_directory or (os.path.dirname(given[0]) if given else cwd)
    process = _with_compose_settings(environ, explicit, first_folder)
    first_env = explicit or _dotenv(first_folder, process)
    environment = dict(process)
    environment.setdefault("PWD", cwd)  # Compose adds it when the process has none
    _merge(environment, _read_env_files(first_env, environment))
    found = (
        _Files(given, "-f")
        if given
        else _configured(environment, environ, cwd)
        or _search(chosen_directory or cwd, cwd, chosen_directory is not None)
    )
    directory = chosen_directory or os.path.dirname(found.paths[0])
    # Compose reads the project directory's .env once the files are known; when there is none
    # it keeps the first one.
    second_env = explicit or _dotenv(directory, process) or first_env
    env_read = first_env
    if second_env != first_env:
        _merge(environment, _read_env_files(second_env, environment))
        env_read += tuple(name for name in second_env if name not in first_env)
    return Project(
        found.paths, directory, MappingProxyType(environment), env_read, found.how, found.warnings
    )


def read_env_file(path: str, environ: Mapping[str, str] = MappingProxyType({})) -> dict[str, str]:
    """The variables a ``.env`` file sets, ``${VAR}`` in its values looked up in ``environ``
    first, then in the file's own earlier values."""
    return _read_env_files((path,), environ)


def _absolute(path: str, cwd: str) -> str:
    return os.path.normpath(os.path.join(cwd, path))


def _given_file(name: str, cwd: str) -> str:
    if name == "-":
        raise fail(
            "-",
            "reading the compose file from standard input (-f -) is not supported: "
            "composeswap edits files; name the file",
        )
    if re.match(_REMOTE, name):
        raise fail(
            name,
            "Docker Compose reads this as a remote (git or OCI) resource; "
            "composeswap edits local files: name a local file (./ in front makes it one)",
        )
    path = _absolute(name, cwd)
    _require_file(path, name, "")
    return path


def _require_file(path: str, name: str, origin: str) -> None:
    if os.path.isdir(path):
        raise fail(name, f"is a folder, not a compose file{origin}")
    if not os.path.exists(path):
        raise fail(name, f"no such file{origin}")


def _compose_env_files(environ: Mapping[str, str]) -> list[str]:
    # The default of --env-file, split on commas, empty parts dropped (Go's FieldsFunc).
    return [part for part in environ.get("COMPOSE_ENV_FILES", "").split(",") if part]


def _env_file_disabled(environ: Mapping[str, str]) -> bool:
    value = environ.get("COMPOSE_DISABLE_ENV_FILE")
    if value is None or value in _FALSE:
        return False
    if value in _TRUE:
        return True
    raise fail(
        "COMPOSE_DISABLE_ENV_FILE",
        f"{value!r} is not a boolean; Compose refuses it (use 1 or 0, true or false)",
    )


def _dotenv(folder: str, environ: Mapping[str, str]) -> tuple[str, ...]:
    """The folder's ``.env`` when Compose would read it by default: a file that exists."""
    path = os.path.join(folder, DOTENV)
    if _env_file_disabled(environ) or not os.path.exists(path) or os.path.isdir(path):
        return ()
    return (path,)


def _with_compose_settings(
    environ: Mapping[str, str], explicit: tuple[str, ...], folder: str
) -> dict[str, str]:
    """The process environment after Compose's first look at the ``.env``: it exports the
    ``COMPOSE_*`` variables the process does not set, so COMPOSE_DISABLE_ENV_FILE,
    COMPOSE_FILE and COMPOSE_PATH_SEPARATOR from a ``.env`` behave as if set in the shell."""
    process = dict(environ)
    try:
        values = _read_env_files(explicit or _dotenv(folder, environ), environ)
    except ComposeswapError:
        return process  # Compose ignores errors here; the next reading of the file reports them
    for name, value in values.items():
        if name.startswith("COMPOSE_") and name not in environ:
            process[name] = value
    return process


def _read_env_files(paths: Sequence[str], environ: Mapping[str, str]) -> dict[str, str]:
    values: dict[str, str] = {}
    for path in paths:
        try:
            envfile.parse(_read_text(path), environ, values)
        except envfile.EnvSyntaxError as error:
            raise fail(path, error.message, line=error.line) from None
    return values


def _read_text(path: str) -> str:
    if os.path.isdir(path):
        raise fail(path, "is a folder, not an env file")
    try:
        with open(path, "rb") as source:
            raw = source.read()
    except FileNotFoundError:
        raise fail(path, "no such env file") from None
    except OSError as error:
        raise fail(path, f"cannot read it: {error.strerror or error}") from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        raise fail(path, f"not UTF-8 text (byte 0x{raw[error.start]:02x})", line=line) from None


def _merge(environment: dict[str, str], values: Mapping[str, str]) -> None:
    """Compose's Mapping.Merge: a value already set wins."""
    for name, value in values.items():
        environment.setdefault(name, value)


def _configured(
    environment: Mapping[str, str], environ: Mapping[str, str], cwd: str
) -> _Files | None:
    """The files ``COMPOSE_FILE`` names, relative to the current folder wherever it was set."""
    if "COMPOSE_FILE" not in environment:
        return None
    separator = environment.get("COMPOSE_PATH_SEPARATOR") or os.pathsep
    origin = "COMPOSE_FILE" if "COMPOSE_FILE" in environ else "COMPOSE_FILE in .env"
    paths = []
    for name in environment["COMPOSE_FILE"].split(separator):
        if name == "-":
            raise fail("-", f"{origin} names standard input (-); composeswap edits files")
        path = _absolute(name, cwd)
        _require_file(path, name or path, f" (named in {origin})")
        paths.append(path)
    return _Files(tuple(paths), origin)


def _search(start: str, cwd: str, from_project_directory: bool) -> _Files:
    folder = start
    while True:
        bases = _present(folder, DEFAULT_NAMES)
        if bases:
            overrides = _present(folder, OVERRIDE_NAMES)
            warnings = _several(bases, "config") + _several(overrides, "override")
            chosen = tuple(bases[:1] + overrides[:1])
            for path in chosen:
                if os.path.isdir(path):  # Compose picks it by its name, then cannot read it
                    raise fail(
                        path,
                        "is a folder, not a compose file; Compose picks it by its "
                        "name and fails too: rename it or pass the file with -f FILE",
                    )
            how = f"found in {_place(folder, cwd, from_project_directory and folder == start)}"
            return _Files(chosen, how + (" with override" if overrides else ""), warnings)
        parent = os.path.dirname(folder)
        if parent == folder:
            raise fail(
                start,
                "no compose file here or in any parent folder (looked for "
                f"{', '.join(DEFAULT_NAMES)}); pass one with -f FILE",
            )
        folder = parent


def _present(folder: str, names: Sequence[str]) -> list[str]:
    # Compose stats each name: a broken symlink is absent, a folder of that name counts.
    return [path for path in (os.path.join(folder, name) for name in names) if os.path.exists(path)]


def _several(paths: Sequence[str], kind: str) -> tuple[str, ...]:
    if len(paths) < 2:
        return ()
    return (
        f"found multiple {kind} files with supported names: {', '.join(paths)}; using {paths[0]}",
    )


def _place(folder: str, cwd: str, is_project_directory: bool) -> str:
    if is_project_directory:
        return "the project directory"
    if folder == cwd:
        return "the current folder"
    return os.path.relpath(folder, cwd)


# Compose's isRemoteContext: a context it hands to the builder as it is, with nothing on disk.
_REMOTE_CONTEXT = re.compile(r"://|^(?:github\.com/|git@|service:)")


def is_remote_context(context: str) -> bool:
    return bool(_REMOTE_CONTEXT.search(context))


def local_path(base: str, path: str) -> str | None:
    """Where a build context (or a path in it) is on disk, as Compose resolves it: relative to
    ``base`` (the folder of the file that says it), a leading '~' from the home folder ('~x/y'
    is $HOME/x/y); None for a remote context, or a path with variables Compose replaces first."""
    if is_remote_context(path) or "$" in path:
        return None
    if path.startswith("~"):
        return os.path.join(os.path.expanduser("~"), path[1:].lstrip("/"))
    return os.path.normpath(os.path.join(base, path))
