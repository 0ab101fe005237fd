"""``composeswap validate``: the same verdict as Docker Compose, and problems a user can act on.

Docker Compose (``docker-compose config -q``, offline) is the oracle for valid versus invalid on
every compose file under fixtures/. Where the two differ on purpose, or where only Compose's
interpolation and project loading can see the problem, the case is listed with its reason.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml.error import YAMLError

from tests.helpers import (
    CORPUS,
    CORPUS_FILES,
    FIXTURES,
    LOCAL_API,
    REMOTE_API,
    Result,
    compose_config,
    compose_json,
    load_yaml,
    project,
    run,
    source_folder,
)

# --- agreement with Docker Compose --------------------------------------------------------------


def compose_files() -> Iterator[Path]:
    yield from CORPUS_FILES
    for path in FIXTURES.rglob("*"):
        if path.suffix in (".yaml", ".yml") and path.is_file() and CORPUS not in path.parents:
            yield path


CASES = {str(path.relative_to(FIXTURES)): path for path in sorted(compose_files())}
INVALID = "invalid/"

DISAGREEMENTS = {
    "invalid/x-composeswap-unknown-key.yaml": (
        "composeswap rejects: Compose ignores every x- extension; composeswap checks its own "
        "x-composeswap settings"
    ),
    "invalid/several-documents.yaml": (
        "composeswap rejects: Compose merges the documents of one file; composeswap edits "
        "single-document files only"
    ),
}
ACCEPTED_BY_BOTH = {
    "invalid/restart-sometimes.yaml": (
        "the Compose schema types restart as any string; only Docker Engine refuses it"
    ),
}


@dataclass(frozen=True)
class Verdict:
    exit_code: int  # of composeswap validate
    compose_valid: bool  # docker-compose config -q exited 0
    detail: str

    @property
    def valid(self) -> bool:
        return self.exit_code == 0


def service_names(source: Path) -> list[str]:
    try:
        data = load_yaml(source.read_bytes())
    except YAMLError:
        return []
    services = data.get("services") if isinstance(data, dict) else None
    return [str(name) for name in services] if isinstance(services, dict) else []


def copied(source: Path, folder: Path) -> Path:
    """``source`` as compose.yaml in ``folder``, with its .env and a folder per service."""
    env = source.parent / ".env"
    if env.is_file():  # Compose interpolates from the project's .env: part of the project
        shutil.copy(env, folder / ".env")
    return project(folder, source.read_bytes(), *service_names(source))


@pytest.fixture(scope="module")
def verdicts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Verdict]:
    found = {}
    for case, source in CASES.items():
        compose = copied(source, tmp_path_factory.mktemp("agreement"))
        ours = run(compose.parent, "validate")
        theirs = compose_config(compose, "-q")
        detail = (
            f"{case}: composeswap exit {ours.exit_code}, docker-compose exit "
            f"{theirs.returncode}\n  composeswap: {ours.stderr.strip()}\n"
            f"  docker-compose: {theirs.stderr.strip()}"
        )
        found[case] = Verdict(ours.exit_code, theirs.returncode == 0, detail)
    return found


def test_validate_and_docker_compose_disagree_exactly_where_listed(
    verdicts: dict[str, Verdict],
) -> None:
    disagreements = {
        case for case, verdict in verdicts.items() if verdict.valid != verdict.compose_valid
    }
    unexpected = sorted(disagreements ^ DISAGREEMENTS.keys())
    assert disagreements == DISAGREEMENTS.keys(), "\n".join(
        verdicts[case].detail if case in verdicts else f"{case}: no such case"
        for case in unexpected
    )


def test_validate_exits_0_or_2(verdicts: dict[str, Verdict]) -> None:
    assert {case: v.exit_code for case, v in verdicts.items() if v.exit_code not in (0, 2)} == {}


def test_each_invalid_fixture_is_rejected_by_both_unless_listed(
    verdicts: dict[str, Verdict],
) -> None:
    agreed = {
        case: verdict.valid
        for case, verdict in verdicts.items()
        if case.startswith(INVALID) and case not in DISAGREEMENTS
    }
    assert agreed == {case: case in ACCEPTED_BY_BOTH for case in agreed}
    assert len(agreed) >= 7


def test_the_agreement_covers_both_outcomes(verdicts: dict[str, Verdict]) -> None:
    agreed = [verdict.valid for case, verdict in verdicts.items() if case not in DISAGREEMENTS]
    assert agreed.count(True) >= 80  # the corpus, the demo and both sides of each golden case
    assert agreed.count(False) >= 7
    assert ACCEPTED_BY_BOTH.keys() <= verdicts.keys()


# --- diagnostics --------------------------------------------------------------------------------


def validated(folder: Path, text: bytes, *args: str) -> Result:
    """``composeswap validate`` on ``text`` as compose.yaml."""
    (folder / "compose.yaml").write_bytes(text)
    return run(folder, "validate", *args)


SEVERAL_PROBLEMS = (
    b"volumez: {}\n"  # 1 unknown top-level key: at the key
    b"services:\n"
    b"  api:\n"  # 3 neither image nor build: at the service name
    b"    imgae: nginx\n"  # 4 unknown key: at the key, with a suggestion
    b"    ports:\n"
    b"      http: 80\n"  # 6 a mapping where a list belongs: at the value
    b"  db:\n"
    b"    image: postgres:16\n"
    b"    restart: 3\n"  # 9 a number where a string belongs: at the value
    b"    depends_on: cache\n"  # 10 a string where a list or mapping belongs
    b"x-composeswap:\n"
    b"  target: dev stage\n"  # 12 composeswap's own settings
)
SEVERAL_PROBLEMS_REPORTED = [
    "compose.yaml:1:1: error: volumez: unknown key 'volumez' (did you mean 'volumes'?)",
    "compose.yaml:3:3: error: services.api: has neither 'image' nor 'build'; Compose needs one",
    "compose.yaml:4:5: error: services.api.imgae: unknown key 'imgae' (did you mean 'image'?)",
    "compose.yaml:6:7: error: services.api.ports: expected a list, got a mapping",
    "compose.yaml:9:14: error: services.db.restart: expected a string, got a number",
    "compose.yaml:10:17: error: services.db.depends_on: expected a list or a mapping, got a string",
    "compose.yaml:12:11: error: x-composeswap.target: invalid Dockerfile stage name "
    "'dev stage': must match ^[A-Za-z0-9][A-Za-z0-9_.-]*$",
]


def test_every_problem_is_reported_in_file_order_at_its_key_or_value(tmp_path: Path) -> None:
    result = validated(tmp_path, SEVERAL_PROBLEMS)
    assert result.exit_code == 2
    assert result.stderr.splitlines() == SEVERAL_PROBLEMS_REPORTED
    assert result.stdout == ""


@pytest.mark.parametrize("command", ["local", "remote"])
def test_local_and_remote_refuse_invalid_input_with_the_same_problems(
    tmp_path: Path, command: str
) -> None:
    compose = project(tmp_path, SEVERAL_PROBLEMS, "api", "db")
    for args in ([command], [command, "db"], [command, "--dry-run"]):
        result = run(tmp_path, *args)
        assert result.exit_code == 2, args
        assert result.stderr.splitlines() == SEVERAL_PROBLEMS_REPORTED, args
        assert compose.read_bytes() == SEVERAL_PROBLEMS


def typos(count: int) -> bytes:
    """A file with ``count`` services, each with one misspelt key: ``count`` problems."""
    lines = ["services:"]
    for index in range(count):
        lines += [f"  s{index:02}:", "    image: nginx:1.27", "    imgae: nginx:1.26"]
    return ("\n".join(lines) + "\n").encode()


def typo_line(index: int) -> str:
    return (
        f"compose.yaml:{4 + 3 * index}:5: error: services.s{index:02}.imgae: "
        "unknown key 'imgae' (did you mean 'image'?)"
    )


def test_twenty_problems_are_shown_then_the_rest_counted(tmp_path: Path) -> None:
    result = validated(tmp_path, typos(25))
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        *(typo_line(index) for index in range(20)),
        "... and 5 more problems (--format json lists them all)",
    ]


def test_exactly_twenty_problems_need_no_count(tmp_path: Path) -> None:
    result = validated(tmp_path, typos(20))
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [typo_line(index) for index in range(20)]


@pytest.mark.parametrize("command", ["validate", "local", "remote"])
def test_json_lists_every_problem_with_its_position_on_stdout(tmp_path: Path, command: str) -> None:
    compose = tmp_path / "compose.yaml"
    compose.write_bytes(typos(25))
    result = run(tmp_path, command, "--format", "json")
    assert result.exit_code == 2
    assert result.stderr == ""
    report = json.loads(result.stdout)
    assert report["files"] == []
    problems = report["problems"]
    assert isinstance(problems, list) and len(problems) == 25
    assert problems[0] == {
        "file": "compose.yaml",
        "line": 4,
        "column": 5,
        "severity": "error",
        "message": "unknown key 'imgae' (did you mean 'image'?)",
        "path": "services.s00.imgae",
    }
    assert [problem["line"] for problem in problems] == [4 + 3 * index for index in range(25)]
    assert compose.read_bytes() == typos(25)


def test_json_keeps_file_order_across_kinds_of_problem(tmp_path: Path) -> None:
    result = validated(tmp_path, SEVERAL_PROBLEMS, "--format", "json")
    assert result.exit_code == 2
    problems = json.loads(result.stdout)["problems"]
    rendered = [
        f"{p['file']}:{p['line']}:{p['column']}: {p['severity']}: {p['path']}: {p['message']}"
        for p in problems
    ]
    assert rendered == SEVERAL_PROBLEMS_REPORTED


def test_a_valid_file_says_so_on_stderr(tmp_path: Path) -> None:
    result = validated(tmp_path, b"services:\n  api:\n    image: nginx:1.27\n")
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "compose.yaml: valid\n")


def test_a_valid_file_in_json_has_no_problems(tmp_path: Path) -> None:
    result = validated(tmp_path, b"services:\n  api:\n    image: nginx:1.27\n", "--format", "json")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == {"services": [], "files": ["compose.yaml"], "problems": []}
    assert result.stderr == "compose.yaml: valid\n"


def test_validate_names_the_file_given_with_f(tmp_path: Path) -> None:
    stack = tmp_path / "stack"
    stack.mkdir()
    (stack / "prod.yml").write_bytes(b"services:\n  api:\n    imgae: nginx\n")
    result = run(tmp_path, "-f", "stack/prod.yml", "validate")
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        "stack/prod.yml:2:3: error: services.api: has neither 'image' nor 'build'; "
        "Compose needs one",
        "stack/prod.yml:3:5: error: services.api.imgae: unknown key 'imgae' "
        "(did you mean 'image'?)",
    ]


YAML_ERRORS = {
    "unclosed flow": (
        b"services:\n  api:\n    ports: [80\n",
        "compose.yaml:4:1: error: invalid YAML: expected ',' or ']', "
        "but got '<stream end>' (while parsing a flow sequence that starts at "
        "3:12)",
    ),
    "duplicate key": (
        b"services:\n  api:\n    image: a\n    image: b\n",
        'compose.yaml:4:5: error: invalid YAML: found duplicate key "image"',
    ),
    "bad indentation": (
        b"services:\n  api:\n    image: a\n   ports: []\n",
        "compose.yaml:4:4: error: invalid YAML: expected <block end>, but "
        "found '<block mapping start>' (while parsing a block mapping that "
        "starts at 2:3)",
    ),
}


@pytest.mark.parametrize("text, line", YAML_ERRORS.values(), ids=YAML_ERRORS.keys())
def test_yaml_syntax_errors_use_the_same_form(tmp_path: Path, text: bytes, line: str) -> None:
    result = validated(tmp_path, text)
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [line]


def test_yaml_syntax_errors_in_json_have_a_position_and_no_path(tmp_path: Path) -> None:
    result = validated(
        tmp_path, b"services:\n  api:\n    image: a\n    image: b\n", "--format", "json"
    )
    assert result.exit_code == 2
    assert json.loads(result.stdout)["problems"] == [
        {
            "file": "compose.yaml",
            "line": 4,
            "column": 5,
            "severity": "error",
            "message": 'invalid YAML: found duplicate key "image"',
            "path": "",
        }
    ]


def test_composeswap_settings_problems_are_reported_where_they_are(tmp_path: Path) -> None:
    text = (
        b"x-composeswap:\n"
        b"  imgae: registry.example.com/{service}:1-{target}\n"
        b"  context: ''\n"
        b"services:\n"
        b"  api:\n"
        b"    image: registry.example.com/api:1-dev\n"
        b"    x-composeswap:\n"
        b"      target: dev stage\n"
        b"      image: registry.example.com/{servce}:1-{target}\n"
    )
    result = validated(tmp_path, text)
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        "compose.yaml:2:3: error: x-composeswap.imgae: unknown key 'imgae' (did you mean 'image'?)",
        "compose.yaml:3:12: error: x-composeswap.context: must not be empty",
        "compose.yaml:8:15: error: services.api.x-composeswap.target: invalid Dockerfile stage "
        "name 'dev stage': must match ^[A-Za-z0-9][A-Za-z0-9_.-]*$",
        "compose.yaml:9:14: error: services.api.x-composeswap.image: unknown placeholder "
        "{servce}: only {service} and {target} are replaced",
    ]


# --- --no-validate ------------------------------------------------------------------------------


FUTURE = REMOTE_API + b"    some_future_key: 1\n"
FUTURE_LOCAL = LOCAL_API + b"    some_future_key: 1\n"
SKIPPED = (
    "compose.yaml: warning: schema validation skipped (--no-validate); the edit was still proven"
)


def test_a_key_newer_than_the_schema_is_refused_without_no_validate(tmp_path: Path) -> None:
    compose = project(tmp_path, FUTURE, "api")
    result = run(tmp_path, "local")
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        "compose.yaml:4:5: error: services.api.some_future_key: unknown key 'some_future_key'"
    ]
    assert compose.read_bytes() == FUTURE


def test_no_validate_switches_a_file_with_a_newer_key_and_warns(tmp_path: Path) -> None:
    compose = project(tmp_path, FUTURE, "api")
    result = run(tmp_path, "local", "--no-validate")
    assert result.exit_code == 0, result.stderr
    assert result.stderr.splitlines() == [
        SKIPPED,
        "compose.yaml: switched api to local: build ./api (target dev)",
    ]
    assert compose.read_bytes() == FUTURE_LOCAL

    back = run(tmp_path, "remote", "--no-validate", "--format", "json")
    assert back.exit_code == 0, back.stderr
    assert back.stderr.splitlines()[0] == SKIPPED
    assert json.loads(back.stdout) == {
        "services": [
            {
                "service": "api",
                "outcome": "switched",
                "mode": "remote",
                "form": "local",
                "file": "compose.yaml",
                "line": 2,
                "column": 3,
                "message": "image ${DOCKER_REGISTRY}/api:${IMAGE_TAG}-dev",
            }
        ],
        "files": ["compose.yaml"],
        "problems": [],
    }
    assert compose.read_bytes() == FUTURE


# --- known bugs ---------------------------------------------------------------------------------


EMPTY_VALUES = {
    # text, the line of the key whose value is empty
    "service before another": (b"services:\n  api:\n  web:\n    image: nginx\n", 2),
    "service at the end": (b"services:\n  web:\n    image: nginx\n  api:\n", 4),
    "image before another key": (b"services:\n  api:\n    image:\n    ports: []\n", 3),
    "services before another key": (b"services:\nvolumes: {}\n", 1),
}


@pytest.mark.parametrize("text, line", EMPTY_VALUES.values(), ids=EMPTY_VALUES.keys())
def test_an_empty_value_is_reported_on_its_own_line(tmp_path: Path, text: bytes, line: int) -> None:
    result = validated(tmp_path, text)
    assert result.exit_code == 2
    [reported] = result.stderr.splitlines()
    assert reported.startswith(f"compose.yaml:{line}:"), reported


def test_a_syntax_error_is_not_blamed_on_a_harmless_u2028_elsewhere(tmp_path: Path) -> None:
    text = 'services:\n  api:\n    image: "a\u2028b"\n    ports: [80\n'
    source_folder(tmp_path / "plain")
    plain = validated(tmp_path / "plain", text.replace("\u2028", " ").encode())
    assert plain.exit_code == 2
    assert plain.stderr.startswith("compose.yaml:5:1: error: invalid YAML: ")
    result = validated(tmp_path, text.encode())
    assert (result.exit_code, result.stderr) == (2, plain.stderr)


def test_a_result_compose_would_reject_is_never_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # No real switch produces an invalid service, so make the proven result one: the check
    # after the proof must still refuse, leaving the file as it was.
    import composeswap.app
    import composeswap.proof

    original = composeswap.proof.prove

    def proven_but_invalid(*args: Any) -> dict[str, Any]:
        switched = original(*args)
        return {name: {**data, "imgae": "typo"} for name, data in switched.items()}

    monkeypatch.setattr(composeswap.app, "prove", proven_but_invalid)
    compose = project(tmp_path, REMOTE_API, "api")
    result = run(tmp_path, "local")
    assert result.exit_code == 2
    assert (
        "refusing to write: the result would not be valid (services.api.imgae: unknown key"
        in result.stderr
    )
    assert compose.read_bytes() == REMOTE_API


DEPENDENCIES = {
    "list": (
        b"services:\n  api:\n    image: a\n    depends_on:\n      - db\n",
        [
            "compose.yaml:5:9: error: services.api.depends_on.0: depends on 'db', which is not "
            "a service in this file"
        ],
    ),
    "mapping": (
        b"services:\n  api:\n    image: a\n    depends_on:\n      db:\n"
        b"        condition: service_started\n",
        [
            "compose.yaml:5:7: error: services.api.depends_on.db: depends on 'db', which is "
            "not a service in this file"
        ],
    ),
    "not required": (
        b"services:\n  api:\n    image: a\n    depends_on:\n      db:\n"
        b"        condition: service_started\n        required: false\n",
        [
            "compose.yaml:5:7: error: services.api.depends_on.db: depends on 'db', "
            "which is not a service in this file"
        ],
    ),
    "defined": (
        b"services:\n  api:\n    image: a\n    depends_on: [db]\n  db:\n    image: b\n",
        [],
    ),
}


@pytest.mark.parametrize("text, expected", DEPENDENCIES.values(), ids=DEPENDENCIES.keys())
def test_a_dependency_on_an_undefined_service_is_reported(
    tmp_path: Path, text: bytes, expected: list[str]
) -> None:
    result = validated(tmp_path, text)
    assert result.stderr.splitlines() == (expected or ["compose.yaml: valid"])
    assert result.exit_code == (2 if expected else 0)


PROVIDERS = {
    "a provider instead of an image": (
        b"services:\n  db:\n    provider:\n      type: cloud\n"
        b"      options: {size: 256, tags: [a, b]}\n",
        [],
    ),
    "a provider without its type": (
        b"services:\n  db:\n    provider:\n      options: {a: b}\n",
        ["compose.yaml:4:7: error: services.db.provider: missing required key 'type'"],
    ),
    "neither, nor a provider": (
        b"services:\n  db:\n    ports: ['80']\n",
        [
            "compose.yaml:2:3: error: services.db: has neither 'image' nor "
            "'build'; Compose needs one"
        ],
    ),
}


@pytest.mark.parametrize("text, expected", PROVIDERS.values(), ids=PROVIDERS.keys())
def test_a_service_set_up_by_a_provider_needs_no_image(
    tmp_path: Path, text: bytes, expected: list[str]
) -> None:
    result = validated(tmp_path, text)
    assert result.stderr.splitlines() == (expected or ["compose.yaml: valid"])
    assert result.exit_code == (2 if expected else 0)


WITHOUT_SERVICES = {
    "networks only": b"networks:\n  front: {}\n",
    "an include only": b"include:\n  - other.yaml\n",
    "a name, a version and settings": b"name: demo\nversion: '3'\nx-composeswap: {target: dev}\n",
}


@pytest.mark.parametrize("text", WITHOUT_SERVICES.values(), ids=WITHOUT_SERVICES.keys())
def test_a_file_without_services_is_valid_as_for_docker_compose(
    tmp_path: Path, text: bytes
) -> None:
    (tmp_path / "other.yaml").write_bytes(b"services:\n  web:\n    image: nginx:1.27\n")
    result = validated(tmp_path, text)
    besides = " (with other.yaml)" if b"include" in text else ""
    assert (result.exit_code, result.stderr) == (0, f"compose.yaml: valid{besides}\n")
    assert compose_config(tmp_path / "compose.yaml", "-q").returncode == 0


@pytest.mark.parametrize("command", ["local", "remote"])
def test_a_file_without_services_has_nothing_to_switch(tmp_path: Path, command: str) -> None:
    text = WITHOUT_SERVICES["networks only"]
    (tmp_path / "compose.yaml").write_bytes(text)
    result = run(tmp_path, command)
    assert (result.exit_code, result.stderr) == (0, "compose.yaml: nothing to do\n")
    named = run(tmp_path, command, "api")
    assert (named.exit_code, named.stderr) == (
        2,
        "compose.yaml: error: no service 'api'; services: none\n",
    )
    assert (tmp_path / "compose.yaml").read_bytes() == text


# A service's labels with tabs YAML reads as spaces, or as part of a value.
TABS = {
    "after a key's colon": b"      a:\tx\n",
    "before a comment": b"      a: x\t# c\n",
    "at the end of a line": b"      a: x \t\n",
    "after an anchor and a tag": b"      a: &t\tx\n      b: !!str\t1\n      c:\t*t\t\n",
    "before a key's colon": b"      a\t: x\n",
    "in a flow mapping": b"      {a:\tx,\tb: y\t}\n",
    "at the end of a line of a plain value": b"      a: x\t\n        y\n",
    "inside quotes": b"      a: \"x\t# y\"\t# z\n      b: 'x\t'\t\n",
    "inside a block value": b"      a: |\t# c\n        x\t# y\t\n",
}
# Tabs Compose refuses too, as indentation for what follows.
TABS_REFUSED = {
    "indenting": b"\t  a: x\n",
    "after a '-'": b"      -\ta=x\n",
    "after a '?'": b"      ?\ta\n      : x\n",
    "after a line's leading ':'": b"      ? a\n      :\tx\n",
}
LABELS = b"services:\n  api:\n    image: nginx:1.27\n    labels:\n"


@pytest.mark.parametrize("labels", TABS.values(), ids=TABS.keys())
def test_tabs_compose_accepts_read_as_it_reads_them_by_both_parsers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, labels: bytes
) -> None:
    from composeswap import yamlsource
    from composeswap.text import Source

    result = validated(tmp_path, LABELS + labels)
    assert (result.exit_code, result.stderr) == (0, "compose.yaml: valid\n")
    expected = compose_json(tmp_path / "compose.yaml")["services"]["api"]["labels"]
    for fast in (True, False):
        monkeypatch.setattr(yamlsource, "FAST", fast and yamlsource.FAST)
        document = yamlsource.parse(Source.from_text((LABELS + labels).decode()), "compose.yaml")
        assert document.data["services"]["api"]["labels"] == expected


@pytest.mark.parametrize("labels", TABS_REFUSED.values(), ids=TABS_REFUSED.keys())
def test_tabs_compose_refuses_are_refused(tmp_path: Path, labels: bytes) -> None:
    result = validated(tmp_path, LABELS + labels)
    assert result.exit_code == 2
    assert "a tab character where this YAML reader takes none" in result.stderr
    assert compose_config(tmp_path / "compose.yaml", "-q").returncode != 0
