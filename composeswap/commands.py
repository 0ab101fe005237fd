"""What each command does with its parameters, whichever reader read the command line.

A command line means a ``Call``: the command's name, the project options given before it and
the command's own parameters, named and converted as the click commands in ``cli`` define them
(the one definition of the grammar). ``cli`` makes Calls with click; ``argv`` makes them for the
usual command lines without importing click (a quarter of a small run). ``run`` carries a Call
out; nothing here imports click.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from composeswap.app import Report, SwitchRequest, Where
    from composeswap.errors import Problem

COMPLETE_VAR = "_COMPOSESWAP_COMPLETE"  # what click's completion scripts set for composeswap
SHOWN_PROBLEMS = 20
_MODES = ("dry_run", "diff", "check")


class Before(NamedTuple):
    """The project options given before the command."""

    files: tuple[str, ...] = ()
    project_directory: str | None = None
    env_files: tuple[str, ...] = ()

    @classmethod
    def of(cls, params: Mapping[str, Any]) -> Before:
        """The project options among a command's params, which bear the same names."""
        return cls(*(params[name] for name in cls._fields))

    def joined(self, after: Before) -> Where:
        """The project the command reads: options after the command add to (-f, --env-file) or
        replace (--project-directory) the ones before it."""
        from composeswap.app import Where

        return Where(
            self.files + after.files,
            after.project_directory or self.project_directory,
            self.env_files + after.env_files,
        )


class Call(NamedTuple):
    """A command line, read: ``params`` are the command's own, as its click command names them."""

    command: str  # "editor vscode" for a subcommand
    before: Before
    params: Mapping[str, Any]


class UsageProblem(Exception):
    """Options that read well one by one but not together, or a value no reader checks.

    Raised before a command does anything, so the line can be handed to click, which says it
    with the usage, as it says every other mistake in a command line."""

    def __init__(self, message: str, option: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.option = option  # the option whose value is wrong, if it is one


def run(call: Call) -> int:
    """Carry out a command line; the exit code."""
    return _COMMANDS[call.command](call.before, **call.params)


def where(call: Call) -> Where:
    """The project a Call reads: its project options before and after the command."""
    return call.before.joined(Before.of(call.params))


# Shell completion must answer fast and quietly: it reads the project but never validates or
# proves it, and whatever goes wrong completes nothing rather than printing into the prompt.


def complete_services(where: Where, typed: Collection[str], incomplete: str) -> list[str]:
    """The project's services that start with what is typed, and are not on the line yet."""
    return [
        name for name in service_names(where) if name.startswith(incomplete) and name not in typed
    ]


def service_names(where: Where) -> list[str]:
    """The services of the project, as the options typed so far find it."""
    import warnings

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # a warning would land in the middle of the prompt
            from composeswap import app, effective, layers

            found = app.find(where)
            loaded = layers.load(found.files, found.directory, os.getcwd())
            return list(effective.read(loaded.sources).services)
    except Exception:  # a file being edited is often broken: then there is nothing to offer
        return []


# Values that need more than a type: one function each, used by both readers.


def pairs(given: Sequence[str]) -> dict[str, str]:
    """``SERVICE=VALUE`` items, as --context and --image take them; ValueError names a bad one."""
    found: dict[str, str] = {}
    for item in given:
        service, sep, value = item.partition("=")
        if not sep or not service or not value:
            raise ValueError(f"expected SERVICE=VALUE, got {item!r}")
        found[service] = value
    return found


_STAGE = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"  # compiled by re when --target is given


def stage(value: str | None) -> str | None:
    """A Dockerfile stage name for --target; ValueError when it cannot be one."""
    if value is not None and not re.match(_STAGE, value):
        raise ValueError(f"{value!r} is not a Dockerfile stage name")
    return value


def wants_colour(stream: Any, environ: Mapping[str, str]) -> bool:
    """Colour only for a terminal, and never when NO_COLOR is set to anything (no-color.org)."""
    return bool(stream.isatty()) and not environ.get("NO_COLOR")


# The commands. Each checks its parameters together before it does anything.


def local(
    before: Before,
    services: tuple[str, ...],
    contexts: dict[str, str],
    target: str | None,
    output_format: str,
    **options: Any,
) -> int:
    settings = {"contexts": contexts, "target": target}
    return _switch("local", _where(before, options), services, settings, output_format, options)


def remote(
    before: Before,
    services: tuple[str, ...],
    images: dict[str, str],
    target: str | None,
    output_format: str,
    **options: Any,
) -> int:
    settings = {"images": images, "target": target}
    return _switch("remote", _where(before, options), services, settings, output_format, options)


def validate(before: Before, output_format: str, **options: Any) -> int:
    from composeswap import app

    where = _where(before, options)
    return _guarded(lambda: app.validate(app.ValidateRequest(where)), output_format)


def status(before: Before, services: tuple[str, ...], output_format: str, **options: Any) -> int:
    from composeswap import app

    colour = output_format == "text" and wants_colour(sys.stdout, os.environ)
    request = app.StatusRequest(_where(before, options), services, colour)
    return _guarded(lambda: app.status(request), output_format, table=True)


def toggle(
    before: Before, service: str | None, at: str | None, output_format: str, **options: Any
) -> int:
    if (service is None) == (at is None):
        raise UsageProblem("name a SERVICE or give --at FILE:LINE")
    from composeswap import app

    request = app.ToggleRequest(
        service,
        _cursor(at) if at else None,
        _switch_request("local", _where(before, options), (), {}, options),
    )
    return _guarded(lambda: app.toggle(request), output_format)


def editor_vscode(before: Before, workspace: str | None, output_format: str, **options: Any) -> int:
    dry_run, diff = options.pop("dry_run"), options.pop("diff")
    if dry_run and diff:
        raise UsageProblem("--dry-run and --diff exclude each other")
    from composeswap import app

    mode = app.WriteMode.DIFF if diff else app.WriteMode.DRY_RUN if dry_run else app.WriteMode.WRITE
    request = app.EditorRequest(_where(before, options), workspace, mode)
    return _guarded(lambda: app.editor_vscode(request), output_format)


def hook(before: Before, kind: str, paths: tuple[str, ...]) -> int:
    # pre-commit passes the files itself; a project named on top would be read once per file.
    if before.files or before.project_directory:
        raise UsageProblem(
            "hook reads the FILEs it is given; -f and --project-directory do not apply"
        )
    from composeswap import app
    from composeswap.steps import Mode

    def command(where: Where) -> Callable[[], Report]:
        if kind == "validate":
            return lambda: app.validate(app.ValidateRequest(where))
        write_mode = app.WriteMode.CHECK if kind == "check" else app.WriteMode.WRITE
        return lambda: app.switch(
            app.SwitchRequest(Mode.REMOTE, write_mode=write_mode, where=where)
        )

    codes = [
        _guarded(command(app.Where(files, None, before.env_files)), "text")
        for files in app.hook_projects(paths)
    ]
    return max(codes, default=0)


_COMMANDS: dict[str, Callable[..., int]] = {
    "local": local,
    "remote": remote,
    "validate": validate,
    "status": status,
    "toggle": toggle,
    "editor vscode": editor_vscode,
    "hook": hook,
}


def _where(before: Before, options: dict[str, Any]) -> Where:
    """The project; ``options`` keep only the command's own flags."""
    after = Before.of(options)
    for name in Before._fields:
        del options[name]
    return before.joined(after)


def _cursor(at: str) -> tuple[str, int]:
    file, sep, line = at.rpartition(":")
    if not sep or not file or not line.isdigit() or int(line) < 1:
        raise UsageProblem(f"expected FILE:LINE, got {at!r}", option="--at")
    return file, int(line)


def _switch(
    mode: str,
    where: Where,
    services: tuple[str, ...],
    settings: dict[str, Any],
    output_format: str,
    options: dict[str, Any],
) -> int:
    """``local`` or ``remote``: ``settings`` are this run's ``Overrides``, ``options`` the flags."""
    from composeswap import app

    request = _switch_request(mode, where, services, settings, options)
    return _guarded(lambda: app.switch(request), output_format)


def _switch_request(
    mode: str,
    where: Where,
    services: tuple[str, ...],
    settings: dict[str, Any],
    options: dict[str, Any],
) -> SwitchRequest:
    chosen = [name for name in _MODES if options.get(name)]
    if len(chosen) > 1:
        raise UsageProblem("--dry-run, --diff and --check exclude each other")
    from composeswap import app
    from composeswap.config import Overrides
    from composeswap.steps import Mode

    return app.SwitchRequest(
        mode=Mode(mode),
        services=services,
        overrides=Overrides(**settings),
        write_mode=app.WriteMode(chosen[0].replace("_", "-")) if chosen else app.WriteMode.WRITE,
        where=where,
        validate=not options.get("no_validate"),
        stage_check=not options.get("no_stage_check"),
    )


# Printing. Every line is flushed as it is written, as click.echo does, so stdout and stderr
# interleave in order when both go to one place.


def echo(message: str, err: bool = False, nl: bool = True) -> None:
    stream = sys.stderr if err else sys.stdout
    if stream is None:  # started with the descriptor closed (`>&-`): nowhere to say it
        return
    stream.write(f"{message}\n" if nl else message)
    stream.flush()


def _guarded(command: Callable[[], Report], output_format: str, table: bool = False) -> int:
    """Run a command and print its report; a problem in the input never shows a traceback."""
    from composeswap.errors import ComposeswapError, ExitCode

    try:
        report = command()
    except ComposeswapError as error:
        _print_problems(error.problems, output_format)
        return ExitCode.ERROR
    except KeyboardInterrupt:
        echo("interrupted; the file is unchanged", err=True)
        return 130
    except Exception as error:  # the one place a bug meets the user
        _print_bug(error)
        return ExitCode.BUG
    if output_format == "json":
        import json

        echo(json.dumps(report.as_json(), indent=2))
        if table:  # the table is the result itself: JSON replaces it
            return report.exit_code
    if output_format == "github":
        for problem in report.problems:
            echo(annotation(problem))
        report = report._replace(
            messages=tuple(
                message
                for message in report.messages
                if not any(message == problem.render() for problem in report.problems)
            )
        )
    for message in report.messages:
        echo(message, err=not table)
    if output_format != "json" and report.diff:
        echo(report.diff, nl=False)
    return report.exit_code


def annotation(problem: Problem) -> str:
    """A problem as a GitHub Actions workflow command, which CI shows at its line."""

    def escaped(text: str, properties: bool = False) -> str:
        text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
        return text.replace(":", "%3A").replace(",", "%2C") if properties else text

    where = [f"file={escaped(problem.file, True)}"]
    if problem.line is not None:
        where.append(f"line={problem.line}")
        if problem.column is not None:
            where.append(f"col={problem.column}")
    message = f"{problem.where}: {problem.message}" if problem.where else problem.message
    return f"::{problem.severity.value} {','.join(where)}::{escaped(message)}"


def _print_bug(error: Exception) -> None:
    """A bug, said in one line that is enough to report it: what failed, and where."""
    import traceback

    frame = traceback.extract_tb(error.__traceback__)[-1]
    where = f"{frame.filename.rsplit('/', 1)[-1]}:{frame.lineno} in {frame.name}"
    echo(
        f"composeswap: internal error: {type(error).__name__}: {error} (at {where}). "
        "This is a bug in composeswap, not in your file; please report it with the "
        "command and the compose file. A write is all or nothing, so the file is either "
        "as it was or fully switched.",
        err=True,
    )


def _print_problems(problems: Sequence[Problem], output_format: str) -> None:
    ordered = sorted(problems, key=lambda problem: problem.sort_key())
    if output_format == "github":
        for problem in ordered:
            echo(annotation(problem))
        return
    if output_format == "json":
        import json

        refused = [
            _refused(problem)
            for problem in ordered
            if problem.where.startswith("services.") and problem.line is not None
        ]
        found = {
            "services": list({r["service"]: r for r in refused}.values()),
            "files": [],
            "problems": [problem.as_json() for problem in ordered],
        }
        echo(json.dumps(found, indent=2))
        return
    for problem in ordered[:SHOWN_PROBLEMS]:
        echo(problem.render(), err=True)
    if len(ordered) > SHOWN_PROBLEMS:
        more = len(ordered) - SHOWN_PROBLEMS
        echo(f"... and {more} more problems (--format json lists them all)", err=True)


def _refused(problem: Problem) -> dict[str, object]:
    """A service a problem is about, as --format json lists it: refused, with the reason."""
    return {
        "service": problem.where.split(".")[1],
        "outcome": "refused",
        "file": problem.file,
        "line": problem.line,
        "column": problem.column,
        "message": problem.message,
    }
