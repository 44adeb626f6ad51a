"""The URL settings' own checks (`config.Settings` validators): what pydantic's types do not say,
with messages that name the rule and never echo a secret the URL may carry."""

from __future__ import annotations

from urllib.parse import urlsplit

__all__ = ["require_http_url", "require_redis_url"]


def require_http_url(value: str) -> None:
    """Refuse anything but an http(s) URL with a host."""
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{value!r} is not an http(s) URL with a host")


def require_redis_url(value: str) -> None:
    """Refuse what Redis would refuse at the first request; messages never echo the URL (it
    may carry a password)."""
    parts = urlsplit(value)
    usage = "use redis://[:password@]host[:port][/db], rediss://… (TLS) or unix:///path/to/socket"
    if parts.scheme not in ("redis", "rediss", "unix"):
        raise ValueError(f"not a Redis URL: {usage}")
    if parts.scheme == "unix":
        if not parts.path:
            raise ValueError(f"a unix:// Redis URL needs the socket's path: {usage}")
    else:
        if not parts.hostname:
            raise ValueError(f"the Redis URL has no host: {usage}")
        try:
            port = parts.port
        except ValueError:
            port = 0
        if port == 0:  # urlsplit leaves an absent port None, refuses letters and > 65535
            raise ValueError("the Redis URL's port is not a number in 1-65535")
        if parts.path.strip("/") and not parts.path.strip("/").isdigit():
            raise ValueError(f"the Redis URL's path must be a database number: {usage}")
    from redis.asyncio import ConnectionPool  # only when set: most nodes have no Redis

    try:
        ConnectionPool.from_url(value)  # its own checks (query options); does no I/O
    except (ValueError, TypeError) as error:
        raise ValueError(f"Redis does not accept this URL: {error}") from None
