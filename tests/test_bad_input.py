"""Bad input in one table: each case exits 2 with its exact message, changes nothing, never crashes.

Each case runs with the commands it makes sense for. The messages are the complete stderr, so a
case also proves that there is exactly one line (or exactly the expected few) and nothing else.
``{folder}`` in a message stands for the project folder as composeswap resolves it.

Bad conditions for writing are tested in tests/test_files.py, not repeated here:

- a file changed by someone else meanwhile: test_a_change_made_meanwhile_is_kept_and_refused and
  the tests after it;
- a read-only file or folder: test_read_only_file_is_refused_and_unchanged,
  test_read_only_file_is_refused_for_root_too,
  test_read_only_folder_is_refused_and_the_file_unchanged;
- a full disk: test_full_disk_while_writing_keeps_the_file_and_leaves_no_temp,
  test_failing_rename_keeps_the_file_and_leaves_no_temp.
"""

from __future__ import annotations

import errno
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

import composeswap.files
from tests.helpers import DEV_IMAGE, Result, run, source_folder

LOCAL, REMOTE, VALIDATE = "local", "remote", "validate"
EVERY = (LOCAL, REMOTE, VALIDATE)
DEV_API = f"    image: {DEV_IMAGE}\n".encode()
TAB_MESSAGE = (
    "invalid YAML: a tab character where this YAML reader takes none (to indent, after "
    "a '-' or '?', or inside an unquoted value): replace it with spaces, or quote the "
    "value"
)
SETTINGS_TARGET = "must match ^[A-Za-z0-9][A-Za-z0-9_.-]*$"
HANG_GUARD_SECONDS = 10
MEMORY_CAP = 1 << 30
# `python -m composeswap` with its address space capped, so that a runaway read fails fast
# instead of exhausting the machine.
CAPPED_MAIN = (
    "import resource, runpy; "
    f"resource.setrlimit(resource.RLIMIT_AS, ({MEMORY_CAP}, {MEMORY_CAP})); "
    "runpy.run_module('composeswap', run_name='__main__')"
)

Setup = Callable[[Path, pytest.MonkeyPatch], None]


@dataclass(frozen=True)
class Case:
    text: bytes | None  # compose.yaml's content; None: no compose.yaml
    messages: tuple[str, ...]  # the whole of stderr; a final "…" leaves the rest of a line free
    commands: tuple[str, ...] = EVERY
    before: tuple[str, ...] = ()  # arguments before the command, such as -f FILE
    after: tuple[str, ...] = ()  # arguments after the command, such as service names
    folders: tuple[str, ...] = ("api",)
    setup: Setup | None = None
    own_process: bool = False  # run as a real process, with a hang guard and a memory cap


def unreadable(_folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # As root, chmod 000 does not stop reading: refuse it where composeswap reads.
    real_read_bytes = composeswap.files._read_bytes

    def read_bytes(path: str) -> bytes:
        if os.path.basename(path) == "compose.yaml":
            raise PermissionError(errno.EACCES, "Permission denied", path)
        return real_read_bytes(path)

    monkeypatch.setattr(composeswap.files, "_read_bytes", read_bytes)


def fifo(folder: Path, _monkeypatch: pytest.MonkeyPatch) -> None:
    os.mkfifo(folder / "pipe.yaml")


def nested(depth: int) -> bytes:
    lines = [b"services:", b"  api:", DEV_API.rstrip(b"\n"), b"    labels:"]
    lines += [b"  " * (level + 3) + b"a:" for level in range(depth)]
    return b"\n".join(lines) + b" x\n"


def alias_bomb(levels: int, width: int) -> bytes:
    """ "Billion laughs": each level lists the previous one ``width`` times."""
    lines = [b"x-l0: &l0 [lol]"]
    for level in range(1, levels + 1):
        aliases = b", ".join([b"*l%d" % (level - 1)] * width)
        lines.append(b"x-l%d: &l%d [%s]" % (level, level, aliases))
    return b"\n".join(lines) + b"\nservices:\n  api:\n" + DEV_API


def non_string_key(key: bytes, column: int, written: str, unvalidated: bool = False) -> Case:
    """A key of the service api that YAML reads as something else than a string."""
    message = (
        f"compose.yaml:4:{column}: error: services.api: a key of a service must be a "
        f"string, not {written!r}",
    )
    text = b"services:\n  api:\n" + DEV_API + b"    " + key + b": x\n"
    if unvalidated:
        return Case(text, message, (LOCAL, REMOTE), after=("--no-validate",))
    return Case(text, message)


CASES: dict[str, Case] = {
    # --- which file
    "no compose file in the folder": Case(
        None,
        (
            "{folder}: error: no compose file here or in any parent folder (looked for "
            "compose.yaml, compose.yml, docker-compose.yml, docker-compose.yaml); pass one with -f "
            "FILE",
        ),
    ),
    "a path that does not exist": Case(
        None, ("missing.yaml: error: no such file",), before=("-f", "missing.yaml")
    ),
    "a directory": Case(
        None, ("api: error: is a folder, not a compose file",), before=("-f", "api")
    ),
    "an unreadable file": Case(
        b"services:\n  api:\n" + DEV_API,
        ("compose.yaml: error: cannot read it: permission denied",),
        setup=unreadable,
    ),
    "a FIFO": Case(
        None,
        ("pipe.yaml: error: …",),
        (VALIDATE,),
        before=("-f", "pipe.yaml"),
        setup=fifo,
        own_process=True,
    ),
    "a device that never ends": Case(
        None,
        ("/dev/zero: error: …",),
        (LOCAL, VALIDATE),
        before=("-f", "/dev/zero"),
        own_process=True,
    ),
    # --- text
    "not UTF-8": Case(
        b"services:\n  api:\n    image: caf\xe9:1-dev\n",
        ("compose.yaml:3:15: error: not UTF-8 text (byte 0xe9); compose files are UTF-8",),
    ),
    "a NUL character": Case(
        b"services:\n  api:\n    image: a\x00b:1-dev\n",
        ("compose.yaml:3:13: error: a character YAML does not allow (U+0000): remove it",),
    ),
    "a U+2028 in a comment": Case(
        "services:\n  api:  # ours\u2028really\n".encode() + DEV_API,
        (
            "compose.yaml:2:15: error: U+2028 LINE SEPARATOR here, which YAML readers disagree on "
            "(some read a line break): replace it with a space or remove it",
        ),
    ),
    # --- YAML
    "an empty file": Case(
        b"",
        ("compose.yaml: error: the file is empty: Docker Compose refuses an empty compose file",),
    ),
    "comments only": Case(
        b"# services:\n#   api:\n",
        ("compose.yaml: error: the file is empty: Docker Compose refuses an empty compose file",),
    ),
    "a YAML syntax error (unclosed flow)": Case(
        b"services:\n  api:\n    ports: [80\n" + DEV_API,
        (
            "compose.yaml:4:10: error: invalid YAML: expected ',' or ']', but got ':' "
            "(while parsing a flow sequence that starts at 3:12)",
        ),
    ),
    "tab indentation": Case(
        b"services:\n\tapi:\n\t\timage: a\n", (f"compose.yaml:2:1: error: {TAB_MESSAGE}",)
    ),
    "a tab after a dash": Case(
        b"services:\n  api:\n" + DEV_API + b"    ports:\n      -\t'80:80'\n",
        (f"compose.yaml:5:8: error: {TAB_MESSAGE}",),
    ),
    # Compose keeps it in the value; only libyaml would, and it is not given text with tabs.
    "a tab inside an unquoted value": Case(
        b"services:\n  api:\n" + DEV_API + b"    command: run\tfast\n",
        (f"compose.yaml:4:17: error: {TAB_MESSAGE}",),
    ),
    "a duplicate key": Case(
        b"services:\n  api:\n" + DEV_API + b"    ports: []\n" + DEV_API,
        ('compose.yaml:5:5: error: invalid YAML: found duplicate key "image"',),
    ),
    "a %YAML 1.2 directive": Case(
        b"# c\n%YAML 1.2\n---\nservices:\n  api:\n" + DEV_API,
        (
            "compose.yaml:2:1: error: Docker Compose refuses a '%YAML 1.2' directive "
            "(it reads only %YAML 1.1): remove the line or write %YAML 1.1",
        ),
    ),
    # Found by fuzzing: a lone key in a flow mapping has no ':' to end its empty value at.
    "a lone key in a flow mapping": Case(
        b"services:\n  db: { imapostgres:16 }\n",
        (
            "compose.yaml:2:3: error: services.db: has neither 'image' nor 'build'; Compose "
            "needs one",
            "compose.yaml:2:9: error: services.db.imapostgres:16: unknown key 'imapostgres:16'",
        ),
    ),
    "several documents": Case(
        b"services:\n  api:\n" + DEV_API + b"---\nservices: {}\n",
        (
            "compose.yaml:4:1: error: invalid YAML: several YAML documents in one file: "
            "composeswap edits single-document files",
        ),
    ),
    "an alias bomb": Case(
        alias_bomb(9, 9),
        (
            "compose.yaml: error: aliases expand this file to more than 1,000,000 values (an alias "
            "bomb?); composeswap will not read it",
        ),
        own_process=True,
    ),
    "deeply nested YAML": Case(
        nested(1000), ("compose.yaml: error: the YAML is nested too deeply to be a compose file",)
    ),
    # libyaml's own composer recurses in C: this many levels overflowed the stack and killed
    # the process. In a process of its own, so a crash is seen as one.
    "a million nested flow sequences": Case(
        b"services:\n  api:\n    image: " + b"[" * 1_000_000 + b"]" * 1_000_000 + b"\n",
        ("compose.yaml: error: the YAML is nested too deeply to be a compose file",),
        own_process=True,
    ),
    # --- shape of a compose file
    "a list at the top level": Case(
        b"- services:\n    api: {}\n",
        (
            "compose.yaml:1:1: error: the top level must be a mapping of keys such as services and "
            "networks",
        ),
    ),
    "a scalar at the top level": Case(
        b"services\n",
        (
            "compose.yaml:1:1: error: the top level must be a mapping of keys such as services and "
            "networks",
        ),
    ),
    # Compose ignores 'version' and an include of nothing, then refuses an empty file.
    "nothing but version and an empty include": Case(
        b"version: '3'\ninclude: []\n",
        (
            "compose.yaml:1:1: error: nothing here Docker Compose reads ('version' is ignored, an "
            "empty 'include' adds nothing): it refuses the file as empty",
        ),
    ),
    "an empty mapping": Case(
        b"{}\n",
        (
            "compose.yaml:1:1: error: nothing here Docker Compose reads ('version' is ignored, an "
            "empty 'include' adds nothing): it refuses the file as empty",
        ),
    ),
    "services a list": Case(
        b"services:\n  - api\n",
        (
            "compose.yaml:2:3: error: services: 'services' must be a mapping of service names to "
            "services",
        ),
    ),
    "a service that is a scalar": Case(
        b"services:\n  api: nginx:1-dev\n",
        (
            "compose.yaml:2:8: error: services.api: a service must be a mapping of keys such as "
            "image and build",
        ),
    ),
    "a service with neither image nor build": Case(
        b"services:\n  api:\n    ports: ['80:80']\n",
        (
            "compose.yaml:2:3: error: services.api: has neither 'image' nor 'build'; Compose "
            "needs one",
        ),
    ),
    # Compose refuses them; with --no-validate nothing else stops them before they are taken
    # for strings.
    "a number as a key of a service": non_string_key(b"1.5", 5, "1.5"),
    "a number as a key of a service, unvalidated": non_string_key(b"1.5", 5, "1.5", True),
    "null as a key of a service": non_string_key(b"null", 5, "null"),
    "null as a key of a service, unvalidated": non_string_key(b"null", 5, "null", True),
    "a boolean as a key of a service": non_string_key(b"true", 5, "true"),
    "a boolean as a key of a service, unvalidated": non_string_key(b"true", 5, "true", True),
    "a sequence as a key of a service": non_string_key(b"? [a]\n    ", 7, "[a]"),
    "a sequence as a key of a service, unvalidated": non_string_key(b"? [a]\n    ", 7, "[a]", True),
    # --- x-composeswap
    "invalid top-level x-composeswap": Case(
        b"x-composeswap:\n  imgae: reg/{service}:1-{target}\nservices:\n  api:\n" + DEV_API,
        (
            "compose.yaml:2:3: error: x-composeswap.imgae: unknown key 'imgae' (did you mean "
            "'image'?)",
        ),
    ),
    "invalid per-service x-composeswap": Case(
        b"services:\n  api:\n" + DEV_API + b"    x-composeswap:\n      target: dev stage\n",
        (
            "compose.yaml:5:15: error: services.api.x-composeswap.target: invalid Dockerfile "
            f"stage name 'dev stage': {SETTINGS_TARGET}",
        ),
    ),
    # --- the request
    "an unknown service name": Case(
        b"services:\n  api:\n" + DEV_API + b"  web:\n    image: nginx:1.27\n",
        ("compose.yaml: error: no service 'apj'; did you mean 'api'? services: api, web",),
        (LOCAL, REMOTE),
        after=("apj",),
    ),
    "a missing source folder": Case(
        b"services:\n  api:\n" + DEV_API,
        (
            "compose.yaml:2:3: error: services.api: source folder ./api does not exist (resolved "
            "from {folder}); check it out there, or pass --context api=PATH",
        ),
        (LOCAL,),
        folders=(),
    ),
    # --- what composeswap will not edit
    "an image through a << merge": Case(
        b"x-base: &base\n  image: ${DOCKER_REGISTRY}/api:${IMAGE_TAG}-dev\n"
        b"services:\n  api:\n    <<: *base\n",
        (
            "compose.yaml:4:3: error: services.api: gets 'image' through a '<<' merge; composeswap "
            "edits only the keys a service writes itself: move 'image' out of the merged mapping "
            "into each service that needs it",
        ),
        (LOCAL,),
    ),
    "a build through a << merge": Case(
        b"x-base: &base\n  build:\n    context: ./api\n    target: dev\n"
        b"services:\n  api:\n    <<: *base\n",
        (
            "compose.yaml:6:3: error: services.api: gets 'build' through a '<<' merge; composeswap "
            "edits only the keys a service writes itself: move 'build' out of the merged mapping "
            "into each service that needs it",
        ),
        (REMOTE,),
    ),
    "a service written as an alias": Case(
        b"x-api: &api\n  image: ${DOCKER_REGISTRY}/api:${IMAGE_TAG}-dev\nservices:\n  api: *api\n",
        (
            "compose.yaml:4:3: error: services.api: is written as an alias (*api) of a mapping "
            "defined elsewhere; switching it would change both: write the service out in full, "
            "then run again",
        ),
        (LOCAL,),
    ),
    "an aliased build that would be deleted": Case(
        b"services:\n  api:\n    x-composeswap-image: reg.example.com/api:1\n"
        b"    build: &api-build\n      context: ./api\n      target: dev\n"
        b"  worker:\n    build: *api-build\n",
        (
            "compose.yaml:4:5: error: services.api: cannot switch: its 'build' has an anchor "
            "(&api-build) that another part of the file uses through an alias; composeswap leaves "
            "it untouched rather than risk changing anything else. Rewrite that key plainly, then "
            "run again",
        ),
        (REMOTE,),
        after=("api",),
        folders=("api", "worker"),
    ),
}


def params() -> list[object]:
    return [
        pytest.param(name, command, id=f"{name}-{command}")
        for name, case in CASES.items()
        for command in case.commands
    ]


def own_process(folder: Path, *args: str) -> Result:
    try:
        done = subprocess.run(
            [sys.executable, "-c", CAPPED_MAIN, *args],
            cwd=folder,
            capture_output=True,
            text=True,
            timeout=HANG_GUARD_SECONDS,
        )
    except subprocess.TimeoutExpired:
        raise AssertionError(f"still running after {HANG_GUARD_SECONDS} s: {args}") from None
    # Only a real process can print a traceback: in-process, run() lets an exception fail the
    # test, and composeswap's own handler says a bug in one line.
    assert "Traceback" not in done.stdout + done.stderr, done.stderr
    return Result(done.returncode, done.stdout, done.stderr)


def listing(folder: Path) -> dict[str, bytes | None]:
    """Every name in ``folder`` with a file's bytes, read past any patch of Path.read_bytes."""
    found: dict[str, bytes | None] = {}
    for path in folder.iterdir():
        if path.is_file():
            with open(path, "rb") as file:
                found[path.name] = file.read()
        else:
            found[path.name] = None
    return found


def matches(line: str, expected: str) -> bool:
    if expected.endswith("…"):
        return line.startswith(expected[:-1])
    return line == expected


@pytest.mark.parametrize("name, command", params())
def test_bad_input_is_refused_with_its_message_and_the_file_left_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, command: str
) -> None:
    case = CASES[name]
    for folder in case.folders:
        source_folder(tmp_path / folder)
    if case.text is not None:
        (tmp_path / "compose.yaml").write_bytes(case.text)
    if case.setup:
        case.setup(tmp_path, monkeypatch)
    before = listing(tmp_path)
    args = [*case.before, command, *case.after]
    result = own_process(tmp_path, *args) if case.own_process else run(tmp_path, *args)
    monkeypatch.undo()

    assert result.exit_code == 2, result.stderr
    lines = result.stderr.splitlines()
    expected = [message.replace("{folder}", str(tmp_path.resolve())) for message in case.messages]
    assert len(lines) == len(expected) and all(map(matches, lines, expected)), f"\n{result.stderr}"
    assert result.stdout == ""
    assert listing(tmp_path) == before
