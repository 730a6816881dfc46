"""Paging against servers of each documented kind, and against broken ones."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from support.transport import ScriptedTransport
from support.wire import AUTH_ID, AUTH_TOKEN, BASE_URL, Sent, json_response
from yarl import URL

from phonenumbers_async import AsyncClient, MockTransport
from phonenumbers_async._sansio import Response
from phonenumbers_async._transport import HTTPRequest
from phonenumbers_async.errors import PagingError, UnexpectedResponse

NUMBERS = [f"+9180000{index:05d}" for index in range(250)]


def _server(answer: Callable[[dict[str, str]], dict[str, Any]]) -> ScriptedTransport:
    """A transport that answers every listing request from its query, as often as asked."""

    def respond(request: Sent) -> Response:
        transport.answers.append(respond)  # answer every later request the same way
        return json_response(200, answer(dict(request.url.query)))

    transport = ScriptedTransport(respond)
    return transport


def _items(start: int, count: int) -> list[dict[str, str]]:
    return [{"e164": e164} for e164 in NUMBERS[start : start + count]]


async def _list_all(transport: ScriptedTransport, **options: Any) -> list[str]:
    async with AsyncClient(AUTH_ID, AUTH_TOKEN, base_url=BASE_URL, transport=transport) as client:
        listing = client.numbers.iter(per_page=100, **options)
        return await asyncio.wait_for(_collect(listing), timeout=5)


async def _collect(listing: Any) -> list[str]:
    return [number.e164 async for number in listing]


@pytest.mark.parametrize("max_concurrency", [1, 8])
async def test_a_limit_offset_server_is_listed_completely(max_concurrency: int) -> None:
    """A server that pages by limit/offset only (the other documented style) gives every number."""

    def answer(query: dict[str, str]) -> dict[str, Any]:
        limit, offset = int(query["limit"]), int(query["offset"])
        return {
            "items": _items(offset, limit),
            "page": offset // limit + 1,
            "per_page": limit,
            "total": len(NUMBERS),
        }

    listed = await _list_all(_server(answer), max_concurrency=max_concurrency)
    assert listed == NUMBERS


async def test_a_server_that_ignores_paging_is_an_error_not_an_endless_loop() -> None:
    """A server answering page 1 to every request raises PagingError instead of repeating it."""

    def answer(query: dict[str, str]) -> dict[str, Any]:
        return {"items": _items(0, 100), "page": 1, "per_page": 100, "total": len(NUMBERS)}

    with pytest.raises(PagingError, match="answered page 1"):
        await _list_all(_server(answer))


@pytest.mark.parametrize("total", [None, 10_000])
async def test_a_server_that_repeats_a_page_without_saying_so_is_an_error(
    total: int | None,
) -> None:
    """Paging ignored, ``page`` (and ``total``) left out: the repeat is caught, not looped."""

    def answer(query: dict[str, str]) -> dict[str, Any]:
        envelope: dict[str, Any] = {"items": _items(0, 100)}
        if total is not None:
            envelope["total"] = total
        return envelope

    with pytest.raises(PagingError, match="repeats the page before it"):
        await _list_all(_server(answer))


@pytest.mark.parametrize("reported_per_page", [100, None])
async def test_a_server_capping_the_page_size_still_gives_every_number(
    reported_per_page: int | None,
) -> None:
    """Pages of 50 when 100 were asked for (echoed or not): the listing reads on, losing nothing."""

    def answer(query: dict[str, str]) -> dict[str, Any]:
        page = int(query["page"])
        body: dict[str, Any] = {
            "items": _items((page - 1) * 50, 50),
            "page": page,
            "total": len(NUMBERS),
        }
        if reported_per_page is not None:
            body["per_page"] = reported_per_page
        return body

    assert await _list_all(_server(answer)) == NUMBERS


async def test_fan_out_raises_an_unexpected_error_instead_of_waiting_forever() -> None:
    """A non-API exception while listing one account surfaces; the fan-out does not hang."""
    subaccounts = {"sub_accounts": [{"auth_id": "SA_BROKEN"}], "total": 1, "page": 1, "size": 100}
    own = {"items": [{"e164": NUMBERS[0]}], "page": 1, "per_page": 100, "total": 1}

    def respond(request: Sent) -> Response:
        transport.answers.append(respond)
        if "sub-accounts" in request.url.path:
            return json_response(200, subaccounts)
        if "SA_BROKEN" in request.url.path:
            raise RuntimeError("Session is closed")
        return json_response(200, own)

    transport = ScriptedTransport(respond)
    async with AsyncClient(AUTH_ID, AUTH_TOKEN, base_url=BASE_URL, transport=transport) as client:
        for policy in ("raise", "collect"):
            listing = client.numbers.iter_fanout(on_error=policy)
            with pytest.raises(RuntimeError, match="Session is closed"):
                await asyncio.wait_for(_collect(listing), timeout=5)


def _paged(query: dict[str, str]) -> dict[str, Any]:
    page = int(query["page"])
    return {
        "items": _items((page - 1) * 25, 25),
        "page": page,
        "per_page": 25,
        "total": len(NUMBERS),
    }


async def test_prefetched_pages_are_decoded_only_when_their_turn_comes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Pages fetched ahead wait as bytes: the objects of one page at a time are alive."""
    from phonenumbers_async._resources import numbers as numbers_module

    decoded: list[int] = []
    # The module's private import of the decoder, wrapped on purpose to count its calls.
    real_decode = numbers_module.decode_number_page  # type: ignore[attr-defined]

    def recording_decode(body: bytes, page: int, per_page: int) -> Any:
        decoded.append(page)
        return real_decode(body, page, per_page)

    monkeypatch.setattr(numbers_module, "decode_number_page", recording_decode)
    transport = _server(_paged)
    async with AsyncClient(AUTH_ID, AUTH_TOKEN, base_url=BASE_URL, transport=transport) as client:
        listing = client.numbers.iter(per_page=25, max_concurrency=8)
        first = await anext(listing)
        for _ in range(20):  # let every prefetch request complete
            await asyncio.sleep(0)

        assert first.e164 == NUMBERS[0]
        assert len(transport.sent) == 1 + 8
        assert decoded == [1]

        rest = [number.e164 for number in [first]] + await _collect(listing)
    assert rest == NUMBERS
    assert decoded == list(range(1, 12))  # with the probe past an exact-multiple total


async def test_a_page_that_cannot_be_read_fails_when_reached_after_every_earlier_number() -> None:
    """A 200 with HTML for page 3: the numbers of pages 1 and 2 come first, then APIError."""

    def respond(request: Sent) -> Response:
        transport.answers.append(respond)
        query = dict(request.url.query)
        if query["page"] == "3":
            return Response(200, {}, b"<html>upstream error</html>")
        return json_response(200, _paged(query))

    transport = ScriptedTransport(respond)
    seen: list[str] = []

    async def read_all(client: AsyncClient) -> None:
        async for number in client.numbers.iter(per_page=25, max_concurrency=8):
            seen.append(number.e164)

    async with AsyncClient(AUTH_ID, AUTH_TOKEN, base_url=BASE_URL, transport=transport) as client:
        with pytest.raises(UnexpectedResponse, match="not JSON"):
            await read_all(client)
    assert seen == NUMBERS[:50]


async def test_stopping_during_the_first_page_cancels_the_pages_fetched_ahead() -> None:
    """Prefetch starts with page 1; closing the listing there cancels every request in flight."""
    cancelled: list[int] = []
    never = asyncio.Event()

    async def slow_after_page_one(request: HTTPRequest) -> Response:
        page = int(dict(URL(request.url).query)["page"])
        if page == 1:
            return json_response(200, _paged({"page": "1"}))
        try:
            await never.wait()
        except asyncio.CancelledError:
            cancelled.append(page)
            raise
        raise AssertionError("unreachable")

    async with AsyncClient(
        AUTH_ID, AUTH_TOKEN, base_url=BASE_URL, transport=MockTransport(slow_after_page_one)
    ) as client:
        listing = client.numbers.iter(per_page=25, max_concurrency=4)
        assert (await anext(listing)).e164 == NUMBERS[0]
        await asyncio.sleep(0)  # the prefetch requests are now waiting on the server
        await listing.aclose()  # type: ignore[attr-defined]

    assert sorted(cancelled) == [2, 3, 4, 5]
    assert [task for task in asyncio.all_tasks() if task is not asyncio.current_task()] == []
