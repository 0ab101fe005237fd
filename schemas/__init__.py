"""Vendored JSON schemas, installed as composeswap.schemas (package-dir) to ship in the wheel."""
