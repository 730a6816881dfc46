"""Sync iteration streams page by page, and stopping early stops the listing."""

from __future__ import annotations

import asyncio
import gc
import signal
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from phonenumbers_async import Client, ClientClosedError, NotFound, Page, PhoneNumber
from phonenumbers_async._resources.inventory import Inventory
from phonenumbers_async._sync._loop import LoopThread
from phonenumbers_async._sync._pages import AHEAD

from ._helpers import OWNED, Control, regenerated

PER_PAGE = 10  # OWNED numbers make 5 pages
PAGES = OWNED // PER_PAGE


async def _other_tasks() -> list[str]:
    current = asyncio.current_task()
    return sorted(
        getattr(task.get_coro(), "__qualname__", "?")
        for task in asyncio.all_tasks()
        if task is not current
    )


def _loop_tasks(client: Client) -> list[str]:
    """The tasks alive in the client's event loop, besides the one asking."""
    return client._runner.call(_other_tasks)


@pytest.mark.parametrize("max_concurrency", [1, 2])
def test_a_listing_streams_every_number_once(
    client: Client, control: Control, max_concurrency: int
) -> None:
    """``iter()`` over the emulator yields the 50 numbers once each, in five pages."""
    numbers = client.numbers.iter(per_page=PER_PAGE, max_concurrency=max_concurrency)
    first = next(numbers)
    assert isinstance(first, PhoneNumber)
    rest = list(numbers)
    assert len({first.e164, *(number.e164 for number in rest)}) == 1 + len(rest) == OWNED
    assert control.owned_listing_requests() >= PAGES


def test_the_first_item_arrives_while_later_pages_are_held_back(
    client: Client, gated_listing: _Gate
) -> None:
    """The first item comes as soon as page 1 exists; page 2 has not even been produced."""
    inventory: Any = regenerated(client, "SyncInventory")
    items = inventory.gated(pages=3)
    with ThreadPoolExecutor(1) as pool:  # waiting for page 2 would hang: fail instead
        assert pool.submit(next, items).result(timeout=5) == 1
    assert gated_listing.produced == [1]
    gated_listing.open(client)
    assert list(items) == [2, 3, 4, 5, 6]
    assert gated_listing.produced == [1, 2, 3]


def test_iteration_makes_no_round_trip_per_page_or_item(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    """50 numbers in 5 pages take two blocking calls into the loop (start, pump), not 5 or 50."""
    calls: list[str] = []
    original = LoopThread.call

    def counting(self: LoopThread, func: Callable[..., Any], *args: Any) -> Any:
        calls.append(func.__name__)
        return original(self, func, *args)

    client.inventory.list()  # starts the loop, outside the count
    monkeypatch.setattr(LoopThread, "call", counting)
    assert len(list(client.numbers.iter(per_page=PER_PAGE))) == OWNED
    # The pages themselves are handed over by the pump, without a round trip each.
    assert calls == ["_open", "start_pump"]


def _stop_by_break(numbers: Iterator[PhoneNumber], skip: int) -> None:
    for index, _ in enumerate(numbers):
        if index == skip:
            break


def _stop_by_close(numbers: Iterator[PhoneNumber], skip: int) -> None:
    for _ in range(skip + 1):
        next(numbers)
    numbers.close()  # type: ignore[attr-defined]


class _Stop(Exception):
    pass


def _consume_then_raise(numbers: Iterator[PhoneNumber], skip: int) -> None:
    for index, _ in enumerate(numbers):
        if index == skip:
            raise _Stop


def _stop_by_exception(numbers: Iterator[PhoneNumber], skip: int) -> None:
    with pytest.raises(_Stop):
        _consume_then_raise(numbers, skip)


def _stop_by_garbage_collection(numbers: Iterator[PhoneNumber], skip: int) -> None:
    for _ in range(skip + 1):
        next(numbers)
    del numbers
    gc.collect()


@pytest.mark.parametrize(
    "stop",
    [_stop_by_break, _stop_by_close, _stop_by_exception, _stop_by_garbage_collection],
    ids=["break", "close", "exception", "gc"],
)
def test_stopping_early_closes_the_listing(
    client: Client, control: Control, stop: Callable[[Iterator[PhoneNumber], int], None]
) -> None:
    """Stopping mid-listing cancels the prefetch in flight; no request starts afterwards."""
    per_page, concurrency = 5, 2  # 10 pages
    # Slow answers keep the prefetched pages in flight when the consumer stops.
    control.set_faults(latency_ms=150)
    baseline = _loop_tasks(client)
    numbers = client.numbers.iter(per_page=per_page, max_concurrency=concurrency)
    stop(numbers, 2 * per_page)  # at the first item of page 3
    del numbers
    assert _loop_tasks(client) == baseline
    served = control.owned_listing_requests()
    # Pages 1-3, and what was fetched ahead: `concurrency` in flight, plus any
    # pages waiting in the handoff (none here: the consumer keeps up with 150 ms).
    assert 3 <= served <= 3 + concurrency + 1
    control.set_faults(latency_ms=0)
    # A later call runs the loop on; the stopped listing asks for nothing more.
    client.subaccounts.list()
    assert control.owned_listing_requests() == served < OWNED // per_page


def test_an_unstarted_iterator_needs_no_closing(client: Client, control: Control) -> None:
    """An iterator created and dropped unstarted sends nothing and leaves nothing behind."""
    baseline = _loop_tasks(client)
    numbers = client.numbers.iter()
    del numbers
    gc.collect()
    assert control.owned_listing_requests() == 0
    assert _loop_tasks(client) == baseline


def test_page_iterators_are_sync_generators_of_pages(client: Client, control: Control) -> None:
    """``iter_pages`` streams Page objects in order; closing it stops the listing for good."""
    pages = client.numbers.iter_pages(per_page=PER_PAGE, max_concurrency=1)
    first = next(pages)
    assert isinstance(first, Page)
    assert (first.page, len(first.items), first.total) == (1, PER_PAGE, OWNED)
    assert next(pages).page == 2
    pages.close()  # type: ignore[attr-defined]
    served = control.owned_listing_requests()
    client.subaccounts.list()  # the loop runs on; the closed listing asks for nothing more
    assert control.owned_listing_requests() == served


def test_fanout_streams_and_closes(client: Client, control: Control) -> None:
    """``iter_fanout`` runs through the page-level twin and closes its workers on early stop."""
    baseline = _loop_tasks(client)
    numbers = client.numbers.iter_fanout(per_page=PER_PAGE, concurrency=2)
    assert isinstance(next(numbers), PhoneNumber)
    numbers.close()  # type: ignore[attr-defined]
    assert _loop_tasks(client) == baseline
    assert len(list(client.numbers.iter_fanout(per_page=PER_PAGE))) == OWNED


def _interrupt_main_once_served(control: Control, before: int) -> None:
    # Waits for the server to see the request, so the signal lands while the
    # main thread is blocked on the answer (held back by the latency fault).
    while control.owned_listing_requests() == before:
        threading.Event().wait(0.005)
    signal.pthread_kill(threading.main_thread().ident or 0, signal.SIGINT)


@pytest.mark.skipif(
    threading.current_thread() is not threading.main_thread(), reason="needs the main thread"
)
def test_ctrl_c_while_waiting_cancels_the_request_in_the_loop(
    client: Client, control: Control
) -> None:
    """KeyboardInterrupt during a blocking call cancels that call's task; the client goes on."""
    baseline = _loop_tasks(client)
    numbers = client.numbers.iter(per_page=PER_PAGE, max_concurrency=1)
    next(numbers)
    control.set_faults(latency_ms=300)
    before = control.owned_listing_requests()
    interrupter = threading.Thread(target=_interrupt_main_once_served, args=(control, before))
    interrupter.start()
    with pytest.raises(KeyboardInterrupt):
        list(numbers)
    interrupter.join()
    assert _loop_tasks(client) == baseline
    control.set_faults(latency_ms=0)
    assert client.numbers.list(per_page=5).total == OWNED


def _ready_pages(
    self: Inventory, *, pages: int = 20, fail: bool = False
) -> AsyncIterator[Page[int]]:
    async def generate() -> AsyncIterator[Page[int]]:
        for number in range(1, pages + 1):
            yield Page(items=(2 * number - 1, 2 * number), page=number, per_page=2)
        if fail:
            raise NotFound("gone", status=404)

    return generate()


def _ready_items(self: Inventory, *, pages: int = 20, fail: bool = False) -> AsyncIterator[int]:
    raise AssertionError("the facade drives the page-level twin")


class _Gate:
    """``inventory.gated(pages=N)``: page 1 at once, the others once ``open`` is called."""

    def __init__(self) -> None:
        self.produced: list[int] = []
        self._event: asyncio.Event | None = None

    def pages(self, _: Inventory, *, pages: int) -> AsyncIterator[Page[int]]:
        async def generate() -> AsyncIterator[Page[int]]:
            self._event = asyncio.Event()  # made in the loop that waits on it
            for number in range(1, pages + 1):
                if number > 1:
                    await self._event.wait()
                self.produced.append(number)
                yield Page(items=(2 * number - 1, 2 * number), page=number, per_page=2)

        return generate()

    def open(self, client: Client) -> None:
        async def set_event() -> None:
            assert self._event is not None
            self._event.set()

        client._runner.call(set_event)


@pytest.fixture
def gated_listing(monkeypatch: pytest.MonkeyPatch) -> _Gate:
    """``inventory.gated`` (and ``gated_pages``), a listing held back after its first page."""
    gate = _Gate()

    def gated_pages(self: Inventory, *, pages: int) -> AsyncIterator[Page[int]]:
        return gate.pages(self, pages=pages)

    def gated(self: Inventory, *, pages: int) -> AsyncIterator[int]:
        raise AssertionError("the facade drives the page-level twin")

    monkeypatch.setattr(Inventory, "gated_pages", gated_pages, raising=False)
    monkeypatch.setattr(Inventory, "gated", gated, raising=False)
    return gate


class _Produced:
    """How many pages a ``ready`` listing has produced so far."""

    def __init__(self) -> None:
        self.count = 0


@pytest.fixture
def ready_listing(monkeypatch: pytest.MonkeyPatch) -> _Produced:
    """``inventory.ready`` (and ``ready_pages``): pages that need no waiting."""
    produced = _Produced()

    def counted_pages(
        self: Inventory, *, pages: int = 20, fail: bool = False
    ) -> AsyncIterator[Page[int]]:
        async def generate() -> AsyncIterator[Page[int]]:
            async for page in _ready_pages(self, pages=pages, fail=fail):
                produced.count += 1
                yield page

        return generate()

    monkeypatch.setattr(Inventory, "ready_pages", counted_pages, raising=False)
    monkeypatch.setattr(Inventory, "ready", _ready_items, raising=False)
    return produced


def test_ready_pages_are_handed_over_in_order(client: Client, ready_listing: _Produced) -> None:
    """Pages that need no waiting all arrive, in order."""
    inventory: Any = regenerated(client, "SyncInventory")
    assert list(inventory.ready(pages=20)) == list(range(1, 41))
    assert ready_listing.count == 20


def test_a_slow_consumer_holds_a_bounded_number_of_pages(
    client: Client, ready_listing: _Produced
) -> None:
    """However slow the consumer, the pump runs at most ``AHEAD`` pages ahead of it."""
    inventory: Any = regenerated(client, "SyncInventory")
    items = inventory.ready(pages=50)
    assert [next(items) for _ in range(3)] == [1, 2, 3]  # reading on into page 2
    # Give the pump every chance to run ahead (it needs no network here).
    for _ in range(200):
        if ready_listing.count >= 2 + AHEAD:
            break
        threading.Event().wait(0.01)
    threading.Event().wait(0.05)
    # Pages 1 and 2 (taken), and the pages waiting for the consumer.
    assert ready_listing.count == 2 + AHEAD
    assert list(items) == list(range(4, 101))


def test_a_consumer_that_stops_on_the_first_page_causes_no_run_ahead(
    client: Client, ready_listing: _Produced
) -> None:
    """Reading one page and stopping produces that page only: the pump waits to be asked."""
    inventory: Any = regenerated(client, "SyncInventory")
    items = inventory.ready(pages=50)
    assert next(items) == 1
    threading.Event().wait(0.05)  # time the pump would use to run ahead, if it did
    assert ready_listing.count == 1
    items.close()


@pytest.mark.parametrize("max_concurrency", [1, 2])
def test_stopping_after_the_first_item_fetched_only_the_prefetch_window(
    client: Client, control: Control, max_concurrency: int
) -> None:
    """One item read: page 1 and the listing's own prefetch, never the facade's run-ahead."""
    numbers = client.numbers.iter(per_page=PER_PAGE, max_concurrency=max_concurrency)
    assert isinstance(next(numbers), PhoneNumber)
    threading.Event().wait(0.05)  # the prefetched requests reach the server
    numbers.close()  # type: ignore[attr-defined]
    assert control.owned_listing_requests() <= 1 + max_concurrency < PAGES


def test_an_error_comes_after_the_pages_before_it(client: Client, ready_listing: _Produced) -> None:
    """A listing failing after some pages delivers every earlier item, then raises."""
    inventory: Any = regenerated(client, "SyncInventory")
    seen: list[int] = []
    with pytest.raises(NotFound):
        seen.extend(inventory.ready(pages=3, fail=True))  # keeps what came before the error
    assert seen == [1, 2, 3, 4, 5, 6]


def _failing_pages(self: Inventory, *, how: str) -> AsyncIterator[Page[int]]:
    async def generate() -> AsyncIterator[Page[int]]:
        try:
            for number in range(1, 50):
                yield Page(items=(number,), page=number, per_page=1)
                if how == "cancelled" and number == 2:
                    raise asyncio.CancelledError  # the listing's own, not a stop
        finally:
            if how == "cleanup":
                raise RuntimeError("cleanup failed")

    return generate()


def _failing_items(self: Inventory, *, how: str) -> AsyncIterator[int]:
    raise AssertionError("the facade drives the page-level twin")


@pytest.fixture
def failing_listing(monkeypatch: pytest.MonkeyPatch) -> None:
    """``inventory.failing(how=…)``: a listing whose cleanup fails, or that cancels itself."""
    monkeypatch.setattr(Inventory, "failing_pages", _failing_pages, raising=False)
    monkeypatch.setattr(Inventory, "failing", _failing_items, raising=False)


@pytest.mark.usefixtures("failing_listing")
def test_a_listing_that_fails_to_close_raises_to_whoever_stops_it(client: Client) -> None:
    """Its error reaches close(), and nothing is logged as never retrieved."""
    inventory: Any = regenerated(client, "SyncInventory")
    items = inventory.failing(how="cleanup")
    assert next(items) == 1
    with pytest.raises(RuntimeError, match="cleanup failed"):
        items.close()
    assert client.inventory.list().total is not None  # the client goes on


@pytest.mark.usefixtures("failing_listing")
def test_a_listing_cancelled_from_inside_is_not_reported_as_a_closed_client(
    client: Client,
) -> None:
    """Its own CancelledError comes after the pages before it; the client stays open."""
    inventory: Any = regenerated(client, "SyncInventory")
    seen: list[int] = []
    with pytest.raises(asyncio.CancelledError):
        seen.extend(inventory.failing(how="cancelled"))
    assert seen == [1, 2]
    assert client.inventory.list().total is not None


def test_a_copy_goes_on_listing_only_while_its_parent_is_open(client: Client) -> None:
    """A with_options copy's listing says the client closed once the parent closes."""
    copy = client.with_options(timeout=5)
    numbers = copy.numbers.iter(per_page=PER_PAGE)
    for _ in range(2 * PER_PAGE):  # reading on: the pump runs ahead
        next(numbers)
    client.close()
    with pytest.raises(ClientClosedError, match="the client is closed"):
        list(numbers)
