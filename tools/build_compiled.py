"""Compile the packet path with mypyc: `python tools/build_compiled.py [--if-stale] [--mode M]`.

`make setup` runs it (and so `make run` and `make test`). The modules in `MODULES` (the ILP
codec, the ledger engine, the pipeline and its middlewares, the connector's HTTP server and
client, the embedded ledger and its log) become C extensions next to their sources, which Python
imports in preference to the `.py` files: the node spends less CPU per packet (how much:
docs/benchmarks.md). The build also writes `src/ilpnode/_compiled.json`, the SHA-256 of every
source it read; `ilpnode.compiled.activate()`, which every entry point calls before it imports
the packet path, checks it and runs the Python sources whenever one of them changed since, so
an edit is never shadowed by an old build. `--if-stale` rebuilds only
then (the check takes milliseconds; the build about a minute).

`--mode auto` (the default) warns and leaves the node on pure Python when the build fails (no C
compiler or Python headers: Debian's `gcc` and `python3-dev`); `--mode require` fails instead
(CI); `--mode off` removes any build.

The ledger's records (`ledger/model.py`, `ledger/statuses.py`) are compiled too: native classes,
whose fields compiled code reads without a lookup. Their dataclass `__init__` stays Python
code, so the engine's own records are built by storing the fields directly, in the one module
that knows how (`ledger/trusted.py`).

Left out of `MODULES`, each for a reason the test suite showed or mypyc gave:
- the rest of `ilp/` (only the Prepare and reply codecs are compiled, behind public functions
  that copy any bytes-like input to bytes, and the forwarding rewrite, whose public
  `rewrite_prepare_ms` takes bytes only): its public codec accepts bytearray and memoryview
  and turns every decoding failure into its own error types, where compiled code would raise
  TypeError;
- `connector/errors.py`: its exception classes set `code` per subclass, which compiled
  exception classes lose;
- package `__init__` files, and everything off the packet path.

Compiled, two things differ at the edges, and the tests that meet them say so: an argument of
the wrong type raises TypeError at the call, and a bool passed for an int arrives as 0 or 1.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src"
sys.path.insert(0, str(SRC))

from ilpnode.compiled import MANIFEST, SOURCE_ROOT, source_digests  # noqa: E402

MODULES = [
    "ilpnode.clock",
    "ilpnode.deadline_timer",
    "ilpnode.ilp._condition",
    "ilpnode.ilp._prepare_codec",
    "ilpnode.ilp._reply_codec",
    "ilpnode.ilp._prepare_rewrite",
    "ilpnode.ilp._timestamp",
    "ilpnode.ledger.engine",
    "ilpnode.ledger.invariants",
    "ilpnode.ledger.limits",
    "ilpnode.ledger.memory",
    "ilpnode.ledger.model",
    "ilpnode.ledger.ports",
    "ilpnode.ledger.replay",
    "ilpnode.ledger.rules",
    "ilpnode.ledger.seed",
    "ilpnode.ledger.state",
    "ilpnode.ledger.statuses",
    "ilpnode.peer_table",
    "ilpnode.ledger.trusted",
    "ilpnode.ledger.watching",
    "ilpnode.connector.directory",
    "ilpnode.connector.http_client",
    "ilpnode.connector.ilp_http_app",
    "ilpnode.connector.ilp_server",
    "ilpnode.connector.metrics",
    "ilpnode.connector.peer_client",
    "ilpnode.connector.pipeline",
    "ilpnode.connector.port",
    "ilpnode.connector.routing",
    "ilpnode.connector.token_index",
    "ilpnode.connector.types",
    "ilpnode.connector.middleware.balance",
    "ilpnode.connector.middleware.errors",
    "ilpnode.connector.middleware.expiry",
    "ilpnode.connector.middleware.local",
    "ilpnode.connector.middleware.max_packet_amount",
    "ilpnode.connector.middleware.peer_protocols",
    "ilpnode.connector.middleware.rate_limit",
    "ilpnode.connector.middleware.router",
    "ilpnode.accounting.errors",
    "ilpnode.accounting.packets",
    "ilpnode.storage.ledger.balance_reports",
    "ilpnode.storage.ledger.embedded",
    "ilpnode.storage.ledger.log_codec",
    "ilpnode.storage.ledger.log_file",
    "ilpnode.storage.ledger.log_journal",
    "ilpnode.storage.ledger.sync_process",
]
GROUP = "ilpnode_native"  # the shared library: src/ilpnode_native__mypyc.*.so
BUILD = ROOT / "build" / "mypyc"  # generated C, objects and the linked extensions


def relative(module: str) -> str:
    return "/".join(module.split(".")) + ".py"


def sources_read(modules: list[str]) -> list[str]:
    """The compiled modules' files and every ilpnode module they import, transitively (with the
    packages' `__init__` files on the way)."""
    seen: set[str] = set()
    pending = [relative(module) for module in modules]
    while pending:
        path = pending.pop()
        if path in seen or not (SOURCE_ROOT / path).is_file():
            continue
        seen.add(path)
        parts = path.split("/")
        pending.extend("/".join((*parts[:depth], "__init__.py")) for depth in range(1, len(parts)))
        tree = ast.parse((SOURCE_ROOT / path).read_text(), path)
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = _absolute(node, parts)
                names = [base, *(f"{base}.{alias.name}" for alias in node.names)]
            else:
                continue
            for name in names:
                if name.split(".")[0] == "ilpnode":
                    pending.append(relative(name))
                    pending.append(relative(name)[: -len(".py")] + "/__init__.py")
    seen.discard("ilpnode/compiled.py")  # imported by `ilpnode/__init__`, used by none of them
    return sorted(seen)


def _absolute(node: ast.ImportFrom, parts: list[str]) -> str:
    """The module an import-from names, relative imports resolved from the file's package."""
    if not node.level:
        return node.module or ""
    package = parts[: len(parts) - node.level]  # parts ends with the file's name
    return ".".join([*package, *([node.module] if node.module else [])])


def is_current() -> bool:
    try:
        record = json.loads(MANIFEST.read_text())
    except (OSError, ValueError):
        return False
    if record.get("modules") != MODULES or record.get("python") != sys.version:
        return False
    sources = record.get("sources", {})
    if sorted(sources) != sources_read(MODULES) or source_digests(sources) != sources:
        return False
    return all((SOURCE_ROOT / path).is_file() for path in record.get("extensions", []))


def remove_build() -> None:
    MANIFEST.unlink(missing_ok=True)
    for path in SOURCE_ROOT.glob("ilpnode*__mypyc.*"):
        path.unlink()
    for path in (SOURCE_ROOT / "ilpnode").rglob("*"):
        if path.suffix in (".so", ".pyd"):
            path.unlink()


def build() -> None:
    remove_build()
    sources = sources_read(MODULES)
    digests = source_digests(sources)  # before compiling: an edit during the build shows later
    started = time.monotonic()
    # In a child process, from src/: mypyc names modules by their path from the working
    # directory, and setuptools' build_ext --inplace writes each extension next to its source.
    script = (
        "import sys\n"
        "from setuptools import setup\n"
        "from mypyc.build import mypycify\n"
        f"paths = {[relative(module) for module in MODULES]!r}\n"
        f"setup(name='ilpnode-native', ext_modules=mypycify(paths, opt_level='3',"
        f" group_name={GROUP!r}, target_dir={str(BUILD / 'c')!r}),"
        f" script_args=['build_ext', '--inplace', '--build-temp', {str(BUILD / 'temp')!r},"
        f" '--build-lib', {str(BUILD / 'lib')!r}, '--parallel', '{os.cpu_count() or 1}'])\n"
    )
    if subprocess.run([sys.executable, "-c", script], cwd=SOURCE_ROOT, check=False).returncode:
        raise RuntimeError("mypyc or the C compiler stopped with an error (above)")
    extensions = sorted(
        str(path.relative_to(SOURCE_ROOT))
        for pattern in (f"{GROUP}__mypyc.*", "ilpnode/**/*.so")
        for path in SOURCE_ROOT.glob(pattern)
    )
    expected = {relative(module)[: -len(".py")] for module in MODULES}
    built = {path.split(".", 1)[0] for path in extensions}
    if not expected <= built:
        raise RuntimeError(f"the build made no extension for {sorted(expected - built)}")
    record = {"python": sys.version, "modules": MODULES, "extensions": extensions}
    MANIFEST.write_text(json.dumps({**record, "sources": digests}, indent=1) + "\n")
    print(f"compiled {len(MODULES)} modules in {time.monotonic() - started:.0f} s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--if-stale", action="store_true", help="build only if out of date")
    parser.add_argument("--mode", choices=("auto", "require", "off"), default="auto")
    args = parser.parse_args()
    if args.mode == "off":
        remove_build()
        print("compiled modules removed: the node runs its Python sources")
        return 0
    if args.if_stale and is_current():
        return 0
    try:
        build()
    except (OSError, RuntimeError) as error:
        remove_build()
        if args.mode == "require":
            print(f"error: the mypyc build failed: {error}", file=sys.stderr)
            return 1
        print(
            f"warning: the mypyc build failed ({error}); the node runs its Python sources,"
            " correct but slower. It needs a C compiler and the Python headers"
            " (Debian: apt-get install gcc python3-dev).",
            file=sys.stderr,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
