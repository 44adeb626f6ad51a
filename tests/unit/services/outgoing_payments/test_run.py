"""One payment's run over a fake packet path to our own STREAM receiver, on a memory ledger:
funded only after the probe, packets reserved from the payment's account, settled exactly; and
each refusal between the probe and the money, with nothing debited."""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass
from fractions import Fraction
from uuid import UUID

import pytest

from ilpnode.accounting import PacketAccounting, PacketTransfer
from ilpnode.ilp import Fulfill, Prepare, Reject
from ilpnode.ilp.stream import (
    ConnectionClose,
    FulfillDecision,
    ReceiverConnections,
    SenderLimits,
    StreamCipher,
    StreamPacket,
    decode_stream_packet,
    encode_stream_packet,
    new_connection,
    open_connection,
)
from ilpnode.services.outgoing_payments import (
    ExchangeRateUnavailable,
    NextHop,
    OutgoingPaymentState,
    PaymentMoney,
    PaymentRefused,
    PaymentSource,
    SendingFee,
)
from ilpnode.services.outgoing_payments.run import PaymentRun, RunDeps
from ilpnode.services.payments_sender import SpspReceiver

from .fakes import Books, MemoryPaymentStore, WallClock, books, lease

SERVER_SECRET = bytes([7]) * 32
BASE = "test.receiver"


@dataclass
class ReceiverPath:
    """The connector and a receiver in EUR (scale 2) behind it, at `rate` per unit."""

    world: Books
    path_rate: Fraction = Fraction(1)
    node_rate: Fraction | None = Fraction(1)
    close_on_probe: int | None = None
    """The probe (1..) whose reply closes the connection; probes are answered one by one."""

    def __post_init__(self) -> None:
        self.connections = ReceiverConnections()
        self.credited = 0
        self.probes = 0

    def receiver(self) -> SpspReceiver:
        creds = new_connection(
            SERVER_SECRET, BASE, payment_tag=b"", nonce=secrets.token_bytes(12),
            asset_code="EUR", asset_scale=2,
        )  # fmt: skip
        return SpspReceiver(
            url="https://wallet.example/bob",
            destination_account=creds.destination_account,
            shared_secret=creds.shared_secret,
        )

    async def send(
        self, source: PaymentSource, prepare: Prepare, *, fulfillable: bool
    ) -> Fulfill | Reject:
        reserved = None
        number = 0
        if fulfillable:  # as the connector's Balance: reserve from the payment's account
            made = await PacketAccounting(ledger=self.world.ledger).create_packet_transfer(
                source=source.account,
                destination=self.world.peer,
                source_amount=prepare.amount,
                destination_amount=prepare.amount,
                timeout_seconds=35,
            )
            if not isinstance(made, PacketTransfer):
                return Reject(code="T04", triggered_by="test.node", message=made.value)
            reserved = made
        else:
            self.probes += 1
            number = self.probes
            await asyncio.sleep(0.001 * number)  # answered in the order sent, one at a time
        token = open_connection(SERVER_SECRET, prepare.destination, BASE)
        assert token is not None
        connection = self.connections.connection(token, now=0.0)
        arrived = prepare.amount * self.path_rate.numerator // self.path_rate.denominator
        decision = connection.decide(
            data=prepare.data,
            amount=arrived,
            execution_condition=prepare.execution_condition,
            iv=secrets.token_bytes(12),
        )
        if isinstance(decision, FulfillDecision):
            assert reserved is not None
            assert await reserved.post() is None
            self.credited += decision.amount
            return Fulfill(fulfillment=decision.fulfillment, data=decision.data)
        if reserved is not None:
            await reserved.void()
        data = decision.data
        if not fulfillable and number == self.close_on_probe:
            cipher = StreamCipher(token.shared_secret)
            reply = decode_stream_packet(cipher.decrypt(data))
            closing = StreamPacket(
                sequence=reply.sequence, ilp_packet_type=reply.ilp_packet_type,
                prepare_amount=reply.prepare_amount,
                frames=(*reply.frames, ConnectionClose(0x02, "no thanks")),
            )  # fmt: skip
            data = cipher.encrypt(encode_stream_packet(closing), iv=secrets.token_bytes(12))
        return Reject(code=decision.code, triggered_by=BASE, message="", data=data)

    def next_hop(self, destination: str) -> NextHop | None:
        return NextHop(label="receiver", asset_code="USD", asset_scale=2)

    async def rate(self, base: str, quote: str) -> Fraction:
        if self.node_rate is None:
            raise ExchangeRateUnavailable(f"no exchange rate from {base} to {quote}")
        return self.node_rate


@pytest.fixture
async def world() -> Books:
    return await books()


async def run(
    world: Books, path: ReceiverPath, **payment: object
) -> tuple[PaymentRun, MemoryPaymentStore, UUID]:
    store = MemoryPaymentStore()
    made, funding = world.payment(**payment)  # type: ignore[arg-type]
    await store.insert(made, owner="me", lease_until=lease(world.clock, 30))
    deps = RunDeps(
        store=store,
        money=PaymentMoney(ledger=world.ledger, poll_seconds=0),
        path=path,
        clock=WallClock(world.clock),
        owner="me",
        slippage=Fraction(1, 100),
        limits=SenderLimits(),
    )
    payment_run = PaymentRun(made, receiver=path.receiver(), funding=funding, deps=deps)
    return payment_run, store, made.id


async def test_a_fixed_send_is_funded_after_the_probe_and_settles_exactly(world: Books) -> None:
    path = ReceiverPath(world)
    fee = SendingFee(fixed=2, basis_points=100)
    payment_run, store, payment_id = await run(
        world, path, requested_debit=300, send_target=295, fee=fee
    )
    task = asyncio.create_task(payment_run.run())
    ready = await payment_run.ready
    assert not isinstance(ready, PaymentRefused), ready
    assert ready.state is OutgoingPaymentState.SENDING
    assert (ready.receive_asset_code, ready.receive_asset_scale, ready.max_debit) == ("EUR", 2, 300)
    final = await task
    assert final.state is OutgoingPaymentState.COMPLETED, final.error
    assert (final.sent, final.delivered, final.fee, final.debit_amount) == (295, 295, 5, 300)
    assert await store.get(payment_id) == final
    assert path.credited == 295
    assert (await world.balance(world.wallet.account_id))[3] == 500 - 300
    assert (await world.balance(world.asset.liquidity_account_id))[3] == 1000 + 5


async def test_a_fixed_receive_funds_its_most_and_gives_back_the_rest(world: Books) -> None:
    path = ReceiverPath(world)
    payment_run, _, _ = await run(
        world, path, requested_debit=None, requested_receive=200, send_target=None
    )
    final = await payment_run.run()
    assert final.state is OutgoingPaymentState.COMPLETED, final.error
    assert final.max_debit == 203  # floor((200 + 1) / 0.99): the most it could have sent
    assert (final.sent, final.delivered, final.fee) == (200, 200, 0)
    assert (await world.balance(world.wallet.account_id))[3] == 300


@pytest.mark.parametrize(
    ("path_options", "payment", "code", "message"),
    [
        (
            {"node_rate": None},
            {},
            "BAD_USER_INPUT",
            "no exchange rate from USD to the receiver's asset EUR: no exchange rate from USD "
            "to EUR",
        ),
        (
            {"path_rate": Fraction(1, 2)},
            {},
            "BAD_USER_INPUT",
            "InsufficientExchangeRate: exchange rate 1/2 (~0.5) is below the minimum 99/100 "
            "(~0.99)",
        ),
        (  # the first probe's reply: the probe never ends
            {"close_on_probe": 1},
            {},
            "BAD_USER_INPUT",
            "ClosedByReceiver: the receiver closed the connection (code 2: no thanks)",
        ),
        (  # the last probe's reply: the probe ended with a rate, then the close came
            {"close_on_probe": 10},
            {},
            "BAD_USER_INPUT",
            "ClosedByReceiver: the receiver closed the connection (code 2: no thanks)",
        ),
        (
            {},
            {"requested_debit": None, "requested_receive": 600, "send_target": None},
            "FORBIDDEN",
            "Insufficient transfer balance: the source holds 500, the payment needs up to 607",
        ),
    ],
)
async def test_refused_between_the_probe_and_the_money_nothing_is_debited(
    world: Books, path_options: dict[str, object], payment: dict[str, object], code: str,
    message: str,
) -> None:  # fmt: skip
    path = ReceiverPath(world, **path_options)  # type: ignore[arg-type]
    payment_run, store, payment_id = await run(world, path, **payment)
    final = await payment_run.run()
    assert payment_run.ready.result() == PaymentRefused(code=code, message=message)
    assert final.state is OutgoingPaymentState.FAILED
    assert (final.error, final.sent, final.fee, final.debit_amount) == (message, 0, 0, 0)
    assert await store.get(payment_id) == final
    assert path.probes > 0
    assert path.credited == 0
    assert (await world.balance(world.wallet.account_id))[3] == 500
    assert await PaymentMoney(ledger=world.ledger).funded(payment_run._funding) is False
