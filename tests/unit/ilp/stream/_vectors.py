"""Loading the STREAM vectors copied into tests/vectors/ (see its README)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

VECTORS = Path(__file__).resolve().parents[3] / "vectors"


def load(name: str) -> list[dict[str, Any]]:
    vectors: list[dict[str, Any]] = json.loads((VECTORS / name).read_text())["vectors"]
    return vectors


def params(name: str) -> list[Any]:
    return [pytest.param(v, id=f"{i}-{v['description'][:50]}") for i, v in enumerate(load(name))]
