"""Run a built `Node`: bind its sockets, serve the admin, connector and Open Payments (SPSP)
surfaces (and the auto-peering server when ENABLE_AUTO_PEERING is on), stop cleanly.

Theory of operation: the surfaces are servers in one asyncio loop (the admin API, the Open
Payments server and the auto-peering server on uvicorn, the connector on
`connector.ilp_server.IlpServer`). Sockets
are bound up front, so a port that is taken stops the start with a clear message before
anything is served; then the node starts (migrates the database, rebuilds the ledger) and only
then serves. One SIGINT/SIGTERM handler asks every server to stop: each stops accepting, lets
in-flight requests finish (up to `SHUTDOWN_GRACE_SECONDS`), and then the node flushes its
ledger and closes its database. A second SIGINT forces the exit.

Under `ilpnode run --workers N` (see `workers`) each worker serves its own node here with
`reuse_port`: every worker binds the same ports with SO_REUSEPORT and the kernel spreads new
connections over them. `on_ready` then tells the supervising process that the worker serves.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import resource
import signal
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Protocol

import uvicorn

from ilpnode import compiled
from ilpnode.bootstrap import Node
from ilpnode.config import Settings
from ilpnode.connector.ilp_http_app import IlpHttpApp
from ilpnode.connector.ilp_server import IlpServer
from ilpnode.exit_request import ExitRequest
from ilpnode.gc_freezer import freeze_periodically

__all__ = ["PortInUseError", "check_ports_free", "loop_factory", "serve_node"]

logger = logging.getLogger("ilpnode")

# Pending connections the kernel queues per listening socket before refusing new ones.
LISTEN_BACKLOG = 2048
# Peers reuse connections between packets; keep idle ones longer than uvicorn's 5 s default.
CONNECTOR_KEEP_ALIVE_SECONDS = 30
# Connections (and requests in progress) each uvicorn server holds at once; beyond it, 503. The
# admin API and the auto-peering server serve operators and peering requests, not traffic.
ADMIN_CONNECTIONS_MAX = 256
# The connector port gets at most this share of the file-descriptor limit; the rest is for the
# admin server, the database, the ledger log and the connections to next hops.
CONNECTOR_SHARE_OF_DESCRIPTORS = 0.5


class PortInUseError(OSError):
    """A listening port could not be bound."""


@dataclass(frozen=True, slots=True)
class _Surface:
    name: str
    host: str
    port: int
    description: str
    keep_alive_seconds: int = 5


class _Server(Protocol):
    """What the node needs of a server: uvicorn's `Server`, or the connector's `IlpServer`."""

    should_exit: bool
    force_exit: bool
    started: bool

    async def serve(self, sockets: list[socket.socket]) -> None: ...


class _NodeServer(uvicorn.Server):
    """uvicorn's server, woken once a second instead of ten times (an idle node's CPU), and at
    once when `should_exit` is set."""

    _exit: ExitRequest

    @property
    def should_exit(self) -> bool:
        return self._exit.requested

    @should_exit.setter
    def should_exit(self, value: bool) -> None:
        self._exit.set(value)

    def __init__(self, config: uvicorn.Config) -> None:
        self._exit = ExitRequest()  # before uvicorn's __init__, which sets should_exit
        super().__init__(config)

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        # The node installs one handler for all its servers (see `serve_node`).
        yield

    async def main_loop(self) -> None:
        # uvicorn's own ticks every 0.1 s and does its once-a-second work (the Date header,
        # the request limit) on every tenth tick: here every tick is such a tenth.
        ticks = 0
        should_exit = await self.on_tick(ticks)
        while not should_exit:
            await self._exit.sleep(1.0)
            ticks = (ticks + 10) % 864_000
            should_exit = await self.on_tick(ticks)


def _surfaces(settings: Settings) -> list[_Surface]:
    """The listening surfaces: the admin API, the connector, the Open Payments (SPSP) server,
    maybe the auto-peering server."""
    surfaces = [
        _Surface(
            "admin API",
            settings.admin_bind_host,
            settings.admin_port,
            "health /healthz, dashboard /dashboard/",
        ),
        _Surface(
            "ILP connector",
            settings.connector_host,
            settings.connector_port,
            "ILP-over-HTTP, POST with Authorization: Bearer <token>",
            keep_alive_seconds=CONNECTOR_KEEP_ALIVE_SECONDS,
        ),
        _Surface(
            "Open Payments server",
            settings.open_payments_host,
            settings.open_payments_port,
            f"SPSP for the wallet addresses under {settings.open_payments_base_url}",
        ),
    ]
    if settings.enable_auto_peering:
        surfaces.append(
            _Surface(
                "auto-peering server",
                settings.auto_peering_server_host,
                settings.auto_peering_server_port,
                "POST / with a peering request",
            )
        )
    return surfaces


def check_ports_free(settings: Settings) -> None:
    """Bind every port once without SO_REUSEPORT and let go: this fails while anything listens
    there, workers of another `ilpnode run --workers` included (which would otherwise share it).

    Raises:
        PortInUseError: a port is taken (the message names it).
    """
    for surface in _surfaces(settings):
        _bind(surface, reuse_port=False).close()


async def serve_node(
    node: Node, *, reuse_port: bool = False, on_ready: Callable[[], None] | None = None
) -> None:
    """Serve until SIGINT/SIGTERM, then shut down gracefully and close the node.

    `reuse_port`: bind with SO_REUSEPORT (a worker of `ilpnode run --workers`). `on_ready` is
    called once every surface serves, instead of logging "ilpnode ready".
    """
    settings = node.settings
    surfaces = _surfaces(settings)
    # In `_surfaces`' order; the auto-peering server only when it is on.
    apps: list[Any] = [
        node.admin_app,
        node.connector_app,
        node.open_payments_app,
        node.auto_peering_app,
    ][: len(surfaces)]
    sockets: list[socket.socket] = []
    try:
        for surface in surfaces:
            sockets.append(_bind(surface, reuse_port=reuse_port))
    except BaseException:
        for sock in sockets:
            sock.close()
        raise
    try:
        await node.start()
    except BaseException:
        for sock in sockets:
            sock.close()
        await node.close()
        raise
    connector_cap = _connector_connection_cap(settings.connector_max_connections)
    servers = [
        _server(
            surface,
            app,
            settings.shutdown_grace_seconds,
            max_connections=connector_cap,
            max_connections_per_client=settings.connector_max_connections_per_client,
        )
        for surface, app in zip(surfaces, apps, strict=True)
    ]
    _install_signal_handlers(servers)
    if settings.admin_api_secret is None:
        logger.warning(
            "ADMIN_API_SECRET is not set: the admin API is unauthenticated and listens on "
            "127.0.0.1 only"
        )
    if settings.enable_auto_peering and settings.auto_peering_secret is None:
        logger.warning(
            "AUTO_PEERING_SECRET is not set: anyone who reaches port %d can peer with this node "
            "and gets a credit line of %d (AUTO_PEERING_DEFAULT_LIQUIDITY)",
            settings.auto_peering_server_port,
            settings.auto_peering_default_liquidity,
        )
    try:
        tasks = [
            asyncio.create_task(server.serve(sockets=[sock]))
            for server, sock in zip(servers, sockets, strict=True)
        ]
        announce = asyncio.create_task(
            _announce_when_started(servers, surfaces, node, on_ready=on_ready)
        )
        freezer = asyncio.create_task(freeze_periodically(), name="gc-freezer")
        await asyncio.gather(*tasks)
        announce.cancel()
        freezer.cancel()
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            asyncio.get_running_loop().remove_signal_handler(signum)
        for sock in sockets:
            sock.close()
        await node.close()
        logger.info("ilpnode stopped")


def _bind(surface: _Surface, *, reuse_port: bool) -> socket.socket:
    family = socket.AF_INET6 if ":" in surface.host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if reuse_port:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    try:
        sock.bind((surface.host, surface.port))
    except OSError as error:
        sock.close()
        if error.errno == errno.EADDRINUSE:
            raise PortInUseError(
                error.errno,
                f"{surface.name}: port {surface.port} on {surface.host} is already in use",
            ) from None
        raise
    sock.listen(LISTEN_BACKLOG)
    sock.setblocking(False)
    return sock


def _connector_connection_cap(configured: int) -> int:
    """CONNECTOR_MAX_CONNECTIONS, lowered to a share of the file-descriptor limit, which is
    first raised to its hard maximum (many systems start processes at a soft 1,024)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or hard > soft:
        wanted = hard if hard != resource.RLIM_INFINITY else max(soft, 1 << 20)
        with contextlib.suppress(ValueError, OSError):  # not allowed: keep the soft limit
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    if soft == resource.RLIM_INFINITY:
        return configured
    budget = max(1, int(soft * CONNECTOR_SHARE_OF_DESCRIPTORS))
    if configured > budget:
        logger.warning(
            "CONNECTOR_MAX_CONNECTIONS=%d lowered to %d: the process may open %d files "
            "(raise `ulimit -n`, or LimitNOFILE= in a systemd unit)",
            configured,
            budget,
            soft,
        )
        return budget
    return configured


def _server(
    surface: _Surface,
    app: Any,
    grace_seconds: float,
    *,
    max_connections: int,
    max_connections_per_client: int,
) -> _Server:
    if isinstance(app, IlpHttpApp):
        return IlpServer(
            app,
            keep_alive_seconds=surface.keep_alive_seconds,
            grace_seconds=grace_seconds,
            max_connections=max_connections,
            max_connections_per_client=max_connections_per_client,
        )
    config = uvicorn.Config(
        app,
        http="httptools",
        loop="none",
        lifespan="off",
        log_config=None,
        access_log=False,
        server_header=False,
        timeout_keep_alive=surface.keep_alive_seconds,
        limit_concurrency=ADMIN_CONNECTIONS_MAX,
        timeout_graceful_shutdown=max(1, round(grace_seconds)),
    )
    return _NodeServer(config)


def _install_signal_handlers(servers: list[_Server]) -> None:
    loop = asyncio.get_running_loop()

    def stop(signum: int) -> None:
        first = not any(server.should_exit for server in servers)
        for server in servers:
            if server.should_exit and signum == signal.SIGINT:
                server.force_exit = True
            server.should_exit = True
        if first:
            logger.info("%s received: finishing in-flight requests", signal.Signals(signum).name)

    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop, signum)


async def _announce_when_started(
    servers: list[_Server],
    surfaces: list[_Surface],
    node: Node,
    *,
    on_ready: Callable[[], None] | None,
) -> None:
    while not all(server.started for server in servers):
        await asyncio.sleep(0.01)
    for surface in surfaces:
        logger.info(
            "%s listening on http://%s:%d (%s)",
            surface.name,
            surface.host,
            surface.port,
            surface.description,
        )
    if compiled.decided():
        logger.info("packet path: %s", compiled.STATUS)
    else:  # an entry point of its own that skipped activate(): a stale build could be running
        logger.warning(
            "packet path: %s; start the node with the `ilpnode` command or `python -m ilpnode`,"
            " which check that the build matches the sources",
            compiled.STATUS,
        )
    if on_ready is None:
        logger.info("ilpnode ready: ILP address %s", node.settings.node_address)
    else:
        on_ready()


def loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop's event loop (where it is installed): the node's loop."""
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop is a dependency on every supported platform
        return None
    return uvloop.new_event_loop
