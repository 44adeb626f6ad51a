"""Ids as callers write them: a UUID in its canonical text form, and nothing else.

Python's `UUID()` also reads `{…}`, `urn:uuid:…` and 32 hex digits without dashes. Rafiki
(`uuid`'s `validate`) accepts only `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx` (hex, either case) and
answers anything else `Invalid transfer id` or `unknown …`; an id a client wrote another way would
otherwise name a real transfer here and an invalid one there.
"""

from __future__ import annotations

import re
from typing import Final
from uuid import UUID

__all__ = ["parse_uuid"]

_CANONICAL: Final = re.compile(
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
).fullmatch


def parse_uuid(value: object) -> UUID | None:
    """A UUID from a UUID or its canonical text form (any version), or None if it is not one."""
    if isinstance(value, UUID):
        return value
    if not isinstance(value, str) or _CANONICAL(value) is None:
        return None
    return UUID(value)
