"""Looking one number up with ``search``: exact when the server filters, bounded otherwise."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from support.wire import AUTH_ID, AUTH_TOKEN, BASE_URL

from phonenumbers_async import (
    AsyncClient,
    DeadlineExceeded,
    HTTPRequest,
    MockTransport,
    NotFound,
    PagingError,
    Response,
)

E164 = "+14155550100"


def _page(numbers: list[str], owner: str = AUTH_ID, **envelope: Any) -> bytes:
    items = [{"e164": number, "account_id": owner, "status": "active"} for number in numbers]
    return json.dumps({"items": items, "page": 1, "per_page": 100} | envelope).encode()


def _page_number(request: HTTPRequest) -> int:
    return int(request.url.split("&page=")[1].split("&")[0]) if "&page=" in request.url else 1


async def test_a_search_that_ignores_paging_ends_with_paging_error() -> None:
    """Search applied, paging ignored: the same full page of longer numbers is not looped on."""
    body = _page([E164 + f"{i:02d}" for i in range(100)], total=100_000)
    transport = MockTransport(lambda request: Response(200, {}, body))
    async with AsyncClient(AUTH_ID, AUTH_TOKEN, base_url=BASE_URL, transport=transport) as client:
        with pytest.raises(PagingError):
            await client.numbers.get(E164)
    assert len(transport.requests) <= 10


async def test_a_number_of_a_sub_account_is_not_the_accounts_own() -> None:
    """An item whose owner field names another account is not found by ``get``."""
    body = _page([E164], owner="SA_OTHER", total=1)
    transport = MockTransport(lambda request: Response(200, {}, body))
    async with AsyncClient(AUTH_ID, AUTH_TOKEN, base_url=BASE_URL, transport=transport) as client:
        with pytest.raises(NotFound):
            await client.numbers.get(E164)
        assert await client.numbers.find(E164) is None
    assert transport.requests[0].url.count("include_subaccounts=false") == 1


async def test_a_server_ignoring_search_is_scanned_and_a_miss_says_so() -> None:
    """Other numbers answered to a search: the listing is scanned; NotFound says it is no proof."""

    def handler(request: HTTPRequest) -> Response:
        page = _page_number(request)
        numbers = [f"+1999{page * 100 + i:07d}" for i in range(100 if page < 3 else 7)]
        return Response(200, {}, _page(numbers, total=207, page=page))

    async with AsyncClient(
        AUTH_ID, AUTH_TOKEN, base_url=BASE_URL, transport=MockTransport(handler)
    ) as client:
        with pytest.raises(NotFound) as caught:
            await client.numbers.get(E164)
    assert any("scanned" in note for note in caught.value.__notes__)


async def test_get_keeps_one_deadline_across_a_scan() -> None:
    """A scan of slow pages under ``deadline=0.3``: the whole lookup ends near 0.3 s."""

    async def handler(request: HTTPRequest) -> Response:
        import asyncio

        await asyncio.sleep(0.1)
        page = _page_number(request)
        numbers = [f"+1999{page * 100 + i:07d}" for i in range(100 if page < 10 else 5)]
        return Response(200, {}, _page(numbers, page=page))

    async with AsyncClient(
        AUTH_ID,
        AUTH_TOKEN,
        base_url=BASE_URL,
        transport=MockTransport(handler),
        deadline=0.3,
        max_concurrency=1,
    ) as client:
        started = time.monotonic()
        with pytest.raises(DeadlineExceeded):
            await client.numbers.get(E164)
    assert time.monotonic() - started < 0.45


async def test_the_rate_limit_wait_respects_the_deadline() -> None:
    """Next slot in 2 s, deadline 0.3 s: DeadlineExceeded at once, nothing sent, no slot taken."""
    body = json.dumps({"items": [], "page": 1, "per_page": 25, "total": 0}).encode()
    transport = MockTransport(lambda request: Response(200, {}, body))
    async with AsyncClient(
        AUTH_ID, AUTH_TOKEN, base_url=BASE_URL, transport=transport, rate_limit=0.5
    ) as client:
        await client.numbers.list()
        started = time.monotonic()
        with pytest.raises(DeadlineExceeded):
            await client.with_options(deadline=0.3).numbers.list()
        assert time.monotonic() - started < 0.1
    assert len(transport.requests) == 1
