"""`Connector.send_local`: the node's own payment packets enter below the incoming peer's
checks, from the payment's own ledger account, and are routed, converted, reserved, posted and
forwarded like any packet; unfulfillable ones (probes) reserve nothing."""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction
from uuid import uuid4

import pytest

from ilpnode.accounting import OutgoingPaymentAccount
from ilpnode.ilp import Fulfill, Reject
from ilpnode.ledger import AccountId, Transfer, TransferId
from ilpnode.peer_table import ForwardingPeer
from tests.unit.ilp.stream.sender import Sender

from .harness import CONDITION, World, make_world, reject_code
from .test_stream_receiver import stream_prepare

FUNDS = 300


@pytest.fixture
async def world() -> World:
    return await make_world(rates={"USD": {"EUR": Fraction(9, 10)}}, receiving=True)


async def payment_source(world: World, funds: int = FUNDS) -> ForwardingPeer:
    """An outgoing payment in USD funded with `funds` from the USD asset's liquidity."""
    usd = world.peers["bob"]
    payment_id = uuid4()
    account = OutgoingPaymentAccount.for_payment(
        payment_id=payment_id, asset_id=usd.asset_id, ledger=usd.account.ledger
    )
    [created] = await world.ledger.create_accounts([account.account()])
    assert created.ok
    [funded] = await world.ledger.create_transfers(
        [
            Transfer(
                id=TransferId(uuid4().int),
                debit_account_id=account.settlement_account_id,
                credit_account_id=account.account_id,
                amount=funds,
                ledger=account.ledger,
                code=1,
            )
        ]
    )
    assert funded.ok
    return ForwardingPeer(
        id=payment_id,
        name=f"payment {payment_id}",
        static_ilp_address="test.node",
        asset_id=usd.asset_id,
        asset_code="USD",
        asset_scale=2,
        max_packet_amount=None,
        endpoint="",
        outgoing_token="",
        account=account,
    )


async def balances(world: World, account_id: AccountId) -> tuple[int, int, int]:
    """(credits posted, debits posted, debits pending) of an account."""
    [account] = await world.ledger.lookup_accounts([account_id])
    return account.credits_posted, account.debits_posted, account.debits_pending


async def test_a_money_packet_is_reserved_from_the_payment_and_posted(world: World) -> None:
    source = await payment_source(world)
    reply = await world.connector.send_local(
        source, world.prepare("test.bob.x", 120), fulfillable=True
    )
    assert isinstance(reply, Fulfill), reply
    [(peer, forwarded)] = world.hop.sent
    assert (peer.name, forwarded.amount) == ("bob", 120)
    assert await balances(world, source.account.account_id) == (FUNDS, 120, 0)
    assert await world.liquidity("bob") == 1_120
    assert world.metrics.traffic() == []  # the peers' metrics count peers' packets only


async def test_another_asset_is_converted_at_the_nodes_rate(world: World) -> None:
    source = await payment_source(world)
    reply = await world.connector.send_local(
        source, world.prepare("test.carol.x", 100), fulfillable=True
    )
    assert isinstance(reply, Fulfill), reply
    [(peer, forwarded)] = world.hop.sent
    assert (peer.name, forwarded.amount) == ("carol", 9_000)  # 1.00 USD -> 0.9000 EUR
    assert await balances(world, source.account.account_id) == (FUNDS, 100, 0)
    assert await world.liquidity("carol") == 10_000


async def test_a_rejected_packet_debits_nothing(world: World) -> None:
    source = await payment_source(world)
    world.hop.answer = lambda _p: Reject(code="F99", triggered_by="test.bob", message="no")
    reply = await world.connector.send_local(
        source, world.prepare("test.bob.x", 120), fulfillable=True
    )
    assert isinstance(reply, Reject)
    assert (reply.code, reply.triggered_by) == ("F99", "test.bob")
    assert await balances(world, source.account.account_id) == (FUNDS, 0, 0)


async def test_more_than_the_funds_is_t04_and_nothing_leaves(world: World) -> None:
    source = await payment_source(world)
    reply = await world.connector.send_local(
        source, world.prepare("test.bob.x", FUNDS + 1), fulfillable=True
    )
    assert reject_code(reply) == ("T04", "test.node")
    assert world.hop.sent == []
    assert await balances(world, source.account.account_id) == (FUNDS, 0, 0)


async def test_an_unfulfillable_probe_beyond_the_funds_is_forwarded_without_reserving(
    world: World,
) -> None:
    source = await payment_source(world)
    world.hop.answer = lambda _p: Reject(code="F99", triggered_by="test.bob", message="probe")
    probe = replace(world.prepare("test.bob.x", 10**12), execution_condition=bytes(32))
    reply = await world.connector.send_local(source, probe, fulfillable=False)
    assert isinstance(reply, Reject)
    assert reply.code == "F99"
    [(_, forwarded)] = world.hop.sent
    assert forwarded.amount == 10**12
    assert await balances(world, source.account.account_id) == (FUNDS, 0, 0)
    assert await world.liquidity("bob") == 1_000


async def test_a_wrong_fulfillment_on_the_unfulfillable_path_is_still_refused(
    world: World,
) -> None:
    source = await payment_source(world)
    probe = replace(world.prepare("test.bob.x", 10), execution_condition=bytes(32))
    reply = await world.connector.send_local(source, probe, fulfillable=False)
    assert reject_code(reply) == ("F05", "test.node")  # the hop's Fulfill does not match


async def test_no_route_is_f02_from_this_node(world: World) -> None:
    source = await payment_source(world)
    reply = await world.connector.send_local(
        source, world.prepare("test.nobody.x", 10), fulfillable=True
    )
    assert reject_code(reply) == ("F02", "test.node")


async def test_a_wallet_address_on_this_node_receives_from_the_payment(world: World) -> None:
    source = await payment_source(world)
    credentials = world.connect("eur")
    sender = Sender(credentials.shared_secret)
    probe = stream_prepare(world, credentials, sender, 10**9, fulfillable=False)
    reply = await world.connector.send_local(source, probe, fulfillable=False)
    assert reject_code(reply) == ("F99", "test.node")
    assert isinstance(reply, Reject)
    assert sender.read(reply).prepare_amount == 9 * 10**10  # the rate, learnt unreserved
    money = stream_prepare(world, credentials, sender, 200)
    reply = await world.connector.send_local(source, money, fulfillable=True)
    assert isinstance(reply, Fulfill), reply
    assert await world.balance("eur") == 18_000
    assert await balances(world, source.account.account_id) == (FUNDS, 200, 0)
    assert world.hop.sent == []


async def test_the_money_path_checks_the_condition_too(world: World) -> None:
    source = await payment_source(world)
    world.hop.answer = lambda _p: Fulfill(fulfillment=bytes(32))
    assert world.prepare("test.bob.x", 1).execution_condition == CONDITION
    reply = await world.connector.send_local(
        source, world.prepare("test.bob.x", 50), fulfillable=True
    )
    assert reject_code(reply) == ("F05", "test.node")
    assert await balances(world, source.account.account_id) == (FUNDS, 0, 0)
