"""The command line: the only module that imports click, and the one definition of the grammar.

Each command only turns its arguments into a ``commands.Call`` and runs it; ``composeswap.app``
is imported when a command runs, so ``--help`` and ``--version`` stay instant. ``argv`` reads the
usual command lines without click, and is tested to read them exactly as these commands do.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, NoReturn

import click

from composeswap import __version__, commands
from composeswap.commands import COMPLETE_VAR, Before, Call

if TYPE_CHECKING:
    from click.shell_completion import CompletionItem

    from composeswap.app import Where


def _pairs(
    option: str,
) -> Callable[[click.Context, click.Parameter, Sequence[str]], dict[str, str]]:
    def parse(_ctx: click.Context, _param: click.Parameter, given: Sequence[str]) -> dict[str, str]:
        try:
            return commands.pairs(given)
        except ValueError as error:
            raise click.BadParameter(str(error), param_hint=option) from None

    return parse


def _stage(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    try:
        return commands.stage(value)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--target") from None


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


# Shell completion: these run when the shell asks (``_COMPOSESWAP_COMPLETE`` set), before any
# command. ``argv.complete`` answers the usual question (a service name of local, remote or
# status) without click, from the same ``commands.complete_services``.


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
    typed = ctx.params.get("services") or ()
    return commands.complete_services(_typed_where(ctx), typed, incomplete)


def _complete_service_values(
    ctx: click.Context, _param: click.Parameter, incomplete: str
) -> list[str]:
    """The SERVICE= part of ``--context SERVICE=PATH`` and ``--image SERVICE=REF``."""
    if "=" in incomplete:
        return []
    names = commands.service_names(_typed_where(ctx))
    return [f"{name}=" for name in names if name.startswith(incomplete)]


def _typed_where(ctx: click.Context) -> Where:
    """The project options on the command line so far: while completing, click parses them
    into each context's params but runs no command, so ``main`` has not filled ``ctx.obj``."""
    given = [
        Before(
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
    ctx.obj = Before(files, project_directory, env_files)


def _run(command: str, before: Before, params: dict[str, Any]) -> NoReturn:
    try:
        code = commands.run(Call(command, before, params))
    except commands.UsageProblem as problem:
        if problem.option:
            raise click.BadParameter(problem.message, param_hint=problem.option) from None
        raise click.UsageError(problem.message) from None
    sys.exit(code)


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
def local(before: Before, /, **params: Any) -> None:
    """Build SERVICES from local source: replace image with build: {context, target}.

    With no SERVICES, every managed service not already local.
    """
    _run("local", before, params)


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
def remote(before: Before, /, **params: Any) -> None:
    """Pull SERVICES from the registry: replace build with image.

    With no SERVICES, every managed service not already remote.
    """
    _run("remote", before, params)


@main.command(short_help="Check the project's files; problems at file:line:col.")
@_format_option
@_project_options
@click.pass_obj
def validate(before: Before, /, **params: Any) -> None:
    """Check the project's files against the Compose schema and composeswap's settings.

    Exits 0 when valid, 2 with every problem at its line and column otherwise.
    """
    _run("validate", before, params)


@main.command(short_help="Show each service's form, as Compose reads the project.")
@click.argument("services", nargs=-1, shell_complete=_complete_services)
@_format_option
@_project_options
@click.pass_obj
def status(before: Before, /, **params: Any) -> None:
    """Show whether each service (or each one SERVICES names or matches) is local or remote as
    Compose reads the project, whether composeswap manages it, where it is defined, its image
    or build context, and whether its Dockerfile has the target stage.
    """
    _run("status", before, params)


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
def toggle(before: Before, /, **params: Any) -> None:
    """Switch SERVICE to local when Compose reads it as remote (or with image and build), to
    remote when it is local.
    """
    _run("toggle", before, params)


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
def vscode(before: Before, /, **params: Any) -> None:
    """Add or update composeswap's tasks in the workspace's .vscode/tasks.json: local (pick a
    service), remote, toggle at the cursor, status, validate, remote --check, each with a
    problem matcher. Your own tasks, comments and formatting are kept byte for byte.
    """
    _run("editor vscode", before, params)


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


@main.command(short_help="For pre-commit: check, remote or validate each file given.")
@click.argument("kind", type=click.Choice(["check", "remote", "validate"]))
@click.argument("paths", nargs=-1, metavar="FILE...")
@click.pass_obj
def hook(before: Before, /, **params: Any) -> None:
    """Run KIND on each FILE as its own project, as pre-commit passes file names: check is
    'remote --check', remote switches back to remote, validate validates.

    An override file (compose.override.yaml, ...) is read after the base file beside it, as
    Compose reads them. Exits with the worst exit code of all the files.
    """
    _run("hook", before, params)
