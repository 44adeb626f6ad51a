"""Helpers for the outgoing payment tests: the GraphQL documents, a node whose wallet addresses
live under `BASE`, waiting for a payment to end, and a stand-in receiver over real HTTP."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from uuid import uuid4

from tests.support import free_port

from .conftest import GraphQLClient
from .queries import DEPOSIT_ASSET

BASE = "https://wallet.example/pay"

PAYMENT_FIELDS = """
  id walletAddressId assetId receiver state error packets createdAt updatedAt
  debitAmount { value assetCode assetScale }
  sentAmount { value assetCode assetScale }
  receiveAmount { value assetCode assetScale }
  deliveredAmount { value assetCode assetScale }
  fee { value assetCode assetScale }
"""

SEND_PAYMENT = f"""
mutation SendPayment($input: SendPaymentInput!) {{
  sendPayment(input: $input) {{ payment {{ {PAYMENT_FIELDS} }} }}
}}
"""

GET_PAYMENT = f"""
query OutgoingPayment($id: String!) {{ outgoingPayment(id: $id) {{ {PAYMENT_FIELDS} }} }}
"""

LIST_PAYMENTS = """
query OutgoingPayments($first: Int, $walletAddressId: String, $tenantId: String,
                       $sortOrder: SortOrder) {
  outgoingPayments(first: $first, walletAddressId: $walletAddressId, tenantId: $tenantId,
                   sortOrder: $sortOrder) {
    edges { cursor node { id state walletAddressId } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}
"""

WALLET_ADDRESS_PAYMENTS = """
query WalletAddressPayments($id: String!) {
  walletAddress(id: $id) { outgoingPayments(first: 10) { edges { node { id state } } } }
}
"""

WALLET_LIQUIDITY = "query($id: String!) { walletAddress(id: $id) { liquidity } }"
ASSET_LIQUIDITY = "query($id: String!) { asset(id: $id) { liquidity } }"
SET_FEE = """
mutation($input: SetFeeInput!) { setFee(input: $input) { fee { id } } }
"""
FINAL = {"COMPLETED", "FAILED"}


async def deposit(api: GraphQLClient, asset_id: str, amount: int) -> None:
    await api.data(
        DEPOSIT_ASSET,
        {
            "input": {
                "assetId": asset_id,
                "amount": str(amount),
                "id": str(uuid4()),
                "idempotencyKey": str(uuid4()),
            }
        },
    )


async def wallet_address(api: GraphQLClient, asset_id: str, address: str) -> dict[str, Any]:
    data = await api.data(
        "mutation($i: CreateWalletAddressInput!) { createWalletAddress(input: $i) "
        "{ walletAddress { id address } } }",
        {"i": {"assetId": asset_id, "address": address}},
    )
    created: dict[str, Any] = data["createWalletAddress"]["walletAddress"]
    return created


async def set_sending_fee(api: GraphQLClient, asset_id: str, fixed: int, basis_points: int) -> None:
    await api.data(
        SET_FEE,
        {
            "input": {
                "assetId": asset_id,
                "type": "SENDING",
                "fee": {"fixed": str(fixed), "basisPoints": basis_points},
            }
        },
    )


async def liquidity(
    api: GraphQLClient, *, wallet: str | None = None, asset: str | None = None
) -> int:
    if wallet is not None:
        return int((await api.data(WALLET_LIQUIDITY, {"id": wallet}))["walletAddress"]["liquidity"])
    return int((await api.data(ASSET_LIQUIDITY, {"id": asset}))["asset"]["liquidity"])


async def send(api: GraphQLClient, **input: Any) -> dict[str, Any]:
    """sendPayment; the payment it answers (asserting no error)."""
    data = await api.data(SEND_PAYMENT, {"input": input})
    payment: dict[str, Any] = data["sendPayment"]["payment"]
    return payment


async def refused(api: GraphQLClient, **input: Any) -> tuple[str, str]:
    """sendPayment expected to fail: (code, message)."""
    return await api.error(SEND_PAYMENT, {"input": input})


async def finished(api: GraphQLClient, payment_id: str, *, within: float = 60) -> dict[str, Any]:
    """The payment once COMPLETED or FAILED (polls; fails the test after `within` seconds)."""
    deadline = time.monotonic() + within
    while True:
        payment: dict[str, Any] = (await api.data(GET_PAYMENT, {"id": payment_id}))[
            "outgoingPayment"
        ]
        if payment["state"] in FINAL:
            return payment
        assert time.monotonic() < deadline, f"payment still {payment['state']}: {payment}"
        await asyncio.sleep(0.05)


def value(amount: dict[str, Any] | None) -> int | None:
    return None if amount is None else int(amount["value"])


@contextmanager
def receiver_server(answer: tuple[int, str, bytes]) -> Iterator[str]:
    """An HTTP server on loopback that answers every GET with (status, content type, body);
    yields its URL."""
    port = free_port()
    status, content_type, body = answer

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            return

        def do_GET(self) -> None:
            self.send_response(status)
            self.send_header("content-type", content_type)
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}/alice"
    finally:
        server.shutdown()
        server.server_close()


def spsp_answer(destination: str) -> tuple[int, str, bytes]:
    body = json.dumps({"destination_account": destination, "shared_secret": "A" * 43})
    return 200, "application/spsp4+json", body.encode()
