"""``with_raw_response`` gives a call's HTTP response on both clients; ``extra_headers`` and
``extra_query`` reach every request and can never replace the authentication headers."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from multidict import CIMultiDict

from phonenumbers_async import (
    AsyncClient,
    Balance,
    Client,
    ConfigurationError,
    HTTPRequest,
    MockTransport,
    NotFound,
    Page,
    PhoneNumber,
    RawResponse,
    Response,
    RetryPolicy,
)
from phonenumbers_async._sansio import Request

BALANCE = {"currency": "INR", "balance": 10.5, "available_balance": 9.25}
NUMBERS = {
    "items": [{"e164": "+919876543210", "status": "active", "monthly_fee": 1.0}],
    "page": 1,
    "per_page": 25,
    "total": 1,
}


async def _no_sleep(seconds: float) -> None:
    return None


NO_WAIT = RetryPolicy(sleep=_no_sleep)


def _answer(status: int, payload: Any, request_id: str = "req-123") -> Response:
    headers = CIMultiDict({"Content-Type": "application/json", "X-Request-ID": request_id})
    return Response(status, headers, json.dumps(payload).encode())


def _server(*, fail_first: int = 0) -> Callable[[HTTPRequest], Response]:
    """Balance and listing answers; the first ``fail_first`` requests get a 503."""
    seen = [0]

    def handle(request: HTTPRequest) -> Response:
        seen[0] += 1
        if seen[0] <= fail_first:
            return _answer(503, {"error": "busy"}, request_id=f"busy-{seen[0]}")
        if "/balance/" in request.url:
            return _answer(200, BALANCE)
        if request.url.split("?")[0].endswith("/numbers"):
            return _answer(200, NUMBERS)
        return _answer(404, {"error": "not found", "message": "no such number"})

    return handle


async def test_async_raw_response_has_status_headers_request_id_and_the_model() -> None:
    """``await client.account.with_raw_response.balance()``: the response's facts and parse()."""
    transport = MockTransport(_server())
    async with AsyncClient("MA_RAW1", "token", transport=transport) as client:
        raw = await client.account.with_raw_response.balance()
        plain = await client.account.balance()
    assert isinstance(raw, RawResponse)
    assert raw.status == 200
    assert raw.headers["content-type"] == "application/json"
    assert raw.request_id == "req-123"
    assert raw.attempts == 1
    assert raw.elapsed >= 0
    assert raw.method == "GET"
    assert raw.url.endswith("/v1/Account/MA_RAW1/balance/INR")
    assert raw.json() == BALANCE
    parsed = raw.parse()
    assert isinstance(parsed, Balance)
    assert parsed == plain
    assert "200" in repr(raw)
    assert "req-123" in repr(raw)


async def test_raw_response_counts_the_attempts_of_a_retried_call() -> None:
    """Two 503s then a 200: the raw response is the 200, after three attempts."""
    transport = MockTransport(_server(fail_first=2))
    async with AsyncClient("MA_RAW1", "token", transport=transport, retry_policy=NO_WAIT) as client:
        raw = await client.numbers.with_raw_response.list()
    assert (raw.status, raw.attempts, raw.request_id) == (200, 3, "req-123")
    page = raw.parse()
    assert isinstance(page, Page)
    assert [number.e164 for number in page.items] == ["+919876543210"]


async def test_a_failing_raw_call_raises_the_same_error() -> None:
    """with_raw_response does not swallow errors: a 404 is NotFound, as on the plain call."""
    async with AsyncClient("MA_RAW1", "token", transport=MockTransport(_server())) as client:
        with pytest.raises(NotFound):
            await client.numbers.with_raw_response.release("+919876543210")


async def test_listings_that_stream_have_no_raw_form() -> None:
    """``with_raw_response.iter`` is refused with a reason, and dir() lists only calls."""
    client = AsyncClient("MA_RAW1", "token", transport=MockTransport(_server()))
    view = client.numbers.with_raw_response
    with pytest.raises(AttributeError, match="streams"):
        view.iter  # noqa: B018  # the lookup itself is what is refused
    assert "list" in dir(view)
    assert "iter" not in dir(view)
    await client.aclose()


def test_sync_raw_response_matches_the_async_one() -> None:
    """``client.numbers.with_raw_response.list()`` on the sync Client: same facts, same model."""
    with Client("MA_RAW1", "token", transport=MockTransport(_server())) as client:
        raw = client.numbers.with_raw_response.list()
        plain = client.numbers.list()
        balance = client.account.with_raw_response.balance()
    assert (raw.status, raw.request_id, raw.attempts) == (200, "req-123", 1)
    page: Page[PhoneNumber] = raw.parse()
    assert page == plain
    assert balance.parse().available_balance is not None


def _recording() -> tuple[MockTransport, list[HTTPRequest]]:
    transport = MockTransport(_server())
    return transport, transport.requests


async def test_extra_headers_and_query_reach_every_request() -> None:
    """Set at construction or with with_options, both are sent; a copy's replace the parent's."""
    transport, requests = _recording()
    client = AsyncClient(
        "MA_RAW1",
        "token",
        transport=transport,
        extra_headers={"X-Trace": "t-1"},
        extra_query={"beta": "1"},
    )
    await client.account.balance()
    copy = client.with_options(extra_headers={"X-Feature": "new"}, extra_query={"flag": "on"})
    await copy.numbers.list()
    await client.aclose()
    first, second = requests
    assert first.headers["X-Trace"] == "t-1"
    assert "beta=1" in first.url
    assert second.headers["X-Feature"] == "new"
    assert "flag=on" in second.url
    assert "X-Trace" not in second.headers
    assert "beta=1" not in second.url
    for request in requests:
        assert request.headers["X-Auth-ID"] == "MA_RAW1"
        assert request.headers["X-Auth-Token"] == "token"


def test_sync_client_sends_extra_headers_too() -> None:
    """The sync Client takes the same options and sends them."""
    transport, requests = _recording()
    with Client("MA_RAW1", "token", transport=transport, extra_headers={"X-Trace": "s"}) as client:
        client.with_options(extra_query={"q": "1"}).account.balance()
    assert requests[0].headers["X-Trace"] == "s"
    assert "q=1" in requests[0].url


@pytest.mark.parametrize("name", ["X-Auth-ID", "x-auth-token", "Authorization"])
@pytest.mark.parametrize("where", ["constructor", "with_options", "sync"])
def test_auth_headers_can_never_be_replaced(name: str, where: str) -> None:
    """Any spelling of an authentication header is refused with ConfigurationError, wherever
    it is given, before anything is sent."""
    transport, requests = _recording()
    headers = {name: "forged"}
    builds: dict[str, Callable[[], object]] = {
        "constructor": lambda: AsyncClient(
            "MA_RAW1", "token", transport=transport, extra_headers=headers
        ),
        "with_options": lambda: AsyncClient("MA_RAW1", "token", transport=transport).with_options(
            extra_headers=headers
        ),
        "sync": lambda: Client("MA_RAW1", "token", transport=transport, extra_headers=headers),
    }
    with pytest.raises(ConfigurationError, match="may not set"):
        builds[where]()
    assert requests == []


@pytest.mark.parametrize(
    "name",
    [
        "accept",
        "ACCEPT",
        "User-Agent",
        "content-type",
        "Host",
        "Content-Length",
        "transfer-encoding",
        "Connection",
        "TE",
        "Upgrade",
    ],
)
def test_headers_the_client_or_http_sets_are_refused(name: str) -> None:
    """An extra header the client sets itself or that frames the message is refused in
    any case (it would be sent twice, or replace the request's own framing)."""
    transport, requests = _recording()
    with pytest.raises(ConfigurationError, match="may not set"):
        AsyncClient("MA_RAW1", "token", transport=transport, extra_headers={name: "x"})
    assert requests == []


def test_one_header_in_two_spellings_is_refused() -> None:
    """Header names have no case: ``X-Trace`` and ``x-trace`` together are refused, not
    sent as two headers."""
    with pytest.raises(ConfigurationError, match="twice"):
        AsyncClient("MA_RAW1", "token", extra_headers={"X-Trace": "a", "x-trace": "b"})


def test_request_headers_merge_extras_without_case() -> None:
    """The request's own headers win over an extra of any spelling: one Accept is sent."""
    request = Request("POST", "/x", body=b"{}")
    headers = request.headers("MA_RAW1", "t", "ua", (("accept", "text/html"), ("X-Trace", "1")))
    assert [name for name in headers if name.lower() == "accept"] == ["Accept"]
    assert headers["Accept"] == "application/json"
    assert headers["Content-Type"] == "application/json"
    assert headers["X-Trace"] == "1"


@pytest.mark.parametrize("name", ["page", "per_page", "limit", "offset"])
async def test_extra_query_naming_a_paging_parameter_is_refused(name: str) -> None:
    """An extra query parameter that the call sets itself (here the paging of a listing)
    is refused with ConfigurationError before a request is sent, not sent twice (which
    made a listing loop on one page forever)."""
    transport, requests = _recording()
    async with AsyncClient("MA_RAW1", "token", transport=transport) as client:
        copy = client.with_options(extra_query={name: "1"})
        with pytest.raises(ConfigurationError, match=f"may not set '{name}'"):
            await copy.numbers.list()
        # A call that does not set it sends it.
        await copy.account.balance()
    assert len(requests) == 1
    assert f"{name}=1" in requests[0].url
