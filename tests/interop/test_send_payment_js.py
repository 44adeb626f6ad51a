"""ilpnode pays JS STREAM receivers behind a real `ilp-connector` peered with it (issue 19).

    ilpnode test.node ═ peer "js" ═▶ ilp-connector test.js ─┬─▶ streamer (ilp-protocol-stream)
    sendPayment from its USD/9     one-to-one, USD/9,        └─▶ rafiki (Rafiki's
    or EUR/9 liquidity;            max packet 1000 from          @interledger/stream-receiver;
    EUR→USD 1.1                    ilpnode                       F05 on probes)

Each receiver serves SPSP on its own loopback port. The node resolves it, probes, and pays it
with `sendPayment` from the operator's liquidity of an asset (the Admin API, polled with
`outgoingPayment` until the payment is over); ilp-connector's F08 (with data, back through the
node) sizes the packets, and a EUR payment is converted at the node's rate. What the receiver
says it got is compared with the payment's `deliveredAmount`, and the node's ledger (the
asset's liquidity, the peer's) with its `debitAmount`, to the unit.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest

from tests.e2e.network import NodeProcess, start_node
from tests.interop.jsprocs import (
    JsProcess,
    http_link,
    js_process,
    start_connector,
    start_stream_receiver,
    token,
)
from tests.support import free_port

NODE_ADDRESS = "test.node"
JS_ADDRESS = "test.js"
USD, USD_SCALE = "USD", 9
EUR, EUR_SCALE = "EUR", 9
EUR_TO_USD = "1.1"
MAX_PACKET_AMOUNT = 1_000  # USD/9 units, at ilp-connector: every payment takes many packets
LIQUIDITY = 10**15
RECEIVERS = ("streamer", "rafiki")


PAYMENT_TIMEOUT_SECONDS = 120.0
PAYMENT_FIELDS = (
    "id state error packets debitAmount { value assetCode assetScale } "
    "sentAmount { value } deliveredAmount { value assetCode assetScale } fee { value }"
)


@dataclass
class Paying:
    node: NodeProcess
    js: JsProcess
    receivers: dict[str, JsProcess]
    assets: dict[str, str]  # code -> the node's asset id
    peer_js: str

    def spsp_url(self, receiver: str, path: str = "pay") -> str:
        return f"{self.receivers[receiver].ready['spspUrl']}{path}"

    def pay(self, receiver: str, *, source: str = USD, **amount: int) -> dict[str, Any]:
        """`sendPayment` from the liquidity of `source` (debitAmount= or receiveAmount=), then
        `outgoingPayment` until the payment is over; the final payment."""
        payment_input: dict[str, Any] = {
            "id": str(uuid4()),
            "assetId": self.assets[source],
            "receiver": self.spsp_url(receiver),
            "idempotencyKey": str(uuid4()),
            **{name: str(value) for name, value in amount.items()},
        }
        payment: dict[str, Any] = self.node.graphql(
            "mutation($i: SendPaymentInput!) { sendPayment(input: $i) "
            f"{{ payment {{ {PAYMENT_FIELDS} }} }} }}",
            {"i": payment_input},
        )["sendPayment"]["payment"]
        deadline = time.monotonic() + PAYMENT_TIMEOUT_SECONDS
        while payment["state"] in ("FUNDING", "SENDING"):
            assert time.monotonic() < deadline, payment
            time.sleep(0.05)
            payment = self.node.graphql(
                f"query($id: String!) {{ outgoingPayment(id: $id) {{ {PAYMENT_FIELDS} }} }}",
                {"id": payment_input["id"]},
            )["outgoingPayment"]
        return payment


@pytest.fixture(scope="module")
def paying(js_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Paying]:
    tmp = tmp_path_factory.mktemp("send")
    tokens = {name: token() for name in ("js_to_node", "node_to_js")}
    tokens.update({f"{r}_to_js": token() for r in RECEIVERS})
    tokens.update({f"js_to_{r}": token() for r in RECEIVERS})
    names = ("js_for_node", *RECEIVERS, *(f"{r}_js" for r in RECEIVERS))
    ports = {name: free_port() for name in names}
    node = start_node(
        tmp, "node", NODE_ADDRESS, EXCHANGE_RATES=json.dumps({EUR: {USD: EUR_TO_USD}})
    )
    try:
        assets = {USD: node.create_asset(USD, USD_SCALE), EUR: node.create_asset(EUR, EUR_SCALE)}
        for asset in assets.values():
            node.deposit_asset(asset, LIQUIDITY)  # what the node pays from
        peer_js = node.create_peer(
            asset_id=assets[USD],
            address=JS_ADDRESS,
            incoming_token=tokens["js_to_node"],
            outgoing_token=tokens["node_to_js"],
            endpoint=f"http://127.0.0.1:{ports['js_for_node']}/",
            liquidity=LIQUIDITY,
        )
        connector_config = {
            "ilpAddress": JS_ADDRESS,
            "assetCode": USD,
            "assetScale": USD_SCALE,
            "accounts": {
                "ilpnode": {
                    "relation": "peer",
                    "maxPacketAmount": str(MAX_PACKET_AMOUNT),
                    **http_link(
                        port=ports["js_for_node"],
                        incoming_token=tokens["node_to_js"],
                        outgoing_url=node.connector_url + "/",
                        outgoing_token=tokens["js_to_node"],
                    ),
                },
                **{
                    receiver: {
                        "relation": "child",
                        **http_link(
                            port=ports[f"{receiver}_js"],
                            incoming_token=tokens[f"{receiver}_to_js"],
                            outgoing_url=f"http://127.0.0.1:{ports[receiver]}/",
                            outgoing_token=tokens[f"js_to_{receiver}"],
                        ),
                    }
                    for receiver in RECEIVERS
                },
            },
            "routes": [{"targetPrefix": NODE_ADDRESS, "peerId": "ilpnode"}],
        }
        log_dir = tmp / "js"

        def link(receiver: str) -> dict[str, object]:
            return http_link(
                port=ports[receiver],
                incoming_token=tokens[f"js_to_{receiver}"],
                outgoing_url=f"http://127.0.0.1:{ports[f'{receiver}_js']}/",
                outgoing_token=tokens[f"{receiver}_to_js"],
            )

        with (
            start_connector(js_dir, connector_config, log_dir=log_dir) as js,
            start_stream_receiver(
                js_dir, {**link("streamer"), "spspPort": 0}, log_dir=log_dir, name="streamer"
            ) as streamer,
            js_process(
                js_dir, "rafiki_receiver.js", {**link("rafiki"), "spspPort": 0}, log_dir=log_dir
            ) as rafiki,
        ):
            yield Paying(node, js, {"streamer": streamer, "rafiki": rafiki}, assets, peer_js)
    finally:
        node.stop()


def received(receiver: JsProcess, before: int, delivered: int) -> int:
    """What `receiver` got since its total was `before`, once it reaches `delivered`."""
    line = receiver.wait_for(
        "RECEIVED", lambda r: int(r["totalReceived"]) >= before + delivered, timeout=10
    )
    return int(line["totalReceived"]) - before


def total_so_far(receiver: JsProcess) -> int:
    lines = receiver.tagged("RECEIVED")
    return int(lines[-1]["totalReceived"]) if lines else 0


def value(amount: dict[str, Any] | None) -> int:
    return 0 if amount is None else int(amount["value"])


@pytest.mark.parametrize("receiver", RECEIVERS)
def test_a_fixed_send_arrives_whole_at_each_js_receiver(paying: Paying, receiver: str) -> None:
    before = total_so_far(paying.receivers[receiver])
    asset_before = paying.node.asset_liquidity(paying.assets[USD])
    peer_before = paying.node.liquidity(paying.peer_js)

    payment = paying.pay(receiver, debitAmount=25_000)

    assert payment["state"] == "COMPLETED", payment["error"]
    assert value(payment["sentAmount"]) == value(payment["deliveredAmount"]) == 25_000
    assert value(payment["debitAmount"]) == 25_000
    assert value(payment["fee"]) == 0  # the operator's own liquidity pays no sending fee
    assert payment["packets"] == 25  # ilp-connector's maximum, learnt from its F08
    assert (payment["deliveredAmount"]["assetCode"], payment["deliveredAmount"]["assetScale"]) == (
        USD,
        USD_SCALE,
    )
    assert received(paying.receivers[receiver], before, 25_000) == 25_000
    assert paying.node.asset_liquidity(paying.assets[USD]) == asset_before - 25_000
    # what the node forwarded to its peer is credited to the peer's liquidity (Rafiki's way)
    assert paying.node.liquidity(paying.peer_js) == peer_before + 25_000


def test_the_rafiki_receiver_answers_probes_with_f05_and_the_payment_completes(
    paying: Paying,
) -> None:
    rafiki = paying.receivers["rafiki"]
    rejected_before = len(rafiki.tagged("REJECTED"))
    before = total_so_far(rafiki)

    payment = paying.pay("rafiki", debitAmount=3_000)

    assert payment["state"] == "COMPLETED", payment["error"]
    assert value(payment["deliveredAmount"]) == 3_000
    assert received(rafiki, before, 3_000) == 3_000
    rejected = rafiki.tagged("REJECTED")[rejected_before:]
    probes = [r for r in rejected if r["amount"] != "0"]
    assert probes  # the rate probes reached it ...
    assert all(r["code"] == "F05" for r in probes)  # ... and met F05, not F99


@pytest.mark.parametrize("receiver", RECEIVERS)
def test_a_fixed_receive_across_assets_at_the_nodes_rate_arrives_exactly(
    paying: Paying, receiver: str
) -> None:
    before = total_so_far(paying.receivers[receiver])
    eur_before = paying.node.asset_liquidity(paying.assets[EUR])
    usd_before = paying.node.asset_liquidity(paying.assets[USD])
    peer_before = paying.node.liquidity(paying.peer_js)

    payment = paying.pay(receiver, source=EUR, receiveAmount=7_777)

    assert payment["state"] == "COMPLETED", payment["error"]
    assert value(payment["deliveredAmount"]) == 7_777
    assert received(paying.receivers[receiver], before, 7_777) == 7_777
    sent = value(payment["sentAmount"])
    # EUR -> USD at 1.1, each packet rounded down by the node: 7,777 USD cost at least 7,070
    # EUR, and at most what the slippage (1 %) allows
    assert 7_777 * 10 // 11 <= sent <= 7_777 * 10 * 100 // (11 * 99) + 1
    assert payment["debitAmount"]["assetCode"] == EUR
    assert value(payment["debitAmount"]) == sent
    # Rafiki's accounts: the EUR leaves the EUR liquidity into the payment, and at the
    # conversion goes back into the EUR liquidity, which the USD liquidity pays out for: the
    # operator converted 7,777 USD of its own for the EUR it sent to itself.
    assert paying.node.asset_liquidity(paying.assets[EUR]) == eur_before
    assert paying.node.asset_liquidity(paying.assets[USD]) == usd_before - 7_777
    assert paying.node.liquidity(paying.peer_js) == peer_before + 7_777


def test_a_payment_of_5000_packets_arrives_exactly(paying: Paying) -> None:
    rafiki = paying.receivers["rafiki"]
    before = total_so_far(rafiki)
    asset_before = paying.node.asset_liquidity(paying.assets[USD])
    amount = 5_000 * MAX_PACKET_AMOUNT

    payment = paying.pay("rafiki", debitAmount=amount)

    assert payment["state"] == "COMPLETED", payment["error"]
    assert payment["packets"] == 5_000
    assert value(payment["sentAmount"]) == value(payment["deliveredAmount"]) == amount
    assert received(rafiki, before, amount) == amount
    assert paying.node.asset_liquidity(paying.assets[USD]) == asset_before - amount
