"""The peering guide's walk-through (shared/seed/peering-guide.txt), as an operator does it."""

from __future__ import annotations

from uuid import uuid4

from .conftest import GraphQLClient
from .queries import (
    CREATE_ASSET,
    CREATE_PEER,
    DEPOSIT_PEER,
    PEER_LIQUIDITY,
    POST_WITHDRAWAL,
    VOID_WITHDRAWAL,
    WITHDRAW_PEER,
)


async def test_peering_guide_walk_through(api: GraphQLClient) -> None:
    created = await api.data(CREATE_ASSET, {"input": {"code": "USD", "scale": 2}})
    asset_id = created["createAsset"]["asset"]["id"]

    peer = (
        await api.data(
            CREATE_PEER,
            {
                "input": {
                    "staticIlpAddress": "g.othergreatwallet",
                    "http": {
                        "incoming": {"authTokens": ["mytoken"]},
                        "outgoing": {
                            "endpoint": "http://ilp.othergreatwallet.com",
                            "authToken": "theirtoken",
                        },
                    },
                    "assetId": asset_id,
                    "maxPacketAmount": "1000",
                    "name": "The Other Great Wallet",
                }
            },
        )
    )["createPeer"]["peer"]
    assert peer["name"] == "The Other Great Wallet"
    assert peer["liquidity"] == "0"

    async def liquidity() -> str:
        value: str = (await api.data(PEER_LIQUIDITY, {"id": peer["id"]}))["peer"]["liquidity"]
        return value

    deposit = {"peerId": peer["id"], "amount": "10000", "id": str(uuid4())}
    await api.data(DEPOSIT_PEER, {"input": {**deposit, "idempotencyKey": str(uuid4())}})
    assert await liquidity() == "10000"  # 100 USD at scale 2

    first = str(uuid4())
    withdrawal = {"peerId": peer["id"], "amount": "2000", "id": first, "timeoutSeconds": 60}
    await api.data(WITHDRAW_PEER, {"input": {**withdrawal, "idempotencyKey": str(uuid4())}})
    assert await liquidity() == "8000"  # reserved while pending
    post = {"withdrawalId": first, "idempotencyKey": str(uuid4())}
    assert (await api.data(POST_WITHDRAWAL, {"input": post}))["postLiquidityWithdrawal"] == {
        "success": True
    }
    assert await liquidity() == "8000"

    second = str(uuid4())
    withdrawal = {"peerId": peer["id"], "amount": "3000", "id": second, "timeoutSeconds": 60}
    await api.data(WITHDRAW_PEER, {"input": {**withdrawal, "idempotencyKey": str(uuid4())}})
    assert await liquidity() == "5000"
    void = {"withdrawalId": second, "idempotencyKey": str(uuid4())}
    assert (await api.data(VOID_WITHDRAWAL, {"input": void}))["voidLiquidityWithdrawal"] == {
        "success": True
    }
    assert await liquidity() == "8000"
