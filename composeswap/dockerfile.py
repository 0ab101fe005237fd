"""The build stages of a Dockerfile, read by BuildKit's rules, and where Compose finds the file.

BuildKit builds ``build.target`` only if some ``FROM ... AS <target>`` names it, so a missing stage
can be caught before Docker is even started. Only what decides the list of stages is read, by
BuildKit's own rules (its ``frontend/dockerfile/parser`` and ``instructions`` packages):

- instructions are case-insensitive; ``FROM [--platform=...] image [AS name]``, with ``AS`` in any
  case and the name lowercased and checked (``[a-z][a-z0-9-_.]*``);
- a line ending in the escape character (``\\``, or the backtick that an ``escape`` directive may
  choose) continues on the next; comment lines and blank lines inside a continuation are skipped;
- parser directives (``# escape=``, ``# syntax=``, ``# check=``) count only at the very top,
  before any instruction, comment or blank line;
- the body of a heredoc (``RUN <<EOF`` ... ``EOF``, in RUN, COPY and ADD) is skipped, so a line in
  it that looks like ``FROM x AS y`` is no stage;
- lines end at ``\\n`` only (a CRLF's ``\\r`` is dropped) and a leading BOM is ignored.

What makes BuildKit refuse the file while reading that structure is refused here too, with its
line: a bad or repeated directive, an unterminated heredoc, an unknown instruction, an instruction
other than ARG before the first FROM, a malformed FROM. Mistakes in the arguments of other
instructions are left to the build. The rules are those of current BuildKit, the frontend Docker
uses by default; a ``# syntax=`` directive can pin an older frontend, which differs only in corner
cases (``<< EOF``, with a blank, is a heredoc only since Dockerfile frontend 1.16).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from typing import Any, NamedTuple

from composeswap.project import is_remote_context, local_path


class Stages(NamedTuple):
    """The build stages of a Dockerfile, in file order."""

    names: tuple[str, ...]  # the names given with AS, as written (BuildKit lowercases them)
    unnamed: int  # stages without AS, reachable by index only, never as a --target


class DockerfileError(ValueError):
    """A Dockerfile that BuildKit would refuse to read; ``line`` is 1-based."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(f"line {line}: {message}")
        self.line = line
        self.message = message


def read_stages(text: str) -> Stages:
    """The stages of the Dockerfile ``text``, or DockerfileError where BuildKit refuses it.

    Give the text as the file's bytes decode, without newline translation (``newline=""``), so
    that a lone ``\\r`` does not end a line, as it does not for BuildKit. A file without any FROM
    (empty, say) has no stage; BuildKit refuses to build it, and no target is found in it.
    """
    names: list[str] = []
    unnamed = 0
    for instruction in _instructions(text):
        keyword = instruction.word.lower()
        if keyword not in _INSTRUCTIONS:
            raise DockerfileError(instruction.line, f"unknown instruction: {instruction.word}")
        if keyword == "from":
            name = _stage_name(instruction)
            if name is None:
                unnamed += 1
            else:
                names.append(name)
        elif keyword != "arg" and not names and not unnamed:
            # ARGs before the first FROM are global, for image names; anything else needs a stage.
            raise DockerfileError(instruction.line, "no build stage in current context")
    return Stages(tuple(names), unnamed)


def has_stage(stages: Stages, target: str) -> bool:
    """Whether ``--target target`` finds a stage: by name, case-insensitively, never by index."""
    wanted = _lower(target)
    return any(_lower(name) == wanted for name in stages.names)


class DockerfileSource(NamedTuple):
    """Where the Dockerfile of a build is: a file, an inline text, or not known here."""

    path: str | None = None  # the file to read, relative to the same folder as the context
    inline: str | None = None  # the text of ``dockerfile_inline``, as written in the compose file
    unknown: str = ""  # when neither is set: why the Dockerfile cannot be read from here


def dockerfile_source(context: str, build: Mapping[str, Any]) -> DockerfileSource:
    """The Dockerfile Docker Compose would build ``build`` from, in the build context ``context``.

    ``context`` is the build context as the caller resolved it (the written ``build.context``, or
    the one composeswap is about to write), relative to the compose file's folder or absolute;
    ``build`` gives ``dockerfile`` and ``dockerfile_inline`` (its own ``context`` is not read).
    As Compose does: a relative ``dockerfile`` is joined to the context, an absolute one stays, the
    default is ``Dockerfile``. A context that is a URL, or a value that still holds a ``$``
    variable (Compose interpolates it first), gives ``unknown`` instead: nothing to check locally.
    The file is not opened here: the caller reads it, and says so if it is missing.
    """
    inline, dockerfile = build.get("dockerfile_inline"), build.get("dockerfile")
    if inline is not None and dockerfile is not None:
        return DockerfileSource(
            unknown="both dockerfile and dockerfile_inline are set, which Compose refuses"
        )
    if inline is not None:
        if not isinstance(inline, str):
            return DockerfileSource(unknown="dockerfile_inline is not a string")
        return DockerfileSource(inline=inline)
    if is_remote_context(context):
        return DockerfileSource(unknown=f"the build context {context} is not a local folder")
    if dockerfile is None or dockerfile == "":
        dockerfile = "Dockerfile"
    if not isinstance(dockerfile, str):
        return DockerfileSource(unknown="build.dockerfile is not a string")
    if "$" in context or "$" in dockerfile:
        return DockerfileSource(unknown="the path uses variables, which Compose replaces first")
    return DockerfileSource(path=os.path.join(context, dockerfile))  # keeps an absolute one


class StageCheck(NamedTuple):
    """What a build's Dockerfile says about its target stage."""

    dockerfile: str | None  # as the build names it, "its dockerfile_inline", or None: unknown
    missing: str | None  # why the target stage is not there; None when it is, or is not checked


def check_stage(folder: str, build: Mapping[str, Any], target: str) -> StageCheck:
    """Whether the Dockerfile ``build`` uses (its context relative to ``folder``) has the
    ``target`` stage, read as BuildKit reads it. A Dockerfile that cannot be read from here (a
    URL context, variables) is not checked: Compose reads it when it builds."""
    source = dockerfile_source(str(build.get("context", ".")), build)
    if source.unknown:
        return StageCheck(None, None)
    if source.inline is not None:
        name, text = "its dockerfile_inline", source.inline
    else:
        name = str(source.path)
        try:
            with open(str(local_path(folder, name)), encoding="utf-8", newline="") as file:
                text = file.read()
        except OSError:
            return StageCheck(name, f"no Dockerfile at {name} to build target '{target}' from")
        except UnicodeDecodeError:
            return StageCheck(name, f"{name} is not UTF-8 text")
    try:
        stages = read_stages(text)
    except DockerfileError as error:
        return StageCheck(name, f"{name}: {error}")
    if has_stage(stages, target):
        return StageCheck(name, None)
    listed = ", ".join(stages.names) or "none named"
    return StageCheck(name, f"{name} has no stage '{target}' (stages: {listed})")


_INSTRUCTIONS = frozenset(
    (
        "add",
        "arg",
        "cmd",
        "copy",
        "entrypoint",
        "env",
        "expose",
        "from",
        "healthcheck",
        "label",
        "maintainer",
        "onbuild",
        "run",
        "shell",
        "stopsignal",
        "user",
        "volume",
        "workdir",
    )
)
# Instructions whose arguments may open heredocs; ONBUILD may wrap one of them.
_HEREDOC_INSTRUCTIONS = frozenset(("add", "copy", "run"))
# Instructions whose arguments may be a JSON array of strings.
_JSON_INSTRUCTIONS = frozenset(("add", "cmd", "copy", "entrypoint", "run", "shell", "volume"))

# Go's unicode.IsSpace, which BuildKit trims with; str.isspace() also takes \x1c-\x1f.
_SPACE = (
    "\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008"
    "\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
_WHITESPACE = re.compile(r"[\t\v\f\r ]+")  # BuildKit's reWhitespace, which splits arguments
_DIRECTIVE = re.compile(r"([a-zA-Z][a-zA-Z0-9]*)[\t\n\f\r ]*=[\t\n\f\r ]*(.+?)[\t\n\f\r ]*\Z")
_DIRECTIVES = frozenset(("syntax", "escape", "check"))
# A trailing escape character continues the line, unless escaped itself (``\\``).
_CONTINUATION = {
    escape: re.compile(rf"([^{e}]){e}[ \t]*\Z|\A{e}[ \t]*\Z")
    for escape, e in (("\\", r"\\"), ("`", "`"))
}
_HEREDOC = re.compile(r"([0-9]*)<<(-?)[\t\n\f\r ]*([^<]*)")
_STAGE_NAME = re.compile(r"[a-z][a-z0-9\-_.]*")
# Go's bufio.Scanner, which BuildKit reads lines with, refuses a longer one.
_MAX_LINE_BYTES = 65535


class _Instruction(NamedTuple):
    line: int  # where it starts, 1-based
    word: str  # the instruction as written: FROM, from, ...
    flags: tuple[str, ...]  # the leading --flag[=value] arguments
    args: str  # the rest, stripped


class _Lines:
    """The file's lines as BuildKit's scanner yields them, with the number of the last one read."""

    def __init__(self, text: str) -> None:
        self._lines = text.removeprefix("\ufeff").split("\n")
        if self._lines[-1] == "":  # the newline ending the last line starts no other
            self._lines.pop()
        self.number = 0

    def next(self) -> str | None:
        """The next line without its line ending (trailing ``\\r`` too), None at the end."""
        if self.number == len(self._lines):
            return None
        line = self._lines[self.number]
        self.number += 1
        if len(line) > _MAX_LINE_BYTES // 4 and len(line.encode("utf-8")) > _MAX_LINE_BYTES:
            raise DockerfileError(
                self.number, f"line longer than BuildKit's limit of {_MAX_LINE_BYTES} bytes"
            )
        return line.rstrip("\r")


class _Directives:
    """The parser directives at the top of the file, looked for until the first other line."""

    def __init__(self) -> None:
        self.escape = "\\"
        self._seen: set[str] = set()
        self._done = False

    def read(self, line: str, number: int) -> None:
        """Take ``line`` (left-stripped) as a directive, if it is one and they may still come."""
        if self._done:
            return
        match = _DIRECTIVE.match(line[1:].lstrip(_SPACE)) if line.startswith("#") else None
        key = match.group(1).lower() if match else ""
        if match is None or key not in _DIRECTIVES:
            self._done = True  # a plain comment, a blank line or an instruction ends them
            return
        if key in self._seen:
            raise DockerfileError(number, f"only one {key} parser directive can be used")
        self._seen.add(key)
        if key == "escape":
            value = match.group(2)
            if value not in ("\\", "`"):
                raise DockerfileError(
                    number, f"invalid escape token '{value}' does not match ` or \\"
                )
            self.escape = value


def _instructions(text: str) -> Iterator[_Instruction]:
    """Each instruction of the file, continuations joined, comments and heredoc bodies skipped."""
    lines = _Lines(text)
    directives = _Directives()
    while (first := lines.next()) is not None:
        start = lines.number
        joined = _joined_line(first, lines, directives)
        if joined is None:
            continue
        instruction = _split(start, joined, directives.escape)
        for name, chomp in _heredocs(instruction, joined, directives.escape):
            _skip_heredoc(lines, name, chomp, start)
        yield instruction


def _joined_line(first: str, lines: _Lines, directives: _Directives) -> str | None:
    """The instruction starting at ``first`` with its continuation lines, None if there is none."""
    line = first.lstrip(_SPACE)
    directives.read(line, lines.number)
    if line.startswith("#"):
        return None
    line, more = _cut_continuation(line, directives.escape)
    if not more and not line:
        return None
    parts = [line]
    while more and (following := lines.next()) is not None:
        stripped = following.lstrip(_SPACE)
        if not stripped or stripped.startswith("#"):
            continue  # blank and comment lines do not end a continuation
        part, more = _cut_continuation(following, directives.escape)
        parts.append(part)  # leading whitespace kept, as BuildKit does
    return "".join(parts)


def _cut_continuation(line: str, escape: str) -> tuple[str, bool]:
    """``line`` without a trailing escape character, and whether it had one."""
    match = _CONTINUATION[escape].search(line)
    if match is None:
        return line, False
    return line[: match.start()] + (match.group(1) or ""), True


def _split(number: int, line: str, escape: str) -> _Instruction:
    """The instruction word, leading flags and arguments of a joined line (splitCommand)."""
    parts = _WHITESPACE.split(line.strip(_SPACE), maxsplit=1)
    if len(parts) == 1:
        return _Instruction(number, parts[0], (), "")
    args, flags = _builder_flags(parts[1], escape)
    return _Instruction(number, parts[0], flags, args.strip(_SPACE))


def _builder_flags(line: str, escape: str) -> tuple[str, tuple[str, ...]]:
    """The leading ``--flag`` words of ``line`` (quotes and escapes removed), and the rest."""
    flags: list[str] = []
    pos = 0
    while True:
        while pos < len(line) and line[pos] in _SPACE:
            pos += 1
        if not line.startswith("--", pos):
            return line[pos:], tuple(flags)
        flag, pos = _flag_word(line, pos, escape)
        if flag == "--":  # ends the flags, as in a command line
            return line[pos:], tuple(flags)
        flags.append(flag)


def _flag_word(line: str, pos: int, escape: str) -> tuple[str, int]:
    """The flag word starting at ``pos`` and where it ends (extractBuilderFlags)."""
    word: list[str] = []
    quote = ""
    while pos < len(line):
        char = line[pos]
        if not quote and char in _SPACE:
            break
        pos += 1
        if char == quote:
            quote = ""
        elif not quote and char in "'\"":
            quote = char
        elif char == escape:
            if pos < len(line):
                word.append(line[pos])
                pos += 1
            else:
                quote = ""  # a final escape character is dropped, and closes a quote
        else:
            word.append(char)
    return "".join(word), pos


def _stage_name(instruction: _Instruction) -> str | None:
    """The name a FROM gives its stage, None without AS (BuildKit's parseFrom)."""
    args = _WHITESPACE.split(instruction.args) if instruction.args else []
    name = None
    if len(args) == 3 and args[1].casefold() == "as":  # Go's EqualFold
        name = args[2]
        if not _STAGE_NAME.fullmatch(_lower(name)):
            raise DockerfileError(
                instruction.line,
                f'invalid name for build stage: "{name}", name '
                "can't start with a number or contain symbols",
            )
    elif len(args) != 1:
        raise DockerfileError(instruction.line, "FROM requires either one or three arguments")
    _check_from_flags(instruction)
    return name


def _check_from_flags(instruction: _Instruction) -> None:
    """FROM takes one flag, ``--platform=...``, once."""
    seen = False
    for flag in instruction.flags:
        name, has_value, _ = flag.partition("=")
        if name != "--platform":
            raise DockerfileError(instruction.line, f"unknown flag: {name}")
        if seen:
            raise DockerfileError(instruction.line, f"duplicate flag specified: {name}")
        if not has_value:
            raise DockerfileError(instruction.line, f"missing a value on flag: {name}")
        seen = True


def _lower(name: str) -> str:
    """Go's strings.ToLower as far as stage names go: Python's lower() alone makes two
    characters of a dotted capital I, which Go lowers to a plain i."""
    return name.replace("\u0130", "i").lower()


def _heredocs(instruction: _Instruction, joined: str, escape: str) -> list[tuple[str, bool]]:
    """The heredocs an instruction opens, in order: their terminator and whether ``<<-``."""
    keyword, args = instruction.word.lower(), instruction.args
    if keyword == "onbuild" and args:
        inner = _split(instruction.line, args, escape)
        keyword, args = inner.word.lower(), inner.args
    json_form = keyword in _JSON_INSTRUCTIONS and _is_json_array(args, instruction.line)
    if keyword not in _HEREDOC_INSTRUCTIONS or json_form or "<<" not in joined:
        return []
    heredocs = []
    for word in _shell_words(joined, raw=True) or ():
        match = _HEREDOC.fullmatch(word)
        names = _shell_words(match.group(3), raw=False) if match and match.group(3) else None
        if match and names is not None and len(names) == 1:
            heredocs.append((names[0], match.group(2) == "-"))
    return heredocs


def _skip_heredoc(lines: _Lines, name: str, chomp: bool, start: int) -> None:
    """Read past the body of a heredoc, up to the line that is its terminator."""
    while (line := lines.next()) is not None:
        if (line.lstrip("\t") if chomp else line) == name:
            return
    raise DockerfileError(start, "unterminated heredoc")


def _is_json_array(args: str, line: int) -> bool:
    """Whether the arguments are in JSON form (``RUN ["sh", "-c", "..."]``), which opens no
    heredoc; a JSON array of anything but strings is an error, and BuildKit stops there."""
    if not args.startswith("["):
        return False
    import json  # only for the rare line that needs it

    try:
        value = json.loads(args)
    except ValueError:
        return False  # not JSON: the shell form, which may start with [
    if not isinstance(value, list):
        return False
    if not all(isinstance(item, str) for item in value):
        raise DockerfileError(
            line, "when using JSON array syntax, arrays must be comprised of strings only"
        )
    return True


def _shell_words(text: str, raw: bool) -> list[str] | None:
    """The words of ``text`` as BuildKit's shell lexer splits them to find heredocs, with quotes
    and escapes kept (``raw``) or removed; None for an unterminated quote.

    ``$`` is an ordinary character here: with no build arguments, BuildKit keeps variables as
    written, as this does.
    """
    words: list[str] = []
    word = ""
    pos = 0
    while pos < len(text):
        char = text[pos]
        if char in "'\"":
            quoted = _quoted(text, pos, raw)
            if quoted is None:
                return None
            piece, pos = quoted
            word += piece
        elif text.startswith("<<", pos):
            # BuildKit keeps the blanks after << in the word: ``<< EOF`` is one heredoc word.
            end = pos + 2
            while end < len(text) and text[end] in "\t\r ":
                end += 1
            word += text[pos:end]
            pos = end
        elif char == "\\":
            word += text[pos : pos + 2] if raw else text[pos + 1 : pos + 2]
            pos += 2
        elif char in _SPACE:
            if word:
                words.append(word)
            word = ""
            pos += 1
        else:
            word += char
            pos += 1
    if word:
        words.append(word)
    return words


def _quoted(text: str, start: int, raw: bool) -> tuple[str, int] | None:
    """The quoted string at ``start`` (quotes kept if ``raw``) and where it ends."""
    if text[start] == "'":  # no escapes inside single quotes
        end = text.find("'", start + 1)
        if end < 0:
            return None
        return (text[start : end + 1] if raw else text[start + 1 : end]), end + 1
    out = '"' if raw else ""
    pos = start + 1
    while pos < len(text):
        char = text[pos]
        pos += 1
        if char == '"':
            return (out + char if raw else out), pos
        if char == "\\":
            out += char if raw else ""
            if pos == len(text):
                break
            if text[pos] in '"$\\':
                char = text[pos]
                pos += 1
        out += char
    return None
