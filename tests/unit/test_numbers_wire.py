"""``client.numbers`` on the wire: paths, query strings, headers, bodies and every payload."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from aioresponses import aioresponses
from support.samples import load_sample, sample_bytes
from support.wire import AUTH_ID, AUTH_TOKEN, BASE_URL, Sent, quote_e164, sent

from phonenumbers_async import (
    AsyncClient,
    Capabilities,
    InsufficientBalance,
    NotFound,
    NumberStatus,
    PermissionDenied,
    PhoneNumber,
)

NUMBERS = f"{BASE_URL}/v1/account/{AUTH_ID}/numbers"
E164 = "+919876543210"
ENCODED = "%2B919876543210"


def _only(mocked: aioresponses) -> Sent:
    requests = sent(mocked)
    assert len(requests) == 1, requests
    return requests[0]


async def test_list_sends_page_and_per_page_with_auth_headers_and_no_content_type(
    mock_api: aioresponses, client: AsyncClient
) -> None:
    """A listing is a GET with page/per_page, both auth headers and no Content-Type."""
    mock_api.get(
        f"{NUMBERS}?page=2&per_page=20&limit=20&offset=20",
        body=sample_bytes("list-numbers.account-id.json"),
    )

    await client.numbers.list(page=2, per_page=20)

    request = _only(mock_api)
    assert request.method == "GET"
    assert request.url.raw_path == f"/api/v1/account/{AUTH_ID}/numbers"
    assert request.params == {"page": "2", "per_page": "20", "limit": "20", "offset": "20"}
    assert request.headers["X-Auth-ID"] == AUTH_ID
    assert request.headers["X-Auth-Token"] == AUTH_TOKEN
    assert "Content-Type" not in request.headers
    assert request.body is None


async def test_list_reads_the_account_id_owner_key(
    mock_api: aioresponses, client: AsyncClient
) -> None:
    """The ``account_id`` example decodes fully: owners, Decimal fees, aware times, page data."""
    mock_api.get(
        f"{NUMBERS}?page=1&per_page=25&limit=25&offset=0",
        body=sample_bytes("list-numbers.account-id.json"),
    )

    page = await client.numbers.list()

    assert (page.page, page.per_page, page.total, len(page)) == (1, 20, 2, 2)
    first, second = page.items
    assert isinstance(first, PhoneNumber)
    assert first.account_id == "MA_XXXXXXXX"
    assert second.account_id == "SA_YYYYYYYY"
    assert first.e164 == "+919876543210"
    assert first.capabilities == Capabilities(voice=True, sms=False, mms=False, fax=False)
    assert first.status is NumberStatus.ACTIVE
    assert first.setup_fee == Decimal(100)
    assert type(first.setup_fee) is Decimal
    assert first.monthly_fee == Decimal(300)
    assert first.purchased_at == datetime(2026, 3, 25, 6, 58, 38, 796024, tzinfo=UTC)
    assert first.created_at == datetime(2026, 3, 25, 18, 30, tzinfo=UTC)
    assert first.tags == ()
    assert first.minimum_commitment_months == 0
    assert first.aadhaar_verified is False
    assert first.source == "purchased"
    assert first.extra == {}


async def test_list_reads_the_auth_id_owner_key_into_account_id(
    mock_api: aioresponses, client: AsyncClient
) -> None:
    """The ``auth_id`` example lands its owner in ``PhoneNumber.account_id`` too."""
    mock_api.get(
        f"{NUMBERS}?page=1&per_page=25&limit=25&offset=0",
        body=sample_bytes("list-numbers.auth-id.json"),
    )

    page = await client.numbers.list()

    (number,) = page.items
    assert number.account_id == "MA_XXXXXXXX"
    assert "auth_id" not in number.extra
    assert number.trunk_group_id is None
    assert number.provider == "cloudconnect"
    assert number.updated_at == datetime(2025, 10, 22, 5, 4, 9, 705084, tzinfo=UTC)
    assert (page.page, page.per_page, page.total) == (1, 25, 1)


@pytest.mark.parametrize(
    ("include", "expected"),
    [(False, "include_subaccounts=false"), (True, "include_subaccounts=true")],
)
async def test_list_sends_include_subaccounts_as_a_lowercase_bool(
    mock_api: aioresponses, client: AsyncClient, include: bool, expected: str
) -> None:
    """``include_subaccounts`` goes out as ``true``/``false``, and only when given."""
    mock_api.get(
        f"{NUMBERS}?page=1&per_page=25&limit=25&offset=0&{expected}",
        body=sample_bytes("list-numbers.auth-id.json"),
    )

    await client.numbers.list(include_subaccounts=include)

    name, value = expected.split("=")
    assert _only(mock_api).params == {
        "page": "1",
        "per_page": "25",
        "limit": "25",
        "offset": "0",
        name: value,
    }


async def test_list_of_a_subaccount_puts_its_auth_id_in_the_path(
    mock_api: aioresponses, client: AsyncClient
) -> None:
    """``auth_id=`` lists a sub-account's numbers under its own path, with master credentials."""
    mock_api.get(
        f"{BASE_URL}/v1/account/SA_YYYYYYYY/numbers?page=1&per_page=25&limit=25&offset=0",
        body=sample_bytes("list-numbers.auth-id.json"),
    )

    await client.numbers.list(auth_id="SA_YYYYYYYY")

    request = _only(mock_api)
    assert request.url.raw_path == "/api/v1/account/SA_YYYYYYYY/numbers"
    assert request.headers["X-Auth-ID"] == AUTH_ID


async def test_iter_walks_pages_in_order_until_total(
    mock_api: aioresponses, client: AsyncClient
) -> None:
    """``iter`` yields every item of every page, in order, asking each page once."""

    def page(number: int, count: int) -> dict[str, object]:
        items = [{"e164": f"+9180{number:02d}{index:04d}"} for index in range(count)]
        return {"items": items, "page": number, "per_page": 2, "total": 5}

    for number, count in ((1, 2), (2, 2), (3, 1)):
        mock_api.get(
            f"{NUMBERS}?page={number}&per_page=2&limit=2&offset={(number - 1) * 2}",
            payload=page(number, count),
        )

    numbers = [number.e164 async for number in client.numbers.iter(per_page=2)]

    assert numbers == [
        "+918001" + "0000",
        "+918001" + "0001",
        "+918002" + "0000",
        "+918002" + "0001",
        "+918003" + "0000",
    ]
    assert sorted(request.params["page"] for request in sent(mock_api)) == ["1", "2", "3"]


async def test_find_returns_the_owned_number_or_none(
    mock_api: aioresponses, client: AsyncClient
) -> None:
    """``find`` looks the number up with ``search`` among the account's own numbers only."""
    recorded = load_sample("list-numbers.account-id.json")
    own = dict(recorded["items"][0], account_id=AUTH_ID)
    for e164, items in ((own["e164"], [own]), ("+14155550000", [])):
        mock_api.get(
            f"{NUMBERS}?search={quote_e164(e164)}&include_subaccounts=false"
            "&page=1&per_page=100&limit=100&offset=0",
            payload={"items": items, "page": 1, "per_page": 100, "total": len(items)},
        )

    found = await client.numbers.find(own["e164"])
    assert found is not None
    assert found.account_id == AUTH_ID
    assert await client.numbers.find("+14155550000") is None
    assert [request.params["search"] for request in sent(mock_api)] == [own["e164"], "+14155550000"]


# -- purchase ---------------------------------------------------------------


@pytest.mark.parametrize("sample_name", ["purchase.json", "purchase.with-items.json"])
async def test_purchase_posts_the_number_with_a_literal_plus(
    mock_api: aioresponses, client: AsyncClient, sample_name: str
) -> None:
    """A purchase POSTs ``{"e164": "+91…"}`` as JSON (``+`` literal) to purchase-from-inventory."""
    mock_api.post(f"{NUMBERS}/purchase-from-inventory", body=sample_bytes(sample_name))

    number = await client.numbers.purchase(E164)

    request = _only(mock_api)
    assert request.method == "POST"
    assert request.url.raw_path == f"/api/v1/account/{AUTH_ID}/numbers/purchase-from-inventory"
    assert request.url.raw_query_string == ""
    assert request.body == b'{"e164":"+919876543210"}'
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["X-Auth-ID"] == AUTH_ID
    assert request.headers["X-Auth-Token"] == AUTH_TOKEN
    expected = load_sample(sample_name)["number"]
    assert number.e164 == expected["e164"]
    assert number.id == expected["id"]
    assert number.account_id == "MA_XXXXXXXX"


async def test_purchase_reads_decimal_fees_from_the_plain_example(
    mock_api: aioresponses, client: AsyncClient
) -> None:
    """The plain example's ``0.0``/``1.0`` fees become ``Decimal("0.0")``/``Decimal("1.0")``."""
    mock_api.post(f"{NUMBERS}/purchase-from-inventory", body=sample_bytes("purchase.json"))

    number = await client.numbers.purchase(E164)

    assert number.setup_fee == Decimal("0.0")
    assert str(number.monthly_fee) == "1.0"
    assert type(number.monthly_fee) is Decimal
    assert number.upfront_cost == Decimal("1.0")
    assert number.currency == "USD"
    assert number.capabilities is None
    assert number.purchased_at == datetime(2025, 1, 15, 10, tzinfo=UTC)


async def test_purchase_with_items_prefers_the_full_number_object(
    mock_api: aioresponses, client: AsyncClient
) -> None:
    """With both ``number`` and ``items`` the full ``number`` object is returned."""
    mock_api.post(
        f"{NUMBERS}/purchase-from-inventory", body=sample_bytes("purchase.with-items.json")
    )

    number = await client.numbers.purchase(E164)

    assert number.source == "inventory"
    assert number.setup_fee == Decimal(100)
    assert number.capabilities is not None
    assert number.capabilities.voice is True


async def test_purchase_answer_with_only_items_uses_the_first_item(
    mock_api: aioresponses, client: AsyncClient
) -> None:
    """A purchase answer carrying only ``items`` still yields the bought number."""
    payload = load_sample("purchase.with-items.json")
    del payload["number"]
    mock_api.post(f"{NUMBERS}/purchase-from-inventory", payload=payload)

    number = await client.numbers.purchase(E164)

    assert number.e164 == E164
    assert number.monthly_fee == Decimal(1)


async def test_purchase_sends_currency_and_uses_a_subaccount_path(
    mock_api: aioresponses, client: AsyncClient
) -> None:
    """``currency`` joins the body and ``auth_id`` buys for that sub-account's path."""
    mock_api.post(
        f"{BASE_URL}/v1/account/SA_YYYYYYYY/numbers/purchase-from-inventory",
        body=sample_bytes("purchase.json"),
    )

    await client.numbers.purchase(E164, currency="INR", auth_id="SA_YYYYYYYY")

    request = _only(mock_api)
    assert request.url.raw_path == "/api/v1/account/SA_YYYYYYYY/numbers/purchase-from-inventory"
    assert request.json == {"e164": E164, "currency": "INR"}


async def test_purchase_refused_for_balance_raises_once_without_reconciling(
    mock_api: aioresponses, client: AsyncClient
) -> None:
    """A 402 envelope is ``InsufficientBalance`` with code and request id; nothing else is sent."""
    mock_api.post(
        f"{NUMBERS}/purchase-from-inventory",
        status=402,
        body=sample_bytes("error.envelope.json"),
    )

    with pytest.raises(InsufficientBalance) as caught:
        await client.numbers.purchase(E164)

    assert caught.value.status == 402
    assert caught.value.code == "INSUFFICIENT_BALANCE"
    assert caught.value.request_id == "req_7a8b9c0d1e2f"
    assert caught.value.message == "Account balance too low to complete this operation"
    assert len(sent(mock_api)) == 1


async def test_purchase_failed_debit_as_500_is_insufficient_balance_and_not_reconciled(
    mock_api: aioresponses,
) -> None:
    """A 500 naming INSUFFICIENT_BALANCE is a known refusal: no retry, no inventory check."""
    async with AsyncClient(AUTH_ID, AUTH_TOKEN, base_url=BASE_URL) as retrying:
        mock_api.post(
            f"{NUMBERS}/purchase-from-inventory",
            status=500,
            body=sample_bytes("error.envelope.json"),
        )

        with pytest.raises(InsufficientBalance) as caught:
            await retrying.numbers.purchase(E164)

    assert caught.value.status == 500
    assert caught.value.code == "INSUFFICIENT_BALANCE"
    assert [request.method for request in sent(mock_api)] == ["POST"]


async def test_purchase_of_a_number_not_in_inventory_is_not_found(
    mock_api: aioresponses, client: AsyncClient
) -> None:
    """A 404 to a purchase raises ``NotFound`` and is not resent."""
    mock_api.post(
        f"{NUMBERS}/purchase-from-inventory",
        status=404,
        payload={"error": "not_found", "message": "number not in inventory"},
    )

    with pytest.raises(NotFound) as caught:
        await client.numbers.purchase(E164)

    assert (caught.value.code, caught.value.message) == ("not_found", "number not in inventory")
    assert len(sent(mock_api)) == 1


# -- release ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "body"),
    [(204, b""), (200, sample_bytes("release.200.json"))],
    ids=["204-empty", "200-message"],
)
async def test_release_deletes_the_percent_encoded_number(
    mock_api: aioresponses, client: AsyncClient, status: int, body: bytes
) -> None:
    """Release is a body-less DELETE of ``/numbers/%2B91…``; 204 and 200 both mean done."""
    mock_api.delete(f"{NUMBERS}/{ENCODED}", status=status, body=body)

    released = await client.numbers.release(E164)
    assert released.status is NumberStatus.RELEASED
    assert released.message == (None if status == 204 else "number returned to inventory")

    request = _only(mock_api)
    assert request.method == "DELETE"
    assert request.url.raw_path == f"/api/v1/account/{AUTH_ID}/numbers/{ENCODED}"
    assert "+" not in request.url.raw_path
    assert request.body is None
    assert "Content-Type" not in request.headers
    assert request.headers["X-Auth-Token"] == AUTH_TOKEN


async def test_release_of_a_number_not_owned_is_permission_denied(
    mock_api: aioresponses, client: AsyncClient
) -> None:
    """The flat 403 example becomes ``PermissionDenied`` with its code and message."""
    mock_api.delete(f"{NUMBERS}/{ENCODED}", status=403, body=sample_bytes("error.forbidden.json"))

    with pytest.raises(PermissionDenied) as caught:
        await client.numbers.release(E164)

    assert caught.value.status == 403
    assert caught.value.code == "forbidden"
    assert caught.value.message == "account does not own this number"
    assert caught.value.request_id is None
    assert len(sent(mock_api)) == 1


async def test_release_for_a_subaccount_uses_its_path(
    mock_api: aioresponses, client: AsyncClient
) -> None:
    """``release(auth_id=…)`` deletes under the sub-account's path."""
    mock_api.delete(f"{BASE_URL}/v1/account/SA_YYYYYYYY/numbers/{ENCODED}", status=204)

    await client.numbers.release(E164, auth_id="SA_YYYYYYYY")

    assert _only(mock_api).url.raw_path == f"/api/v1/account/SA_YYYYYYYY/numbers/{ENCODED}"
