"""Running one command: read, plan, edit, prove, then write, print or check."""

from __future__ import annotations

import contextlib
import enum
import os
import re
from typing import NamedTuple

from composeswap import effective, files, render, validation, yamlsource
from composeswap.config import Overrides
from composeswap.diff import unified_diff
from composeswap.errors import ComposeswapError, ExitCode, Problem
from composeswap.model import Document
from composeswap.plan import Plan, plan
from composeswap.proof import prove
from composeswap.steps import Mode
from composeswap.text import Source, splice


class WriteMode(enum.Enum):
    WRITE = "write"
    DRY_RUN = "dry-run"
    DIFF = "diff"
    CHECK = "check"


class SwitchRequest(NamedTuple):
    mode: Mode
    services: tuple[str, ...] = ()
    overrides: Overrides = Overrides()
    write_mode: WriteMode = WriteMode.WRITE
    file: str | None = None
    validate: bool = True


class Outcome(NamedTuple):
    """What a switch decided and produced, before anything is written."""

    file: files.ComposeFile
    plan: Plan
    edits: list[render.Edit]
    new_text: str


class Report(NamedTuple):
    """What a command tells the user, and the exit code it ends with."""

    messages: tuple[str, ...]  # for stderr
    diff: str = ""  # for stdout
    exit_code: ExitCode = ExitCode.OK


def switch(request: SwitchRequest) -> Report:
    path = files.find(request.file, os.curdir)
    writing = request.write_mode is WriteMode.WRITE
    with files.exclusive(path) if writing else contextlib.nullcontext():
        outcome = prepare(request, path)
        changed = outcome.new_text != outcome.file.text
        if writing and changed:
            files.write(outcome.file, outcome.new_text)
    messages = _messages(outcome, request.write_mode)
    if not request.validate:
        messages = (f"{outcome.file.name}: warning: schema validation skipped (--no-validate); "
                    "the edit was still proven", *messages)
    diff = ""
    if request.write_mode is WriteMode.DIFF and changed:
        diff = unified_diff(outcome.file.name, outcome.file.text, outcome.edits)
    code = ExitCode.WOULD_CHANGE if request.write_mode is WriteMode.CHECK and changed \
        else ExitCode.OK
    return Report(messages, diff, code)


def prepare(request: SwitchRequest, path: str) -> Outcome:
    """Everything up to writing: pure apart from reading the file and looking for folders."""
    file = files.read(path)
    document = yamlsource.parse(Source.from_text(file.text), file.name)
    if request.validate:
        validation.require_valid(document)
    model = effective.read_file(document)
    decided = plan(document, model, request.mode, request.services, request.overrides)
    _check_contexts(document, decided, os.path.dirname(file.path))
    steps = {switch.service: switch.steps for switch in decided.switches}
    edits = render.all_edits(document, steps)
    new_text = splice(file.text, edits)
    if steps:
        switched = prove(document, model, new_text, decided)
        if request.validate:
            validation.require_valid_result(document, switched)
    return Outcome(file, decided, edits, new_text)


class ValidateRequest(NamedTuple):
    file: str | None = None


def validate(request: ValidateRequest) -> Report:
    file = files.read(files.find(request.file, os.curdir))
    document = yamlsource.parse(Source.from_text(file.text), file.name)
    validation.require_valid(document, files=True)
    return Report((f"{file.name}: valid",))


_REMOTE_CONTEXT = re.compile(r"^[a-z][a-z0-9+.-]*://|^git@|\$")


def _check_contexts(document: Document, decided: Plan, folder: str) -> None:
    """A build context composeswap writes must exist, unless it is a URL or uses variables.

    Compose reads a leading '~' as the home folder, so the folder is looked for there; the
    file keeps the '~' as written.
    """
    problems = []
    for switch in decided.switches:
        context = switch.new_context
        if context is None or _REMOTE_CONTEXT.search(context):
            continue
        # Compose takes all that follows '~' from the home folder: '~x/y' is $HOME/x/y.
        base, relative = (os.path.expanduser("~"), context[1:].lstrip("/")) \
            if context.startswith("~") else (folder, context)
        if os.path.isdir(os.path.join(base, relative)):
            continue
        service = document.services[switch.service]
        problems.append(Problem(
            document.file,
            f"source folder {context} does not exist (resolved from {os.path.abspath(base)}); "
            f"check it out there, or pass --context {switch.service}=PATH",
            service.line, service.column + 1, f"services.{switch.service}",
        ))
    if problems:
        raise ComposeswapError(*problems)


def _messages(outcome: Outcome, write_mode: WriteMode) -> tuple[str, ...]:
    name, decided = outcome.file.name, outcome.plan
    verb = "switched" if write_mode is WriteMode.WRITE else "would switch"
    messages = [f"{name}: {verb} {switch.service} to {decided.mode.value}: {switch.summary}"
                for switch in decided.switches]
    if not decided.switches:
        already = f" ({', '.join(decided.unchanged)} already {decided.mode.value})" \
            if decided.unchanged else ""
        messages.append(f"{name}: nothing to do{already}")
    return tuple(messages)


