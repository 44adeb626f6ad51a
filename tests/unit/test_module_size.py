"""The module-size check that `make lint` runs."""

from __future__ import annotations

from pathlib import Path

from tools.check_module_size import too_long


def test_a_module_over_the_limit_is_named_with_its_length(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "short.py").write_text("x = 1\n" * 3)
    (tmp_path / "pkg" / "long.py").write_text("x = 1\n" * 5)
    assert too_long(tmp_path, limit=4) == [(Path("pkg/long.py"), 5)]


def test_a_module_at_the_limit_passes(tmp_path: Path) -> None:
    (tmp_path / "edge.py").write_text("x = 1\n" * 4)
    assert too_long(tmp_path, limit=4) == []
