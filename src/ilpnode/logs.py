"""The node's log lines: stderr, one format, set up once per process by `ilpnode run` (and by
each worker of `ilpnode run --workers`, whose lines carry the process id)."""

from __future__ import annotations

import logging
import sys

__all__ = ["configure_logging"]

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# Several processes write to one stderr: say which one speaks.
LOG_FORMAT_WITH_PID = "%(asctime)s %(levelname)s %(name)s[%(process)d]: %(message)s"


def configure_logging(level: str, *, with_pid: bool = False) -> None:
    """Log to stderr at `level` (LOG_LEVEL), quieting libraries that repeat or leak."""
    logging.basicConfig(
        level=level.upper(),
        format=LOG_FORMAT_WITH_PID if with_pid else LOG_FORMAT,
        stream=sys.stderr,
    )
    # uvicorn's own lines repeat ours once per server; keep its warnings and errors only.
    logging.getLogger("uvicorn.error").setLevel(max(logging.WARNING, logging.root.level))
    # httpx logs every request's URL at INFO, user info (an auto-peering secret) included.
    logging.getLogger("httpx").setLevel(max(logging.WARNING, logging.root.level))
    # Alembic says at INFO which plugins it set up and each migration it runs: a start-up's
    # first screen would be library lines. Our own line gives the schema revision reached.
    logging.getLogger("alembic").setLevel(max(logging.WARNING, logging.root.level))
