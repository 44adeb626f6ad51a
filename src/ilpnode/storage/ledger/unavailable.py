"""The embedded ledger's refusal while it rebuilds itself after a failed commit.

A module of its own and not compiled: an exception class is a plain Python class either way
(mypyc's native classes cannot subclass built-in exceptions), and nothing here is on the packet
path until a commit has failed.
"""

from __future__ import annotations

from ilpnode.ledger.errors import LedgerUnavailable

__all__ = ["LedgerUnavailableError"]


class LedgerUnavailableError(LedgerUnavailable, RuntimeError):
    """A commit failed; the ledger refuses work until it has rebuilt itself from its journal."""
