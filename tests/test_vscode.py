"""composeswap's tasks in .vscode/tasks.json: golden cases, and what must hold for every file.

A case is a folder under fixtures/vscode with a hand-written ``before.json`` and the
``after.json`` that ``tasks_json`` makes of it with SPEC. For every case: the result is exactly
``after.json``; it reads as JSONC with well-formed tasks; outside composeswap's own entries (and
the commas and whitespace that separate them) not a byte changed; a second run changes nothing;
a new list of services changes only the pick list. composeswap's entries are recognised here
independently of the module, by the documented rule.
"""

from __future__ import annotations

import difflib
import json
import os
import re
import shutil
import subprocess
from collections.abc import Collection
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from composeswap import jsonc
from composeswap.errors import Problem, Severity
from composeswap.vscode import (
    MARKER,
    PROBLEM_PATTERN,
    TasksJsonError,
    TaskSpec,
    UnprovenEdit,
    generated_tasks,
    tasks_json,
)
from tests.helpers import FIXTURES, run
from tests.test_properties import PROFILE

SPEC = TaskSpec("composeswap", ("-f", "${workspaceFolder}/compose.yaml"), ("api", "web", "db"))
CASES = sorted(path for path in (FIXTURES / "vscode").iterdir() if path.is_dir())
BOM = "\ufeff"
SUBCOMMANDS = {
    "composeswap: local (pick a service)": ["local", "${input:composeswapService}"],
    "composeswap: remote (every service)": ["remote"],
    "composeswap: toggle the service at the cursor": ["toggle", "--at", "${file}:${lineNumber}"],
    "composeswap: status": ["status"],
    "composeswap: validate": ["validate"],
    "composeswap: remote --check": ["remote", "--check"],
}


def read(path: Path) -> str:
    return path.read_bytes().decode("utf-8")  # as written: no newline translation


def body(text: str) -> str:
    return text[len(BOM) :] if text.startswith(BOM) else text


def ours(value: Any) -> bool:
    """The documented rule: a composeswap name and a note that ends with the marker."""
    if not isinstance(value, dict):
        return False
    for name, prefix, note in (
        ("label", "composeswap: ", "detail"),
        ("id", "composeswap", "description"),
    ):
        if (
            isinstance(value.get(name), str)
            and value[name].startswith(prefix)
            and isinstance(value.get(note), str)
            and value[note].endswith(MARKER)
        ):
            return True
    return False


def spans_of_ours(text: str, created: Collection[str] = ()) -> list[tuple[int, int]]:
    """Offsets (in the text without BOM) of composeswap's entries, and of top-level members
    named in ``created``, which hold nothing but those."""
    root = jsonc.parse(body(text))
    spans = []
    for member in root.children:
        if member.key in created:
            spans.append((member.start, member.node.end))
        elif member.key in ("tasks", "inputs") and member.node.kind is jsonc.Kind.ARRAY:
            spans += [
                (item.node.start, item.node.end)
                for item in member.node.children
                if ours(item.node.value)
            ]
    return spans


def with_ours_as(sentinel: str, text: str, spans: list[tuple[int, int]]) -> str:
    for start, end in sorted(spans, reverse=True):
        text = text[:start] + sentinel + text[end:]
    return text


def assert_only_ours_changed(before: str, after: str) -> None:
    """Outside composeswap's entries, only the commas and line breaks that separate them differ.

    Each entry is first replaced by one sentinel character on both sides, so that the diff
    cannot pair the user's text with look-alike text of composeswap's.
    """
    assert before.startswith(BOM) == after.startswith(BOM)
    old, new = body(before), body(after)
    created = {"version", "tasks", "inputs"} - {child.key for child in jsonc.parse(old).children}
    old = with_ours_as("\x00", old, spans_of_ours(old))
    new = with_ours_as("\x00", new, spans_of_ours(new, created))
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        changed = old[i1:i2] + new[j1:j2]
        assert not changed.strip(" \t\r\n,\x00"), f"changed {old[i1:i2]!r} to {new[j1:j2]!r}"
        assert "," in changed or "\x00" in changed, f"changed spacing {changed!r}"


def check_tasks_file(text: str, spec: TaskSpec = SPEC) -> None:
    """What VS Code needs of the file, and what composeswap's tasks must be."""
    root = jsonc.parse(body(text)).value
    assert root["version"] == "2.0.0"
    tasks, inputs = root["tasks"], root.get("inputs", [])
    labels = [task["label"] for task in tasks if isinstance(task, dict) and "label" in task]
    assert len(labels) == len(set(labels))
    mine = [task for task in tasks if ours(task)]
    expected = {
        label: args for label, args in SUBCOMMANDS.items() if spec.services or "local" not in args
    }
    assert sorted(task["label"] for task in mine) == sorted(expected)
    for task in mine:
        assert task["type"] in ("shell", "process")
        assert task["command"] == spec.command
        assert task["args"] == [*spec.project_args, *expected[task["label"]]]
        check_problem_matcher(task["problemMatcher"])
        for used in re.findall(r"\$\{input:([^}]*)\}", json.dumps(task)):
            [entry] = [entry for entry in inputs if entry.get("id") == used]
            assert entry["type"] == "pickString" and ours(entry)
            assert entry["options"] == list(spec.services)
    assert len([entry for entry in inputs if ours(entry)]) == (1 if spec.services else 0)


def check_problem_matcher(matcher: dict[str, Any]) -> None:
    assert matcher["owner"] == "composeswap"
    assert matcher["fileLocation"] == ["autoDetect", "${workspaceFolder}"]
    pattern = matcher["pattern"]
    groups = re.compile(pattern["regexp"]).groups
    numbers = [pattern[key] for key in ("file", "line", "column", "severity", "message")]
    assert sorted(numbers) == list(range(1, groups + 1))


# The golden cases


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_golden_case(case: Path) -> None:
    assert tasks_json(read(case / "before.json"), SPEC) == read(case / "after.json")


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_result_is_a_tasks_file_vscode_reads(case: Path) -> None:
    check_tasks_file(tasks_json(read(case / "before.json"), SPEC))


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_nothing_but_composeswaps_entries_changes(case: Path) -> None:
    before = read(case / "before.json")
    after = tasks_json(before, SPEC)
    assert_only_ours_changed(before, after)
    old, new = jsonc.parse(body(before)).value, jsonc.parse(body(after)).value
    for key in ("tasks", "inputs"):
        assert [v for v in old.get(key, []) if not ours(v)] == [
            v for v in new.get(key, []) if not ours(v)
        ]
    old_others = {k: v for k, v in old.items() if k not in ("tasks", "inputs")}
    new_others = {k: v for k, v in new.items() if k not in ("tasks", "inputs")}
    if "version" not in old:
        assert new_others.pop("version") == "2.0.0"
    assert list(old_others.items()) == list(new_others.items())


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_line_endings_and_bom_are_the_files_own(case: Path) -> None:
    before = read(case / "before.json")
    after = tasks_json(before, SPEC)
    assert after.startswith(BOM) == before.startswith(BOM)
    if "\r\n" in before:
        assert after.count("\n") == after.count("\r\n")
    else:
        assert "\r" not in after


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_a_second_run_changes_nothing(case: Path) -> None:
    after = tasks_json(read(case / "before.json"), SPEC)
    assert tasks_json(after, SPEC) == after


@pytest.mark.parametrize(
    "services", [("api",), ("api", "web", "db", "cache"), tuple(f"service-{n}" for n in range(30))]
)
@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_new_services_change_only_the_pick_list(case: Path, services: tuple[str, ...]) -> None:
    first = tasks_json(read(case / "before.json"), SPEC)
    second = tasks_json(first, SPEC._replace(services=services))
    start, end = options_span(first)
    new_start, new_end = options_span(second)
    assert (first[:start], first[end:]) == (second[:new_start], second[new_end:])
    assert json.loads(second[new_start:new_end]) == list(services)
    check_tasks_file(second, SPEC._replace(services=services))


def options_span(text: str) -> tuple[int, int]:
    """Where the pick list's options are, in ``text`` itself (BOM included)."""
    root = jsonc.parse(body(text))
    inputs = next(child.node for child in root.children if child.key == "inputs")
    [entry] = [item.node for item in inputs.children if ours(item.node.value)]
    options = next(child.node for child in entry.children if child.key == "options")
    shift = len(text) - len(body(text))
    return options.start + shift, options.end + shift


# Updating a file composeswap wrote to before


def test_a_new_file_is_two_space_json_with_every_task() -> None:
    text = tasks_json(None, SPEC)
    assert text.startswith('{\n  "version": "2.0.0",\n  "tasks": [\n    {\n')
    assert text.endswith("\n  ]\n}\n")
    assert json.loads(text) == jsonc.parse(text).value  # plain JSON, no comment needed
    check_tasks_file(text)
    assert tasks_json(text, SPEC) == text


@pytest.mark.parametrize("blank", ["", "\n", "  \r\n", BOM])
def test_a_blank_file_is_written_as_a_new_one(blank: str) -> None:
    text = tasks_json(blank, SPEC)
    assert body(text) == body(tasks_json(None, SPEC)).replace(
        "\n", "\r\n" if "\r" in blank else "\n"
    )
    assert text.startswith(BOM) == blank.startswith(BOM)


def user_task(label: str, newline: str) -> str:
    return (
        f'{{{newline}      "label": "{label}",{newline}      "type": "shell",{newline}'
        f'      "command": "true"{newline}    }}'
    )


def tasks_array(text: str) -> tuple[jsonc.Node, int]:
    """The tasks array of ``text``, and how far its offsets are from those of ``text`` (a BOM)."""
    root = jsonc.parse(body(text))
    return next(child.node for child in root.children if child.key == "tasks"), len(text) - len(
        body(text)
    )


@pytest.mark.parametrize("case", ["comments", "trailing-commas", "tabs", "crlf", "bom"])
def test_outdated_tasks_are_rewritten_in_place_around_the_users(case: str) -> None:
    written = read(FIXTURES / "vscode" / case / "after.json")
    newline = "\r\n" if "\r\n" in written else "\n"
    tasks, shift = tasks_array(written)
    mine = [item for item in tasks.children if ours(item.node.value)]
    # A user's task among composeswap's, and one after them all, on the line where theirs ends.
    middle, last = mine[2].node.start + shift, mine[-1].node.end + shift
    indent = written[written.rindex("\n", 0, middle) + 1 : middle]
    edited = (
        written[:middle]
        + user_task("between ours", newline)
        + ","
        + newline
        + indent
        + written[middle:last]
        + ", "
        + user_task("after ours", newline)
        + written[last:]
    )
    spec = TaskSpec(
        ".venv/bin/composeswap",
        (
            "-f",
            "${workspaceFolder}/deploy/compose.yaml",
            "--project-directory",
            "${workspaceFolder}",
        ),
        ("api",),
    )
    updated = tasks_json(edited, spec)
    assert_only_ours_changed(edited, updated)
    check_tasks_file(updated, spec)
    labels = [task.get("label") for task in jsonc.parse(body(updated)).value["tasks"]]
    assert labels.index("between ours") == labels.index(list(SUBCOMMANDS)[2]) - 1
    assert labels[-1] == "after ours"
    assert tasks_json(updated, spec) == updated
    assert tasks_json(updated, SPEC) == edited  # and back


@pytest.mark.parametrize("case", ["empty-object", "trailing-commas", "inline", "odd-indent"])
@pytest.mark.parametrize("which", range(len(SUBCOMMANDS)))
def test_a_task_no_longer_generated_is_removed(case: str, which: int) -> None:
    written = read(FIXTURES / "vscode" / case / "after.json")
    retired = written.replace(json.dumps(list(SUBCOMMANDS)[which]), '"composeswap: retired"')
    result = tasks_json(retired, SPEC)
    assert "composeswap: retired" not in result
    check_tasks_file(result)
    assert_only_ours_changed(retired, result)
    assert tasks_json(result, SPEC) == result
    if which == len(SUBCOMMANDS) - 1:  # the last one: removed, and written again where it was
        assert result == written


@pytest.mark.parametrize("case", ["empty-object", "trailing-commas", "inline", "comments"])
def test_a_second_copy_of_a_task_is_removed(case: str) -> None:
    written = read(FIXTURES / "vscode" / case / "after.json")
    tasks, shift = tasks_array(written)
    last = tasks.children[-1].node
    copy = written[last.start + shift : last.end + shift]
    doubled = written[: last.end + shift] + ",\n    " + copy + written[last.end + shift :]
    assert tasks_json(doubled, SPEC) == written


def test_without_services_there_is_no_pick_list() -> None:
    before = read(FIXTURES / "vscode" / "user-inputs" / "after.json")
    spec = SPEC._replace(services=())
    after = tasks_json(before, spec)
    check_tasks_file(after, spec)
    assert_only_ours_changed(before, after)
    inputs = jsonc.parse(after).value["inputs"]
    assert [entry["id"] for entry in inputs] == ["environment"]
    assert "composeswapService" not in tasks_json(None, spec)
    assert tasks_json(after, spec) == after


def test_the_users_lookalikes_are_left_alone() -> None:
    # One has composeswap's label prefix but no marker, one the marker under another label.
    before = read(FIXTURES / "vscode" / "lookalikes" / "before.json")
    tasks, _ = tasks_array(before)
    end = tasks.children[-1].node.end
    after = tasks_json(before, SPEC)
    assert after[:end] == before[:end]
    assert len(jsonc.parse(after).value["tasks"]) == 2 + len(SUBCOMMANDS)


# Refusals


@pytest.mark.parametrize(
    "text, line, column, words",
    [
        (
            '{\n  "tasks": [\n    {"label": "a"}\n    {"label": "b"}\n  ]\n}',
            4,
            5,
            "expected ',' or ']'",
        ),
        ('{"tasks": [1,,2]}', 1, 14, "expected a value"),
        ('{\n  "tasks": "unterminated\n}', 2, 12, "unterminated string"),
        ("{ /* never closed\n", 1, 3, "unterminated comment"),
        ("[]", 1, 1, "the top level of tasks.json is an array, not an object"),
        ('// just a comment\n"tasks"', 2, 1, "is a string, not an object"),
        ('{"tasks": {}}', 1, 11, "'tasks' is an object, not an array"),
        ('{\n  "inputs": "x"\n}', 2, 13, "'inputs' is a string, not an array"),
        ('{"tasks": [], "tasks": []}', 1, 15, "'tasks' is given twice"),
        ('{"version": "0.1.0", "tasks": []}', 1, 13, 'version is "0.1.0"'),
        ('\ufeff{"tasks": [}', 1, 12, "expected a value"),
        ('{\r\n  "tasks": [\r\n    1 2\r\n  ]\r\n}', 3, 7, "expected ',' or ']'"),
        (
            '{"tasks": [\n  {"label": "composeswap: status", "type": "shell", "command": "x"}\n]}',
            2,
            3,
            '"composeswap: status" is one composeswap writes',
        ),
        (
            '{"inputs": [{"id": "composeswapService", "type": "promptString"}]}',
            1,
            13,
            '"composeswapService" is one composeswap writes',
        ),
    ],
)
def test_a_file_composeswap_cannot_edit_is_refused_at_its_position(
    text: str, line: int, column: int, words: str
) -> None:
    with pytest.raises(TasksJsonError) as caught:
        tasks_json(text, SPEC)
    assert (caught.value.line, caught.value.column) == (line, column)
    assert words in caught.value.message
    assert isinstance(caught.value, ValueError) and not isinstance(caught.value, UnprovenEdit)


@PROFILE
@given(data=st.data())
def test_a_damaged_file_is_refused_or_edited_exactly(data: st.DataObject) -> None:
    case = data.draw(st.sampled_from(CASES))
    before = read(case / "after.json")
    at = data.draw(st.integers(0, len(before) - 1))
    damaged = before[:at] + data.draw(st.sampled_from(["", ",", "}", "]", "/", '"', "{", "\n"]))
    damaged += before[at + data.draw(st.integers(0, 2)) :]
    try:
        after = tasks_json(damaged, SPEC)
    except TasksJsonError as error:
        assert not isinstance(error, UnprovenEdit), error
        return
    assert tasks_json(after, SPEC) == after
    check_tasks_file(after)


# The problem matcher


DIAGNOSTICS = [
    (
        "compose.yaml:3:5: error: services.api.imgae: unknown key 'imgae' (did you mean 'image'?)",
        (
            "compose.yaml",
            "3",
            "5",
            "error",
            "services.api.imgae: unknown key 'imgae' (did you mean 'image'?)",
        ),
    ),
    (
        "compose.yaml:4:3: warning: services.web: something to look at",
        ("compose.yaml", "4", "3", "warning", "services.web: something to look at"),
    ),
    (
        "deploy/compose.override.yaml:12: error: no column here",
        ("deploy/compose.override.yaml", "12", None, "error", "no column here"),
    ),
    (
        "/home/me/my project/compose.yaml:7:1: error: a: b: c",
        ("/home/me/my project/compose.yaml", "7", "1", "error", "a: b: c"),
    ),
    (
        "C:\\src\\app\\compose.yaml:3:5: error: services.api: x",
        ("C:\\src\\app\\compose.yaml", "3", "5", "error", "services.api: x"),
    ),
]
NOT_DIAGNOSTICS = [
    "compose.yaml: warning: schema validation skipped (--no-validate); the edit was still proven",
    "compose.yaml: nothing to do",
    "composeswap: internal error: KeyError: 'x' (at plan.py:3 in f). This is a bug",
    "api: switched to local",
]


def generated_matcher() -> dict[str, Any]:
    matcher: dict[str, Any] = generated_tasks(SPEC)[0]["problemMatcher"]
    return matcher


def read_diagnostic(line: str) -> tuple[str | None, ...] | None:
    """What VS Code takes from ``line``: file, line, column, severity, message, by group number."""
    pattern = generated_matcher()["pattern"]
    found = re.match(pattern["regexp"], line)
    keys = ("file", "line", "column", "severity", "message")
    return found and tuple(found.group(pattern[key]) for key in keys)


def test_every_task_carries_the_one_matcher() -> None:
    matchers = {json.dumps(task["problemMatcher"]) for task in generated_tasks(SPEC)}
    assert len(matchers) == 1
    assert generated_matcher()["pattern"]["regexp"] == PROBLEM_PATTERN


@pytest.mark.parametrize("line, groups", DIAGNOSTICS)
def test_the_pattern_reads_a_diagnostic(line: str, groups: tuple[str | None, ...]) -> None:
    assert read_diagnostic(line) == groups


@pytest.mark.parametrize("line", NOT_DIAGNOSTICS)
def test_the_pattern_skips_what_has_no_position(line: str) -> None:
    assert read_diagnostic(line) is None


def test_the_pattern_reads_problems_as_composeswap_renders_them() -> None:
    for severity in Severity:
        problem = Problem(
            "x/compose.yaml", "unknown key 'imgae'", 3, 5, "services.api.imgae", severity
        )
        assert read_diagnostic(problem.render()) == (
            "x/compose.yaml",
            "3",
            "5",
            severity.value,
            "services.api.imgae: unknown key 'imgae'",
        )


@pytest.mark.parametrize(
    "name",
    [
        "imgae-typo.yaml",
        "build-targt-typo.yaml",
        "undefined-network.yaml",
        "depends-on-undefined-service.yaml",
    ],
)
def test_the_pattern_reads_the_clis_own_diagnostics(name: str, tmp_path: Path) -> None:
    shutil.copy(FIXTURES / "invalid" / name, tmp_path / "compose.yaml")
    text, as_json = run(tmp_path, "validate"), run(tmp_path, "validate", "--format", "json")
    assert text.exit_code == as_json.exit_code == 2
    problems = json.loads(as_json.stdout)["problems"]
    lines = text.stderr.splitlines()
    assert len(lines) == len(problems) > 0
    for line, problem in zip(lines, problems):
        message = f"{problem['path']}: {problem['message']}"
        assert read_diagnostic(line) == (
            problem["file"],
            str(problem["line"]),
            str(problem["column"]),
            problem["severity"],
            message,
        )


@pytest.mark.skipif(shutil.which("node") is None, reason="needs node, as VS Code runs JavaScript")
def test_javascript_reads_the_pattern_alike() -> None:
    lines = [line for line, _ in DIAGNOSTICS] + NOT_DIAGNOSTICS
    script = (
        "const [pattern, lines] = JSON.parse(require('fs').readFileSync(0, 'utf8'));"
        "const re = new RegExp(pattern);"
        "console.log(JSON.stringify(lines.map(l => { const m = re.exec(l);"
        " return m ? m.slice(1).map(g => g === undefined ? null : g) : null; })));"
    )
    pattern = generated_matcher()["pattern"]["regexp"]
    done = subprocess.run(
        ["node", "-e", script],
        input=json.dumps([pattern, lines]),
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": os.environ.get("PATH", "")},
    )
    assert done.returncode == 0, done.stderr
    python = [list(m.groups()) if (m := re.match(pattern, line)) else None for line in lines]
    assert json.loads(done.stdout) == python


# The proof


@pytest.mark.parametrize(
    "mistake",
    [
        ('"make"', '"make all"'),  # a user's task changed
        ('"silent"', '"always"'),  # another top-level key changed
        ('"composeswap: status"', '"composeswap: stats"'),  # one of composeswap's not as generated
        ("/* Tests */", "/* Tests */ ]"),  # text that no longer reads
    ],
)
def test_an_edit_that_would_not_read_back_as_planned_is_refused(
    mistake: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import composeswap.vscode as vscode

    plan = vscode._edits

    def mistaken(source: Any, *args: Any) -> list[tuple[int, int, str]]:
        found, wrong = mistake
        at = source.body.find(found)
        edits = plan(source, *args)
        if at < 0:  # composeswap's own text: mistype it in the planned edits
            return [(start, end, text.replace(found, wrong)) for start, end, text in edits]
        return [*edits, (at, at + len(found), wrong)]

    monkeypatch.setattr(vscode, "_edits", mistaken)
    with pytest.raises(UnprovenEdit) as caught:
        tasks_json(read(FIXTURES / "vscode" / "comments" / "before.json"), SPEC)
    assert caught.value.line is None and "refusing to write" in str(caught.value)
