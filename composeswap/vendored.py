"""Reading the vendored JSON schemas (package ``composeswap.schemas``, the ``schemas/`` folder),
for both the compiled checker and jsonschema: neither imports the other for it."""

from __future__ import annotations

import functools
import importlib.util
import json
from typing import Any


@functools.cache
def load(name: str) -> dict[str, Any]:
    """A vendored schema, read once per process."""
    # The package's folder, found without importlib.resources: its import (with zipfile and
    # tempfile) costs more than a whole switch of a small file.
    spec = importlib.util.find_spec("composeswap.schemas")
    assert spec is not None and spec.submodule_search_locations
    folder = next(iter(spec.submodule_search_locations))
    with open(f"{folder}/{name}", encoding="utf-8") as schema_file:
        schema: dict[str, Any] = json.load(schema_file)
    return schema
