"""ilpnode.services.peering: assets and peers (rafiki-peering §2.7-2.9, §3, §4).

`AssetService` and `PeerService` are what the Admin API and the dashboard call. They keep the
database (through the `PeeringStore` port), the ledger accounts (`LiquidityService`) and the
packet path's peers (through the `PeerTable` port: routes, tokens, directory) in step;
`PeerService.refresh`/`reconcile` bring the in-memory side back in line when another process
changed the database (the change feed).
Business failures are returned as `AssetError`/`PeerError` values carrying Rafiki's message and
GraphQL code; exceptions mean a bug or an infrastructure fault.
"""

from ilpnode.services.peering.assets import AssetService, CreateAsset, UpdateAsset
from ilpnode.services.peering.errors import AssetError, PeerError
from ilpnode.services.peering.liquidity import PeeringLiquidity
from ilpnode.services.peering.memory import Change
from ilpnode.services.peering.model import UNSET, Asset, HttpOutgoing, Patch, Peer, Unset
from ilpnode.services.peering.pagination import (
    DEFAULT_PAGE_SIZE,
    MAX_PAGE_SIZE,
    Page,
    PageRequest,
    PaginationError,
    SortOrder,
    page_request,
    paginate,
)
from ilpnode.services.peering.peers import CreatePeer, PeerService, UpdatePeer
from ilpnode.services.peering.ports import PeeringStore, PeeringTransaction
from ilpnode.services.peering.repair import ensure_ledger_accounts
from ilpnode.services.peering.sync import SyncCounts

__all__ = [
    "DEFAULT_PAGE_SIZE",
    "MAX_PAGE_SIZE",
    "UNSET",
    "Asset",
    "AssetError",
    "AssetService",
    "Change",
    "CreateAsset",
    "CreatePeer",
    "HttpOutgoing",
    "Page",
    "PageRequest",
    "PaginationError",
    "Patch",
    "Peer",
    "PeerError",
    "PeerService",
    "PeeringLiquidity",
    "PeeringStore",
    "PeeringTransaction",
    "SortOrder",
    "SyncCounts",
    "Unset",
    "UpdateAsset",
    "UpdatePeer",
    "ensure_ledger_accounts",
    "page_request",
    "paginate",
]
