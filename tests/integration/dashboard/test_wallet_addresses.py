"""The Wallet addresses page, Create wallet address and a wallet address's page (in-process):
create, the errors in words, settings, and withdrawing what it received (held, then posted or
voided)."""

from __future__ import annotations

import re
from uuid import UUID

import httpx

from ilpnode.accounting import PacketAccounting, PacketTransfer
from ilpnode.bootstrap import Node
from ilpnode.services.payments import WalletAddress

from .conftest import Dashboard, create_asset, create_peer, errors, field_value, flashes

BASE = "http://localhost:3003"  # the node's OPEN_PAYMENTS_URL when unset


async def create_wallet(dash: Dashboard, asset_id: str, address: str = "alice") -> str:
    await dash.get("/wallet-addresses/new")
    form = {"asset_id": asset_id, "address": address, "public_name": "Alice"}
    page = await dash.follow(await dash.post("/wallet-addresses/new", form))
    return str(page.url).rsplit("/", 1)[-1]


def received(page: httpx.Response) -> str:
    found = re.search(r'<strong id="wallet-liquidity">([^<]*)</strong>', page.text)
    assert found
    return found.group(1)


def transfer_id(page: httpx.Response) -> str:
    """The fresh transfer id the page's withdrawal form carries (a hidden field)."""
    found = re.search(r'name="transfer_id" value="([^"]+)"', page.text)
    assert found
    return found.group(1)


async def stored(node: Node, wallet_id: str) -> WalletAddress:
    assert node.services is not None
    found = await node.services.wallet_addresses.get(wallet_id)
    assert isinstance(found, WalletAddress)
    return found


async def test_create_and_see_it_listed(dash: Dashboard, node: Node) -> None:
    asset_id = await create_asset(dash)
    new = await dash.get("/wallet-addresses/new")
    assert f"A path under {BASE}/" in new.text
    assert field_value(new, "new-address") == ""
    page = await dash.follow(
        await dash.post(
            "/wallet-addresses/new",
            {"asset_id": asset_id, "address": "Shop/Bob", "public_name": "Bob's shop"},
        )
    )
    assert flashes(page) == [("ok", f"Wallet address {BASE}/shop/bob created.")]
    assert received(page) == "0.00 USD"
    assert "Bob&#39;s shop" in page.text
    wallet_id = str(page.url).rsplit("/", 1)[-1]
    assert node.wallet_address_directory.get(UUID(wallet_id)) is not None
    listing = await dash.get("/wallet-addresses")
    assert f"{BASE}/shop/bob" in listing.text
    assert "Active" in listing.text
    assert "0.00 USD" in listing.text


async def test_create_errors_keep_the_typed_values_and_save_nothing(
    dash: Dashboard, node: Node
) -> None:
    asset_id = await create_asset(dash)
    await create_wallet(dash, asset_id, "alice")
    await dash.get("/wallet-addresses/new")
    cases = [
        (
            {"asset_id": "", "address": ""},
            400,
            {
                "new-asset_id": "Choose the asset it is paid in.",
                "new-address": "Enter its address, e.g. alice.",
            },
        ),
        (
            {"asset_id": asset_id, "address": "https://elsewhere.example/x"},
            409,
            {
                "new-address": (
                    "Enter a path such as alice or shop/bob (lowercase letters, digits, . _ ~ - "
                    "and /), or a full URL under this node's OPEN_PAYMENTS_URL."
                ),
            },
        ),
        (
            {"asset_id": asset_id, "address": "ALICE"},
            409,
            {
                "new-address": "There is already a wallet address with this address.",
            },
        ),
        (
            {"asset_id": "not-an-asset", "address": "carol"},
            409,
            {
                "new-asset_id": "Choose one of this node's assets.",
            },
        ),
        (
            {"asset_id": asset_id, "address": "carol", "public_name": "x" * 300},
            409,
            {
                "new-public_name": ("Enter at most 255 characters, without line breaks or tabs."),
            },
        ),
    ]
    for form, status, expected in cases:
        page = await dash.post("/wallet-addresses/new", {"public_name": "", **form})
        assert page.status_code == status, form
        assert errors(page) == expected
        assert field_value(page, "new-address") == form["address"]
    assert len(node.wallet_address_directory) == 1  # only alice


async def test_settings_make_it_inactive_and_rename_it(dash: Dashboard, node: Node) -> None:
    asset_id = await create_asset(dash)
    wallet_id = await create_wallet(dash, asset_id)
    await dash.get(f"/wallet-addresses/{wallet_id}")
    page = await dash.follow(
        await dash.post(
            f"/wallet-addresses/{wallet_id}/settings", {"public_name": "", "status": "inactive"}
        )
    )
    assert flashes(page) == [("ok", f"Wallet address {BASE}/alice updated: inactive.")]
    assert "Inactive: receives nothing" in page.text
    wallet = await stored(node, wallet_id)
    assert (wallet.public_name, wallet.status.value) == (None, "INACTIVE")
    entry = node.wallet_address_directory.get(UUID(wallet_id))
    assert entry is not None
    assert entry.active is False
    refused = await dash.post(
        f"/wallet-addresses/{wallet_id}/settings", {"public_name": "x", "status": "gone"}
    )
    assert refused.status_code == 400
    assert errors(refused) == {"settings-status": "Choose active or inactive."}
    assert (await stored(node, wallet_id)).public_name is None  # nothing saved
    missing = await dash.get("/wallet-addresses/00000000-0000-4000-8000-000000000000")
    assert missing.status_code == 404


async def pay(node: Node, peer_id: str, wallet_id: str, amount: int) -> None:
    """What the STREAM receiver will do: the peer's account -> the wallet's, posted."""
    assert node.ledger is not None
    peer = node.directory.get(UUID(peer_id))
    wallet = node.wallet_address_directory.get(UUID(wallet_id))
    assert peer is not None
    assert wallet is not None
    transfer = await PacketAccounting(ledger=node.ledger).create_packet_transfer(
        source=peer.account,
        destination=wallet.account,
        source_amount=amount,
        destination_amount=amount,
        timeout_seconds=30,
    )
    assert isinstance(transfer, PacketTransfer)
    assert await transfer.post() is None


async def test_withdraw_everything_held_then_post_or_void(dash: Dashboard, node: Node) -> None:
    asset_id = await create_asset(dash)
    peer_id = await create_peer(dash, asset_id)
    wallet_id = await create_wallet(dash, asset_id)
    path = f"/wallet-addresses/{wallet_id}"

    page = await dash.get(path)
    nothing = await dash.post(
        f"{path}/withdraw",
        {"hold_minutes": "60", "transfer_id": transfer_id(page)},
    )
    assert nothing.status_code == 409
    assert "Nothing to withdraw: it has received nothing since the last one." in nothing.text

    await pay(node, peer_id, wallet_id, 1234)
    page = await dash.get(path)
    assert received(page) == "12.34 USD"
    form = {"hold_minutes": "60", "transfer_id": transfer_id(page)}
    page = await dash.follow(await dash.post(f"{path}/withdraw", form))
    [(level, text)] = flashes(page)
    assert level == "ok"
    assert text.startswith("Withdrawal of 12.34 USD (everything received) created: it is pending")
    withdrawal_id = form["transfer_id"]
    assert withdrawal_id in page.text  # offered for post or void
    assert received(page) == "0.00 USD"
    again = await dash.post(f"{path}/withdraw", form)  # the same form sent twice
    assert again.status_code == 409

    page = await dash.follow(
        await dash.post(f"{path}/settle", {"withdrawal_id": withdrawal_id, "action": "void"})
    )
    assert flashes(page) == [
        ("ok", f"Withdrawal {withdrawal_id} voided: its amount is back in the liquidity.")
    ]
    assert received(page) == "12.34 USD"

    form = {"hold_minutes": "0", "transfer_id": transfer_id(page)}
    page = await dash.follow(await dash.post(f"{path}/withdraw", form))
    assert flashes(page) == [("ok", "Withdrew 12.34 USD (everything received; posted at once).")]
    assert received(page) == "0.00 USD"
    bad_hold = await dash.post(
        f"{path}/withdraw",
        {"hold_minutes": "soon", "transfer_id": transfer_id(page)},
    )
    assert bad_hold.status_code == 400
    assert "withdraw-hold_minutes" in errors(bad_hold)
