"""After a crash: a payment left FUNDING or SENDING is claimed once its lease ran out (or at once
by a node alone on its database) and ended exactly from the ledger."""

from __future__ import annotations

from fractions import Fraction

import pytest

from ilpnode.accounting import PacketAccounting, PacketTransfer
from ilpnode.ilp.stream import SenderLimits
from ilpnode.services.outgoing_payments import OutgoingPaymentState, PaymentMoney, SendingFee
from ilpnode.services.outgoing_payments.recovery import recover
from ilpnode.services.outgoing_payments.run import RunDeps

from .fakes import Books, MemoryPaymentStore, WallClock, books, lease


@pytest.fixture
async def world() -> Books:
    return await books()


def deps(world: Books, store: MemoryPaymentStore, owner: str = "me") -> RunDeps:
    return RunDeps(
        store=store,
        money=PaymentMoney(ledger=world.ledger, poll_seconds=0),
        path=None,  # type: ignore[arg-type]  # recovery sends nothing
        clock=WallClock(world.clock),
        owner=owner,
        slippage=Fraction(1, 100),
        limits=SenderLimits(),
    )


async def test_a_dead_processs_payment_ends_failed_with_what_the_ledger_says(
    world: Books, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = MemoryPaymentStore()
    fee = SendingFee(fixed=1, basis_points=100)
    payment, funding = world.payment(requested_debit=300, send_target=296, fee=fee, delivered=60)
    await store.insert(payment, owner="dead", lease_until=lease(world.clock, 30))
    money = PaymentMoney(ledger=world.ledger)
    await money.fund(funding, 300)
    accounting = PacketAccounting(ledger=world.ledger)
    for amount, post in ((60, True), (40, True), (70, None)):  # the last one: in flight
        reserved = await accounting.create_packet_transfer(
            source=funding.account,
            destination=world.peer,
            source_amount=amount,
            destination_amount=amount,
            timeout_seconds=35,
        )
        assert isinstance(reserved, PacketTransfer)
        if post:
            await reserved.post()
    me = deps(world, store)
    now = WallClock(world.clock).now()
    assert await store.claim_stale(owner="me", now=now, lease_until=lease(world.clock, 30),
                                   every_unfinished=False) == []  # fmt: skip
    world.clock.advance(31)
    [claimed] = await store.claim_stale(
        owner="me", now=WallClock(world.clock).now(), lease_until=lease(world.clock, 30),
        every_unfinished=False,
    )  # fmt: skip
    assert store.owner_of(payment.id) == "me"

    async def expire_meanwhile(_seconds: float) -> None:
        world.clock.advance(5)  # the reservation in flight times out while recovery waits

    monkeypatch.setattr("asyncio.sleep", expire_meanwhile)
    final = await recover(claimed, funding=funding, deps=me)
    assert final.state is OutgoingPaymentState.FAILED
    assert (final.sent, final.fee, final.delivered) == (100, 2, 60)
    assert final.debit_amount == 102
    assert final.error == (
        "the node stopped while sending: recovered at restart, 100 sent (exact, from the "
        "ledger), at least 60 delivered"
    )
    assert await store.get(payment.id) == final
    assert (await world.balance(world.wallet.account_id))[3] == 500 - 102
    assert (await world.balance(world.asset.liquidity_account_id))[3] == 1000 + 2
    assert await world.balance(funding.account.account_id) == (300, 300, 0, 0)


async def test_a_payment_that_had_sent_it_all_recovers_completed(world: Books) -> None:
    store = MemoryPaymentStore()
    payment, funding = world.payment(requested_debit=300, send_target=300)
    await store.insert(payment, owner="me", lease_until=lease(world.clock, 30))
    money = PaymentMoney(ledger=world.ledger)
    await money.fund(funding, 300)
    reserved = await PacketAccounting(ledger=world.ledger).create_packet_transfer(
        source=funding.account,
        destination=world.peer,
        source_amount=300,
        destination_amount=300,
        timeout_seconds=35,
    )
    assert isinstance(reserved, PacketTransfer)
    await reserved.post()
    final = await recover(payment, funding=funding, deps=deps(world, store))
    assert (final.state, final.sent, final.fee, final.error) == (
        OutgoingPaymentState.COMPLETED,
        300,
        0,
        None,
    )


async def test_a_payment_never_funded_fails_having_debited_nothing(world: Books) -> None:
    store = MemoryPaymentStore()
    payment, funding = world.payment(state=OutgoingPaymentState.FUNDING)
    await store.insert(payment, owner="me", lease_until=lease(world.clock, 30))
    final = await recover(payment, funding=funding, deps=deps(world, store))
    assert final.state is OutgoingPaymentState.FAILED
    assert final.error == "interrupted before it was funded: nothing was debited"
    assert (final.sent, final.fee, final.debit_amount) == (0, 0, 0)
    assert (await world.balance(world.wallet.account_id))[3] == 500


async def test_a_settled_payment_whose_row_was_not_written_settles_the_same(
    world: Books,
) -> None:
    store = MemoryPaymentStore()
    fee = SendingFee(fixed=3)
    payment, funding = world.payment(requested_debit=300, send_target=297, fee=fee)
    await store.insert(payment, owner="me", lease_until=lease(world.clock, 30))
    money = PaymentMoney(ledger=world.ledger)
    await money.fund(funding, 300)
    reserved = await PacketAccounting(ledger=world.ledger).create_packet_transfer(
        source=funding.account,
        destination=world.peer,
        source_amount=150,
        destination_amount=150,
        timeout_seconds=35,
    )
    assert isinstance(reserved, PacketTransfer)
    await reserved.post()
    first = await money.settle(funding, fee_for=lambda sent: 3)  # then the process died
    final = await recover(payment, funding=funding, deps=deps(world, store))
    assert (final.sent, final.fee) == (first.sent, first.fee) == (150, 3)
    assert (await world.balance(world.wallet.account_id))[3] == 500 - 153


async def test_a_node_alone_on_its_database_claims_every_unfinished_payment(
    world: Books,
) -> None:
    store = MemoryPaymentStore()
    running, _ = world.payment()
    done, _ = world.payment(state=OutgoingPaymentState.COMPLETED)
    for payment in (running, done):
        await store.insert(payment, owner="before", lease_until=lease(world.clock, 30))
    claimed = await store.claim_stale(
        owner="me", now=WallClock(world.clock).now(), lease_until=lease(world.clock, 30),
        every_unfinished=True,
    )  # fmt: skip
    assert [p.id for p in claimed] == [running.id]
    assert await store.write(running, owner="before", lease_until=None) is False  # not its own
