"""Benchmark: one STREAM payment into an ilpnode wallet address through one hop.

Run from the project root::

    python bench/stream_receive.py [--senders stream,pay] [--hop ilpnode|ilp-connector]
                                   [--packets 2000] [--rounds 1] [--durability power-loss]

The path, on loopback::

    JS sender ──▶ hop (an ilpnode, or ilp-connector 23) ──▶ ilpnode (receiver) ──▶ wallet address

- the receiver: ``python -m ilpnode run`` on SQLite in a temporary directory, one asset (USD,
  scale 9), its peer the hop, one wallet address resolved by the sender through the receiver's
  SPSP endpoint (``OPEN_PAYMENTS_PORT``); the ledger durable with ``--durability``
  (``power-loss`` by default: every group commit fdatasynced before a Fulfill goes back);
- the hop: a second ilpnode (the sender its peer, with a ``maxPacketAmount`` of
  ``PACKET_AMOUNT``), or a real interledgerjs ilp-connector (``tests/interop/js/connector.js``,
  the sender its child);
- the senders (``tests/interop/js``): ``stream`` is ilp-protocol-stream 2.7.1
  (``stream_sender.js``: ``createConnection`` + ``sendTotal``), ``pay`` is ``@interledger/pay``,
  Rafiki's payer (``pay_sender.js``: ``setupPayment``, ``startQuote``, ``pay``).

One payment of ``--packets`` x ``PACKET_AMOUNT`` per sender and round: the sender learns the
maximum packet amount from the hop's F08 and sends packets of that size. Reported per payment:
packets fulfilled with money, the seconds the sender spent sending (after connecting and
quoting), packets/s and money/s (USD/s) over that time, and the CPU time (user + system, child
processes included) of the receiver and of the hop per Prepare they handled (for ilp-connector,
per Prepare the receiver handled), from ``/proc`` before the sender starts and after it exits
(so the probes and the connection's set-up are in it too). The receiver's wallet address must
hold exactly what the sender says it delivered, or the harness fails.

What bounds each sender: ilp-protocol-stream sends one packet at a time (the next when the
previous is answered), so its packets/s is one over the round trip through both nodes;
``@interledger/pay`` paces itself (40 packets/s at first, 0.5 more per fulfilled packet, at most
200, and at most 20 in flight), so its packets/s is its pacer's until the path is slower. CPU
per packet is the receiver's own cost either way.

The machine's other load shows in every figure; run it alone (``make bench`` runs it last).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import secrets
import shutil
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.connector import (
    INTEROP_JS,
    HarnessError,
    Service,
    ensure_interop_packages,
    ilpnode_environment,
    packet_path,
    service,
    wait_healthy,
)
from bench.connector import _free_port as free_port

PACKET_AMOUNT = 1_000_000  # 0.001 USD at scale 9: the hop's maximum packet amount
LARGE = 10**18  # liquidity: never the limit here
RECEIVER_ADDRESS = "test.bench.receiver"
HOP_ADDRESS = "test.bench.hop"
PUBLIC_BASE = "https://wallets.bench"  # OPEN_PAYMENTS_URL: the senders map it to the port
SENDERS = {"stream": "stream_sender.js", "pay": "pay_sender.js"}
HOPS = ("ilpnode", "ilp-connector")
SENDER_TIMEOUT_SECONDS = 600


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Measurement:
    sender: str
    hop: str
    round: int
    packets: int
    delivered: int
    seconds: float
    packets_per_second: float
    usd_per_second: float
    receiver_prepares: int
    receiver_cpu_us_per_packet: float | None
    hop_cpu_us_per_packet: float | None


class Graphql:
    def __init__(self, admin_url: str) -> None:
        self._client = httpx.Client(base_url=admin_url, timeout=30)

    def __call__(self, query: str, variables: dict[str, Any]) -> Any:
        response = self._client.post("/graphql", json={"query": query, "variables": variables})
        body = response.json()
        if response.status_code != 200 or body.get("errors"):
            raise HarnessError(f"Admin API {response.status_code}: {body}")
        return body["data"]

    def asset(self) -> str:
        data = self(
            "mutation($i: CreateAssetInput!) { createAsset(input: $i) { asset { id } } }",
            {"i": {"code": "USD", "scale": 9}},
        )
        asset_id: str = data["createAsset"]["asset"]["id"]
        return asset_id

    def peer(
        self,
        asset_id: str,
        address: str,
        *,
        incoming: str,
        outgoing: str,
        endpoint: str,
        max_packet_amount: int = LARGE,
    ) -> str:
        peer = {
            "assetId": asset_id,
            "name": address,
            "staticIlpAddress": address,
            "maxPacketAmount": str(max_packet_amount),
            "initialLiquidity": str(LARGE),
            "http": {
                "incoming": {"authTokens": [incoming]},
                "outgoing": {"authToken": outgoing, "endpoint": endpoint},
            },
        }
        data = self(
            "mutation($i: CreatePeerInput!) { createPeer(input: $i) { peer { id } } }",
            {"i": peer},
        )
        peer_id: str = data["createPeer"]["peer"]["id"]
        return peer_id

    def wallet_address(self, asset_id: str, path: str) -> str:
        data = self(
            "mutation($i: CreateWalletAddressInput!) { createWalletAddress(input: $i) "
            "{ walletAddress { id } } }",
            {"i": {"assetId": asset_id, "address": path}},
        )
        wallet_id: str = data["createWalletAddress"]["walletAddress"]["id"]
        return wallet_id

    def wallet_liquidity(self, wallet_id: str) -> int:
        data = self(
            "query($id: String!) { walletAddress(id: $id) { liquidity } }", {"id": wallet_id}
        )
        return int(data["walletAddress"]["liquidity"])


def start_ilpnode(
    name: str, address: str, workdir: Path, durability: str, **extra: str
) -> tuple[Service, dict[str, str]]:
    env = ilpnode_environment(workdir, name, durability)
    env.update(ILP_ADDRESS=address, **extra)
    node = Service(
        name, [sys.executable, "-m", "ilpnode", "run"], cwd=workdir, log_dir=workdir, env=env
    )
    wait_healthy(node, f"http://127.0.0.1:{env['ADMIN_PORT']}")
    return node, env


def prepares_handled(admin_url: str) -> int:
    """Every Prepare the node answered since it started (its `ilpnode_packets` counter)."""
    text = httpx.get(f"{admin_url}/metrics", timeout=10).text
    return int(
        sum(
            sample.value
            for family in text_string_to_metric_families(text)
            if family.name == "ilpnode_packets"
            for sample in family.samples
            if sample.name == "ilpnode_packets_total"
        )
    )


def run_sender(script: str, config: dict[str, Any], workdir: Path, name: str) -> dict[str, Any]:
    with service(
        name, ["node", script, json.dumps(config)], cwd=INTEROP_JS, log_dir=workdir
    ) as sender:
        try:
            sender.process.wait(timeout=SENDER_TIMEOUT_SECONDS)
        except Exception as error:
            raise HarnessError(f"{name} did not finish: {error}; {sender.log}") from None
        lines = [line for line in sender.output().splitlines() if line.startswith("RESULT ")]
        if not lines:
            raise HarnessError(f"{name} printed no RESULT; {sender.log}:\n{sender.tail()}")
        result: dict[str, Any] = json.loads(lines[-1][len("RESULT ") :])
        if result.get("error"):
            raise HarnessError(f"{name} failed: {result['error']}; {sender.log}")
        return result


def measure_round(args: argparse.Namespace, workdir: Path, round_: int) -> list[Measurement]:
    tokens = {name: secrets.token_urlsafe(24) for name in ("hop_in", "receiver_in", "sender_in")}
    results: list[Measurement] = []
    sender_port = free_port()
    receiver, receiver_env = start_ilpnode(
        f"receiver-{round_}",
        RECEIVER_ADDRESS,
        workdir,
        args.durability,
        OPEN_PAYMENTS_URL=f"{PUBLIC_BASE}/",
    )
    hop: Service | None = None
    try:
        receiver_admin = f"http://127.0.0.1:{receiver_env['ADMIN_PORT']}"
        receiver_connector = f"http://127.0.0.1:{receiver_env['CONNECTOR_PORT']}/"
        open_payments = f"http://127.0.0.1:{receiver_env['OPEN_PAYMENTS_PORT']}"
        at_receiver = Graphql(receiver_admin)
        usd = at_receiver.asset()
        hop_port = free_port()  # where the receiver sends to its peer the hop (never used)
        at_receiver.peer(
            usd,
            HOP_ADDRESS,
            incoming=tokens["receiver_in"],
            outgoing=tokens["hop_in"],
            endpoint=f"http://127.0.0.1:{hop_port}/",
        )
        hop_admin: str | None = None
        if args.hop == "ilpnode":
            hop, hop_env = start_ilpnode(f"hop-{round_}", HOP_ADDRESS, workdir, args.durability)
            hop_admin = f"http://127.0.0.1:{hop_env['ADMIN_PORT']}"
            at_hop = Graphql(hop_admin)
            hop_usd = at_hop.asset()
            at_hop.peer(
                hop_usd,
                RECEIVER_ADDRESS,
                incoming=tokens["hop_in"],
                outgoing=tokens["receiver_in"],
                endpoint=receiver_connector,
            )
            at_hop.peer(
                hop_usd,
                f"{HOP_ADDRESS}.sender",
                incoming=tokens["sender_in"],
                outgoing=secrets.token_urlsafe(16),
                endpoint=f"http://127.0.0.1:{sender_port}/",
                max_packet_amount=PACKET_AMOUNT,
            )
            sender_parent = f"http://127.0.0.1:{hop_env['CONNECTOR_PORT']}/"
        else:
            config = js_hop_config(tokens, receiver_connector, hop_port, sender_port)
            hop = Service(
                f"hop-{round_}",
                ["node", "connector.js", json.dumps(config)],
                cwd=INTEROP_JS,
                log_dir=workdir,
                env=dict(os.environ),
            )
            ready = hop.ready()
            sender_parent = ready["accounts"]["sender"]["url"]
        for sender in args.senders:
            wallet_path = f"{sender}-{round_}"
            wallet_id = at_receiver.wallet_address(usd, wallet_path)
            amount = args.packets * PACKET_AMOUNT
            config = {
                "port": sender_port,
                "incomingToken": secrets.token_urlsafe(16),
                "outgoingUrl": sender_parent,
                "outgoingToken": tokens["sender_in"],
                "timeoutMs": SENDER_TIMEOUT_SECONDS * 1000,
            }
            url = f"{PUBLIC_BASE}/{wallet_path}"
            url_map = {PUBLIC_BASE: open_payments}
            if sender == "stream":
                config.update(spsp={"url": url, "urlMap": url_map}, amount=str(amount))
            else:
                config.update(walletAddress=url, urlMap=url_map, amountToSend=str(amount))
            cpu_before = (receiver.cpu_seconds(), hop.cpu_seconds())
            prepares_before = prepares_handled(receiver_admin)
            hop_prepares_before = prepares_handled(hop_admin) if hop_admin else 0
            result = run_sender(SENDERS[sender], config, workdir, f"{sender}-{round_}")
            cpu_after = (receiver.cpu_seconds(), hop.cpu_seconds())
            prepares = prepares_handled(receiver_admin) - prepares_before
            # ilp-connector counts nothing we can read: every Prepare it passed on reached the
            # receiver (its IL-DCP answer to the sender aside).
            hop_prepares = (
                prepares_handled(hop_admin) - hop_prepares_before if hop_admin else prepares
            )
            delivered = int(result["totalDelivered" if sender == "stream" else "amountDelivered"])
            held = at_receiver.wallet_liquidity(wallet_id)
            if held != delivered or delivered != amount:
                raise HarnessError(
                    f"{sender}: sent {amount}, the sender says {delivered} arrived, "
                    f"the wallet address holds {held}"
                )
            seconds = (result["sendMs"] if sender == "stream" else result["payMs"]) / 1000
            results.append(
                Measurement(
                    sender=sender,
                    hop=args.hop,
                    round=round_,
                    packets=result["packets"],
                    delivered=delivered,
                    seconds=seconds,
                    packets_per_second=result["packets"] / seconds,
                    usd_per_second=delivered / 1e9 / seconds,
                    receiver_prepares=prepares,
                    receiver_cpu_us_per_packet=per_packet_us(cpu_before[0], cpu_after[0], prepares),
                    hop_cpu_us_per_packet=per_packet_us(cpu_before[1], cpu_after[1], hop_prepares),
                )
            )
    finally:
        if hop is not None:
            hop.stop()
        receiver.stop()
    return results


def js_hop_config(
    tokens: dict[str, str], receiver_connector: str, hop_port: int, sender_port: int
) -> dict[str, Any]:
    """ilp-connector as the hop: the receiver its peer, the sender its child (max packet)."""
    return {
        "ilpAddress": HOP_ADDRESS,
        "assetCode": "USD",
        "assetScale": 9,
        "accounts": {
            "receiver": {
                "relation": "peer",
                "port": hop_port,
                "incomingToken": tokens["hop_in"],
                "outgoingUrl": receiver_connector,
                "outgoingToken": tokens["receiver_in"],
            },
            "sender": {
                "relation": "child",
                "port": 0,
                "incomingToken": tokens["sender_in"],
                "outgoingUrl": f"http://127.0.0.1:{sender_port}/",
                "outgoingToken": secrets.token_urlsafe(16),
                "maxPacketAmount": str(PACKET_AMOUNT),
            },
        },
        "routes": [{"targetPrefix": RECEIVER_ADDRESS, "peerId": "receiver"}],
    }


def per_packet_us(before: float | None, after: float | None, packets: int) -> float | None:
    """CPU µs per packet from two CPU readings in seconds (None if either is unknown)."""
    if before is None or after is None or packets <= 0:
        return None
    return (after - before) / packets * 1e6


def report(results: list[Measurement], args: argparse.Namespace, workdir: Path) -> None:
    print(
        f"one STREAM payment of {args.packets} packets x {PACKET_AMOUNT} (USD scale 9) into an "
        f"ilpnode wallet address through {args.hop}; ledger {args.durability}; packet path "
        f"{packet_path(ilpnode_environment(workdir, 'probe', args.durability))}; "
        f"median of {args.rounds} round(s)"
    )
    header = (
        f"{'sender':<8}{'packets':>9}{'seconds':>9}{'packets/s':>11}{'USD/s':>9}"
        f"{'receiver µs/pkt':>17}{'hop µs/pkt':>12}"
    )
    print(header)
    for sender in args.senders:
        rows = [m for m in results if m.sender == sender]
        middle = sorted(rows, key=lambda m: m.packets_per_second)[len(rows) // 2]
        hop_cpu = middle.hop_cpu_us_per_packet
        print(
            f"{sender:<8}{middle.packets:>9}{middle.seconds:>9.2f}"
            f"{middle.packets_per_second:>11.0f}{middle.usd_per_second:>9.3f}"
            f"{format_us(middle.receiver_cpu_us_per_packet):>17}{format_us(hop_cpu):>12}"
        )
        if len(rows) > 1:
            spread = statistics.pstdev(m.packets_per_second for m in rows)
            print(f"{'':<8}(packets/s over rounds: ± {spread:.0f})")


def format_us(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--senders", default="stream,pay", help="stream, pay, or both")
    parser.add_argument("--hop", choices=HOPS, default="ilpnode")
    parser.add_argument("--packets", type=int, default=2000, help="packets per payment")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument(
        "--durability", choices=("power-loss", "process-crash"), default="power-loss"
    )
    parser.add_argument("--json", type=Path, help="also write every measurement here")
    parser.add_argument("--keep-logs", action="store_true")
    args = parser.parse_args(argv)
    args.senders = [s for s in args.senders.split(",") if s]
    unknown = [s for s in args.senders if s not in SENDERS]
    if unknown or not args.senders:
        parser.error(f"--senders: choose from {', '.join(SENDERS)}")
    if args.packets < 1 or args.rounds < 1:
        parser.error("--packets and --rounds must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if shutil.which("node") is None:
        print("harness failure: node not found on PATH", file=sys.stderr)
        return 1
    workdir = Path(tempfile.mkdtemp(prefix="ilpnode-bench-stream-"))
    results: list[Measurement] = []
    try:
        ensure_interop_packages()
        for round_ in range(1, args.rounds + 1):
            results.extend(measure_round(args, workdir, round_))
    except HarnessError as error:
        print(f"harness failure: {error}", file=sys.stderr)
        print(f"logs kept in {workdir}", file=sys.stderr)
        return 1
    report(results, args, workdir)
    if args.json:
        args.json.write_text(json.dumps([dataclasses.asdict(m) for m in results], indent=2))
    if args.keep_logs:
        print(f"logs in {workdir}")
    else:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
