"""Sending payments between two real ilpnode processes (issue 19): Alice's wallet address on node
A pays Bob's on node B over SPSP and STREAM, through A's connector and B's. Both ledgers and
both wallet addresses agree to the unit; A charges its sending fee; a payment crosses assets at
the nodes' rates; fixed send and fixed receive; and a `kill -9` of A in the middle of a payment
ends it FAILED at the restart, with A's books exactly what was fulfilled."""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from ilpnode.services.outgoing_payments import SendingFee, send_amount_for_debit

from .network import NodeProcess, restart_node, start_node

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

FUNDS = 1_000_000  # what Alice receives from A's USD liquidity first
B_CREDIT = 10**12  # the credit line B extends to A
FEE_FIXED, FEE_BASIS_POINTS = 10, 50  # A's sending fee on USD: 0.10 + 0.5 %
FEE = SendingFee(fixed=FEE_FIXED, basis_points=FEE_BASIS_POINTS)
RATES = {"USD": {"EUR": "0.9", "GBP": "0.8"}}

PAYMENT = """
  id state error packets walletAddressId updatedAt
  debitAmount { value assetCode assetScale } sentAmount { value assetCode assetScale }
  receiveAmount { value assetCode assetScale } deliveredAmount { value assetCode assetScale }
  fee { value assetCode assetScale }
"""


@dataclass
class Network:
    a: NodeProcess
    b: NodeProcess
    usd_a: str
    usd_b: str
    eur_b: str
    peer_b_on_a: str
    peer_a_on_b: str
    alice: dict[str, str]
    bob: dict[str, str]
    carol: dict[str, str]  # at B, in EUR
    dave: dict[str, str]  # at B, in GBP: A has no USD->GBP rate


def graphql(node: NodeProcess, query: str, variables: dict[str, Any]) -> dict[str, Any]:
    """The whole answer (data and errors)."""
    response = httpx.post(
        f"{node.admin_url}/graphql",
        json={"query": query, "variables": variables},
        timeout=60,
    )
    body: dict[str, Any] = response.json()
    return body


def send_payment(node: NodeProcess, **input: Any) -> dict[str, Any]:
    body = graphql(
        node,
        "mutation($i: SendPaymentInput!) { sendPayment(input: $i) { payment { "
        + PAYMENT
        + " } } }",
        {"i": input},
    )
    assert "errors" not in body, body
    payment: dict[str, Any] = body["data"]["sendPayment"]["payment"]
    return payment


def payment_of(node: NodeProcess, payment_id: str) -> dict[str, Any]:
    data = node.graphql(
        f"query($id: String!) {{ outgoingPayment(id: $id) {{ {PAYMENT} }} }}", {"id": payment_id}
    )
    found: dict[str, Any] = data["outgoingPayment"]
    return found


def finished(node: NodeProcess, payment_id: str, within: float = 120) -> dict[str, Any]:
    deadline = time.monotonic() + within
    while True:
        payment = payment_of(node, payment_id)
        if payment["state"] in ("COMPLETED", "FAILED"):
            return payment
        if time.monotonic() > deadline:
            pytest.fail(f"payment still {payment['state']} after {within} s: {payment}")
        time.sleep(0.1)


def amount(value: dict[str, Any] | None) -> int:
    assert value is not None
    return int(value["value"])


def account(node: NodeProcess, query: str, id_: str) -> int:
    data = node.graphql(f"query($id: String!) {{ {query}(id: $id) {{ liquidity }} }}", {"id": id_})
    return int(data[query]["liquidity"])


def set_fee(node: NodeProcess, asset_id: str) -> None:
    node.graphql(
        "mutation($i: SetFeeInput!) { setFee(input: $i) { fee { id } } }",
        {
            "i": {
                "assetId": asset_id,
                "type": "SENDING",
                "fee": {"fixed": str(FEE_FIXED), "basisPoints": FEE_BASIS_POINTS},
            }
        },
    )


def fee_on(sent: int) -> int:
    """A's sending fee on `sent` (Rafiki's formula: the basis points rounded up)."""
    return 0 if sent == 0 else FEE_FIXED + -(-sent * FEE_BASIS_POINTS // 10_000)


def build(tmp_path: Path, *, max_packet_amount: int | None = None) -> Network:
    rates = json.dumps(RATES)
    a = start_node(tmp_path, "a", "test.a", EXCHANGE_RATES=json.dumps({"USD": {"EUR": "0.9"}}))
    try:
        b = start_node(tmp_path, "b", "test.b", EXCHANGE_RATES=rates)
    except BaseException:
        a.stop()
        raise
    usd_a = a.create_asset("USD", 2)
    a.deposit_asset(usd_a, 10 * FUNDS)
    usd_b, eur_b, gbp_b = (
        b.create_asset("USD", 2),
        b.create_asset("EUR", 2),
        b.create_asset("GBP", 2),
    )
    b.deposit_asset(eur_b, 10**9)  # B pays out EUR for the USD it takes
    b.deposit_asset(gbp_b, 10**9)
    peer_b_on_a = a.create_peer(
        asset_id=usd_a,
        address="test.b",
        incoming_token="b-to-a",
        outgoing_token="a-to-b",
        endpoint=b.connector_url,
    )
    peer_a_on_b = b.create_peer(
        asset_id=usd_b,
        address="test.a",
        incoming_token="a-to-b",
        outgoing_token="b-to-a",
        endpoint=a.connector_url,
        liquidity=B_CREDIT,
        max_packet_amount=max_packet_amount,
    )
    alice = a.create_wallet_address(usd_a, "alice")
    funding = send_payment(a, assetId=usd_a, receiver=alice["address"], debitAmount=str(FUNDS))
    assert finished(a, funding["id"])["state"] == "COMPLETED"
    set_fee(a, usd_a)
    return Network(
        a=a,
        b=b,
        usd_a=usd_a,
        usd_b=usd_b,
        eur_b=eur_b,
        peer_b_on_a=peer_b_on_a,
        peer_a_on_b=peer_a_on_b,
        alice=alice,
        bob=b.create_wallet_address(usd_b, "bob"),
        carol=b.create_wallet_address(eur_b, "carol"),
        dave=b.create_wallet_address(gbp_b, "dave"),
    )


@pytest.fixture
def network(tmp_path: Path) -> Iterator[Network]:
    built = build(tmp_path)
    try:
        yield built
    finally:
        built.a.stop()
        built.b.stop()


def test_alice_pays_bob_and_both_ledgers_agree_to_the_unit(network: Network) -> None:
    a, b = network.a, network.b
    operator_before = account(a, "asset", network.usd_a)
    payment = send_payment(
        a, walletAddressId=network.alice["id"], receiver=network.bob["address"], debitAmount="50000"
    )
    assert payment["state"] in ("SENDING", "COMPLETED")
    done = finished(a, payment["id"])
    assert done["state"] == "COMPLETED", done["error"]
    sent, delivered, fee = (
        amount(done["sentAmount"]),
        amount(done["deliveredAmount"]),
        amount(done["fee"]),
    )
    assert sent == send_amount_for_debit(50_000, FEE)  # the most whose fee fits
    assert sent + fee == amount(done["debitAmount"]) == 50_000  # debited exactly the debit amount
    assert fee in (fee_on(sent), fee_on(sent) + 1)  # the rounding unit goes to the fee
    assert delivered == sent  # one asset all the way
    # A: Alice paid sent + fee, the operator earned the fee, peer B's account took what was sent.
    assert account(a, "walletAddress", network.alice["id"]) == FUNDS - 50_000
    assert account(a, "asset", network.usd_a) == operator_before + fee
    assert account(a, "peer", network.peer_b_on_a) == sent
    # B: Bob got exactly what A sent and the payment says was delivered; A's line took it.
    assert b.wallet_address_liquidity(network.bob["id"]) == delivered
    assert account(b, "peer", network.peer_a_on_b) == B_CREDIT - delivered


def test_a_fixed_receive_delivers_exactly(network: Network) -> None:
    a, b = network.a, network.b
    payment = send_payment(
        a, walletAddressId=network.alice["id"], receiver=network.bob["address"], receiveAmount=7_777
    )
    assert payment["receiveAmount"] == {"value": "7777", "assetCode": "USD", "assetScale": 2}
    done = finished(a, payment["id"])
    assert done["state"] == "COMPLETED", done["error"]
    sent, fee = amount(done["sentAmount"]), amount(done["fee"])
    assert amount(done["deliveredAmount"]) == 7_777 == b.wallet_address_liquidity(network.bob["id"])
    assert fee == fee_on(sent)
    assert account(a, "walletAddress", network.alice["id"]) == FUNDS - sent - fee


def test_another_asset_at_the_nodes_rates(network: Network) -> None:
    a, b = network.a, network.b
    payment = send_payment(
        a,
        walletAddressId=network.alice["id"],
        receiver=network.carol["address"],
        debitAmount=20_000,
    )
    assert payment["receiveAmount"]["assetCode"] == "EUR"
    done = finished(a, payment["id"])
    assert done["state"] == "COMPLETED", done["error"]
    sent, delivered = amount(done["sentAmount"]), amount(done["deliveredAmount"])
    assert done["deliveredAmount"]["assetCode"] == "EUR"
    assert delivered == sent * 9 // 10  # B converts once per packet, rounding down
    assert b.wallet_address_liquidity(network.carol["id"]) == delivered
    assert account(a, "walletAddress", network.alice["id"]) == FUNDS - 20_000
    # Fixed receive across the assets, exact in EUR.
    again = send_payment(
        a, walletAddressId=network.alice["id"], receiver=network.carol["address"], receiveAmount=999
    )
    done = finished(a, again["id"])
    assert done["state"] == "COMPLETED", done["error"]
    assert b.wallet_address_liquidity(network.carol["id"]) == delivered + 999


def test_a_receiver_in_an_asset_without_a_rate_here_is_refused(network: Network) -> None:
    a = network.a
    body = graphql(
        a,
        "mutation($i: SendPaymentInput!) { sendPayment(input: $i) { payment { id } } }",
        {"i": {"walletAddressId": network.alice["id"], "receiver": network.dave["address"],
               "debitAmount": "100"}},
    )  # fmt: skip
    [error] = body["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["message"].startswith("no exchange rate from USD to the receiver's asset GBP")
    assert account(a, "walletAddress", network.alice["id"]) == FUNDS
    assert network.b.wallet_address_liquidity(network.dave["id"]) == 0


def test_a_sender_killed_mid_payment_ends_it_failed_with_exact_books(tmp_path: Path) -> None:
    # Packets of at most 100 (B's limit for A): the payment takes thousands of them.
    network = build(tmp_path, max_packet_amount=100)
    a, b = network.a, network.b
    try:
        operator_before = account(a, "asset", network.usd_a)
        payment = send_payment(
            a,
            walletAddressId=network.alice["id"],
            receiver=network.bob["address"],
            debitAmount=str(FUNDS),
        )
        deadline = time.monotonic() + 60
        while amount((seen := payment_of(a, payment["id"]))["sentAmount"]) < 5_000:
            assert time.monotonic() < deadline, "the payment did not get going"
            time.sleep(0.05)
        # Then until its progress was saved once more (updatedAt moves with each save).
        while payment_of(a, payment["id"])["updatedAt"] == seen["updatedAt"]:
            assert time.monotonic() < deadline, "the payment's progress was not saved"
            time.sleep(0.05)
        os.kill(a.process.pid, signal.SIGKILL)
        a.process.wait()
        a = restart_node(tmp_path, a)
        done = finished(a, payment["id"], within=120)  # after the reservations expire
        assert done["state"] == "FAILED"
        assert "the node stopped while sending" in done["error"]
        sent, fee = amount(done["sentAmount"]), amount(done["fee"])
        assert 5_000 <= sent < FUNDS
        assert fee == fee_on(sent)
        assert amount(done["debitAmount"]) == sent + fee
        # A's books: exactly the fulfilled packets it posted, the fee, the rest back to Alice.
        assert account(a, "walletAddress", network.alice["id"]) == FUNDS - sent - fee
        assert account(a, "asset", network.usd_a) == operator_before + fee
        assert account(a, "peer", network.peer_b_on_a) == sent
        # B's books agree with themselves: Bob holds what B's line for A paid. Packets B
        # fulfilled while A died may be there too (A never booked them: its reservations
        # expired), at most the packets in flight: 10 of 100.
        bob = b.wallet_address_liquidity(network.bob["id"])
        assert account(b, "peer", network.peer_a_on_b) == B_CREDIT - bob
        assert sent <= bob <= sent + 10 * 100
        # The delivered amount is the one saved last: some, and at most what arrived.
        assert 0 < amount(done["deliveredAmount"]) <= bob
        assert done["packets"] > 0
        # The node pays again after the restart.
        again = send_payment(
            a, walletAddressId=network.alice["id"], receiver=network.bob["address"], debitAmount=500
        )
        again_done = finished(a, again["id"])
        assert again_done["state"] == "COMPLETED", again_done["error"]
        assert b.wallet_address_liquidity(network.bob["id"]) == bob + amount(
            again_done["sentAmount"]
        )
    finally:
        a.stop()
        b.stop()
