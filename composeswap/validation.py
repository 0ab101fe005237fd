"""Whether a compose file is one Docker Compose accepts, with every problem at its line and column.

Schema checks come from the vendored Compose schema and composeswap's own settings schema; the
few rules no schema states (a service needs an image or a build; a template's placeholders; a
%YAML directive) are checked here, names the file must define in ``composeswap.references``.
jsonschema is only loaded through ``composeswap.schema``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from typing import Any

from composeswap import config, effective, references
from composeswap.errors import ComposeswapError, Problem, fail
from composeswap.model import Document, JsonPath
from composeswap.steps import Form


def problems(document: Document, files: bool = False) -> list[Problem]:
    """Every problem in the file, in file order; empty when Compose would accept it.

    With ``files``, also the files Compose reads as it loads the project (included files,
    env_file, label_file, extends.file) must exist: ``validate`` checks the project, a switch
    only the text it edits.
    """
    from composeswap import schema

    found: list[Problem] = []
    if not schema.is_valid_compose(document.data):
        found += [_problem(document, v.path, v.message, v.points_at_key)
                  for v in schema.compose_violations(document.data)]
    if not schema.is_valid_config(document.data):
        found += [_problem(document, v.path, v.message, v.points_at_key)
                  for v in schema.config_violations(document.data)]
    found += [_problem(document, path, message, at_key)
              for path, message, at_key in _rules(document.data)]
    found += [_problem(document, path, message, True) for path, message in _forms(document)]
    found += _directive_problems(document)
    if files:
        folder = os.path.dirname(document.file)
        found += [_problem(document, path, message, at_key)
                  for path, message, at_key in references.missing_files(document.data, folder)]
    return sorted(dict.fromkeys(found), key=Problem.sort_key)  # stable: best message first


def require_valid(document: Document, files: bool = False) -> None:
    found = problems(document, files)
    if found:
        raise ComposeswapError(*found)


def require_valid_result(original: Document, switched: Mapping[str, Any]) -> None:
    """Refuse to write a result Compose would reject; only the switched services changed."""
    from composeswap import schema

    result = {"services": dict(switched)}
    if schema.is_valid_compose(result):
        return
    first = schema.compose_violations(result)[0]
    where = ".".join(str(part) for part in first.path)
    raise fail(original.file, f"refusing to write: the result would not be valid ({where}: "
               f"{first.message}); the file is unchanged")


def _forms(document: Document) -> Iterator[tuple[JsonPath, str]]:
    """Services Compose cannot run as it reads them (after extends and !reset): with neither
    image nor build (a provider needs none), or extending in a cycle."""
    for name, read in effective.read_file(document).services.items():
        if read.unresolved and "cycle" in read.unresolved:
            yield ("services", name), f"cannot be read: {read.unresolved}"
        elif read.form is Form.NEITHER and not read.unresolved:
            yield ("services", name), "has neither 'image' nor 'build'; Compose needs one"


def _rules(data: Mapping[str, Any]) -> Iterator[tuple[JsonPath, str, bool]]:
    services = data.get("services")
    if not isinstance(services, Mapping):
        return
    yield from references.undefined(data)
    yield from _placeholder_typos(("x-composeswap",), data.get(config.CONFIG_KEY))
    for name, service in services.items():
        if isinstance(service, Mapping):
            yield from _placeholder_typos(("services", name, config.CONFIG_KEY),
                                          service.get(config.CONFIG_KEY))


def _placeholder_typos(path: JsonPath, settings: object) -> Iterator[tuple[JsonPath, str, bool]]:
    if not isinstance(settings, Mapping):
        return
    for key, template in settings.items():
        if isinstance(template, str):
            for name in config.unknown_placeholders(template):
                yield (path + (key,), f"unknown placeholder {{{name}}}: only {{service}} and "
                       "{target} are replaced", False)


# Blank lines, comments and directives: all that may come before a document's content.
_PROLOGUE = re.compile(r"(?:[ \t]*(?:#[^\r\n]*)?\r?\n|%[^\r\n]*(?:\r?\n|$))*")
_YAML_DIRECTIVE = re.compile(r"^%YAML[ \t]+([^\s#]*)", re.MULTILINE)


def _directive_problems(document: Document) -> list[Problem]:
    """Compose's YAML reader (go-yaml) takes only ``%YAML 1.1``; it refuses any other version."""
    source = document.source
    prologue = _PROLOGUE.match(source.body)
    assert prologue is not None  # the pattern matches the empty text too
    found = []
    for directive in _YAML_DIRECTIVE.finditer(source.body, 0, prologue.end()):
        if directive.group(1) != "1.1":
            line, column = source.position(directive.start())
            found.append(Problem(
                document.file, f"Docker Compose refuses a '%YAML {directive.group(1)}' directive "
                "(it reads only %YAML 1.1): remove the line or write %YAML 1.1", line, column))
    return found


def _problem(document: Document, path: JsonPath, message: str, at_key: bool) -> Problem:
    line, column = document.position(path, at_key)
    where = ".".join(str(part) for part in path)
    return Problem(document.file, message, line, column, where)
