"""Whether the packet path runs compiled (mypyc) or from its Python sources.

Theory of operation
===================

`tools/build_compiled.py` (run by `make setup`) compiles the hot modules with mypyc into C
extensions next to their sources, and writes `_compiled.json` beside this file: the modules it
compiled, the extension files it made, and the SHA-256 of every source the build read (the
modules and every ilpnode module they import, whose types and `Final` constants mypyc may have
built into the extensions).

Python imports an extension in preference to a `.py` of the same name, so an edited source
would silently run as its old build. `activate()` rules that out: unless every recorded source
is unchanged and every extension is present, it installs an import hook that loads each
compiled module from its `.py` instead. All or none: compiled modules call each other directly,
so a mix would still run the old code of the others. Extensions found without a build record
are treated the same way. `ILPNODE_PURE_PYTHON=1` forces the sources (the test suite's
pure-Python pass uses it).

`import ilpnode` decides nothing (it reads no file and installs no hook): each entry point
calls `activate()` before it imports any compiled module. They are `ilpnode.__main__` (the
`ilpnode` command and `python -m ilpnode`), `run_activated` (the target of every spawned
process: `--workers`), the bench scripts, and the tests' top-level `conftest.py` and the
worker scripts they start. `activate()` refuses to decide after a compiled module was imported,
so an entry point that activates too late fails at once instead of running an old build.

`STATUS` says which it is, for the node's start-up log line and the benchmarks.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import json
import os
import pickle
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any, Final

__all__ = [
    "MANIFEST",
    "SOURCE_ROOT",
    "STATUS",
    "activate",
    "decided",
    "run_activated",
    "running_compiled",
    "source_digests",
]

SOURCE_ROOT: Final = Path(__file__).resolve().parent.parent  # the directory holding `ilpnode/`
MANIFEST: Final = Path(__file__).with_name("_compiled.json")
PURE_PYTHON_VARIABLE: Final = "ILPNODE_PURE_PYTHON"

STATUS = "not decided (ilpnode.compiled.activate() was not called)"
_activated = False


def source_digests(paths: Iterable[str]) -> dict[str, str]:
    """SHA-256 of each source file, by its path relative to `SOURCE_ROOT` ("" if missing)."""
    digests = {}
    for relative in paths:
        try:
            digests[relative] = hashlib.sha256((SOURCE_ROOT / relative).read_bytes()).hexdigest()
        except OSError:
            digests[relative] = ""
    return digests


def module_source(module: str) -> Path:
    """The `.py` file of a (non-package) ilpnode module."""
    return SOURCE_ROOT.joinpath(*module.split(".")).with_suffix(".py")


class _FromSource(importlib.abc.MetaPathFinder):
    """Finds the listed modules as their `.py` files, ahead of the extensions beside them."""

    def __init__(self, modules: Iterable[str]) -> None:
        self._modules = frozenset(modules)

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname not in self._modules:
            return None
        return importlib.util.spec_from_file_location(fullname, module_source(fullname))


def running_compiled() -> bool:
    """True if the compiled modules are in use (mypyc's semantics differ at the edges: an
    argument of the wrong type raises TypeError at the call, and a bool passed as an int
    arrives as 0 or 1)."""
    return STATUS.startswith("compiled")


def decided() -> bool:
    """True once `activate()` has chosen between the build and the sources in this process."""
    return _activated


def activate() -> str:
    """Decide between the build and the sources (see the module docstring), once per process;
    returns `STATUS`. Raises RuntimeError if a module it would send back to its source was
    imported already: the entry point that called it must call it before its imports."""
    global STATUS, _activated
    if _activated:
        return STATUS
    modules, reason = _stale_modules()
    early = sorted(module for module in modules if module in sys.modules)
    if early:
        raise RuntimeError(
            f"ilpnode.compiled.activate() was called after {', '.join(early)} was imported;"
            " call it first in the entry point"
        )
    if modules:
        sys.meta_path.insert(0, _FromSource(modules))
    STATUS = reason
    _activated = True
    return STATUS


def run_activated(target: str, arguments: bytes, *passed: object) -> None:
    """`activate()`, then call `target` ("module:function") with the pickled `arguments` and
    then `passed`: the target of a spawned process. Unpickling a function, or a value of an
    ilpnode class, imports its module, so both wait until the choice is made; `passed` is for
    what only multiprocessing can pickle (a `Connection`)."""
    activate()
    module, _, name = target.partition(":")
    function = getattr(importlib.import_module(module), name)
    function(*pickle.loads(arguments), *passed)


def _stale_modules() -> tuple[list[str], str]:
    """The compiled modules to load from source instead, and the status that results."""
    try:
        record: dict[str, Any] = json.loads(MANIFEST.read_text())
        modules: list[str] = list(record["modules"])
        extensions: list[str] = list(record["extensions"])
        sources: dict[str, str] = dict(record["sources"])
    except FileNotFoundError:
        strays = _stray_extensions()
        if strays:
            return strays, "pure Python (extensions without a build record; rebuild them)"
        return [], "pure Python (not built)"
    except (OSError, ValueError, KeyError, TypeError):
        return _stray_extensions(), "pure Python (unreadable build record; rebuild it)"
    if os.environ.get(PURE_PYTHON_VARIABLE, "") not in ("", "0"):
        return modules, f"pure Python ({PURE_PYTHON_VARIABLE} is set)"
    changed = [path for path, digest in source_digests(sources).items() if sources[path] != digest]
    if changed:
        return modules, f"pure Python (changed since the build: {', '.join(sorted(changed))})"
    missing = [path for path in extensions if not (SOURCE_ROOT / path).is_file()]
    if missing:
        return modules, f"pure Python (missing: {', '.join(sorted(missing))})"
    return [], f"compiled with mypyc ({len(modules)} modules)"


def _stray_extensions() -> list[str]:
    suffixes = tuple(importlib.machinery.EXTENSION_SUFFIXES)
    package = SOURCE_ROOT / "ilpnode"
    strays = []
    for path in package.rglob("*"):
        if path.name.endswith(suffixes):
            stem = path.name.split(".", 1)[0]
            relative = path.parent.relative_to(SOURCE_ROOT).parts
            strays.append(".".join((*relative, stem)))
    return strays
