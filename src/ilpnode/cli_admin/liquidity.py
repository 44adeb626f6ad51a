"""`ilpnode liquidity …`: deposits, two-phase withdrawals (post or void) of peers and assets.

Every mutation sends a fresh `idempotencyKey`, and deposits and withdrawals a transfer id chosen
here (a UUID v4, or `--id`): the id of a withdrawal is what `post` and `void` name it by.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final, TypeVar
from uuid import UUID, uuid4

import click

from ilpnode.cli_admin import documents
from ilpnode.cli_admin.amounts import positive_amount_callback
from ilpnode.cli_admin.connection import CliFailure, Connection, with_connection
from ilpnode.cli_admin.views import amount_with_units

__all__ = ["WITHDRAWAL_TIMEOUT_SECONDS_MAX", "liquidity"]

F = TypeVar("F", bound=Callable[..., Any])

# The node refuses longer timeouts (ilpnode.accounting.liquidity, same name); checked
# here so the mistake is reported before anything is sent. A unit test keeps the two equal.
WITHDRAWAL_TIMEOUT_SECONDS_MAX: Final = 30 * 24 * 60 * 60
# Long enough to settle with the peer by hand (a bank transfer) before posting.
DEFAULT_WITHDRAWAL_TIMEOUT_SECONDS: Final = 3600


@click.group(short_help="Deposit and withdraw liquidity; post or void withdrawals.")
def liquidity() -> None:
    """Liquidity: the credit extended to a peer, or the funds an asset holds.

    A deposit adds to it. A withdrawal reserves an amount at once (the liquidity goes down),
    then is either posted (the amount leaves for good) or voided (it comes back); it is
    voided by itself when its timeout passes. Amounts are integers in the asset's smallest unit.
    """


@dataclass(frozen=True, slots=True)
class _Target:
    kind: str  # "peer" or "asset"
    id: str

    @property
    def key(self) -> str:
        return "peerId" if self.kind == "peer" else "assetId"

    @property
    def liquidity_document(self) -> str:
        return documents.PEER_LIQUIDITY if self.kind == "peer" else documents.ASSET_LIQUIDITY


def _target(peer: str | None, asset: str | None) -> _Target:
    if (peer is None) == (asset is None):
        raise click.UsageError("give exactly one of --peer ID and --asset ID")
    return _Target("peer", peer) if peer is not None else _Target("asset", asset or "")


def _check_id(_ctx: click.Context, param: click.Parameter, value: str | None) -> str:
    if value is None:
        return str(uuid4())
    try:
        UUID(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a UUID", param=param) from None
    return value


def _money_options(what: str) -> Callable[[F], F]:
    options = [
        click.option("--peer", metavar="ID", help=f"{what} the liquidity of this peer."),
        click.option("--asset", metavar="ID", help=f"{what} the liquidity of this asset."),
        click.option(
            "--id",
            "transfer_id",
            metavar="UUID",
            callback=_check_id,
            help="The transfer id to use; default: a new random UUID v4.",
        ),
        click.argument("amount", callback=positive_amount_callback),
    ]

    def decorate(command: F) -> F:
        for option in reversed(options):
            command = option(command)
        return command

    return decorate


def _liquidity_now(connection: Connection, target: _Target) -> str:
    """`liquidity now …` for the message after a transfer; a failure to read it is reported
    in the message, not raised, since the transfer itself has succeeded."""
    try:
        data = connection.execute(target.liquidity_document, {"id": target.id})
    except CliFailure as failure:
        return f"liquidity unknown: {failure.format_message()}"
    node = data[target.kind]
    asset = node["asset"] if target.kind == "peer" else node
    return f"liquidity now {amount_with_units(node['liquidity'], asset)}"


@liquidity.command("deposit")
@_money_options("Add to")
@with_connection
def deposit(
    connection: Connection, peer: str | None, asset: str | None, transfer_id: str, amount: int
) -> None:
    """Deposit AMOUNT to a peer's or an asset's liquidity."""
    target = _target(peer, asset)
    payload = {target.key: target.id, "amount": str(amount), "id": transfer_id}
    payload["idempotencyKey"] = str(uuid4())
    document = documents.DEPOSIT_PEER if target.kind == "peer" else documents.DEPOSIT_ASSET
    data = connection.execute(document, {"input": payload})
    if connection.as_json:
        connection.print_json(data)
        return
    click.echo(
        f"Deposited {amount} to {target.kind} {target.id} (transfer {transfer_id}); "
        f"{_liquidity_now(connection, target)}."
    )


@liquidity.command("withdraw")
@_money_options("Take from")
@click.option(
    "--timeout-seconds",
    type=click.IntRange(0, WITHDRAWAL_TIMEOUT_SECONDS_MAX),
    metavar="SECONDS",
    default=DEFAULT_WITHDRAWAL_TIMEOUT_SECONDS,
    show_default=True,
    help="Seconds until the withdrawal is voided unless posted; 0 withdraws at once "
    "(nothing to post).",
)
@with_connection
def withdraw(
    connection: Connection,
    peer: str | None,
    asset: str | None,
    transfer_id: str,
    amount: int,
    timeout_seconds: int,
) -> None:
    """Withdraw AMOUNT from a peer's or an asset's liquidity.

    Prints the withdrawal id on stdout (so that `WID=$(ilpnode liquidity withdraw …)` works)
    and what to do next on stderr: post it once the money has been paid out, or void it.
    """
    target = _target(peer, asset)
    payload = {target.key: target.id, "amount": str(amount), "id": transfer_id}
    payload |= {"timeoutSeconds": str(timeout_seconds), "idempotencyKey": str(uuid4())}
    if target.kind == "peer":
        document = documents.CREATE_PEER_WITHDRAWAL
    else:
        document = documents.CREATE_ASSET_WITHDRAWAL
    data = connection.execute(document, {"input": payload})
    if connection.as_json:
        connection.print_json(data)
        click.echo(f"withdrawal id: {transfer_id}", err=True)
        return
    click.echo(transfer_id)
    now = _liquidity_now(connection, target)
    if timeout_seconds == 0:
        click.echo(f"Withdrew {amount} from {target.kind} {target.id} at once; {now}.", err=True)
        return
    click.echo(
        f"Withdrawal of {amount} from {target.kind} {target.id} is pending; {now}.\n"
        f"Post it with `ilpnode liquidity post {transfer_id}` once paid out, or void it with "
        f"`ilpnode liquidity void {transfer_id}`; it is voided by itself in "
        f"{timeout_seconds} s.",
        err=True,
    )


def _settle(connection: Connection, document: str, withdrawal_id: str, done: str) -> None:
    payload = {"withdrawalId": withdrawal_id, "idempotencyKey": str(uuid4())}
    data = connection.execute(document, {"input": payload})
    if connection.as_json:
        connection.print_json(data)
    else:
        click.echo(f"Withdrawal {withdrawal_id} {done}.")


@liquidity.command("post")
@click.argument("withdrawal_id")
@with_connection
def post(connection: Connection, withdrawal_id: str) -> None:
    """Post (complete) a pending withdrawal: its amount leaves the liquidity for good."""
    _settle(connection, documents.POST_WITHDRAWAL, withdrawal_id, "posted")


@liquidity.command("void")
@click.argument("withdrawal_id")
@with_connection
def void(connection: Connection, withdrawal_id: str) -> None:
    """Void (cancel) a pending withdrawal: its amount returns to the liquidity."""
    _settle(connection, documents.VOID_WITHDRAWAL, withdrawal_id, "voided; the amount is back")
