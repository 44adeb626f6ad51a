"""ilpnode.ilp.stream exposes exactly its __all__, and its private modules declare theirs."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import ilpnode.ilp.stream as stream


def test_all_matches_the_names_bound_in_init() -> None:
    tree = ast.parse(Path(stream.__file__).read_text())
    bound = {
        alias.asname or alias.name
        for node in tree.body
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
    }
    assert set(stream.__all__) == {name for name in bound if not name.startswith("_")}
    assert len(stream.__all__) == len(set(stream.__all__))
    stray = {n for n in vars(stream) if not n.startswith("_") and n not in stream.__all__}
    assert stray == set()


def test_private_modules_declare_all_and_cite_the_rfc() -> None:
    for path in sorted(Path(stream.__file__).parent.glob("_*.py")):
        if path.name == "__init__.py":
            continue
        module = importlib.import_module(f"ilpnode.ilp.stream.{path.stem}")
        assert isinstance(getattr(module, "__all__", None), list), path.name
        for name in module.__all__:
            assert hasattr(module, name), f"{path.name}: {name}"
        doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))
        assert doc, path.name
        assert "RFC" in doc, path.name
