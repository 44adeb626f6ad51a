"""Wallet address URLs under OPEN_PAYMENTS_URL (`OpenPaymentsUrls`)."""

from __future__ import annotations

import pytest

from ilpnode.services.payments import URL_LENGTH_MAX, OpenPaymentsUrls


@pytest.mark.parametrize(
    ("base", "address", "expected"),
    [
        ("https://wallet.example", "alice", "https://wallet.example/alice"),
        ("https://wallet.example/", "/alice", "https://wallet.example/alice"),
        ("https://Wallet.Example/", "Alice", "https://wallet.example/alice"),
        ("https://wallet.example/pay", "shop/bob", "https://wallet.example/pay/shop/bob"),
        (
            "https://wallet.example/pay/",
            "https://WALLET.example/pay/x",
            "https://wallet.example/pay/x",
        ),
        ("https://wallet.example:443/", "https://wallet.example/a", "https://wallet.example/a"),
        ("https://wallet.example/", "https://wallet.example:443/a", "https://wallet.example/a"),
        ("http://localhost:3003", "alice", "http://localhost:3003/alice"),
        (
            "http://localhost:3003/",
            "http://localhost:3003/a.b_c~d-e",
            "http://localhost:3003/a.b_c~d-e",
        ),
        ("https://wallet.example/", ".well-known/pay", "https://wallet.example/.well-known/pay"),
    ],
)
def test_valid_addresses_are_canonical(base: str, address: str, expected: str) -> None:
    assert OpenPaymentsUrls(base).wallet_address_url(address) == expected


@pytest.mark.parametrize(
    "address",
    [
        "",
        "/",
        "https://wallet.example/pay",
        "https://wallet.example/pay/",
        "https://wallet.example/payroll/x",
        "https://wallet.example/x",
        "http://wallet.example/pay/x",
        "https://wallet.example:444/pay/x",
        "https://other.example/pay/x",
        "https://u@wallet.example/pay/x",
        "https://wallet.example/pay/x?",
        "https://wallet.example/pay/x#",
        "https://wallet.example:bad/pay/x",
        "x/",
        "x//y",
        "x/./y",
        "x/../y",
        "..",
        "x%41",
        "x y",
        "x\ny",
        "ü",
        "x/quotes",
        "x/outgoing-payments/1",
        "incoming-payments",
        "a" * URL_LENGTH_MAX,
    ],
)
def test_invalid_addresses(address: str) -> None:
    assert OpenPaymentsUrls("https://wallet.example/pay/").wallet_address_url(address) is None


def test_the_longest_address_fits() -> None:
    urls = OpenPaymentsUrls("https://w.example/")
    longest = "a" * (URL_LENGTH_MAX - len("https://w.example/"))
    assert urls.wallet_address_url(longest) == "https://w.example/" + longest
    assert urls.wallet_address_url(longest + "a") is None


def test_request_paths_map_to_addresses() -> None:
    urls = OpenPaymentsUrls("https://Wallet.example:443/pay")
    assert urls.base == "https://wallet.example/pay/"
    assert urls.origin == "https://wallet.example"
    assert urls.url_for_path("/pay/Alice") == "https://wallet.example/pay/alice"


@pytest.mark.parametrize(
    "base",
    ["wallet.example", "ftp://x/", "https:///x", "https://x/?q", "https://u@x/", "https://x/#f"],
)
def test_an_impossible_base_is_refused(base: str) -> None:
    with pytest.raises(ValueError, match="http"):
        OpenPaymentsUrls(base)
