"""The usual command lines, read without click (``composeswap.argv``), read exactly as click reads
them: click's commands in ``cli`` are the one definition of the grammar, and every line here is
derived from them."""

from __future__ import annotations

import itertools
import random
import subprocess
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from composeswap import argv, cli, commands
from composeswap.__main__ import main as entry
from composeswap.commands import Call
from tests.helpers import REMOTE_API, environment, project
from tests.test_properties import PROFILE

Line = tuple[str, ...]


def click_reading(line: Sequence[str]) -> Call | str:
    """The Call click's commands make of ``line``, or what click says instead."""
    seen: list[Call] = []

    def record(call: Call) -> int:
        seen.append(call)
        return 0

    original, commands.run = commands.run, record
    try:
        cli.main.main(list(line), "composeswap", standalone_mode=False)
    except click.ClickException as error:
        return f"{type(error).__name__}: {error.format_message()}"
    except click.exceptions.Exit:
        return "exit"
    except SystemExit:  # the end of every command, recorded above
        pass
    finally:
        commands.run = original
    return seen[0] if seen else "no call"


def _options(command: click.Command) -> Iterator[tuple[str, click.Option]]:
    for param in command.params:
        if isinstance(param, click.Option):
            for spelling in (*param.opts, *param.secondary_opts):
                yield spelling, param


def _kind(option: click.Option) -> argv.Kind:
    if option.is_flag:
        return argv.Kind.FLAG
    return argv.Kind.MULTIPLE if option.multiple else argv.Kind.VALUE


def _choices(option: click.Option) -> tuple[str, ...]:
    kind = option.type
    return tuple(str(c) for c in kind.choices) if isinstance(kind, click.Choice) else ()


def _click_command(name: str) -> click.Command:
    command = cli.main.commands[name]
    assert isinstance(command, click.Command)
    return command


# --- The tables restate click's options, every spelling, kind and choice -------------------


def _table(command: click.Command) -> dict[str, tuple[str, argv.Kind, tuple[str, ...]]]:
    return {
        spelling: (str(option.name), _kind(option), _choices(option))
        for spelling, option in _options(command)
        if spelling not in ("-h", "--help", "--version")  # click answers these itself
    }


def _restated(options: dict[str, argv.Option]) -> dict[str, tuple[str, argv.Kind, tuple[str, ...]]]:
    return {spelling: (o.name, o.kind, o.choices) for spelling, o in options.items()}


def test_the_group_options_are_click_s() -> None:
    assert _restated(argv.PROJECT) == _table(cli.main)


@pytest.mark.parametrize("name", sorted(argv.COMMANDS))
def test_each_command_s_options_are_click_s(name: str) -> None:
    command = _click_command(name)
    assert _restated(dict(argv.COMMANDS[name].options)) == _table(command)
    arguments = [p for p in command.params if isinstance(p, click.Argument)]
    restated = argv.COMMANDS[name]
    assert [(a.name, a.nargs, a.required) for a in arguments] == (
        [(restated.arguments, -1 if restated.many else 1, False)] if restated.arguments else []
    )


# --- Lines derived from the commands: both read them alike ----------------------------------

_VALUES = {
    "contexts": ("api=../api", "api=", "=x", "api", "a=b=c"),
    "images": ("api=reg/api:1", "api=", "api"),
    "target": ("dev", "v1.2_x", "bad stage", ".x"),
    "at": ("compose.yaml:3", "c.yaml:0", "c.yaml", "a:b:2"),
}
_PLAIN = ("x.yaml", "", "a=b", "local", "-", "-x")  # values for options of no special kind
_STRAY = (("--nope",), ("-x",), ("--dif",), ("--",), ("-",), ("-h",), ("--help",), ("--version",))


def _values(option: click.Option) -> tuple[str, ...]:
    return (
        _choices(option) + ("xml", "JSON")
        if _choices(option)
        else _VALUES.get(str(option.name), _PLAIN)
    )


def _pieces(command: click.Command) -> list[Line]:
    """Every option of ``command`` in every way it can be written, with good and bad values,
    arguments, and a few strays."""
    pieces: list[Line] = list(_STRAY)
    for spelling, option in _options(command):
        if spelling in ("-h", "--help", "--version"):
            continue
        if option.is_flag:
            pieces += [(spelling,), (f"{spelling}=1",)]
            continue
        pieces.append((spelling,))  # a value missing at the end
        for value in _values(option):
            pieces += [(spelling, value), (f"{spelling}={value}",)]
            if not spelling.startswith("--"):
                pieces.append((f"{spelling}{value}",))
    return pieces + [("api",), ("web",), ("a=b",), ("",)]  # arguments, taken or not


_BEFORE = [(), ("-f", "g.yaml"), ("--file=g.yaml",), ("-fg.yaml",), ("--env-file", "e")] + [
    piece for piece in _pieces(cli.main) if piece[0] in ("--project-directory", "--format", "-h")
]


def _lines() -> Iterator[Line]:
    rng = random.Random(20261201)  # fixed: the same lines on every run
    for name in sorted(argv.COMMANDS):
        pieces = _pieces(_click_command(name))
        for before, piece in itertools.product(_BEFORE, pieces):
            yield (*before, name, *piece)
        for first, second in itertools.product(pieces, repeat=2):
            yield (name, *first, *second)
        for _ in range(300):
            yield (*rng.choice(_BEFORE), name, *itertools.chain(*rng.sample(pieces, 3)))
    for other in ("hook", "editor", "completion", "loca", "LOCAL", ""):
        yield (other, "api")
    yield ()


def test_every_line_is_read_as_click_reads_it_or_left_to_click() -> None:
    read = refused = 0
    for line in _lines():
        fast, by_click = argv.read(line), click_reading(line)
        if fast is not None:
            read += 1
            assert fast == by_click, line
        if not isinstance(by_click, Call):
            refused += 1
            assert fast is None, (line, by_click)
    # Both kinds were seen in numbers: the check is not vacuous either way.
    assert read > 10000 and refused > 10000, (read, refused)


def _usual(name: str) -> Iterator[Line]:
    """Each option of the command, written every way, with a value click takes."""
    command = argv.COMMANDS[name]
    services = ("api", "web" if command.many else "") if command.arguments else ("", "")
    for spelling, option in _options(_click_command(name)):
        if spelling in ("-h", "--help"):
            continue
        if option.is_flag:
            yield (name, spelling)
            continue
        value = (_choices(option) or _VALUES.get(str(option.name), _PLAIN))[0]
        yield (name, spelling, value)
        yield (name, f"{spelling}={value}")
        yield tuple(filter(None, ("-f", "a.yaml", name, services[0], spelling, value, services[1])))


@pytest.mark.parametrize("name", sorted(argv.COMMANDS))
def test_the_usual_lines_are_read_without_click(name: str) -> None:
    lines = list(_usual(name))
    assert len(lines) > 8
    for line in lines:
        fast = argv.read(line)
        assert fast is not None, line
        assert fast == click_reading(line), line


# --- The whole command, either way: the same output, exit code and file ---------------------


def _through_click(folder: Path, line: Line) -> tuple[int, str, str, bytes]:
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(folder)
        done = CliRunner().invoke(cli.main, list(line), prog_name="composeswap")
    return done.exit_code, done.stdout, done.stderr, (folder / "compose.yaml").read_bytes()


def _through_entry(folder: Path, line: Line) -> tuple[int, str, str, bytes]:
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(folder)
        with CliRunner().isolation() as (stdout, stderr, _):
            code = entry(line, prog_name="composeswap")
    text = (stdout.getvalue().decode(), stderr.getvalue().decode())
    return code, *text, (folder / "compose.yaml").read_bytes()


@pytest.mark.parametrize(
    "line",
    [
        ("local", "--diff"),
        ("local", "api", "--dry-run", "--format", "json"),
        ("local", "--dry-run", "--diff"),  # read without click, refused by click
        ("local", "--check", "--format=github"),
        ("local", "ghost"),
        ("local", "--target", "no such stage"),
        ("local", "--context", "api"),
        ("remote", "--check"),
        ("status", "--format", "json"),
        ("status", "--format", "xml"),
        ("validate",),
        ("validate", "api"),
        ("toggle", "api", "--dry-run"),
        ("toggle", "--at", "compose.yaml:3", "--diff"),
        ("toggle",),  # read without click, refused by the command: said by click
        ("toggle", "--at", "compose.yaml:x"),
        ("toggle", "api", "--at", "compose.yaml:3"),
        ("local",),  # writes: compared by the file's bytes after
        ("toggle", "--at", "compose.yaml:2"),  # writes too
    ],
)
def test_a_command_does_the_same_read_either_way(tmp_path: Path, line: Line) -> None:
    results = []
    for reader, name in ((_through_click, "click"), (_through_entry, "entry")):
        folder = tmp_path / name
        folder.mkdir()
        project(folder, REMOTE_API, "api")
        results.append(reader(folder, line))
    assert results[0] == results[1]
    assert results[0][0] in (0, 1, 2)


def test_a_contradiction_found_while_running_is_said_by_click(tmp_path: Path) -> None:
    project(tmp_path, REMOTE_API, "api")
    line = ("local", "--dry-run", "--check")
    assert argv.read(line) is not None  # the fast reader takes it; the command refuses it
    code, _, stderr, _ = _through_entry(tmp_path, line)
    assert code == 2
    assert "Usage: composeswap local" in stderr
    assert "--dry-run, --diff and --check exclude each other" in stderr


@pytest.mark.parametrize(("line", "click_imported"), [(("validate",), False), (("--help",), True)])
def test_the_usual_lines_never_import_click(
    tmp_path: Path, line: Line, click_imported: bool
) -> None:
    project(tmp_path, REMOTE_API, "api")
    code = (
        "import sys; from composeswap.__main__ import main\n"
        f"code = main({list(line)!r})\n"
        "print(code, 'click' in sys.modules)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert done.stdout.split()[-2:] == ["0", str(click_imported)], done.stderr


# --- Completion: service names of the usual lines, as click's completion gives them ---------

_COMPLETED = ("", "a", "w", "api", "-", "--f", "=")  # the word under the cursor


def _click_completion(env: dict[str, str]) -> str:
    done = CliRunner().invoke(cli.main, [], env=env, prog_name="composeswap")
    assert done.exit_code == 0, done.output
    return done.stdout


def _completion_lines(name: str) -> Iterator[tuple[Line, str]]:
    for line in [(name,), *(usual[usual.index(name) + 1 :] for usual in _usual(name))]:
        for word in _COMPLETED:
            yield ("-f", "compose.yaml", name, *line[1:]), word
            yield (name, *line[1:]), word
    for piece in _pieces(_click_command(name)):
        yield (name, *piece), "w"


@pytest.mark.parametrize("name", sorted(argv.COMMANDS))
def test_completion_answers_as_click_or_leaves_it_to_click(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    (tmp_path / "compose.yaml").write_text(
        "services:\n  api:\n    image: a\n  web:\n    image: w\n  worker:\n    image: w\n"
    )
    (tmp_path / "a.yaml").write_text("services:\n  alpha:\n    image: a\n")
    monkeypatch.chdir(tmp_path)
    answered = 0
    for line, word in _completion_lines(name):
        for shell in ("bash", "zsh", "fish"):
            env = environment(" ".join(("composeswap", *line, word)), shell)
            fast = argv.complete(env)
            if fast is not None:
                answered += 1
                assert f"{fast}\n" == _click_completion(env), (line, word, shell)
    # Every command that completes service names is answered without click on its usual lines.
    assert answered > 200 if name in argv.COMPLETES_SERVICES else answered == 0


# --- Random lines: pieces of every command, in any number and order, and arbitrary text ------

_ANY_PIECE = sorted(
    {piece for name in (*argv.COMMANDS, "hook") for piece in _pieces(_click_command(name))}
)


def _random_lines() -> st.SearchStrategy[list[str]]:
    piece = st.one_of(st.sampled_from(_ANY_PIECE), st.tuples(st.text(max_size=6)))
    return st.builds(
        lambda before, name, after: [*itertools.chain(*before), *name, *itertools.chain(*after)],
        st.lists(st.sampled_from(_BEFORE), max_size=2),
        st.one_of(st.sampled_from([(name,) for name in (*argv.COMMANDS, "hook")]), piece),
        st.lists(piece, max_size=4),
    )


@PROFILE
@given(line=_random_lines())
def test_random_lines_are_read_as_click_reads_them_or_left_to_click(line: list[str]) -> None:
    fast, by_click = argv.read(line), click_reading(line)
    if fast is not None:
        assert fast == by_click
    if not isinstance(by_click, Call):
        assert fast is None


@pytest.mark.parametrize(
    ("fault", "said"),
    [(KeyboardInterrupt, "\nAborted!\n"), (BrokenPipeError, "")],
)
def test_an_interrupt_or_a_closed_pipe_ends_the_usual_line_as_click_ends_others(
    monkeypatch: pytest.MonkeyPatch, fault: type[BaseException], said: str
) -> None:
    # Raised where a command is carried out, outside the report's own guard (while importing
    # the app, say): exit 1, as click's main ends with either.
    def interrupted(call: Call) -> int:
        raise fault

    monkeypatch.setattr(commands, "run", interrupted)
    with CliRunner().isolation() as (stdout, stderr, _):
        code = entry(["validate"], prog_name="composeswap")
    assert (code, stdout.getvalue(), stderr.getvalue().decode()) == (1, b"", said)
