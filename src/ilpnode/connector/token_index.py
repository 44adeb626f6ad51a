"""Incoming bearer tokens -> peer id, for the connector's authentication (rafiki-peering §5.1).

Only sha256 hex digests of the tokens are held (the database holds the same digests), so a
memory dump or a log line never shows a usable token. The lookup is a dict lookup by digest:
its cost does not depend on how close a wrong token is to a right one, since hashing comes first
and the comparison is on digests of a secret the attacker does not know (constant-time-ish).
Rafiki queries the database on every packet; this index is kept in step by the peer service
(through `connector/peer_table.py`).
"""

from __future__ import annotations

from collections.abc import Iterable
from uuid import UUID

from ilpnode.peer_table import token_hash

__all__ = ["TokenIndex"]


class TokenIndex:
    """sha256(incoming token) -> peer id, with the reverse map for replacing a peer's tokens."""

    def __init__(self) -> None:
        self._by_hash: dict[str, UUID] = {}
        self._by_peer: dict[UUID, frozenset[str]] = {}

    def set_tokens(self, peer_id: UUID, token_hashes: Iterable[str]) -> None:
        """Replace all of `peer_id`'s token digests (an empty iterable removes them all)."""
        self.remove_peer(peer_id)
        hashes = frozenset(token_hashes)
        if not hashes:
            return
        self._by_peer[peer_id] = hashes
        for digest in hashes:
            self._by_hash[digest] = peer_id

    def remove_peer(self, peer_id: UUID) -> None:
        """Forget every token of `peer_id` (nothing happens for an unknown peer)."""
        for digest in self._by_peer.pop(peer_id, frozenset()):
            if self._by_hash.get(digest) == peer_id:
                del self._by_hash[digest]

    def peer_for_token(self, token: str) -> UUID | None:
        """The peer whose incoming token `token` is, or None."""
        return self._by_hash.get(token_hash(token))

    def peer_for_hash(self, digest: str) -> UUID | None:
        """The peer whose incoming token has sha256 hex digest `digest`, or None."""
        return self._by_hash.get(digest)

    def __len__(self) -> int:
        """The number of tokens known."""
        return len(self._by_hash)
