"""composeswap's VS Code tasks, written into ``.vscode/tasks.json`` as exactly as compose files.

``tasks_json(existing, spec)`` returns the whole new text of the file. An existing file is
edited, never re-dumped: composeswap's own tasks are replaced in place, the missing ones are
added at the end of ``tasks``, those no longer generated are removed, and the same is done for
its one entry of ``inputs`` (the pick list of services). Everything else (the user's tasks and
inputs, comments, trailing commas, indentation, line endings, key order, a BOM) keeps its bytes.

Which tasks are composeswap's: a task whose ``label`` starts with ``composeswap: `` *and* whose
``detail`` ends with ``kept up to date by composeswap editor vscode``; an input whose ``id``
starts with ``composeswap`` *and* whose ``description`` ends with the same words. Both halves
are needed, so a user's own ``composeswap: deploy`` task, or a copy of one of composeswap's
tasks given another label, is the user's and is never touched. Editing one of composeswap's
tasks is pointless (the next run writes it again); copy it under another label instead. A
user's task or input that takes a label or id composeswap needs is refused, not overwritten.

New text is written with the file's own line ending and indentation: elements of an array line
up with the array's existing elements, one step of indentation is what the file already uses
(two spaces in a file that shows none), and an array that ends with a trailing comma gets one
after each new element too. A file without ``"version"`` gets ``"version": "2.0.0"``, which
these tasks need; another version is refused. A missing file, or an empty one, is written whole.

Before the text is returned it is proven: read again, every top-level key but ``tasks`` and
``inputs`` reads as before, the user's tasks and inputs read as before and in the same order,
and composeswap's read exactly as generated; otherwise UnprovenEdit.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from typing import Any, NamedTuple

from composeswap import jsonc
from composeswap.jsonc import Child, Kind, Node
from composeswap.text import Source, splice

VERSION = "2.0.0"
LABEL_PREFIX = "composeswap: "
INPUT_PREFIX = "composeswap"
MARKER = "kept up to date by composeswap editor vscode"
SERVICE_INPUT = "composeswapService"

# composeswap's diagnostics, ``compose.yaml:3:5: error: services.api.imgae: unknown key ...``,
# the column optional (errors.Problem.render leaves it out when unknown). VS Code applies it with
# JavaScript's RegExp, so it keeps to what both engines read alike. The file is matched lazily,
# so a Windows path's drive colon (``C:\p\compose.yaml:3:5: ...``) stays in the file.
PROBLEM_PATTERN = r"^(.+?):(\d+):(?:(\d+):)? (error|warning): (.*)$"
PROBLEM_MATCHER: dict[str, Any] = {
    "owner": "composeswap",
    "source": "composeswap",
    # Paths are relative to the folder composeswap ran in (the tasks run it in the workspace
    # folder) or absolute; autoDetect takes either.
    "fileLocation": ["autoDetect", "${workspaceFolder}"],
    "pattern": {
        "regexp": PROBLEM_PATTERN,
        "file": 1,
        "line": 2,
        "column": 3,
        "severity": 4,
        "message": 5,
    },
}

_DEFAULT_UNIT = "  "
_Edit = tuple[int, int, str]  # replace text[start:end] by the string
_INLINE_LIST = 100  # a list of plain values longer than this, written inline, gets a line each
_INDENT = re.compile(r"[ \t]*")


class TaskSpec(NamedTuple):
    """What composeswap's tasks need to know about the project."""

    command: str  # the program: "composeswap", or a path such as "${workspaceFolder}/.venv/bin/..."
    project_args: tuple[
        str, ...
    ]  # what finds the project: ("-f", "${workspaceFolder}/compose.yaml")
    services: tuple[str, ...]  # the project's services, for the pick list of ``local``


class TasksJsonError(ValueError):
    """A tasks.json composeswap will not edit, at its 1-based ``line`` and ``column``.

    Print it as ``file:line:col: error: message``, as ``errors.Problem`` does.
    """

    def __init__(self, message: str, line: int | None, column: int | None) -> None:
        super().__init__(message if line is None else f"{line}:{column}: {message}")
        self.message = message
        self.line = line
        self.column = column


class UnprovenEdit(TasksJsonError):
    """The edit would not read back as planned: a bug in composeswap, so nothing is written.

    The only TasksJsonError without a position: the fault is in no place of the user's file.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(
            f"refusing to write tasks.json: {reason}. The file is unchanged; please "
            "report this with the file so it can be handled",
            None,
            None,
        )


def tasks_json(existing: str | None, spec: TaskSpec) -> str:
    """The new text of tasks.json: ``existing`` (None for no file) with ``spec``'s tasks.

    TasksJsonError, at its line and column, for a file VS Code would not read cleanly or whose
    ``tasks`` or ``inputs`` cannot take composeswap's; UnprovenEdit if the edit fails its proof.
    """
    tasks, inputs = generated_tasks(spec), generated_inputs(spec)
    source = Source.from_text(existing or "")
    if not source.body.strip(" \t\r\n"):
        body = _new_file(tasks, inputs, source.newline)
        before = None
    else:
        before = _read(source.body, "tasks.json")
        body = splice(source.body, _edits(source, before, tasks, inputs))
    _prove(before, body, tasks, inputs)
    return Source(body, source.bom).text


def generated_tasks(spec: TaskSpec) -> list[dict[str, Any]]:
    """composeswap's tasks for ``spec``, in the order they are added to a file."""
    tasks = []
    if spec.services:  # a pick list with nothing to pick would only show an empty list
        tasks.append(
            _task(
                spec,
                "local (pick a service)",
                ["local", f"${{input:{SERVICE_INPUT}}}"],
                "Build the service you pick from its source folder",
            )
        )
    tasks += [
        _task(
            spec,
            "remote (every service)",
            ["remote"],
            "Pull every managed service from the registry again",
        ),
        _task(
            spec,
            "toggle the service at the cursor",
            ["toggle", "--at", "${file}:${lineNumber}"],
            "Switch the service under the cursor to its other form",
        ),
        _task(spec, "status", ["status"], "Show which services build locally"),
        _task(spec, "validate", ["validate"], "Check the compose files"),
        _task(
            spec,
            "remote --check",
            ["remote", "--check"],
            "Fail while any service is in its local form, as pre-commit and CI do",
        ),
    ]
    return tasks


def generated_inputs(spec: TaskSpec) -> list[dict[str, Any]]:
    if not spec.services:
        return []
    return [
        {
            "id": SERVICE_INPUT,
            "type": "pickString",
            "description": f"Service to build from source; {MARKER}",
            "options": list(spec.services),
        }
    ]


def _task(spec: TaskSpec, label: str, args: list[str], what: str) -> dict[str, Any]:
    return {
        "label": LABEL_PREFIX + label,
        "detail": f"{what}; {MARKER}",
        # A process, not a shell: paths with spaces or $ reach composeswap as they are.
        "type": "process",
        "command": spec.command,
        "args": [*spec.project_args, *args],
        # Explicit, so that a top-level "options" of the user's cannot move relative paths.
        "options": {"cwd": "${workspaceFolder}"},
        "problemMatcher": PROBLEM_MATCHER,
    }


class _Kind(NamedTuple):
    """How one array's composeswap entries are recognised: tasks by label, inputs by id."""

    array: str  # the top-level key holding them
    name: str  # the key that names an entry
    prefix: str
    note: str  # the key whose text ends with MARKER


_TASKS = _Kind("tasks", "label", LABEL_PREFIX, "detail")
_INPUTS = _Kind("inputs", "id", INPUT_PREFIX, "description")


def _is_ours(value: Any, kind: _Kind) -> bool:
    """Whether an entry of tasks (or inputs) is one composeswap wrote and keeps up to date."""
    if not isinstance(value, dict):
        return False
    name, note = value.get(kind.name), value.get(kind.note)
    return (
        isinstance(name, str)
        and name.startswith(kind.prefix)
        and isinstance(note, str)
        and note.endswith(MARKER)
    )


# Reading the existing file


def _read(body: str, what: str) -> Node:
    """The top-level object, with tasks and inputs (when there) checked to be arrays."""
    try:
        root = jsonc.parse(body)
    except jsonc.JsoncError as error:
        raise TasksJsonError(error.message, error.line, error.column) from None
    if root.kind is not Kind.OBJECT:
        raise _error(body, root.start, f"the top level of {what} is {_a(root.kind)}, not an object")
    for key in ("version", "tasks", "inputs"):
        members = [child for child in root.children if child.key == key]
        if len(members) > 1:
            raise _error(
                body,
                members[1].start,
                f"'{key}' is given twice; VS Code reads only "
                "the last, and composeswap will not guess which one is meant",
            )
    version = _member(root, "version")
    if version is not None and version.node.value != VERSION:
        raise _error(
            body,
            version.node.start,
            f"version is {json.dumps(version.node.value)}; "
            f"composeswap's tasks need version {json.dumps(VERSION)}",
        )
    for key in ("tasks", "inputs"):
        member = _member(root, key)
        if member is not None and member.node.kind is not Kind.ARRAY:
            raise _error(
                body, member.node.start, f"'{key}' is {_a(member.node.kind)}, not an array"
            )
    return root


def _member(node: Node, key: str) -> Child | None:
    return next((child for child in node.children if child.key == key), None)


def _a(kind: Kind) -> str:
    return {
        Kind.OBJECT: "an object",
        Kind.ARRAY: "an array",
        Kind.STRING: "a string",
        Kind.NUMBER: "a number",
        Kind.KEYWORD: "true, false or null",
    }[kind]


def _error(body: str, offset: int, message: str) -> TasksJsonError:
    line, column = Source(body).position(offset)
    return TasksJsonError(message, line, column)


# Planning the edits


class _Layout:
    """The file's own ways: line ending, one step of indentation, each line's indentation."""

    def __init__(self, source: Source, root: Node) -> None:
        self.source = source
        self.newline = source.newline
        self.unit = _indent_unit(source, root)

    def line_indent(self, offset: int) -> str:
        return _line_indent(self.source, offset)

    def starts_line(self, offset: int) -> bool:
        return _starts_line(self.source, offset)

    def render(self, value: Any, indent: str) -> str:
        return _render(value, indent, self.unit, self.newline)


def _indent_unit(source: Source, root: Node) -> str:
    """The first step of indentation the user's own text shows, or two spaces.

    Read only from containers of the user's whose first entry starts a line, never from
    composeswap's entries: so a second run reads the same step as the first did.
    """
    for node in _containers(root):
        first = node.children[0]
        if _is_any_of_ours(first.node.value) or not _starts_line(source, first.start):
            continue
        outer, inner = _line_indent(source, node.start), _line_indent(source, first.start)
        if inner.startswith(outer) and len(inner) > len(outer):
            return inner[len(outer) :]
    return _DEFAULT_UNIT


def _is_any_of_ours(value: Any) -> bool:
    return _is_ours(value, _TASKS) or _is_ours(value, _INPUTS)


def _line_indent(source: Source, offset: int) -> str:
    return _INDENT.match(source.body, source.line_start(offset)).group()  # type: ignore[union-attr]


def _starts_line(source: Source, offset: int) -> bool:
    """Whether only spaces and tabs come before ``offset`` on its line."""
    return not source.body[source.line_start(offset) : offset].strip(" \t")


def _containers(node: Node) -> Iterator[Node]:
    """Non-empty objects and arrays in text order, without descending into composeswap's entries."""
    if not node.children or _is_any_of_ours(node.value):
        return
    yield node
    for child in node.children:
        yield from _containers(child.node)


def _edits(
    source: Source, root: Node, tasks: list[dict[str, Any]], inputs: list[dict[str, Any]]
) -> list[_Edit]:
    layout = _Layout(source, root)
    edits: list[_Edit] = []
    added: list[tuple[str, Any]] = []
    if _member(root, "version") is None:
        added.append(("version", VERSION))
    for kind, wanted in ((_TASKS, tasks), (_INPUTS, inputs)):
        member = _member(root, kind.array)
        if member is not None:
            edits += _sync(layout, member.node, kind, wanted)
        elif wanted:
            added.append((kind.array, wanted))
    if added:
        indent = _entry_indent(layout, root)
        texts = [f"{json.dumps(key)}: {layout.render(value, indent)}" for key, value in added]
        edits += _append(layout, root, [], texts)
    return _merged(edits)


def _sync(layout: _Layout, array: Node, kind: _Kind, wanted: list[dict[str, Any]]) -> list[_Edit]:
    """Edits that make ``array`` hold ``wanted`` as composeswap's entries, the user's untouched."""
    by_name = {entry[kind.name]: entry for entry in wanted}
    _refuse_taken_names(layout.source.body, array, kind, by_name)
    edits: list[_Edit] = []
    removed: list[int] = []
    for index, child in enumerate(array.children):
        if not _is_ours(child.node.value, kind):
            continue
        entry = by_name.pop(child.node.value[kind.name], None)
        if entry is None:  # no longer generated, or a second copy
            removed.append(index)
            continue
        text = layout.render(entry, layout.line_indent(child.start))
        if layout.source.body[child.node.start : child.node.end] != text:
            edits.append((child.node.start, child.node.end, text))
    indent = _entry_indent(layout, array)
    missing = [layout.render(entry, indent) for entry in by_name.values()]
    return edits + _append(layout, array, removed, missing)


def _refuse_taken_names(body: str, array: Node, kind: _Kind, names: dict[str, Any]) -> None:
    for child in array.children:
        value = child.node.value
        if isinstance(value, dict) and value.get(kind.name) in names and not _is_ours(value, kind):
            raise _error(
                body,
                child.node.start,
                f"this {kind.array[:-1]}'s {kind.name} "
                f"{json.dumps(value[kind.name])} is one composeswap writes; rename it, "
                f"or delete it to let composeswap write its own",
            )


def _entry_indent(layout: _Layout, container: Node) -> str:
    """Where new entries of ``container`` line up: with the first that starts a line."""
    for child in container.children:
        if layout.starts_line(child.start):
            return layout.line_indent(child.start)
    return layout.line_indent(container.start) + layout.unit


def _append(
    layout: _Layout, container: Node, removed: Sequence[int], texts: Sequence[str]
) -> list[_Edit]:
    """Edits that remove the entries at ``removed`` and add ``texts`` at the end of ``container``.

    The commas keep the container's style: a trailing comma after the last entry only if there
    was one before.
    """
    children = container.children
    edits = [edit for index in removed for edit in _removal(layout, children[index])]
    kept = [child for index, child in enumerate(children) if index not in removed]
    trailing = bool(children) and children[-1].comma is not None
    last = kept[-1] if kept else None
    if texts:
        if last is not None and last.comma is None:
            edits.append((last.node.end, last.node.end, ","))
        edits.append(_insertion(layout, container, texts, trailing))
    elif last is not None and last.comma is not None and not trailing:
        edits.append((last.comma, last.comma + 1, ""))  # it separated entries now removed
    return edits


def _removal(layout: _Layout, child: Child) -> list[_Edit]:
    """Delete an entry and its comma; comments around it stay, as everything else of the user's."""
    body = layout.source.body
    if layout.starts_line(child.start):
        start = layout.source.break_before(child.start)  # its line goes, with the break before it
    else:
        start = len(body[: child.start].rstrip(" \t"))
    if child.comma is None:
        return [(start, child.node.end, "")]
    if not body[child.node.end : child.comma].strip(" \t\r\n"):
        return [(start, child.comma + 1, "")]
    return [(start, child.node.end, ""), (child.comma, child.comma + 1, "")]


def _insertion(layout: _Layout, container: Node, texts: Sequence[str], trailing: bool) -> _Edit:
    """New entries at the end of ``container``, after any comment already at its end."""
    indent = _entry_indent(layout, container)
    commas = [","] * (len(texts) - 1) + ["," if trailing else ""]
    block = "".join(f"{layout.newline}{indent}{text}{comma}" for text, comma in zip(texts, commas))
    close = container.end - 1
    if layout.starts_line(close):
        at = layout.source.break_before(close)  # the closing bracket keeps its own line
        return (at, at, block)
    # The bracket moves to a line of its own; the blanks before it would trail on the last line.
    blanks = len(layout.source.body[:close].rstrip(" \t"))
    return (blanks, close, block + layout.newline + layout.line_indent(container.start))


def _merged(edits: list[_Edit]) -> list[_Edit]:
    """Insertions at one offset joined in the order planned, so the splice cannot reorder them."""
    out: list[_Edit] = []
    for start, end, text in edits:
        twin = next((i for i, edit in enumerate(out) if start == end == edit[0] == edit[1]), None)
        if twin is None:
            out.append((start, end, text))
        else:
            out[twin] = (start, end, out[twin][2] + text)
    return out


# Writing a new file


def _new_file(tasks: list[dict[str, Any]], inputs: list[dict[str, Any]], newline: str) -> str:
    document: dict[str, Any] = {"version": VERSION, "tasks": tasks}
    if inputs:
        document["inputs"] = inputs
    return _render(document, "", _DEFAULT_UNIT, newline) + newline


def _render(value: Any, indent: str, unit: str, newline: str) -> str:
    """JSON text of ``value`` whose first line continues a line indented by ``indent``."""
    inner = indent + unit
    if isinstance(value, dict) and value:
        members = [
            f"{inner}{json.dumps(key)}: {_render(item, inner, unit, newline)}"
            for key, item in value.items()
        ]
        return "{" + newline + f",{newline}".join(members) + newline + indent + "}"
    if isinstance(value, list) and value:
        inline = "[" + ", ".join(_scalar(item) for item in value) + "]" if _plain(value) else ""
        if inline and len(inline) <= _INLINE_LIST:
            return inline
        items = [inner + _render(item, inner, unit, newline) for item in value]
        return "[" + newline + f",{newline}".join(items) + newline + indent + "]"
    return _scalar(value)


def _plain(values: list[Any]) -> bool:
    return all(not isinstance(item, (dict, list)) for item in values)


def _scalar(value: Any) -> str:
    if isinstance(value, (dict, list)):
        return "{}" if isinstance(value, dict) else "[]"
    return json.dumps(value, ensure_ascii=False)


# Proving the result


def _prove(
    before: Node | None, body: str, tasks: list[dict[str, Any]], inputs: list[dict[str, Any]]
) -> None:
    """UnprovenEdit unless ``body`` reads as ``before`` but for composeswap's entries, as wanted."""
    try:
        after = _read(body, "the edited tasks.json")
    except TasksJsonError as error:
        raise UnprovenEdit(f"it would not read back ({error})") from None
    others = _others(before)
    if before is None or _member(before, "version") is None:
        others.append(("version", _canon(VERSION)))
    if _others(after) != others:
        raise UnprovenEdit("a top-level key other than tasks and inputs would change")
    for kind, wanted in ((_TASKS, tasks), (_INPUTS, inputs)):
        _prove_entries(_entries(before, kind.array), _entries(after, kind.array), kind, wanted)


def _prove_entries(
    old: list[Any], new: list[Any], kind: _Kind, wanted: list[dict[str, Any]]
) -> None:
    users_old = [_canon(value) for value in old if not _is_ours(value, kind)]
    users_new = [_canon(value) for value in new if not _is_ours(value, kind)]
    if users_old != users_new:
        raise UnprovenEdit(f"the user's {kind.array} would change")
    ours = sorted(_canon(value) for value in new if _is_ours(value, kind))
    if ours != sorted(_canon(value) for value in wanted):
        raise UnprovenEdit(f"composeswap's {kind.array} would not read as generated")


def _entries(root: Node | None, key: str) -> list[Any]:
    member = None if root is None else _member(root, key)
    return [] if member is None else list(member.node.value)


def _others(root: Node | None) -> list[tuple[str | None, str]]:
    """The top-level members but tasks and inputs, in order, as values."""
    children = () if root is None else root.children
    return [
        (child.key, _canon(child.node.value))
        for child in children
        if child.key not in ("tasks", "inputs")
    ]


def _canon(value: Any) -> str:
    """A value's JSON text with its key order: tells true from 1 and 1 from 1.0, as VS Code does."""
    return json.dumps(value, ensure_ascii=False)
