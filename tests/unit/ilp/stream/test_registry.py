"""ReceiverConnections: a bounded, idle-expiring registry of receiver connections."""

from __future__ import annotations

import pytest

from ilpnode.ilp.stream import (
    ConnectionToken,
    FulfillDecision,
    ReceiverConnection,
    ReceiverConnections,
    ReceiverLimits,
    StreamMoney,
)

from .sender import Sender


def token(name: str) -> ConnectionToken:
    return ConnectionToken(token=name, shared_secret=name.encode().ljust(32, b"."), payment_tag=b"")


def test_the_same_token_gets_the_same_state() -> None:
    registry = ReceiverConnections()
    first = registry.connection(token("a"), now=0.0)
    assert registry.connection(token("a"), now=1.0) is first
    assert registry.connection(token("b"), now=1.0) is not first
    assert len(registry) == 2
    assert "a" in registry
    assert registry.get("a") is first
    assert registry.get("zzz") is None


def test_state_survives_between_packets() -> None:
    registry = ReceiverConnections()
    tok = token("a")
    sender = Sender(tok.shared_secret)
    for now in (0.0, 1.0):
        conn = registry.connection(tok, now=now)
        data, condition = sender.prepare(StreamMoney(1, 1))
        decision = conn.decide(data=data, amount=5, execution_condition=condition, iv=sender.iv())
        assert isinstance(decision, FulfillDecision)
    assert registry.connection(tok, now=2.0).total_received == 10


def test_idle_connections_are_forgotten() -> None:
    registry = ReceiverConnections(idle_timeout=10.0)
    a = registry.connection(token("a"), now=0.0)
    registry.connection(token("b"), now=5.0)
    assert registry.expire(now=9.9) == 0
    assert registry.expire(now=10.0) == 1
    assert "a" not in registry
    assert "b" in registry
    assert registry.connection(token("a"), now=10.0) is not a  # starts afresh


def test_use_keeps_a_connection_alive() -> None:
    registry = ReceiverConnections(idle_timeout=10.0)
    a = registry.connection(token("a"), now=0.0)
    registry.connection(token("b"), now=1.0)
    assert registry.connection(token("a"), now=8.0) is a
    assert registry.expire(now=12.0) == 1  # b, idle since 1.0
    assert "a" in registry
    assert "b" not in registry


def test_the_least_recently_used_makes_room_when_full() -> None:
    registry = ReceiverConnections(max_connections=2)
    registry.connection(token("a"), now=0.0)
    registry.connection(token("b"), now=1.0)
    registry.connection(token("a"), now=2.0)
    registry.connection(token("c"), now=3.0)
    assert len(registry) == 2
    assert "b" not in registry
    assert {"a", "c"} == {k for k in ("a", "b", "c") if k in registry}


def test_forget() -> None:
    registry = ReceiverConnections()
    registry.connection(token("a"), now=0.0)
    assert registry.forget("a")
    assert not registry.forget("a")
    assert len(registry) == 0


def test_limits_asset_and_factory() -> None:
    limits = ReceiverLimits(max_concurrent_streams=1)
    registry = ReceiverConnections(limits=limits)
    conn = registry.connection(token("a"), now=0.0, asset=("EUR", 2))
    assert conn.max_stream_id == 2
    made: list[ConnectionToken] = []

    def factory(tok: ConnectionToken) -> ReceiverConnection:
        made.append(tok)
        return ReceiverConnection(tok.shared_secret)

    other = registry.connection(token("b"), now=0.0, factory=factory)
    assert made == [token("b")]
    assert other.max_stream_id == 20


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [({"max_connections": 0}, "max_connections"), ({"idle_timeout": 0.0}, "idle_timeout")],
)
def test_bad_bounds_are_refused(kwargs: dict[str, float], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        ReceiverConnections(**kwargs)  # type: ignore[arg-type]
