"""Splitting a Prepare's amount across its StreamMoney frames (RFC 0029 §5.3.9).

Each stream gets ``floor(amount * its shares / total shares)``; what rounding leaves over
(less than one unit per stream) goes whole to the lowest-numbered stream of the packet that
has room for it, so that no unit is lost or created: the parts always add up to the amount.
Integers only; shares and amounts may be up to 2**64-1 each, Python's ints do not overflow.
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["split_amount"]


def split_amount(amount: int, shares: Mapping[int, int], room: Mapping[int, int]) -> dict[int, int]:
    """Split ``amount`` among streams in proportion to ``shares``.

    Args:
        amount: the money that arrived (receiver's units).
        shares: stream id → total shares of its StreamMoney frames in this packet; at least
            one must be positive.
        room: stream id → how much more the stream may receive; the remainder goes to the
            lowest-numbered stream with positive shares and room for it (or, when none has
            room, to the lowest-numbered such stream: the caller's limit check then refuses).

    Returns:
        stream id → its part, for every stream in ``shares``; the parts sum to ``amount``.

    Raises:
        ValueError: no positive shares (money with nowhere to go) while ``amount > 0``.
    """
    total_shares = sum(shares.values())
    if total_shares <= 0:
        if amount:
            raise ValueError("money without StreamMoney shares to assign it to")
        return dict.fromkeys(shares, 0)
    parts = {stream_id: amount * share // total_shares for stream_id, share in shares.items()}
    remainder = amount - sum(parts.values())
    if remainder:
        candidates = sorted(stream_id for stream_id, share in shares.items() if share > 0)
        target = next(
            (sid for sid in candidates if room.get(sid, 0) - parts[sid] >= remainder),
            candidates[0],
        )
        parts[target] += remainder
    return parts
