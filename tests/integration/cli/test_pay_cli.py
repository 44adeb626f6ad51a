"""`ilpnode pay` against a real node's signed Admin API: the node pays its own wallet addresses
(resolved in memory), from an asset's liquidity and from a wallet address, fixed send and
fixed receive; the summary, the money, idempotency by --id, --json, --no-wait, and refusals."""

from __future__ import annotations

import re
import time
from typing import Any
from uuid import uuid4

import pytest

from .conftest import Cli, new_code

pytestmark = pytest.mark.e2e


def setup(cli: Cli, *, liquidity: int = 100_000) -> tuple[str, str, dict[str, Any]]:
    """A new asset (scale 2) with `liquidity`, and a wallet address in it: (id, code, wallet)."""
    code = new_code()
    asset = cli.json("assets", "create", "--code", code, "--scale", "2")["createAsset"]["asset"]
    if liquidity:
        cli.ok("liquidity", "deposit", "--asset", asset["id"], str(liquidity))
    address = f"w{uuid4().hex[:12]}"
    data = cli.json("wallet-addresses", "create", "--asset-id", asset["id"], "--address", address)
    return asset["id"], code, data["createWalletAddress"]["walletAddress"]


def liquidity(cli: Cli, kind: str, id_: str) -> int:
    document = "assets" if kind == "asset" else "wallet-addresses"
    data = cli.json(document, "show", id_)
    return int(data["asset" if kind == "asset" else "walletAddress"]["liquidity"])


def fields(stdout: str) -> dict[str, str]:
    found = {}
    for line in stdout.splitlines():
        label, _, value = line.partition(":")
        found[label] = value.strip()
    return found


def test_pay_a_wallet_address_from_the_assets_liquidity(cli: Cli) -> None:
    asset, code, wallet = setup(cli)

    result = cli.ok("pay", wallet["address"], "12.34", "--asset", code)

    summary = fields(result.stdout)
    assert summary["state"] == "completed"
    assert summary["receiver"] == wallet["address"]
    assert summary["delivered"] == f"1234 (12.34 {code})"
    assert summary["sent"] == f"1234 (12.34 {code})"
    assert summary["debited"] == f"1234 (12.34 {code})"
    assert summary["fee"] == f"0 (0.00 {code})"  # the operator does not charge itself
    assert summary["rate"] == f"1 {code} per {code}"
    assert int(summary["packets"]) >= 1
    assert re.fullmatch(r"\d+\.\d\d s", summary["time"])
    assert liquidity(cli, "asset", asset) == 100_000 - 1234
    assert liquidity(cli, "wallet", wallet["id"]) == 1234
    lines = result.stderr.splitlines()  # not a terminal: plain progress lines
    assert lines[-1].startswith(f"completed: 12.34 {code} of 12.34 {code}, ")


def test_pay_from_a_wallet_address_a_fixed_receive_with_the_sending_fee(cli: Cli) -> None:
    asset, code, payer = setup(cli)
    address = f"w{uuid4().hex[:12]}"
    payee = cli.json("wallet-addresses", "create", "--asset-id", asset, "--address", address)[
        "createWalletAddress"
    ]["walletAddress"]
    cli.ok("pay", payer["address"], "50.00", "--asset", asset)  # the payer's balance
    cli.ok(
        "assets", "set-fee", asset, "--type", "sending", "--fixed", "10", "--basis-points", "100"
    )

    result = cli.ok("pay", payee["address"], "1000", "--from", payer["address"], "--receive")

    summary = fields(result.stdout)
    assert summary["state"] == "completed"
    assert summary["delivered"] == f"1000 (10.00 {code})"
    assert summary["fee"] == f"20 (0.20 {code})"  # 10 + 1 % of 1000
    assert summary["debited"] == f"1020 (10.20 {code})"
    assert liquidity(cli, "wallet", payer["id"]) == 5000 - 1020
    assert liquidity(cli, "wallet", payee["id"]) == 1000


def test_the_same_id_follows_the_same_payment(cli: Cli) -> None:
    asset, _, wallet = setup(cli)
    payment_id = str(uuid4())

    first = cli.json("pay", wallet["address"], "100", "--asset", asset, "--id", payment_id)
    again = cli.json("pay", wallet["address"], "100", "--asset", asset, "--id", payment_id)

    assert first["outgoingPayment"]["id"] == again["outgoingPayment"]["id"] == payment_id
    assert again["outgoingPayment"]["state"] == "COMPLETED"
    assert liquidity(cli, "wallet", wallet["id"]) == 100  # paid once
    other = cli("pay", wallet["address"], "200", "--asset", asset, "--id", payment_id)
    assert other.exit_code == 1
    assert "exists, with other input" in other.stderr


def test_no_wait_returns_the_id_at_once(cli: Cli) -> None:
    asset, _, wallet = setup(cli)

    result = cli.ok("pay", wallet["address"], "100", "--asset", asset, "--no-wait")

    payment_id = result.stdout.strip()
    deadline = time.monotonic() + 10
    while liquidity(cli, "wallet", wallet["id"]) != 100:
        assert time.monotonic() < deadline, "the payment did not arrive"
        time.sleep(0.1)
    followed = cli.json("pay", wallet["address"], "100", "--asset", asset, "--id", payment_id)
    assert followed["outgoingPayment"]["state"] == "COMPLETED"


def test_refusals_are_the_nodes_words_and_debit_nothing(cli: Cli) -> None:
    asset, _, wallet = setup(cli, liquidity=500)
    unknown = wallet["address"] + "-nobody"

    no_receiver = cli("pay", unknown, "1.00", "--asset", asset)
    too_much = cli("pay", wallet["address"], "6.00", "--asset", asset)
    no_wallet = cli("pay", wallet["address"], "1", "--from", str(uuid4()))

    assert no_receiver.exit_code == too_much.exit_code == no_wallet.exit_code == 1
    assert no_receiver.stderr.startswith("ilpnode: invalid receiver: ")
    assert no_receiver.stderr.rstrip().endswith("(BAD_USER_INPUT)")
    assert "Insufficient transfer balance" in too_much.stderr
    assert "(FORBIDDEN)" in too_much.stderr
    assert no_wallet.stderr == "ilpnode: unknown wallet address (NOT_FOUND)\n"
    assert no_receiver.stdout == too_much.stdout == ""
    assert liquidity(cli, "asset", asset) == 500
    assert liquidity(cli, "wallet", wallet["id"]) == 0
