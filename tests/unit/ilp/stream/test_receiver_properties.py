"""Properties of the STREAM receiver: money is never created or lost, bad data never raises."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from ilpnode.ilp import MAX_UINT64
from ilpnode.ilp.stream import (
    Frame,
    FulfillDecision,
    ReceiverConnection,
    ReceiverLimits,
    RejectDecision,
    StreamClose,
    StreamData,
    StreamMoney,
)

from .sender import Sender
from .strategies import frames

SECRET = bytes([9]) * 32

money_frames = st.builds(
    StreamMoney, st.integers(0, 12), st.integers(0, 5) | st.integers(0, MAX_UINT64)
)
other_frames = st.one_of(
    st.builds(StreamClose, st.integers(1, 11).map(lambda i: i | 1), st.integers(0, 9)),
    st.builds(
        StreamData,
        st.integers(1, 11).map(lambda i: i | 1),
        st.integers(0, 20_000),
        st.binary(max_size=8),
    ),
)
packets = st.fixed_dictionaries(
    {
        "frames": st.lists(money_frames | other_frames, max_size=5),
        "amount": st.integers(0, 1000) | st.integers(0, MAX_UINT64),
        "min_amount": st.integers(0, 50),
        "fulfillable": st.booleans(),
        "undo": st.booleans(),
    }
)


@settings(max_examples=200)
@given(st.lists(packets, max_size=25), st.integers(1, 10**6))
def test_money_is_never_created(ops: list[dict[str, object]], receive_max: int) -> None:
    conn = ReceiverConnection(
        SECRET, limits=ReceiverLimits(stream_receive_max=receive_max, max_concurrent_streams=4)
    )
    sender = Sender(SECRET)
    credited = 0
    for op in ops:
        request_frames: list[Frame] = op["frames"]  # type: ignore[assignment]
        data, condition = sender.prepare(
            *request_frames,
            min_amount=op["min_amount"],  # type: ignore[arg-type]
            fulfillable=op["fulfillable"],  # type: ignore[arg-type]
        )
        amount: int = op["amount"]  # type: ignore[assignment]
        before = dict(conn.stream_totals())
        decision = conn.decide(
            data=data, amount=amount, execution_condition=condition, iv=sender.iv()
        )
        if isinstance(decision, FulfillDecision):
            assert decision.amount == amount
            assert sum(part for _, part in decision.stream_amounts) == amount
            assert op["fulfillable"]
            assert amount >= op["min_amount"]  # type: ignore[operator]
            if op["undo"]:
                conn.undo(decision)
            else:
                credited += amount
        else:
            assert isinstance(decision, RejectDecision)
            assert dict(conn.stream_totals()) == before  # a Reject changes no stream
        totals = conn.stream_totals()
        assert conn.total_received == credited == sum(totals.values())
        assert all(0 <= total <= receive_max for total in totals.values())


@given(st.binary(max_size=300), st.integers(0, MAX_UINT64), st.binary(min_size=32, max_size=32))
def test_arbitrary_data_gets_a_decision_never_an_exception(
    data: bytes, amount: int, condition: bytes
) -> None:
    conn = ReceiverConnection(SECRET)
    decision = conn.decide(data=data, amount=amount, execution_condition=condition, iv=bytes(12))
    assert isinstance(decision, RejectDecision)
    assert conn.total_received == 0


@settings(max_examples=200)
@given(st.lists(frames, max_size=6), st.integers(0, MAX_UINT64), st.booleans())
def test_any_authentic_packet_gets_a_decision(
    request_frames: list[object], amount: int, fulfillable: bool
) -> None:
    conn = ReceiverConnection(
        SECRET, receipt_nonce=bytes(16), receipt_secret=bytes(32), asset=("X", 1)
    )
    sender = Sender(SECRET)
    data, condition = sender.prepare(*request_frames, fulfillable=fulfillable)  # type: ignore[arg-type]
    decision = conn.decide(data=data, amount=amount, execution_condition=condition, iv=sender.iv())
    reply = sender.read(decision)
    assert reply.sequence == 1
    assert reply.prepare_amount == amount
    assert conn.total_received == (amount if isinstance(decision, FulfillDecision) else 0)
