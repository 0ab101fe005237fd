"""What each service of the project is, as Compose reads it, and what the other form would be.

A pure function of the project's files, its model and its environment, apart from looking for
build contexts and reading Dockerfiles to tell whether they are there.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from composeswap import config, envfile
from composeswap.config import Overrides
from composeswap.effective import Effective, Model
from composeswap.model import Sources
from composeswap.plan import SAVED, is_managed
from composeswap.project import local_path
from composeswap.steps import Form

MODES = {
    Form.LOCAL: "local",
    Form.REMOTE: "remote",
    Form.HYBRID: "both",
    Form.PROVIDER: "provider",
    Form.NEITHER: "neither",
}


class Row(NamedTuple):
    """One service, as ``status`` shows it; ``--format json`` prints these fields."""

    service: str
    mode: str  # local, remote, both (image and build: Compose pulls first), provider, neither
    managed: bool
    why: str  # why it is managed: x-composeswap, set aside, template, target; or ""
    file: str  # where its form is decided
    line: int
    other: str  # what the other form would be
    image: str | None  # the image as Compose would pull it (interpolated)
    context: str | None  # the build context, as written
    context_exists: bool | None  # None when it cannot be told (a URL, variables)
    dockerfile: str | None
    target: str | None
    stage_found: bool | None  # None when there is no target or no Dockerfile to read

    def as_json(self) -> dict[str, object]:
        return self._asdict()


def rows(
    sources: Sources, model: Model, names: Sequence[str], environment: Mapping[str, str]
) -> list[Row]:
    return [_row(sources, model, model.services[name], environment) for name in names]


def _row(sources: Sources, model: Model, read: Effective, environment: Mapping[str, str]) -> Row:
    layer = sources.layers[read.layer]
    service = layer.document.services[read.name]
    wanted = config.settings(read.name, read.data, model.config, Overrides())
    build = _build(read.data, wanted)
    context = build.get("context") if isinstance(build.get("context"), str) else None
    target = build.get("target") if isinstance(build.get("target"), str) else None
    folder = local_path(layer.folder, context) if context is not None else None
    dockerfile, stage_found = _stage(folder, layer.folder, build, target)
    managed = is_managed(model, read, Overrides())
    return Row(
        service=read.name,
        mode=MODES[read.form],
        managed=managed,
        why=_why(read, wanted) if managed else "",
        file=layer.document.file,
        line=service.line,
        other=_other(read.form, wanted),
        image=_image(read.data, environment),
        context=context,
        context_exists=os.path.isdir(folder) if folder else None,
        dockerfile=dockerfile,
        target=target,
        stage_found=stage_found,
    )


def _build(data: Mapping[str, Any], wanted: config.Settings) -> Mapping[str, Any]:
    """The build it has, or the one ``local`` would write."""
    build = data.get("build")
    if isinstance(build, str):
        return {"context": build}
    if isinstance(build, Mapping):
        return build
    written: dict[str, Any] = {"context": wanted.context, "target": wanted.target}
    if wanted.dockerfile:
        written["dockerfile"] = wanted.dockerfile
    return written


def _stage(
    folder: str | None, base: str, build: Mapping[str, Any], target: str | None
) -> tuple[str | None, bool | None]:
    """The Dockerfile the build uses, and whether it has the target stage (None: no target, or
    no source folder to look in)."""
    from composeswap import dockerfile

    if folder is None or not os.path.isdir(folder) or target is None:
        return None, None
    check = dockerfile.check_stage(base, build, target)
    if check.dockerfile is None:
        return None, None
    return check.dockerfile, check.missing is None


def _why(read: Effective, wanted: config.Settings) -> str:
    if config.CONFIG_KEY in read.data:
        return "x-composeswap"
    if any(key.startswith(SAVED) for key in read.data):
        return "set aside"
    image = read.data.get("image")
    if isinstance(image, str) and config.matches_template(image, wanted.image, wanted.target):
        return "template"
    return "target"


def _other(form: Form, wanted: config.Settings) -> str:
    if form is Form.LOCAL:
        return f"image {wanted.image}"
    if form in (Form.REMOTE, Form.HYBRID):
        return f"build {wanted.context} (target {wanted.target})"
    return ""


def _image(data: Mapping[str, Any], environment: Mapping[str, str]) -> str | None:
    """The image as ``docker compose config`` prints it: interpolated."""
    image = data.get("image")
    if not isinstance(image, str):
        return None
    try:
        return envfile.substitute(image, environment.get)
    except envfile.TemplateError:
        return image


HEADINGS = ("SERVICE", "MODE", "MANAGED", "FILE", "IMAGE OR CONTEXT", "STAGE")


def table(found: Sequence[Row], colour: bool) -> str:
    """An aligned table for people."""
    lines = [HEADINGS] + [_cells(row) for row in found]
    widths = [max(len(line[index]) for line in lines) for index in range(len(HEADINGS))]
    rendered = [
        "  ".join(cell.ljust(width) for cell, width in zip(line, widths)).rstrip() for line in lines
    ]
    if colour:
        rendered = [_paint(line, row) for line, row in zip(rendered, [None, *found])]
    return "\n".join(rendered)


def _cells(row: Row) -> tuple[str, ...]:
    if row.mode == "local":
        where = f"{row.context or '?'}{'' if row.context_exists is not False else ' (missing)'}"
    else:
        where = row.image or ""
    stage = (
        ""
        if row.target is None or row.stage_found is None
        else f"{row.target} {'ok' if row.stage_found else 'missing'}"
    )
    managed = f"yes ({row.why})" if row.managed else "no"
    return (row.service, row.mode, managed, f"{row.file}:{row.line}", where, stage)


_COLOURS = {"local": "\033[33m", "remote": "\033[32m", "both": "\033[36m"}


def _paint(line: str, row: Row | None) -> str:
    if row is None:
        return f"\033[1m{line}\033[0m"
    colour = _COLOURS.get(row.mode)
    return f"{colour}{line}\033[0m" if colour else line
