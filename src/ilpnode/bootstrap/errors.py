"""The one error the node's start raises: `StartupError`, in an operator's words."""

from __future__ import annotations

__all__ = ["StartupError"]


class StartupError(Exception):
    """The node cannot start; the message says why in an operator's words."""
