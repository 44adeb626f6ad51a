"""The `ilpnode` command line: `ilpnode run` starts a node; `ilpnode assets|peers|liquidity …`
(in `ilpnode.cli_admin`) manage a running node through its Admin API."""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Callable

import click

from ilpnode import __version__
from ilpnode.cli_admin import assets, liquidity, peers
from ilpnode.config import SettingsError, load_settings

__all__ = ["main"]

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "-V", "--version", prog_name="ilpnode")
def main() -> None:
    """ilpnode: an Interledger connector with peering, compatible with Rafiki.

    Configuration comes from environment variables (Rafiki's names) and an optional .env file
    in the current directory; see the README for the full table.

    The assets, peers and liquidity commands manage a running node through its Admin API
    (--admin-url, signed with ADMIN_API_SECRET when it is set); see docs/cli.md.
    """


main.add_command(assets)
main.add_command(peers)
main.add_command(liquidity)


@main.command()
def run() -> None:
    """Run a node: the admin API (ADMIN_PORT) and the ILP connector (CONNECTOR_PORT).

    Stops gracefully on SIGINT or SIGTERM: in-flight requests finish, the database is closed.
    """
    try:
        settings = load_settings()
    except SettingsError as error:
        click.echo(f"ilpnode: {error}", err=True)
        sys.exit(2)
    logging.basicConfig(level=settings.log_level.upper(), format=LOG_FORMAT, stream=sys.stderr)
    # uvicorn's own lines repeat ours once per server; keep its warnings and errors only.
    logging.getLogger("uvicorn.error").setLevel(max(logging.WARNING, logging.root.level))
    # httpx logs every request's URL at INFO, user info (an auto-peering secret) included.
    logging.getLogger("httpx").setLevel(max(logging.WARNING, logging.root.level))

    # Imported here so that `ilpnode --help` stays fast and free of server imports.
    from ilpnode.bootstrap import StartupError, build_node
    from ilpnode.serve import PortInUseError, serve_node
    from ilpnode.storage.database import redacted_url

    logging.getLogger("ilpnode").info(
        "starting ilpnode %s, database %s", __version__, redacted_url(settings.database_url)
    )
    try:
        with asyncio.Runner(loop_factory=_loop_factory()) as runner:
            runner.run(serve_node(build_node(settings)))
    except PortInUseError as error:
        click.echo(f"ilpnode: {error.strerror}", err=True)
        sys.exit(1)
    except StartupError as error:
        click.echo(f"ilpnode: {error}", err=True)
        sys.exit(1)


def _loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop is a dependency on every supported platform
        return None
    return uvloop.new_event_loop
