"""The Client's event-loop thread: started once, shared by threads, usable from a thread that
runs a loop, refused only inside its own, and gone after close."""

from __future__ import annotations

import gc
import inspect
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import aiohttp
import pytest

from phonenumbers_async import (
    AsyncClient,
    Client,
    ClientClosedError,
    ConfigurationError,
    EventLoopError,
    HTTPRequest,
    MockTransport,
    PhoneNumbersError,
    Response,
    TransportError,
)
from phonenumbers_async.emulator import EmulatorInfo

from ._helpers import OWNED, Control, portal_threads

THREADS = 8


def test_client_takes_exactly_the_arguments_of_async_client() -> None:
    """``Client(...)`` has AsyncClient's parameters: names, kinds, defaults and annotations."""
    sync_parameters = list(inspect.signature(Client).parameters.values())
    async_parameters = list(inspect.signature(AsyncClient).parameters.values())
    assert sync_parameters == async_parameters


def test_configuration_errors_surface_at_construction(monkeypatch: pytest.MonkeyPatch) -> None:
    """Missing credentials raise ConfigurationError from ``Client()``, starting no thread."""
    monkeypatch.delenv("VOBIZ_AUTH_ID", raising=False)
    monkeypatch.delenv("VOBIZ_AUTH_TOKEN", raising=False)
    with pytest.raises(ConfigurationError, match="VOBIZ_AUTH_ID"):
        Client()
    assert portal_threads() == []


async def test_an_aiohttp_session_is_refused_with_a_reason() -> None:
    """A session belongs to its own loop, never Client's: refused at construction, clearly."""
    async with aiohttp.ClientSession() as session:
        with pytest.raises(ConfigurationError, match="AsyncClient"):
            Client("MA_X1", "token", session=session)
    assert portal_threads() == []


def test_the_loop_starts_on_first_use_not_on_construction(make_client: Any) -> None:
    """Building a Client starts no thread; its first call starts exactly one."""
    client = make_client()
    assert portal_threads() == []
    client.inventory.list()
    assert len(portal_threads()) == 1


def test_entering_starts_the_loop_and_leaving_stops_it(emu: EmulatorInfo) -> None:
    """``with Client()`` starts the loop thread on enter and leaves no thread behind on exit."""
    with Client(emu.auth_id, emu.auth_token, base_url=emu.base_url) as client:
        assert len(portal_threads()) == 1
        assert client.numbers.list().total == OWNED
    assert portal_threads() == []


def test_close_leaves_no_thread_and_no_open_session(client: Client) -> None:
    """After ``close()`` the loop thread is gone and the HTTP session is closed."""
    client.inventory.list()
    root = client._runner.root
    assert root is not None
    session = root._sender.transport._session  # type: ignore[attr-defined]
    assert session is not None
    assert not session.closed
    client.close()
    assert session.closed
    assert portal_threads() == []


def test_second_close_is_a_no_op_and_use_after_close_is_refused(client: Client) -> None:
    """A second ``close()`` does nothing; any later call raises "the client is closed"."""
    numbers = client.numbers
    numbers.list()
    client.close()
    client.close()
    calls: list[Callable[[], object]] = [
        numbers.list,
        lambda: client.inventory.list(),
        lambda: list(numbers.iter()),
        client.__enter__,
    ]
    for call in calls:
        with pytest.raises(ClientClosedError, match="the client is closed") as caught:
            call()
        assert isinstance(caught.value, PhoneNumbersError)
    assert portal_threads() == []


def test_close_ends_an_open_iterator_cleanly(client: Client) -> None:
    """Closing the client closes an open iterator; going on past its current page says closed."""
    numbers = client.numbers.iter(per_page=10)
    next(numbers)
    client.close()
    assert portal_threads() == []
    with pytest.raises(ClientClosedError, match="the client is closed"):
        list(numbers)


def test_a_dropped_client_stops_its_thread(emu: EmulatorInfo) -> None:
    """A Client garbage-collected without ``close()`` still stops its thread and session."""
    client = Client(emu.auth_id, emu.auth_token, base_url=emu.base_url)
    client.numbers.list()
    session = client._runner.root._sender.transport._session  # type: ignore[union-attr]
    del client
    gc.collect()
    assert portal_threads() == []
    assert session.closed


def test_a_one_line_call_on_a_temporary_client_works(emu: EmulatorInfo) -> None:
    """``Client(...).numbers.iter()`` keeps its client alive for as long as it iterates."""
    numbers = Client(emu.auth_id, emu.auth_token, base_url=emu.base_url).numbers.iter(per_page=7)
    gc.collect()
    assert len(list(numbers)) == OWNED
    del numbers
    gc.collect()
    assert portal_threads() == []


def test_threads_starting_the_client_at_once_share_one_loop(client: Client) -> None:
    """Eight threads making the first call together start one loop thread, not eight."""
    barrier = threading.Barrier(THREADS)

    def first_call(_: int) -> int | None:
        barrier.wait()
        return client.numbers.list(per_page=5).total

    with ThreadPoolExecutor(THREADS) as pool:
        totals = list(pool.map(first_call, range(THREADS)))
    assert totals == [OWNED] * THREADS
    assert len(portal_threads()) == 1


def test_one_client_used_from_eight_threads(client: Client, control: Control) -> None:
    """Eight threads iterating, listing and buying through one Client all get correct results."""
    owned = sorted(number.e164 for number in client.numbers.iter())
    for_sale = [number.e164 for number in client.inventory.iter()][:THREADS]
    barrier = threading.Barrier(THREADS)

    def work(index: int) -> tuple[list[str], str | None, str]:
        barrier.wait()
        seen = sorted(number.e164 for number in client.numbers.iter(per_page=7))
        # Buying only once every thread has listed: a purchase landing mid-listing
        # would shift the pages of another thread's listing (offset paging).
        barrier.wait()
        bought = client.numbers.purchase(for_sale[index])
        return seen, bought.account_id, bought.e164

    with ThreadPoolExecutor(THREADS) as pool:
        results = list(pool.map(work, range(THREADS)))
    for seen, account, _ in results:
        assert seen == owned
        assert account == client.auth_id
    assert sorted(e164 for _, _, e164 in results) == sorted(for_sale)
    after = sorted(number.e164 for number in client.numbers.iter())
    assert after == sorted(owned + for_sale)
    assert len(portal_threads()) == 1


async def test_calls_from_a_thread_running_an_event_loop_work(client: Client) -> None:
    """In a running loop (a notebook cell) calls, iteration and ``with`` work, blocking it."""
    assert client.numbers.list().total == OWNED
    assert len(list(client.numbers.iter(per_page=10))) == OWNED
    with client:
        assert client.inventory.list(per_page=1).total is not None
    assert portal_threads() == []


def test_a_call_from_the_clients_own_loop_thread_is_refused(emu: EmulatorInfo) -> None:
    """A transport that calls its own Client back would deadlock: EventLoopError, naming
    AsyncClient, reaches the caller instead."""
    inner: list[BaseException] = []

    def handler(request: HTTPRequest) -> Response:
        for call in (client.account.balance, lambda: next(numbers)):
            try:
                call()
            except EventLoopError as exc:
                inner.append(exc)
        raise TransportError("refused by the test", maybe_sent=False)

    client = Client("MA_X1", "token", transport=MockTransport(handler), max_retries=0)
    numbers = client.numbers.iter()
    with pytest.raises(TransportError):
        client.numbers.list()
    client.close()
    assert len(inner) == 2
    for error in inner:
        assert "AsyncClient" in str(error)
        assert "own event-loop thread" in str(error)
        assert isinstance(error, PhoneNumbersError)
    assert portal_threads() == []


def test_with_options_shares_the_loop_and_closes_with_its_parent(client: Client) -> None:
    """A ``with_options`` copy runs on the parent's loop; closing it leaves the parent open."""
    copy = client.with_options(timeout=5, max_concurrency=2)
    assert copy.config.timeout == 5
    assert copy.config.max_concurrency == 2
    assert client.config.timeout == 30
    assert copy.numbers.list().total == OWNED
    assert len(portal_threads()) == 1
    numbers = copy.numbers.iter(per_page=10)
    next(numbers)
    copy.close()
    with pytest.raises(ClientClosedError, match="the client is closed"):
        copy.numbers.list()
    with pytest.raises(ClientClosedError, match="the client is closed"):
        list(numbers)
    assert client.numbers.list().total == OWNED
    other = client.with_options(max_retries=0)
    client.close()
    with pytest.raises(ClientClosedError, match="the client is closed"):
        other.numbers.list()
    assert portal_threads() == []
