"""The service's sweep at start: a node alone on its database ends every unfinished payment at
once; a node sharing it waits until the dead process's lease ran out."""

from __future__ import annotations

import asyncio
from fractions import Fraction
from uuid import UUID

import pytest

from ilpnode.accounting import PacketAccounting, PacketTransfer
from ilpnode.services.outgoing_payments import (
    OutgoingPaymentService,
    OutgoingPaymentState,
    PaymentMoney,
)

from .fakes import Books, MemoryPaymentStore, WallClock, books, lease


@pytest.fixture
async def world() -> Books:
    return await books()


def service(
    world: Books, store: MemoryPaymentStore, *, only_process: bool
) -> OutgoingPaymentService:
    return OutgoingPaymentService(
        store=store,
        money=PaymentMoney(ledger=world.ledger, poll_seconds=0),
        path=None,  # type: ignore[arg-type]  # the sweep sends nothing
        resolve_receiver=None,  # type: ignore[arg-type]
        wallet_addresses=None,  # type: ignore[arg-type]
        assets=None,  # type: ignore[arg-type]
        fees=None,  # type: ignore[arg-type]
        clock=WallClock(world.clock),
        owner="me",
        slippage=Fraction(1, 100),
        only_process=only_process,
    )


async def settled(store: MemoryPaymentStore, payment_id: UUID) -> OutgoingPaymentState:
    """The payment's state once the sweep's recovery had its turns (100 turns of the loop)."""
    for _ in range(100):
        await asyncio.sleep(0)
    found = await store.get(payment_id)
    assert found is not None
    return found.state


@pytest.mark.parametrize("only_process", [True, False])
async def test_the_sweep_at_start(world: Books, only_process: bool) -> None:
    store = MemoryPaymentStore()
    payment, funding = world.payment(requested_debit=300, send_target=300)
    await store.insert(payment, owner="dead", lease_until=lease(world.clock, 20))
    await PaymentMoney(ledger=world.ledger).fund(funding, 300)
    reserved = await PacketAccounting(ledger=world.ledger).create_packet_transfer(
        source=funding.account,
        destination=world.peer,
        source_amount=120,
        destination_amount=120,
        timeout_seconds=35,
    )
    assert isinstance(reserved, PacketTransfer)
    await reserved.post()
    payments = service(world, store, only_process=only_process)
    await payments.start()
    try:
        state = await settled(store, payment.id)
        if only_process:  # alone on the database: nothing of it can still run elsewhere
            assert state is OutgoingPaymentState.FAILED
            final = await payments.get(payment.id)
            assert final is not None
            assert (final.sent, final.fee) == (120, 0)
            assert store.owner_of(payment.id) == "me"
            assert (await world.balance(world.wallet.account_id))[3] == 500 - 120
        else:  # the lease has 20 s to go: the other process may be alive
            assert state is OutgoingPaymentState.SENDING
            assert store.owner_of(payment.id) == "dead"
    finally:
        await payments.close(timeout_seconds=1)
