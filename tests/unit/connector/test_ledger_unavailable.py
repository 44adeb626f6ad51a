"""The ledger unavailable (`LedgerUnavailable`, e.g. its PostgreSQL restarting) on the packet path:
T00 without a traceback, one warning for many packets; the post of a fulfilled packet tried again
while the packet has time, and an outcome still unknown settled by the void where it can be."""

from __future__ import annotations

import logging
from collections.abc import Sequence

import pytest

from ilpnode.connector.middleware.errors import UNAVAILABLE_LOG_SECONDS
from ilpnode.ilp import Fulfill, Reject
from ilpnode.ledger import CreateTransferResult, LedgerUnavailable, MemoryLedger, Transfer

from .harness import Clock, World, make_world, reject_code


class FaultyLedger:
    """The world's ledger, failing the calls `script` says, in order ("ok" when it is empty):
    "down" fails before anything happens, "lost-commit" applies the call, then fails as a
    connection lost during COMMIT does (outcome unknown to the caller). Each call moves the
    world's clock by `seconds_per_call` (time passing while the ledger is away)."""

    def __init__(self, ledger: MemoryLedger) -> None:
        self.ledger = ledger
        self.script: list[str] = []
        self.clock: Clock | None = None
        self.seconds_per_call = 0.0

    async def create_transfers(
        self, transfers: Sequence[Transfer], *, durable: bool = True
    ) -> list[CreateTransferResult]:
        if self.clock is not None:
            self.clock.value_ns += round(self.seconds_per_call * 1e9)
        mode = self.script.pop(0) if self.script else "ok"
        if mode == "down":
            raise LedgerUnavailable("the ledger database is unreachable")
        results = await self.ledger.create_transfers(transfers, durable=durable)
        if mode == "lost-commit":
            raise LedgerUnavailable("connection lost during COMMIT", outcome_unknown=True)
        return results


@pytest.fixture
async def faulty() -> tuple[World, FaultyLedger]:
    wrappers: list[FaultyLedger] = []

    def wrap(ledger: MemoryLedger) -> FaultyLedger:
        wrappers.append(FaultyLedger(ledger))
        return wrappers[0]

    world = await make_world(packet_ledger=wrap)
    wrappers[0].clock = world.clock
    return world, wrappers[0]


def warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]


async def test_no_reservation_is_t00_without_a_traceback_and_one_warning(
    faulty: tuple[World, FaultyLedger], caplog: pytest.LogCaptureFixture
) -> None:
    world, ledger = faulty
    ledger.script = ["down"] * 3
    for _ in range(3):
        reply = await world.send(world.prepare("test.bob.x", 100))
        assert reject_code(reply) == ("T00", "test.node")
        assert isinstance(reply, Reject)
        assert reply.message == "temporarily unavailable"
    assert world.hop.sent == []
    assert await world.liquidity("alice") == 1_000
    assert [r.exc_info for r in caplog.records if r.exc_info] == []
    # One line for the three (the next comes UNAVAILABLE_LOG_SECONDS later at the earliest).
    assert UNAVAILABLE_LOG_SECONDS > 1
    [line] = warnings(caplog)
    assert "the ledger is unavailable" in line
    assert "rejecting packets T00 (1 since the last such warning)" in line


async def test_a_post_is_tried_again_while_the_ledger_is_away(
    faulty: tuple[World, FaultyLedger], caplog: pytest.LogCaptureFixture
) -> None:
    world, ledger = faulty
    ledger.script = ["ok", "down", "down"]  # the reservation, the post twice, then it works
    reply = await world.send(world.prepare("test.bob.x", 100))
    assert isinstance(reply, Fulfill)
    assert (await world.liquidity("alice"), await world.liquidity("bob")) == (900, 1_100)
    assert not [w for w in warnings(caplog) if "the post of a fulfilled packet" in w]


async def test_a_post_that_fails_until_the_packet_expires_is_rejected_and_voided(
    faulty: tuple[World, FaultyLedger], caplog: pytest.LogCaptureFixture
) -> None:
    world, ledger = faulty
    ledger.seconds_per_call = 1.0  # the 10 s packet runs out of time after a few tries
    ledger.script = ["ok", *["down"] * 8]  # the reservation, the posts; the void works
    reply = await world.send(world.prepare("test.bob.x", 100))
    assert reject_code(reply) == ("T00", "test.node")
    assert ledger.script == [], "it tried the post until the packet's time ran out"
    assert len(world.hop.sent) == 1
    assert (await world.liquidity("alice"), await world.liquidity("bob")) == (1_000, 1_000)
    posted = [w for w in warnings(caplog) if "the post of a fulfilled packet" in w]
    assert len(posted) == 1
    assert "may have been committed" not in posted[0]


async def test_a_post_committed_as_its_connection_broke_is_fulfilled_after_all(
    faulty: tuple[World, FaultyLedger], caplog: pytest.LogCaptureFixture
) -> None:
    world, ledger = faulty
    ledger.script = ["ok", "lost-commit", "down"]  # its retry then answers AlreadyPosted
    reply = await world.send(world.prepare("test.bob.x", 100))
    assert isinstance(reply, Fulfill)
    assert (await world.liquidity("alice"), await world.liquidity("bob")) == (900, 1_100)
    assert not [w for w in warnings(caplog) if "the post of a fulfilled packet" in w]


async def test_a_post_whose_retries_ran_out_is_settled_by_the_void(
    faulty: tuple[World, FaultyLedger], caplog: pytest.LogCaptureFixture
) -> None:
    world, ledger = faulty
    ledger.seconds_per_call = 3.0  # 10 s packet, 9 s left for the next hop: one retry
    ledger.script = ["ok", "lost-commit", "down", "ok"]  # reserve, post, retry, void
    reply = await world.send(world.prepare("test.bob.x", 100))
    assert isinstance(reply, Fulfill)  # the void answered AlreadyPosted
    assert ledger.script == []
    assert (await world.liquidity("alice"), await world.liquidity("bob")) == (900, 1_100)
    assert any("yet it had been committed: fulfilling it" in w for w in warnings(caplog))


async def test_an_unknown_post_that_the_void_cannot_settle_is_named_in_a_warning(
    faulty: tuple[World, FaultyLedger], caplog: pytest.LogCaptureFixture
) -> None:
    """The limit of failing closed: the post was committed, the ledger went away before it
    said so and before the void could ask. The sender gets T00 yet paid; the warning says
    which reservation to check."""
    world, ledger = faulty
    ledger.seconds_per_call = 3.0
    ledger.script = ["ok", "lost-commit", "down", "down"]  # reserve, post, retry, void
    reply = await world.send(world.prepare("test.bob.x", 100))
    assert reject_code(reply) == ("T00", "test.node")
    assert ledger.script == []
    assert (await world.liquidity("alice"), await world.liquidity("bob")) == (900, 1_100)
    [posted] = [w for w in warnings(caplog) if "the post of a fulfilled packet" in w]
    assert "the post may have been committed: check pending transfer" in posted


async def test_a_void_that_fails_leaves_the_reservation_to_expire(
    faulty: tuple[World, FaultyLedger], caplog: pytest.LogCaptureFixture
) -> None:
    world, ledger = faulty
    world.hop.answer = lambda _p: Reject(code="F99", triggered_by="test.bob", message="no")
    ledger.script = ["ok", "down"]  # the reservation, the void
    reply = await world.send(world.prepare("test.bob.x", 100))
    assert reject_code(reply) == ("T00", "test.node")
    assert await world.liquidity("alice") == 900  # reserved until the timeout releases it
    assert [r.exc_info for r in caplog.records if r.exc_info] == []
    assert not [w for w in warnings(caplog) if "the post of a fulfilled packet" in w]


async def test_packets_that_move_no_money_still_go_through(
    faulty: tuple[World, FaultyLedger],
) -> None:
    world, ledger = faulty
    ledger.script = ["down"] * 10
    assert isinstance(await world.send(world.prepare("test.bob.x", 0)), Fulfill)
    assert len(ledger.script) == 10  # the ledger was not asked
