"""ilpnode pays JS STREAM receivers behind a real `ilp-connector` peered with it (issue 19).

    payer ─▶ ilpnode test.node ═ peer "js" ═▶ ilp-connector test.js ─┬─▶ streamer
             USD/9, EUR/9                    one-to-one, USD/9,       │   (ilp-protocol-stream)
             EUR→USD 1.1                     max packet 1000 from     └─▶ rafiki (Rafiki's
                                             ilpnode                      @interledger/stream-
                                                                          receiver; F05 on probes)

Each receiver serves SPSP on its own loopback port; the payer resolves it with ilpnode's SPSP
client, then pays through ilpnode, which converts a EUR payment at its rate; ilp-connector's
F08 (with data, through ilpnode) sizes the packets. What the receiver says it got is compared with
the sender's report, to the unit.

The payer here is our STREAM sender (`run_payment`) bound to ilpnode's ILP-over-HTTP port as a
peer of the node (`payer-usd`, `payer-eur`): the packets take the node's whole packet path
(peer limits, rates, routing, balances) to the JS connector.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import httpx
import pytest

from ilpnode.ilp import Fulfill, Prepare, Reject, decode_reply, encode_prepare
from ilpnode.ilp.stream import (
    FixedReceive,
    FixedSend,
    PaymentTarget,
    SenderLimits,
    SenderState,
    SendReport,
    StreamSender,
)
from ilpnode.services.payments_sender import query_spsp, run_payment
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


@dataclass
class Paying:
    node: NodeProcess
    js: JsProcess
    receivers: dict[str, JsProcess]
    payer_tokens: dict[str, str]  # source asset code -> the bearer token of its payer peer
    peer_js: str

    def spsp_url(self, receiver: str, path: str = "pay") -> str:
        return f"{self.receivers[receiver].ready['spspUrl']}{path}"


@pytest.fixture(scope="module")
def paying(js_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Paying]:
    tmp = tmp_path_factory.mktemp("send")
    tokens = {name: token() for name in ("js_to_node", "node_to_js", "payer_usd", "payer_eur")}
    tokens.update({f"{r}_to_js": token() for r in RECEIVERS})
    tokens.update({f"js_to_{r}": token() for r in RECEIVERS})
    names = ("js_for_node", *RECEIVERS, *(f"{r}_js" for r in RECEIVERS))
    ports = {name: free_port() for name in names}
    node = start_node(
        tmp, "node", NODE_ADDRESS, EXCHANGE_RATES=json.dumps({EUR: {USD: EUR_TO_USD}})
    )
    try:
        usd = node.create_asset(USD, USD_SCALE)
        eur = node.create_asset(EUR, EUR_SCALE)
        node.deposit_asset(usd, LIQUIDITY)  # a EUR payment is paid on in USD from it
        peer_js = node.create_peer(
            asset_id=usd,
            address=JS_ADDRESS,
            incoming_token=tokens["js_to_node"],
            outgoing_token=tokens["node_to_js"],
            endpoint=f"http://127.0.0.1:{ports['js_for_node']}/",
            liquidity=LIQUIDITY,
        )
        unused = f"http://127.0.0.1:{free_port()}/"  # the payers never receive packets
        for code, asset in ((USD, usd), (EUR, eur)):
            node.create_peer(
                asset_id=asset,
                address=f"{NODE_ADDRESS}.payer-{code.lower()}",
                incoming_token=tokens[f"payer_{code.lower()}"],
                outgoing_token=token(),
                endpoint=unused,
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
            yield Paying(
                node,
                js,
                {"streamer": streamer, "rafiki": rafiki},
                {USD: tokens["payer_usd"], EUR: tokens["payer_eur"]},
                peer_js,
            )
    finally:
        node.stop()


async def pay(
    paying: Paying, receiver_url: str, target: PaymentTarget, *, source: str = USD
) -> SendReport:
    """Resolve `receiver_url` by SPSP, then pay it through ilpnode from the payer of `source`."""
    async with httpx.AsyncClient(timeout=35) as client:
        spsp = await query_spsp(client, receiver_url)
        sender = StreamSender(
            shared_secret=spsp.shared_secret,
            destination=spsp.destination_account,
            target=target,
            random_bytes=secrets.token_bytes,
            limits=SenderLimits(),
        )

        async def send_prepare(prepare: Prepare) -> Fulfill | Reject:
            response = await client.post(
                paying.node.connector_url,
                content=encode_prepare(prepare),
                headers={
                    "authorization": f"Bearer {paying.payer_tokens[source]}",
                    "content-type": "application/octet-stream",
                },
            )
            assert response.status_code == 200, response.text
            return decode_reply(response.content)

        return await run_payment(sender, send_prepare)


def received(receiver: JsProcess, before: int, delivered: int) -> int:
    """What `receiver` got since its total was `before`, once it reaches `delivered`."""
    line = receiver.wait_for(
        "RECEIVED", lambda r: int(r["totalReceived"]) >= before + delivered, timeout=10
    )
    return int(line["totalReceived"]) - before


def total_so_far(receiver: JsProcess) -> int:
    lines = receiver.tagged("RECEIVED")
    return int(lines[-1]["totalReceived"]) if lines else 0


@pytest.mark.parametrize("receiver", RECEIVERS)
async def test_a_fixed_send_arrives_whole_at_each_js_receiver(
    paying: Paying, receiver: str
) -> None:
    before = total_so_far(paying.receivers[receiver])
    liquidity_before = paying.node.liquidity(paying.peer_js)

    report = await pay(paying, paying.spsp_url(receiver), FixedSend(25_000))

    assert report.state is SenderState.COMPLETED, report.error_message
    assert report.sent == report.delivered == 25_000
    assert received(paying.receivers[receiver], before, 25_000) == 25_000
    assert report.max_packet_amount == MAX_PACKET_AMOUNT
    assert report.fulfilled == 25
    assert report.rejected.get("F08", 0) >= 1
    # what ilpnode forwarded to its peer is credited to the peer's liquidity (Rafiki's way)
    assert paying.node.liquidity(paying.peer_js) == liquidity_before + 25_000


async def test_the_rafiki_receiver_answers_probes_with_f05_and_the_payment_completes(
    paying: Paying,
) -> None:
    rafiki = paying.receivers["rafiki"]
    rejected_before = len(rafiki.tagged("REJECTED"))

    report = await pay(paying, paying.spsp_url("rafiki"), FixedSend(3_000))

    assert report.state is SenderState.COMPLETED, report.error_message
    assert report.delivered == 3_000
    rejected = rafiki.tagged("REJECTED")[rejected_before:]
    probes = [r for r in rejected if r["amount"] != "0"]
    assert probes
    assert all(r["code"] == "F05" for r in probes)  # the probes met F05, not F99
    assert report.rejected.get("F05", 0) == len(probes)
    # the only F99 is the receiver's answer to our ConnectionClose (amount 0)
    assert report.rejected.get("F99", 0) == len(rejected) - len(probes) == 1
    assert report.destination_asset == (USD, USD_SCALE)  # Rafiki sends the asset details


@pytest.mark.parametrize("receiver", RECEIVERS)
async def test_a_fixed_receive_across_assets_at_the_nodes_rate_arrives_exactly(
    paying: Paying, receiver: str
) -> None:
    before = total_so_far(paying.receivers[receiver])

    report = await pay(paying, paying.spsp_url(receiver), FixedReceive(7_777), source=EUR)

    assert report.state is SenderState.COMPLETED, report.error_message
    assert report.delivered == 7_777
    assert received(paying.receivers[receiver], before, 7_777) == 7_777
    # EUR -> USD at 1.1, each packet rounded down by ilpnode: 7,777 USD cost at least 7,070 EUR
    assert report.rate_low is not None
    assert Fraction(1) < report.rate_low <= Fraction(11, 10)
    assert report.max_source_amount is not None
    assert 7_777 * 10 // 11 <= report.sent <= report.max_source_amount


async def test_a_payment_of_5000_packets_arrives_exactly(paying: Paying) -> None:
    rafiki = paying.receivers["rafiki"]
    before = total_so_far(rafiki)
    amount = 5_000 * MAX_PACKET_AMOUNT

    report = await pay(paying, paying.spsp_url("rafiki"), FixedSend(amount))

    assert report.state is SenderState.COMPLETED, report.error_message
    assert report.fulfilled == 5_000
    assert report.sent == report.delivered == amount
    assert received(rafiki, before, amount) == amount
