"""A packet whose next hop fails leaves no exception behind, compiled or not.

`make test` runs these on the mypyc build and again on the Python sources. Compiled, a coroutine
that awaited, returned or raised from inside an `except`/`finally` block left the exception it
handled as the thread's current one, so every later exception chained onto it: a chain that grew
with each failed packet (memory, and time spent walking it), and that confused the HTTP server's
own refusals (a 413 answered as 400). See tests/unit/test_compiled_handlers.py for the rule.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from fractions import Fraction

import pytest

from ilpnode.connector.errors import PeerUnreachable, TransferTimedOut
from ilpnode.connector.types import Reply
from ilpnode.ilp import Fulfill, Prepare, Reject

from .harness import make_world, reject_code


def _assert_no_current_exception() -> None:
    assert sys.exc_info() == (None, None, None)
    with pytest.raises(LookupError) as fresh:
        raise LookupError("fresh")
    assert fresh.value.__context__ is None  # raised with nothing current to chain onto


def _raise(error: Exception) -> Callable[[Prepare], Reply]:
    def answer(_prepare: Prepare) -> Reply:
        raise error

    return answer


@pytest.mark.parametrize(
    ("answer", "code"),
    [
        (_raise(PeerUnreachable("peer unreachable")), "T01"),
        (_raise(TransferTimedOut("packet expired.")), "R00"),
        (_raise(RuntimeError("a bug")), "T00"),
        (lambda _p: Fulfill(fulfillment=b"\x01" * 32), "F05"),
        (lambda _p: Reject(code="F99", triggered_by="test.bob", message="no"), "F99"),
    ],
    ids=["unreachable", "timed-out", "bug", "wrong-fulfillment", "reject"],
)
async def test_a_failed_packet_leaves_no_current_exception(
    answer: Callable[[Prepare], Reply], code: str
) -> None:
    world = await make_world(suspend=True)
    world.hop.answer = answer
    for _ in range(3):
        reply = await world.send(world.prepare("test.bob.x", 10))
        assert isinstance(reply, Reject)
        assert reply.code == code
        _assert_no_current_exception()
    assert await world.liquidity("alice") == 1_000  # every reservation went back


async def test_a_missing_rate_leaves_no_current_exception() -> None:
    world = await make_world(rates={"USD": {"GBP": Fraction(1)}}, suspend=True)
    assert reject_code(await world.send(world.prepare("test.carol.x", 10))) == (
        "F07",
        "test.node",
    )
    _assert_no_current_exception()
