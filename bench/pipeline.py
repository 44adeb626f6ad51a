"""Benchmark: the connector pipeline alone, in process: no HTTP, no disk.

Run from the project root::

    python bench/pipeline.py [--packets 20000] [--concurrency 100] [--rounds 3]

Each packet goes through the whole `Connector` (every middleware, the reservation and the post
on an in-memory ledger) of the unit tests' three-peer world (`tests/unit/connector/harness.py`),
to a next hop that answers with a Fulfill after one turn of the event loop. Prints µs of wall
time per packet (one thread: that is its CPU time) for each round.

Wall time on a shared machine swings; for changes of a few percent count instructions instead,
which repeat exactly: run it twice under callgrind and take the difference per packet::

    valgrind --tool=callgrind python bench/pipeline.py --packets 500 --rounds 1
    valgrind --tool=callgrind python bench/pipeline.py --packets 2500 --rounds 1
    # (total of the second - total of the first) / 2000 = instructions per packet
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import sys
import time
from pathlib import Path

import uvloop

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ilpnode import compiled

compiled.activate()  # a script: choose compiled or sources before the imports below

from ilpnode.connector.types import Reply  # noqa: E402
from ilpnode.ilp import Fulfill, encode_prepare  # noqa: E402
from ilpnode.peer_table import ForwardingPeer  # noqa: E402
from tests.unit.connector.harness import PREIMAGE, make_world  # noqa: E402

FULFILL = Fulfill(fulfillment=PREIMAGE)


class _FulfillingHop:
    async def send(self, peer: ForwardingPeer, body: bytes, *, timeout_seconds: float) -> Reply:
        await asyncio.sleep(0)  # the reply comes in a later turn of the loop, as over HTTP
        return FULFILL


async def _run(args: argparse.Namespace) -> None:
    world = await make_world(liquidity=10**15, alice_max=None)
    world.connector._client = _FulfillingHop()
    peer = world.peers["alice"]
    prepare = world.prepare("test.bob.receiver", 1, expires_in=20)
    raw = encode_prepare(prepare)
    connector = world.connector
    gc.collect()
    gc.freeze()  # as the node does (gc_freezer): the set-up is not what is measured

    async def one() -> bytes:
        return await connector.handle(peer, prepare, raw)

    assert (await one())[0] == 13, "the pipeline does not fulfill"  # ILP Fulfill type
    batches = max(1, args.packets // args.concurrency)
    for round_number in range(1, args.rounds + 1):
        started = time.perf_counter()
        for _ in range(batches):
            await asyncio.gather(*(one() for _ in range(args.concurrency)))
        elapsed = time.perf_counter() - started
        per_packet = elapsed / (batches * args.concurrency) * 1e6
        print(f"round {round_number}: {per_packet:.1f} µs per packet", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--packets", type=int, default=20_000)
    parser.add_argument("--concurrency", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3)
    uvloop.run(_run(parser.parse_args()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
