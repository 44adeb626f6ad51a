"""`ilpnode pay` against a fake Admin API: how the source and the amount are read, the
`sendPayment` input, following the payment to its end, the output and the exit status."""

from __future__ import annotations

import importlib
import json
from typing import Any
from uuid import UUID

import httpx
import pytest
from click.testing import CliRunner, Result

from ilpnode.cli import main

from .fake_api import Answer, FakeApi, data, error

# the module, not the `pay` command that `ilpnode.cli_admin` exports under the same name
pay_module = importlib.import_module("ilpnode.cli_admin.pay")

ENV = {"ILPNODE_ADMIN_URL": "http://node:3001", "ADMIN_API_SECRET": "s" * 20}
WALLET_ID = "0b7e1c56-4a4f-4f3e-9a37-1c1a1b9b3b10"
ASSET_ID = "7f4c9d80-5b1b-4a8e-9d3e-2a2f2f1c0d01"
USD = {"id": ASSET_ID, "code": "USD", "scale": 2, "liquidity": "100000"}
WALLET = {
    "id": WALLET_ID,
    "address": "https://node.example/alice",
    "publicName": None,
    "status": "ACTIVE",
    "liquidity": "5000",
    "createdAt": "2026-05-01T09:00:00.000Z",
    "asset": {"id": ASSET_ID, "code": "USD", "scale": 2},
}


@pytest.fixture(autouse=True)
def no_poll_delay(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pay_module, "POLL_SECONDS", 0)


def amount(value: int, code: str = "USD", scale: int = 2) -> dict[str, Any]:
    return {"value": str(value), "assetCode": code, "assetScale": scale}


def payment(state: str, sent: int, delivered: int, **changes: Any) -> dict[str, Any]:
    return {
        "id": "6a1f7a7e-0000-4000-8000-000000000001",
        "walletAddressId": None,
        "assetId": ASSET_ID,
        "receiver": "$wallet.example/bob",
        "state": state,
        "error": None,
        "debitAmount": amount(1000),
        "sentAmount": amount(sent),
        "receiveAmount": amount(delivered, "EUR"),
        "deliveredAmount": amount(delivered, "EUR"),
        "fee": amount(0),
        "packets": sent // 100,
        "createdAt": "2026-05-01T10:00:00.000Z",
        "updatedAt": "2026-05-01T10:00:02.000Z",
        **changes,
    }


def sent(value: dict[str, Any]) -> Answer:
    return data({"sendPayment": {"payment": value}})


def polled(value: dict[str, Any] | None) -> Answer:
    return data({"outgoingPayment": value})


def assets_page(*assets: dict[str, Any]) -> Answer:
    edges = [{"cursor": a["id"], "node": a} for a in assets]
    return data({"assets": {"edges": edges, "pageInfo": {"endCursor": None, "hasNextPage": False}}})


def run(api: FakeApi, monkeypatch: pytest.MonkeyPatch, *args: str) -> Result:
    with api.installed(monkeypatch):
        return CliRunner(env=ENV).invoke(main, ["pay", *args])


def send_input(api: FakeApi) -> dict[str, Any]:
    (body,) = [b for b in api.bodies if "sendPayment" in b["query"]]
    found: dict[str, Any] = body["variables"]["input"]
    return found


def test_pays_from_an_asset_by_code_in_its_units_and_follows_to_the_end(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    api = FakeApi(
        assets_page(USD, {**USD, "id": "other", "code": "EUR"}),
        sent(payment("SENDING", 0, 0)),
        polled(payment("SENDING", 400, 368)),
        polled(payment("COMPLETED", 1000, 920)),
    )

    result = run(api, monkeypatch, "$wallet.example/bob", "10.00", "--asset", "USD")

    assert result.exit_code == 0, result.output
    given = send_input(api)
    assert given["assetId"] == ASSET_ID
    assert given["debitAmount"] == "1000"
    assert given["receiver"] == "$wallet.example/bob"
    assert "walletAddressId" not in given
    assert "receiveAmount" not in given
    assert UUID(given["id"]).version == 4
    assert UUID(given["idempotencyKey"])
    polled_ids = [b["variables"] for b in api.bodies[2:]]
    assert polled_ids == [{"id": "6a1f7a7e-0000-4000-8000-000000000001"}] * 2  # the node's id
    assert "delivered: 920 (9.20 EUR)" in result.stdout
    assert "rate:      0.92 EUR per USD" in result.stdout
    assert "time:      2.00 s" in result.stdout
    progress = result.stderr.splitlines()
    assert progress[0] == "sending: 0.00 USD of 10.00 USD, 0 packets, 0.0 s"
    assert progress[-1].startswith("completed: 10.00 USD of 10.00 USD, 10 packets")


def test_a_fixed_receive_from_a_wallet_address_by_id(monkeypatch: pytest.MonkeyPatch) -> None:
    api = FakeApi(
        data({"walletAddress": WALLET}),
        sent(payment("COMPLETED", 1000, 900)),
    )

    result = run(
        api, monkeypatch, "https://wallet.example/bob", "900", "--from", WALLET_ID, "--receive"
    )

    assert result.exit_code == 0, result.output
    given = send_input(api)
    assert given["walletAddressId"] == WALLET_ID
    assert given["receiveAmount"] == "900"
    assert "debitAmount" not in given
    assert "assetId" not in given
    assert len(api.bodies) == 2  # a payment final in the first answer is not polled


@pytest.mark.parametrize(
    ("source", "url"),
    [
        ("https://node.example/alice", "https://node.example/alice"),
        ("$node.example/alice", "https://node.example/alice"),
        ("$node.example", "https://node.example/.well-known/pay"),
    ],
)
def test_a_wallet_address_by_url_or_payment_pointer(
    monkeypatch: pytest.MonkeyPatch, source: str, url: str
) -> None:
    api = FakeApi(data({"walletAddressByUrl": WALLET}), sent(payment("COMPLETED", 1000, 920)))

    result = run(api, monkeypatch, "$wallet.example/bob", "1000", "--from", source)

    assert result.exit_code == 0, result.output
    assert api.bodies[0]["variables"] == {"url": url}
    assert send_input(api)["walletAddressId"] == WALLET_ID


def test_an_asset_by_id_and_an_amount_in_the_smallest_unit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    api = FakeApi(data({"asset": USD}), sent(payment("COMPLETED", 1000, 920)))

    result = run(api, monkeypatch, "$b.example", "1000", "--asset", ASSET_ID, "--id", WALLET_ID)

    assert result.exit_code == 0, result.output
    assert send_input(api)["debitAmount"] == "1000"
    assert send_input(api)["id"] == WALLET_ID


def test_a_failed_payment_prints_its_summary_and_exits_1(monkeypatch: pytest.MonkeyPatch) -> None:
    failed = payment("FAILED", 0, 0, error="InsufficientExchangeRate")
    api = FakeApi(assets_page(USD), sent(payment("SENDING", 0, 0)), polled(failed))

    result = run(api, monkeypatch, "$wallet.example/bob", "10.00", "--asset", "USD/2")

    assert result.exit_code == 1
    assert "state:     failed" in result.stdout
    assert "error:     InsufficientExchangeRate" in result.stdout
    assert result.stderr.endswith("ilpnode: the payment failed: InsufficientExchangeRate\n")


def test_a_refused_payment_is_the_nodes_message(monkeypatch: pytest.MonkeyPatch) -> None:
    api = FakeApi(assets_page(USD), error("Insufficient balance", "BAD_USER_INPUT"))

    result = run(api, monkeypatch, "$wallet.example/bob", "10.00", "--asset", "USD")

    assert result.exit_code == 1
    assert result.stderr == "ilpnode: Insufficient balance (BAD_USER_INPUT)\n"
    assert result.stdout == ""


def test_json_prints_the_final_payment(monkeypatch: pytest.MonkeyPatch) -> None:
    done = payment("COMPLETED", 1000, 920)
    api = FakeApi(data({"asset": USD}), sent(payment("SENDING", 0, 0)), polled(done))

    result = run(api, monkeypatch, "$b.example", "1000", "--asset", ASSET_ID, "--json")

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"outgoingPayment": done}
    assert result.stderr == ""


def test_no_wait_prints_the_id_and_does_not_poll(monkeypatch: pytest.MonkeyPatch) -> None:
    api = FakeApi(data({"asset": USD}), sent(payment("SENDING", 0, 0)))

    result = run(api, monkeypatch, "$b.example", "1000", "--asset", ASSET_ID, "--no-wait")

    assert result.exit_code == 0, result.output
    assert result.stdout == "6a1f7a7e-0000-4000-8000-000000000001\n"
    assert len(api.bodies) == 2


def test_on_a_terminal_the_bar_is_redrawn_in_place(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pay_module, "_stderr_is_terminal", lambda: True)
    api = FakeApi(
        data({"asset": USD}),
        sent(payment("SENDING", 0, 0)),
        polled(payment("SENDING", 500, 460)),
        polled(payment("COMPLETED", 1000, 920)),
    )

    result = run(api, monkeypatch, "$b.example", "1000", "--asset", ASSET_ID)

    assert result.exit_code == 0, result.output
    frames = result.stderr.split("\r")[1:]
    assert [frame[: len("[#####")] for frame in frames] == ["[-----", "[#####", "[#####"]
    assert " 50%  5.00 USD of 10.00 USD  5 packets" in frames[1]
    assert frames[-1].startswith("[" + "#" * 24 + "] 100%")
    assert result.stderr.endswith("\x1b[K\n")  # each frame erases the rest of the line


def test_a_node_that_is_briefly_unreachable_is_polled_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def refused(_body: dict[str, Any]) -> httpx.Response:
        raise httpx.ConnectError("connection refused")

    api = FakeApi(
        data({"asset": USD}),
        sent(payment("SENDING", 0, 0)),
        refused,
        polled(payment("COMPLETED", 1000, 920)),
    )

    result = run(api, monkeypatch, "$b.example", "1000", "--asset", ASSET_ID)

    assert result.exit_code == 0, result.output
    assert "state:     completed" in result.stdout


def test_interrupting_says_the_payment_goes_on_and_how_to_follow_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def interrupt(_body: dict[str, Any]) -> httpx.Response:
        raise KeyboardInterrupt

    api = FakeApi(data({"asset": USD}), sent(payment("SENDING", 0, 0)), interrupt)

    result = run(api, monkeypatch, "$b.example", "1000", "--asset", ASSET_ID)

    assert result.exit_code == 130
    assert "it goes on at the node" in result.stderr
    assert "--id 6a1f7a7e-0000-4000-8000-000000000001" in result.stderr


def test_a_payment_the_node_forgot_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    api = FakeApi(data({"asset": USD}), sent(payment("SENDING", 0, 0)), polled(None))

    result = run(api, monkeypatch, "$b.example", "1000", "--asset", ASSET_ID)

    assert result.exit_code == 1
    assert "has no outgoing payment 6a1f7a7e" in result.stderr


@pytest.mark.parametrize(
    "args",
    [
        ("$b.example", "1000"),
        ("$b.example", "1000", "--asset", "USD", "--from", WALLET_ID),
        ("$b.example", "1000", "--asset", "USD", "--id", "not-a-uuid"),
        ("$b.example", "1000", "--from", "alice"),
        ("$b.example", "1000", "--asset", "USD/x"),
    ],
)
def test_wrong_usage_sends_nothing(monkeypatch: pytest.MonkeyPatch, args: tuple[str, ...]) -> None:
    api = FakeApi()

    result = run(api, monkeypatch, *args)

    assert result.exit_code == 2, result.output
    assert api.bodies == []


@pytest.mark.parametrize(
    ("text", "extra", "message"),
    [
        ("10.005", (), "10.005 has more decimals than USD has (2)"),
        ("0", (), "the amount must be at least 1"),
        ("0.00", (), "the amount must be more than 0"),
        ("1.5", ("--receive",), "with --receive, give the amount in the receiver's smallest"),
        ("1e3", (), "is not a whole number"),
        ("1.2.3", (), "is not an amount"),
        ("184467440737095516.16", (), "is too large"),
    ],
)
def test_a_wrong_amount_is_refused_before_anything_is_sent(
    monkeypatch: pytest.MonkeyPatch, text: str, extra: tuple[str, ...], message: str
) -> None:
    api = FakeApi(data({"asset": USD}))

    result = run(api, monkeypatch, "$b.example", text, "--asset", ASSET_ID, *extra)

    assert result.exit_code == 2, result.output
    assert message in " ".join(result.stderr.split())
    assert all("sendPayment" not in body["query"] for body in api.bodies)


def test_an_unknown_or_ambiguous_source_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    no_wallet = FakeApi(data({"walletAddress": None}))
    unknown = run(no_wallet, monkeypatch, "$b", "1", "--from", WALLET_ID)
    ambiguous = run(
        FakeApi(assets_page(USD, {**USD, "id": "x", "scale": 9})),
        monkeypatch,
        "$b",
        "1",
        "--asset",
        "USD",
    )
    missing = run(FakeApi(assets_page(USD)), monkeypatch, "$b", "1", "--asset", "EUR")

    assert unknown.exit_code == ambiguous.exit_code == missing.exit_code == 1
    assert unknown.stderr == f"ilpnode: this node hosts no wallet address {WALLET_ID}\n"
    assert "several assets have the code USD: give --asset USD/SCALE" in ambiguous.stderr
    assert "there is no asset EUR" in missing.stderr
