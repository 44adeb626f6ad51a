"""A payment's money on the ledger: funded in one transfer, its packets reserved and posted from
its own account, settled (fee to the operator, the rest back): the source is debited exactly
sent + fee, idempotently, and after a crash the ledger alone tells the amounts."""

from __future__ import annotations

import pytest

from ilpnode.accounting import PacketAccounting, PacketTransfer, TransferError
from ilpnode.services.outgoing_payments import (
    PaymentMoney,
    SendingFee,
    fee_charged,
    payment_transfer_id,
)

from .fakes import Books, books


@pytest.fixture
async def world() -> Books:
    return await books()


async def packet(world: Books, source_amount: int, funding_account: object) -> PacketTransfer:
    reserved = await PacketAccounting(ledger=world.ledger).create_packet_transfer(
        source=funding_account,  # type: ignore[arg-type]
        destination=world.peer,
        source_amount=source_amount,
        destination_amount=source_amount,
        timeout_seconds=35,
    )
    assert isinstance(reserved, PacketTransfer), reserved
    return reserved


async def test_funded_sent_settled_the_source_pays_sent_plus_fee(world: Books) -> None:
    money = PaymentMoney(ledger=world.ledger)
    fee = SendingFee(fixed=2, basis_points=100)
    payment, funding = world.payment(requested_debit=300, send_target=295, fee=fee)
    assert await money.funded(funding) is False
    assert await money.fund(funding, 300) is None
    assert await money.fund(funding, 300) is None  # again: the same transfer, nothing more
    assert await money.funded(funding) is True
    assert (await world.balance(world.wallet.account_id))[3] == 200
    for amount, fulfilled in ((100, True), (50, False), (120, True)):
        reserved = await packet(world, amount, funding.account)
        assert await (reserved.post() if fulfilled else reserved.void()) is None
    assert await money.pending(funding) == 0
    settled = await money.settle(
        funding,
        fee_for=lambda sent: fee_charged(sent, fee, requested_debit=300, send_target=295),
    )
    assert (settled.sent, settled.fee, settled.refund) == (220, 2 + 3, 300 - 220 - 5)
    assert (await world.balance(world.wallet.account_id))[3] == 500 - 225
    assert (await world.balance(world.asset.liquidity_account_id))[3] == 1000 + 5
    assert await world.balance(funding.account.account_id) == (300, 300, 0, 0)
    again = await money.settle(funding, fee_for=lambda sent: 999)  # already settled: kept
    assert again == settled
    assert payment.id == funding.payment_id


async def test_insufficient_balance_moves_nothing(world: Books) -> None:
    money = PaymentMoney(ledger=world.ledger)
    _, funding = world.payment(requested_debit=501)
    assert await money.fund(funding, 501) is TransferError.InsufficientBalance
    assert await money.funded(funding) is False
    assert (await world.balance(world.wallet.account_id))[3] == 500
    assert await money.available(world.wallet.account_id) == 500


async def test_a_payment_that_sent_everything_without_fee_settles_with_no_transfer(
    world: Books,
) -> None:
    money = PaymentMoney(ledger=world.ledger)
    _, funding = world.payment(requested_debit=200, send_target=200)
    await money.fund(funding, 200)
    assert await (await packet(world, 200, funding.account)).post() is None
    settled = await money.settle(funding, fee_for=lambda sent: 0)
    assert (settled.sent, settled.fee, settled.refund) == (200, 0, 0)
    assert (
        await world.ledger.lookup_transfers(
            [
                payment_transfer_id(funding.payment_id, "fee"),
                payment_transfer_id(funding.payment_id, "refund"),
            ]
        )
        == []
    )
    assert (await money.settle(funding, fee_for=lambda sent: 0)) == settled


async def test_settling_with_reservations_pending_is_a_bug(world: Books) -> None:
    money = PaymentMoney(ledger=world.ledger)
    _, funding = world.payment()
    await money.fund(funding, 300)
    await packet(world, 100, funding.account)  # in flight
    with pytest.raises(RuntimeError, match="reservations pending"):
        await money.settle(funding, fee_for=lambda sent: 0)
    world.clock.advance(36)  # the reservation times out, as after a crash
    assert await money.pending(funding) == 0
    settled = await money.settle(funding, fee_for=lambda sent: 0)
    assert (settled.sent, settled.refund) == (0, 300)
    assert (await world.balance(world.wallet.account_id))[3] == 500


async def test_the_ids_are_derived_from_the_payment(world: Books) -> None:
    _, funding = world.payment()
    steps = {int(payment_transfer_id(funding.payment_id, s)) for s in ("funding", "fee", "refund")}
    assert len(steps) == 3
    assert int(funding.account.account_id) not in steps
    assert funding.account.account_id != funding.payment_id.int  # never a client-chosen id
