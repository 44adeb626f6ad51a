"""The wallet address directory (stale installs dropped, lookups by id, tag and URL), the STREAM
secret, and the SPSP server's decisions."""

from __future__ import annotations

import base64
from dataclasses import replace
from uuid import uuid4

import pytest

from ilpnode.accounting import WalletAddressAccount
from ilpnode.hosted_wallets import HostedWalletAddress
from ilpnode.ilp.stream import open_connection
from ilpnode.services.payments import (
    OpenPaymentsUrls,
    SpspCredentials,
    SpspFailure,
    SpspServer,
    StreamSecret,
    WalletAddressDirectory,
    load_stream_secret,
)
from ilpnode.services.peering import Change

SECRET = StreamSecret(bytes(range(32)), source="test")


def entry(url: str = "https://w.example/alice", *, active: bool = True) -> HostedWalletAddress:
    wallet_id, asset_id = uuid4(), uuid4()
    return HostedWalletAddress(
        id=wallet_id,
        url=url,
        public_name="Alice",
        active=active,
        asset_id=asset_id,
        asset_code="USD",
        asset_scale=2,
        account=WalletAddressAccount.for_wallet_address(
            wallet_address_id=wallet_id, asset_id=asset_id, ledger=1
        ),
    )


def test_installs_and_lookups() -> None:
    directory = WalletAddressDirectory()
    alice = entry()
    with directory.observing() as stamp:
        assert directory.install(stamp, alice.id, alice) is Change.ADDED
        assert directory.install(stamp, alice.id, alice) is Change.UNCHANGED
    assert directory.get(alice.id) is alice
    assert directory.get(None) is None
    assert directory.by_payment_tag(alice.id.bytes) is alice
    assert directory.by_payment_tag(alice.id.bytes[:15]) is None
    assert directory.by_payment_tag(str(alice.id).encode()) is None  # not the text form
    assert directory.by_url(alice.url) is alice
    assert len(directory) == 1
    assert directory.all() == [alice]
    assert alice.payment_tag == alice.id.bytes
    assert alice.account.CODE == 1


def test_a_stale_observation_never_overwrites_a_newer_one() -> None:
    directory = WalletAddressDirectory()
    alice = entry()
    inactive = replace(alice, active=False)
    with directory.observing() as older, directory.observing() as newer:
        assert directory.install(newer, alice.id, inactive) is Change.ADDED
        assert directory.install(older, alice.id, alice) is Change.STALE
    found = directory.get(alice.id)
    assert found is not None
    assert found.active is False
    with directory.observing() as later:
        assert directory.install(later, alice.id, None) is Change.REMOVED
    assert directory.by_url(alice.url) is None
    assert directory.installed_ids() == frozenset()
    directory.forget_tombstones()
    with directory.observing() as again:
        assert directory.install(again, alice.id, alice) is Change.ADDED


class _Store:
    def __init__(self) -> None:
        self.values: dict[str, str] = {}

    async def keep_first(self, name: str, candidate: str) -> str:
        return self.values.setdefault(name, candidate)


async def test_the_stream_secret_comes_from_the_setting_or_the_store() -> None:
    store = _Store()
    configured = await load_stream_secret(configured=bytes(32), store=store)
    assert (configured.value, configured.source) == (bytes(32), "STREAM_SECRET")
    assert store.values == {}  # the setting wins: nothing generated
    generated = await load_stream_secret(configured=None, store=store)
    assert generated.source == "database"
    assert len(generated.value) == 32
    again = await load_stream_secret(configured=None, store=store)
    assert again.value == generated.value  # generated once
    assert base64.b64encode(generated.value).decode() not in repr(generated)
    with pytest.raises(ValueError, match="32 bytes"):
        StreamSecret(bytes(31), source="test")
    with pytest.raises(ValueError, match="is not base64"):
        StreamSecret.decode("!!!")


def spsp_server(*entries: HostedWalletAddress) -> SpspServer:
    directory = WalletAddressDirectory()
    with directory.observing() as stamp:
        for value in entries:
            directory.install(stamp, value.id, value)
    return SpspServer(
        directory=directory,
        secret=SECRET,
        urls=OpenPaymentsUrls("https://w.example/"),
        ilp_address="test.node",
        nonce=lambda size: b"\x07" * size,
    )


def test_spsp_credentials_and_failures() -> None:
    alice, gone = entry(), entry("https://w.example/gone", active=False)
    server = spsp_server(alice, gone)
    answer = server.credentials("/Alice", receipt_nonce=None, receipt_secret=None)
    assert isinstance(answer, SpspCredentials)
    token = open_connection(SECRET.value, answer.destination_account, "test.node")
    assert token is not None
    assert token.payment_tag == alice.id.bytes
    assert token.shared_secret == answer.shared_secret
    assert "shared_secret" not in repr(answer)
    assert answer.json()["receipts_enabled"] is False
    inactive = server.credentials("/gone", receipt_nonce=None, receipt_secret=None)
    assert inactive is SpspFailure.UnknownWalletAddress
    apart = server.credentials("/alice", receipt_nonce="AAAA", receipt_secret=None)
    assert apart is SpspFailure.ReceiptHeadersApart
    assert (apart.status, apart.error_id) == (400, "InvalidRequestError")
    nonce = base64.b64encode(bytes(16)).decode()
    bad_secret = server.credentials("/alice", receipt_nonce=nonce, receipt_secret="AAAA")
    assert bad_secret is SpspFailure.InvalidReceiptSecret
    assert server.description("/gone") is SpspFailure.UnknownWalletAddress
    assert server.description("/alice") == {
        "id": alice.url,
        "publicName": "Alice",
        "assetCode": "USD",
        "assetScale": 2,
    }
    assert SpspFailure.UnknownWalletAddress.status == 404
