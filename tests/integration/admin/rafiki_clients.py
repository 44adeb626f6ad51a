"""The operations Rafiki's own clients send, written here from the facts in
`shared/docs/rafiki-clients.md` (the name, the variables and every field path each selects),
not copied from Rafiki's files.

`FRONTEND` holds what Rafiki's admin frontend sends (`packages/frontend/app/lib/api/*.server.ts`)
and `BRUNO` what its Bruno collection sends, for assets, fees, peers, liquidity, whoami and
tenants. Webhook events (frontend `ListWebhookEvents`, Bruno "Get Webhook Events") come with the
liquidity webhooks; accounting transfers and wallet addresses are not part of ilpnode's API.
Bruno's "Get Peer" and "Get Peers" declare no variables: the peer id is written into the
document (`{peer_id}`), as Bruno's environment variables do.
"""

from __future__ import annotations

from typing import Final

__all__ = ["BRUNO", "FRONTEND"]

_PAGE = "pageInfo { startCursor endCursor hasNextPage hasPreviousPage }"
_PAGING_VARIABLES = "$after: String, $before: String, $first: Int, $last: Int"
_PAGING = "after: $after, before: $before, first: $first, last: $last"
_FRONTEND_ASSET = """
  id code scale withdrawalThreshold liquidity createdAt
  sendingFee { basisPoints fixed createdAt }
"""
_TENANT = """
  id email apiSecret idpConsentUrl idpSecret publicName createdAt deletedAt
  settings { key value }
"""
_BRUNO_ASSET = "code createdAt id scale withdrawalThreshold liquidityThreshold"
_BRUNO_FEES = """
  sendingFee { id type basisPoints fixed }
  receivingFee { id type basisPoints fixed }
"""
_BRUNO_PEER = """
  id name http { outgoing { authToken endpoint } } liquidity liquidityThreshold
"""

FRONTEND: Final[dict[str, str]] = {
    "GetAssetQuery": f"""
query GetAssetQuery($id: String!) {{ asset(id: $id) {{ {_FRONTEND_ASSET} }} }}""",
    "GetAssetWithFeesQuery": f"""
query GetAssetWithFeesQuery($id: String!, {_PAGING_VARIABLES}) {{
  asset(id: $id) {{
    fees({_PAGING}) {{
      edges {{ cursor node {{ assetId basisPoints createdAt fixed id type }} }}
      pageInfo {{ endCursor hasNextPage hasPreviousPage startCursor }}
    }}
  }}
}}""",
    "ListAssetsQuery": f"""
query ListAssetsQuery({_PAGING_VARIABLES}) {{
  assets({_PAGING}) {{
    edges {{ node {{ code id scale withdrawalThreshold createdAt tenant {{ id publicName }} }} }}
    {_PAGE}
  }}
}}""",
    "CreateAssetMutation": f"""
mutation CreateAssetMutation($input: CreateAssetInput!) {{
  createAsset(input: $input) {{ asset {{ {_FRONTEND_ASSET} }} }}
}}""",
    "UpdateAssetMutation": f"""
mutation UpdateAssetMutation($input: UpdateAssetInput!) {{
  updateAsset(input: $input) {{ asset {{ {_FRONTEND_ASSET} }} }}
}}""",
    "SetFeeMutation": """
mutation SetFeeMutation($input: SetFeeInput!) {
  setFee(input: $input) { fee { assetId basisPoints createdAt fixed id type } }
}""",
    "DepositAssetLiquidityMutation": """
mutation DepositAssetLiquidityMutation($input: DepositAssetLiquidityInput!) {
  depositAssetLiquidity(input: $input) { success }
}""",
    "WithdrawAssetLiquidity": """
mutation WithdrawAssetLiquidity($input: CreateAssetLiquidityWithdrawalInput!) {
  createAssetLiquidityWithdrawal(input: $input) { success }
}""",
    "DeleteAssetMutation": f"""
mutation DeleteAssetMutation($input: DeleteAssetInput!) {{
  deleteAsset(input: $input) {{ asset {{ {_FRONTEND_ASSET} }} }}
}}""",
    "GetPeerQuery": """
query GetPeerQuery($id: String!) {
  peer(id: $id) {
    id name staticIlpAddress maxPacketAmount liquidity createdAt
    asset { id code scale withdrawalThreshold }
    http { outgoing { endpoint authToken } }
  }
}""",
    "ListPeersQuery": f"""
query ListPeersQuery({_PAGING_VARIABLES}) {{
  peers({_PAGING}) {{
    edges {{
      node {{
        id name staticIlpAddress http {{ outgoing {{ endpoint }} }}
        asset {{ code scale }} tenant {{ id publicName }}
      }}
    }}
    {_PAGE}
  }}
}}""",
    "CreatePeerMutation": """
mutation CreatePeerMutation($input: CreatePeerInput!) { createPeer(input: $input) { peer { id } } }
""",
    "UpdatePeerMutation": """
mutation UpdatePeerMutation($input: UpdatePeerInput!) { updatePeer(input: $input) { peer { id } } }
""",
    "DeletePeerMutation": """
mutation DeletePeerMutation($input: DeletePeerInput!) { deletePeer(input: $input) { success } }
""",
    "DepositPeerLiquidityMutation": """
mutation DepositPeerLiquidityMutation($input: DepositPeerLiquidityInput!) {
  depositPeerLiquidity(input: $input) { success }
}""",
    "WithdrawPeerLiquidity": """
mutation WithdrawPeerLiquidity($input: CreatePeerLiquidityWithdrawalInput!) {
  createPeerLiquidityWithdrawal(input: $input) { success }
}""",
    "WhoAmI": "query WhoAmI { whoami { id isOperator } }",
    "ListTenantsQuery": f"""
query ListTenantsQuery({_PAGING_VARIABLES}) {{
  tenants({_PAGING}) {{ edges {{ node {{ {_TENANT} }} }} {_PAGE} }}
}}""",
    "CreateTenantMutation": """
mutation CreateTenantMutation($input: CreateTenantInput!) {
  createTenant(input: $input) {
    tenant { id publicName email apiSecret idpConsentUrl idpSecret }
  }
}""",
    "UpdateTenantMutation": """
mutation UpdateTenantMutation($input: UpdateTenantInput!) {
  updateTenant(input: $input) {
    tenant { id email apiSecret idpConsentUrl idpSecret publicName }
  }
}""",
    "DeleteTenantMutation": """
mutation DeleteTenantMutation($id: String!) { deleteTenant(id: $id) { success } }""",
    "GetTenantQuery": f"""
query GetTenantQuery($id: String!) {{ tenant(id: $id) {{ {_TENANT} }} }}""",
}

BRUNO: Final[dict[str, str]] = {
    "Create Asset": f"""
mutation CreateAsset($input: CreateAssetInput!) {{
  createAsset(input: $input) {{ asset {{ {_BRUNO_ASSET} }} }}
}}""",
    "Get Asset": f"""
query GetAsset($id: String!) {{ asset(id: $id) {{ {_BRUNO_ASSET} {_BRUNO_FEES} }} }}""",
    "Get Assets": f"""
query GetAssets({_PAGING_VARIABLES}) {{
  assets({_PAGING}) {{
    edges {{ cursor node {{ {_BRUNO_ASSET} liquidity {_BRUNO_FEES} }} }}
    pageInfo {{ endCursor hasNextPage hasPreviousPage startCursor }}
  }}
}}""",
    "Get Asset By Code And Scale": f"""
query GetAssetByCodeAndScale($code: String!, $scale: UInt8!) {{
  assetByCodeAndScale(code: $code, scale: $scale) {{ {_BRUNO_ASSET} {_BRUNO_FEES} }}
}}""",
    "Update Asset": f"""
mutation UpdateAsset($input: UpdateAssetInput!) {{
  updateAsset(input: $input) {{ asset {{ {_BRUNO_ASSET} }} }}
}}""",
    "Set Fee": """
mutation SetFee($input: SetFeeInput!) {
  setFee(input: $input) { fee { id assetId type fixed basisPoints createdAt } }
}""",
    "Create Peer": """
mutation CreatePeer($input: CreatePeerInput!) {
  createPeer(input: $input) {
    peer { id name liquidity liquidityThreshold asset { id scale code withdrawalThreshold } }
  }
}""",
    "Get Peer": f"""
query GetPeer {{ peer(id: "{{peer_id}}") {{ {_BRUNO_PEER} }} }}""",
    "Get Peers": """
query GetPeers {
  peers {
    edges {
      cursor
      node {
        id name asset { code scale } liquidity liquidityThreshold staticIlpAddress
        http { outgoing { authToken endpoint } }
      }
    }
  }
}""",
    "Get Peer By Address and Asset Id": f"""
query GetPeerByAddressAndAsset($address: String!, $assetId: String!) {{
  peerByAddressAndAsset(staticIlpAddress: $address, assetId: $assetId) {{ {_BRUNO_PEER} }}
}}""",
    "Update Peer": f"""
mutation UpdatePeer($input: UpdatePeerInput!) {{
  updatePeer(input: $input) {{ peer {{ {_BRUNO_PEER} }} }}
}}""",
    "Deposit Peer Liquidity": """
mutation DepositPeerLiquidity($input: DepositPeerLiquidityInput!) {
  depositPeerLiquidity(input: $input) { success }
}""",
    "Create Peer Liquidity Withdrawal": """
mutation CreatePeerLiquidityWithdrawal($input: CreatePeerLiquidityWithdrawalInput!) {
  createPeerLiquidityWithdrawal(input: $input) { success }
}""",
    "Deposit Asset Liquidity": """
mutation DepositAssetLiquidity($input: DepositAssetLiquidityInput!) {
  depositAssetLiquidity(input: $input) { success }
}""",
    "Create Asset Liquidity Withdrawal": """
mutation CreateAssetLiquidityWithdrawal($input: CreateAssetLiquidityWithdrawalInput!) {
  createAssetLiquidityWithdrawal(input: $input) { success }
}""",
    "Post Liquidity Withdrawal": """
mutation PostLiquidityWithdrawal($input: PostLiquidityWithdrawalInput!) {
  postLiquidityWithdrawal(input: $input) { success }
}""",
    "Void Liquidity Withdrawal": """
mutation VoidLiquidityWithdrawal($input: VoidLiquidityWithdrawalInput!) {
  voidLiquidityWithdrawal(input: $input) { success }
}""",
    "Delete Peer": """
mutation DeletePeer($input: DeletePeerInput!) { deletePeer(input: $input) { success } }""",
    "Delete Asset": f"""
mutation DeleteAsset($input: DeleteAssetInput!) {{
  deleteAsset(input: $input) {{ asset {{ {_BRUNO_ASSET} }} }}
}}""",
    "Create Or Update Peer By Url": """
mutation CreateOrUpdatePeerByUrl($input: CreateOrUpdatePeerByUrlInput!) {
  createOrUpdatePeerByUrl(input: $input) {
    peer { id name asset { id scale code withdrawalThreshold } }
  }
}""",
    "Get Tenants": """
query GetTenants {
  tenants { edges { cursor node { id email apiSecret idpConsentUrl idpSecret } } }
}""",
}
