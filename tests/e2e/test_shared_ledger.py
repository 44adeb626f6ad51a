"""Two real node processes, P1 and P2, forwarding over one shared ledger in PostgreSQL
(LEDGER_BACKEND=postgres): exact across processes, and whole after one of them is killed.

    sender ──▶ P1 or P2 (test.node) ──▶ fulfiller (test.fulfiller)

The books are read straight from the database (`ledger_accounts`), the one truth both
processes share.
"""

from __future__ import annotations

import asyncio
import signal
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from ilpnode.ilp import Fulfill, Reject, decode_reply, encode_prepare
from ilpnode.storage.database import Database
from tests.integration.ledger import ledger_problems_at
from tests.support import migrated_throwaway_database

from .network import Fulfiller, NodeProcess, fulfiller, prepare_to, restart_node, start_node

pytestmark = [pytest.mark.e2e, pytest.mark.postgres, pytest.mark.slow]

FULFILLER_TOKEN = "fulfiller-in"
PACKET_EXPIRY_SECONDS = 5.0
# Bounds for a hung test only.
SETTLE_SECONDS = 30.0


@dataclass
class Shared:
    p1: NodeProcess
    p2: NodeProcess
    url: str
    usd: str
    fulfiller: Fulfiller
    tmp: Path


@pytest.fixture(scope="module")
def database_url() -> Iterator[str]:
    yield from migrated_throwaway_database()


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory, database_url: str) -> Iterator[Shared]:
    tmp = tmp_path_factory.mktemp("shared-ledger")
    env = {"DATABASE_URL": database_url, "LEDGER_BACKEND": "postgres"}
    with fulfiller(FULFILLER_TOKEN) as downstream:
        p1 = start_node(tmp, "p1", "test.node", **env)
        p2 = start_node(tmp, "p2", "test.node", **env)
        try:
            usd = p1.create_asset("USD", 2)
            p1.create_peer(
                asset_id=usd,
                address="test.fulfiller",
                incoming_token="unused-in",
                outgoing_token=FULFILLER_TOKEN,
                endpoint=downstream.url,
            )
            pair = Shared(p1, p2, database_url, usd, downstream, tmp)
            yield pair
            p2 = pair.p2  # a test may have restarted it
        finally:
            p1.stop()
            p2.stop()
    for node in (p1, p2):
        assert "Traceback" not in node.output(), node.output()


def add_sender(shared: Shared, name: str, liquidity: int) -> tuple[str, str]:
    """A new sending peer with this credit line, known to both processes: (peer id, token)."""
    token = f"{name}-token"
    peer_id = shared.p1.create_peer(
        asset_id=shared.usd,
        address=f"test.{name}",
        incoming_token=token,
        outgoing_token="unused-out",
        endpoint="http://127.0.0.1:9/",
        liquidity=liquidity,
    )
    with httpx.Client(timeout=5) as client:  # until P2's change feed has it
        deadline = time.monotonic() + 5
        while client.post(shared.p2.connector_url, headers=_auth(token)).status_code == 401:
            assert time.monotonic() < deadline, "P2 never learned the new peer"
            time.sleep(0.05)
    return peer_id, token


def books(url: str, peer_id: str) -> tuple[int, int, int]:
    """(debits_pending, debits_posted, credits_posted) of a peer's liquidity account."""
    import uuid

    async def read() -> tuple[int, int, int]:
        database = Database(url)
        try:
            async with database.engine.connect() as connection:
                row = (
                    await connection.execute(
                        text(
                            "SELECT debits_pending, debits_posted, credits_posted "
                            "FROM ledger_accounts WHERE id = :id"
                        ),
                        {"id": uuid.UUID(peer_id).int},
                    )
                ).one()
        finally:
            await database.close()
        return int(row[0]), int(row[1]), int(row[2])

    return asyncio.run(read())


def _auth(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}", "content-type": "application/octet-stream"}


async def _send_all(urls: list[str], token: str, count: int) -> list[Fulfill | Reject]:
    limits = httpx.Limits(max_connections=100)
    async with httpx.AsyncClient(timeout=60, limits=limits) as http:

        async def one(i: int) -> Fulfill | Reject:
            prepare = prepare_to(f"test.fulfiller.n{i}", 1, expires_in=60)
            response = await http.post(
                urls[i % len(urls)], content=encode_prepare(prepare), headers=_auth(token)
            )
            assert response.status_code == 200, response.text
            return decode_reply(response.content)

        return await asyncio.gather(*(one(i) for i in range(count)))


def test_credit_holds_across_processes(shared: Shared) -> None:
    """200 packets of 1 at once, half to each process, against a credit line of 50."""
    peer_id, token = add_sender(shared, "few", liquidity=50)
    received = shared.fulfiller.count()
    replies = asyncio.run(_send_all([shared.p1.connector_url, shared.p2.connector_url], token, 200))
    fulfilled = [r for r in replies if isinstance(r, Fulfill)]
    rejected = [r for r in replies if isinstance(r, Reject)]
    assert Counter(r.code for r in rejected) == {"T04": 150}, [r.message for r in rejected][:3]
    assert len(fulfilled) == 50
    assert shared.fulfiller.count() - received == 50  # T04 comes before forwarding
    assert books(shared.url, peer_id) == (0, 50, 50)  # all spent, nothing reserved
    assert shared.p1.liquidity(peer_id) == shared.p2.liquidity(peer_id) == 0
    assert ledger_problems_at(shared.url) == []


@dataclass
class Load:
    """Closed loops of packets of 1 to one process, counting what the sender saw."""

    url: str
    token: str
    loops: int = 4
    outcomes: Counter[str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)
    stop: threading.Event = field(default_factory=threading.Event)
    threads: list[threading.Thread] = field(default_factory=list)

    def start(self) -> None:
        for _ in range(self.loops):
            thread = threading.Thread(target=self._loop, daemon=True)
            thread.start()
            self.threads.append(thread)

    def finish(self) -> Counter[str]:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=SETTLE_SECONDS)
        return self.outcomes

    def fulfilled(self) -> int:
        with self.lock:
            return self.outcomes["fulfilled"]

    def _loop(self) -> None:
        with httpx.Client(timeout=PACKET_EXPIRY_SECONDS + 5) as client:
            while not self.stop.is_set():
                prepare = prepare_to("test.fulfiller.load", 1, expires_in=PACKET_EXPIRY_SECONDS)
                try:
                    response = client.post(
                        self.url, content=encode_prepare(prepare), headers=_auth(self.token)
                    )
                except httpx.TransportError:
                    outcome = "unknown"  # sent, no answer: the process died with it in hand
                    time.sleep(0.05)
                else:
                    reply = decode_reply(response.content)
                    outcome = "fulfilled" if isinstance(reply, Fulfill) else reply.code
                with self.lock:
                    self.outcomes[outcome] += 1


def test_a_process_killed_under_load_loses_nothing(shared: Shared) -> None:
    peer_id, token = add_sender(shared, "busy", liquidity=10**9)
    received = shared.fulfiller.count()
    on_p1 = Load(shared.p1.connector_url, token)
    on_p2 = Load(shared.p2.connector_url, token)
    on_p1.start()
    on_p2.start()
    _until(lambda: on_p1.fulfilled() >= 50 and on_p2.fulfilled() >= 50, "both forward")

    shared.p2.process.send_signal(signal.SIGKILL)
    shared.p2.process.wait()
    p2_seen = on_p2.finish()
    before = on_p1.fulfilled()
    _until(lambda: on_p1.fulfilled() >= before + 100, "P1 keeps forwarding")
    p1_seen = on_p1.finish()

    # P2's reservations expire on P1's sweeper: nothing stays reserved, P2 still down.
    _until(lambda: books(shared.url, peer_id)[0] == 0, "the survivor expires P2's reservations")
    acknowledged = p1_seen["fulfilled"] + p2_seen["fulfilled"]
    _, spent, _ = books(shared.url, peer_id)
    # Every Fulfill a sender got is on the books; what else was booked is at most the packets
    # whose answer died with P2 (their post may have committed), and the fulfiller saw each.
    assert acknowledged <= spent <= acknowledged + p2_seen["unknown"]
    assert spent <= shared.fulfiller.count() - received
    assert set(p1_seen) == {"fulfilled"}, p1_seen
    assert ledger_problems_at(shared.url) == []

    shared.p2 = restart_node(shared.tmp, shared.p2)
    assert books(shared.url, peer_id)[1] == spent  # the restart changed nothing
    with httpx.Client(timeout=10) as client:
        reply = decode_reply(
            client.post(
                shared.p2.connector_url,
                content=encode_prepare(prepare_to("test.fulfiller.after", 1)),
                headers=_auth(token),
            ).content
        )
    assert isinstance(reply, Fulfill)
    assert books(shared.url, peer_id)[1] == spent + 1


def _until(check: object, what: str) -> None:
    assert callable(check)
    deadline = time.monotonic() + SETTLE_SECONDS
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting until {what}")
        time.sleep(0.05)
