"""A Dockerfile's build stages read by BuildKit's rules, and its path found as Compose does.

Real files: every Dockerfile of the corpus and the demo is read, and its stages match both a
hand-written list (for several) and a plain regex over its FROM lines (for all: no FROM of theirs
is split over lines or sits in a heredoc). Every build target the corpus's compose files name is
found in the Dockerfile that dockerfile_source points to. Made-up files cover BuildKit's rules one
by one; the heredoc cases mirror BuildKit's own parser tests (parser_heredoc_test.go).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from composeswap.dockerfile import (
    DockerfileError,
    DockerfileSource,
    Stages,
    dockerfile_source,
    has_stage,
    read_stages,
)
from tests.helpers import CORPUS, CORPUS_FILES, FIXTURES, ROOT, load_yaml
from tests.test_properties import PROFILE

DOCKERFILES = sorted([*CORPUS.rglob("Dockerfile"), *(FIXTURES / "demo").rglob("Dockerfile")])

# Independent of the reader: one FROM per line, optional flags, optional AS name.
FROM_LINE = re.compile(
    r"^[ \t]*FROM[ \t]+(?:--\S+[ \t]+)*\S+(?:[ \t]+AS[ \t]+(\S+))?[ \t]*$",
    re.IGNORECASE | re.MULTILINE,
)

EXPECTED = {
    "demo/api": Stages(("dev", "prod"), 0),
    "demo/web": Stages(("dev",), 0),
    "nginx-aspnet-mysql/backend": Stages(("base", "builder", "dev-envs", "publisher"), 1),
    "react-rust-postgres/backend": Stages(("base", "development", "dev-envs", "builder"), 1),
    "aspnet-mssql/app/aspnetapp": Stages(("base", "build", "publish", "final"), 0),
    "wasmedge-kafka-mysql/etl": Stages(("buildbase", "build"), 1),  # RUN <<EOT bash
    "flask/app": Stages(("builder", "dev-envs"), 0),  # `FROM builder as dev-envs`
    "nginx-nodejs-redis/web": Stages((), 1),
}


def example(path: Path) -> str:
    """``flask/app`` for a corpus Dockerfile, ``demo/api`` for one of the demo."""
    base = next(base for base in (CORPUS, FIXTURES) if path.is_relative_to(base))
    return path.parent.relative_to(base).as_posix()


def read(path: Path) -> Stages:
    # Bytes decoded as they are: CRLF and a lone CR reach the reader as BuildKit sees them.
    return read_stages(path.read_bytes().decode("utf-8"))


def test_the_corpus_and_demo_have_dockerfiles() -> None:
    assert len(DOCKERFILES) >= 37
    assert set(EXPECTED) <= {example(path) for path in DOCKERFILES}


def dockerfile_id(path: Path) -> str:
    return str(path.relative_to(ROOT))


@pytest.mark.parametrize("path", DOCKERFILES, ids=dockerfile_id)
def test_every_real_dockerfile_reads_as_its_from_lines_say(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    names = [match.group(1) for match in FROM_LINE.finditer(text)]
    stages = read(path)
    assert stages == Stages(tuple(name for name in names if name), names.count(None))
    if example(path) in EXPECTED:
        assert stages == EXPECTED[example(path)]


def corpus_builds() -> list[tuple[Path, str, str, dict[str, Any]]]:
    """(compose file, service, context, build mapping) for every build with a target."""
    builds = []
    for file in CORPUS_FILES:
        for name, service in load_yaml(file.read_bytes())["services"].items():
            build = service.get("build") if isinstance(service, dict) else None
            if isinstance(build, dict) and "target" in build:
                builds.append((file, str(name), str(build.get("context", ".")), build))
    return builds


BUILDS = corpus_builds()


@pytest.mark.parametrize(
    "file, service, context, build",
    BUILDS,
    ids=[f"{file.parent.name}/{service}" for file, service, _, _ in BUILDS],
)
def test_every_corpus_build_target_is_a_stage_of_its_dockerfile(
    file: Path, service: str, context: str, build: dict[str, Any]
) -> None:
    source = dockerfile_source(context, build)
    assert source.path is not None, source
    stages = read(file.parent / source.path)
    assert has_stage(stages, build["target"]), (service, build["target"], stages)
    assert not has_stage(stages, build["target"] + "-missing")


def test_the_corpus_has_build_targets() -> None:
    assert len(BUILDS) >= 19


READS = {
    "lowercase from and as": ("from alpine as Dev\nrun echo\n", Stages(("Dev",), 0)),
    "mixed case": ("From alpine aS dev\nRuN echo\n", Stages(("dev",), 0)),
    "platform flag": (
        "FROM --platform=$BUILDPLATFORM golang:1.22 AS Build\n",
        Stages(("Build",), 0),
    ),
    "quoted platform flag": ('FROM --platform="linux/amd64" a AS b\n', Stages(("b",), 0)),
    "flags end at --": ("FROM -- a AS b\n", Stages(("b",), 0)),
    "unnamed then named": ("FROM a\nFROM b AS two\nFROM c\n", Stages(("two",), 2)),
    "tabs and indentation": ("  \tFROM\ta\tAS\tx\n", Stages(("x",), 0)),
    "continuation splits FROM": ("FROM img \\\n  AS dev\n", Stages(("dev",), 0)),
    "continuation before the name": ("FROM img AS \\\ndev\n", Stages(("dev",), 0)),
    "blank after the escape": ("FROM img \\  \t\n  AS dev\n", Stages(("dev",), 0)),
    "comments and blanks inside a continuation": (
        "FROM img \\\n# a comment\n\n   \n    # indented comment\n  AS dev\n",
        Stages(("dev",), 0),
    ),
    "continuation at the end of the file": ("FROM a AS b\nRUN something \\", Stages(("b",), 0)),
    "escaped escape ends the line": (
        "FROM a AS b\nRUN echo \\\\\nFROM c AS d\n",
        Stages(("b", "d"), 0),
    ),
    "escape on a line of its own": ("FROM a \\\n\\\nAS b\n", Stages(("b",), 0)),
    "backtick escape": (
        "# escape=`\nFROM img `\n  AS dev\nRUN dir c:\\ `\n  && echo\n",
        Stages(("dev",), 0),
    ),
    "backtick escape, blanks and case": (
        "#  ESCAPE = `  \nFROM img `\nAS dev\n",
        Stages(("dev",), 0),
    ),
    "escape after syntax": (
        "# syntax=docker/dockerfile:1\n# escape=`\nFROM a `\nAS b\n",
        Stages(("b",), 0),
    ),
    "check directive": ("# check=skip=all\n# escape=`\nFROM a `\nAS b\n", Stages(("b",), 0)),
    "indented directive": ("   # escape=`\nFROM a `\nAS b\n", Stages(("b",), 0)),
    # Not a directive after a comment or a blank line: the backslash stays the escape, and the
    # backtick is an ordinary character (BuildKit's escape-after-comment test file).
    "escape after a comment": (
        "# hello\n# escape=`\nFROM a AS b\nRUN echo \\\n  x\nFROM c AS d\n",
        Stages(("b", "d"), 0),
    ),
    "escape after a blank line": ("\n# escape=`\nFROM a \\\nAS b\n", Stages(("b",), 0)),
    "escape after an instruction": (
        "FROM a AS b\n# escape=`\nRUN echo \\\n  x\n",
        Stages(("b",), 0),
    ),
    "an unknown key ends directives": (
        "# foo=bar\n# escape=`\nFROM a \\\nAS b\n",
        Stages(("b",), 0),
    ),
    "a repeated directive after the end is a comment": (
        "# escape=\\\nFROM a AS b\n# escape=`\n",
        Stages(("b",), 0),
    ),
    "heredoc with a fake FROM": (
        "FROM a AS one\nRUN <<EOF\nFROM x AS fake\nEOF\nFROM b AS two\n",
        Stages(("one", "two"), 0),
    ),
    "CRLF": (
        "FROM a AS one\r\nRUN echo \\\r\n  hi\r\nRUN <<EOF\r\nFROM x AS y\r\nEOF\r\n"
        "FROM b AS two\r\n",
        Stages(("one", "two"), 0),
    ),
    "BOM": ("\ufeffFROM a AS one\n", Stages(("one",), 0)),
    "BOM before a directive": ("\ufeff# escape=`\nFROM a `\nAS b\n", Stages(("b",), 0)),
    "ARG before FROM": (
        "ARG VERSION=1.22\nARG BASE\nFROM golang:${VERSION} AS build\nFROM $BASE\n",
        Stages(("build",), 1),
    ),
    # BuildKit only warns (DuplicateStageName); --target then builds the last of them.
    "duplicate names": ("FROM a AS x\nFROM b AS X\n", Stages(("x", "X"), 0)),
    "reserved names": (
        "FROM scratch AS scratch\nFROM scratch AS context\n",
        Stages(("scratch", "context"), 0),
    ),
    "name symbols": ("FROM a AS my_stage.v2-x\n", Stages(("my_stage.v2-x",), 0)),
    "empty file": ("", Stages((), 0)),
    "blank lines": ("\n\n  \n", Stages((), 0)),
    "comments only": ("# syntax=docker/dockerfile:1\n# nothing here\n", Stages((), 0)),
    "ARG only": ("ARG A=1\n", Stages((), 0)),
    "JSON form RUN": (
        'FROM a AS b\nRUN ["sh", "-c", "echo <<EOF"]\nFROM c AS d\n',
        Stages(("b", "d"), 0),
    ),
    "shell form starting with [": (
        "FROM a AS b\nRUN [ -f x ] <<EOF\nFROM x AS y\nEOF\n",
        Stages(("b",), 0),
    ),
    "ONBUILD heredoc": ("FROM a AS b\nONBUILD RUN <<EOF\nFROM x AS y\nEOF\n", Stages(("b",), 0)),
    "every instruction": (
        "FROM a AS b\nADD x y\nARG z\nCMD c\nCOPY x y\nENTRYPOINT e\nENV a=b\nEXPOSE 80\n"
        'HEALTHCHECK NONE\nLABEL a=b\nMAINTAINER m\nONBUILD RUN x\nRUN x\nSHELL ["sh"]\n'
        "STOPSIGNAL 9\nUSER u\nVOLUME /v\nWORKDIR /w\n",
        Stages(("b",), 0),
    ),
}


@pytest.mark.parametrize("text, expected", READS.values(), ids=READS.keys())
def test_reads_stages_by_buildkit_rules(text: str, expected: Stages) -> None:
    assert read_stages(text) == expected


# Heredoc openings from BuildKit's parser tests, each with the terminator lines that close it.
HEREDOCS = {
    "RUN <<EOF": "EOF",
    "RUN <<-EOF": "\t\tEOF",
    "RUN <<'EOF'": "EOF",
    'RUN <<"EOF"': "EOF",
    'RUN <<EO"F"': "EOF",
    "RUN << EOF": "EOF",
    "RUN <<  EOF  > foo": "EOF",
    "RUN << -EOF": "-EOF",
    "RUN 3<<EOF": "EOF",
    "RUN <<EOF <<EOF2": "EOF\nEOF2",
    "COPY <<FILE1 <<FILE2 /dest": "FILE1\nFILE2",
    "COPY <<X <<Y /dest": "Y\nX\nX\nY",  # X's body is "Y", Y's is "X"
    "COPY <<file.txt /dest": "file.txt",
    "RUN <<eo'f'": "eof",
    "RUN <<eo\\'f": "eo'f",
    "RUN <<'e'o\\'f": "eo'f",
    "RUN <<'one two'": "one two",
    "RUN <<$EOF": "$EOF",
    "RUN <<COMPLEX python3": "COMPLEX",
    "RUN --mount=type=cache,target=/foo <<MOUNT": "MOUNT",
    "RUN python3 <<EOF > /out": "EOF",
    "run <<EOF": "EOF",
    "ADD <<EOF /x": "EOF",
    "ONBUILD RUN <<EOF": "EOF",
    "RUN <<EOF \\\n  bash": "EOF",
}


@pytest.mark.parametrize("opening, terminators", HEREDOCS.items(), ids=HEREDOCS.keys())
def test_heredoc_bodies_are_skipped(opening: str, terminators: str) -> None:
    text = f"FROM a AS one\n{opening}\nFROM fake AS inside\n{terminators}\nFROM b AS two\n"
    assert read_stages(text) == Stages(("one", "two"), 0)


NOT_HEREDOCS = [
    'RUN "<<EOF"',
    "RUN '<<EOF'",
    'RUN ["<<EOF"]',
    "RUN [\"<<'EOF'\"]",
    "USER <<EOF",  # only RUN, COPY and ADD take heredocs
    "ENV A=<<EOF",
    "RUN a<<EOF",
    "RUN <<<EOF",
    "RUN <<",
    "RUN <<-",
    "RUN <<- EOF",  # the blank ends the word "<<-", and "EOF" alone opens nothing
    "RUN echo \\<<EOF",
    "RUN echo '<<EOF",  # an unterminated quote: BuildKit looks for no heredoc at all
]


@pytest.mark.parametrize("line", NOT_HEREDOCS)
def test_lines_that_open_no_heredoc(line: str) -> None:
    assert read_stages(f"FROM a AS one\n{line}\nFROM b AS two\n") == Stages(("one", "two"), 0)


def test_heredoc_terminator_must_match_exactly() -> None:
    # Trailing blanks, or leading tabs without <<-, leave the heredoc open.
    text = "FROM a AS one\nRUN <<EOF\nEOF \n\tEOF\nFROM x AS y\nEOF\nFROM b AS two\n"
    assert read_stages(text) == Stages(("one", "two"), 0)


ERRORS = {
    "unknown instruction": ("FROM a AS b\nFORM c AS dev\n", 2, "unknown instruction: FORM"),
    "instruction before FROM": (
        "# comment\nRUN x\nFROM a\n",
        2,
        "no build stage in current context",
    ),
    "FROM without image": ("FROM\n", 1, "FROM requires either one or three arguments"),
    "FROM without name": ("FROM a AS\n", 1, "FROM requires either one or three arguments"),
    "FROM with three words": ("FROM a b c\n", 1, "FROM requires either one or three arguments"),
    "FROM with four words": ("FROM a AS b c\n", 1, "FROM requires either one or three arguments"),
    "name starting with a digit": ("FROM a AS 1st\n", 1, 'invalid name for build stage: "1st"'),
    "name with a variable": ("ARG N=dev\nFROM a AS $N\n", 2, 'invalid name for build stage: "$N"'),
    "name with a symbol": ("FROM a AS b/c\n", 1, "invalid name for build stage"),
    "unknown FROM flag": ("FROM --platfrom=x a\n", 1, "unknown flag: --platfrom"),
    "flag without value": ("FROM --platform a\n", 1, "missing a value on flag: --platform"),
    "repeated flag": (
        "FROM --platform=a --platform=b c\n",
        1,
        "duplicate flag specified: --platform",
    ),
    "error at the start of a continuation": (
        "FROM a AS b\n\nFROM c \\\n  AS d e\n",
        3,
        "FROM requires either one or three arguments",
    ),
    "unterminated heredoc": ("FROM a AS b\nRUN <<EOF\nFROM c AS d\n", 2, "unterminated heredoc"),
    "invalid escape": (
        "# escape=x\nFROM a\n",
        1,
        "invalid escape token 'x' does not match ` or \\",
    ),
    "repeated directive": (
        "# escape=`\n# escape=`\nFROM a\n",
        2,
        "only one escape parser directive can be used",
    ),
    "repeated syntax": (
        "# syntax=a\n# SYNTAX=b\nFROM a\n",
        2,
        "only one syntax parser directive can be used",
    ),
    "JSON array of non-strings": (
        "FROM a AS b\nRUN [1, 2]\n",
        2,
        "arrays must be comprised of strings only",
    ),
    # A lone CR ends no line for BuildKit: this is one FROM with too many words.
    "lone CR": ("FROM a AS one\rFROM b AS two\n", 1, "FROM requires either one or three arguments"),
    "BOM on a later line": ("FROM a\n\ufeffFROM b\n", 2, "unknown instruction: \ufeffFROM"),
    "line over 64 KiB": (
        "FROM a AS b\nRUN echo " + "x" * 65536 + "\n",
        2,
        "line longer than BuildKit's limit of 65535 bytes",
    ),
}


@pytest.mark.parametrize("text, line, message", ERRORS.values(), ids=ERRORS.keys())
def test_refuses_what_buildkit_refuses(text: str, line: int, message: str) -> None:
    with pytest.raises(DockerfileError) as raised:
        read_stages(text)
    assert raised.value.line == line
    assert message in raised.value.message
    assert str(raised.value).startswith(f"line {line}: ")
    assert isinstance(raised.value, ValueError)


def test_a_long_line_of_multibyte_characters_counts_bytes() -> None:
    assert read_stages("FROM a AS b\nRUN echo " + "é" * 32000 + "\n") == Stages(("b",), 0)
    with pytest.raises(DockerfileError, match="65535 bytes"):
        read_stages("FROM a AS b\nRUN echo " + "é" * 33000 + "\n")


def test_has_stage_compares_names_as_buildkit_does() -> None:
    read = read_stages("FROM a\nFROM b AS Build\nFROM c AS dev-envs\nFROM d AS x\nFROM e AS X\n")
    assert has_stage(read, "build")
    assert has_stage(read, "BUILD")
    assert has_stage(read, "Build")
    assert has_stage(read, "dev-envs")
    assert has_stage(read, "x")
    assert not has_stage(read, "dev")
    assert not has_stage(read, "")  # no --target: BuildKit builds the last stage
    # --target is a name, never an index (BuildKit's resolveTarget looks names up only).
    assert not has_stage(read, "0")
    assert not has_stage(read, "1")
    assert not has_stage(Stages((), 0), "dev")


def test_stage_names_lowercase_as_go_does() -> None:
    # Go's ToLower makes a plain "i" of a dotted capital I (Python: "i" and a combining dot),
    # and a plain "k" of the Kelvin sign, so BuildKit accepts both in stage names.
    read = read_stages("FROM a AS \u0130mage\nFROM b AS \u212ait\n")
    assert read == Stages(("\u0130mage", "\u212ait"), 0)
    assert has_stage(read, "image")
    assert has_stage(read, "KIT")


def test_stage_names_keep_their_written_case() -> None:
    assert read_stages("FROM a AS DevEnv\n").names == ("DevEnv",)


SOURCES = {
    "default": (".", {}, DockerfileSource(path=os.path.join(".", "Dockerfile"))),
    "empty dockerfile": (
        "api",
        {"dockerfile": ""},
        DockerfileSource(path=os.path.join("api", "Dockerfile")),
    ),
    "relative to the context": (
        "./api",
        {"dockerfile": "docker/Dockerfile.dev"},
        DockerfileSource(path=os.path.join("./api", "docker/Dockerfile.dev")),
    ),
    "outside the context": (
        "api",
        {"dockerfile": "../Dockerfile"},
        DockerfileSource(path=os.path.join("api", "../Dockerfile")),
    ),
    "context key ignored": (
        "web",
        {"context": "api", "target": "dev"},
        DockerfileSource(path=os.path.join("web", "Dockerfile")),
    ),
    "inline": (
        "api",
        {"dockerfile_inline": "FROM a AS dev\n"},
        DockerfileSource(inline="FROM a AS dev\n"),
    ),
    "inline on a URL context": (
        "https://example.com/r.git",
        {"dockerfile_inline": "FROM a\n"},
        DockerfileSource(inline="FROM a\n"),
    ),
}


@pytest.mark.parametrize("context, build, expected", SOURCES.values(), ids=SOURCES.keys())
def test_dockerfile_source(context: str, build: dict[str, Any], expected: DockerfileSource) -> None:
    assert dockerfile_source(context, build) == expected


def test_an_absolute_dockerfile_stays_absolute() -> None:
    absolute = os.path.abspath(os.path.join("elsewhere", "Dockerfile"))
    assert dockerfile_source("api", {"dockerfile": absolute}) == DockerfileSource(path=absolute)


UNKNOWN = {
    "https": ("https://github.com/acme/api.git#main", {}, "not a local folder"),
    "http": ("http://example.com/context.tar.gz", {}, "not a local folder"),
    "git": ("git://example.com/api.git", {}, "not a local folder"),
    "ssh": ("ssh://git@example.com/api.git", {}, "not a local folder"),
    "git@": ("git@github.com:acme/api.git", {}, "not a local folder"),
    "github.com": ("github.com/acme/api", {}, "not a local folder"),
    "docker-image": ("docker-image://alpine", {}, "not a local folder"),
    "service": ("service:base", {}, "not a local folder"),
    "variable in context": ("${API_DIR}", {}, "variables"),
    "plain variable in context": ("$API_DIR/src", {}, "variables"),
    "variable in dockerfile": ("api", {"dockerfile": "Dockerfile.${ENV}"}, "variables"),
    "both": (
        "api",
        {"dockerfile": "Dockerfile", "dockerfile_inline": "FROM a"},
        "both dockerfile and dockerfile_inline",
    ),
    "dockerfile not a string": ("api", {"dockerfile": 3}, "not a string"),
    "inline not a string": ("api", {"dockerfile_inline": ["FROM a"]}, "not a string"),
}


@pytest.mark.parametrize("context, build, reason", UNKNOWN.values(), ids=UNKNOWN.keys())
def test_dockerfile_source_unknown(context: str, build: dict[str, Any], reason: str) -> None:
    source = dockerfile_source(context, build)
    assert source.path is None and source.inline is None
    assert reason in source.unknown


# Lines that exercise each rule, for generated Dockerfiles.
LINES = [
    "FROM a AS b",
    "from a as B",
    "FROM --platform=$P a AS c",
    "FROM a",
    "FROM a \\",
    "FROM a `",
    "  AS dev",
    "ARG X=1",
    "RUN x \\",
    "RUN x `",
    "\\",
    "`",
    "  ",
    "",
    "# c",
    "  # c",
    "# escape=`",
    "# escape=\\",
    "# syntax=x",
    "RUN <<EOF",
    "RUN <<-EOF",
    "COPY <<A <<B /x",
    "EOF",
    "\tEOF",
    "A",
    "B",
    "RUN << EOF",
    'RUN ["<<EOF"]',
    "RUN [1]",
    "RUN '<<EOF'",
    'RUN "<<EOF',
    "ONBUILD RUN <<EOF",
    "FROM a AS 1",
    "FROM a b",
    "FORM a",
    "\ufeffFROM a",
    "FROM a AS b\rFROM c",
]


@settings(PROFILE)
@given(lines=st.lists(st.sampled_from(LINES) | st.text(max_size=12), max_size=12))
def test_any_text_reads_or_is_refused_and_line_endings_do_not_matter(lines: list[str]) -> None:
    text = "\n".join(lines)
    try:
        expected: Stages | str = read_stages(text)
    except DockerfileError as error:
        expected = str(error)
    bom = "" if text.startswith("\ufeff") else "\ufeff"  # only one is ignored
    for variant in (text.replace("\n", "\r\n"), bom + text, text + "\n"):
        try:
            assert read_stages(variant) == expected
        except DockerfileError as error:
            assert str(error) == expected


def test_not_imported_until_a_check_runs() -> None:
    code = (
        "import sys, composeswap.cli, composeswap.app; "
        "sys.exit('composeswap.dockerfile' in sys.modules)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
