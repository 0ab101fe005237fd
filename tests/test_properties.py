"""Generated compose files in the many ways people format YAML: every switch is exact or refused.

For each generated file: switching some services one way and back is byte-exact, and what is
written passes the Compose schema and differs from the original only in the switched services;
or, exactly when a named service is in one of the forms composeswap refuses (REFUSED_FORMS), the
switch is a clean refusal (exit 2, file untouched). COMPOSESWAP_EXAMPLES raises the number of
examples (CI runs a fixed, reproducible set).
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from composeswap import schema
from tests.helpers import (
    OPPOSITE,
    ORACLE_ENV,
    assert_only_switched_differ,
    compose_project,
    project,
    run,
)

EXAMPLES = int(os.environ.get("COMPOSESWAP_EXAMPLES", "200"))
NAMES = ["api", "web", "worker", "cache", "db", "auth"]
FORMS = [
    "remote",
    "remote-custom",
    "remote-bare",
    "remote-flow",
    "local",
    "local-short",
    "local-args",
    "local-flow",
    "local-anchored",
    "hybrid",
    "remote-flowmap",
    "local-flowmap",
    "remote-merged",
    "local-merged",
    "remote-aliased",
]

# The forms composeswap must refuse to switch, and why (README, "What composeswap refuses"). Every
# other form must switch. Two that look alike are not refused: "local-anchored", whose anchored
# build the service's own x-copy aliases, is saved as x-composeswap-build with its anchor, which
# changes nothing the alias reads; and Style.merge's `<<: *common` brings neither image nor build.
REFUSED_FORMS = {
    "remote-merged": "its image comes through a '<<' merge: editing it would edit the merged "
    "mapping, and a key of its own would hide it",
    "local-merged": "its build comes through a '<<' merge, likewise",
    "remote-aliased": "its mapping is anchored and aliased elsewhere: switching it would "
    "switch the alias too",
}


@dataclass(frozen=True)
class Style:
    step: int
    flush_dashes: bool
    newline: str
    bom: bool
    final_newline: bool
    comments: bool
    merge: bool


@st.composite
def quoted(draw: st.DrawFn, text: str) -> str:
    style = draw(st.sampled_from(["plain", "single", "double"]))
    if style == "single":
        return "'" + text.replace("'", "''") + "'"
    if style == "double":
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return text


@st.composite
def service_lines(draw: st.DrawFn, name: str, form: str, style: Style) -> list[str]:
    if form.endswith("flowmap"):  # the whole service in flow style
        key = (
            f'image: "${{DOCKER_REGISTRY}}/{name}:${{IMAGE_TAG}}-dev"'
            if form[0] == "r"
            else f"build: {draw(quoted(f'./{name}'))}"
        )
        return [f"{' ' * style.step}{name}: {{ {key}, restart: always }}"]
    indent = draw(st.sampled_from([style.step, style.step + 2]))  # some indented unlike others
    pad, inner = " " * (style.step + indent), " " * (style.step + 2 * indent)
    dash = pad if style.flush_dashes else inner

    def comment() -> str:
        return draw(st.sampled_from(["", "  # note", " #x"])) if style.comments else ""

    form_lines = {
        "remote": [f"{pad}image: ${{DOCKER_REGISTRY}}/{name}:${{IMAGE_TAG}}-dev{comment()}"],
        "remote-custom": [
            f"{pad}image: {draw(quoted(f'registry.example.com/{name}:1.0-dev'))}{comment()}"
        ],
        "remote-bare": [f"{pad}image: $DOCKER_REGISTRY/{name}:$IMAGE_TAG-dev{comment()}"],
        "local": [f"{pad}build:{comment()}", f"{inner}context: ./{name}", f"{inner}target: dev"],
        "local-short": [f"{pad}build: {draw(quoted(f'./{name}'))}{comment()}"],
        "local-args": [
            f"{pad}build:",
            f"{inner}context: ./{name}",
            f"{inner}args:",
            f"{inner}  - MODE=dev",
            f"{inner}target: dev{comment()}",
        ],
        "remote-flow": [f'{pad}image: "${{DOCKER_REGISTRY}}/{name}:${{IMAGE_TAG}}-dev"'],
        "local-flow": [f"{pad}build: {{ context: ./{name}, target: dev }}{comment()}"],
        # image or build from a mapping defined before services (see merged_definitions)
        "remote-merged": [f"{pad}<<: *{name}-merged{comment()}"],
        "local-merged": [f"{pad}<<: *{name}-merged{comment()}"],
        # the service's mapping is anchored in its header line and aliased after services
        "remote-aliased": [f"{pad}image: ${{DOCKER_REGISTRY}}/{name}:${{IMAGE_TAG}}-dev"],
        # an anchored build that the service's own x-copy aliases: never silently edited
        "local-anchored": [
            f"{pad}build: &{name}-build",
            f"{inner}context: ./{name}",
            f"{inner}target: dev",
            f"{pad}x-copy: *{name}-build",
        ],
        "hybrid": [
            f"{pad}image: ${{DOCKER_REGISTRY}}/{name}:${{IMAGE_TAG}}-dev",
            f"{pad}build:",
            f"{inner}context: ./{name}",
            f"{inner}target: dev",
        ],
    }[form]
    flow = draw(st.booleans())
    extras = {
        "ports": [f'{pad}ports: [ "8080:8080" ]']
        if flow
        else [f"{pad}ports:", f"{dash}- {draw(quoted('8080:8080'))}"],
        "environment": [f"{pad}environment: {{MODE: dev, DEBUG: '1'}}"]
        if flow
        else [f"{pad}environment:", f"{inner}MODE: {draw(quoted('dev'))}"],
        "restart": [f"{pad}restart: unless-stopped{comment()}"],
        "command": [f'{pad}command: ["serve", "--port", "8080"]'],
        "comment": [f"{pad}# a comment between keys"] if style.comments else [],
        "blank": [""],
        # a mapping has one merge key, which a merged form already uses
        "merge": [f"{pad}<<: *common"] if style.merge and not form.endswith("merged") else [],
    }
    chosen = draw(st.lists(st.sampled_from(sorted(extras)), unique=True, max_size=5))
    blocks = [form_lines] + [extras[key] for key in chosen]
    order = draw(st.permutations(range(len(blocks))))
    anchor = f" &{name}-service" if form == "remote-aliased" else ""
    lines = [f"{' ' * style.step}{name}:{anchor}{comment()}"]
    for index in order:
        lines += blocks[index]
    return lines


def merged_definitions(name: str, form: str, step: str) -> list[str]:
    """The top-level mapping a merged form's service merges its image or build from."""
    if form == "remote-merged":
        return [
            f"x-{name}-merged: &{name}-merged",
            f"{step}image: ${{DOCKER_REGISTRY}}/{name}:${{IMAGE_TAG}}-dev",
        ]
    if form == "local-merged":
        return [
            f"x-{name}-merged: &{name}-merged",
            f"{step}build:",
            f"{step * 2}context: ./{name}",
            f"{step * 2}target: dev",
        ]
    return []


@dataclass(frozen=True)
class Case:
    text: str
    forms: dict[str, str]


@st.composite
def compose_files(draw: st.DrawFn) -> Case:
    style = Style(
        step=draw(st.sampled_from([2, 4])),
        flush_dashes=draw(st.booleans()),
        newline=draw(st.sampled_from(["\n", "\r\n"])),
        bom=draw(st.booleans()),
        final_newline=draw(st.booleans()),
        comments=draw(st.booleans()),
        merge=draw(st.booleans()),
    )
    names = draw(st.lists(st.sampled_from(NAMES), min_size=1, max_size=4, unique=True))
    forms = {name: draw(st.sampled_from(FORMS)) for name in names}
    lines = ["# generated compose file"] if style.comments else []
    if style.merge:
        lines += ["x-common: &common", f"{' ' * style.step}stop_grace_period: 5s", ""]
    for name in names:
        lines += merged_definitions(name, forms[name], " " * style.step)
    lines.append("services:" + ("  # services" if style.comments else ""))
    for name in names:
        lines += draw(service_lines(name, forms[name], style))
    lines += [
        f"x-{name}-copy: *{name}-service" for name in names if forms[name] == "remote-aliased"
    ]
    if style.comments:
        lines.append("# end")
    text = style.newline.join(lines) + (style.newline if style.final_newline else "")
    return Case(("\ufeff" if style.bom else "") + text, forms)


def load(text: str) -> Any:
    return YAML(typ="safe", pure=True).load(text.lstrip("\ufeff"))


def refusal(case: Case, names: list[str]) -> str | None:
    """Why switching ``names`` must be refused, or None when it must succeed."""
    for name in names:
        if case.forms[name] in REFUSED_FORMS:
            return f"{name} ({case.forms[name]}): {REFUSED_FORMS[case.forms[name]]}"
    return None


def switch_and_back(case: Case, mode: str, names: list[str]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        original = case.text.encode("utf-8")
        compose = project(Path(folder), original, *case.forms)
        there = run(compose.parent, mode, *names)
        reason = refusal(case, names)
        if reason is not None:  # a clean refusal: the file is untouched
            assert there.exit_code == 2, f"not refused: {reason}"
            assert compose.read_bytes() == original, there.stderr
            return
        assert there.exit_code == 0, there.stderr
        assert compose.read_bytes() != original, "nothing was switched"
        switched = compose.read_bytes().decode("utf-8")
        assert_only_switched_services_changed(case.text, switched, names)
        assert schema.compose_violations(load(switched)) == []
        back = run(compose.parent, OPPOSITE[mode], *names)
        assert back.exit_code == 0, back.stderr
        assert compose.read_bytes() == original


def assert_only_switched_services_changed(before: str, after: str, names: list[str]) -> None:
    old, new = load(before), load(after)
    assert [k for k in old if k != "services"] == [k for k in new if k != "services"]
    assert list(old["services"]) == list(new["services"])
    for name, service in old["services"].items():
        if name not in names:
            assert new["services"][name] == service
    for name in names:
        kept = {k: v for k, v in old["services"][name].items() if k not in ("image", "build")}
        changed = {
            k: v
            for k, v in new["services"][name].items()
            if k not in ("image", "build") and not k.startswith("x-composeswap-")
        }
        assert kept == changed


PROFILE = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=os.environ.get("CI") == "true",
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


# A service with both image and build already counts as remote: only local switches it.
STARTS = {"local": ("remote", "hybrid"), "remote": ("local",)}


@pytest.mark.parametrize("mode", ["local", "remote"])
@PROFILE
@given(case=compose_files(), data=st.data())
def test_a_switch_and_back_is_exact_or_refused(mode: str, case: Case, data: st.DataObject) -> None:
    candidates = [name for name, form in case.forms.items() if form.startswith(STARTS[mode])]
    if candidates:
        names = data.draw(st.lists(st.sampled_from(candidates), unique=True, min_size=1))
        switch_and_back(case, mode, names)


ORACLE = settings(
    max_examples=int(os.environ.get("COMPOSESWAP_ORACLE_EXAMPLES", "25")),
    deadline=None,
    derandomize=os.environ.get("CI") == "true",
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def assert_in_form(service: dict[str, Any], mode: str, name: str, folder: Path) -> None:
    """Compose reads a switched service in the asked form.

    Every generated form builds ./NAME at target dev and pulls the default image, whether the
    switch writes them, keeps them (a hybrid's other half) or puts back what it saved.
    """
    if mode == "local":
        assert "image" not in service, service
        assert service["build"]["context"] == str(folder / name), service["build"]
        assert service["build"].get("target") == "dev", service["build"]
    else:
        assert "build" not in service, service
        assert service["image"] == "{DOCKER_REGISTRY}/{name}:{IMAGE_TAG}-dev".format(
            name=name, **ORACLE_ENV
        )


@pytest.mark.parametrize("mode", ["local", "remote"])
@ORACLE
@given(case=compose_files(), data=st.data())
def test_docker_compose_reads_only_the_switched_services_changed(
    mode: str, case: Case, data: st.DataObject
) -> None:
    candidates = [name for name, form in case.forms.items() if form.startswith(STARTS[mode])]
    assume(candidates)
    names = data.draw(st.lists(st.sampled_from(candidates), unique=True, min_size=1))
    with tempfile.TemporaryDirectory() as folder:
        # Resolved: Compose's readings hold absolute paths.
        compose = project(Path(folder).resolve(), case.text.encode("utf-8"), *case.forms)
        before = compose_project(compose)  # Compose accepts the generated file itself
        switched = run(compose.parent, mode, *names)
        if refusal(case, names) is not None:  # checked in full by the switch-and-back test
            assert switched.exit_code == 2
            return
        assert switched.exit_code == 0, switched.stderr
        after = compose_project(compose)
        assert_only_switched_differ(before, after, names)
        for name in names:
            assert_in_form(after["services"][name], mode, name, compose.parent)
