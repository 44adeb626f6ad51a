"""Interop tests run the JS reference implementations, installed from the npm registry."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

JS_DIR = Path(__file__).resolve().parent / "js"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if Path(str(item.fspath)).is_relative_to(Path(__file__).parent):
            item.add_marker(pytest.mark.interop)


@pytest.fixture(scope="session")
def js_dir() -> Path:
    """`tests/interop/js` with its pinned npm packages installed (`npm ci` on first use)."""
    npm = shutil.which("npm")
    if shutil.which("node") is None or npm is None:
        pytest.fail("interop tests need node and npm on PATH (.ci/run installs them)")
    if not _installed(JS_DIR):
        subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=JS_DIR,
            check=True,
            timeout=300,
        )
    return JS_DIR


def _installed(directory: Path) -> bool:
    """npm's record of what it installed exists and is newer than the lock file."""
    hidden = directory / "node_modules" / ".package-lock.json"
    lock = directory / "package-lock.json"
    return hidden.exists() and hidden.stat().st_mtime >= lock.stat().st_mtime


def run_node(js_dir: Path, script: str, request: dict[str, Any]) -> Any:
    """Run `node js/<script>` with `request` as JSON on stdin; its stdout parsed as JSON."""
    result = subprocess.run(
        ["node", script],
        cwd=js_dir,
        input=json.dumps(request),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)
