"""SPSP served by real node processes on OPEN_PAYMENTS_PORT: a wallet address created through
one process is served by another on the same PostgreSQL database (the change feed), both hand
out connections under the same STREAM secret (generated once, in the database), and a
deactivation reaches the other process too.

The second process is polled for up to `PROPAGATION_SECONDS` (a bound for a hung test; the feed
takes milliseconds).
"""

from __future__ import annotations

import asyncio
import base64
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from uuid import UUID

import httpx
import pytest
from sqlalchemy import text

from ilpnode.ilp.stream import open_connection
from ilpnode.storage.database import Database
from tests.support import migrated_throwaway_database

from .network import start_node

pytestmark = [pytest.mark.e2e]

PROPAGATION_SECONDS = 5.0
BASE = "https://wallet.e2e.example"
SPSP = {"accept": "application/spsp4+json"}


def soon(check: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + PROPAGATION_SECONDS
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"{what} did not happen within {PROPAGATION_SECONDS} s")
        time.sleep(0.02)


def status(url: str) -> int:
    return httpx.get(url, headers=SPSP, timeout=10).status_code


async def _stored_secret(url: str) -> bytes:
    database = Database(url)
    try:
        async with database.engine.connect() as connection:
            value = await connection.scalar(
                text("SELECT value FROM node_secrets WHERE name = 'stream_secret'")
            )
    finally:
        await database.close()
    return base64.b64decode(value)


@pytest.fixture(scope="module")
def database_url() -> Iterator[str]:
    yield from migrated_throwaway_database()


@pytest.mark.postgres
@pytest.mark.slow
def test_a_wallet_address_created_on_one_process_is_served_by_the_other(
    tmp_path: Path, database_url: str
) -> None:
    shared = {
        "DATABASE_URL": database_url,
        "LEDGER_BACKEND": "postgres",
        "OPEN_PAYMENTS_URL": BASE,
    }
    p1 = start_node(tmp_path, "p1", "test.spsp", **shared)
    try:
        p2 = start_node(tmp_path, "p2", "test.spsp", **shared)
        try:
            asset_id = p1.create_asset("USD", 2)
            wallet = p1.create_wallet_address(asset_id, "alice")
            assert wallet["address"] == f"{BASE}/alice"
            at_p1 = f"{p1.open_payments_url}/alice"
            at_p2 = f"{p2.open_payments_url}/alice"
            assert status(at_p1) == 200  # the writer has it at once
            soon(lambda: status(at_p2) == 200, "P2 serving the new wallet address")

            secret = asyncio.run(_stored_secret(database_url))
            for url in (at_p1, at_p2):
                body = httpx.get(url, headers=SPSP, timeout=10).json()
                token = open_connection(secret, body["destination_account"], "test.spsp")
                assert token is not None, url  # one secret for both processes
                assert token.payment_tag == UUID(wallet["id"]).bytes
            description = httpx.get(at_p2, headers={"accept": "application/json"}, timeout=10)
            assert description.json()["id"] == f"{BASE}/alice"

            p1.graphql(
                "mutation($i: UpdateWalletAddressInput!) { updateWalletAddress(input: $i) "
                "{ walletAddress { status } } }",
                {"i": {"id": wallet["id"], "status": "INACTIVE"}},
            )
            soon(lambda: status(at_p2) == 404, "P2 refusing the deactivated wallet address")
        finally:
            p2.stop()
    finally:
        p1.stop()
    for node in (p1, p2):
        assert "Traceback" not in node.output(), node.output()
        assert "Open Payments server listening on" in node.output()


def test_a_single_node_serves_spsp_on_its_port_and_keeps_its_secret(tmp_path: Path) -> None:
    node = start_node(tmp_path, "solo", "test.solo", OPEN_PAYMENTS_URL=BASE)
    try:
        asset_id = node.create_asset("EUR", 2)
        node.create_wallet_address(asset_id, "shop/bob")
        url = f"{node.open_payments_url}/shop/bob"
        first = httpx.get(url, headers=SPSP, timeout=10)
        assert first.status_code == 200
        assert first.headers["content-type"] == "application/spsp4+json"
        assert httpx.get(f"{node.open_payments_url}/nobody", headers=SPSP).status_code == 404
    finally:
        node.stop()
    assert "1 wallet addresses loaded" not in node.output()  # none at the first start
    again = start_node(tmp_path, "solo", "test.solo", **node.env)
    try:
        assert "1 wallet addresses loaded" in again.output()
        assert "STREAM secret from database" in again.output()
        assert status(f"{again.open_payments_url}/shop/bob") == 200
    finally:
        again.stop()
