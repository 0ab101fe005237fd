"""The usual command lines, read without importing click.

Importing click is about a quarter of a small file's run, while ``local``, ``remote``, ``status``
and ``validate`` with their options are nearly every line anyone types, and ``toggle`` what an
editor runs. ``read`` turns such a
line into the ``commands.Call`` that click's commands in ``cli`` make of it, and gives up (None)
on everything else: help, version, other commands, ``--``, an option it does not know or given
in a way it does not follow, a value click would refuse. Click, the one definition of the
grammar, then reads the line and says what is wrong with it.

``complete`` answers the shell's usual question, a service name for one of those lines, as
click's completion answers it.

The tables below restate those commands' options; ``tests/test_argv.py`` derives its lines from
the click commands and checks that whatever this reads, click reads the same, that what click
refuses this gives up on, and that both complete alike.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple

from composeswap.commands import COMPLETE_VAR, Before, Call, complete_services, pairs, stage, where


class Kind(enum.Enum):
    FLAG = "flag"  # present or not
    VALUE = "value"  # the last one given
    MULTIPLE = "multiple"  # every one given, in order


class Option(NamedTuple):
    name: str  # the parameter's name, as the click command names it
    kind: Kind
    default: Any = None
    choices: tuple[str, ...] = ()  # the only values taken, when any
    convert: Callable[[Any], Any] | None = None  # the click option's callback, without click


class Command(NamedTuple):
    options: Mapping[str, Option]  # by every spelling: "-f", "--file"
    arguments: str | None  # the name of the command's SERVICES argument, if it takes one
    many: bool = True  # SERVICES: any number (a tuple); else at most one, or None


def _flag(name: str) -> Option:
    return Option(name, Kind.FLAG, False)


PROJECT = {
    "-f": Option("files", Kind.MULTIPLE, ()),
    "--file": Option("files", Kind.MULTIPLE, ()),
    "--project-directory": Option("project_directory", Kind.VALUE),
    "--env-file": Option("env_files", Kind.MULTIPLE, ()),
}
_FORMAT = {"--format": Option("output_format", Kind.VALUE, "text", ("text", "json", "github"))}
_WRITE = {
    "--dry-run": _flag("dry_run"),
    "--diff": _flag("diff"),
    "--check": _flag("check"),
    "--no-validate": _flag("no_validate"),
}
_TARGET = {"--target": Option("target", Kind.VALUE, convert=stage)}

COMMANDS = {
    "local": Command(
        {
            **PROJECT,
            **_FORMAT,
            **_WRITE,
            **_TARGET,
            "--context": Option("contexts", Kind.MULTIPLE, (), convert=pairs),
            "--no-stage-check": _flag("no_stage_check"),
        },
        "services",
    ),
    "remote": Command(
        {
            **PROJECT,
            **_FORMAT,
            **_WRITE,
            **_TARGET,
            "--image": Option("images", Kind.MULTIPLE, (), convert=pairs),
        },
        "services",
    ),
    "status": Command({**PROJECT, **_FORMAT}, "services"),
    "validate": Command({**PROJECT, **_FORMAT}, None),
    # What an editor's task runs: `toggle --at FILE:LINE`.
    "toggle": Command(
        {
            **PROJECT,
            **_FORMAT,
            **_WRITE,
            "--at": Option("at", Kind.VALUE),
            "--no-stage-check": _flag("no_stage_check"),
        },
        "service",
        many=False,
    ),
}


class _GiveUp(Exception):
    """The line is not one of the usual ones: click reads it."""


def read(argv: Sequence[str]) -> Call | None:
    """The Call click would make of ``argv``, or None where click should read it."""
    try:
        before, rest = _parse(argv, PROJECT, group=True)
        if not rest or rest[0] not in COMMANDS:
            return None
        command = COMMANDS[rest[0]]
        params, _ = _parse(rest[1:], command.options, command.arguments, many=command.many)
    except _GiveUp:
        return None
    return Call(rest[0], Before(**before), params)


def _parse(
    tokens: Sequence[str],
    options: Mapping[str, Option],
    arguments: str | None = None,
    group: bool = False,
    many: bool = True,
) -> tuple[dict[str, Any], list[str]]:
    """The options' values, and what is left when a group meets its command's name."""
    given: dict[str, list[str]] = {}
    found: list[str] = []
    index = 0
    while index < len(tokens):
        token = tokens[index]
        index += 1
        if not token.startswith("-"):
            if group:  # the command and its own arguments follow
                return _values(given, options), list(tokens[index - 1 :])
            if arguments is None:
                raise _GiveUp
            found.append(token)
            continue
        spelling, value, index = _option(token, tokens, index, options)
        given.setdefault(options[spelling].name, []).append(value)
    values = _values(given, options)
    if arguments is not None:
        if not many and len(found) > 1:
            raise _GiveUp
        values[arguments] = tuple(found) if many else next(iter(found), None)
    return values, []


def _option(
    token: str, tokens: Sequence[str], index: int, options: Mapping[str, Option]
) -> tuple[str, str, int]:
    """An option's spelling and value (``"1"`` for a flag), and the index after it."""
    if token.startswith("--"):
        spelling, attached, value = token.partition("=")
    elif len(token) > 2 and token[:2] in options:  # -fFILE: a short option and its value
        spelling, attached, value = token[:2], "=", token[2:]
    else:
        spelling, attached, value = token, "", ""
    option = options.get(spelling)
    if option is None:
        raise _GiveUp
    if option.kind is Kind.FLAG:
        if attached:
            raise _GiveUp
        return spelling, "1", index
    if not attached:
        if index == len(tokens):
            raise _GiveUp
        value, index = tokens[index], index + 1
    if option.choices and value not in option.choices:
        raise _GiveUp
    return spelling, value, index


def _values(given: Mapping[str, list[str]], options: Mapping[str, Option]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for option in options.values():
        seen = given.get(option.name)
        if option.kind is Kind.FLAG:
            value: Any = bool(seen)
        elif option.kind is Kind.MULTIPLE:
            value = tuple(seen or option.default)
        else:
            value = seen[-1] if seen else option.default
        values[option.name] = _converted(option, value)
    return values


def _converted(option: Option, value: Any) -> Any:
    if option.convert is None:
        return value
    try:
        return option.convert(value)
    except ValueError:
        raise _GiveUp from None


# Shell completion: what click's scripts for each shell set, and how click answers. Only a line
# that splits on plain spaces is taken (no quotes or escapes, which click reads with shlex).

_SHELLS = ("bash", "zsh", "fish")
COMPLETES_SERVICES = ("local", "remote", "status")


def complete(environ: Mapping[str, str]) -> str | None:
    """What click prints when the shell asks for a service name of a usual line, or None where
    click should answer."""
    shell, _, action = environ.get(COMPLETE_VAR, "").partition("_")
    if action != "complete" or shell not in _SHELLS:
        return None
    typed = _completion_args(shell, environ)
    if typed is None:
        return None
    args, incomplete = typed
    call = read(args)
    if (
        call is None
        or call.command not in COMPLETES_SERVICES
        or incomplete.startswith("-")  # an option's name: click lists them
        or incomplete == "="
    ):
        return None
    names = complete_services(where(call), call.params["services"], incomplete)
    return "\n".join(f"plain\n{name}\n_" if shell == "zsh" else f"plain,{name}" for name in names)


def _completion_args(shell: str, environ: Mapping[str, str]) -> tuple[list[str], str] | None:
    """The words before the one being completed, and that word, as click's shell classes
    find them."""
    words = _split(environ.get("COMP_WORDS"))
    cword = environ.get("COMP_CWORD")
    if words is None or cword is None:
        return None
    if shell == "fish":  # the word under the cursor, also at the end of COMP_WORDS
        current = _split(cword)
        if current is None or (cword and not current):
            return None
        incomplete = current[0] if current else ""
        args = words[1:]
        if incomplete and args and args[-1] == incomplete:
            args.pop()
        return args, incomplete
    if not cword.isdigit():
        return None
    index = int(cword)
    return words[1:index], words[index] if index < len(words) else ""


def _split(text: str | None) -> list[str] | None:
    if text is None or any(
        char in "\"'\\" or (char.isspace() and char not in " \t\r\n") for char in text
    ):
        return None
    return text.split()
