"""`ilpnode pay RECEIVER AMOUNT`: send a payment from the node, follow it, summarise it.

The CLI resolves the source (`--from` a wallet address hosted by the node, by id, URL or
payment pointer; or `--asset`, the operator's liquidity of an asset, by id, code or code/scale),
reads the amount in that asset's units, and calls `sendPayment` with a payment id of its own
(a UUID v4, or `--id`). The node answers at once; the CLI then polls `outgoingPayment` until the
state is final, drawing a progress bar on a terminal (plain lines otherwise, at most one a
second), and prints the summary (`pay_view.summary`). Exit status: 0 completed, 1 failed or
cancelled (and every other failure), 2 wrong usage, 130 interrupted (the payment goes on at the
node: the same command with `--id` follows it again, since a payment is idempotent by its id).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final
from uuid import UUID, uuid4

import click

from ilpnode.cli_admin import documents
from ilpnode.cli_admin.amounts import AmountError, parse_amount, parse_units
from ilpnode.cli_admin.connection import CliFailure, Connection, with_connection
from ilpnode.cli_admin.paging import fetch_pages
from ilpnode.cli_admin.pay_view import (
    FINAL_STATES,
    progress_bar,
    progress_line,
    progress_of,
    summary,
)

if TYPE_CHECKING:
    from ilpnode.cli_admin.client import AdminClient

__all__ = ["POLL_SECONDS", "UNREACHABLE_GRACE_SECONDS", "pay"]

#: How often the payment is polled: fast enough for a live progress bar, light for the node.
POLL_SECONDS: Final = 0.2
#: How long polls may fail to reach the node (a restart) before the CLI gives up following.
UNREACHABLE_GRACE_SECONDS: Final = 30.0
_PLAIN_LINE_SECONDS: Final = 1.0


def _check_id(_ctx: click.Context, param: click.Parameter, value: str | None) -> str:
    if value is None:
        return str(uuid4())
    try:
        UUID(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a UUID", param=param) from None
    return value


def _is_uuid(text: str) -> bool:
    try:
        UUID(text)
    except ValueError:
        return False
    return True


def _pointer_url(pointer: str) -> str:
    """`$host/path` -> `https://host/path` (RFC 0026); `$host` -> `https://host/.well-known/pay`."""
    host, _, path = pointer[1:].partition("/")
    return f"https://{host}/{path or '.well-known/pay'}"


def _wallet_source(
    connection: Connection, client: AdminClient, text: str
) -> tuple[dict[str, str], Mapping[str, Any]]:
    if _is_uuid(text):
        found = connection.execute(documents.WALLET_ADDRESS, {"id": text}, client=client)
        wallet = found["walletAddress"]
    elif text.startswith(("http://", "https://", "$")):
        url = _pointer_url(text) if text.startswith("$") else text
        found = connection.execute(documents.WALLET_ADDRESS_BY_URL, {"url": url}, client=client)
        wallet = found["walletAddressByUrl"]
    else:
        raise click.BadParameter(
            f"{text!r} is not a wallet address id (UUID), URL or payment pointer",
            param_hint="'--from'",
        )
    if wallet is None:
        raise CliFailure(f"this node hosts no wallet address {text}")
    return {"walletAddressId": str(wallet["id"])}, wallet["asset"]


def _asset_source(
    connection: Connection, client: AdminClient, text: str
) -> tuple[dict[str, str], Mapping[str, Any]]:
    if _is_uuid(text):
        asset = connection.execute(documents.ASSET_LIQUIDITY, {"id": text}, client=client)["asset"]
        if asset is None:
            raise CliFailure(f"there is no asset {text}")
        return {"assetId": str(asset["id"])}, asset
    code, slash, scale = text.partition("/")
    if not code or (slash and not scale.isdigit()):
        raise click.BadParameter(
            f"{text!r} is not an asset id (UUID), code (USD) or code/scale (USD/2)",
            param_hint="'--asset'",
        )
    edges = fetch_pages(connection, documents.ASSETS_PAGE, "assets", first=None)["assets"]
    matches = [
        edge["node"]
        for edge in edges["edges"]
        if edge["node"]["code"] == code and (not slash or int(edge["node"]["scale"]) == int(scale))
    ]
    if not matches:
        raise CliFailure(f"there is no asset {text} (`ilpnode assets list` shows them)")
    if len(matches) > 1:
        raise CliFailure(
            f"several assets have the code {code}: give --asset {code}/SCALE or the asset's id"
        )
    return {"assetId": str(matches[0]["id"])}, matches[0]


def _amount(text: str, *, asset: Mapping[str, Any], receive: bool) -> int:
    try:
        if "." not in text:
            return parse_amount(text, minimum=1)
        if receive:
            raise AmountError(
                "with --receive, give the amount in the receiver's smallest unit (a whole "
                "number): its scale is only learnt while paying"
            )
        return parse_units(text, scale=int(asset["scale"]), code=str(asset["code"]))
    except AmountError as error:
        raise click.BadParameter(str(error), param_hint="'AMOUNT'") from None


class _Display:
    """The progress on stderr: a bar redrawn in place on a terminal, else a line at most once
    a second (and whenever the state changes)."""

    def __init__(self, *, terminal: bool, fixed_receive: bool) -> None:
        self._terminal = terminal
        self._fixed_receive = fixed_receive
        self._started = time.monotonic()
        self._last_line_at: float | None = None
        self._last_state: str | None = None
        self._drawn = False

    def update(self, payment: Mapping[str, Any]) -> None:
        progress = progress_of(payment, fixed_receive=self._fixed_receive)
        now = time.monotonic()
        elapsed = now - self._started
        if self._terminal:
            line = progress_bar(progress, elapsed_seconds=elapsed)
            # color=True: keep the erase-to-end-of-line sequence (click strips escapes when
            # it thinks the stream is no terminal; we only get here on one)
            click.echo(f"\r{line}\x1b[K", nl=False, err=True, color=True)
            self._drawn = True
            return
        due = self._last_line_at is None or now - self._last_line_at >= _PLAIN_LINE_SECONDS
        if progress.state != self._last_state or (due and progress.state not in FINAL_STATES):
            click.echo(progress_line(progress, elapsed_seconds=elapsed), err=True)
            self._last_line_at, self._last_state = now, progress.state

    def finish(self) -> None:
        if self._drawn:
            click.echo("", err=True)
            self._drawn = False


def _stderr_is_terminal() -> bool:
    return sys.stderr.isatty()


def _follow(client: AdminClient, payment_id: str, display: _Display | None) -> Mapping[str, Any]:
    """Poll the payment until its state is final; its last answer. Polls that cannot reach
    the node are retried for `UNREACHABLE_GRACE_SECONDS` (the node may be restarting)."""
    from ilpnode.cli_admin.client import AdminApiFailure, Unreachable

    unreachable_since: float | None = None
    while True:
        try:
            answer = client.execute(documents.OUTGOING_PAYMENT, {"id": payment_id})
        except Unreachable as failure:
            now = time.monotonic()
            unreachable_since = unreachable_since or now
            if now - unreachable_since >= UNREACHABLE_GRACE_SECONDS:
                raise CliFailure(
                    f"{failure.message}; the payment {payment_id} may go on at the node"
                ) from None
            time.sleep(POLL_SECONDS)
            continue
        except AdminApiFailure as failure:
            raise CliFailure(failure.message) from None
        unreachable_since = None
        payment: Mapping[str, Any] | None = answer.get("outgoingPayment")
        if payment is None:
            raise CliFailure(f"the node has no outgoing payment {payment_id}")
        if display is not None:
            display.update(payment)
        if payment["state"] in FINAL_STATES:
            return payment
        time.sleep(POLL_SECONDS)


@click.command("pay", short_help="Send a payment to a wallet address or payment pointer.")
@click.argument("receiver")
@click.argument("amount")
@click.option(
    "--from",
    "from_",
    metavar="WALLET_ADDRESS",
    help="Pay from this wallet address hosted by the node (its id, URL or payment pointer): "
    "its balance is debited.",
)
@click.option(
    "--asset",
    metavar="ASSET",
    help="Pay from the operator's liquidity of this asset: its id, code (USD) or code/scale "
    "(USD/2).",
)
@click.option(
    "--receive",
    is_flag=True,
    help="AMOUNT is what the receiver gets, in its smallest unit (a fixed receive); without "
    "it, AMOUNT is what the source is debited, the sending fee included (a fixed send).",
)
@click.option(
    "--id",
    "payment_id",
    metavar="UUID",
    callback=_check_id,
    help="The payment id; default: a new random UUID v4. The same id with the same input is "
    "the same payment: use it to follow a payment again.",
)
@click.option("--no-wait", is_flag=True, help="Print the payment id and return at once.")
@with_connection
def pay(
    connection: Connection,
    receiver: str,
    amount: str,
    from_: str | None,
    asset: str | None,
    receive: bool,
    payment_id: str,
    no_wait: bool,
) -> None:
    """Pay RECEIVER (a payment pointer such as $wallet.example/bob, or a wallet address URL)
    AMOUNT over SPSP and STREAM, and show how it went.

    AMOUNT is in the source asset: a whole number of its smallest unit (1000), or its units
    with a decimal point (10.00 at scale 2). With --receive it is the receiver's smallest unit.

    Exit status 0 when the payment completed, 1 when it failed (the summary says why).
    """
    if (from_ is None) == (asset is None):
        raise click.UsageError("give exactly one of --from WALLET_ADDRESS and --asset ASSET")
    with connection.client() as client:
        if from_ is not None:
            source, source_asset = _wallet_source(connection, client, from_)
        else:
            source, source_asset = _asset_source(connection, client, asset or "")
        value = _amount(amount, asset=source_asset, receive=receive)
        payload: dict[str, object] = {
            "id": payment_id,
            "receiver": receiver,
            **source,
            ("receiveAmount" if receive else "debitAmount"): str(value),
            "idempotencyKey": str(uuid4()),
        }
        sent = connection.execute(documents.SEND_PAYMENT, {"input": payload}, client=client)
        payment = sent["sendPayment"]["payment"]
        if no_wait:
            click.echo(payment["id"])
            click.echo(f"Payment {payment['id']}: {str(payment['state']).lower()}.", err=True)
            return
        display = None
        if not connection.as_json:
            display = _Display(terminal=_stderr_is_terminal(), fixed_receive=receive)
            display.update(payment)
        try:
            if payment["state"] not in FINAL_STATES:
                payment = _follow(client, str(payment["id"]), display)
        except KeyboardInterrupt:
            if display is not None:
                display.finish()
            click.echo(
                f"Stopped following payment {payment['id']}; it goes on at the node. "
                f"Run the same command with --id {payment['id']} to follow it again.",
                err=True,
            )
            raise click.exceptions.Exit(130) from None
        if display is not None:
            display.finish()
    if connection.as_json:
        connection.print_json({"outgoingPayment": payment})
    else:
        click.echo(summary(payment))
    if payment["state"] != "COMPLETED":
        what = "was cancelled" if payment["state"] == "CANCELLED" else "failed"
        raise CliFailure(f"the payment {what}: {payment.get('error') or 'no reason given'}")
