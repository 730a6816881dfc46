"""``AiohttpTransport``: lazy session, failure mapping, and what the caller's session keeps."""

from __future__ import annotations

import aiohttp
import pytest
from aioresponses import aioresponses
from support.wire import AUTH_ID, AUTH_TOKEN, BASE_URL, sent

from phonenumbers_async import (
    AsyncClient,
    ClientClosedError,
    RequestTimeout,
    RetryPolicy,
    TransportError,
)
from phonenumbers_async._transport import AiohttpTransport, HTTPRequest, Timeouts

URL = f"{BASE_URL}/v1/account/{AUTH_ID}/numbers?page=1&per_page=25&limit=25&offset=0"
PAGE = {"items": [], "page": 1, "per_page": 25, "total": 0}


def test_no_session_exists_before_the_first_request() -> None:
    """Building a client outside a loop creates no aiohttp session (nothing to leak)."""
    client = AsyncClient(AUTH_ID, AUTH_TOKEN)

    transport = client._sender.transport
    assert isinstance(transport, AiohttpTransport)
    assert transport._session is None


async def test_one_session_is_reused_and_closed(mock_api: aioresponses) -> None:
    """Every request of a client goes through one session, which ``aclose`` closes."""
    mock_api.get(URL, payload=PAGE, repeat=True)
    client = AsyncClient(AUTH_ID, AUTH_TOKEN, base_url=BASE_URL)
    transport = client._sender.transport
    assert isinstance(transport, AiohttpTransport)

    await client.numbers.list()
    session = transport.session
    await client.numbers.list()

    assert transport.session is session
    await client.aclose()
    assert session.closed


async def test_a_closed_client_refuses_to_send(mock_api: aioresponses) -> None:
    """After ``aclose`` a request fails at once with ClientClosedError, unsent and not retried."""
    slept: list[float] = []

    async def record_sleep(seconds: float) -> None:
        slept.append(seconds)

    client = AsyncClient(
        AUTH_ID, AUTH_TOKEN, base_url=BASE_URL, retry_policy=RetryPolicy(sleep=record_sleep)
    )
    await client.aclose()

    with pytest.raises(ClientClosedError) as caught:
        await client.numbers.list()

    assert "closed" in str(caught.value)
    assert not isinstance(caught.value, TransportError)
    assert slept == []
    assert sent(mock_api) == []


async def test_closing_twice_is_harmless() -> None:
    """``aclose`` may be called again (for example by ``async with`` after a manual close)."""
    async with AsyncClient(AUTH_ID, AUTH_TOKEN) as client:
        await client.aclose()
    await client.aclose()


async def test_requests_carry_a_user_agent_and_no_redirects(mock_api: aioresponses) -> None:
    """Requests name the SDK, and redirects are not followed (headers would follow them)."""
    mock_api.get(URL, payload=PAGE)

    async with AsyncClient(AUTH_ID, AUTH_TOKEN, base_url=BASE_URL) as client:
        await client.numbers.list()

    ((_, calls),) = mock_api.requests.items()
    assert calls[0].kwargs["headers"]["User-Agent"].startswith("phonenumbers_async/")
    assert calls[0].kwargs["allow_redirects"] is False


async def test_timeouts_are_passed_to_aiohttp(mock_api: aioresponses) -> None:
    """``timeout`` and ``connect_timeout`` become aiohttp's total and connect timeouts."""
    mock_api.get(URL, payload=PAGE)

    async with AsyncClient(
        AUTH_ID, AUTH_TOKEN, base_url=BASE_URL, timeout=4.5, connect_timeout=1.5
    ) as client:
        await client.numbers.list()

    ((_, calls),) = mock_api.requests.items()
    timeout = calls[0].kwargs["timeout"]
    assert (timeout.total, timeout.connect) == (4.5, 1.5)


@pytest.mark.parametrize(
    ("exception", "error", "maybe_sent"),
    [
        (TimeoutError(), RequestTimeout, True),
        (aiohttp.ServerTimeoutError("read timed out"), RequestTimeout, True),
        (aiohttp.ConnectionTimeoutError("connect timed out"), RequestTimeout, False),
        (aiohttp.ServerDisconnectedError(), TransportError, True),
        (aiohttp.ClientPayloadError("truncated"), TransportError, True),
        (ConnectionResetError(104, "reset"), TransportError, True),
    ],
)
async def test_network_failures_become_transport_errors(
    mock_api: aioresponses,
    exception: BaseException,
    error: type[TransportError],
    maybe_sent: bool,
) -> None:
    """aiohttp's failures map to ``TransportError``/``RequestTimeout`` with ``maybe_sent`` set."""
    mock_api.get(URL, exception=exception)
    transport = AiohttpTransport()
    try:
        with pytest.raises(error) as caught:
            await transport.send(HTTPRequest("GET", URL, {}, None, Timeouts()))
    finally:
        await transport.aclose()

    assert type(caught.value) is error
    assert caught.value.maybe_sent is maybe_sent
    assert isinstance(caught.value.__cause__, type(exception))


async def test_a_callers_session_is_used_and_left_open(mock_api: aioresponses) -> None:
    """A session passed in carries the requests and stays open after the client closes."""
    mock_api.get(URL, payload=PAGE)
    async with aiohttp.ClientSession() as session:
        async with AsyncClient(AUTH_ID, AUTH_TOKEN, base_url=BASE_URL, session=session) as client:
            await client.numbers.list()
            assert client._sender.transport.session is session  # type: ignore[attr-defined]

        assert not session.closed
        assert session._retry_connection is False


async def test_a_closed_session_of_the_caller_is_a_typed_error() -> None:
    """A caller's session closed under the client: ClientClosedError, not aiohttp's RuntimeError."""
    session = aiohttp.ClientSession()
    await session.close()
    async with AsyncClient(AUTH_ID, AUTH_TOKEN, base_url=BASE_URL, session=session) as client:
        with pytest.raises(ClientClosedError, match="session"):
            await client.numbers.list()
