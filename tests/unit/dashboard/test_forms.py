"""Form parsing: typed text into service requests, every error at once, values kept."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

from ilpnode.dashboard.forms.assets import parse_create as parse_asset
from ilpnode.dashboard.forms.assets import parse_thresholds
from ilpnode.dashboard.forms.liquidity import parse_deposit, parse_withdrawal, withdraw_values
from ilpnode.dashboard.forms.peers import (
    CREATE_FIELDS,
    general_values,
    parse_create,
    parse_general,
    parse_http,
    parse_routes,
)
from ilpnode.services.peering import UNSET, Asset, HttpOutgoing, Peer

NOW = datetime(2026, 1, 1, tzinfo=UTC)
USD = Asset(
    id=uuid4(),
    code="USD",
    scale=2,
    ledger=1,
    withdrawal_threshold=None,
    liquidity_threshold=None,
    created_at=NOW,
    updated_at=NOW,
)
BOB = Peer(
    id=uuid4(),
    asset_id=USD.id,
    static_ilp_address="test.bob",
    routes=("test.bob", "g.bobnet"),
    http_outgoing=HttpOutgoing(auth_token="old-token", endpoint="http://bob.example"),
    max_packet_amount=1000,
    name="Bob",
    liquidity_threshold=None,
    created_at=NOW,
    updated_at=NOW,
)


def create_values(**changes: str) -> dict[str, str]:
    values = dict.fromkeys(CREATE_FIELDS, "")
    values.update(
        static_ilp_address="test.bob",
        asset_id=str(USD.id),
        outgoing_token="out",
        outgoing_endpoint="https://bob.example/ilp",
    )
    values.update(changes)
    return values


def test_create_peer_converts_amounts_with_the_asset_scale() -> None:
    request, state = parse_create(
        create_values(
            name=" Bob ",
            max_packet_amount="10",
            liquidity_threshold="5.5",
            initial_liquidity="100",
            incoming_tokens="one\n\n two \n",
            routes="g.bobnet\ng.other",
        ),
        USD,
    )
    assert state.ok
    assert request is not None
    assert request.name == "Bob"
    assert (request.max_packet_amount, request.liquidity_threshold) == (1000, 550)
    assert request.initial_liquidity == 10000
    assert request.incoming_tokens == ["one", "two"]
    assert request.routes == ["g.bobnet", "g.other"]
    assert request.http_outgoing == HttpOutgoing(
        auth_token="out", endpoint="https://bob.example/ilp"
    )


def test_create_peer_reports_every_field_at_once_and_keeps_the_typed_values() -> None:
    typed = create_values(
        static_ilp_address="bob",
        outgoing_endpoint="ftp://bob",
        outgoing_token="",
        incoming_tokens="same\nsame",
        routes="g..x",
        max_packet_amount="1.001",
        initial_liquidity="lots",
    )
    request, state = parse_create(typed, USD)
    assert request is None
    assert state.values == typed
    assert set(state.errors) == {
        "static_ilp_address",
        "outgoing_endpoint",
        "outgoing_token",
        "incoming_tokens",
        "routes",
        "max_packet_amount",
        "initial_liquidity",
    }
    assert "USD has 2 decimal places" in state.errors["max_packet_amount"]


def test_create_peer_without_an_asset() -> None:
    request, state = parse_create(create_values(asset_id=""), None)
    assert request is None
    assert state.errors == {"asset_id": "Choose one of this node's assets."}


def test_peer_page_parts() -> None:
    general, state = parse_general(
        {**general_values(BOB, USD), "max_packet_amount": "", "name": ""}, BOB, USD
    )
    assert state.ok
    assert general is not None
    assert (general.max_packet_amount, general.name) == (None, None)  # emptied: cleared
    assert general_values(BOB, USD)["max_packet_amount"] == "10.00"
    http, state = parse_http({"outgoing_endpoint": "http://new.example"}, BOB)
    assert http is not None
    assert http.http_outgoing == HttpOutgoing(auth_token="old-token", endpoint="http://new.example")
    assert http.incoming_tokens is UNSET  # empty: keep
    routes, _ = parse_routes({"routes": ""}, BOB)
    assert routes is not None
    assert routes.routes == []


def test_assets() -> None:
    request, state = parse_asset(
        {"code": "usd", "scale": "2", "withdrawal_threshold": "1", "liquidity_threshold": ""}
    )
    assert state.ok
    assert request is not None
    assert (request.code, request.scale, request.withdrawal_threshold) == ("USD", 2, 100)
    assert request.liquidity_threshold is None
    request, state = parse_asset(
        {"code": "U$D", "scale": "256", "withdrawal_threshold": "", "liquidity_threshold": ""}
    )
    assert request is None
    assert set(state.errors) == {"code", "scale"}
    update, state = parse_thresholds(
        {"withdrawal_threshold": "", "liquidity_threshold": "0.5"}, USD
    )
    assert update is not None
    assert (update.withdrawal_threshold, update.liquidity_threshold) == (None, 50)


def test_liquidity() -> None:
    values = withdraw_values()
    values["amount"] = "20"
    withdrawal, state = parse_withdrawal(values, scale=2, code="USD")
    assert state.ok
    assert withdrawal is not None
    assert (withdrawal.amount, withdrawal.timeout_seconds) == (2000, 3600)
    assert str(withdrawal.transfer_id) == values["transfer_id"]
    bad, state = parse_withdrawal(
        {"amount": "0", "hold_minutes": "-1", "transfer_id": "x"}, scale=2, code="USD"
    )
    assert bad is None
    assert set(state.errors) == {"amount", "hold_minutes"}
    assert state.message is not None
    assert "reload the page" in state.message
    deposit, state = parse_deposit({"amount": "", "transfer_id": str(uuid4())}, scale=2, code="USD")
    assert deposit is None
    assert state.errors == {"amount": "Enter an amount."}
