"""The GraphQL documents the CLI sends (src/ilpnode/admin/graphql/schema.graphql has the schema).

Each is a single named operation whose arguments are variables, as a Rafiki client writes them:
values never go into the document text, so nothing typed on the command line needs escaping.
"""

from __future__ import annotations

from typing import Final

__all__ = [
    "ASSET",
    "ASSETS_PAGE",
    "ASSET_LIQUIDITY",
    "CREATE_ASSET",
    "CREATE_ASSET_WITHDRAWAL",
    "CREATE_OR_UPDATE_PEER_BY_URL",
    "CREATE_PEER",
    "CREATE_PEER_WITHDRAWAL",
    "CREATE_WALLET_ADDRESS",
    "CREATE_WALLET_ADDRESS_WITHDRAWAL",
    "DELETE_ASSET",
    "DELETE_PEER",
    "DEPOSIT_ASSET",
    "DEPOSIT_PEER",
    "OUTGOING_PAYMENT",
    "PEER",
    "PEERS_PAGE",
    "PEER_LIQUIDITY",
    "POST_WITHDRAWAL",
    "SEND_PAYMENT",
    "SET_FEE",
    "UPDATE_ASSET",
    "UPDATE_PEER",
    "UPDATE_WALLET_ADDRESS",
    "VOID_WITHDRAWAL",
    "WALLET_ADDRESS",
    "WALLET_ADDRESSES_PAGE",
    "WALLET_ADDRESS_BY_URL",
]

_FEE_FIELDS = "id assetId type fixed basisPoints createdAt"
_ASSET_FIELDS = f"""
  id code scale liquidity withdrawalThreshold liquidityThreshold liquidityHighThreshold createdAt
  sendingFee {{ {_FEE_FIELDS} }} receivingFee {{ {_FEE_FIELDS} }}
"""
_PEER_FIELDS = """
  id name staticIlpAddress routes maxPacketAmount liquidityThreshold liquidityHighThreshold
  liquidity createdAt
  http { outgoing { endpoint authToken } }
  asset { id code scale }
"""
_PAGE_INFO = "pageInfo { endCursor hasNextPage }"

ASSETS_PAGE: Final = f"""
query ListAssets($first: Int, $after: String) {{
  assets(first: $first, after: $after) {{
    edges {{ cursor node {{ id code scale liquidity }} }}
    {_PAGE_INFO}
  }}
}}
"""

ASSET: Final = f"query GetAsset($id: String!) {{ asset(id: $id) {{ {_ASSET_FIELDS} }} }}"

ASSET_LIQUIDITY: Final = """
query AssetLiquidity($id: String!) { asset(id: $id) { id code scale liquidity } }
"""

CREATE_ASSET: Final = f"""
mutation CreateAsset($input: CreateAssetInput!) {{
  createAsset(input: $input) {{ asset {{ {_ASSET_FIELDS} }} }}
}}
"""

UPDATE_ASSET: Final = f"""
mutation UpdateAsset($input: UpdateAssetInput!) {{
  updateAsset(input: $input) {{ asset {{ {_ASSET_FIELDS} }} }}
}}
"""

SET_FEE: Final = f"""
mutation SetFee($input: SetFeeInput!) {{
  setFee(input: $input) {{ fee {{ {_FEE_FIELDS} }} }}
}}
"""

DELETE_ASSET: Final = """
mutation DeleteAsset($input: DeleteAssetInput!) {
  deleteAsset(input: $input) { asset { id code scale } }
}
"""

PEERS_PAGE: Final = f"""
query ListPeers($first: Int, $after: String) {{
  peers(first: $first, after: $after) {{
    edges {{ cursor node {{ id name staticIlpAddress liquidity asset {{ id code scale }} }} }}
    {_PAGE_INFO}
  }}
}}
"""

PEER: Final = f"query GetPeer($id: String!) {{ peer(id: $id) {{ {_PEER_FIELDS} }} }}"

PEER_LIQUIDITY: Final = """
query PeerLiquidity($id: String!) { peer(id: $id) { id liquidity asset { id code scale } } }
"""

CREATE_PEER: Final = f"""
mutation CreatePeer($input: CreatePeerInput!) {{
  createPeer(input: $input) {{ peer {{ {_PEER_FIELDS} }} }}
}}
"""

UPDATE_PEER: Final = f"""
mutation UpdatePeer($input: UpdatePeerInput!) {{
  updatePeer(input: $input) {{ peer {{ {_PEER_FIELDS} }} }}
}}
"""

CREATE_OR_UPDATE_PEER_BY_URL: Final = f"""
mutation CreateOrUpdatePeerByUrl($input: CreateOrUpdatePeerByUrlInput!) {{
  createOrUpdatePeerByUrl(input: $input) {{ peer {{ {_PEER_FIELDS} }} }}
}}
"""

DELETE_PEER: Final = """
mutation DeletePeer($input: DeletePeerInput!) { deletePeer(input: $input) { success } }
"""

DEPOSIT_PEER: Final = """
mutation DepositPeerLiquidity($input: DepositPeerLiquidityInput!) {
  depositPeerLiquidity(input: $input) { success }
}
"""

DEPOSIT_ASSET: Final = """
mutation DepositAssetLiquidity($input: DepositAssetLiquidityInput!) {
  depositAssetLiquidity(input: $input) { success }
}
"""

CREATE_PEER_WITHDRAWAL: Final = """
mutation CreatePeerLiquidityWithdrawal($input: CreatePeerLiquidityWithdrawalInput!) {
  createPeerLiquidityWithdrawal(input: $input) { success }
}
"""

CREATE_ASSET_WITHDRAWAL: Final = """
mutation CreateAssetLiquidityWithdrawal($input: CreateAssetLiquidityWithdrawalInput!) {
  createAssetLiquidityWithdrawal(input: $input) { success }
}
"""

POST_WITHDRAWAL: Final = """
mutation PostLiquidityWithdrawal($input: PostLiquidityWithdrawalInput!) {
  postLiquidityWithdrawal(input: $input) { success }
}
"""

VOID_WITHDRAWAL: Final = """
mutation VoidLiquidityWithdrawal($input: VoidLiquidityWithdrawalInput!) {
  voidLiquidityWithdrawal(input: $input) { success }
}
"""

_WALLET_ADDRESS_FIELDS = "id address publicName status liquidity createdAt asset { id code scale }"

WALLET_ADDRESSES_PAGE: Final = f"""
query ListWalletAddresses($first: Int, $after: String) {{
  walletAddresses(first: $first, after: $after) {{
    edges {{ cursor node {{ id address status liquidity asset {{ id code scale }} }} }}
    {_PAGE_INFO}
  }}
}}
"""

WALLET_ADDRESS: Final = f"""
query GetWalletAddress($id: String!) {{ walletAddress(id: $id) {{ {_WALLET_ADDRESS_FIELDS} }} }}
"""

WALLET_ADDRESS_BY_URL: Final = f"""
query GetWalletAddressByUrl($url: String!) {{
  walletAddressByUrl(url: $url) {{ {_WALLET_ADDRESS_FIELDS} }}
}}
"""

CREATE_WALLET_ADDRESS: Final = f"""
mutation CreateWalletAddress($input: CreateWalletAddressInput!) {{
  createWalletAddress(input: $input) {{ walletAddress {{ {_WALLET_ADDRESS_FIELDS} }} }}
}}
"""

UPDATE_WALLET_ADDRESS: Final = f"""
mutation UpdateWalletAddress($input: UpdateWalletAddressInput!) {{
  updateWalletAddress(input: $input) {{ walletAddress {{ {_WALLET_ADDRESS_FIELDS} }} }}
}}
"""

CREATE_WALLET_ADDRESS_WITHDRAWAL: Final = """
mutation CreateWalletAddressWithdrawal($input: CreateWalletAddressWithdrawalInput!) {
  createWalletAddressWithdrawal(input: $input) {
    withdrawal { id amount walletAddress { id address liquidity asset { id code scale } } }
  }
}
"""

_AMOUNT = "{ value assetCode assetScale }"
_OUTGOING_PAYMENT_FIELDS = f"""
  id walletAddressId assetId receiver state error packets createdAt updatedAt
  debitAmount {_AMOUNT} sentAmount {_AMOUNT} receiveAmount {_AMOUNT}
  deliveredAmount {_AMOUNT} fee {_AMOUNT}
"""

SEND_PAYMENT: Final = f"""
mutation SendPayment($input: SendPaymentInput!) {{
  sendPayment(input: $input) {{ payment {{ {_OUTGOING_PAYMENT_FIELDS} }} }}
}}
"""

OUTGOING_PAYMENT: Final = f"""
query GetOutgoingPayment($id: String!) {{
  outgoingPayment(id: $id) {{ {_OUTGOING_PAYMENT_FIELDS} }}
}}
"""
