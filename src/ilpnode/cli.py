"""The `ilpnode` command line: `ilpnode run` starts a node; `ilpnode
assets|peers|liquidity|wallet-addresses|pay …`
(in `ilpnode.cli_admin`) manage a running node through its Admin API."""

from __future__ import annotations

import asyncio
import logging
import sys

import click

from ilpnode import __version__
from ilpnode.cli_admin import assets, liquidity, pay, peers, wallet_addresses
from ilpnode.config import SettingsError, load_settings
from ilpnode.logs import configure_logging

__all__ = ["main"]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "-V", "--version", prog_name="ilpnode")
def main() -> None:
    """ilpnode: an Interledger connector with peering, compatible with Rafiki.

    Configuration comes from environment variables (Rafiki's names) and an optional .env file
    in the current directory; see the README for the full table.

    The assets, peers, liquidity, wallet-addresses and pay commands manage a running node
    through its Admin API
    (--admin-url, signed with ADMIN_API_SECRET when it is set); see docs/cli.md.
    """


main.add_command(assets)
main.add_command(peers)
main.add_command(liquidity)
main.add_command(wallet_addresses)
main.add_command(pay)


@main.command()
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    metavar="N",
    help="Run N node processes sharing the ports (SO_REUSEPORT), supervised by this one; "
    "N > 1 needs LEDGER_BACKEND=postgres and a PostgreSQL DATABASE_URL.",
)
def run(workers: int) -> None:
    """Run a node: the admin API (ADMIN_PORT), the ILP connector (CONNECTOR_PORT) and SPSP for
    its wallet addresses (OPEN_PAYMENTS_PORT).

    Stops gracefully on SIGINT or SIGTERM: in-flight requests finish, the database is closed.
    With --workers N, this process starts N node processes, restarts one that dies, and
    stops them all on SIGINT or SIGTERM (docs/operations.md).
    """
    try:
        settings = load_settings()
    except SettingsError as error:
        click.echo(f"ilpnode: {error}", err=True)
        sys.exit(2)
    if workers > 1:
        from ilpnode.workers import refusal

        refused = refusal(settings, workers)
        if refused is not None:
            click.echo(f"ilpnode: {refused}", err=True)
            sys.exit(2)
    configure_logging(settings.log_level, with_pid=workers > 1)

    # Imported here so that `ilpnode --help` stays fast and free of server imports.
    from ilpnode.bootstrap import StartupError, build_node
    from ilpnode.serve import PortInUseError, loop_factory, serve_node
    from ilpnode.storage.database import redacted_url

    logging.getLogger("ilpnode").info(
        "starting ilpnode %s, database %s", __version__, redacted_url(settings.database_url)
    )
    if workers > 1:
        from ilpnode.workers import run_workers

        sys.exit(run_workers(settings, workers))
    try:
        with asyncio.Runner(loop_factory=loop_factory()) as runner:
            runner.run(serve_node(build_node(settings)))
    except PortInUseError as error:
        click.echo(f"ilpnode: {error.strerror}", err=True)
        sys.exit(1)
    except StartupError as error:
        click.echo(f"ilpnode: {error}", err=True)
        sys.exit(1)
