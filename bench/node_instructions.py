"""Benchmark: the whole node's instructions per forwarded packet, which repeat where time does not.

Run from the project root (needs valgrind: the Debian package)::

    python bench/node_instructions.py [--concurrency 10 | --rate 30] [--seconds 20]
        [--baseline DIR] [--top 25]

A real node (`python -m ilpnode run`, SQLite, the durable default) runs under callgrind between
the same Node.js load generator and fulfiller as `bench/connector.py`'s Node shape. After a
warm-up the counters are zeroed, the generator runs for `--seconds`, and the counters are
dumped: the node's user-space instructions in that span over the packets fulfilled in it. The
kernel's work (TCP, the disk) is not counted, nor is the sync process's (a child).

Under callgrind the node runs ~50 times slower while its peers do not, so at a concurrency the
node's groups are larger than at full speed: compare runs of this tool with each other, not with
`bench/connector.py`. With `--rate` (packets/s, an open loop) instead of `--concurrency`,
packets arrive alone (the light-traffic shape); the span then also holds the idle node's
background work (timers, sweeps), ~2 million instructions a second here.

`--baseline DIR` (a checkout of another revision, built with `tools/build_compiled.py`) runs it
the same way after this tree, both through `PYTHONPATH`. Prints, for each, the instructions per
packet and the `--top` compiled functions of the node by instructions per packet, inclusive of
what they call. Runs of one tree differ by about one per cent (the group sizes vary with the
timing); docs/benchmarks.md has figures.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.connector import (
    BENCH_JS,
    DESTINATION,
    FAR_FUTURE,
    FULFILLER_ADDRESS,
    FULFILLMENT,
    ROOT,
    HarnessError,
    _node,
    configure_ilpnode,
    ilpnode_environment,
    loadgen,
    packet_path,
    service,
    wait_healthy,
)
from ilpnode.ilp import Prepare, encode_packet

START_TIMEOUT_SECONDS = 300.0  # a node under callgrind starts in tens of seconds
# A compiled function's C name, from callgrind_annotate: CPyDef_<module>___<function>.
_NATIVE = re.compile(r"^\s*([\d,]+) .*:CPyDef_(\w+?)(?:_gen_____mypyc_generator_helper__)? \[")


@dataclass(frozen=True)
class Profile:
    tree: Path
    packet_path: str
    packets: int
    instructions: int
    functions: list[tuple[str, int]]  # (name, instructions), inclusive, most first

    @property
    def per_packet(self) -> float:
        return self.instructions / self.packets


def _prepare() -> bytes:
    return encode_packet(
        Prepare(
            amount=1,
            expires_at=FAR_FUTURE,
            execution_condition=hashlib.sha256(FULFILLMENT).digest(),
            destination=DESTINATION,
            data=bytes(64),
        )
    )


def _load(url: str, token: str, config: dict[str, object]) -> dict[str, object]:
    done = subprocess.run(
        loadgen(_prepare(), (url,), token, config), capture_output=True, text=True, check=False
    )
    for line in done.stdout.splitlines():
        if line.startswith("RESULT "):
            result: dict[str, object] = json.loads(line.removeprefix("RESULT "))
            return result
    raise HarnessError(f"the load generator gave no result: {done.stderr.strip()}")


def profile(tree: Path, args: argparse.Namespace, workdir: Path) -> Profile:
    """One run of the node of `tree` under callgrind (see the module docstring)."""
    fulfiller_token, generator_token = secrets.token_urlsafe(16), secrets.token_urlsafe(16)
    out = workdir / "callgrind.out"
    shape: dict[str, object] = (
        {"rate": args.rate} if args.rate else {"concurrency": args.concurrency}
    )
    with contextlib.ExitStack() as stack:
        fulfiller = stack.enter_context(
            service(
                "fulfiller",
                _node(
                    BENCH_JS / "fulfiller.js",
                    {
                        "port": 0,
                        "token": fulfiller_token,
                        "fulfillment": FULFILLMENT.hex(),
                        "address": FULFILLER_ADDRESS,
                    },
                ),
                cwd=ROOT,
                log_dir=workdir,
            )
        ).ready()
        env = ilpnode_environment(workdir, "ilpnode", args.durability)
        env["PYTHONPATH"] = str(tree / "src")
        command = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}"]
        node = stack.enter_context(
            service(
                "ilpnode",
                [*command, sys.executable, "-m", "ilpnode", "run"],
                cwd=workdir,
                log_dir=workdir,
                env=env,
            )
        )
        admin_url = f"http://127.0.0.1:{env['ADMIN_PORT']}"
        wait_healthy(node, admin_url, START_TIMEOUT_SECONDS)
        configure_ilpnode(admin_url, generator_token, fulfiller["url"], fulfiller_token)
        url = f"http://127.0.0.1:{env['CONNECTOR_PORT']}/"
        _load(url, generator_token, {**shape, "durationMs": args.warmup * 1000, "warmupMs": 0})
        pid = str(node.process.pid)
        subprocess.run(["callgrind_control", "--zero", pid], check=True, capture_output=True)
        result = _load(
            url, generator_token, {**shape, "durationMs": args.seconds * 1000, "warmupMs": 0}
        )
        subprocess.run(["callgrind_control", "--dump", pid], check=True, capture_output=True)
        packets = result["fulfilled"]
        if not isinstance(packets, int) or packets <= 0 or result["requests"] != packets:
            raise HarnessError(f"not every packet was fulfilled: {result}")
        instructions, functions = _read(Path(f"{out}.1"))
        return Profile(tree, packet_path(env), packets, instructions, functions)


def _read(dump: Path) -> tuple[int, list[tuple[str, int]]]:
    annotated = subprocess.run(
        ["callgrind_annotate", "--inclusive=yes", "--threshold=100", str(dump)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    total = re.search(r"^\s*([\d,]+) .*PROGRAM TOTALS", annotated, re.MULTILINE)
    if total is None:
        raise HarnessError(f"no total in {dump}")
    functions: dict[str, int] = {}
    for line in annotated.splitlines():
        match = _NATIVE.match(line)
        if match:
            name = match.group(2)
            functions[name] = max(functions.get(name, 0), int(match.group(1).replace(",", "")))
    ranked = sorted(functions.items(), key=lambda item: -item[1])
    return int(total.group(1).replace(",", "")), ranked


def report(profiles: list[Profile], top: int) -> None:
    for found in profiles:
        print(
            f"{found.tree}: {found.per_packet:,.0f} instructions per packet"
            f" ({found.instructions:,} over {found.packets:,} packets; packet path"
            f" {found.packet_path})"
        )
    if len(profiles) == 2:
        ours, base = profiles
        print(f"change: {(ours.per_packet / base.per_packet - 1) * 100:+.1f} %")
    print(f"\ncompiled functions, instructions per packet (inclusive), top {top}:")
    names = [name for name, _ in profiles[0].functions[:top]]
    per = [{name: count / found.packets for name, count in found.functions} for found in profiles]
    header = "".join(f"{str(found.tree)[-24:]:>26}" for found in profiles)
    print(f"{'function':<60}{header}")
    for name in names:
        counts = "".join(f"{table.get(name, 0):>26,.0f}" for table in per)
        print(f"{name[:59]:<60}{counts}")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--concurrency", type=int, default=10, help="closed loops (default 10)")
    parser.add_argument("--rate", type=int, help="packets/s, an open loop, instead")
    parser.add_argument("--seconds", type=int, default=20, help="measured span (default 20)")
    parser.add_argument("--warmup", type=int, default=5, help="seconds before it (default 5)")
    parser.add_argument("--durability", default="power-loss", help="LEDGER_DURABILITY")
    parser.add_argument("--baseline", type=Path, help="another checkout, run the same way")
    parser.add_argument("--top", type=int, default=25, help="functions listed (default 25)")
    args = parser.parse_args(argv)
    for tool in ("valgrind", "callgrind_control", "callgrind_annotate", "node"):
        if shutil.which(tool) is None:
            parser.error(f"{tool} is not on PATH (valgrind, nodejs: the Debian packages)")
    if args.concurrency < 1 or (args.rate is not None and args.rate < 1):
        parser.error("--concurrency and --rate must be at least 1")
    if args.baseline is not None and not (args.baseline / "src" / "ilpnode").is_dir():
        parser.error(f"--baseline {args.baseline}: no src/ilpnode there")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    trees = [ROOT] + ([args.baseline.resolve()] if args.baseline else [])
    profiles = []
    for tree in trees:
        with tempfile.TemporaryDirectory(prefix="ilpnode-instructions-") as workdir:
            profiles.append(profile(tree, args, Path(workdir)))
    report(profiles, args.top)
    return 0


if __name__ == "__main__":
    sys.exit(main())
