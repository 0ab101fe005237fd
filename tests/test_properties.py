"""Generated compose files in the many ways people format YAML: every switch is exact or refused.

For each generated file: switching some services one way and back is byte-exact or a clean
refusal (exit 2, file untouched); what is written passes the Compose schema and differs from the
original only in the switched services. COMPOSESWAP_EXAMPLES raises the number of examples
(CI runs a fixed, reproducible set).
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
import pytest
from ruamel.yaml import YAML

from composeswap import schema
from tests.helpers import compose_config, run

EXAMPLES = int(os.environ.get("COMPOSESWAP_EXAMPLES", "200"))
NAMES = ["api", "web", "worker", "cache", "db", "auth"]
FORMS = ["remote", "remote-custom", "remote-bare", "remote-flow", "local", "local-short",
         "local-args", "local-flow", "local-anchored", "hybrid", "remote-flowmap",
         "local-flowmap"]


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
        key = (f'image: "${{DOCKER_REGISTRY}}/{name}:${{IMAGE_TAG}}-dev"' if form[0] == "r"
               else f"build: {draw(quoted(f'./{name}'))}")
        return [f"{' ' * style.step}{name}: {{ {key}, restart: always }}"]
    indent = draw(st.sampled_from([style.step, style.step + 2]))  # some indented unlike others
    pad, inner = " " * (style.step + indent), " " * (style.step + 2 * indent)
    dash = pad if style.flush_dashes else inner

    def comment() -> str:
        return draw(st.sampled_from(["", "  # note", " #x"])) if style.comments else ""

    form_lines = {
        "remote": [f"{pad}image: ${{DOCKER_REGISTRY}}/{name}:${{IMAGE_TAG}}-dev{comment()}"],
        "remote-custom": [f"{pad}image: {draw(quoted(f'registry.example.com/{name}:1.0-dev'))}"
                          f"{comment()}"],
        "remote-bare": [f"{pad}image: $DOCKER_REGISTRY/{name}:$IMAGE_TAG-dev{comment()}"],
        "local": [f"{pad}build:{comment()}", f"{inner}context: ./{name}", f"{inner}target: dev"],
        "local-short": [f"{pad}build: {draw(quoted(f'./{name}'))}{comment()}"],
        "local-args": [f"{pad}build:", f"{inner}context: ./{name}", f"{inner}args:",
                       f"{inner}  - MODE=dev", f"{inner}target: dev{comment()}"],
        "remote-flow": [f"{pad}image: \"${{DOCKER_REGISTRY}}/{name}:${{IMAGE_TAG}}-dev\""],
        "local-flow": [f"{pad}build: {{ context: ./{name}, target: dev }}{comment()}"],
        # an anchored build that the service's own x-copy aliases: never silently edited
        "local-anchored": [f"{pad}build: &{name}-build", f"{inner}context: ./{name}",
                           f"{inner}target: dev", f"{pad}x-copy: *{name}-build"],
        "hybrid": [f"{pad}image: ${{DOCKER_REGISTRY}}/{name}:${{IMAGE_TAG}}-dev",
                   f"{pad}build:", f"{inner}context: ./{name}", f"{inner}target: dev"],
    }[form]
    flow = draw(st.booleans())
    extras = {
        "ports": [f"{pad}ports: [ \"8080:8080\" ]"] if flow else
                 [f"{pad}ports:", f"{dash}- {draw(quoted('8080:8080'))}"],
        "environment": [f"{pad}environment: {{MODE: dev, DEBUG: '1'}}"] if flow else
                       [f"{pad}environment:", f"{inner}MODE: {draw(quoted('dev'))}"],
        "restart": [f"{pad}restart: unless-stopped{comment()}"],
        "command": [f"{pad}command: [\"serve\", \"--port\", \"8080\"]"],
        "comment": [f"{pad}# a comment between keys"] if style.comments else [],
        "blank": [""],
        "merge": [f"{pad}<<: *common"] if style.merge else [],
    }
    chosen = draw(st.lists(st.sampled_from(sorted(extras)), unique=True, max_size=5))
    blocks = [form_lines] + [extras[key] for key in chosen]
    order = draw(st.permutations(range(len(blocks))))
    lines = [f"{' ' * style.step}{name}:{comment()}"]
    for index in order:
        lines += blocks[index]
    return lines


@dataclass(frozen=True)
class Case:
    text: str
    forms: dict[str, str]


@st.composite
def compose_files(draw: st.DrawFn) -> Case:
    style = Style(
        step=draw(st.sampled_from([2, 4])), flush_dashes=draw(st.booleans()),
        newline=draw(st.sampled_from(["\n", "\r\n"])), bom=draw(st.booleans()),
        final_newline=draw(st.booleans()), comments=draw(st.booleans()),
        merge=draw(st.booleans()),
    )
    names = draw(st.lists(st.sampled_from(NAMES), min_size=1, max_size=4, unique=True))
    forms = {name: draw(st.sampled_from(FORMS)) for name in names}
    lines = ["# generated compose file"] if style.comments else []
    if style.merge:
        lines += ["x-common: &common", f"{' ' * style.step}stop_grace_period: 5s", ""]
    lines.append("services:" + ("  # services" if style.comments else ""))
    for name in names:
        lines += draw(service_lines(name, forms[name], style))
    if style.comments:
        lines.append("# end")
    text = style.newline.join(lines) + (style.newline if style.final_newline else "")
    return Case(("\ufeff" if style.bom else "") + text, forms)


def load(text: str) -> Any:
    return YAML(typ="safe", pure=True).load(text.lstrip("\ufeff"))


def switch_and_back(case: Case, mode: str, names: list[str]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        project = Path(folder)
        for name in case.forms:
            (project / name).mkdir()
        compose = project / "compose.yaml"
        original = case.text.encode("utf-8")
        compose.write_bytes(original)
        there = run(project, mode, *names)
        assert "Traceback" not in there.stdout + there.stderr
        if there.exit_code == 2:  # a clean refusal: the file is untouched
            assert compose.read_bytes() == original, there.stderr
            return
        assert there.exit_code == 0, there.stderr
        switched = compose.read_bytes().decode("utf-8")
        assert_only_switched_services_changed(case.text, switched, names)
        assert schema.compose_violations(load(switched)) == []
        back = run(project, {"local": "remote", "remote": "local"}[mode], *names)
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
        changed = {k: v for k, v in new["services"][name].items()
                   if k not in ("image", "build") and not k.startswith("x-composeswap-")}
        assert kept == changed


PROFILE = settings(
    max_examples=EXAMPLES, deadline=None, derandomize=os.environ.get("CI") == "true",
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
    max_examples=int(os.environ.get("COMPOSESWAP_ORACLE_EXAMPLES", "25")), deadline=None,
    derandomize=os.environ.get("CI") == "true",
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@pytest.mark.parametrize("mode", ["local", "remote"])
@ORACLE
@given(case=compose_files(), data=st.data())
def test_docker_compose_accepts_what_a_switch_writes(mode: str, case: Case,
                                                     data: st.DataObject) -> None:
    candidates = [name for name, form in case.forms.items() if form.startswith(STARTS[mode])]
    assume(candidates)
    names = data.draw(st.lists(st.sampled_from(candidates), unique=True, min_size=1))
    with tempfile.TemporaryDirectory() as folder:
        project = Path(folder)
        for name in case.forms:
            (project / name).mkdir()
        compose = project / "compose.yaml"
        compose.write_bytes(case.text.encode("utf-8"))
        assert compose_config(compose, "-q").returncode == 0, "the generated file itself"
        assert run(project, mode, *names).exit_code == 0
        done = compose_config(compose, "-q")
        assert done.returncode == 0, done.stderr
