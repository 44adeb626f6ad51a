"""Settings: one typed object, loaded once from environment variables (and an optional `.env`).

Variable names are Rafiki's (`ILP_ADDRESS`, `ADMIN_PORT`, …) so an operator's environment works
unchanged; every variable has a safe default for a local start except secrets. As in Rafiki an
empty string counts as unset. `load_settings` turns pydantic's validation errors into one
`SettingsError` whose message names each variable and the rule it broke.
"""

from __future__ import annotations

import ipaddress
import re
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit
from uuid import UUID

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from ilpnode.connector.rates import parse_static_rates
from ilpnode.ilp import is_valid_address
from ilpnode.services.payments.stream_secret import StreamSecret
from ilpnode.setting_urls import require_http_url, require_redis_url

__all__ = [
    "DEFAULT_ILP_ADDRESS",
    "RAFIKI_AUTO_PEERING_LIQUIDITY",
    "RAFIKI_LOCALENV_OPERATOR_TENANT_ID",
    "UINT64_MAX",
    "Settings",
    "SettingsError",
    "load_settings",
]

# Used when ILP_ADDRESS is unset: a test-network address, so a node started without
# configuration can never be mistaken for one on the live (g.) network.
DEFAULT_ILP_ADDRESS = "test.ilpnode"

# Rafiki's local playground operator tenant (see `Settings.operator_tenant_id`).
RAFIKI_LOCALENV_OPERATOR_TENANT_ID = UUID("438fa74a-fa7d-4317-9ced-dde32ece1787")

# What Rafiki grants every node that auto-peers with it: Number.MAX_SAFE_INTEGER (2**53-1), an
# effectively unlimited credit line; the default of AUTO_PEERING_DEFAULT_LIQUIDITY.
RAFIKI_AUTO_PEERING_LIQUIDITY = 2**53 - 1
# Every amount is u64 in the ledger.
UINT64_MAX = 2**64 - 1
# Auto-peering secrets travel in a URL's user info: only characters that need no escaping there.
_URL_SAFE_SECRET = re.compile(r"[A-Za-z0-9._~-]+").fullmatch
# Auto-peering announces these to the peer, so enabling it needs them (the guide's prerequisites).
_AUTO_PEERING_NEEDS = ("ilp_address", "ilp_connector_url", "instance_name")

Port = Annotated[int, Field(ge=1, le=65535)]
LogLevel = Literal["debug", "info", "warning", "error"]


class SettingsError(Exception):
    """The configuration is invalid; the message names every offending variable."""


class Settings(BaseSettings):
    """Everything the node reads from its environment. Built once in `load_settings`."""

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        env_ignore_empty=True,
        case_sensitive=False,
        extra="ignore",
        frozen=True,
    )

    ilp_address: str | None = Field(
        default=None, description="This node's static ILP address; triggeredBy of its rejects."
    )
    ilp_connector_url: str | None = Field(
        default=None, description="Public URL of our ILP-over-HTTP endpoint (for auto-peering)."
    )
    instance_name: str | None = Field(
        default=None, max_length=255, description="Name announced to peers in auto-peering."
    )

    admin_host: str = Field(default="0.0.0.0", description="Admin API and dashboard bind address.")
    admin_port: Port = Field(default=3001, description="Admin API (GraphQL), dashboard, health.")
    connector_host: str = Field(default="0.0.0.0", description="ILP connector bind address.")
    connector_port: Port = Field(default=3002, description="ILP-over-HTTP connector.")
    open_payments_port: Port = Field(
        default=3003, description="SPSP: the wallet addresses this node hosts."
    )
    open_payments_host: str = Field(
        default="0.0.0.0", description="Bind address of the Open Payments (SPSP) server."
    )
    open_payments_url: str | None = Field(
        default=None,
        description="Public base URL of the wallet addresses this node hosts, as payers reach "
        "OPEN_PAYMENTS_PORT (e.g. https://wallet.example/). Unset: http://localhost:<port>/.",
    )
    stream_secret: SecretStr | None = Field(
        default=None,
        description="The STREAM server secret, 32 bytes base64. Unset: generated once and kept "
        "in the database.",
    )
    auto_peering_server_port: Port = Field(default=3005, description="Auto-peering server.")
    auto_peering_server_host: str = Field(
        default="0.0.0.0", description="Auto-peering server bind address."
    )
    enable_auto_peering: bool = Field(default=False, description="Start the auto-peering server.")
    auto_peering_secret: SecretStr | None = Field(
        default=None,
        description="When set, a peering request must present it (Bearer, or the password of "
        "the peer URL's user info); URL-safe characters only.",
    )
    auto_peering_default_liquidity: int = Field(
        default=RAFIKI_AUTO_PEERING_LIQUIDITY,
        ge=0,
        le=UINT64_MAX,
        description="The credit line granted to a node that peers with us by auto-peering "
        "(smallest unit of the asset; 0 grants none). Rafiki grants 2**53-1.",
    )

    admin_api_secret: SecretStr | None = Field(
        default=None, description="HMAC secret for signed Admin API requests."
    )
    metrics_token: SecretStr | None = Field(
        default=None, description="Bearer token a Prometheus scraper sends to GET /metrics."
    )
    admin_api_signature_ttl_seconds: int = Field(default=30, ge=1, le=3600)
    admin_api_signature_version: int = Field(
        default=1, ge=1, description="The N a request's `signature: t=…, vN=…` header must carry."
    )
    # Rafiki has no default (OPERATOR_TENANT_ID is required there). Ours is the operator tenant of
    # Rafiki's local playground (Cloud Nine Wallet: its Bruno collection's `senderTenantId`), so
    # Rafiki's own tools and scripts work against a node started without configuration.
    operator_tenant_id: UUID = Field(
        default=RAFIKI_LOCALENV_OPERATOR_TENANT_ID,
        description="The one tenant this node has; an Admin API `tenant-id` header must name it.",
    )

    database_url: str = Field(
        default="sqlite:///ilpnode.sqlite3",
        description="sqlite:///PATH (embedded default) or postgresql://USER@HOST:PORT/DB.",
    )
    ledger_backend: Literal["embedded", "postgres"] = Field(
        default="embedded",
        description="embedded: balances in memory, journal in the database (one process); "
        "postgres: state only in PostgreSQL, for several processes sharing DATABASE_URL.",
    )
    ledger_durability: Literal["power-loss", "process-crash"] = Field(
        default="power-loss",
        description="power-loss: every ledger commit is fsynced; process-crash: commits reach "
        "the OS only (survive kill -9, not a power cut), faster. Embedded ledger on SQLite.",
    )
    redis_url: str | None = Field(
        default=None,
        description="redis://[:password@]host[:port][/db] (or rediss://, unix://): keep the Admin "
        "API's signature replay guard in Redis instead of the database. Must answer at start.",
    )
    change_feed_reconcile_seconds: float = Field(
        default=30.0,
        gt=0,
        le=86_400,
        description="PostgreSQL: how often every process re-reads all peers and assets, the "
        "change feed's safety net (changes arrive by LISTEN/NOTIFY within a second anyway).",
    )
    exchange_rates_url: str | None = Field(default=None, description="Rafiki-format rates URL.")
    exchange_rates_lifetime_ms: int = Field(
        default=15_000, ge=0, validation_alias="EXCHANGE_RATES_LIFETIME"
    )
    exchange_rates: str | None = Field(
        default=None,
        description='Static rates, JSON {"USD": {"EUR": 0.91}}; used before EXCHANGE_RATES_URL.',
    )
    slippage: Decimal = Field(
        default=Decimal("0.01"),
        ge=0,
        lt=1,
        description="Outgoing payments: the share of the exchange rate (from the rates service) "
        "a payment may lose on the way; its packets refuse to deliver less (Rafiki's SLIPPAGE).",
    )
    connector_min_expiry_window_ms: int = Field(
        default=1_000, ge=0, le=60_000, description="Taken off each packet's expiry per hop."
    )
    connector_max_hold_ms: int = Field(
        default=30_000, ge=100, le=120_000, description="Longest wait for a next hop."
    )
    connector_rate_limit_packets_per_second: float | None = Field(
        default=None, gt=0, description="Packets/s per incoming peer (unset: no limit)."
    )
    connector_rate_limit_burst: int = Field(
        default=10_000, ge=1, description="Packets a peer may send at once before the limit."
    )
    dashboard_secure_cookie: bool = Field(
        default=False,
        description="Mark the dashboard's session cookie Secure (sent over HTTPS only): set it "
        "when the admin port is reached through TLS.",
    )
    connector_max_connections: int = Field(
        default=4096,
        ge=1,
        description="Connections the connector port holds at once; more are closed at accept "
        "(lowered at start to half the process's file-descriptor limit).",
    )
    connector_max_connections_per_client: int = Field(
        default=512,
        ge=1,
        description="Connections one source address may hold on the connector port at once.",
    )
    webhook_url: str | None = Field(
        default=None,
        description="Where liquidity webhook events are POSTed (Rafiki's WEBHOOK_URL). Unset: "
        "events are recorded and listed by webhookEvents, and sent once it is set.",
    )
    webhook_timeout_ms: int = Field(
        default=2_000,
        ge=1,
        le=600_000,
        validation_alias="WEBHOOK_TIMEOUT",
        description="Milliseconds a webhook receiver has to answer (Rafiki's WEBHOOK_TIMEOUT).",
    )
    webhook_max_retry: int = Field(
        default=10,
        ge=1,
        le=1_000,
        description="Attempts at most per webhook event (Rafiki's WEBHOOK_MAX_RETRY).",
    )
    webhook_retry_backoff_ms: int = Field(
        default=10_000,
        ge=1,
        le=3_600_000,
        description="ilpnode: the back-off unit; attempt n failed, the next waits "
        "min(n, 6) times this (Rafiki's fixed 10 s).",
    )
    signature_secret: SecretStr | None = Field(
        default=None,
        description="HMAC key of the Rafiki-Signature header on webhooks; unset: unsigned.",
    )
    signature_version: int = Field(
        default=1, ge=1, description="The N of the webhooks' `Rafiki-Signature: t=…, vN=…`."
    )
    log_level: LogLevel = Field(default="info")
    shutdown_grace_seconds: float = Field(
        default=10.0, ge=0, le=300, description="How long in-flight requests get at shutdown."
    )

    @field_validator("ilp_address")
    @classmethod
    def _valid_ilp_address(cls, value: str | None) -> str | None:
        if value is not None and not is_valid_address(value):
            raise ValueError(
                f"{value!r} is not a valid ILP address (RFC 0015: a scheme g, private, example, "
                "peer, self, test, test1-3 or local, then one or more '.'-separated segments of "
                "A-Z a-z 0-9 _ ~ -, e.g. g.mywallet)"
            )
        return value

    @field_validator("ilp_connector_url", "exchange_rates_url", "webhook_url")
    @classmethod
    def _valid_http_url(cls, value: str | None) -> str | None:
        if value is not None:
            require_http_url(value)
        return value

    @field_validator("open_payments_url")
    @classmethod
    def _valid_open_payments_url(cls, value: str | None) -> str | None:
        if value is not None:
            require_http_url(value)
            parts = urlsplit(value)
            if parts.query or parts.fragment or "#" in value or parts.username is not None:
                raise ValueError(f"{value!r} must not have a query, a fragment or user info")
        return value

    @field_validator("stream_secret")
    @classmethod
    def _valid_stream_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            StreamSecret.decode(value.get_secret_value())  # its message never shows the value
        return value

    @field_validator("exchange_rates")
    @classmethod
    def _valid_static_rates(cls, value: str | None) -> str | None:
        if value is not None:
            parse_static_rates(value)
        return value

    @field_validator("redis_url")
    @classmethod
    def _valid_redis_url(cls, value: str | None) -> str | None:
        if value is not None:
            require_redis_url(value)
        return value

    @field_validator(
        "admin_host", "connector_host", "auto_peering_server_host", "open_payments_host"
    )
    @classmethod
    def _valid_host(cls, value: str) -> str:
        if value != "localhost":
            try:
                ipaddress.ip_address(value)
            except ValueError:
                raise ValueError(
                    f"{value!r} is not an IP address to bind to (e.g. 0.0.0.0 or 127.0.0.1)"
                ) from None
        return value

    @field_validator("database_url")
    @classmethod
    def _supported_database(cls, value: str) -> str:
        scheme = value.split("://", 1)[0].split("+", 1)[0]
        if "://" not in value or scheme not in ("sqlite", "postgresql", "postgres"):
            raise ValueError(
                f"unsupported database URL {value!r}: use sqlite:///path/to/file.sqlite3 "
                "or postgresql://user@host:port/database"
            )
        return value

    @field_validator("admin_api_secret", "metrics_token", "auto_peering_secret")
    @classmethod
    def _strong_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < 16:
            raise ValueError("must be at least 16 characters long")
        return value

    @field_validator("auto_peering_secret")
    @classmethod
    def _url_safe_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not _URL_SAFE_SECRET(value.get_secret_value()):
            raise ValueError(
                "may only contain A-Z a-z 0-9 . _ ~ - (it is put in peer URLs), e.g. the "
                "output of: python3 -c 'import secrets; print(secrets.token_urlsafe(32))'"
            )
        return value

    @model_validator(mode="after")
    def _hold_outlasts_the_window(self) -> Settings:
        if self.connector_max_hold_ms <= self.connector_min_expiry_window_ms:
            raise ValueError(
                "CONNECTOR_MAX_HOLD_MS must be greater than CONNECTOR_MIN_EXPIRY_WINDOW_MS (a next "
                "hop would never get enough time)"
            )
        return self

    @model_validator(mode="after")
    def _auto_peering_prerequisites(self) -> Settings:
        if self.enable_auto_peering:
            missing = [name.upper() for name in _AUTO_PEERING_NEEDS if getattr(self, name) is None]
            if missing:
                raise ValueError(
                    f"ENABLE_AUTO_PEERING=true needs {', '.join(missing)} (not set): auto-peering "
                    "tells each peer this node's ILP address, connector URL and instance name"
                )
        return self

    @model_validator(mode="after")
    def _shared_ledger_needs_postgres(self) -> Settings:
        if self.ledger_backend == "postgres" and not self.database_url.startswith("postgres"):
            raise ValueError(
                "LEDGER_BACKEND=postgres needs DATABASE_URL=postgresql://… (it keeps the ledger "
                "in the shared database)"
            )
        return self

    @property
    def node_address(self) -> str:
        """The ILP address the node uses: ILP_ADDRESS, or the test-network default."""
        return self.ilp_address or DEFAULT_ILP_ADDRESS

    @property
    def open_payments_base_url(self) -> str:
        """OPEN_PAYMENTS_URL, or http://localhost:<OPEN_PAYMENTS_PORT>/ for a local start."""
        return self.open_payments_url or f"http://localhost:{self.open_payments_port}/"

    @property
    def stream_secret_bytes(self) -> bytes | None:
        """STREAM_SECRET's 32 bytes, or None when it is unset (the database keeps one)."""
        if self.stream_secret is None:
            return None
        return StreamSecret.decode(self.stream_secret.get_secret_value())

    @property
    def admin_bind_host(self) -> str:
        """Without a secret the Admin API is unauthenticated, so it only listens on loopback."""
        return self.admin_host if self.admin_api_secret is not None else "127.0.0.1"


def load_settings(env_file: Path | None = Path(".env")) -> Settings:
    """Read the environment (and `env_file` if it exists) into a `Settings`.

    Raises:
        SettingsError: one line per invalid variable, naming it and the rule it broke.
    """
    try:
        return Settings(_env_file=env_file)
    except ValidationError as error:
        lines = []
        for problem in error.errors():
            message = problem["msg"].removeprefix("Value error, ")
            if not problem["loc"]:  # a rule across variables: its message names them
                lines.append(message)
                continue
            name = str(problem["loc"][0]).upper()
            field = Settings.model_fields.get(name.lower())
            if field is not None and isinstance(field.validation_alias, str):
                name = field.validation_alias
            lines.append(f"{name}: {message}")
        raise SettingsError("invalid configuration:\n  " + "\n  ".join(lines)) from None
