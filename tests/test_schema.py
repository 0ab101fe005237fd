"""The vendored schemas, and violations a user can act on."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from composeswap.schema import (
    COMPOSE_SCHEMA,
    CONFIG_SCHEMA,
    Violation,
    compose_violations,
    config_violations,
    is_valid_compose,
    is_valid_config,
    load_schema,
    validator_class,
)
from tests.helpers import CORPUS_FILES, ROOT

SCHEMAS = ROOT / "schemas"


def service(**keys: object) -> dict[str, Any]:
    return {"services": {"api": keys}}


# ---------------------------------------------------------------------------------------------
# Compose schema


def test_a_minimal_document_is_valid() -> None:
    document = service(image="nginx", build={"context": ".", "target": "dev"})
    assert compose_violations(document) == []
    assert is_valid_compose(document)


def test_a_misspelt_service_key_is_named_with_a_suggestion() -> None:
    assert compose_violations(service(imgae="nginx")) == [
        Violation(("services", "api", "imgae"), "unknown key 'imgae' (did you mean 'image'?)", True)
    ]


def test_a_misspelt_build_key_is_found_inside_the_string_or_mapping_alternative() -> None:
    document = service(build={"context": ".", "targt": "dev"})
    assert not is_valid_compose(document)
    assert compose_violations(document) == [
        Violation(
            ("services", "api", "build", "targt"),
            "unknown key 'targt' (did you mean 'target'?)",
            points_at_key=True,
        )
    ]


def test_every_problem_of_the_chosen_alternative_is_reported() -> None:
    document = service(build={"context": ".", "target": 5, "zzz": 1})
    assert set(compose_violations(document)) == {
        Violation(("services", "api", "build", "target"), "expected a string, got a number"),
        Violation(("services", "api", "build", "zzz"), "unknown key 'zzz'", points_at_key=True),
    }


def test_a_bad_value_does_not_make_its_siblings_unknown_keys() -> None:
    # jsonschema's unevaluatedProperties would call `image` and `environment` unexpected too.
    document = service(image=1, environment={"A": "b"})
    assert compose_violations(document) == [
        Violation(("services", "api", "image"), "expected a string, got a number")
    ]


@pytest.mark.parametrize(
    ("document", "path", "message"),
    [
        (
            service(build=1),
            ("services", "api", "build"),
            "expected a string or a mapping, got a number",
        ),
        (service(image=None), ("services", "api", "image"), "expected a string, got null"),
        ({"services": []}, ("services",), "expected a mapping, got a list"),
        ({"services": {"api": True}}, ("services", "api"), "expected a mapping, got a boolean"),
        (
            service(depends_on={"db": {"condition": "up"}}),
            ("services", "api", "depends_on", "db", "condition"),
            "invalid value 'up': expected one of "
            "'service_started', 'service_healthy', 'service_completed_successfully'",
        ),
        ({"jobs": {"once": {"image": "x"}}}, ("jobs", "once"), "missing required key 'triggers'"),
    ],
)
def test_messages_speak_yaml(document: object, path: tuple[str | int, ...], message: str) -> None:
    assert compose_violations(document) == [Violation(path, message)]


def test_a_service_name_outside_the_pattern_points_at_the_name() -> None:
    [violation] = compose_violations({"services": {"my api": {"image": "x"}}})
    assert violation.path == ("services", "my api")
    assert violation.points_at_key
    assert violation.message.startswith("invalid name 'my api': must match ")


def test_integer_keys_are_checked_and_reported_as_the_document_holds_them() -> None:
    document = {"services": {8080: {"image": None, "environment": {1: "one"}}}}
    assert compose_violations(document) == [
        Violation(("services", 8080, "image"), "expected a string, got null")
    ]


@pytest.mark.parametrize("file", CORPUS_FILES, ids=lambda file: file.parent.name)
def test_every_corpus_file_is_valid(file: Path) -> None:
    document = YAML(typ="safe", pure=True).load(file)
    assert compose_violations(document) == []
    assert is_valid_compose(document)


def test_the_corpus_is_there() -> None:
    assert len(CORPUS_FILES) >= 30


# Keys near the real ones, so that most documents reach deep into the schema.
_KEYS = ["image", "imgae", "build", "context", "target", "ports", "environment", "x-a", "8080"]
_SCALARS = (
    st.none() | st.booleans() | st.integers(-2, 9000) | st.sampled_from(["", "a", "dev", "-"])
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.sampled_from(_KEYS) | st.integers(0, 3), inner, max_size=4)
    ),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(["api", "db", "my api"]), _VALUES, max_size=2))
def test_violations_exist_exactly_when_the_document_is_invalid(services: dict[str, Any]) -> None:
    document = {"services": services, "x-composeswap": services.get("db")}
    assert is_valid_compose(document) == (compose_violations(document) == [])
    assert is_valid_config(document) == (config_violations(document) == [])


# ---------------------------------------------------------------------------------------------
# composeswap's settings schema


def test_good_settings_are_valid() -> None:
    document = {
        "x-composeswap": {
            "image": "${DOCKER_REGISTRY}/{service}:${IMAGE_TAG}-{target}",
            "context": "../{service}",
            "target": "dev",
        },
        "services": {
            "api": {"x-composeswap": {"target": "build_2.stage-x"}},
            "odd": "not a mapping",
        },
    }
    assert config_violations(document) == []
    assert is_valid_config(document)


@pytest.mark.parametrize(
    ("values", "key", "message", "points_at_key"),
    [
        ({"imgae": "x"}, "imgae", "unknown key 'imgae' (did you mean 'image'?)", True),
        ({"context": ""}, "context", "must not be empty", False),
        ({"image": 3}, "image", "expected a string, got a number", False),
        (
            {"target": "dev stage"},
            "target",
            "invalid Dockerfile stage name 'dev stage': must match ^[A-Za-z0-9][A-Za-z0-9_.-]*$",
            False,
        ),
        (
            {"target": "-dev"},
            "target",
            "invalid Dockerfile stage name '-dev': must match ^[A-Za-z0-9][A-Za-z0-9_.-]*$",
            False,
        ),
    ],
)
def test_bad_settings_are_reported_at_top_level_and_per_service(
    values: dict[str, object], key: str, message: str, points_at_key: bool
) -> None:
    top = {"x-composeswap": values}
    own = {"services": {"api": {"x-composeswap": values}}}
    assert config_violations(top) == [Violation(("x-composeswap", key), message, points_at_key)]
    assert config_violations(own) == [
        Violation(("services", "api", "x-composeswap", key), message, points_at_key)
    ]
    assert not is_valid_config(top)


def test_settings_must_be_a_mapping() -> None:
    assert config_violations({"x-composeswap": None}) == [
        Violation(("x-composeswap",), "expected a mapping, got null")
    ]


# ---------------------------------------------------------------------------------------------
# The vendored files


@pytest.mark.parametrize("name", [COMPOSE_SCHEMA, CONFIG_SCHEMA])
def test_the_validator_follows_the_schemas_own_draft(name: str) -> None:
    schema = load_schema(name)
    cls = validator_class(name)
    assert cls.META_SCHEMA["$id"].rstrip("#") == schema["$schema"].rstrip("#")
    cls.check_schema(schema)


def test_the_compose_schema_is_2020_12_so_unevaluated_properties_count() -> None:
    assert load_schema(COMPOSE_SCHEMA)["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_the_vendored_schema_matches_the_sha256_in_the_readme() -> None:
    readme = (SCHEMAS / "README.md").read_text("utf-8")
    recorded = re.search(r"^- sha256: ([0-9a-f]{64})$", readme, re.MULTILINE)
    assert recorded, "schemas/README.md has no '- sha256: ...' line"
    content = (SCHEMAS / COMPOSE_SCHEMA).read_bytes()
    assert hashlib.sha256(content).hexdigest() == recorded.group(1)


def test_the_wheel_ships_the_schemas(tmp_path: Path) -> None:
    # Built from a copy so that build/ and *.egg-info never land in the working tree.
    source = tmp_path / "source"
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info")
    for name in ("composeswap", "schemas"):
        shutil.copytree(ROOT / name, source / name, ignore=ignore)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    # No isolation: an isolated build would fetch setuptools from PyPI, and tests are offline.
    build = [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(tmp_path)]
    done = subprocess.run([*build, str(source)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"building the wheel failed:\n{done.stdout}\n{done.stderr}"
    [wheel] = tmp_path.glob("composeswap-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
    assert "composeswap/schemas/compose-spec.json" in names
    assert "composeswap/schemas/composeswap.json" in names
    assert "composeswap/schemas/LICENSE.compose-spec" in names
    # Installed from the wheel alone, the package finds and uses its schemas.
    site = tmp_path / "site"
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(site)
    check = (
        f"import sys; sys.path.insert(0, {str(site)!r}); "
        "from composeswap import schema; "
        f"assert schema.__file__.startswith({str(site)!r}), schema.__file__; "
        "assert schema.is_valid_compose({'services': {'api': {'image': 'nginx'}}}); "
        "assert not schema.is_valid_compose({'services': {'api': {'imgae': 'nginx'}}}); "
        "assert schema.is_valid_config({'x-composeswap': {'target': 'dev'}})"
    )
    done = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr


# ---------------------------------------------------------------------------------------------
# scripts/refresh_schema.py, offline


@pytest.fixture(scope="module")
def refresh() -> ModuleType:
    script = ROOT / "scripts" / "refresh_schema.py"
    spec = importlib.util.spec_from_file_location("refresh_schema", script)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    # dataclasses looks the defining module up in sys.modules while the class is being made.
    sys.modules[spec.name] = module
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[spec.name]
    return module


def fake_wheel(folder: Path, schema: bytes, recorded: str) -> Path:
    wheel = folder / "check_jsonschema-9.9.9-py3-none-any.whl"
    vendor = "check_jsonschema/builtin_schemas/vendor"
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr(f"{vendor}/compose-spec.json", schema)
        archive.writestr(f"{vendor}/sha256/compose-spec.sha256", recorded + "\n")
        archive.writestr(f"{vendor}/licenses/LICENSE.compose-spec", "Apache License\nVersion 2.0\n")
    return wheel


def test_refresh_takes_the_schema_and_version_from_the_wheel(refresh: Any, tmp_path: Path) -> None:
    schema = json.dumps({"$schema": "https://json-schema.org/draft/2020-12/schema"}).encode()
    vendored = refresh.extract(fake_wheel(tmp_path, schema, hashlib.sha256(schema).hexdigest()))
    assert (vendored.version, vendored.content) == ("9.9.9", schema)
    assert vendored.draft == "https://json-schema.org/draft/2020-12/schema"


def test_refresh_refuses_a_schema_that_does_not_match_its_recorded_sha256(
    refresh: Any, tmp_path: Path
) -> None:
    with pytest.raises(refresh.RefreshError, match="sha256"):
        refresh.extract(fake_wheel(tmp_path, b"{}", "0" * 64))


def test_refresh_rewrites_only_the_labelled_line(refresh: Any) -> None:
    text = "- Version: 0.1\n- sha256: old\nsha256 elsewhere\n"
    expected = "- Version: 0.1\n- sha256: new\nsha256 elsewhere\n"
    assert refresh.replace_line(text, "sha256", "new") == expected
    with pytest.raises(refresh.RefreshError, match="no line"):
        refresh.replace_line(text, "$schema", "x")


def test_refresh_says_so_when_pypi_cannot_be_reached(
    refresh: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Port 9 (discard) on loopback refuses at once: no traffic leaves the machine. download()
    # rather than main(), so that nothing could overwrite the vendored files.
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("PIP_INDEX_URL", "http://127.0.0.1:9/simple")
    for name in ("PIP_FIND_LINKS", "PIP_EXTRA_INDEX_URL", "PIP_NO_INDEX"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(refresh.RefreshError, match="PyPI could not be reached"):
        refresh.download("check-jsonschema", tmp_path)


def test_refresh_audits_the_vendored_schemas_on_request(
    refresh: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    assert refresh.main(["--audit-only"]) == 0
    assert "every keyword of the vendored schemas is implemented" in capsys.readouterr().out


def test_refresh_lists_each_keyword_the_fast_check_leaves_to_jsonschema(
    refresh: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "compose-spec.json").write_text('{"properties": {"a": {"not": {}}}}', "utf-8")
    (tmp_path / "composeswap.json").write_text('{"dependentRequired": {}}', "utf-8")
    assert refresh.report_audit(refresh.audit(tmp_path)) == refresh.AUDIT_FOUND_UNHANDLED
    report = capsys.readouterr().err
    assert "compose-spec.json: not at #/properties/a" in report
    assert "composeswap.json: dependentRequired at #" in report


def test_refresh_audits_the_schemas_as_composeswap_loads_them(refresh: Any, tmp_path: Path) -> None:
    """Flattened: a service's unevaluatedProperties costs nothing, one left in place is listed."""
    definitions = {
        "spec": {"properties": {"image": {}}},
        "service": {"allOf": [{"$ref": "#/$defs/spec"}], "unevaluatedProperties": False},
    }
    compose = {"$defs": definitions, "properties": {"a": {"$ref": "#/$defs/service"}}}
    (tmp_path / "compose-spec.json").write_text(json.dumps(compose), "utf-8")
    (tmp_path / "composeswap.json").write_text('{"unevaluatedProperties": false}', "utf-8")
    found = refresh.audit(tmp_path)
    assert found["compose-spec.json"] == []
    assert [str(keyword) for keyword in found["composeswap.json"]] == ["unevaluatedProperties at #"]
