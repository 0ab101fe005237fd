"""Running one command: find and read the project, plan, edit, prove, then write, print or check."""

from __future__ import annotations

import contextlib
import enum
import os
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any, NamedTuple

from composeswap import effective, files, layers, project, render, validation
from composeswap.config import Overrides
from composeswap.diff import unified_diff
from composeswap.errors import ComposeswapError, ExitCode, Problem
from composeswap.model import Document, Service, Sources
from composeswap.plan import Plan, plan
from composeswap.project import local_path
from composeswap.proof import prove
from composeswap.steps import Mode
from composeswap.text import Edit, splice

if TYPE_CHECKING:
    from composeswap.status import Row


class WriteMode(enum.Enum):
    WRITE = "write"
    DRY_RUN = "dry-run"
    DIFF = "diff"
    CHECK = "check"


class Where(NamedTuple):
    """Which project to read, said as to ``docker compose``."""

    files: tuple[str, ...] = ()  # -f, in order
    project_directory: str | None = None
    env_files: tuple[str, ...] = ()
    cwd: str | None = None  # find the project as if run in this folder (default: the current)


class SwitchRequest(NamedTuple):
    mode: Mode
    services: tuple[str, ...] = ()
    overrides: Overrides = Overrides()
    write_mode: WriteMode = WriteMode.WRITE
    where: Where = Where()
    validate: bool = True
    stage_check: bool = True  # local: the Dockerfile must have the target stage


class Change(NamedTuple):
    """One file's new text, and the edits that make it."""

    file: files.ComposeFile
    edits: list[Edit]
    new_text: str


class Outcome(NamedTuple):
    """What a switch decided and produced, before anything is written."""

    loaded: layers.Loaded
    model: effective.Model
    plan: Plan
    changes: tuple[Change, ...]  # the files whose text changes, in merge order


class ServiceResult(NamedTuple):
    """What a command did, or would do, with one service, and where the service is."""

    service: str
    outcome: str  # switched, would switch, unchanged
    mode: str  # the form asked for
    form: str  # the form Compose read before the command
    file: str
    line: int
    column: int
    message: str

    def as_json(self) -> dict[str, object]:
        return self._asdict()


class Report(NamedTuple):
    """What a command tells the user, and the exit code it ends with."""

    messages: tuple[str, ...]  # for stderr
    diff: str | None = None  # for stdout, when a diff was asked for
    exit_code: ExitCode = ExitCode.OK
    services: tuple[ServiceResult, ...] = ()
    files: tuple[str, ...] = ()  # written, or that would be
    problems: tuple[Problem, ...] = ()  # findings that are not errors of the input (--check)
    statuses: tuple[Row, ...] = ()  # status rows, which --format json lists as its services

    def as_json(self) -> dict[str, object]:
        """The one JSON object every command prints with --format json."""
        found: dict[str, object] = {
            "services": [result.as_json() for result in (self.statuses or self.services)],
            "files": list(self.files),
            "problems": [problem.as_json() for problem in self.problems],
        }
        if self.diff is not None:
            found["diff"] = self.diff
        return found


def find(where: Where) -> project.Project:
    return project.find(
        where.files, where.cwd or os.getcwd(), os.environ, where.project_directory, where.env_files
    )


def switch(request: SwitchRequest) -> Report:
    found = find(request.where)
    writing = request.write_mode is WriteMode.WRITE
    with _locked(found.files) if writing else contextlib.nullcontext():
        outcome = prepare(request, found)
        if writing and outcome.changes:
            files.write_all([(change.file, change.new_text) for change in outcome.changes])
    checking = request.write_mode is WriteMode.CHECK
    results = _results(outcome, request.write_mode)
    findings = tuple(
        _finding(result) for result in results if checking and result.outcome == "would switch"
    )
    messages = (
        _messages(outcome, request.write_mode)
        if not findings
        else tuple(finding.render() for finding in findings)
    )
    if not request.validate:
        messages = (
            f"{_first_name(outcome)}: warning: schema validation skipped "
            "(--no-validate); the edit was still proven",
            *messages,
        )
    diff = None
    if request.write_mode is WriteMode.DIFF:
        diff = "".join(
            unified_diff(change.file.name, change.file.text, change.edits)
            for change in outcome.changes
        )
    code = ExitCode.WOULD_CHANGE if checking and outcome.changes else ExitCode.OK
    return Report(
        messages,
        diff,
        code,
        results,
        tuple(change.file.name for change in outcome.changes),
        findings,
    )


def _results(outcome: Outcome, write_mode: WriteMode) -> tuple[ServiceResult, ...]:
    decided = outcome.plan
    verb = "switched" if write_mode is WriteMode.WRITE else "would switch"
    found = [_result(outcome, switch.service, verb, switch.summary) for switch in decided.switches]
    return tuple(found) + tuple(
        _result(outcome, name, "unchanged", f"already {decided.mode.value}")
        for name in decided.unchanged
    )


def _result(outcome: Outcome, name: str, verb: str, message: str) -> ServiceResult:
    read = outcome.model.services[name]
    document = outcome.loaded.sources.layers[read.layer].document
    service = document.services[name]
    return ServiceResult(
        name,
        verb,
        outcome.plan.mode.value,
        read.form.value,
        document.file,
        service.line,
        service.column + 1,
        message,
    )


def _finding(result: ServiceResult) -> Problem:
    """A --check finding as a diagnostic at the service, for editors and CI."""
    return Problem(
        result.file,
        f"is {result.form}; {result.mode} would switch it: {result.message}",
        result.line,
        result.column,
        f"services.{result.service}",
    )


@contextlib.contextmanager
def _locked(paths: tuple[str, ...]) -> Iterator[None]:
    """Each folder of the project's files locked once, always in the same order."""
    folders = {os.path.dirname(os.path.realpath(path)): path for path in paths}
    with contextlib.ExitStack() as stack:
        for folder in sorted(folders):
            stack.enter_context(files.exclusive(folders[folder]))
        yield


def prepare(request: SwitchRequest, found: project.Project) -> Outcome:
    """Everything up to writing: pure apart from reading files and looking for folders."""
    loaded = layers.load(found.files, found.directory, os.getcwd())
    sources = loaded.sources
    model = effective.read(sources)
    if request.validate:
        validation.require_valid(sources, model)
    decided = plan(sources, model, request.mode, request.services, request.overrides)
    _check_contexts(sources, decided)
    changes: list[Change] = []
    new_texts: dict[int, str] = {}
    for index, layer in enumerate(sources.layers):
        steps = {s.service: s.steps for s in decided.switches if s.layer == index}
        if steps:
            edits = render.all_edits(layer.document, steps)
            new_texts[index] = splice(layer.document.source.text, edits)
            changes.append(Change(loaded.files[layer.document.file], edits, new_texts[index]))
    if new_texts:
        switched = prove(sources, model, new_texts, decided)
        if request.stage_check and request.mode is Mode.LOCAL:
            _check_stages(sources, decided, switched)
        if request.validate:  # once per edited file, with all its switched services
            for index in new_texts:
                validation.require_valid_result(
                    sources.layers[index].document,
                    {s.service: switched[s.service] for s in decided.switches if s.layer == index},
                )
    return Outcome(
        loaded,
        model,
        decided,
        tuple(change for change in changes if change.new_text != change.file.text),
    )


class ValidateRequest(NamedTuple):
    where: Where = Where()


def validate(request: ValidateRequest) -> Report:
    found = find(request.where)
    loaded = layers.load(found.files, found.directory, os.getcwd())
    validation.require_valid(loaded.sources, files=True, environment=found.environment)
    given = [layers.display_name(path, os.getcwd()) for path in found.files]
    others = [name for name in loaded.files if name not in given]
    besides = f" (with {', '.join(others)})" if others else ""
    return Report((f"{', '.join(given)}: valid{besides}",), files=tuple(loaded.files))


def _check_contexts(sources: Sources, decided: Plan) -> None:
    """A build context composeswap writes must exist, unless it is a URL or uses variables.

    It resolves from the folder of the file it is written in, as Compose resolves it: the
    project directory, or an included project's. Compose reads a leading '~' as the home
    folder, so the folder is looked for there; the file keeps the '~' as written.
    """
    problems = []
    for switch in decided.switches:
        context, layer = switch.new_context, sources.layers[switch.layer]
        if context is None:
            continue
        folder = local_path(layer.folder, context)
        if folder is None or os.path.isdir(folder):
            continue
        base = os.path.expanduser("~") if context.startswith("~") else layer.folder
        problems.append(
            _at_service(
                layer.document,
                switch.service,
                f"source folder {context} does not exist (resolved from {os.path.abspath(base)}); "
                f"check it out there, or pass --context {switch.service}=PATH",
            )
        )
    if problems:
        raise ComposeswapError(*problems)


def _check_stages(
    sources: Sources, decided: Plan, switched: Mapping[str, Mapping[str, Any]]
) -> None:
    """Each build a switch to local leaves must find its target stage in its Dockerfile, read
    as BuildKit reads it; a build without a target, or whose Dockerfile cannot be read from
    here (a URL context, variables), is not checked."""
    from composeswap import dockerfile  # only when a check runs

    problems = []
    for switch in decided.switches:
        build, layer = _as_build(switched[switch.service]), sources.layers[switch.layer]
        target = build.get("target")
        if not isinstance(target, str):
            continue
        why = dockerfile.check_stage(layer.folder, build, target).missing
        if why:
            problems.append(
                _at_service(
                    layer.document,
                    switch.service,
                    f"{why}; fix it, pass --target, or --no-stage-check to switch anyway",
                )
            )
    if problems:
        raise ComposeswapError(*problems)


def _at_service(document: Document, name: str, message: str) -> Problem:
    """A problem about a service, at its name in the file that decides it."""
    service = document.services[name]
    return Problem(document.file, message, service.line, service.column + 1, f"services.{name}")


def _as_build(service: Mapping[str, Any]) -> Mapping[str, Any]:
    build = service.get("build")
    return (
        {"context": build}
        if isinstance(build, str)
        else build
        if isinstance(build, Mapping)
        else {}
    )


def _first_name(outcome: Outcome) -> str:
    return outcome.loaded.sources.layers[0].document.file


def _messages(outcome: Outcome, write_mode: WriteMode) -> tuple[str, ...]:
    decided, layers_ = outcome.plan, outcome.loaded.sources.layers
    verb = "switched" if write_mode is WriteMode.WRITE else "would switch"
    messages = [
        f"{layers_[switch.layer].document.file}: {verb} {switch.service} to "
        f"{decided.mode.value}: {switch.summary}"
        for switch in decided.switches
    ]
    if not decided.switches:
        already = (
            f" ({', '.join(decided.unchanged)} already {decided.mode.value})"
            if decided.unchanged
            else ""
        )
        messages.append(f"{_first_name(outcome)}: nothing to do{already}")
    return tuple(messages)


class StatusRequest(NamedTuple):
    where: Where = Where()
    services: tuple[str, ...] = ()  # names and patterns; none: every service
    colour: bool = False


def status(request: StatusRequest) -> Report:
    """Each service's form as Compose reads the project, and what the other would be."""
    from composeswap import status as rows
    from composeswap.plan import choose

    found = find(request.where)
    loaded = layers.load(found.files, found.directory, os.getcwd())
    sources = loaded.sources
    model = effective.read(sources)
    names = (
        choose(sources.layers[0].document.file, model, request.services)
        if request.services
        else list(model.services)
    )
    table = rows.rows(sources, model, names, found.environment)
    return Report(
        (rows.table(table, request.colour),), files=tuple(loaded.files), statuses=tuple(table)
    )


class ToggleRequest(NamedTuple):
    service: str | None  # or the service whose definition holds ``at``
    at: tuple[str, int] | None = None  # FILE, LINE, as an editor knows the cursor
    switch: SwitchRequest = SwitchRequest(Mode.LOCAL)  # how to switch; its mode is decided here


def toggle(request: ToggleRequest) -> Report:
    """Switch a service to the other form: local when Compose reads it as remote (or with both
    image and build), remote when local."""
    from composeswap.plan import choose
    from composeswap.steps import Form

    where = request.switch.where
    if request.at is not None:  # the project is found from the file's folder, as if run there
        where = where._replace(cwd=os.path.dirname(os.path.abspath(request.at[0])))
    found = find(where)
    loaded = layers.load(found.files, found.directory, os.getcwd())
    model = effective.read(loaded.sources)
    name = (
        _service_at(loaded.sources, *request.at)
        if request.at is not None
        else choose(loaded.sources.layers[0].document.file, model, [str(request.service)])[0]
    )
    read = model.services[name]
    if read.form in (Form.PROVIDER, Form.NEITHER):
        document = loaded.sources.layers[read.layer].document
        raise ComposeswapError(
            _at_service(document, name, f"has {read.form.value}: there is nothing to toggle")
        )
    mode = Mode.REMOTE if read.form is Form.LOCAL else Mode.LOCAL
    return switch(request.switch._replace(mode=mode, services=(name,), where=where))


def _service_at(sources: Sources, file: str, line: int) -> str:
    """The service whose definition holds ``line`` of ``file``."""
    path = os.path.abspath(file)
    for layer in sources.layers:
        document = layer.document
        if os.path.abspath(document.file) != path:
            continue
        for name, service in document.services.items():
            if service.line <= line <= _last_line(document, service):
                return name
        raise ComposeswapError(
            Problem(
                document.file,
                f"line {line} is in no service; put the cursor on a service's definition",
                line,
                1,
            )
        )
    raise ComposeswapError(Problem(file, "is not a file of the project found from its folder"))


def _last_line(document: Document, service: Service) -> int:
    ends = [entry.value_end for entry in service.entries.values()]
    return document.source.position(max(ends))[0] if ends else service.line


class EditorRequest(NamedTuple):
    where: Where = Where()
    workspace: str | None = None  # default: the git repository's root, else the project's
    write_mode: WriteMode = WriteMode.WRITE


def editor_vscode(request: EditorRequest) -> Report:
    """Write composeswap's tasks into the workspace's .vscode/tasks.json, keeping the rest."""
    from composeswap import vscode

    found = find(request.where)
    loaded = layers.load(found.files, found.directory, os.getcwd())
    workspace = os.path.abspath(
        request.workspace or _repository_root(found.directory) or found.directory
    )
    spec = vscode.TaskSpec(
        "composeswap",
        _project_args(found, workspace),
        tuple(effective.read(loaded.sources).services),
    )
    path = os.path.join(workspace, ".vscode", "tasks.json")
    name = layers.display_name(path, os.getcwd())
    existing = files.read(name) if os.path.exists(path) else None
    try:
        text = vscode.tasks_json(existing.text if existing else None, spec)
    except vscode.TasksJsonError as error:
        raise ComposeswapError(Problem(name, error.message, error.line, error.column)) from None
    before = existing.text if existing else ""
    if text == before:
        return Report((f"{name}: nothing to do (composeswap's tasks are up to date)",))
    verb = "wrote" if request.write_mode is WriteMode.WRITE else "would write"
    diff = None
    if request.write_mode is WriteMode.DIFF:
        diff = unified_diff(name, before, [(0, len(before), text)])
    elif request.write_mode is WriteMode.WRITE:
        _write_new(existing, path, text)
    code = ExitCode.WOULD_CHANGE if request.write_mode is WriteMode.CHECK else ExitCode.OK
    return Report((f"{name}: {verb} composeswap's tasks",), diff, code, files=(name,))


def _repository_root(folder: str) -> str | None:
    """The git repository holding ``folder``: VS Code opens it as the workspace."""
    current = os.path.abspath(folder)
    while True:
        if os.path.exists(os.path.join(current, ".git")):
            return current
        parent = os.path.dirname(current)
        if parent == current:
            return None
        current = parent


def _project_args(found: project.Project, workspace: str) -> tuple[str, ...]:
    """What finds the same project when run in the workspace folder: nothing when Compose's
    own search from there finds it, else each file with -f."""
    if found.how.startswith("found") and found.directory == workspace:
        return ()
    return tuple(
        arg
        for path in found.files
        for arg in ("-f", "${workspaceFolder}/" + os.path.relpath(path, workspace))
    )


def _write_new(existing: files.ComposeFile | None, path: str, text: str) -> None:
    if existing is not None:
        files.write_all([(existing, text)])
        return
    os.makedirs(os.path.dirname(path), exist_ok=True)
    try:
        with open(path, "x", encoding="utf-8", newline="") as out:
            out.write(text)
    except OSError as error:
        raise ComposeswapError(
            Problem(path, f"cannot write it: {error.strerror or error}")
        ) from None


def hook_projects(paths: tuple[str, ...]) -> list[tuple[str, ...]]:
    """The projects a pre-commit hook reads for the files it is given, each as ``-f`` files.

    A file is its own project, which is what is committed. An override file (``OVERRIDE_NAMES``)
    alone may hold partial services that only make sense merged, so it is read after the base
    file Compose would pick beside it; such a base, when given too, is read there, once. An
    override without a base beside it is read alone: no Compose run would merge it anyway.
    """
    bases = {
        path: _base_beside(path)
        for path in paths
        if os.path.basename(path) in project.OVERRIDE_NAMES
    }
    merged = {os.path.normpath(base) for base in bases.values() if base}
    found: list[tuple[str, ...]] = []
    for path in dict.fromkeys(paths):
        base = bases.get(path)
        if base:
            found.append((base, path))
        elif os.path.normpath(path) not in merged:
            found.append((path,))
    return found


def _base_beside(path: str) -> str | None:
    folder = os.path.dirname(path)
    return next(
        (
            os.path.join(folder, name)
            for name in project.DEFAULT_NAMES
            if os.path.exists(os.path.join(folder, name))
        ),
        None,
    )
