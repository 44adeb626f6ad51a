"""The static routing table: destination prefix -> the peers that reach it (rafiki-peering §4).

Theory of operation: keys are ILP address prefixes (whole segments, e.g. `g.alice`); each key
holds the (peer, asset) routes added for it, in insertion order. `next_hop` walks the destination's
prefixes from the longest to the shortest (segment-wise, never character-wise: `g.al` does not
match `g.alice`), one dict lookup per segment, and stops at the first prefix that has a candidate
left after filtering out the incoming peer (no bounce-back) and, if given, other assets. There is
no default route: no match is `None`.

Candidate choice: among several surviving candidates for the same prefix we pick the **oldest
route** (the first added), deterministically. Rafiki picks one at random; a fixed choice is
reproducible in tests and logs, and the operator controls it by creation order.

Per process and in memory (as Rafiki's); the peer service keeps it in step with the database and
loads every peer at start-up.
"""

from __future__ import annotations

from uuid import UUID

__all__ = ["RoutingTable"]


class RoutingTable:
    """Prefix -> ordered set of (peer_id, asset_id). Not thread-safe; one event loop owns it."""

    def __init__(self) -> None:
        # Each route holds its peer's key (`ForwardingPeer.key`, the id's int), set once here.
        self._routes: dict[str, dict[tuple[UUID, UUID], int]] = {}

    def add(self, prefix: str, peer_id: UUID, asset_id: UUID) -> None:
        """Add a route; adding the same (prefix, peer, asset) twice keeps one (and its age)."""
        self._routes.setdefault(prefix, {}).setdefault((peer_id, asset_id), peer_id.int)

    def remove(self, prefix: str, peer_id: UUID, asset_id: UUID) -> None:
        """Remove a route if present; a prefix with no route left disappears."""
        candidates = self._routes.get(prefix)
        if candidates is None:
            return
        candidates.pop((peer_id, asset_id), None)
        if not candidates:
            del self._routes[prefix]

    def next_hop(
        self,
        destination: str,
        *,
        exclude_peer_id: UUID | None = None,
        asset_id: UUID | None = None,
        longer_than: int = 0,
    ) -> UUID | None:
        """The peer to forward to, by segment-wise longest-prefix match.

        Args:
            destination: the packet's destination address.
            exclude_peer_id: the incoming peer, never chosen (no bounce-back).
            asset_id: if given, only routes of this asset count.
            longer_than: only prefixes longer than this many characters count (the node's own
                address length: is a peer's route more specific than our own address?).

        Returns:
            The chosen peer's id (the oldest surviving route of the longest matching prefix), or
            None if nothing matches. Never raises.
        """
        prefix = destination
        # Peers compared by their keys (ints are never negative).
        excluded = -1 if exclude_peer_id is None else exclude_peer_id.int
        while True:
            candidates = self._routes.get(prefix)
            if candidates:
                for (peer_id, route_asset_id), key in candidates.items():
                    if key == excluded:
                        continue
                    if asset_id is not None and route_asset_id != asset_id:
                        continue
                    return peer_id
            cut = prefix.rfind(".")
            if cut <= longer_than:
                return None
            prefix = prefix[:cut]

    def __len__(self) -> int:
        """The number of prefixes with at least one route."""
        return len(self._routes)
