"""The admin commands of the `ilpnode` CLI: `assets`, `peers`, `liquidity`,
`wallet-addresses` and `pay`, which talk to a running node through its (signed) GraphQL Admin
API, as any Rafiki Admin API client does.

Modules: `connection` (shared options, errors), `client` (the signed GraphQL HTTP client),
`documents` (GraphQL), `amounts` (strict amount parsing), `tables` and `views` (output),
`paging`, `pay_view` (the progress and summary of `pay`), and one module per command group
(`peer_edit` holds `peers create|update`, `peer_check` holds `peers check`, `peer_autopeer`
holds `peers autopeer`).
"""

from __future__ import annotations

from ilpnode.cli_admin import peer_autopeer as _peer_autopeer  # registers `peers autopeer`
from ilpnode.cli_admin import peer_check as _peer_check  # registers `peers check`
from ilpnode.cli_admin import peer_edit as _peer_edit  # registers `peers create|update`
from ilpnode.cli_admin.assets import assets
from ilpnode.cli_admin.liquidity import liquidity
from ilpnode.cli_admin.pay import pay
from ilpnode.cli_admin.peers import peers
from ilpnode.cli_admin.wallet_addresses import wallet_addresses

__all__ = ["assets", "liquidity", "pay", "peers", "wallet_addresses"]

del _peer_autopeer, _peer_check, _peer_edit
