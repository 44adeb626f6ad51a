"""Fail if a module in src/ is longer than the house limit: a file that long does more than one
job (docs/STYLE: small files with one job). Run by `make lint`."""

from __future__ import annotations

import sys
from pathlib import Path

LIMIT = 450
SOURCE = Path(__file__).resolve().parent.parent / "src"


def too_long(root: Path = SOURCE, limit: int = LIMIT) -> list[tuple[Path, int]]:
    """The modules under `root` with more than `limit` lines, longest first."""
    found = []
    for path in root.rglob("*.py"):
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines > limit:
            found.append((path.relative_to(root), lines))
    return sorted(found, key=lambda item: -item[1])


def main() -> int:
    found = too_long()
    for path, lines in found:
        print(f"{path}: {lines} lines (the limit is {LIMIT}): split it by job", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
