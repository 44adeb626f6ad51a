"""Benchmark: one STREAM payment sent by an ilpnode, against ilp-protocol-stream sending the
same payment through the same node, in the same run.

Run from the project root::

    python bench/stream_send.py [--senders ilpnode,stream] [--packets 10000] [--rounds 1]
                                [--durability power-loss]

The paths, on loopback::

    ilpnode:  node A (sendPayment, from its USD liquidity) ──────────────▶ node B ──▶ wallet
    stream:   ilp-protocol-stream ──▶ node A (forwards, its peer) ─────▶ node B ──▶ address

- node A, the sender's node: ``python -m ilpnode run`` on SQLite, one asset (USD, scale 9)
  with liquidity to pay from, its peer B, and (for ``stream``) the JS sender as a peer that
  learns its address from A by IL-DCP;
- node B, the receiver: a second ilpnode whose peer A has a ``maxPacketAmount`` of
  ``PACKET_AMOUNT``, and one wallet address per payment, resolved by SPSP on B's
  ``OPEN_PAYMENTS_PORT`` (plain http on loopback);
- ``ilpnode``: the ``sendPayment`` mutation on A, then ``outgoingPayment`` polled every
  ``POLL_SECONDS`` until the state is final; ``stream``: ilp-protocol-stream 2.7.1
  (``tests/interop/js/stream_sender.js``: ``createConnection`` + ``sendTotal``).

Both learn the packet size from B's F08 and send ``--packets`` x ``PACKET_AMOUNT``: one payment
per sender and round, over the same A → B link. Reported per payment: packets fulfilled with
money, the seconds to completion, packets/s over them, and the CPU time of A and of B per
packet B fulfilled (user + system, child processes included, from ``/proc``). Seconds to
completion: for ``ilpnode``, from the mutation to the first poll that sees the payment
COMPLETED (the SPSP query, the rate probe and the close included; the poll adds up to
``POLL_SECONDS``); for ``stream``, ``sendTotal`` alone (its SPSP query and connection set-up are
left out, which favours it). B's wallet address must hold exactly what was sent, and for
``ilpnode`` the payment must say it delivered exactly that, or the harness fails.

What bounds each sender: ilp-protocol-stream sends one packet at a time (the next when the
previous is answered), so its packets/s is one over the round trip A → B; ilpnode's sender
keeps up to ``SenderLimits.max_in_flight`` packets in flight.

The machine's other load shows in every figure; run it alone (``make bench`` runs it last).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import secrets
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Final

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.connector import (
    HarnessError,
    Service,
    ensure_interop_packages,
    ilpnode_environment,
    packet_path,
)
from bench.connector import _free_port as free_port
from bench.stream_receive import (
    LARGE,
    Graphql,
    format_us,
    per_packet_us,
    prepares_handled,
    run_sender,
    start_ilpnode,
)

PACKET_AMOUNT: Final = 1_000_000  # 0.001 USD at scale 9: B's maximum packet amount from A
SENDER_ADDRESS: Final = "test.bench.a"
RECEIVER_ADDRESS: Final = "test.bench.b"
SENDERS: Final = ("ilpnode", "stream")
POLL_SECONDS: Final = 0.01
PAYMENT_TIMEOUT_SECONDS: Final = 900


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Measurement:
    sender: str
    round: int
    packets: int
    delivered: int
    seconds: float
    packets_per_second: float
    sender_node_cpu_us_per_packet: float | None
    receiver_node_cpu_us_per_packet: float | None


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Nodes:
    a: Service
    b: Service
    at_a: Graphql
    at_b: Graphql
    a_admin: str
    b_admin: str
    a_connector: str
    a_usd: str
    b_usd: str
    b_open_payments: str
    js_token: str


def start_nodes(args: argparse.Namespace, workdir: Path, round_: int) -> Nodes:
    """Nodes A and B, peered both ways, A's USD liquidity deposited, the JS sender A's peer."""
    tokens = {name: secrets.token_urlsafe(24) for name in ("a_in", "b_in", "js_in")}
    open_payments_port = free_port()
    b, b_env = start_ilpnode(
        f"b-{round_}",
        RECEIVER_ADDRESS,
        workdir,
        args.durability,
        OPEN_PAYMENTS_PORT=str(open_payments_port),
        OPEN_PAYMENTS_URL=f"http://127.0.0.1:{open_payments_port}/",
    )
    try:
        a, a_env = start_ilpnode(f"a-{round_}", SENDER_ADDRESS, workdir, args.durability)
    except BaseException:
        b.stop()
        raise
    a_admin = f"http://127.0.0.1:{a_env['ADMIN_PORT']}"
    b_admin = f"http://127.0.0.1:{b_env['ADMIN_PORT']}"
    a_connector = f"http://127.0.0.1:{a_env['CONNECTOR_PORT']}/"
    b_connector = f"http://127.0.0.1:{b_env['CONNECTOR_PORT']}/"
    at_a, at_b = Graphql(a_admin), Graphql(b_admin)
    try:
        a_usd, b_usd = at_a.asset(), at_b.asset()
        at_b.peer(
            b_usd,
            SENDER_ADDRESS,
            incoming=tokens["b_in"],
            outgoing=tokens["a_in"],
            endpoint=a_connector,
            max_packet_amount=PACKET_AMOUNT,
        )
        at_a.peer(
            a_usd,
            RECEIVER_ADDRESS,
            incoming=tokens["a_in"],
            outgoing=tokens["b_in"],
            endpoint=b_connector,
        )
        at_a.peer(
            a_usd,
            f"{SENDER_ADDRESS}.sender",
            incoming=tokens["js_in"],
            outgoing=secrets.token_urlsafe(16),
            endpoint=f"http://127.0.0.1:{free_port()}/",
        )
        deposit_asset(at_a, a_usd, LARGE)
    except BaseException:
        a.stop()
        b.stop()
        raise
    return Nodes(
        a=a,
        b=b,
        at_a=at_a,
        at_b=at_b,
        a_admin=a_admin,
        b_admin=b_admin,
        a_connector=a_connector,
        a_usd=a_usd,
        b_usd=b_usd,
        b_open_payments=f"http://127.0.0.1:{open_payments_port}",
        js_token=tokens["js_in"],
    )


def deposit_asset(at: Graphql, asset_id: str, amount: int) -> None:
    at(
        "mutation($i: DepositAssetLiquidityInput!) { depositAssetLiquidity(input: $i) "
        "{ success } }",
        {
            "i": {
                "assetId": asset_id,
                "amount": str(amount),
                "id": str(uuid.uuid4()),
                "idempotencyKey": str(uuid.uuid4()),
            }
        },
    )


_PAYMENT = (
    "id state error packets sentAmount { value } deliveredAmount { value } createdAt updatedAt"
)


def pay_with_ilpnode(nodes: Nodes, url: str, amount: int) -> tuple[int, int, float]:
    """sendPayment on A, polled to the end: (fulfilled packets, delivered, seconds)."""
    started = time.monotonic()
    data = nodes.at_a(
        "mutation($i: SendPaymentInput!) { sendPayment(input: $i) "
        f"{{ payment {{ {_PAYMENT} }} }} }}",
        {
            "i": {
                "id": str(uuid.uuid4()),
                "assetId": nodes.a_usd,
                "receiver": url,
                "debitAmount": str(amount),
                "idempotencyKey": str(uuid.uuid4()),
            }
        },
    )
    payment = data["sendPayment"]["payment"]
    deadline = started + PAYMENT_TIMEOUT_SECONDS
    while payment["state"] not in ("COMPLETED", "FAILED", "CANCELLED"):
        if time.monotonic() > deadline:
            raise HarnessError(f"the payment did not end in {PAYMENT_TIMEOUT_SECONDS} s")
        time.sleep(POLL_SECONDS)
        payment = nodes.at_a(
            f"query($id: String!) {{ outgoingPayment(id: $id) {{ {_PAYMENT} }} }}",
            {"id": payment["id"]},
        )["outgoingPayment"]
    seconds = time.monotonic() - started
    if payment["state"] != "COMPLETED":
        raise HarnessError(f"ilpnode's payment {payment['state']}: {payment['error']}")
    return int(payment["packets"]), int(payment["deliveredAmount"]["value"]), seconds


def pay_with_stream(
    nodes: Nodes, url: str, amount: int, workdir: Path, name: str
) -> tuple[int, int, float]:
    """ilp-protocol-stream through A: (fulfilled packets, delivered, seconds of sendTotal)."""
    config = {
        "port": free_port(),
        "incomingToken": secrets.token_urlsafe(16),
        "outgoingUrl": nodes.a_connector,
        "outgoingToken": nodes.js_token,
        "spsp": {"url": url},
        "amount": str(amount),
        "timeoutMs": PAYMENT_TIMEOUT_SECONDS * 1000,
    }
    result = run_sender("stream_sender.js", config, workdir, name)
    return int(result["packets"]), int(result["totalDelivered"]), result["sendMs"] / 1000


def measure_round(args: argparse.Namespace, workdir: Path, round_: int) -> list[Measurement]:
    nodes = start_nodes(args, workdir, round_)
    results: list[Measurement] = []
    try:
        for sender in args.senders:
            path = f"{sender}-{round_}"
            wallet_id = nodes.at_b.wallet_address(nodes.b_usd, path)
            url = f"{nodes.b_open_payments}/{path}"
            amount = args.packets * PACKET_AMOUNT
            cpu_before = (nodes.a.cpu_seconds(), nodes.b.cpu_seconds())
            b_prepares_before = prepares_handled(nodes.b_admin)
            if sender == "ilpnode":
                packets, delivered, seconds = pay_with_ilpnode(nodes, url, amount)
            else:
                packets, delivered, seconds = pay_with_stream(nodes, url, amount, workdir, path)
            cpu_after = (nodes.a.cpu_seconds(), nodes.b.cpu_seconds())
            b_prepares = prepares_handled(nodes.b_admin) - b_prepares_before
            held = nodes.at_b.wallet_liquidity(wallet_id)
            if not held == delivered == amount:
                raise HarnessError(
                    f"{sender}: sent {amount}, the sender says {delivered} arrived, "
                    f"the wallet address holds {held}"
                )
            results.append(
                Measurement(
                    sender=sender,
                    round=round_,
                    packets=packets,
                    delivered=delivered,
                    seconds=seconds,
                    packets_per_second=packets / seconds,
                    sender_node_cpu_us_per_packet=per_packet_us(
                        cpu_before[0], cpu_after[0], b_prepares
                    ),
                    receiver_node_cpu_us_per_packet=per_packet_us(
                        cpu_before[1], cpu_after[1], b_prepares
                    ),
                )
            )
    finally:
        nodes.a.stop()
        nodes.b.stop()
    return results


def report(results: list[Measurement], args: argparse.Namespace, workdir: Path) -> None:
    print(
        f"one STREAM payment of {args.packets} packets x {PACKET_AMOUNT} (USD scale 9) from "
        f"node A to a wallet address at node B; ledger {args.durability}; packet path "
        f"{packet_path(ilpnode_environment(workdir, 'probe', args.durability))}; "
        f"median of {args.rounds} round(s)"
    )
    heading = f"{'sender':<9}{'packets':>9}{'seconds':>9}{'packets/s':>11}"
    print(f"{heading}{'A µs/pkt':>10}{'B µs/pkt':>10}")
    for sender in args.senders:
        rows = [m for m in results if m.sender == sender]
        middle = sorted(rows, key=lambda m: m.packets_per_second)[len(rows) // 2]
        print(
            f"{sender:<9}{middle.packets:>9}{middle.seconds:>9.2f}"
            f"{middle.packets_per_second:>11.0f}"
            f"{format_us(middle.sender_node_cpu_us_per_packet):>10}"
            f"{format_us(middle.receiver_node_cpu_us_per_packet):>10}"
        )
        if len(rows) > 1:
            spread = statistics.pstdev(m.packets_per_second for m in rows)
            print(f"{'':<9}(packets/s over rounds: ± {spread:.0f})")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--senders", default="ilpnode,stream", help="ilpnode, stream, or both")
    parser.add_argument("--packets", type=int, default=10_000, help="packets per payment")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument(
        "--durability", choices=("power-loss", "process-crash"), default="power-loss"
    )
    parser.add_argument("--json", type=Path, help="also write every measurement here")
    parser.add_argument("--keep-logs", action="store_true")
    args = parser.parse_args(argv)
    args.senders = [s for s in args.senders.split(",") if s]
    if not args.senders or any(s not in SENDERS for s in args.senders):
        parser.error(f"--senders: choose from {', '.join(SENDERS)}")
    if args.packets < 1 or args.rounds < 1:
        parser.error("--packets and --rounds must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if "stream" in args.senders and shutil.which("node") is None:
        print("harness failure: node not found on PATH", file=sys.stderr)
        return 1
    workdir = Path(tempfile.mkdtemp(prefix="ilpnode-bench-send-"))
    results: list[Measurement] = []
    try:
        if "stream" in args.senders:
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
