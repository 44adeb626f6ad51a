"""The choice between the mypyc build and the Python sources (`ilpnode.compiled`)."""

from __future__ import annotations

import hashlib
import importlib.machinery
import json
import os
import pickle
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from ilpnode import compiled
from tools.build_compiled import MODULES, sources_read

SUFFIX = importlib.machinery.EXTENSION_SUFFIXES[0]


@pytest.fixture
def tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A source root with one compiled module, `ilpnode.fast`, and its build record."""
    package = tmp_path / "ilpnode"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "fast.py").write_text("VALUE = 'source'\n")
    (package / f"fast{SUFFIX}").write_bytes(b"not really an extension")
    record = {
        "python": "3",
        "modules": ["ilpnode.fast"],
        "extensions": [f"ilpnode/fast{SUFFIX}"],
        "sources": {
            "ilpnode/fast.py": hashlib.sha256(b"VALUE = 'source'\n").hexdigest(),
        },
    }
    (package / "_compiled.json").write_text(json.dumps(record))
    monkeypatch.setattr(compiled, "SOURCE_ROOT", tmp_path)
    monkeypatch.setattr(compiled, "MANIFEST", package / "_compiled.json")
    monkeypatch.delenv(compiled.PURE_PYTHON_VARIABLE, raising=False)
    return tmp_path


def test_a_current_build_is_used(tree: Path) -> None:
    assert compiled._stale_modules() == ([], "compiled with mypyc (1 modules)")


def test_an_edited_source_sends_every_compiled_module_back_to_its_source(tree: Path) -> None:
    (tree / "ilpnode" / "fast.py").write_text("VALUE = 'edited'\n")
    modules, status = compiled._stale_modules()
    assert modules == ["ilpnode.fast"]
    assert status == "pure Python (changed since the build: ilpnode/fast.py)"


def test_a_deleted_source_counts_as_changed(tree: Path) -> None:
    (tree / "ilpnode" / "fast.py").unlink()
    assert compiled._stale_modules()[0] == ["ilpnode.fast"]


def test_a_missing_extension_means_the_sources(tree: Path) -> None:
    (tree / "ilpnode" / f"fast{SUFFIX}").unlink()
    modules, status = compiled._stale_modules()
    assert modules == ["ilpnode.fast"]
    assert status.startswith("pure Python (missing: ilpnode/fast.")


def test_the_variable_forces_the_sources(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(compiled.PURE_PYTHON_VARIABLE, "1")
    forced = "pure Python (ILPNODE_PURE_PYTHON is set)"
    assert compiled._stale_modules() == (["ilpnode.fast"], forced)
    monkeypatch.setenv(compiled.PURE_PYTHON_VARIABLE, "0")
    assert compiled._stale_modules()[0] == []


def test_extensions_without_a_record_are_never_imported(tree: Path) -> None:
    (tree / "ilpnode" / "_compiled.json").unlink()
    modules, status = compiled._stale_modules()
    assert modules == ["ilpnode.fast"]
    assert "without a build record" in status
    (tree / "ilpnode" / f"fast{SUFFIX}").unlink()
    assert compiled._stale_modules() == ([], "pure Python (not built)")


def test_an_unreadable_record_means_the_sources(tree: Path) -> None:
    (tree / "ilpnode" / "_compiled.json").write_text("{not json")
    modules, status = compiled._stale_modules()
    assert modules == ["ilpnode.fast"]
    assert "unreadable" in status


def test_the_finder_loads_the_listed_modules_from_their_sources(tree: Path) -> None:
    finder = compiled._FromSource(["ilpnode.fast"])
    spec = finder.find_spec("ilpnode.fast", None)
    assert spec is not None
    assert spec.origin == str(tree / "ilpnode" / "fast.py")
    assert isinstance(spec.loader, importlib.machinery.SourceFileLoader)
    assert finder.find_spec("ilpnode.other", None) is None


def test_the_build_records_every_source_the_compiled_modules_import() -> None:
    sources = sources_read(MODULES)
    # The engine is compiled; its records' module is not, and mypyc reads its types.
    assert "ilpnode/ledger/engine.py" in sources
    assert "ilpnode/ledger/model.py" in sources
    assert "ilpnode/ledger/__init__.py" in sources
    assert "ilpnode/ilp/_packet.py" in sources
    assert "ilpnode/compiled.py" not in sources
    assert "ilpnode/dashboard/app.py" not in sources  # off the packet path
    assert all((compiled.SOURCE_ROOT / path).is_file() for path in sources)


def test_importing_the_package_reads_no_file_and_installs_no_hook() -> None:
    """`import ilpnode` decides nothing: the entry points call `activate()`."""
    probe = (
        "import sys\n"
        "opened = []\n"
        "sys.addaudithook(lambda event, args: opened.append(str(args[0]))"
        " if event == 'open' else None)\n"
        "hooks = list(sys.meta_path)\n"
        "import ilpnode\n"
        "print(json.dumps({'hooks_unchanged': sys.meta_path == hooks, 'opened': opened}))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", "import json\n" + probe],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": str(compiled.SOURCE_ROOT)},
    )
    report = json.loads(result.stdout)
    assert report["hooks_unchanged"]
    package = compiled.SOURCE_ROOT / "ilpnode"
    # Its own `__init__` (source or cached bytecode) and nothing else: no build record, no
    # extension, no package metadata.
    assert report["opened"]
    for path in map(Path, report["opened"]):
        assert path.parent in (package, package / "__pycache__"), path
        assert path.name.startswith("__init__."), path


def test_activating_after_a_compiled_module_was_imported_fails(
    tree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tree / "ilpnode" / "fast.py").write_text("VALUE = 'edited'\n")
    monkeypatch.setattr(compiled, "_activated", False)
    monkeypatch.setitem(sys.modules, "ilpnode.fast", ModuleType("ilpnode.fast"))
    with pytest.raises(RuntimeError, match=r"after ilpnode\.fast was imported"):
        compiled.activate()
    assert not compiled._activated


def test_a_spawned_target_runs_after_the_choice(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[object, ...]] = []
    monkeypatch.setattr(compiled, "_activated", False)

    def activate() -> str:
        calls.append(("activate",))
        return ""

    monkeypatch.setattr(compiled, "activate", activate)
    monkeypatch.setattr(compiled, "_record", lambda *args: calls.append(args), raising=False)
    compiled.run_activated("ilpnode.compiled:_record", pickle.dumps((1, "two")), "three")
    assert calls == [("activate",), (1, "two", "three")]


def test_decided_says_whether_an_entry_point_chose(
    tree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(compiled, "_activated", False)
    monkeypatch.setattr(compiled, "STATUS", compiled.STATUS)
    assert not compiled.decided()  # the node's start-up then warns (serve.py)
    assert compiled.activate() == "compiled with mypyc (1 modules)"
    assert compiled.decided()
