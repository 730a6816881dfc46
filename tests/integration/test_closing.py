"""Closing cleanly over real HTTP: no unclosed session or connector, a caller's session kept."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import warnings
from collections.abc import AsyncIterator, Iterator

import aiohttp
import pytest
from support.server import MASTER, TOKEN, FakeAPI, bound_socket, make_numbers, serve_api

from phonenumbers_async import AsyncClient
from phonenumbers_async._transport import AiohttpTransport


class Leaks:
    """What was reported about unclosed resources while recording."""

    def __init__(self) -> None:
        self.messages: list[str] = []

    @property
    def unclosed(self) -> list[str]:
        return [m for m in self.messages if "Unclosed" in m or "unclosed" in m]


@contextlib.contextmanager
def recording_leaks() -> Iterator[Leaks]:
    """Record unclosed-resource warnings and loop errors, collecting garbage at the end.

    aiohttp reports a leak twice, as a ``ResourceWarning`` and through the
    loop's exception handler; both are recorded (rather than left to the
    global error filter) so the control test can show a real leak is seen.
    """
    found = Leaks()
    loop = asyncio.get_running_loop()
    previous = loop.get_exception_handler()
    loop.set_exception_handler(lambda _, context: found.messages.append(context["message"]))
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            yield found
            gc.collect()
        found.messages.extend(str(w.message) for w in caught)
    finally:
        loop.set_exception_handler(previous)


@pytest.fixture
async def served() -> AsyncIterator[str]:
    """The fake API with 30 numbers, on loopback."""
    api = FakeAPI()
    api.numbers[MASTER] = make_numbers(MASTER, 30)
    async with serve_api(api) as url:
        yield url


async def test_async_with_leaves_no_unclosed_session_or_connector(served: str) -> None:
    """``async with`` closes the session and connector the client opened."""
    with recording_leaks() as leaks:
        async with AsyncClient(MASTER, TOKEN, base_url=served) as client:
            await client.numbers.list()
            session = client._sender.transport.session  # type: ignore[attr-defined]
        assert session.closed
        del client, session

    assert leaks.unclosed == []


async def test_aclose_leaves_no_unclosed_session_or_connector(served: str) -> None:
    """``await client.aclose()`` does the same for a client used without ``async with``."""
    with recording_leaks() as leaks:
        client = AsyncClient(MASTER, TOKEN, base_url=served)
        numbers = [n async for n in client.numbers.iter(per_page=10)]
        await client.aclose()
        del client

    assert len(numbers) == 30
    assert leaks.unclosed == []


async def test_the_leak_check_sees_a_client_that_was_never_closed(served: str) -> None:
    """Control: a client dropped without closing is reported, so the checks above can fail."""
    with recording_leaks() as leaks:
        client = AsyncClient(MASTER, TOKEN, base_url=served)
        await client.numbers.list()
        connector = client._sender.transport.session.connector  # type: ignore[attr-defined]
        del client
        gc.collect()
        # Its kept-alive connection would otherwise outlive the recording.
        await connector.close()

    # Which of the two aiohttp reports depends on the order the collector
    # finalises the session and its connector; either one is a leak.
    assert any(
        m.startswith(("Unclosed client session", "Unclosed connector")) for m in leaks.unclosed
    )


async def test_closing_after_leaving_a_listing_early_is_clean(served: str) -> None:
    """A listing left after one item, then the client closed: nothing reported."""
    with recording_leaks() as leaks:
        async with AsyncClient(MASTER, TOKEN, base_url=served) as client:
            iterator = client.numbers.iter(per_page=10)
            await anext(iterator)
            await iterator.aclose()  # type: ignore[attr-defined]
        del client, iterator

    assert leaks.unclosed == []


async def test_a_callers_session_stays_open_and_usable(served: str) -> None:
    """A session passed in is not closed by the client and still works afterwards."""
    async with aiohttp.ClientSession() as session:
        async with AsyncClient(MASTER, TOKEN, base_url=served, session=session) as client:
            page = await client.numbers.list()
        assert not session.closed
        async with session.get(
            f"{served}/v1/account/{MASTER}/numbers",
            headers={"X-Auth-ID": MASTER, "X-Auth-Token": TOKEN},
        ) as response:
            assert response.status == 200
    assert len(page) == 25


def test_a_client_built_outside_any_loop_works_inside_asyncio_run() -> None:
    """A client made with no event loop running is used and closed inside ``asyncio.run``."""
    api = FakeAPI()
    api.numbers[MASTER] = make_numbers(MASTER, 3)
    sock = bound_socket()
    host, port = sock.getsockname()
    with pytest.raises(RuntimeError):
        asyncio.get_running_loop()

    client = AsyncClient(MASTER, TOKEN, base_url=f"http://{host}:{port}/api", max_retries=0)

    async def main() -> tuple[int, bool]:
        async with serve_api(api, sock):
            async with client:
                page = await client.numbers.list()
                session = client._sender.transport.session  # type: ignore[attr-defined]
            return len(page), session.closed

    assert asyncio.run(main()) == (3, True)


def test_aiohttp_still_has_the_private_retry_switch() -> None:
    """``ClientSession._retry_connection`` exists and defaults to True in this aiohttp."""

    async def main() -> bool:
        async with aiohttp.ClientSession() as session:
            assert hasattr(session, "_retry_connection")
            return session._retry_connection

    assert asyncio.run(main()) is True


async def test_the_clients_session_has_the_hidden_retry_switched_off(served: str) -> None:
    """The session the client creates, and a caller's session, both have it False."""
    async with AsyncClient(MASTER, TOKEN, base_url=served) as client:
        await client.numbers.list()
        transport = client._sender.transport
        assert isinstance(transport, AiohttpTransport)
        assert transport.session._retry_connection is False
    async with aiohttp.ClientSession() as session:
        AsyncClient(MASTER, TOKEN, base_url=served, session=session)
        assert session._retry_connection is False
