"""ilpnode.ilp exposes exactly its __all__ (STYLE rule 21)."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path
from types import ModuleType

import ilpnode.ilp as ilp


def _names_bound_in_init() -> set[str]:
    tree = ast.parse(Path(ilp.__file__).read_text())
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.ImportFrom):
            names.update(alias.asname or alias.name for alias in node.names)
        elif isinstance(node, ast.Import):
            names.update(alias.asname or alias.name.partition(".")[0] for alias in node.names)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.FunctionDef | ast.ClassDef):
            names.add(node.name)
    return names


def test_all_matches_public_names() -> None:
    public = {name for name in _names_bound_in_init() if not name.startswith("_")}
    assert set(ilp.__all__) == public
    assert len(ilp.__all__) == len(set(ilp.__all__))


def test_every_name_resolves() -> None:
    module = importlib.import_module("ilpnode.ilp")
    for name in module.__all__:
        assert getattr(module, name) is not None


def test_module_namespace_has_no_stray_public_names() -> None:
    # Subpackages (ilpnode.ilp.stream) appear as attributes once imported; they are public by
    # their own __all__.
    stray = {
        name
        for name, value in vars(ilp).items()
        if not name.startswith("_")
        and name not in ilp.__all__
        and not (isinstance(value, ModuleType) and value.__name__ == f"ilpnode.ilp.{name}")
    }
    assert stray == set()


def test_private_modules_declare_all() -> None:
    package = Path(ilp.__file__).parent
    for path in sorted(package.glob("_*.py")):
        if path.name == "__init__.py":
            continue
        module = importlib.import_module(f"ilpnode.ilp.{path.stem}")
        assert isinstance(getattr(module, "__all__", None), list), path.name
        for name in module.__all__:
            assert hasattr(module, name), f"{path.name}: {name}"
        # From the source: a compiled module (tools/build_compiled.py) has no __doc__.
        doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))
        assert doc, path.name
        assert "RFC" in doc, path.name
