"""An asset's fees on its page: the ones in force, the form to set one (typed in the asset's
units, errors by field, nothing saved on error), and the paged fee history (in-process)."""

from __future__ import annotations

import html
import re
from uuid import UUID, uuid4

from ilpnode.bootstrap import Node
from ilpnode.dashboard.amounts import AmountProblem, parse_amount
from ilpnode.services.fees import Fee, FeeType, SetFee
from ilpnode.services.peering import PageRequest, page_request

from .conftest import Dashboard, create_asset, errors, field_value, flashes

BASIS_POINTS_RULE = "Enter a whole number from 0 to 10000 (100 basis points are 1 %)."


def shown(page_text: str, element_id: str) -> str:
    found = re.search(rf'<dd id="{element_id}">([^<]*)</dd>', page_text)
    assert found, element_id
    return html.unescape(found.group(1))


async def fees_of(node: Node, asset_id: str) -> list[Fee]:
    assert node.services is not None
    request = page_request(first=100)
    assert isinstance(request, PageRequest)
    return list((await node.services.fees.page(UUID(asset_id), request)).items)


async def test_set_a_fee_and_see_it_in_force(dash: Dashboard, node: Node) -> None:
    asset_id = await create_asset(dash)
    page = await dash.get(f"/assets/{asset_id}")
    assert (shown(page.text, "sending-fee"), shown(page.text, "receiving-fee")) == ("none", "none")
    assert "No fee was ever set." in page.text

    form = {"type": "SENDING", "fixed": "1.5", "basis_points": "50"}
    page = await dash.follow(await dash.post(f"/assets/{asset_id}/fees", form))

    assert flashes(page) == [("ok", "Sending fee of USD set.")]
    assert shown(page.text, "sending-fee") == "1.50 USD + 50 basis points (0.50 %)"
    assert shown(page.text, "receiving-fee") == "none"
    [fee] = await fees_of(node, asset_id)
    assert (fee.type, fee.fixed, fee.basis_points) == (FeeType.SENDING, 150, 50)
    form = {"type": "RECEIVING", "fixed": "0", "basis_points": "10000"}
    page = await dash.follow(await dash.post(f"/assets/{asset_id}/fees", form))
    assert shown(page.text, "receiving-fee") == "0.00 USD + 10,000 basis points (100.00 %)"
    assert shown(page.text, "sending-fee") == "1.50 USD + 50 basis points (0.50 %)"


async def test_fee_errors_are_shown_by_field_and_save_nothing(dash: Dashboard, node: Node) -> None:
    asset_id = await create_asset(dash)
    await dash.get(f"/assets/{asset_id}")
    cases = [
        (
            {"type": "BOTH", "fixed": "1.001", "basis_points": "10001"},
            {
                "fee-type": "Choose a sending or a receiving fee.",
                "fee-fixed": "USD has 2 decimal places: 1.001 has 3.",
                "fee-basis_points": BASIS_POINTS_RULE,
            },
        ),
        (
            {"type": "SENDING", "fixed": "", "basis_points": ""},
            {
                "fee-fixed": "Enter an amount.",
                "fee-basis_points": "Enter the basis points (0 for none).",
            },
        ),
        (
            {"type": "SENDING", "fixed": "-1", "basis_points": "1.5"},
            {
                "fee-fixed": errors_of_amount("-1"),
                "fee-basis_points": BASIS_POINTS_RULE,
            },
        ),
    ]
    for form, expected in cases:
        page = await dash.post(f"/assets/{asset_id}/fees", form)
        assert page.status_code == 400, form
        assert errors(page) == expected, form
        assert field_value(page, "fee-basis_points") == form["basis_points"]
        assert field_value(page, "fee-fixed") == form["fixed"]
    assert await fees_of(node, asset_id) == []


def errors_of_amount(typed: str) -> str:
    try:
        parse_amount(typed, scale=2, code="USD")
    except AmountProblem as problem:
        return str(problem)
    raise AssertionError(typed)


async def test_the_fee_history_is_paged_newest_first(dash: Dashboard, node: Node) -> None:
    asset_id = await create_asset(dash)
    assert node.services is not None
    for fixed in range(23):
        fee = await node.services.fees.set(
            SetFee(asset_id=asset_id, type=FeeType.SENDING, fixed=fixed, basis_points=0)
        )
        assert isinstance(fee, Fee)
    asset_page = await dash.get(f"/assets/{asset_id}")
    assert asset_page.text.count('<td data-label="Set">') == 5
    first = await dash.get(f"/assets/{asset_id}/fees")
    fixed_shown = re.findall(r'<td data-label="Fixed" class="num">([\d.]+) USD</td>', first.text)
    assert fixed_shown[:2] == ["0.22", "0.21"]
    assert len(fixed_shown) == 20
    link = re.search(r'href="/dashboard(/assets/[^"]+/fees\?after=[^"]+)">Next', first.text)
    assert link
    second = await dash.get(html.unescape(link.group(1)))
    rest = re.findall(r'<td data-label="Fixed" class="num">([\d.]+) USD</td>', second.text)
    assert rest == ["0.02", "0.01", "0.00"]
    assert (await dash.get(f"/assets/{uuid4()}/fees")).status_code == 404
