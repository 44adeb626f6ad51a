"""Benchmark: ILP packets per second through a connector, over ILP-over-HTTP on loopback.

Run from the project root::

    python bench/connector.py [--duration 5] [--warmup 1] [--rounds 3] [--concurrency 1,10,100]
                              [--paths direct,ilp-connector,ilpnode,ilpnode-process-crash,
                                       ilpnode-postgres,ilpnode-shared] [--postgres URL]
                              [--generator both|wrk|node] [--baseline DIR]
                              [--idle-seconds 3] [--idle-rate 100] [--idle-only]

The paths, each at every concurrency (closed loops: `c` requests in flight at a time, each over
its own keep-alive connection), in `--rounds` rounds that interleave the paths (so that a slow
spell of a shared machine hits them all alike); the median round of each is reported:

- ``direct``: load generator → fulfiller, the ceiling any connector can reach on this machine;
- ``ilp-connector``: generator → a real interledgerjs ilp-connector 23.0.2
  (``tests/interop/js/connector.js``: ilp-plugin-http accounts, one-to-one rates, in-memory
  balances) → fulfiller;
- ``ilpnode``: generator → ``python -m ilpnode run`` (SQLite in a temporary directory; an asset
  and two peers created through the Admin GraphQL API; the ledger durable with the default
  ``LEDGER_DURABILITY=power-loss``: every group commit fdatasynced) → fulfiller;
- ``ilpnode-process-crash``: the same with ``LEDGER_DURABILITY=process-crash`` (commits written
  to the operating system, not synced: they survive ``kill -9``, not a power cut);
- ``ilpnode-postgres`` (not by default): one ``python -m ilpnode run`` with
  ``LEDGER_BACKEND=postgres`` on a throwaway database of ``--postgres SERVER_URL`` (default
  ``TEST_DATABASE_URL`` or the local server);
- ``ilpnode-shared`` (not by default): two such processes on one database, the generator's
  connections alternating between them (so always the Node generator); its cpu figure adds the
  two processes and their PostgreSQL backends' CPU time (the server is on this machine);
- ``ilpnode-baseline`` and ``ilpnode-shared-baseline``, with ``--baseline DIR`` only: the
  ``ilpnode`` and ``ilpnode-shared`` paths run from the source tree at DIR (e.g. ``git worktree
  add /tmp/base main``), to measure a change against what it changes in the same interleaved
  run.

The fulfiller (``bench/js/fulfiller.js``, Node's http module) answers each Prepare with a Fulfill
of one fixed fulfillment. Every Prepare is amount 1 with a far-future expiry and unique data (see
the Lua script for why). Two load generator shapes, both measured by default (``--generator
both``; ``wrk`` or ``node`` runs one), each at every path and concurrency in every round:

- ``wrk``: ``wrk`` with ``bench/ilp_prepare.lua`` (Debian package ``wrk``; without it on PATH
  only the node shape runs). C, one thread: it costs almost no CPU, so the connector and the
  fulfiller have the machine to themselves;
- ``node``: ``bench/js/loadgen.js``, Node's http module, which costs CPU like a real peer does,
  on the same cores as the connector and the (Node) fulfiller. The paths with several node
  processes (``ilpnode-shared``) are measured in this shape only (wrk drives one URL).

Prints, per shape, one table (packets/s, p50/p99 latency, fulfilled/rejected/error counts, the
middle process's CPU time per packet, its child processes included: ilpnode's sync process), the
ratios of each ilpnode path to ilp-connector (and of the shared paths to the embedded ``ilpnode``
path) with both sides' p50 and CPU per packet, and the p50 latency each path adds to the direct
path at each concurrency: per round, the path's p50 minus the direct path's p50 of the same
round, then the median over rounds (pairing within a round cancels most of the machine's
swings); then the ratios of both shapes side by side.

Then the idle and low-traffic CPU of ilp-connector, ilpnode, ilpnode-process-crash and
ilpnode-baseline (those in the run; ``bench/connector_idle.py``): % of one core at a paced
open-loop load of ``--idle-rate`` packets/s (Node pacer, not counted) and with no traffic,
``--idle-seconds`` each (0: skipped; ``--idle-only``: only these, no load rounds; ~12 s for two
paths at the defaults).

The header names the machine's CPU count and load average at the start, the report's its load
average at the end (the machine is shared: a figure means little without it).

Rejects are results, not failures: the script exits non-zero only when the harness itself fails
(a process does not start, a generator crashes, the Admin API refuses the setup, or the
direct/ilp-connector paths see HTTP errors).
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import functools
import hashlib
import json
import os
import platform
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy.engine import make_url

from ilpnode import compiled

compiled.activate()  # a script: choose compiled or sources before the imports below

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # bench.connector_idle

from bench.connector_idle import (  # noqa: E402
    IdleFigures,
    Measured,
    PacerError,
    measure_idle,
    report_idle,
)
from ilpnode.ilp import Prepare, encode_packet  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
BENCH_JS = ROOT / "bench" / "js"
INTEROP_JS = ROOT / "tests" / "interop" / "js"
WRK_SCRIPT = ROOT / "bench" / "ilp_prepare.lua"

FULFILLMENT = hashlib.sha256(b"ilpnode connector bench").digest()
FULFILLER_ADDRESS = "test.bench.fulfiller"
GENERATOR_ADDRESS = "test.bench.generator"
DESTINATION = f"{FULFILLER_ADDRESS}.receiver"
FAR_FUTURE = datetime(2099, 1, 1, tzinfo=UTC)  # connectors cap the hold time (30 s) themselves
LARGE = 10**18  # liquidity, balance limits and max packet amount: never the limit here
UNUSED_ENDPOINT = "http://127.0.0.1:9/"  # the generator never receives packets
START_TIMEOUT_SECONDS = 30.0
PATHS = (
    "direct",
    "ilp-connector",
    "ilpnode",
    "ilpnode-process-crash",
    "ilpnode-postgres",
    "ilpnode-shared",
    "ilpnode-baseline",
    "ilpnode-shared-baseline",
)
DEFAULT_PATHS = ("direct", "ilp-connector", "ilpnode", "ilpnode-process-crash")
# The ilpnode paths and the LEDGER_DURABILITY each runs with.
ILPNODE_PATHS = {
    "ilpnode": "power-loss",
    "ilpnode-process-crash": "process-crash",
    "ilpnode-postgres": "power-loss",
    "ilpnode-shared": "power-loss",
    "ilpnode-baseline": "power-loss",
    "ilpnode-shared-baseline": "power-loss",
}
# The paths on the shared PostgreSQL ledger, and how many node processes each runs.
SHARED_PATHS = {"ilpnode-postgres": 1, "ilpnode-shared": 2, "ilpnode-shared-baseline": 2}
BASELINE_PATHS = {"ilpnode": "ilpnode-baseline", "ilpnode-shared": "ilpnode-shared-baseline"}
# The generator shapes, in the order a round measures them.
SHAPES = ("wrk", "node")
# The paths whose idle and low-traffic CPU is measured (when in the run).
IDLE_PATHS = ("ilp-connector", "ilpnode", "ilpnode-process-crash", "ilpnode-baseline")
DEFAULT_POSTGRES = os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")


class HarnessError(Exception):
    """The benchmark's own machinery failed (not a slow or rejecting connector)."""


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Measurement:
    shape: str  # the load generator: "wrk" or "node"
    path: str
    concurrency: int
    round: int
    requests: int
    fulfilled: int
    rejected: int
    reject_codes: dict[str, int]
    errors: int
    seconds: float
    packets_per_second: float
    p50_ms: float | None
    p99_ms: float | None
    cpu_us_per_packet: float | None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _cpu_seconds(pid: int) -> float | None:
    """utime + stime of a process and of its live children (Linux /proc; ilpnode's sync
    process is one), or None where that is not available."""
    own = _stat_fields(pid)
    if own is None:
        return None
    ticks = int(own[11]) + int(own[12])
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and entry.name != str(pid):
            fields = _stat_fields(int(entry.name))
            if fields is not None and fields[1] == str(pid):  # its parent is `pid`
                ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def _stat_fields(pid: int) -> list[str] | None:
    """/proc/PID/stat after the command name: state, ppid, …; None if it is gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None


class Service:
    """A background process whose output goes to a log file that is polled for readiness."""

    def __init__(
        self, name: str, args: list[str], *, cwd: Path, log_dir: Path, env: dict[str, str]
    ) -> None:
        self.name = name
        self.log = log_dir / f"{name}.log"
        with self.log.open("w") as sink:
            self.process = subprocess.Popen(
                args, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=sink, stderr=sink
            )

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def tail(self, lines: int = 30) -> str:
        return "\n".join(self.output().splitlines()[-lines:])

    def wait_for(self, marker: str, timeout: float = START_TIMEOUT_SECONDS) -> str:
        """The first output line containing `marker`; HarnessError on exit or timeout."""
        deadline = time.monotonic() + timeout
        while True:
            for line in self.output().splitlines():
                if marker in line:
                    return line
            if self.process.poll() is not None or time.monotonic() > deadline:
                state = self.process.poll()
                raise HarnessError(
                    f"{self.name} did not print {marker!r} (exit status {state});"
                    f" {self.log}:\n{self.tail()}"
                )
            time.sleep(0.05)

    def ready(self) -> dict[str, Any]:
        payload: dict[str, Any] = json.loads(self.wait_for("READY ").split("READY ", 1)[1])
        return payload

    def cpu_seconds(self) -> float | None:
        return _cpu_seconds(self.process.pid)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@contextmanager
def service(
    name: str, args: list[str], *, cwd: Path, log_dir: Path, env: dict[str, str] | None = None
) -> Iterator[Service]:
    running = Service(name, args, cwd=cwd, log_dir=log_dir, env=env or dict(os.environ))
    try:
        yield running
    finally:
        running.stop()


def _node(script: Path, config: dict[str, Any]) -> list[str]:
    return ["node", str(script), json.dumps(config)]


def loadgen(prepare: bytes, urls: tuple[str, ...], token: str, config: dict[str, Any]) -> list[str]:
    """The command line of bench/js/loadgen.js sending `prepare` to `urls` (`config`: its mode,
    duration and warm-up)."""
    return _node(
        BENCH_JS / "loadgen.js",
        {"urls": list(urls), "token": token, "body": prepare.hex(), **config},
    )


def pacer(prepare: bytes, target: Measured, config: dict[str, Any]) -> list[str]:
    """The idle figures' pacer: loadgen.js in its open-loop mode (`config` has its rate)."""
    return loadgen(prepare, target.urls, target.token, config)


def ensure_interop_packages() -> None:
    """`npm ci` in tests/interop/js (ilp-connector and friends) unless already installed."""
    hidden = INTEROP_JS / "node_modules" / ".package-lock.json"
    if (
        hidden.exists()
        and hidden.stat().st_mtime >= (INTEROP_JS / "package-lock.json").stat().st_mtime
    ):
        return  # installed from this lock file
    npm = shutil.which("npm")
    if npm is None:
        raise HarnessError("npm not found: the ilp-connector path needs tests/interop/js installed")
    install = subprocess.run(
        [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
        cwd=INTEROP_JS,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if install.returncode != 0:
        raise HarnessError(f"npm ci in {INTEROP_JS} failed:\n{install.stderr[-2000:]}")


class Generator:
    """Runs one measurement with wrk or the Node load generator (its `kind`: the shape it
    measures); parses its RESULT line."""

    def __init__(self, kind: str, prepare: bytes, workdir: Path) -> None:
        self.kind = kind
        self.prepare = prepare
        self.prepare_file = workdir / "prepare.bin"
        self.prepare_file.write_bytes(prepare)

    def describe(self) -> str:
        if self.kind == "wrk":
            version = subprocess.run(["wrk", "-v"], capture_output=True, text=True, check=False)
            first = (version.stdout or version.stderr).splitlines()[:1]
            return (
                f"wrk ({first[0] if first else 'unknown version'}), 1 thread, bench/ilp_prepare.lua"
            )
        return "bench/js/loadgen.js (Node http.Agent keepAlive, on the same cores)"

    def run(self, urls: tuple[str, ...], token: str, concurrency: int, seconds: float) -> Any:
        """One closed-loop run; the generator's RESULT payload (a warm-up is just a short run).
        wrk drives one URL: the paths with several node processes run in the node shape only."""
        if self.kind == "wrk":
            (url,) = urls
            return self._wrk(url, token, concurrency, seconds)
        config = {"concurrency": concurrency, "durationMs": round(seconds * 1000)}
        return self._result(loadgen(self.prepare, urls, token, config), seconds)

    def _wrk(self, url: str, token: str, concurrency: int, seconds: float) -> Any:
        whole = max(1, round(seconds))  # wrk takes whole seconds only
        args = ["wrk", "-t1", f"-c{concurrency}", f"-d{whole}s", "--timeout", "10s"]
        args += ["-s", str(WRK_SCRIPT), url, "--", str(self.prepare_file), token]
        return self._result(args, whole)

    @staticmethod
    def _result(args: list[str], seconds: float) -> Any:
        try:
            done = subprocess.run(
                args, capture_output=True, text=True, timeout=seconds + 60, check=False
            )
        except subprocess.TimeoutExpired as error:
            raise HarnessError(f"load generator hung: {args[0]}") from error
        for line in done.stdout.splitlines():
            if line.startswith("RESULT "):
                return json.loads(line[len("RESULT ") :])
        raise HarnessError(
            f"load generator {args[0]} exited {done.returncode} without a RESULT line:\n"
            f"{done.stdout[-1500:]}\n{done.stderr[-1500:]}"
        )


def measure(
    generator: Generator,
    args: argparse.Namespace,
    target: Target,
    concurrency: int,
    round_number: int,
) -> Measurement:
    if args.warmup > 0:
        generator.run(target.urls, target.token, concurrency, args.warmup)
    before = target.cpu_seconds()
    raw = generator.run(target.urls, target.token, concurrency, args.duration)
    after = target.cpu_seconds()
    requests = int(raw["requests"])
    cpu = None
    if before is not None and after is not None and requests:
        cpu = (after - before) / requests * 1e6
    result = Measurement(
        shape=generator.kind,
        path=target.path,
        concurrency=concurrency,
        round=round_number,
        requests=requests,
        fulfilled=int(raw["fulfilled"]),
        rejected=int(raw["rejected"]),
        reject_codes={str(k): int(v) for k, v in raw["rejectCodes"].items()},
        errors=int(raw["errors"]),
        seconds=float(raw["seconds"]),
        packets_per_second=float(raw["packetsPerSecond"]),
        p50_ms=raw["p50Ms"],
        p99_ms=raw["p99Ms"],
        cpu_us_per_packet=cpu,
    )
    if result.errors and target.path not in ILPNODE_PATHS:
        raise HarnessError(
            f"{target.path} c={concurrency}: {result.errors} HTTP/transport errors;"
            f" {target.middles[0].log}:\n{target.middles[0].tail()}"
        )
    print(f"  {result.shape:<4} {_row(result)}", flush=True)
    return result


@dataclasses.dataclass(frozen=True, slots=True)
class Target:
    """One path under test: where the generator sends (the loops take the URLs in turn), with
    which token, and the processes in the middle whose CPU time counts (with `extra_cpu`: the
    PostgreSQL backends serving them, for the shared-ledger paths)."""

    path: str
    urls: tuple[str, ...]
    token: str
    middles: tuple[Service, ...]
    extra_cpu: Callable[[], float | None] | None = None

    def cpu_seconds(self) -> float | None:
        parts = [middle.cpu_seconds() for middle in self.middles]
        if self.extra_cpu is not None:
            parts.append(self.extra_cpu())
        return None if None in parts else sum(part or 0.0 for part in parts)


def js_connector_config(generator_token: str, fulfiller: dict[str, Any], token: str) -> Any:
    return {
        "ilpAddress": "test.bench.jsconnector",
        "accounts": {
            "generator": {
                "relation": "peer",
                "port": 0,
                "incomingToken": generator_token,
                "outgoingUrl": UNUSED_ENDPOINT,
                "outgoingToken": secrets.token_urlsafe(16),
                "maxPacketAmount": str(LARGE),
                "balance": {"minimum": "0", "maximum": str(LARGE)},
            },
            "fulfiller": {
                "relation": "peer",
                "port": 0,
                "incomingToken": secrets.token_urlsafe(16),
                "outgoingUrl": fulfiller["url"],
                "outgoingToken": token,
                "balance": {"minimum": str(-LARGE), "maximum": "0"},
            },
        },
        "routes": [{"targetPrefix": FULFILLER_ADDRESS, "peerId": "fulfiller"}],
    }


CREATE_ASSET = "mutation($input: CreateAssetInput!) { createAsset(input: $input) { asset { id } } }"
CREATE_PEER = "mutation($input: CreatePeerInput!) { createPeer(input: $input) { peer { id } } }"


def _graphql(client: httpx.Client, query: str, variables: dict[str, Any]) -> Any:
    response = client.post("/graphql", json={"query": query, "variables": variables})
    body = response.json()
    if response.status_code != 200 or body.get("errors"):
        raise HarnessError(f"Admin API {response.status_code}: {body}")
    return body["data"]


def configure_ilpnode(admin_url: str, generator_token: str, fulfiller_url: str, token: str) -> None:
    """An asset and two peers: the generator (incoming) and the fulfiller (outgoing)."""
    with httpx.Client(base_url=admin_url, timeout=30) as client:
        asset = _graphql(client, CREATE_ASSET, {"input": {"code": "USD", "scale": 9}})
        asset_id = asset["createAsset"]["asset"]["id"]
        peers = [
            ("generator", GENERATOR_ADDRESS, generator_token, secrets.token_urlsafe(16), None),
            ("fulfiller", FULFILLER_ADDRESS, secrets.token_urlsafe(16), token, fulfiller_url),
        ]
        for name, address, incoming, outgoing, endpoint in peers:
            peer = {
                "assetId": asset_id,
                "name": name,
                "staticIlpAddress": address,
                "maxPacketAmount": str(LARGE),
                "initialLiquidity": str(LARGE),
                # As an operator sets it: the node then watches these peers' liquidity for the
                # liquidity webhooks (never crossed here), which the packet path must not feel.
                "liquidityThreshold": "1",
                "http": {
                    "incoming": {"authTokens": [incoming]},
                    "outgoing": {"authToken": outgoing, "endpoint": endpoint or UNUSED_ENDPOINT},
                },
            }
            _graphql(client, CREATE_PEER, {"input": peer})


def wait_healthy(
    node: Service, admin_url: str, timeout_seconds: float = START_TIMEOUT_SECONDS
) -> None:
    """Until the node's /healthz answers 200 (LOG_LEVEL=warning hides the "ready" line)."""
    deadline = time.monotonic() + timeout_seconds
    while time.monotonic() < deadline and node.process.poll() is None:
        try:
            if httpx.get(f"{admin_url}/healthz", timeout=5).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    state = node.process.poll()
    raise HarnessError(f"ilpnode is not healthy (exit status {state}); {node.log}:\n{node.tail()}")


def ilpnode_environment(workdir: Path, path: str, durability: str) -> dict[str, str]:
    ours = {"DATABASE_URL", "ILP_ADDRESS", "ADMIN_API_SECRET", "LEDGER_BACKEND"}
    env = {k: v for k, v in os.environ.items() if k not in ours | {"LEDGER_DURABILITY"}}
    env.update(
        ADMIN_PORT=str(_free_port()),
        ADMIN_HOST="127.0.0.1",
        CONNECTOR_PORT=str(_free_port()),
        CONNECTOR_HOST="127.0.0.1",
        OPEN_PAYMENTS_PORT=str(_free_port()),
        OPEN_PAYMENTS_HOST="127.0.0.1",
        DATABASE_URL=f"sqlite:///{workdir / f'bench-{path}.sqlite3'}",
        ILP_ADDRESS="test.bench.ilpnode",
        LEDGER_DURABILITY=durability,
        LOG_LEVEL="warning",
    )
    return env


@contextmanager
def throwaway_database(server_url: str) -> Iterator[str]:
    """A new, empty database on the server (dropped after): the URL of it."""
    name = f"ilpnode_bench_{secrets.token_hex(4)}"
    url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
    _on_server(server_url, f'CREATE DATABASE "{name}"')
    try:
        yield url
    finally:
        _on_server(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _on_server(server_url: str, sql: str) -> None:
    done = subprocess.run(["psql", server_url, "-qc", sql], capture_output=True, text=True)
    if done.returncode != 0:
        raise HarnessError(f"psql {sql!r} failed: {done.stderr.strip()}")


def backend_cpu_seconds(database_url: str) -> float | None:
    """CPU time of the PostgreSQL backends connected to this database (same machine only)."""
    name = make_url(database_url).database
    query = f"SELECT pid FROM pg_stat_activity WHERE datname = '{name}'"
    done = subprocess.run(
        ["psql", database_url, "-tAc", query], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        return None
    total = 0.0
    for pid in done.stdout.split():
        fields = _stat_fields(int(pid))
        if fields is not None:
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def packet_path(env: dict[str, str]) -> str:
    """Whether a node started with `env` runs its packet path compiled (`ilpnode.compiled`)."""
    probe = "import ilpnode.compiled as c; print(c.activate())"
    done = subprocess.run(
        [sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=False
    )
    return done.stdout.strip() or done.stderr.strip()


def machine_load() -> str:
    """The machine's load average and CPU count, for the header and the report."""
    one, five, fifteen = os.getloadavg()
    return (
        f"load average {one:.2f} {five:.2f} {fifteen:.2f} (1, 5, 15 min) on {os.cpu_count()} CPUs"
    )


def run(args: argparse.Namespace, workdir: Path) -> tuple[list[Measurement], list[IdleFigures]]:
    """The load rounds' measurements and the idle figures."""
    prepare = encode_packet(
        Prepare(
            amount=1,
            expires_at=FAR_FUTURE,
            execution_condition=hashlib.sha256(FULFILLMENT).digest(),
            destination=DESTINATION,
            data=bytes(args.data_bytes),
        )
    )
    generators = [Generator(shape, prepare, workdir) for shape in args.shapes]
    print(f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC; at the start: {machine_load()}")
    for generator in generators:
        print(f"generator, {generator.kind} shape: {generator.describe()}")
    for note in args.notes:
        print(note)
    node_version = subprocess.run(
        ["node", "--version"], capture_output=True, text=True, check=False
    )
    print(
        f"{platform.python_implementation()} {platform.python_version()},"
        f" node {node_version.stdout.strip()};"
        f" {args.duration:g} s per measurement after {args.warmup:g} s warm-up;"
        f" Prepare of {len(prepare)} bytes, amount 1"
    )
    fulfiller_token = secrets.token_urlsafe(16)
    generator_token = secrets.token_urlsafe(16)
    fulfiller_config = {
        "port": 0,
        "token": fulfiller_token,
        "fulfillment": FULFILLMENT.hex(),
        "address": FULFILLER_ADDRESS,
    }
    with contextlib.ExitStack() as stack:
        fulfiller_service = stack.enter_context(
            service(
                "fulfiller",
                _node(BENCH_JS / "fulfiller.js", fulfiller_config),
                cwd=ROOT,
                log_dir=workdir,
            )
        )
        fulfiller = fulfiller_service.ready()
        targets: list[Target] = []
        if "direct" in args.paths:
            targets.append(
                Target("direct", (fulfiller["url"],), fulfiller_token, (fulfiller_service,))
            )
        if "ilp-connector" in args.paths:
            ensure_interop_packages()
            config = js_connector_config(generator_token, fulfiller, fulfiller_token)
            connector = stack.enter_context(
                service(
                    "ilp-connector",
                    _node(INTEROP_JS / "connector.js", config),
                    cwd=INTEROP_JS,
                    log_dir=workdir,
                )
            )
            url = connector.ready()["accounts"]["generator"]["url"]
            targets.append(Target("ilp-connector", (url,), generator_token, (connector,)))
        for path, durability in ILPNODE_PATHS.items():
            if path not in args.paths:
                continue
            processes = SHARED_PATHS.get(path, 1)
            env = ilpnode_environment(workdir, path, durability)
            if path in BASELINE_PATHS.values():
                env["PYTHONPATH"] = str(args.baseline.resolve() / "src")
            database = None
            if path in SHARED_PATHS:
                database = stack.enter_context(throwaway_database(args.postgres))
                env.update(DATABASE_URL=database, LEDGER_BACKEND="postgres")
            nodes: list[Service] = []
            urls: list[str] = []
            for number in range(processes):
                # Each process its own ports; the peers are configured through the first and
                # the others start after, so they load them from the shared database.
                if number:
                    env = {**env, "ADMIN_PORT": str(_free_port())}
                    env["CONNECTOR_PORT"] = str(_free_port())
                    env["OPEN_PAYMENTS_PORT"] = str(_free_port())
                name = path if processes == 1 else f"{path}-{number + 1}"
                node = stack.enter_context(
                    service(
                        name,
                        [sys.executable, "-m", "ilpnode", "run"],
                        cwd=workdir,
                        log_dir=workdir,
                        env=env,
                    )
                )
                admin_url = f"http://127.0.0.1:{env['ADMIN_PORT']}"
                wait_healthy(node, admin_url)
                if not number:
                    print(f"{path}: packet path {packet_path(env)}")
                    configure_ilpnode(admin_url, generator_token, fulfiller["url"], fulfiller_token)
                nodes.append(node)
                urls.append(f"http://127.0.0.1:{env['CONNECTOR_PORT']}/")
            extra = None if database is None else functools.partial(backend_cpu_seconds, database)
            targets.append(Target(path, tuple(urls), generator_token, tuple(nodes), extra))
        print(
            "paths: direct = generator → fulfiller; ilp-connector = generator → ilp-connector"
            " 23.0.2 → fulfiller; ilpnode = generator → ilpnode (SQLite,"
            " LEDGER_DURABILITY=power-loss) → fulfiller; ilpnode-process-crash = the same with"
            " LEDGER_DURABILITY=process-crash; ilpnode-postgres = one ilpnode with"
            " LEDGER_BACKEND=postgres (local PostgreSQL); ilpnode-shared = two such processes on"
            " one database, the generator's connections alternating between them (cpu µs: the"
            " node processes and their PostgreSQL backends)"
        )
        # Rounds interleave the paths and the shapes, so that a slow spell of the shared
        # machine hits them all alike, and every other round takes the paths in reverse, so
        # that none always follows the same one (the one before leaves the machine warmer or
        # busier); the report takes each path's median round.
        results: list[Measurement] = []
        for round_number in range(1, args.rounds + 1):
            print(f"round {round_number} of {args.rounds}")
            in_order = targets if round_number % 2 else targets[::-1]
            for concurrency in args.concurrency:
                for generator in generators:
                    for target in in_order:
                        if generator.kind == "wrk" and len(target.urls) > 1:
                            continue  # wrk drives one URL: measured in the node shape only
                        results.append(measure(generator, args, target, concurrency, round_number))
        idle: list[IdleFigures] = []
        idle_targets = [target for target in targets if target.path in IDLE_PATHS]
        if args.idle_seconds > 0 and idle_targets:
            print(f"idle and paced CPU ({', '.join(t.path for t in idle_targets)})")
            idle = measure_idle(
                idle_targets,
                functools.partial(pacer, prepare),
                seconds=args.idle_seconds,
                rate=args.idle_rate,
            )
    return results, idle


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def _us(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}"


def _row(m: Measurement) -> str:
    codes = ",".join(f"{code}:{n}" for code, n in sorted(m.reject_codes.items()))
    cpu = _us(m.cpu_us_per_packet)
    return (
        f"{m.path:<21} {m.concurrency:>4} {m.packets_per_second:>10,.0f} {_ms(m.p50_ms):>8}"
        f" {_ms(m.p99_ms):>8} {m.fulfilled:>10,} {m.rejected:>9,} {m.errors:>7,} {cpu:>7}"
        f"  {codes}"
    )


HEADER = (
    f"{'path':<21} {'c':>4} {'packets/s':>10} {'p50 ms':>8} {'p99 ms':>8} {'fulfilled':>10}"
    f" {'rejected':>9} {'errors':>7} {'cpu µs':>7}  reject codes"
)


def median_rounds(results: list[Measurement]) -> list[Measurement]:
    """Per (shape, path, concurrency), the round with the median packets/s (the lower middle
    one of an even count), in the order the triples were first measured."""
    rounds: dict[tuple[str, str, int], list[Measurement]] = {}
    for result in results:
        rounds.setdefault((result.shape, result.path, result.concurrency), []).append(result)
    medians = []
    for measured in rounds.values():
        ordered = sorted(measured, key=lambda m: m.packets_per_second)
        medians.append(ordered[(len(ordered) - 1) // 2])
    return medians


SHAPE_TITLES = {
    "wrk": "wrk shape: wrk (C, almost no CPU) sends the Prepares",
    "node": "node shape: bench/js/loadgen.js (Node.js, costs CPU like a real peer) sends them",
}


def report(results: list[Measurement], rounds: int) -> None:
    """Per shape, its tables; then, with both shapes, their ratios side by side."""
    shapes = list(dict.fromkeys(m.shape for m in results))
    for shape in shapes:
        print()
        print(f"=== {SHAPE_TITLES[shape]}")
        report_shape([m for m in results if m.shape == shape], rounds)
    if len(shapes) > 1:
        _report_shapes(results)


def report_shape(results: list[Measurement], rounds: int) -> None:
    medians = median_rounds(results)
    print()
    if rounds > 1:
        print(f"median of {rounds} interleaved rounds (by packets/s); every round:")
        spread: dict[tuple[str, int], list[str]] = {}
        for result in results:
            key = (result.path, result.concurrency)
            spread.setdefault(key, []).append(f"{result.packets_per_second:,.0f}")
        for (path, concurrency), values in spread.items():
            print(f"  {path:<21} {concurrency:>4}  {' / '.join(values)}")
        print()
    print(HEADER)
    for result in medians:
        print(_row(result))
    by_key = {(m.path, m.concurrency): m for m in medians}
    for path in ILPNODE_PATHS:
        _compare(by_key, path)
    for path in SHARED_PATHS:  # the shared ledger against the embedded default
        _compare(by_key, path, against="ilpnode")
    _report_added_latency(results)


def added_latency(results: list[Measurement]) -> dict[tuple[str, int], float]:
    """Per (path, concurrency), the median over rounds of the path's p50 minus the direct
    path's p50 in the same round, in ms (pairs without a p50 are left out)."""
    direct = {
        (m.round, m.concurrency): m.p50_ms
        for m in results
        if m.path == "direct" and m.p50_ms is not None
    }
    paired: dict[tuple[str, int], list[float]] = {}
    for m in results:
        ceiling = direct.get((m.round, m.concurrency))
        if m.path != "direct" and m.p50_ms is not None and ceiling is not None:
            paired.setdefault((m.path, m.concurrency), []).append(m.p50_ms - ceiling)
    return {key: statistics.median(values) for key, values in paired.items()}


def _report_added_latency(results: list[Measurement]) -> None:
    added = added_latency(results)
    if not added:
        return
    paths = list(dict.fromkeys(path for path, _ in added))
    print()
    print("p50 latency added to the direct path, ms (median over rounds of same-round pairs)")
    print(f"{'c':>4}  " + "  ".join(f"{path:>21}" for path in paths))
    for concurrency in sorted({c for _, c in added}):
        cells = [added.get((path, concurrency)) for path in paths]
        print(
            f"{concurrency:>4}  "
            + "  ".join(f"{'-' if v is None else f'{v:.2f}':>21}" for v in cells)
        )


def _compare(
    by_key: dict[tuple[str, int], Measurement], path: str, against: str = "ilp-connector"
) -> None:
    pairs = [
        (by_key[(path, c)], by_key[(against, c)])
        for (measured, c) in by_key
        if measured == path and (against, c) in by_key
    ]
    if not pairs:
        return
    print()
    print(
        f"{path + ' / ' + against:<36} {'c':>4} {'packets/s':>10} {'p50':>7} {'p99':>7}"
        f"  {'p50 ms, ours / theirs':>23}  {'cpu µs, ours / theirs':>23}"
    )
    for ours, theirs in pairs:
        note = ""
        if ours.requests and ours.fulfilled < ours.requests:
            note = f"  ({path} fulfilled {ours.fulfilled / ours.requests:.0%})"
        rate = _ratio(ours.packets_per_second, theirs.packets_per_second)
        p50 = _ratio(ours.p50_ms, theirs.p50_ms)
        p99 = _ratio(ours.p99_ms, theirs.p99_ms)
        p50s = f"{_ms(ours.p50_ms)} / {_ms(theirs.p50_ms)}"
        cpus = f"{_us(ours.cpu_us_per_packet)} / {_us(theirs.cpu_us_per_packet)}"
        print(
            f"{'':<36} {ours.concurrency:>4} {rate:>10} {p50:>7} {p99:>7}"
            f"  {p50s:>23}  {cpus:>23}{note}"
        )


def _report_shapes(results: list[Measurement]) -> None:
    """Each ilpnode path's packets/s over ilp-connector's (median rounds), one row per shape."""
    medians = median_rounds(results)
    by_key = {(m.shape, m.path, m.concurrency): m for m in medians}
    levels = sorted({m.concurrency for m in medians})
    for path in ILPNODE_PATHS:
        rows = []
        for shape in SHAPES:
            cells = []
            for c in levels:
                ours = by_key.get((shape, path, c))
                theirs = by_key.get((shape, "ilp-connector", c))
                cells.append(
                    _ratio(ours.packets_per_second, theirs.packets_per_second)
                    if ours is not None and theirs is not None
                    else "-"
                )
            if any(cell != "-" for cell in cells):
                rows.append(f"  {shape:<34} " + " ".join(f"{cell:>8}" for cell in cells))
        if rows:
            print()
            print(
                f"{path + ' / ilp-connector, packets/s':<36} "
                + " ".join(f"{'c=' + str(c):>8}" for c in levels)
            )
            print("\n".join(rows))


def _ratio(ours: float | None, theirs: float | None) -> str:
    if ours is None or not theirs:
        return "-"
    return f"{ours / theirs:.2f}x"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument(
        "--duration", type=float, default=5.0, help="seconds per measurement (wrk: whole seconds)"
    )
    parser.add_argument("--warmup", type=float, default=1.0, help="seconds before each, 0: none")
    parser.add_argument(
        "--rounds", type=int, default=3, help="interleaved rounds; the median round is reported"
    )
    parser.add_argument("--concurrency", default="1,10,100", help="comma-separated levels")
    parser.add_argument(
        "--paths",
        default=",".join(DEFAULT_PATHS),
        help="comma-separated, of "
        + "/".join(PATHS[:-2])
        + " (--baseline adds ilpnode-baseline and ilpnode-shared-baseline)",
    )
    parser.add_argument(
        "--postgres",
        default=DEFAULT_POSTGRES,
        metavar="SERVER_URL",
        help="PostgreSQL server of the shared paths (a throwaway database is made there)",
    )
    parser.add_argument(
        "--generator",
        choices=["both", *SHAPES],
        default="both",
        help="the load generator shape(s) measured: wrk (C, almost no CPU), node (Node.js, costs"
        " CPU like a real peer, on the same cores), or both in the same rounds",
    )
    parser.add_argument(
        "--idle-seconds",
        type=float,
        default=3.0,
        help="each window of the idle and paced CPU figures (ilp-connector, ilpnode,"
        " ilpnode-process-crash, ilpnode-baseline), after the rounds; 0: none",
    )
    parser.add_argument(
        "--idle-rate", type=float, default=100.0, help="the paced load of those figures, packets/s"
    )
    parser.add_argument(
        "--idle-only", action="store_true", help="only the idle and paced CPU figures, no rounds"
    )
    parser.add_argument("--data-bytes", type=int, default=64, help="Prepare data (at least 16)")
    parser.add_argument("--json", type=Path, help="also write the measurements here as JSON")
    parser.add_argument("--keep-logs", action="store_true", help="keep the temporary directory")
    parser.add_argument(
        "--baseline",
        type=Path,
        help="also run the ilpnode path from this source tree (path ilpnode-baseline)",
    )
    args = parser.parse_args(argv)
    args.concurrency = [int(level) for level in args.concurrency.split(",")]
    args.paths = [path.strip() for path in args.paths.split(",")]
    if args.baseline is not None:
        if not (args.baseline / "src" / "ilpnode").is_dir():
            parser.error(f"--baseline {args.baseline}: no src/ilpnode there")
        for path, baseline in BASELINE_PATHS.items():
            if path in args.paths and baseline not in args.paths:
                args.paths.append(baseline)
    elif set(BASELINE_PATHS.values()) & set(args.paths):
        parser.error("the baseline paths need --baseline DIR")
    unknown = set(args.paths) - set(PATHS)
    if unknown:
        parser.error(f"unknown paths: {', '.join(sorted(unknown))}")
    if args.data_bytes < 16:
        parser.error("--data-bytes must be at least 16 (the generators make each packet unique)")
    args.notes = []  # printed in the header
    args.shapes = list(SHAPES) if args.generator == "both" else [args.generator]
    if "wrk" in args.shapes and shutil.which("wrk") is None:
        if args.generator == "wrk":
            parser.error("wrk is not on PATH (Debian package wrk)")
        args.shapes.remove("wrk")
        args.notes.append("wrk is not on PATH (Debian package wrk): the node shape only")
    several = [path for path in args.paths if SHARED_PATHS.get(path, 1) > 1]
    if several and args.shapes == ["wrk"]:
        parser.error(
            f"{', '.join(several)}: several URLs, which wrk cannot drive (--generator node)"
        )
    if several and "wrk" in args.shapes:
        args.notes.append(f"{', '.join(several)}: the node shape only (wrk drives one URL)")
    if args.idle_only:
        args.rounds = 0
        args.paths = [path for path in args.paths if path in IDLE_PATHS]
        if not args.paths or args.idle_seconds <= 0:
            parser.error(f"--idle-only needs --idle-seconds > 0 and one of {', '.join(IDLE_PATHS)}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if shutil.which("node") is None:
        print("harness failure: node not found on PATH", file=sys.stderr)
        return 1
    workdir = Path(tempfile.mkdtemp(prefix="ilpnode-bench-connector-"))
    try:
        results, idle = run(args, workdir)
    except (HarnessError, PacerError) as error:
        print(f"harness failure: {error}", file=sys.stderr)
        print(f"logs kept in {workdir}", file=sys.stderr)
        return 1
    print()
    print(f"at the end: {machine_load()}")
    report(results, args.rounds)
    report_idle(idle)
    if args.json:
        measured = {
            "measurements": [dataclasses.asdict(m) for m in results],
            "idle": [dataclasses.asdict(f) for f in idle],
        }
        args.json.write_text(json.dumps(measured, indent=2))
    if args.keep_logs:
        print(f"logs in {workdir}")
    else:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
