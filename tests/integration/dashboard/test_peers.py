"""The Peers page, Create Peer and a peer's page, over the real services (in-process)."""

from __future__ import annotations

import re
from uuid import UUID, uuid4

from ilpnode.bootstrap import Node
from ilpnode.services.peering import (
    CreatePeer,
    HttpOutgoing,
    Peer,
    PeerError,
    SortOrder,
    page_request,
)
from ilpnode.services.peering import PageRequest as PageRequest_

from .conftest import (
    Dashboard,
    create_asset,
    create_peer,
    errors,
    field_value,
    flashes,
    peer_form,
)


async def stored_peer(node: Node, peer_id: str) -> Peer:
    assert node.services is not None
    peer = await node.services.peers.get(peer_id)
    assert isinstance(peer, Peer)
    return peer


async def peer_count(node: Node) -> int:
    assert node.services is not None
    request = page_request(first=100, sort_order=SortOrder.ASC)
    assert isinstance(request, PageRequest_)
    return len((await node.services.peers.page(request)).items)


def liquidity_shown(page_text: str) -> str:
    found = re.search(r'<strong id="peer-liquidity">([^<]*)</strong>', page_text)
    assert found, "no liquidity on the page"
    return found.group(1)


async def test_create_peer_through_the_form_and_see_it_in_the_table(
    dash: Dashboard, node: Node
) -> None:
    asset_id = await create_asset(dash)
    form = await dash.get("/peers/new")
    assert form.status_code == 200
    assert f'<option value="{asset_id}" selected>USD (scale 2)</option>' in form.text
    page = await dash.follow(await dash.post("/peers/new", peer_form(asset_id)))
    assert flashes(page) == [("ok", "Peer Bob created.")]
    assert liquidity_shown(page.text) == "100.00 USD"
    peer_id = str(page.url).rsplit("/", 1)[-1]
    peer = await stored_peer(node, peer_id)
    assert (peer.max_packet_amount, peer.liquidity_threshold) == (1000, 500)
    assert peer.routes == ("test.bob", "g.bobnet")
    assert peer.http_outgoing == HttpOutgoing(
        auth_token="we-send-this", endpoint="http://127.0.0.1:9/ilp"
    )
    assert node.token_index.peer_for_token("bob-sends-this") == UUID(peer_id)
    assert "we-send-this" not in page.text  # the outgoing token is never shown again
    table = await dash.get("/peers")
    row = table.text[table.text.index(f"/peers/{peer_id}") :]
    for cell in ("Bob", "test.bob", "USD", "http://127.0.0.1:9/ilp", "100.00 USD", "Liquidity OK"):
        assert cell in row, cell
    assert "<meter" in row


async def test_create_peer_shows_every_error_next_to_its_field_and_saves_nothing(
    dash: Dashboard, node: Node
) -> None:
    asset_id = await create_asset(dash)
    await dash.get("/peers/new")
    typed = peer_form(
        asset_id,
        static_ilp_address="bob",
        outgoing_endpoint="ftp://bob.example",
        outgoing_token="",
        max_packet_amount="1.001",
        initial_liquidity="-5",
        routes="g..bad",
        incoming_tokens="twice\ntwice",
    )
    page = await dash.post("/peers/new", typed)
    assert page.status_code == 400
    shown = errors(page)
    assert "ILP address such as test.bob" in shown["new-static_ilp_address"]
    assert "http:// or https:// URL" in shown["new-outgoing_endpoint"]
    assert shown["new-outgoing_token"] == "Enter the token the peer gave you."
    assert shown["new-max_packet_amount"] == "USD has 2 decimal places: 1.001 has 3."
    assert "Enter a number" in shown["new-initial_liquidity"]
    assert "ILP address prefix" in shown["new-routes"]
    assert shown["new-incoming_tokens"] == "A token is listed twice."
    assert 'aria-invalid="true"' in page.text
    # what was typed is still there
    assert field_value(page, "new-static_ilp_address") == "bob"
    assert field_value(page, "new-max_packet_amount") == "1.001"
    assert field_value(page, "new-routes") == "g..bad"
    assert f'<option value="{asset_id}" selected>' in page.text
    assert await peer_count(node) == 0


async def test_create_peer_refusals_of_the_service_are_shown_too(
    dash: Dashboard, node: Node
) -> None:
    asset_id = await create_asset(dash)
    await create_peer(dash, asset_id)
    await dash.get("/peers/new")
    again = await dash.post("/peers/new", peer_form(asset_id, incoming_tokens="other"))
    assert again.status_code == 409
    assert errors(again) == {
        "new-static_ilp_address": "There is already a peer with this ILP address and asset."
    }
    token = await dash.post("/peers/new", peer_form(asset_id, static_ilp_address="test.carol"))
    assert "Another peer already uses one of these tokens" in errors(token)["new-incoming_tokens"]
    no_asset = await dash.post("/peers/new", peer_form(""))
    assert errors(no_asset) == {"new-asset_id": "Choose one of this node's assets."}
    unknown = await dash.post("/peers/new", peer_form(str(uuid4())))
    assert errors(unknown) == {"new-asset_id": "Choose one of this node's assets."}
    assert await peer_count(node) == 1


async def test_create_peer_without_assets_says_to_create_one(dash: Dashboard) -> None:
    page = await dash.get("/peers/new")
    assert "This node has no assets yet" in page.text


async def test_edit_each_part_of_a_peer(dash: Dashboard, node: Node) -> None:
    peer_id = await create_peer(dash, await create_asset(dash))
    page = await dash.get(f"/peers/{peer_id}")
    assert field_value(page, "general-max_packet_amount") == "10.00"
    assert field_value(page, "routes-routes") == "g.bobnet"
    general = {
        "name": "Bob's node",
        "static_ilp_address": "test.bobby",
        "max_packet_amount": "",
        "liquidity_threshold": "7.25",
    }
    page = await dash.follow(await dash.post(f"/peers/{peer_id}/general", general))
    assert flashes(page) == [("ok", "Peer Bob's node updated.")]
    assert "Bob&#39;s node" in page.text  # autoescaped
    http = {
        "outgoing_endpoint": "https://bob.example/ilp",
        "outgoing_token": "",
        "incoming_tokens": "",
    }
    await dash.follow(await dash.post(f"/peers/{peer_id}/http", http))
    await dash.follow(await dash.post(f"/peers/{peer_id}/routes", {"routes": "g.x\n\ng.y\n"}))
    peer = await stored_peer(node, peer_id)
    assert (peer.name, peer.static_ilp_address) == ("Bob's node", "test.bobby")
    assert (peer.max_packet_amount, peer.liquidity_threshold) == (None, 725)
    assert peer.http_outgoing == HttpOutgoing(
        auth_token="we-send-this", endpoint="https://bob.example/ilp"
    )
    assert peer.routes == ("test.bobby", "g.x", "g.y")
    assert node.token_index.peer_for_token("bob-sends-this") == UUID(peer_id)  # kept
    await dash.post(f"/peers/{peer_id}/http", {**http, "incoming_tokens": "new-token"})
    assert node.token_index.peer_for_token("bob-sends-this") is None
    assert node.token_index.peer_for_token("new-token") == UUID(peer_id)


async def test_an_invalid_edit_keeps_what_was_typed_and_changes_nothing(
    dash: Dashboard, node: Node
) -> None:
    peer_id = await create_peer(dash, await create_asset(dash))
    before = await stored_peer(node, peer_id)
    await dash.get(f"/peers/{peer_id}")
    page = await dash.post(
        f"/peers/{peer_id}/general",
        {
            "name": "X",
            "static_ilp_address": "nope",
            "max_packet_amount": "1",
            "liquidity_threshold": "",
        },
    )
    assert page.status_code == 400
    assert "ILP address such as" in errors(page)["general-static_ilp_address"]
    assert field_value(page, "general-static_ilp_address") == "nope"
    assert field_value(page, "general-name") == "X"
    page = await dash.post(
        f"/peers/{peer_id}/http",
        {"outgoing_endpoint": "bob.example", "outgoing_token": "tab\there", "incoming_tokens": ""},
    )
    assert set(errors(page)) == {"http-outgoing_endpoint", "http-outgoing_token"}
    assert await stored_peer(node, peer_id) == before


async def test_deposit_withdraw_post_and_void(dash: Dashboard, node: Node) -> None:
    peer_id = await create_peer(dash, await create_asset(dash))
    base = f"/peers/{peer_id}"

    async def form_ids(prefix: str) -> str:
        page = await dash.get(base)
        found = re.search(
            rf'action="/dashboard{base}/{prefix}".*?name="transfer_id" value="([^"]+)"',
            page.text,
            re.S,
        )
        assert found
        return found.group(1)

    deposit = {"amount": "50", "transfer_id": await form_ids("deposit")}
    page = await dash.follow(await dash.post(f"{base}/deposit", deposit))
    assert flashes(page) == [("ok", "Deposited 50.00 USD to peer Bob.")]
    assert liquidity_shown(page.text) == "150.00 USD"
    twice = await dash.post(f"{base}/deposit", deposit)  # the same form sent again
    assert twice.status_code == 409
    assert "already done (the form was sent twice)" in twice.text
    assert liquidity_shown(twice.text) == "150.00 USD"

    withdrawal = {"amount": "20", "hold_minutes": "60", "transfer_id": await form_ids("withdraw")}
    page = await dash.follow(await dash.post(f"{base}/withdraw", withdrawal))
    [(level, text)] = flashes(page)
    assert level == "ok"
    assert "Withdrawal of 20.00 USD from peer Bob created" in text
    assert liquidity_shown(page.text) == "130.00 USD"  # reserved at once
    pending_id = withdrawal["transfer_id"]
    assert pending_id in page.text  # offered for post/void
    page = await dash.follow(
        await dash.post(f"{base}/settle", {"withdrawal_id": pending_id, "action": "post"})
    )
    assert flashes(page) == [
        ("ok", f"Withdrawal {pending_id} posted: the money has left the liquidity.")
    ]
    assert liquidity_shown(page.text) == "130.00 USD"
    assert "None made from this browser." in page.text

    second = {"amount": "30", "hold_minutes": "5", "transfer_id": await form_ids("withdraw")}
    page = await dash.follow(await dash.post(f"{base}/withdraw", second))
    assert liquidity_shown(page.text) == "100.00 USD"
    page = await dash.follow(
        await dash.post(
            f"{base}/settle", {"withdrawal_id": second["transfer_id"], "action": "void"}
        )
    )
    assert liquidity_shown(page.text) == "130.00 USD"
    again = await dash.post(
        f"{base}/settle", {"withdrawal_id": second["transfer_id"], "action": "void"}
    )
    assert again.status_code == 409
    assert "already voided" in again.text
    assert await node.services.peers.liquidity(await stored_peer(node, peer_id)) == 13000  # type: ignore[union-attr]


async def test_liquidity_errors_in_words(dash: Dashboard) -> None:
    peer_id = await create_peer(dash, await create_asset(dash))
    base = f"/peers/{peer_id}"
    await dash.get(base)
    page = await dash.post(
        f"{base}/withdraw", {"amount": "1000", "hold_minutes": "60", "transfer_id": str(uuid4())}
    )
    assert page.status_code == 409
    assert errors(page) == {
        "withdraw-amount": "That is more than the liquidity available to withdraw."
    }
    assert field_value(page, "withdraw-amount") == "1000"
    page = await dash.post(
        f"{base}/withdraw", {"amount": "0", "hold_minutes": "x", "transfer_id": str(uuid4())}
    )
    assert set(errors(page)) == {"withdraw-amount", "withdraw-hold_minutes"}
    page = await dash.post(f"{base}/deposit", {"amount": "1.234", "transfer_id": str(uuid4())})
    assert errors(page) == {"deposit-amount": "USD has 2 decimal places: 1.234 has 3."}
    page = await dash.post(f"{base}/settle", {"withdrawal_id": str(uuid4()), "action": "post"})
    assert "No withdrawal has this id." in page.text
    page = await dash.post(f"{base}/settle", {"withdrawal_id": "abc", "action": "post"})
    assert "withdrawal's id" in errors(page)["settle-withdrawal_id"]
    assert liquidity_shown(page.text) == "100.00 USD"


async def test_delete_is_refused_while_the_peer_has_liquidity(dash: Dashboard, node: Node) -> None:
    peer_id = await create_peer(dash, await create_asset(dash))
    confirm = await dash.get(f"/peers/{peer_id}/delete")
    assert "still has 100.00 USD of liquidity" in confirm.text
    wrong = await dash.post(f"/peers/{peer_id}/delete", {"confirm": "Bob"})
    assert wrong.status_code == 400
    assert errors(wrong) == {
        "delete-confirm": "Type the peer's ILP address, test.bob, exactly to confirm."
    }
    refused = await dash.post(f"/peers/{peer_id}/delete", {"confirm": "test.bob"})
    assert refused.status_code == 409
    assert "This peer still has liquidity" in refused.text
    assert "nothing was deleted" in refused.text
    assert await peer_count(node) == 1
    # withdraw everything at once (hold 0), then it can go
    await dash.get(f"/peers/{peer_id}")
    await dash.follow(
        await dash.post(
            f"/peers/{peer_id}/withdraw",
            {"amount": "100", "hold_minutes": "0", "transfer_id": str(uuid4())},
        )
    )
    page = await dash.follow(await dash.post(f"/peers/{peer_id}/delete", {"confirm": "test.bob"}))
    assert flashes(page) == [("ok", "Peer Bob deleted.")]
    assert "No peers yet" in page.text
    assert node.token_index.peer_for_token("bob-sends-this") is None
    assert (await dash.get(f"/peers/{peer_id}")).status_code == 404


async def test_unknown_peers_are_404(dash: Dashboard) -> None:
    for path in (f"/peers/{uuid4()}", "/peers/not-a-uuid", f"/peers/{uuid4()}/delete"):
        page = await dash.get(path)
        assert page.status_code == 404
        assert "There is no such peer." in page.text
    page = await dash.post(f"/peers/{uuid4()}/deposit", {"amount": "1"})
    assert page.status_code == 404


async def test_the_peers_table_is_paginated(dash: Dashboard, node: Node) -> None:
    asset_id = await create_asset(dash)
    assert node.services is not None
    for number in range(25):
        created = await node.services.peers.create(
            CreatePeer(
                asset_id=asset_id,
                static_ilp_address=f"test.peer{number:02d}",
                http_outgoing=HttpOutgoing(auth_token="t", endpoint="http://p.example"),
            )
        )
        assert not isinstance(created, PeerError)
    first = await dash.get("/peers")
    assert first.text.count("<tr>") == 21  # the head and 20 rows
    assert "test.peer24" in first.text
    assert "test.peer04" not in first.text
    [next_link] = re.findall(r'href="(/dashboard/peers\?after=[^"]+)"', first.text)
    second = await dash.get(next_link.removeprefix("/dashboard"))
    assert second.text.count("<tr>") == 6
    assert "test.peer00" in second.text
    assert "← Previous" in second.text
    assert "Next →" not in second.text
    assert (await dash.get("/peers?after=garbage")).status_code == 200  # a bad cursor: page 1
