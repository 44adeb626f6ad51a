"""Settings: Rafiki's variable names, safe defaults, and errors that name the variable."""

from __future__ import annotations

import base64
from pathlib import Path
from uuid import UUID

import pytest

from ilpnode.config import (
    DEFAULT_ILP_ADDRESS,
    RAFIKI_AUTO_PEERING_LIQUIDITY,
    RAFIKI_LOCALENV_OPERATOR_TENANT_ID,
    Settings,
    SettingsError,
    load_settings,
)


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in Settings.model_fields:
        monkeypatch.delenv(name.upper(), raising=False)
    monkeypatch.delenv("EXCHANGE_RATES_LIFETIME", raising=False)
    monkeypatch.delenv("WEBHOOK_TIMEOUT", raising=False)


def load(tmp_path: Path) -> Settings:
    return load_settings(env_file=tmp_path / ".env")


def test_defaults_allow_a_local_start(tmp_path: Path) -> None:
    settings = load(tmp_path)

    assert settings.admin_port == 3001
    assert settings.connector_port == 3002
    assert settings.auto_peering_server_port == 3005
    assert settings.enable_auto_peering is False
    assert settings.database_url == "sqlite:///ilpnode.sqlite3"
    assert settings.node_address == DEFAULT_ILP_ADDRESS
    assert settings.admin_api_secret is None
    assert settings.change_feed_reconcile_seconds == 30.0


def test_rafiki_variable_names_are_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ILP_ADDRESS", "g.mywallet")
    monkeypatch.setenv("ILP_CONNECTOR_URL", "https://ilp.mywallet.example/")
    monkeypatch.setenv("INSTANCE_NAME", "My Wallet")
    monkeypatch.setenv("ENABLE_AUTO_PEERING", "true")
    monkeypatch.setenv("AUTO_PEERING_SERVER_PORT", "4005")
    monkeypatch.setenv("EXCHANGE_RATES_LIFETIME", "1000")

    settings = load(tmp_path)

    assert settings.node_address == "g.mywallet"
    assert settings.ilp_connector_url == "https://ilp.mywallet.example/"
    assert settings.instance_name == "My Wallet"
    assert settings.enable_auto_peering is True
    assert settings.auto_peering_server_port == 4005
    assert settings.exchange_rates_lifetime_ms == 1000


def test_empty_string_counts_as_unset(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ILP_ADDRESS", "")
    monkeypatch.setenv("ADMIN_PORT", "")

    settings = load(tmp_path)

    assert settings.ilp_address is None
    assert settings.admin_port == 3001


def test_dotenv_file_is_read_and_environment_wins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / ".env").write_text("ILP_ADDRESS=test.from-file\nCONNECTOR_PORT=4002\n")
    monkeypatch.setenv("CONNECTOR_PORT", "5002")

    settings = load(tmp_path)

    assert settings.ilp_address == "test.from-file"
    assert settings.connector_port == 5002


@pytest.mark.parametrize(
    ("variable", "value", "rule"),
    [
        ("ILP_ADDRESS", "mywallet", "not a valid ILP address"),
        ("ILP_ADDRESS", "g.", "not a valid ILP address"),
        ("ILP_ADDRESS", "g.wallet\n", "not a valid ILP address"),
        ("ADMIN_PORT", "abc", "valid integer"),
        ("CONNECTOR_PORT", "70000", "less than or equal to 65535"),
        ("ENABLE_AUTO_PEERING", "maybe", "valid boolean"),
        ("ILP_CONNECTOR_URL", "ftp://x.example", "not an http(s) URL"),
        ("DATABASE_URL", "mysql://localhost/x", "unsupported database URL"),
        ("ADMIN_API_SECRET", "short", "at least 16 characters"),
        ("ADMIN_HOST", "my host", "not an IP address"),
        ("EXCHANGE_RATES_LIFETIME", "-5", "greater than or equal to 0"),
        ("CHANGE_FEED_RECONCILE_SECONDS", "0", "greater than 0"),
        ("LOG_LEVEL", "loud", "debug"),
    ],
)
def test_invalid_value_names_variable_and_rule(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, variable: str, value: str, rule: str
) -> None:
    monkeypatch.setenv(variable, value)

    with pytest.raises(SettingsError) as raised:
        load(tmp_path)

    message = str(raised.value)
    assert f"{variable}: " in message
    assert rule in message


def test_every_invalid_variable_is_reported_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ILP_ADDRESS", "nope")
    monkeypatch.setenv("ADMIN_PORT", "0")

    with pytest.raises(SettingsError) as raised:
        load(tmp_path)

    assert "ILP_ADDRESS: " in str(raised.value)
    assert "ADMIN_PORT: " in str(raised.value)


def test_admin_api_binds_to_loopback_without_a_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ADMIN_HOST", "0.0.0.0")
    assert load(tmp_path).admin_bind_host == "127.0.0.1"

    monkeypatch.setenv("ADMIN_API_SECRET", "a-long-enough-secret")
    assert load(tmp_path).admin_bind_host == "0.0.0.0"


def test_secret_is_not_shown_in_repr(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ADMIN_API_SECRET", "a-long-enough-secret")

    assert "a-long-enough-secret" not in repr(load(tmp_path))


def test_shared_ledger_needs_postgresql(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEDGER_BACKEND", "postgres")

    with pytest.raises(SettingsError) as raised:
        load(tmp_path)

    assert "LEDGER_BACKEND=postgres needs DATABASE_URL=postgresql://" in str(raised.value)
    monkeypatch.setenv("DATABASE_URL", "postgresql://postgres@127.0.0.1/test")
    assert load(tmp_path).ledger_backend == "postgres"


def test_admin_api_signature_defaults_match_rafikis_local_playground(tmp_path: Path) -> None:
    settings = load(tmp_path)

    assert settings.admin_api_signature_version == 1
    assert settings.admin_api_signature_ttl_seconds == 30
    assert settings.operator_tenant_id == RAFIKI_LOCALENV_OPERATOR_TENANT_ID
    assert str(settings.operator_tenant_id) == "438fa74a-fa7d-4317-9ced-dde32ece1787"


def test_admin_api_signature_variables_are_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ADMIN_API_SIGNATURE_VERSION", "2")
    monkeypatch.setenv("OPERATOR_TENANT_ID", "CF5FD7D3-1EB1-4041-8E43-BA45747E9E5D")

    settings = load(tmp_path)

    assert settings.admin_api_signature_version == 2
    assert settings.operator_tenant_id == UUID("cf5fd7d3-1eb1-4041-8e43-ba45747e9e5d")


@pytest.mark.parametrize(
    ("variable", "value", "rule"),
    [
        ("ADMIN_API_SIGNATURE_VERSION", "0", "greater than or equal to 1"),
        ("ADMIN_API_SIGNATURE_VERSION", "v1", "valid integer"),
        ("OPERATOR_TENANT_ID", "operator", "valid UUID"),
    ],
)
def test_invalid_signature_settings_name_variable_and_rule(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, variable: str, value: str, rule: str
) -> None:
    monkeypatch.setenv(variable, value)

    with pytest.raises(SettingsError) as raised:
        load(tmp_path)

    assert f"{variable}: " in str(raised.value)
    assert rule in str(raised.value)


def test_auto_peering_defaults(tmp_path: Path) -> None:
    settings = load(tmp_path)

    assert settings.auto_peering_server_host == "0.0.0.0"
    assert settings.auto_peering_secret is None
    assert settings.auto_peering_default_liquidity == RAFIKI_AUTO_PEERING_LIQUIDITY == 2**53 - 1


@pytest.mark.parametrize(
    ("unset", "named"),
    [
        (["ILP_ADDRESS"], "ILP_ADDRESS"),
        (["ILP_CONNECTOR_URL"], "ILP_CONNECTOR_URL"),
        (["INSTANCE_NAME"], "INSTANCE_NAME"),
        (["ILP_ADDRESS", "INSTANCE_NAME"], "ILP_ADDRESS, INSTANCE_NAME"),
    ],
)
def test_auto_peering_needs_the_identity_it_announces(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, unset: list[str], named: str
) -> None:
    identity = {
        "ILP_ADDRESS": "g.mywallet",
        "ILP_CONNECTOR_URL": "https://ilp.mywallet.example",
        "INSTANCE_NAME": "My Wallet",
    }
    for name, value in identity.items():
        if name not in unset:
            monkeypatch.setenv(name, value)
    monkeypatch.setenv("ENABLE_AUTO_PEERING", "true")

    with pytest.raises(SettingsError) as raised:
        load(tmp_path)

    assert f"ENABLE_AUTO_PEERING=true needs {named} (not set)" in str(raised.value)
    monkeypatch.setenv("ENABLE_AUTO_PEERING", "false")
    assert load(tmp_path).enable_auto_peering is False  # the identity is only needed when on


@pytest.mark.parametrize(
    ("variable", "value", "rule"),
    [
        ("AUTO_PEERING_DEFAULT_LIQUIDITY", "-1", "greater than or equal to 0"),
        (
            "AUTO_PEERING_DEFAULT_LIQUIDITY",
            str(2**64),
            "less than or equal to 18446744073709551615",
        ),
        ("AUTO_PEERING_DEFAULT_LIQUIDITY", "1.5", "valid integer"),
        ("AUTO_PEERING_SECRET", "short", "at least 16 characters"),
        ("AUTO_PEERING_SECRET", "has:colon/and@at-0123", "may only contain A-Z a-z 0-9 . _ ~ -"),
        ("AUTO_PEERING_SERVER_HOST", "everywhere", "not an IP address"),
        ("AUTO_PEERING_SERVER_PORT", "0", "greater than or equal to 1"),
    ],
)
def test_invalid_auto_peering_settings_name_variable_and_rule(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, variable: str, value: str, rule: str
) -> None:
    monkeypatch.setenv(variable, value)

    with pytest.raises(SettingsError) as raised:
        load(tmp_path)

    assert f"{variable}: " in str(raised.value)
    assert rule in str(raised.value)
    assert "has:colon" not in str(raised.value)


def test_auto_peering_settings_are_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUTO_PEERING_SECRET", "Zt0_url-safe.secret~ok")
    monkeypatch.setenv("AUTO_PEERING_DEFAULT_LIQUIDITY", str(2**64 - 1))
    monkeypatch.setenv("AUTO_PEERING_SERVER_HOST", "127.0.0.1")

    settings = load(tmp_path)

    assert settings.auto_peering_secret is not None
    assert settings.auto_peering_secret.get_secret_value() == "Zt0_url-safe.secret~ok"
    assert settings.auto_peering_default_liquidity == 2**64 - 1
    assert settings.auto_peering_server_host == "127.0.0.1"
    assert "Zt0_url" not in repr(settings)


@pytest.mark.parametrize(
    ("value", "rule"),
    [
        ("http://:pw-secret@cache:6379", "not a Redis URL"),
        ("localhost:6379", "not a Redis URL"),
        ("redis://:pw-secret@", "has no host"),
        ("redis://:pw-secret@cache:99999/0", "port is not a number in 1-65535"),
        ("redis://:pw-secret@cache:0/0", "port is not a number in 1-65535"),
        ("redis://:pw-secret@cache/zero", "must be a database number"),
        ("redis://:pw-secret@cache/0?socket_timeout=soon", "Redis does not accept this URL"),
        ("unix://", "needs the socket's path"),
    ],
)
def test_invalid_redis_url_is_refused_without_echoing_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, value: str, rule: str
) -> None:
    monkeypatch.setenv("REDIS_URL", value)

    with pytest.raises(SettingsError) as raised:
        load(tmp_path)

    message = str(raised.value)
    assert "REDIS_URL: " in message
    assert rule in message
    assert "pw-secret" not in message


@pytest.mark.parametrize(
    "value",
    [
        "redis://127.0.0.1:6379/0",
        "redis://:pw@cache",
        "rediss://user:pw@cache.example:6380/2",
        "unix:///run/redis/redis.sock?db=1",
    ],
)
def test_redis_url_forms_that_redis_accepts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("REDIS_URL", value)

    assert load(tmp_path).redis_url == value


def test_open_payments_and_stream_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    defaults = load(tmp_path)
    assert (defaults.open_payments_port, defaults.open_payments_host) == (3003, "0.0.0.0")
    assert defaults.open_payments_url is None
    assert defaults.open_payments_base_url == "http://localhost:3003/"
    assert defaults.stream_secret_bytes is None
    monkeypatch.setenv("OPEN_PAYMENTS_PORT", "4003")
    assert load(tmp_path).open_payments_base_url == "http://localhost:4003/"  # follows the port
    secret = bytes(range(32))
    monkeypatch.setenv("OPEN_PAYMENTS_URL", "https://wallet.example/pay")
    monkeypatch.setenv("OPEN_PAYMENTS_HOST", "127.0.0.1")
    monkeypatch.setenv("STREAM_SECRET", base64.b64encode(secret).decode())

    settings = load(tmp_path)

    assert settings.open_payments_base_url == "https://wallet.example/pay"
    assert settings.open_payments_host == "127.0.0.1"
    assert settings.stream_secret_bytes == secret
    assert base64.b64encode(secret).decode() not in repr(settings)
    # URL-safe base64 without padding is the same secret.
    monkeypatch.setenv("STREAM_SECRET", base64.urlsafe_b64encode(secret).decode().rstrip("="))
    assert load(tmp_path).stream_secret_bytes == secret


@pytest.mark.parametrize(
    ("variable", "value", "rule"),
    [
        ("OPEN_PAYMENTS_PORT", "70000", "less than or equal to 65535"),
        ("OPEN_PAYMENTS_HOST", "anywhere", "not an IP address"),
        ("OPEN_PAYMENTS_URL", "wallet.example", "not an http(s) URL with a host"),
        ("OPEN_PAYMENTS_URL", "ftp://wallet.example/", "not an http(s) URL with a host"),
        ("OPEN_PAYMENTS_URL", "https://wallet.example/?a=1", "must not have a query"),
        ("OPEN_PAYMENTS_URL", "https://u:p@wallet.example/", "user info"),
        ("STREAM_SECRET", "c2hvcnQtc2VjcmV0", "must be 32 bytes, base64-encoded (it is 12)"),
        ("STREAM_SECRET", "not*base64*at*all*secret*value", "is not base64"),
    ],
)
def test_invalid_open_payments_settings_name_variable_and_rule(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, variable: str, value: str, rule: str
) -> None:
    monkeypatch.setenv(variable, value)

    with pytest.raises(SettingsError) as raised:
        load(tmp_path)

    assert f"{variable}: " in str(raised.value)
    assert rule in str(raised.value)
    if variable == "STREAM_SECRET":
        assert value not in str(raised.value)  # a secret is never repeated


def test_webhook_defaults_are_rafikis(tmp_path: Path) -> None:
    settings = load(tmp_path)

    assert settings.webhook_url is None
    assert settings.webhook_timeout_ms == 2_000
    assert settings.webhook_max_retry == 10
    assert settings.webhook_retry_backoff_ms == 10_000
    assert settings.signature_secret is None
    assert settings.signature_version == 1


def test_webhook_variables_are_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WEBHOOK_URL", "https://wallet.example/webhooks")
    monkeypatch.setenv("WEBHOOK_TIMEOUT", "500")
    monkeypatch.setenv("WEBHOOK_MAX_RETRY", "3")
    monkeypatch.setenv("WEBHOOK_RETRY_BACKOFF_MS", "250")
    monkeypatch.setenv("SIGNATURE_SECRET", "whsec")
    monkeypatch.setenv("SIGNATURE_VERSION", "2")

    settings = load(tmp_path)

    assert settings.webhook_url == "https://wallet.example/webhooks"
    assert (settings.webhook_timeout_ms, settings.webhook_max_retry) == (500, 3)
    assert settings.webhook_retry_backoff_ms == 250
    assert settings.signature_secret is not None
    assert settings.signature_secret.get_secret_value() == "whsec"
    assert "whsec" not in repr(settings)
    assert settings.signature_version == 2


def test_invalid_webhook_settings_name_variable_and_rule(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WEBHOOK_URL", "ftp://wallet.example")
    monkeypatch.setenv("WEBHOOK_TIMEOUT", "0")
    monkeypatch.setenv("WEBHOOK_MAX_RETRY", "0")

    with pytest.raises(SettingsError) as raised:
        load(tmp_path)

    message = str(raised.value)
    assert "WEBHOOK_URL: 'ftp://wallet.example' is not an http(s) URL with a host" in message
    assert "WEBHOOK_TIMEOUT: Input should be greater than or equal to 1" in message
    assert "WEBHOOK_MAX_RETRY: Input should be greater than or equal to 1" in message
