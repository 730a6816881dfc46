"""``client.inventory`` on the wire: filters, paging and the inventory example."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from aioresponses import aioresponses
from support.samples import load_sample, sample_bytes
from support.wire import AUTH_ID, BASE_URL, quote_e164, sent

from phonenumbers_async import AsyncClient, NumberStatus
from phonenumbers_async.errors import UnexpectedResponse

INVENTORY = f"{BASE_URL}/v1/account/{AUTH_ID}/inventory/numbers"


async def test_list_reads_the_inventory_example(
    mock_api: aioresponses, client: AsyncClient
) -> None:
    """An inventory number has no owner, Decimal fees and no capabilities when left out."""
    mock_api.get(
        f"{INVENTORY}?page=1&per_page=25&limit=25&offset=0",
        body=sample_bytes("list-inventory.json"),
    )

    page = await client.inventory.list()

    (number,) = page.items
    assert number.account_id is None
    assert number.e164 == "+14155551234"
    assert number.capabilities is None
    assert number.status is NumberStatus.ACTIVE
    assert number.setup_fee == Decimal("0.0")
    assert str(number.monthly_fee) == "1.0"
    assert number.provider_ref == "MY-CARRIER-123"
    assert number.created_at == datetime(2025, 1, 15, 10, tzinfo=UTC)
    assert (page.page, page.per_page, page.total) == (1, 25, 500)
    (request,) = sent(mock_api)
    assert request.url.raw_path == f"/api/v1/account/{AUTH_ID}/inventory/numbers"
    assert request.params == {"page": "1", "per_page": "25", "limit": "25", "offset": "0"}
    assert "Content-Type" not in request.headers


async def test_list_sends_country_and_search_filters(
    mock_api: aioresponses, client: AsyncClient
) -> None:
    """``country`` goes out upper-cased and ``search`` as given, beside page/per_page."""
    mock_api.get(
        f"{INVENTORY}?country=IN&search=80&page=3&per_page=50&limit=50&offset=100",
        body=sample_bytes("list-inventory.json"),
    )

    await client.inventory.list(country="in", search="80", page=3, per_page=50)

    (request,) = sent(mock_api)
    assert request.params == {
        "country": "IN",
        "search": "80",
        "page": "3",
        "per_page": "50",
        "limit": "50",
        "offset": "100",
    }


async def test_search_with_a_plus_is_percent_encoded_in_the_query(
    mock_api: aioresponses, client: AsyncClient
) -> None:
    """A ``+`` in ``search`` is sent as ``%2B`` (a raw ``+`` would read as a space)."""
    mock_api.get(
        f"{INVENTORY}?search=%2B9180&page=1&per_page=25&limit=25&offset=0",
        body=sample_bytes("list-inventory.json"),
    )

    await client.inventory.list(search="+9180")

    (request,) = sent(mock_api)
    assert "search=%2B9180" in request.url.raw_query_string
    assert request.params["search"] == "+9180"


@pytest.mark.parametrize(("e164", "expected"), [("+14155551234", True), ("+14155550000", False)])
async def test_contains_searches_inventory_for_the_exact_number(
    mock_api: aioresponses, client: AsyncClient, e164: str, expected: bool
) -> None:
    """``contains`` asks inventory with ``search=<number>`` and matches the number exactly."""
    recorded = load_sample("list-inventory.json")
    # What a server applying the filter answers: the recorded items that contain the number.
    matching = [item for item in recorded["items"] if e164[1:] in item["e164"]]
    mock_api.get(
        f"{INVENTORY}?search={quote_e164(e164)}&page=1&per_page=100&limit=100&offset=0",
        payload={**recorded, "items": matching, "total": len(matching)},
    )

    assert await client.inventory.contains(e164) is expected

    (request,) = sent(mock_api)
    assert request.params["search"] == e164


async def test_contains_refuses_to_guess_when_the_server_ignores_search(
    mock_api: aioresponses, client: AsyncClient
) -> None:
    """Inventory answering other numbers to a search: on sale is unknown, not False."""
    mock_api.get(
        f"{INVENTORY}?search=%2B14155550000&page=1&per_page=100&limit=100&offset=0",
        body=sample_bytes("list-inventory.json"),
    )

    with pytest.raises(UnexpectedResponse, match="did not apply search"):
        await client.inventory.contains("+14155550000")


async def test_iter_stops_after_a_short_page_when_total_is_missing(
    mock_api: aioresponses, client: AsyncClient
) -> None:
    """Without ``total``, ``iter`` reads page after page until a short one."""
    full = {"items": [{"e164": "+1415555000" + str(i)} for i in range(3)], "per_page": 3}
    short = {"items": [{"e164": "+14155559999"}], "per_page": 3}
    mock_api.get(
        f"{INVENTORY}?country=US&page=1&per_page=3&limit=3&offset=0", payload={**full, "page": 1}
    )
    mock_api.get(
        f"{INVENTORY}?country=US&page=2&per_page=3&limit=3&offset=3", payload={**short, "page": 2}
    )

    numbers = [n.e164 async for n in client.inventory.iter(country="US", per_page=3)]

    assert numbers == ["+14155550000", "+14155550001", "+14155550002", "+14155559999"]
    assert len(sent(mock_api)) == 2
