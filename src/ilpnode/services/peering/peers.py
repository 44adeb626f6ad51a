"""The peer service: create, update, delete, read, route (rafiki-peering §2.7, §2.8, §4).

Order of `create` (§2.8): static address -> endpoint -> other input -> the asset exists ->
create the peer's ledger account -> insert the peer and its token digests (one transaction) ->
deposit `initial_liquidity` -> the peer into memory (the connector's `PeerTable`: routing
table, token index, directory).

Ledger calls never run inside a database transaction: on SQLite the ledger commits to the same
file, and a transaction holding the write lock while it waits for the ledger would deadlock.
So the account is created first (if the insert then fails, an empty account remains whose id is
a fresh UUID that nothing will ever name: ledger accounts cannot be deleted), and a failed
initial deposit deletes the new peer again (InvalidInitialLiquidity), so no peer is left
behind. This process installs the peer in memory only once everything succeeded. Other
processes sharing the database (and this one, through the change feed) see it from the commit
of its row, a moment before its initial deposit: a packet from it in that moment finds no
liquidity yet (T04), as with any peer whose liquidity is short.

Memory changes in one way only: `PeerMemory.install` (see `memory.py`). The service installs
what it has just written, drawing the stamp before the write; `refresh` and `reconcile` install
what they read (`sync.py`), for the change feed.

Decisions where Rafiki is quirky:

- [quirk fixed] `update` with a new static address and no `routes` keeps the extra routes and
  moves element 0 to the new address (Rafiki keeps routing the old one).
- [quirk fixed] `load_all` loads *every* peer (Rafiki loads the newest 20).
- Incoming tokens are stored and indexed as sha256 hex digests only (Rafiki stores them).
- Empty or unsendable tokens (control or non-ASCII characters), malformed routes and
  out-of-range amounts are refused (ilpnode errors).
- ilpnode: `liquidity_high_threshold` must be greater than `liquidity_threshold` when both are
  set, after the patch (InvalidLiquidityHighThreshold). The `ThresholdsObserver` hears of
  every create, update and delete once it is complete.
- No tenants: ilpnode is single-tenant, so Rafiki's tenant checks and their quirks do not apply.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TypeVar
from uuid import UUID, uuid4

from ilpnode.accounting import (
    LiquidityError,
    LiquidityService,
    PeerAccount,
    UnknownAccount,
)
from ilpnode.clock import Clock
from ilpnode.ledger import AccountId
from ilpnode.peer_table import PeerTable, token_hash
from ilpnode.services.peering import sync
from ilpnode.services.peering.errors import PeerError
from ilpnode.services.peering.memory import Change, PeerMemory, PeerState
from ilpnode.services.peering.model import UNSET, HttpOutgoing, Patch, Peer, Unset
from ilpnode.services.peering.pagination import Page, PageRequest
from ilpnode.services.peering.ports import NoThresholdsObserver, PeeringStore, ThresholdsObserver
from ilpnode.services.peering.sync import SyncCounts
from ilpnode.services.peering.validation import (
    is_valid_http_endpoint,
    is_valid_ilp_address,
    is_valid_route,
    is_valid_token,
    is_valid_uint64,
    parse_uuid,
)

__all__ = ["CreatePeer", "PeerService", "UpdatePeer"]

T = TypeVar("T")


@dataclass(frozen=True, slots=True, kw_only=True)
class CreatePeer:
    """`createPeer` input. `routes` are the extra prefixes (element 0 is added by the service);
    `initial_liquidity` None or 0 deposits nothing. `auto_peered` marks a peer that
    auto-peering creates (it can never be changed afterwards)."""

    asset_id: UUID | str
    static_ilp_address: str
    http_outgoing: HttpOutgoing
    incoming_tokens: Sequence[str] = ()
    max_packet_amount: int | None = None
    name: str | None = None
    liquidity_threshold: int | None = None
    initial_liquidity: int | None = None
    routes: Sequence[str] = ()
    auto_peered: bool = False
    liquidity_high_threshold: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class UpdatePeer:
    """`updatePeer` input: `UNSET` keeps a field, None clears a nullable one.
    `incoming_tokens` given replaces all tokens; `routes` given (even empty) replaces the extra
    routes."""

    id: UUID | str
    static_ilp_address: Patch[str] = UNSET
    http_outgoing: Patch[HttpOutgoing] = UNSET
    incoming_tokens: Patch[Sequence[str]] = UNSET
    max_packet_amount: Patch[int | None] = UNSET
    name: Patch[str | None] = UNSET
    liquidity_threshold: Patch[int | None] = UNSET
    routes: Patch[Sequence[str]] = UNSET
    liquidity_high_threshold: Patch[int | None] = UNSET


class _Rollback(Exception):
    """Ends a transaction block with a rollback, carrying the error to return."""

    def __init__(self, error: PeerError) -> None:
        super().__init__(error.name)
        self.error = error


class PeerService:
    """Peers in the database, mirrored in the packet path's `PeerTable` (routes, tokens,
    directory)."""

    def __init__(
        self,
        *,
        store: PeeringStore,
        liquidity: LiquidityService,
        table: PeerTable,
        clock: Clock,
        thresholds: ThresholdsObserver | None = None,
    ) -> None:
        self._store = store
        self._liquidity = liquidity
        self._table = table
        self._memory = PeerMemory(table=table)
        self._clock = clock
        self._thresholds = thresholds or NoThresholdsObserver()

    async def create(self, request: CreatePeer) -> Peer | PeerError:
        """Create a peer (see the module docstring for the order of checks and effects).

        Returns:
            The peer, or InvalidStaticIlpAddress, InvalidHTTPEndpoint, InvalidRoute,
            InvalidIncomingToken, InvalidAmount, InvalidLiquidityHighThreshold,
            InvalidInitialLiquidity, UnknownAsset, DuplicateIncomingToken, DuplicatePeer.
            Nothing is written on error. Raises only on infrastructure faults.
        """
        error = _check_fields(
            address=request.static_ilp_address,
            outgoing=request.http_outgoing,
            routes=request.routes,
            tokens=request.incoming_tokens,
            amounts=(
                request.max_packet_amount,
                request.liquidity_threshold,
                request.liquidity_high_threshold,
            ),
        )
        if error is not None:
            return error
        if not _ordered(request.liquidity_threshold, request.liquidity_high_threshold):
            return PeerError.InvalidLiquidityHighThreshold
        deposit = request.initial_liquidity
        if deposit is not None and not is_valid_uint64(deposit):
            return PeerError.InvalidInitialLiquidity
        asset_id = parse_uuid(request.asset_id)
        if asset_id is None:
            return PeerError.UnknownAsset
        now = self._clock.now()
        peer = Peer(
            id=uuid4(),
            asset_id=asset_id,
            static_ilp_address=request.static_ilp_address,
            routes=(request.static_ilp_address, *request.routes),
            http_outgoing=request.http_outgoing,
            max_packet_amount=request.max_packet_amount,
            name=request.name,
            liquidity_threshold=request.liquidity_threshold,
            created_at=now,
            updated_at=now,
            auto_peered=request.auto_peered,
            liquidity_high_threshold=request.liquidity_high_threshold,
        )
        hashes = [token_hash(token) for token in request.incoming_tokens]
        if len(set(hashes)) != len(hashes):
            return PeerError.DuplicateIncomingToken
        async with self._store.transaction() as tx:
            asset = await tx.asset_by_id(asset_id)
        if asset is None:
            return PeerError.UnknownAsset
        account = PeerAccount.for_peer(peer_id=peer.id, asset_id=asset.id, ledger=asset.ledger)
        # The account first, outside any database transaction (see the module docstring).
        await self._liquidity.create_peer_account(account)
        with self._memory.observing() as stamp:
            async with self._store.transaction() as tx:
                error = await tx.insert_peer(peer, hashes)
            if error is not None:
                return error
            if deposit:
                error = await self._initial_deposit(peer, account, deposit)
                if error is not None:
                    return error
            self._memory.install(stamp, peer.id, PeerState(peer, frozenset(hashes), asset))
        # After the initial deposit: the thresholds start from the balance the peer begins with.
        await self._thresholds.thresholds_changed(peer.id)
        return peer

    async def _initial_deposit(
        self, peer: Peer, account: PeerAccount, amount: int
    ) -> PeerError | None:
        """Deposit `initial_liquidity`; if that fails, delete the new peer again."""
        try:
            result = await self._liquidity.deposit(
                transfer_id=uuid4(), account=account, amount=amount
            )
        except BaseException:
            await self._forget(peer.id)
            raise
        if isinstance(result, LiquidityError):
            await self._forget(peer.id)
            return PeerError.InvalidInitialLiquidity
        return None

    async def _forget(self, peer_id: UUID) -> None:
        with self._memory.observing() as stamp:
            async with self._store.transaction() as tx:
                await tx.delete_peer(peer_id)
            # The change feed may have installed it meanwhile.
            self._memory.install(stamp, peer_id, None)

    async def update(self, request: UpdatePeer) -> Peer | PeerError:
        """Patch a peer; the routing table and the token index follow exactly.

        Returns:
            The updated peer, or UnknownPeer, InvalidStaticIlpAddress, InvalidHTTPEndpoint,
            InvalidRoute, InvalidIncomingToken, InvalidAmount, InvalidLiquidityHighThreshold
            (checked against the thresholds the peer ends up with), DuplicateIncomingToken,
            DuplicatePeer. Nothing changes on error. Raises only on infrastructure faults.
        """
        error = _check_fields(
            address=_or(request.static_ilp_address, None),
            outgoing=_or(request.http_outgoing, None),
            routes=_or(request.routes, ()),
            tokens=_or(request.incoming_tokens, ()),
            amounts=(
                _or(request.max_packet_amount, None),
                _or(request.liquidity_threshold, None),
                _or(request.liquidity_high_threshold, None),
            ),
        )
        if error is not None:
            return error
        peer_id = parse_uuid(request.id)
        if peer_id is None:
            return PeerError.UnknownPeer
        hashes: list[str] | None = None
        if not isinstance(request.incoming_tokens, Unset):
            hashes = [token_hash(token) for token in request.incoming_tokens]
            if len(set(hashes)) != len(hashes):
                return PeerError.DuplicateIncomingToken
        with self._memory.observing() as stamp:
            try:
                async with self._store.transaction() as tx:
                    old = await tx.peer_by_id(peer_id)
                    if old is None:
                        return PeerError.UnknownPeer
                    new = _patched(old, request, now=self._clock.now())
                    if not _ordered(new.liquidity_threshold, new.liquidity_high_threshold):
                        raise _Rollback(PeerError.InvalidLiquidityHighThreshold)
                    error = await tx.update_peer(new, hashes)
                    if error is not None:
                        raise _Rollback(error)
                    asset = await tx.asset_by_id(new.asset_id)
                    tokens = await tx.token_hashes(peer_id) if hashes is None else hashes
            except _Rollback as rollback:
                return rollback.error
            # Memory changes only what changed: a kept route keeps its age (and so its rank
            # among routes to the same prefix, where the oldest wins).
            self._memory.install(stamp, new.id, PeerState(new, frozenset(tokens), asset))
        await self._thresholds.thresholds_changed(new.id)
        return new

    async def delete(self, peer_id: UUID | str) -> PeerError | None:
        """Delete a peer, its tokens and its routes (its ledger account stays).

        Returns:
            None, or UnknownPeer, or CannotDeletePeerWithLiquidity (its liquidity is not 0 or
            something is reserved: withdraw first, so no money is stranded). Raises only on
            infrastructure faults.
        """
        id_ = parse_uuid(peer_id)
        if id_ is None:
            return PeerError.UnknownPeer
        balance = await self._liquidity.balance(AccountId(id_.int))
        if not isinstance(balance, UnknownAccount) and (
            balance.balance or balance.debits_pending or balance.credits_pending
        ):
            return PeerError.CannotDeletePeerWithLiquidity
        with self._memory.observing() as stamp:
            async with self._store.transaction() as tx:
                if not await tx.delete_peer(id_):
                    return PeerError.UnknownPeer
            self._memory.install(stamp, id_, None)
        await self._thresholds.thresholds_changed(id_)
        return None

    async def get(self, peer_id: UUID | str) -> Peer | PeerError:
        """The peer, or UnknownPeer (missing or not a UUID)."""
        id_ = parse_uuid(peer_id)
        if id_ is None:
            return PeerError.UnknownPeer
        async with self._store.transaction() as tx:
            peer = await tx.peer_by_id(id_)
        return PeerError.UnknownPeer if peer is None else peer

    async def page(self, request: PageRequest) -> Page[Peer]:
        """A page of peers (validate the request with `pagination.page_request`)."""
        async with self._store.transaction() as tx:
            return await tx.peer_page(request)

    async def peer_by_address_and_asset(self, address: str, asset_id: UUID | str) -> Peer | None:
        """Rafiki's `peerByAddressAndAsset`: the routing lookup (longest prefix, this asset
        only), not an exact match; None if no route matches."""
        id_ = parse_uuid(asset_id)
        if id_ is None:
            return None
        peer_id = self._table.next_hop(address, asset_id=id_)
        if peer_id is None:
            return None
        peer = await self.get(peer_id)
        return None if isinstance(peer, PeerError) else peer

    async def peer_with_address(self, static_ilp_address: str, asset_id: UUID | str) -> Peer | None:
        """The peer whose static address is exactly `static_ilp_address` in this asset (at most
        one: the pair is unique), or None. Unlike `peer_by_address_and_asset` no prefix or route
        matches: auto-peering uses it to update the very peer that asks again."""
        id_ = parse_uuid(asset_id)
        if id_ is None:
            return None
        async with self._store.transaction() as tx:
            return await tx.peer_by_static_address(id_, static_ilp_address)

    async def liquidity(self, peer: Peer) -> int | None:
        """The balance of the peer's liquidity account, or None if the account is missing."""
        result = await self._liquidity.balance(AccountId(peer.id.int))
        return None if isinstance(result, UnknownAccount) else result.balance

    async def load_all(self) -> int:
        """Put every peer in memory (start-up; `reconcile`). Returns the peer count."""
        count, _ = await sync.reconcile(store=self._store, memory=self._memory)
        return count

    async def refresh(self, peer_id: UUID) -> Change:
        """Make memory match the database for one peer: created, changed or deleted there
        (by any process). Idempotent. Raises only on infrastructure faults (memory unchanged)."""
        changes = await sync.refresh(store=self._store, memory=self._memory, peer_ids=[peer_id])
        return changes[peer_id]

    async def refresh_peers(
        self, peer_ids: Iterable[UUID], *, asset_ids: Iterable[UUID] = ()
    ) -> SyncCounts:
        """`refresh` several peers, and every peer in memory of one of `asset_ids` (an asset
        changed), in one read transaction."""
        changes = await sync.refresh(
            store=self._store, memory=self._memory, peer_ids=peer_ids, asset_ids=asset_ids
        )
        return SyncCounts.of(changes.values())

    async def reconcile(self) -> SyncCounts:
        """Make memory match the database for every peer: each stored peer refreshed, each peer
        in memory but no longer stored forgotten. Idempotent. Returns what changed. Raises only
        on infrastructure faults (memory unchanged)."""
        _, counts = await sync.reconcile(store=self._store, memory=self._memory)
        return counts


def _or(value: Patch[T], default: T) -> T:
    return default if isinstance(value, Unset) else value


def _check_fields(
    *,
    address: str | None,
    outgoing: HttpOutgoing | None,
    routes: Sequence[str],
    tokens: Sequence[str],
    amounts: tuple[int | None, ...],
) -> PeerError | None:
    """Input checks in Rafiki's order (address, endpoint), then ilpnode's own. None skips."""
    if address is not None and not is_valid_ilp_address(address):
        return PeerError.InvalidStaticIlpAddress
    if outgoing is not None and not is_valid_http_endpoint(outgoing.endpoint):
        return PeerError.InvalidHTTPEndpoint
    if outgoing is not None and not is_valid_token(outgoing.auth_token):
        return PeerError.InvalidOutgoingToken
    if isinstance(routes, str) or not all(is_valid_route(route) for route in routes):
        return PeerError.InvalidRoute
    if isinstance(tokens, str) or not all(is_valid_token(t) for t in tokens):
        return PeerError.InvalidIncomingToken
    if any(amount is not None and not is_valid_uint64(amount) for amount in amounts):
        return PeerError.InvalidAmount
    return None


def _patched(old: Peer, request: UpdatePeer, *, now: datetime) -> Peer:
    """`old` with the request's given fields; routes follow the static address (quirk fixed)."""
    address = _or(request.static_ilp_address, old.static_ilp_address)
    if not isinstance(request.routes, Unset):
        routes: tuple[str, ...] = (address, *request.routes)
    elif old.routes:
        routes = (address, *old.routes[1:])
    else:
        routes = ()  # a legacy row stays legacy: it routes its (new) static address
    return replace(
        old,
        static_ilp_address=address,
        routes=routes,
        http_outgoing=_or(request.http_outgoing, old.http_outgoing),
        max_packet_amount=_or(request.max_packet_amount, old.max_packet_amount),
        name=_or(request.name, old.name),
        liquidity_threshold=_or(request.liquidity_threshold, old.liquidity_threshold),
        liquidity_high_threshold=_or(
            request.liquidity_high_threshold, old.liquidity_high_threshold
        ),
        updated_at=now,
    )


def _ordered(low: int | None, high: int | None) -> bool:
    """The high threshold above the low one, or either unset."""
    return low is None or high is None or high > low
