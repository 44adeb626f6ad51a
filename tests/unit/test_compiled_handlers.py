"""The rule that keeps compiled coroutines from leaking exceptions (docs/operations.md,
"Compiled code and exceptions").

Compiled with mypyc, a coroutine that awaits, returns or raises a new exception from inside an
`except` or `finally` block leaves the exception it was handling set as the thread's current
exception. Every later exception on the event loop then chains onto it (`__context__`), a chain
that only grows: memory, and time spent walking it, after every packet whose next hop failed.
So in the compiled modules an async function's handlers only record what happened (or re-raise
it bare); the await, the return or the new exception comes after the block.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

from tools.build_compiled import MODULES

SOURCE_ROOT = Path(__file__).resolve().parents[2] / "src"


def _handler_bodies(function: ast.AsyncFunctionDef) -> Iterator[tuple[str, list[ast.stmt]]]:
    for node in ast.walk(function):
        if isinstance(node, ast.Try | ast.TryStar):
            for handler in node.handlers:
                yield "except", handler.body
            if node.finalbody:
                yield "finally", node.finalbody


def _violations(source: str) -> list[str]:
    found = []
    for function in ast.walk(ast.parse(source)):
        if not isinstance(function, ast.AsyncFunctionDef):
            continue
        for block, body in _handler_bodies(function):
            for statement in body:
                for node in ast.walk(statement):
                    what = None
                    if isinstance(node, ast.Await | ast.AsyncWith | ast.AsyncFor):
                        what = "awaits"
                    elif isinstance(node, ast.Return):
                        what = "returns"
                    elif isinstance(node, ast.Raise) and node.exc is not None:
                        what = "raises a new exception"
                    if what is not None:
                        line = getattr(node, "lineno", 0)
                        found.append(f"line {line}: {function.name} {what} in {block}")
    return found


@pytest.mark.parametrize("module", MODULES)
def test_compiled_coroutines_leave_handlers_before_awaiting_returning_or_raising(
    module: str,
) -> None:
    source = (SOURCE_ROOT / (module.replace(".", "/") + ".py")).read_text()
    assert _violations(source) == []


def test_the_rule_sees_each_shape_it_forbids() -> None:
    source = """
async def f():
    try:
        await g()
    except KeyError:
        await h()
    except ValueError:
        return 1
    except TypeError:
        raise RuntimeError("x") from None
    except OSError:
        raise
    finally:
        async with lock:
            pass
"""
    assert _violations(source) == [
        "line 6: f awaits in except",
        "line 8: f returns in except",
        "line 10: f raises a new exception in except",
        "line 14: f awaits in finally",
    ]
