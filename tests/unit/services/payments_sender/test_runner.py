"""`run_payment` pays our own STREAM receiver through an async fake path: ILP packets through
the real codec, a rate, a maximum packet amount that answers F08, concurrent packets."""

from __future__ import annotations

import asyncio
import secrets
from datetime import UTC, datetime, timedelta
from fractions import Fraction

import pytest

from ilpnode.ilp import (
    AmountTooLargeData,
    Fulfill,
    Prepare,
    Reject,
    decode_packet,
    encode_amount_too_large_data,
    encode_fulfill,
    encode_prepare,
    encode_reject,
)
from ilpnode.ilp.stream import (
    FixedReceive,
    FixedSend,
    FulfillDecision,
    ReceiverConnections,
    SenderLimits,
    SendError,
    SenderState,
    SendReport,
    StreamSender,
    Wait,
    new_connection,
    open_connection,
    verify_receipt,
)
from ilpnode.services.payments_sender import run_payment

SERVER_SECRET = bytes([0x42]) * 32
BASE = "test.node.wallets"


class Path:
    """One hop to our receiver: converts at ``rate`` (rounding down), refuses packets above
    ``max_packet`` with F08 (with data), answers a few packets T04; checks each expiry."""

    def __init__(self, *, rate: Fraction, max_packet: int, t04_every: int = 0) -> None:
        self.rate = rate
        self.max_packet = max_packet
        self.t04_every = t04_every
        self.registry = ReceiverConnections()
        self.credited = 0
        self.prepares = 0
        self.in_flight = 0
        self.most_in_flight = 0

    async def send(self, prepare: Prepare) -> Fulfill | Reject:
        wire = decode_packet(encode_prepare(prepare))  # what the link would carry
        assert isinstance(wire, Prepare)
        assert wire.expires_at > datetime.now(UTC) + timedelta(seconds=25)
        self.prepares += 1
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            await asyncio.sleep(0)  # let other packets go out meanwhile
            return decode_packet(self._answer(wire))  # type: ignore[return-value]
        finally:
            self.in_flight -= 1

    def _answer(self, prepare: Prepare) -> bytes:
        if prepare.amount > self.max_packet:
            data = encode_amount_too_large_data(
                AmountTooLargeData(received_amount=prepare.amount, maximum_amount=self.max_packet)
            )
            reject = Reject(code="F08", triggered_by="test.node", message="", data=data)
            return encode_reject(reject)
        if self.t04_every and self.prepares % self.t04_every == 0:
            return encode_reject(Reject(code="T04", triggered_by="test.node", message="busy"))
        token = open_connection(SERVER_SECRET, prepare.destination, BASE)
        assert token is not None
        conn = self.registry.connection(token, now=0.0)
        amount = prepare.amount * self.rate.numerator // self.rate.denominator
        decision = conn.decide(
            data=prepare.data,
            amount=amount,
            execution_condition=prepare.execution_condition,
            iv=secrets.token_bytes(12),
        )
        if isinstance(decision, FulfillDecision):
            self.credited += decision.amount
            return encode_fulfill(Fulfill(fulfillment=decision.fulfillment, data=decision.data))
        return encode_reject(
            Reject(code=decision.code, triggered_by=BASE, message="", data=decision.data)
        )


def sender_for(target: FixedSend | FixedReceive, **limits: object) -> StreamSender:
    creds = new_connection(
        SERVER_SECRET,
        BASE,
        payment_tag=b"wallet-1",
        nonce=secrets.token_bytes(12),
        receipt_nonce=bytes([1]) * 16,
        receipt_secret=bytes([2]) * 32,
        asset_code="EUR",
        asset_scale=2,
    )
    return StreamSender(
        shared_secret=creds.shared_secret,
        destination=creds.destination_account,
        target=target,
        random_bytes=secrets.token_bytes,
        limits=SenderLimits(**limits),  # type: ignore[arg-type]
        receipt_nonce=bytes([1]) * 16,
        receipt_secret=bytes([2]) * 32,
    )


async def test_a_fixed_send_through_a_rate_and_f08s_arrives_exactly() -> None:
    path = Path(rate=Fraction(9, 10), max_packet=1000, t04_every=7)
    progress: list[SendReport] = []
    report = await run_payment(
        sender_for(FixedSend(25_000), backoff_initial_ms=1), path.send, on_progress=progress.append
    )
    assert report.state is SenderState.COMPLETED, report.error_message
    assert report.sent == 25_000
    assert report.delivered == path.credited == 22_500
    assert report.fulfilled == 25
    assert report.rejected["F08"] >= 1
    assert report.rejected["T04"] >= 1
    assert report.max_packet_amount == 1000
    assert report.destination_asset == ("EUR", 2)
    assert report.receipt is not None
    assert report.receipt_verified
    assert verify_receipt(report.receipt, bytes([2]) * 32).total_received == 22_500
    assert 1 < path.most_in_flight <= 10
    assert progress[-1] == report
    assert [p.sent for p in progress] == sorted(p.sent for p in progress)


async def test_a_fixed_receive_through_a_rate_arrives_exactly() -> None:
    path = Path(rate=Fraction(3, 7), max_packet=5000)
    report = await run_payment(sender_for(FixedReceive(12_345)), path.send)
    assert report.state is SenderState.COMPLETED, report.error_message
    assert report.delivered == path.credited == 12_345
    assert report.max_source_amount is not None
    assert 12_345 * 7 // 3 <= report.sent <= report.max_source_amount


async def test_a_path_that_raises_counts_as_t00_and_one_that_hangs_as_r00() -> None:
    calls = 0

    async def broken(prepare: Prepare) -> Fulfill | Reject:
        nonlocal calls
        calls += 1
        if calls % 2:
            raise ConnectionError("link down")
        await asyncio.sleep(3600)
        raise AssertionError("unreachable")

    sender = sender_for(FixedSend(10), packet_expiry_ms=1, probe_timeout_ms=1500)
    report = await run_payment(sender, broken)
    assert report.state is SenderState.FAILED
    assert report.error is SendError.RATE_PROBE_FAILED
    assert report.rejected.get("T00", 0) >= 1
    assert report.rejected.get("R00", 0) >= 1
    assert report.sent == report.delivered == 0


async def test_cancelling_the_runner_cancels_the_packets_in_flight() -> None:
    started = asyncio.Event()
    cancelled = 0

    async def slow(prepare: Prepare) -> Fulfill | Reject:
        nonlocal cancelled
        started.set()
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            cancelled += 1
            raise
        raise AssertionError("unreachable")

    task = asyncio.create_task(run_payment(sender_for(FixedSend(10)), slow))
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await asyncio.sleep(0)
    assert cancelled == 10  # the ten probes


async def test_a_sender_waiting_for_nothing_is_a_bug_not_a_hang() -> None:
    class Stuck:
        def next(self, *, now: float) -> Wait:
            return Wait(None)

    async def never(prepare: Prepare) -> Fulfill | Reject:
        raise AssertionError("nothing is sent")

    with pytest.raises(RuntimeError, match="waits for a reply with none in flight"):
        await run_payment(Stuck(), never)  # type: ignore[arg-type]


async def test_unfulfillable_packets_take_their_own_path_and_the_hook_runs_once_between() -> None:
    path = Path(rate=Fraction(1, 2), max_packet=10**6)
    unfulfillable: list[int] = []
    hooks: list[SendReport] = []

    async def probes(prepare: Prepare) -> Fulfill | Reject:
        unfulfillable.append(prepare.amount)
        return await path.send(prepare)

    async def hook(sender: StreamSender) -> None:
        assert path.prepares == len(unfulfillable)  # every probe answered, no money sent yet
        hooks.append(sender.report())
        sender.set_min_rate(Fraction(49, 100))

    report = await run_payment(
        sender_for(FixedSend(3000)), path.send, send_unfulfillable=probes, before_sending=hook
    )
    assert report.state is SenderState.COMPLETED, report.error_message
    assert (report.sent, report.delivered, report.min_rate) == (3000, 1500, Fraction(49, 100))
    [before] = hooks
    assert before.state is SenderState.SENDING
    assert before.sent == 0
    assert before.destination_asset == ("EUR", 2)
    # The probes (F08 made some probe again) and the close (0) went the unfulfillable way only.
    assert len(unfulfillable) == report.probes + 1
    assert unfulfillable[-1] == 0
    assert path.prepares == len(unfulfillable) + report.fulfilled


async def test_a_hook_that_aborts_sends_no_money_and_closes() -> None:
    path = Path(rate=Fraction(1), max_packet=10**6)

    async def hook(sender: StreamSender) -> None:
        sender.abort("insufficient balance")

    report = await run_payment(sender_for(FixedSend(3000)), path.send, before_sending=hook)
    assert (report.state, report.error, report.sent) == (SenderState.FAILED, SendError.ABORTED, 0)
    assert report.error_message == "insufficient balance"
    assert path.credited == 0
    assert report.packets == report.probes + 1  # the close


async def test_a_hook_that_raises_ends_the_run() -> None:
    path = Path(rate=Fraction(1), max_packet=10**6)

    async def hook(sender: StreamSender) -> None:
        raise RuntimeError("ledger gone")

    with pytest.raises(RuntimeError, match="ledger gone"):
        await run_payment(sender_for(FixedSend(3000)), path.send, before_sending=hook)
    assert path.credited == 0
