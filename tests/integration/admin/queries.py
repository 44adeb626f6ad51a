"""GraphQL documents as a Rafiki client writes them (shapes from Rafiki's docs and Bruno)."""

from __future__ import annotations

ASSET_FIELDS = """
  id code scale withdrawalThreshold liquidityThreshold liquidity createdAt
"""

PEER_FIELDS = """
  id name staticIlpAddress maxPacketAmount liquidityThreshold liquidity createdAt routes
  http { outgoing { authToken endpoint } }
  asset { id code scale }
"""

CREATE_ASSET = f"""
mutation CreateAsset($input: CreateAssetInput!) {{
  createAsset(input: $input) {{ asset {{ {ASSET_FIELDS} }} }}
}}
"""

UPDATE_ASSET = f"""
mutation UpdateAsset($input: UpdateAssetInput!) {{
  updateAsset(input: $input) {{ asset {{ {ASSET_FIELDS} }} }}
}}
"""

DELETE_ASSET = """
mutation DeleteAsset($input: DeleteAssetInput!) {
  deleteAsset(input: $input) { asset { id code } }
}
"""

GET_ASSET = f"""
query GetAsset($id: String!) {{ asset(id: $id) {{ {ASSET_FIELDS} }} }}
"""

ASSET_BY_CODE_AND_SCALE = """
query AssetByCodeAndScale($code: String!, $scale: UInt8!) {
  assetByCodeAndScale(code: $code, scale: $scale) { id code scale }
}
"""

ASSETS = """
query Assets($after: String, $before: String, $first: Int, $last: Int, $sortOrder: SortOrder) {
  assets(after: $after, before: $before, first: $first, last: $last, sortOrder: $sortOrder) {
    edges { cursor node { id code scale } }
    pageInfo { startCursor endCursor hasNextPage hasPreviousPage }
  }
}
"""

CREATE_PEER = f"""
mutation CreatePeer($input: CreatePeerInput!) {{
  createPeer(input: $input) {{ peer {{ {PEER_FIELDS} }} }}
}}
"""

UPDATE_PEER = f"""
mutation UpdatePeer($input: UpdatePeerInput!) {{
  updatePeer(input: $input) {{ peer {{ {PEER_FIELDS} }} }}
}}
"""

DELETE_PEER = """
mutation DeletePeer($input: DeletePeerInput!) { deletePeer(input: $input) { success } }
"""

GET_PEER = f"""
query GetPeer($id: String!) {{ peer(id: $id) {{ {PEER_FIELDS} }} }}
"""

PEERS = """
query Peers($after: String, $before: String, $first: Int, $last: Int, $sortOrder: SortOrder) {
  peers(after: $after, before: $before, first: $first, last: $last, sortOrder: $sortOrder) {
    edges { cursor node { id name staticIlpAddress asset { code scale } } }
    pageInfo { startCursor endCursor hasNextPage hasPreviousPage }
  }
}
"""

PEER_BY_ADDRESS_AND_ASSET = """
query PeerByAddressAndAsset($staticIlpAddress: String!, $assetId: String!) {
  peerByAddressAndAsset(staticIlpAddress: $staticIlpAddress, assetId: $assetId) { id name }
}
"""

DEPOSIT_PEER = """
mutation DepositPeerLiquidity($input: DepositPeerLiquidityInput!) {
  depositPeerLiquidity(input: $input) { success }
}
"""

DEPOSIT_ASSET = """
mutation DepositAssetLiquidity($input: DepositAssetLiquidityInput!) {
  depositAssetLiquidity(input: $input) { success }
}
"""

WITHDRAW_PEER = """
mutation CreatePeerLiquidityWithdrawal($input: CreatePeerLiquidityWithdrawalInput!) {
  createPeerLiquidityWithdrawal(input: $input) { success }
}
"""

WITHDRAW_ASSET = """
mutation CreateAssetLiquidityWithdrawal($input: CreateAssetLiquidityWithdrawalInput!) {
  createAssetLiquidityWithdrawal(input: $input) { success }
}
"""

POST_WITHDRAWAL = """
mutation PostLiquidityWithdrawal($input: PostLiquidityWithdrawalInput!) {
  postLiquidityWithdrawal(input: $input) { success }
}
"""

VOID_WITHDRAWAL = """
mutation VoidLiquidityWithdrawal($input: VoidLiquidityWithdrawalInput!) {
  voidLiquidityWithdrawal(input: $input) { success }
}
"""

PEER_LIQUIDITY = """
query PeerLiquidity($id: String!) { peer(id: $id) { liquidity } }
"""

ASSET_LIQUIDITY = """
query AssetLiquidity($id: String!) { asset(id: $id) { liquidity } }
"""

WALLET_ADDRESS_FIELDS = """
  id address publicName status liquidity createdAt
  asset { id code scale }
"""

CREATE_WALLET_ADDRESS = f"""
mutation CreateWalletAddress($input: CreateWalletAddressInput!) {{
  createWalletAddress(input: $input) {{ walletAddress {{ {WALLET_ADDRESS_FIELDS} }} }}
}}
"""

UPDATE_WALLET_ADDRESS = f"""
mutation UpdateWalletAddress($input: UpdateWalletAddressInput!) {{
  updateWalletAddress(input: $input) {{ walletAddress {{ {WALLET_ADDRESS_FIELDS} }} }}
}}
"""

GET_WALLET_ADDRESS = f"""
query GetWalletAddress($id: String!) {{ walletAddress(id: $id) {{ {WALLET_ADDRESS_FIELDS} }} }}
"""

WALLET_ADDRESS_BY_URL = f"""
query WalletAddressByUrl($url: String!) {{
  walletAddressByUrl(url: $url) {{ {WALLET_ADDRESS_FIELDS} }}
}}
"""

WALLET_ADDRESSES = """
query WalletAddresses(
  $after: String, $before: String, $first: Int, $last: Int, $sortOrder: SortOrder,
  $tenantId: String
) {
  walletAddresses(
    after: $after, before: $before, first: $first, last: $last, sortOrder: $sortOrder,
    tenantId: $tenantId
  ) {
    edges { cursor node { id address } }
    pageInfo { startCursor endCursor hasNextPage hasPreviousPage }
  }
}
"""

WITHDRAW_WALLET_ADDRESS = """
mutation CreateWalletAddressWithdrawal($input: CreateWalletAddressWithdrawalInput!) {
  createWalletAddressWithdrawal(input: $input) {
    withdrawal { id amount walletAddress { id address liquidity } }
  }
}
"""
