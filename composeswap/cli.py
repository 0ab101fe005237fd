"""The command line: the only module that imports click.

Each command only turns arguments into a request and hands it to ``composeswap.app``, which is
imported when a command runs, so ``--help`` and ``--version`` stay instant.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

import click

from composeswap import __version__

if TYPE_CHECKING:
    from click.shell_completion import CompletionItem

    from composeswap.app import Report, SwitchRequest, Where
    from composeswap.errors import Problem

_MODES = ("dry_run", "diff", "check")
SHOWN_PROBLEMS = 20


def _pairs(
    option: str,
) -> Callable[[click.Context, click.Parameter, Sequence[str]], dict[str, str]]:
    def parse(_ctx: click.Context, _param: click.Parameter, given: Sequence[str]) -> dict[str, str]:
        pairs: dict[str, str] = {}
        for item in given:
            service, sep, value = item.partition("=")
            if not sep or not service or not value:
                raise click.BadParameter(f"expected SERVICE=VALUE, got {item!r}", param_hint=option)
            pairs[service] = value
        return pairs

    return parse


_STAGE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


def _stage(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    if value is not None and not _STAGE.match(value):
        raise click.BadParameter(f"{value!r} is not a Dockerfile stage name", param_hint="--target")
    return value


def _write_options(command: Callable[..., Any]) -> Callable[..., Any]:
    for flag, text in reversed(
        (
            ("--dry-run", "Say what would change; write nothing."),
            ("--diff", "Print a unified diff of the change to stdout; write nothing."),
            ("--check", "Write nothing; exit 1 if anything would change, naming the services."),
            (
                "--no-validate",
                "Skip schema validation (for Compose features newer than the "
                "bundled schema); the edit is still proven before writing.",
            ),
        )
    ):
        command = click.option(flag, is_flag=True, help=text)(command)
    return _format_option(command)


def _format_option(command: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--format",
        "output_format",
        type=click.Choice(["text", "json", "github"]),
        default="text",
        show_default=True,
        help="How results are printed: text (problems as file:line:col: ... on stderr), one "
        "JSON object on stdout, or GitHub Actions annotations on stdout.",
    )(command)


def _help_width() -> int:
    """The width click gives help text, found as click finds it but without importing shutil
    for it, which is about 3 ms of every ``--help``."""
    stdout = sys.__stdout__
    try:
        columns = int(os.environ.get("COLUMNS") or 0) or (
            os.get_terminal_size(stdout.fileno()).columns if stdout else 80
        )
    except (ValueError, OSError):
        columns = 80
    return max(min(columns, 80) - 2, 50)


# Shell completion. These run when the shell asks (``_COMPOSESWAP_COMPLETE`` set), before any
# command: they must answer fast and quietly, so they read the project but never validate or
# prove it, and whatever goes wrong completes nothing rather than printing into the prompt.


def _complete_files(
    _ctx: click.Context, _param: click.Parameter, incomplete: str
) -> list[CompletionItem]:
    from click.shell_completion import CompletionItem

    return [CompletionItem(incomplete, type="file")]  # the shell lists the files itself


def _complete_folders(
    _ctx: click.Context, _param: click.Parameter, incomplete: str
) -> list[CompletionItem]:
    from click.shell_completion import CompletionItem

    return [CompletionItem(incomplete, type="dir")]


def _complete_services(ctx: click.Context, _param: click.Parameter, incomplete: str) -> list[str]:
    typed = set(ctx.params.get("services") or ())
    return [
        name for name in _service_names(ctx) if name.startswith(incomplete) and name not in typed
    ]


def _complete_service_values(
    ctx: click.Context, _param: click.Parameter, incomplete: str
) -> list[str]:
    """The SERVICE= part of ``--context SERVICE=PATH`` and ``--image SERVICE=REF``."""
    if "=" in incomplete:
        return []
    return [f"{name}=" for name in _service_names(ctx) if name.startswith(incomplete)]


def _service_names(ctx: click.Context) -> list[str]:
    """The services of the project the command would read, as the options typed so far (before
    the command and after it) find it."""
    import warnings

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # a warning would land in the middle of the prompt
            from composeswap import app, effective, layers

            found = app.find(_typed_where(ctx))
            loaded = layers.load(found.files, found.directory, os.getcwd())
            return list(effective.read(loaded.sources).services)
    except Exception:  # a file being edited is often broken: then there is nothing to offer
        return []


def _typed_where(ctx: click.Context) -> Where:
    """The project options on the command line so far: while completing, click parses them
    into each context's params but runs no command, so ``main`` has not filled ``ctx.obj``."""
    given = [
        _Where(
            tuple(params.get("files") or ()),
            params.get("project_directory"),
            tuple(params.get("env_files") or ()),
        )
        for params in (ctx.parent.params if ctx.parent else {}, ctx.params)
    ]
    return given[0].joined(given[1])


def _project_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """``-f``, ``--project-directory`` and ``--env-file``, as ``docker compose`` takes them
    before the command; composeswap also takes them after it."""
    for option in reversed(
        (
            click.option(
                "-f",
                "--file",
                "files",
                multiple=True,
                metavar="FILE",
                shell_complete=_complete_files,
                help="Compose file (repeatable, merged in order, as with docker compose; "
                "default: found as Compose finds it, see README).",
            ),
            click.option(
                "--project-directory",
                metavar="DIR",
                shell_complete=_complete_folders,
                help="Project directory (default: the first file's folder).",
            ),
            click.option(
                "--env-file",
                "env_files",
                multiple=True,
                metavar="FILE",
                shell_complete=_complete_files,
                help="Environment file to read instead of the project's .env (repeatable).",
            ),
        )
    ):
        command = option(command)
    return command


@click.group(
    context_settings={"help_option_names": ["-h", "--help"], "terminal_width": _help_width()}
)
@click.version_option(__version__, "--version", prog_name="composeswap")
@_project_options
@click.pass_context
def main(
    ctx: click.Context,
    files: tuple[str, ...],
    project_directory: str | None,
    env_files: tuple[str, ...],
) -> None:
    """Switch Compose services between a registry image and a local build, byte-exact.

    \b
      composeswap local api      build api from its source folder
      composeswap remote         every managed service back to its registry image
      composeswap remote --check fail (exit 1) while a managed service is local

    Exit codes: 0 done or nothing to do; 1 --check found work; 2 invalid input or refusal.
    """
    ctx.obj = _Where(files, project_directory, env_files)


class _Where(NamedTuple):
    """The project options as given, before the command and after it."""

    files: tuple[str, ...]
    project_directory: str | None
    env_files: tuple[str, ...]

    def joined(self, after: _Where) -> Where:
        from composeswap.app import Where

        return Where(
            self.files + after.files,
            after.project_directory or self.project_directory,
            self.env_files + after.env_files,
        )


def _where(before: _Where, options: dict[str, Any]) -> Where:
    after = _Where(options.pop("files"), options.pop("project_directory"), options.pop("env_files"))
    return before.joined(after)


@main.command(short_help="Build services from their source folders.")
@click.argument("services", nargs=-1, shell_complete=_complete_services)
@click.option(
    "--context",
    "contexts",
    multiple=True,
    metavar="SERVICE=PATH",
    shell_complete=_complete_service_values,
    callback=_pairs("--context"),
    help="Build context for SERVICE (repeatable).",
)
@click.option(
    "--target", metavar="STAGE", callback=_stage, help="Dockerfile stage to build (default: dev)."
)
@click.option(
    "--no-stage-check", is_flag=True, help="Switch even when the Dockerfile has no such stage."
)
@_write_options
@_project_options
@click.pass_obj
def local(
    before: _Where,
    /,
    services: tuple[str, ...],
    contexts: dict[str, str],
    target: str | None,
    output_format: str,
    **options: Any,
) -> None:
    """Build SERVICES from local source: replace image with build: {context, target}.

    With no SERVICES, every managed service not already local.
    """
    settings = {"contexts": contexts, "target": target}
    _run("local", _where(before, options), services, settings, output_format, options)


@main.command(short_help="Pull services from the registry again.")
@click.argument("services", nargs=-1, shell_complete=_complete_services)
@click.option(
    "--image",
    "images",
    multiple=True,
    metavar="SERVICE=REF",
    shell_complete=_complete_service_values,
    callback=_pairs("--image"),
    help="Image reference for SERVICE (repeatable).",
)
@click.option(
    "--target",
    metavar="STAGE",
    callback=_stage,
    help="Stage the image was built from (default: dev).",
)
@_write_options
@_project_options
@click.pass_obj
def remote(
    before: _Where,
    /,
    services: tuple[str, ...],
    images: dict[str, str],
    target: str | None,
    output_format: str,
    **options: Any,
) -> None:
    """Pull SERVICES from the registry: replace build with image.

    With no SERVICES, every managed service not already remote.
    """
    settings = {"images": images, "target": target}
    _run("remote", _where(before, options), services, settings, output_format, options)


@main.command(short_help="Check the project's files; problems at file:line:col.")
@_format_option
@_project_options
@click.pass_obj
def validate(before: _Where, /, output_format: str, **options: Any) -> None:
    """Check the project's files against the Compose schema and composeswap's settings.

    Exits 0 when valid, 2 with every problem at its line and column otherwise.
    """
    from composeswap import app

    where = _where(before, options)
    sys.exit(_guarded(lambda: app.validate(app.ValidateRequest(where)), output_format))


def wants_colour(stream: Any, environ: Mapping[str, str]) -> bool:
    """Colour only for a terminal, and never when NO_COLOR is set to anything (no-color.org)."""
    return bool(stream.isatty()) and not environ.get("NO_COLOR")


@main.command(short_help="Show each service's form, as Compose reads the project.")
@click.argument("services", nargs=-1, shell_complete=_complete_services)
@_format_option
@_project_options
@click.pass_obj
def status(
    before: _Where, /, services: tuple[str, ...], output_format: str, **options: Any
) -> None:
    """Show whether each service (or each one SERVICES names or matches) is local or remote as
    Compose reads the project, whether composeswap manages it, where it is defined, its image
    or build context, and whether its Dockerfile has the target stage.
    """
    from composeswap import app

    colour = output_format == "text" and wants_colour(sys.stdout, os.environ)
    request = app.StatusRequest(_where(before, options), services, colour)
    sys.exit(_guarded(lambda: app.status(request), output_format, table=True))


@main.command(short_help="Switch a service to the other form (for editors).")
@click.argument("service", required=False, shell_complete=_complete_services)
@click.option(
    "--at",
    metavar="FILE:LINE",
    help="The service whose definition holds this line of FILE (what an editor "
    "knows); the project is found from FILE's folder.",
)
@click.option(
    "--no-stage-check",
    is_flag=True,
    help="Switch to local even when the Dockerfile has no such stage.",
)
@_write_options
@_project_options
@click.pass_obj
def toggle(
    before: _Where, /, service: str | None, at: str | None, output_format: str, **options: Any
) -> None:
    """Switch SERVICE to local when Compose reads it as remote (or with image and build), to
    remote when it is local.
    """
    if (service is None) == (at is None):
        raise click.UsageError("name a SERVICE or give --at FILE:LINE")
    from composeswap import app

    request = app.ToggleRequest(
        service,
        _cursor(at) if at else None,
        _switch_request("local", _where(before, options), (), {}, options),
    )
    sys.exit(_guarded(lambda: app.toggle(request), output_format))


@main.group(short_help="Set up an editor for the project.")
def editor() -> None:
    """Write the editor configuration that runs composeswap for the project."""


@editor.command(short_help="Write composeswap's tasks into .vscode/tasks.json.")
@click.option(
    "--workspace",
    metavar="DIR",
    help="The workspace folder (default: the git repository's root, else the project directory).",
)
@click.option("--dry-run", is_flag=True, help="Say what would change; write nothing.")
@click.option("--diff", is_flag=True, help="Print a unified diff; write nothing.")
@_format_option
@_project_options
@click.pass_obj
def vscode(before: _Where, /, workspace: str | None, output_format: str, **options: Any) -> None:
    """Add or update composeswap's tasks in the workspace's .vscode/tasks.json: local (pick a
    service), remote, toggle at the cursor, status, validate, remote --check, each with a
    problem matcher. Your own tasks, comments and formatting are kept byte for byte.
    """
    from composeswap import app

    dry_run, diff = options.pop("dry_run"), options.pop("diff")
    if dry_run and diff:
        raise click.UsageError("--dry-run and --diff exclude each other")
    mode = app.WriteMode.DIFF if diff else app.WriteMode.DRY_RUN if dry_run else app.WriteMode.WRITE
    request = app.EditorRequest(_where(before, options), workspace, mode)
    sys.exit(_guarded(lambda: app.editor_vscode(request), output_format))


def _cursor(at: str) -> tuple[str, int]:
    file, sep, line = at.rpartition(":")
    if not sep or not file or not line.isdigit() or int(line) < 1:
        raise click.BadParameter(f"expected FILE:LINE, got {at!r}", param_hint="--at")
    return file, int(line)


COMPLETE_VAR = "_COMPOSESWAP_COMPLETE"  # what click's completion scripts set for composeswap


# No comma in the short help: fish's script from click cuts descriptions at the first comma.
@main.command(short_help="Print the shell completion script for bash/zsh/fish.")
@click.argument("shell", type=click.Choice(["bash", "zsh", "fish"]))
def completion(shell: str) -> None:
    """Print the script that makes SHELL complete composeswap's commands, options, the
    project's service names and file names. For example:

    \b
      composeswap completion bash > ~/.local/share/bash-completion/completions/composeswap
      composeswap completion fish > ~/.config/fish/completions/composeswap.fish
    """
    from click.shell_completion import get_completion_class

    script = get_completion_class(shell)
    if script is None:  # click.Choice lets only shells click knows through
        raise click.BadParameter(f"no completion for {shell!r}", param_hint="SHELL")
    click.echo(script(main, {}, "composeswap", COMPLETE_VAR).source())


_HOOKS = ("check", "remote", "validate")


@main.command(short_help="For pre-commit: check, remote or validate each file given.")
@click.argument("kind", type=click.Choice(_HOOKS))
@click.argument("paths", nargs=-1, metavar="FILE...")
@click.pass_obj
def hook(before: _Where, /, kind: str, paths: tuple[str, ...]) -> None:
    """Run KIND on each FILE as its own project, as pre-commit passes file names: check is
    'remote --check', remote switches back to remote, validate validates.

    An override file (compose.override.yaml, ...) is read after the base file beside it, as
    Compose reads them. Exits with the worst exit code of all the files.
    """
    # pre-commit passes the files itself; a project named on top would be read once per file.
    if before.files or before.project_directory:
        raise click.UsageError(
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
    sys.exit(max(codes, default=0))


def _run(
    mode: str,
    where: Where,
    services: tuple[str, ...],
    settings: dict[str, Any],
    output_format: str,
    options: dict[str, Any],
) -> None:
    """``local`` or ``remote``: ``settings`` are this run's ``Overrides``, ``options`` the flags."""
    from composeswap import app

    request = _switch_request(mode, where, services, settings, options)
    sys.exit(_guarded(lambda: app.switch(request), output_format))


def _switch_request(
    mode: str,
    where: Where,
    services: tuple[str, ...],
    settings: dict[str, Any],
    options: dict[str, Any],
) -> SwitchRequest:
    chosen = [name for name in _MODES if options.get(name)]
    if len(chosen) > 1:
        raise click.UsageError("--dry-run, --diff and --check exclude each other")
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


def _guarded(command: Callable[[], Report], output_format: str, table: bool = False) -> int:
    """Run a command and print its report; a problem in the input never shows a traceback."""
    from composeswap.errors import ComposeswapError, ExitCode

    try:
        report = command()
    except ComposeswapError as error:
        _print_problems(error.problems, output_format)
        return ExitCode.ERROR
    except KeyboardInterrupt:
        click.echo("interrupted; the file is unchanged", err=True)
        return 130
    except Exception as error:  # the one place a bug meets the user
        _print_bug(error)
        return ExitCode.BUG
    if output_format == "json":
        import json

        click.echo(json.dumps(report.as_json(), indent=2))
        if table:  # the table is the result itself: JSON replaces it
            return report.exit_code
    if output_format == "github":
        for problem in report.problems:
            click.echo(_annotation(problem))
        report = report._replace(
            messages=tuple(
                message
                for message in report.messages
                if not any(message == problem.render() for problem in report.problems)
            )
        )
    for message in report.messages:
        click.echo(message, err=not table)
    if output_format != "json" and report.diff:
        click.echo(report.diff, nl=False)
    return report.exit_code


def _annotation(problem: Problem) -> str:
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
    click.echo(
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
            click.echo(_annotation(problem))
        return
    if output_format == "json":
        import json

        refused = [
            _refused(problem)
            for problem in ordered
            if problem.where.startswith("services.") and problem.line is not None
        ]
        click.echo(
            json.dumps(
                {
                    "services": list({r["service"]: r for r in refused}.values()),
                    "files": [],
                    "problems": [problem.as_json() for problem in ordered],
                },
                indent=2,
            )
        )
        return
    for problem in ordered[:SHOWN_PROBLEMS]:
        click.echo(problem.render(), err=True)
    if len(ordered) > SHOWN_PROBLEMS:
        click.echo(
            f"... and {len(ordered) - SHOWN_PROBLEMS} more problems (--format json lists them all)",
            err=True,
        )


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
