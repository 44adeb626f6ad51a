"""Payments into an ilpnode wallet address from the real JS senders, through a real JS connector.

    ilp-protocol-stream 2.7.1 ─┐                                     ilpnode test.node
    (child "streamer")         │  ilp-connector test.js    peer "js"  ┌──────────────────┐
                               ├─▶ (one-to-one, no   ═══════════════▶ │ STREAM receiver  │
    @interledger/pay 0.4.0-a9 ─┘    spread)          ◀═══ replies ═══ │ wallets.test/... │
    (child "payer")                                                   └──────────────────┘
         └── SPSP GET https://wallets.test/<name> (mapped to ilpnode's OPEN_PAYMENTS_PORT) ──┘

Each sender resolves the wallet address itself through ilpnode's SPSP endpoint (with receipt
headers, as a verifier in the path adds them), then pays through ilp-connector, ilpnode's peer.
ilpnode's peer `js` has a maxPacketAmount of 1 USD: every payment here needs several packets,
sized from ilpnode's F08. The JS senders refuse wallet address URLs with a port, so they get
the public URL and their HTTP queries are mapped to the loopback port (`lib.js`).

What is checked, per payment: the sender delivered everything it sent; the wallet address's
balance grew by exactly what was delivered and the peer's liquidity fell by exactly what was
sent; the last receipt verifies (our secret, nonce and stream 1) and counts the whole delivery;
the Prometheus counters of the wallet address moved by the same amount.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from ilpnode.ilp.stream import verify_receipt
from tests.e2e.network import NodeProcess, start_node
from tests.interop.jsprocs import (
    JsProcess,
    http_link,
    run_pay_sender,
    run_stream_sender,
    start_connector,
    token,
)
from tests.support import free_port

NODE_ADDRESS = "test.node"
JS_ADDRESS = "test.js"
PUBLIC_BASE = "https://wallets.test"  # OPEN_PAYMENTS_URL: what payers see
USD, USD_SCALE = "USD", 9  # the JS connector's asset (its default)
EUR, EUR_SCALE = "EUR", 4  # a packet of 1 USD arrives as 9000: ilp-protocol-stream wants
# 3 significant digits from its probes, and 1 USD is the most a packet carries here
USD_TO_EUR = "0.9"
PEER_MAX_PACKET_AMOUNT = 1_000_000_000  # 1 USD: the smallest maximum on the path
LIQUIDITY = 10**15


@dataclass
class Receiving:
    node: NodeProcess
    js: JsProcess
    log_dir: Path
    tokens: dict[str, str]
    ports: dict[str, int]
    peer_js: str
    wallets: dict[str, dict[str, str]]  # name -> {"id", "address"}

    def url_map(self) -> dict[str, str]:
        return {PUBLIC_BASE: self.node.open_payments_url}

    def balances(self, wallet: str) -> tuple[int, int]:
        """(the wallet address's balance, the peer js's liquidity) on ilpnode."""
        return (
            self.node.wallet_address_liquidity(self.wallets[wallet]["id"]),
            self.node.liquidity(self.peer_js),
        )

    def child_link(self, child: str) -> dict[str, Any]:
        """The http link of the JS sender that is ilp-connector's child `child`."""
        return http_link(
            port=self.ports[child],
            incoming_token=self.tokens[f"js_to_{child}"],
            outgoing_url=self.js.ready["accounts"][child]["url"],
            outgoing_token=self.tokens[f"{child}_to_js"],
        )


@pytest.fixture(scope="module")
def receiving(js_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Receiving]:
    tmp = tmp_path_factory.mktemp("receive")
    tokens = {
        name: token()
        for name in (
            "js_to_node",
            "node_to_js",
            "js_to_streamer",
            "streamer_to_js",
            "js_to_payer",
            "payer_to_js",
        )
    }
    ports = {"js_for_node": free_port(), "streamer": free_port(), "payer": free_port()}
    node = start_node(
        tmp,
        "node",
        NODE_ADDRESS,
        OPEN_PAYMENTS_URL=f"{PUBLIC_BASE}/",
        EXCHANGE_RATES=json.dumps({USD: {EUR: USD_TO_EUR}}),
    )
    try:
        usd = node.create_asset(USD, USD_SCALE)
        eur = node.create_asset(EUR, EUR_SCALE)
        node.deposit_asset(eur, LIQUIDITY)  # a EUR wallet address is credited from it
        peer_js = node.create_peer(
            asset_id=usd,
            address=JS_ADDRESS,
            incoming_token=tokens["js_to_node"],
            outgoing_token=tokens["node_to_js"],
            endpoint=f"http://127.0.0.1:{ports['js_for_node']}/",
            liquidity=LIQUIDITY,
            max_packet_amount=PEER_MAX_PACKET_AMOUNT,
        )
        wallets = {
            "alice": node.create_wallet_address(usd, f"{PUBLIC_BASE}/alice"),
            "bob": node.create_wallet_address(usd, f"{PUBLIC_BASE}/bob"),
            "euro": node.create_wallet_address(eur, f"{PUBLIC_BASE}/euro"),
        }
        children = {
            child: {
                "relation": "child",
                **http_link(
                    port=0,
                    incoming_token=tokens[f"{child}_to_js"],
                    outgoing_url=f"http://127.0.0.1:{ports[child]}/",
                    outgoing_token=tokens[f"js_to_{child}"],
                ),
            }
            for child in ("streamer", "payer")
        }
        connector_config = {
            "ilpAddress": JS_ADDRESS,
            "assetCode": USD,
            "assetScale": USD_SCALE,
            "accounts": {
                "ilpnode": {
                    "relation": "peer",
                    **http_link(
                        port=ports["js_for_node"],
                        incoming_token=tokens["node_to_js"],
                        outgoing_url=node.connector_url + "/",
                        outgoing_token=tokens["js_to_node"],
                    ),
                },
                **children,
            },
            "routes": [{"targetPrefix": NODE_ADDRESS, "peerId": "ilpnode"}],
        }
        log_dir = tmp / "js"
        with start_connector(js_dir, connector_config, log_dir=log_dir) as js:
            yield Receiving(node, js, log_dir, tokens, ports, peer_js, wallets)
    finally:
        node.stop()


def stream_metrics(node: NodeProcess, wallet_id: str) -> dict[str, float]:
    """ilpnode's STREAM counters of one wallet address: amount, fulfilled, F99s."""
    text = httpx.get(f"{node.admin_url}/metrics", timeout=10).text
    found = {"amount": 0.0, "fulfilled": 0.0}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.labels.get("wallet_address_id") != wallet_id:
                continue
            if sample.name == "ilpnode_stream_amount_received_total":
                found["amount"] = sample.value
            elif sample.name == "ilpnode_stream_packets_total":
                fulfilled = sample.labels["outcome"] == "fulfill"
                found["fulfilled" if fulfilled else sample.labels["code"]] = sample.value
    return found


def check_receipt(result: dict[str, Any], delivered: int, *, nonce: str, secret: str) -> None:
    """The sender's last receipt was made with the verifier's nonce and secret and counts the
    whole delivery on stream 1."""
    assert result.get("receipt"), result
    receipt = verify_receipt(_b64(result["receipt"]), _b64(secret))
    assert receipt.nonce == _b64(nonce)
    assert (receipt.stream_id, receipt.total_received) == (1, delivered)


def _b64(text: str) -> bytes:
    return base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_" if "-" in text else None)


def pay_with_stream(receiving: Receiving, js_dir: Path, wallet: str, amount: int) -> dict[str, Any]:
    config = {
        **receiving.child_link("streamer"),
        "spsp": {
            "url": receiving.wallets[wallet]["address"],
            "urlMap": receiving.url_map(),
            "receipts": True,
        },
        "amount": str(amount),
        "timeoutMs": 30_000,
    }
    return run_stream_sender(js_dir, config, log_dir=receiving.log_dir, timeout=40)


def test_ilp_protocol_stream_pays_a_wallet_address_in_many_packets(
    receiving: Receiving, js_dir: Path
) -> None:
    """5.5 USD at 1 USD per packet at most: at least 6 packets, all of it arrives."""
    amount = 5_500_000_000
    wallet_id = receiving.wallets["alice"]["id"]
    before = receiving.balances("alice")
    metrics_before = stream_metrics(receiving.node, wallet_id)
    result = pay_with_stream(receiving, js_dir, "alice", amount)

    spsp = result["spsp"]
    assert spsp["contentType"].startswith("application/spsp4+json"), spsp
    assert spsp["receiptsEnabled"] is True
    assert spsp["destinationAccount"].startswith(f"{NODE_ADDRESS}.")
    assert result["totalSent"] == result["totalDelivered"] == str(amount), result
    assert result["packets"] >= -(-amount // PEER_MAX_PACKET_AMOUNT), result
    assert result["lastRejects"]["F08"]["triggeredBy"] == NODE_ADDRESS, result
    wallet, peer = receiving.balances("alice")
    assert (wallet - before[0], peer - before[1]) == (amount, -amount)
    check_receipt(result, amount, nonce=spsp["receiptNonce"], secret=spsp["receiptSecret"])
    metrics = stream_metrics(receiving.node, wallet_id)
    assert metrics["amount"] - metrics_before["amount"] == amount
    assert metrics["fulfilled"] - metrics_before["fulfilled"] >= result["packets"]


def test_interledger_pay_pays_a_wallet_address_resolved_by_spsp(
    receiving: Receiving, js_dir: Path
) -> None:
    """Rafiki's payer: SPSP, the asset probe, the rate probe (unfulfillable packets up to
    10^12, answered F99 with what arrived), then the payment, several packets of at most the
    maximum it learnt from ilpnode's F08."""
    amount = 2_500_000_000
    wallet_id = receiving.wallets["bob"]["id"]
    before = receiving.balances("bob")
    metrics_before = stream_metrics(receiving.node, wallet_id)
    config = {
        **receiving.child_link("payer"),
        "walletAddress": receiving.wallets["bob"]["address"],
        "urlMap": receiving.url_map(),
        "receipts": True,
        "amountToSend": str(amount),
        "timeoutMs": 40_000,
    }
    result = run_pay_sender(js_dir, config, log_dir=receiving.log_dir, timeout=50)

    assert result["destinationAsset"] == {"code": USD, "scale": USD_SCALE}, result
    assert result["destinationAddress"].startswith(f"{NODE_ADDRESS}.")
    assert result["quote"]["maxPacketAmount"] == str(PEER_MAX_PACKET_AMOUNT), result
    assert result["amountSent"] == result["amountDelivered"] == str(amount), result
    assert result["packets"] >= -(-amount // PEER_MAX_PACKET_AMOUNT), result
    assert result["rejects"].get("F99", 0) >= 1, result  # its rate probes
    wallet, peer = receiving.balances("bob")
    assert (wallet - before[0], peer - before[1]) == (amount, -amount)
    check_receipt(result, amount, nonce=result["receiptNonce"], secret=result["receiptSecret"])
    metrics = stream_metrics(receiving.node, wallet_id)
    assert metrics["amount"] - metrics_before["amount"] == amount
    assert metrics.get("F99", 0) - metrics_before.get("F99", 0) == result["rejects"]["F99"]


@pytest.mark.parametrize("payer", ["ilp-protocol-stream", "@interledger/pay"])
def test_a_payment_in_another_asset_arrives_through_the_nodes_rate(
    receiving: Receiving, js_dir: Path, payer: str
) -> None:
    """USD (scale 9) into a EUR (scale 4) wallet address at 0.9: each packet arrives as
    floor(amount * 0.9 / 10^5), and the wallet address holds exactly what the sender was told
    arrived."""
    amount = 3_000_000_000  # 3 USD: 2.7 EUR
    before = receiving.balances("euro")
    if payer == "ilp-protocol-stream":
        result = pay_with_stream(receiving, js_dir, "euro", amount)
        sent, delivered = int(result["totalSent"]), int(result["totalDelivered"])
    else:
        config = {
            **receiving.child_link("payer"),
            "walletAddress": receiving.wallets["euro"]["address"],
            "urlMap": receiving.url_map(),
            "amountToSend": str(amount),
            "prices": {USD: 1, EUR: 1.12},  # the payer's own idea of the rate: 0.89
            "timeoutMs": 40_000,
        }
        result = run_pay_sender(js_dir, config, log_dir=receiving.log_dir, timeout=50)
        assert result["destinationAsset"] == {"code": EUR, "scale": EUR_SCALE}, result
        sent, delivered = int(result["amountSent"]), int(result["amountDelivered"])
    assert sent == amount, result
    # Rounding down per packet loses less than a unit per packet.
    assert 27_000 - result["packets"] < delivered <= 27_000, result
    wallet, peer = receiving.balances("euro")
    assert (wallet - before[0], peer - before[1]) == (delivered, -sent)
