"""Whether a compose file is one Docker Compose accepts, with every problem at its line and column.

Schema checks come from the vendored Compose schema and composeswap's own settings schema; the
few rules no schema states (a service needs an image or a build; a template's placeholders; a
%YAML directive) are checked here, names the file must define in ``composeswap.references``.
jsonschema is only loaded through ``composeswap.schema``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from composeswap import config, effective, references
from composeswap.errors import ComposeswapError, Problem, fail
from composeswap.model import Document, JsonPath, Sources
from composeswap.steps import Form


def problems(
    sources: Sources,
    model: effective.Model | None = None,
    files: bool = False,
    environment: Mapping[str, str] | None = None,
) -> list[Problem]:
    """Every problem in the project's files, in file order; empty when Compose would accept it.

    Each file is checked against the schemas on its own; what depends on the project (a
    service's image or build, the names it uses) is judged on the project as Compose reads it.
    With ``files``, also the files Compose reads as it loads the project (included files,
    env_file, label_file, extends.file) must exist: ``validate`` checks the project, a switch
    only the text it edits. With the ``environment`` interpolation sees (``validate``), each
    file is checked as Compose checks it, once ``${VAR}`` and its forms are replaced; a switch
    checks the text as written, which does not depend on the variables.
    """
    model = model if model is not None else effective.read(sources)
    found: list[Problem] = []
    for layer in sources.layers:
        data = layer.document.data
        if environment is not None:
            data, missing = _interpolated(data, environment)
            found += [_problem(layer.document, path, message, False) for path, message in missing]
        found += _file_problems(layer.document, data)
        if files:
            found += [
                _problem(layer.document, path, message, at_key)
                for path, message, at_key in references.missing_files(
                    layer.document.data, layer.folder
                )
            ]
    found += [
        _project_problem(sources, model, path, message, at_key)
        for path, message, at_key in references.undefined(_merged(sources, model))
    ]
    found += [
        _project_problem(sources, model, path, message, at_key)
        for path, message, at_key in _forms(model, environment)
    ]
    return sorted(dict.fromkeys(found), key=Problem.sort_key)  # stable: best message first


def _file_problems(document: Document, data: Mapping[str, Any]) -> list[Problem]:
    """What is wrong with one file (its ``data`` as Compose validates it) whatever else the
    project holds."""
    from composeswap import schema

    found: list[Problem] = []
    if not schema.is_valid_compose(data):
        found += [
            _problem(document, v.path, v.message, v.points_at_key)
            for v in schema.compose_violations(data)
        ]
    if not schema.is_valid_config(document.data):
        found += [
            _problem(document, v.path, v.message, v.points_at_key)
            for v in schema.config_violations(document.data)
        ]
    found += [
        _problem(document, path, message, at_key)
        for path, message, at_key in _placeholders(document.data)
    ]
    return found + _directive_problems(document)


def require_valid(
    sources: Sources,
    model: effective.Model | None = None,
    files: bool = False,
    environment: Mapping[str, str] | None = None,
) -> None:
    found = problems(sources, model, files, environment)
    if found:
        raise ComposeswapError(*found)


def _interpolated(
    data: Mapping[str, Any], environment: Mapping[str, str]
) -> tuple[dict[str, Any], list[tuple[JsonPath, str]]]:
    """The file's data with every value interpolated as Compose does (keys never are), and
    where a required variable (``${VAR:?message}``) is missing."""
    from composeswap import envfile

    missing: list[tuple[JsonPath, str]] = []

    def value(item: Any, path: JsonPath) -> Any:
        if isinstance(item, str) and "$" in item:
            try:
                return envfile.substitute(item, environment.get)
            except envfile.TemplateError as error:
                missing.append((path, f"{error} (from the environment and the project's .env)"))
                return item
        if isinstance(item, Mapping):
            return {key: value(child, (*path, key)) for key, child in item.items()}
        if isinstance(item, list):
            return [value(child, (*path, index)) for index, child in enumerate(item)]
        return item

    interpolated: dict[str, Any] = value(data, ())
    return interpolated, missing


def _merged(sources: Sources, model: effective.Model) -> Mapping[str, Any]:
    """The project's data where names are defined and used: one file's own, or every file's
    top-level definitions together with the services as Compose reads them."""
    if len(sources.layers) == 1:
        return sources.layers[0].document.data
    merged: dict[str, Any] = {}
    for layer in sources.layers:
        for key, value in layer.document.data.items():
            if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
                merged[key] = {**merged[key], **value}
            else:
                merged[key] = value
    merged["services"] = {name: read.data for name, read in model.services.items()}
    return merged


def _project_problem(
    sources: Sources, model: effective.Model, path: JsonPath, message: str, at_key: bool
) -> Problem:
    """A problem about the project, at the last file that writes what it is about."""
    for layer in reversed(sources.layers):
        if _holds(layer.document.data, path):
            return _problem(layer.document, path, message, at_key)
    service = model.services.get(str(path[1])) if path[:1] == ("services",) else None
    layer = sources.layers[service.layer if service else 0]
    return _problem(layer.document, path, message, at_key)


def _holds(data: Any, path: JsonPath) -> bool:
    for part in path:
        if isinstance(data, Mapping) and part in data:
            data = data[part]
        elif isinstance(data, list) and isinstance(part, int) and part < len(data):
            data = data[part]
        else:
            return False
    return True


def require_valid_result(original: Document, switched: Mapping[str, Any]) -> None:
    """Refuse to write a result Compose would reject; only the switched services changed."""
    from composeswap import schema

    result = {"services": dict(switched)}
    if schema.is_valid_compose(result):
        return
    first = schema.compose_violations(result)[0]
    where = ".".join(str(part) for part in first.path)
    raise fail(
        original.file,
        f"refusing to write: the result would not be valid ({where}: "
        f"{first.message}); the file is unchanged",
    )


def _forms(
    model: effective.Model, environment: Mapping[str, str] | None
) -> Iterator[tuple[JsonPath, str, bool]]:
    """Services Compose cannot run as it reads them (after extends and !reset): with neither
    image nor build (a provider needs none), an image that is empty and no build, or extending
    in a cycle."""
    for name, read in model.services.items():
        if read.unresolved and "cycle" in read.unresolved:
            yield ("services", name), f"cannot be read: {read.unresolved}", True
        elif read.form is Form.NEITHER and not read.unresolved:
            yield ("services", name), "has neither 'image' nor 'build'; Compose needs one", True
        elif read.form is Form.REMOTE and _empty(read.data.get("image"), environment):
            image = read.data["image"]
            how = "is empty" if image == "" else f"{image!r} is empty once its variables are set"
            yield ("services", name, "image"), f"{how}, and there is no 'build'", False


def _empty(image: object, environment: Mapping[str, str] | None) -> bool:
    """Whether an image reads as nothing: written so, or made of variables that are not set
    (judged only where the environment is known: ``validate``)."""
    if not isinstance(image, str):
        return False
    if environment is None or "$" not in image:
        return image == ""
    from composeswap import envfile

    try:
        return envfile.substitute(image, environment.get) == ""
    except envfile.TemplateError:  # reported where the file is interpolated
        return False


def _placeholders(data: Mapping[str, Any]) -> Iterator[tuple[JsonPath, str, bool]]:
    """Template placeholders composeswap would not replace, in the file's settings."""
    yield from _placeholder_typos(("x-composeswap",), data.get(config.CONFIG_KEY))
    services = data.get("services")
    for name, service in services.items() if isinstance(services, Mapping) else ():
        if isinstance(service, Mapping):
            yield from _placeholder_typos(
                ("services", name, config.CONFIG_KEY), service.get(config.CONFIG_KEY)
            )


def _placeholder_typos(path: JsonPath, settings: object) -> Iterator[tuple[JsonPath, str, bool]]:
    if not isinstance(settings, Mapping):
        return
    for key, template in settings.items():
        if isinstance(template, str):
            for name in config.unknown_placeholders(template):
                yield (
                    path + (key,),
                    f"unknown placeholder {{{name}}}: only {{service}} and {{target}} are replaced",
                    False,
                )


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
            found.append(
                Problem(
                    document.file,
                    f"Docker Compose refuses a '%YAML {directive.group(1)}' directive "
                    "(it reads only %YAML 1.1): remove the line or write %YAML 1.1",
                    line,
                    column,
                )
            )
    return found


def _problem(document: Document, path: JsonPath, message: str, at_key: bool) -> Problem:
    line, column = document.position(path, at_key)
    where = ".".join(str(part) for part in path)
    return Problem(document.file, message, line, column, where)
